"""The monitoring release rendered with the real kube-prometheus-stack 67.8.0 (the exact pinned
version, prometheus-community/helm-charts charts/kube-prometheus-stack), and the Kafka UI
release's values against the Redpanda Console chart they are written for.

kube-prometheus-stack's sub-charts (grafana, kube-state-metrics, prometheus-node-exporter) are
not in the available tree, only its crds: Helm then leaves their values absent, and the parent's
templates/prometheus/clusterrole.yaml fails indexing them. The test alone supplies the one
sub-chart default the parent's templates read there (SUBCHART_DEFAULTS); the sub-charts' own
objects (Grafana, kube-state-metrics, node exporter) cannot be rendered here.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from mojaloop_perf import helm_chart, render_aws
from mojaloop_perf.render_aws import kafka_ui
from mojaloop_perf.render_aws.placement import taint_tolerations
from tests.charts.conftest import (
    AWS_SCENARIOS,
    pod_spec,
    release_entry,
    rendered,
    scenario,
    upstream,
    workloads,
)

# `kubeRBACProxy.enabled: false`: the default of prometheus-community/helm-charts
# charts/kube-state-metrics/values.yaml (5.28.x) and charts/prometheus-node-exporter/values.yaml
# (4.43.x), the sub-chart lines kube-prometheus-stack 67.8.0's Chart.yaml requires.
SUBCHART_DEFAULTS = {
    "kube-state-metrics": {"kubeRBACProxy": {"enabled": False}},
    "prometheus-node-exporter": {"kubeRBACProxy": {"enabled": False}},
}

_RENDERS: dict[str, list[dict[str, Any]]] = {}


def monitoring(name: str) -> list[dict[str, Any]]:
    """The release's objects: our values, plus the absent sub-charts' defaults (above)."""
    if name not in _RENDERS:
        values = copy.deepcopy(render_aws.helm_values(scenario(name))["monitoring"])
        for chart, defaults in SUBCHART_DEFAULTS.items():
            values.setdefault(chart, {}).update(copy.deepcopy(defaults))
        _RENDERS[name] = helm_chart.render(
            upstream(name, "monitoring").chart_dir,
            values,
            release="monitoring",
            namespace=release_entry(name, "monitoring")["namespace"],
        )
    return _RENDERS[name]


def placement(name: str) -> tuple[dict[str, str], list[dict[str, Any]]]:
    group = scenario(name).infrastructure.node_groups.monitoring
    return dict(group.labels), taint_tolerations(group.taints)


def one(objects: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    (found,) = [o for o in objects if o["kind"] == kind]
    return found


@pytest.mark.parametrize("name", AWS_SCENARIOS)
def test_prometheus_takes_the_scenarios_settings(name: str) -> None:
    prometheus = scenario(name).config["monitoring"]["prometheus"]
    spec = one(monitoring(name), "Prometheus")["spec"]
    assert spec["retention"] == prometheus["retention"]
    assert spec["enableRemoteWriteReceiver"] is prometheus["remote_write_receiver"]
    assert ("native-histograms" in spec.get("enableFeatures", [])) is prometheus[
        "native_histograms"
    ]


@pytest.mark.parametrize("name", AWS_SCENARIOS)
def test_prometheus_runs_on_the_monitoring_node_group(name: str) -> None:
    labels, tolerations = placement(name)
    spec = one(monitoring(name), "Prometheus")["spec"]
    assert spec["nodeSelector"] == labels
    assert spec["tolerations"] == tolerations


@pytest.mark.parametrize("name", AWS_SCENARIOS)
def test_prometheus_answers_on_node_port_30090(name: str) -> None:
    services = [
        o
        for o in monitoring(name)
        if o["kind"] == "Service"
        and o["spec"].get("selector", {}).get("app.kubernetes.io/name") == "prometheus"
    ]
    (service,) = services
    assert service["spec"]["type"] == "NodePort"
    web = next(p for p in service["spec"]["ports"] if p["port"] == 9090)
    assert web["nodePort"] == render_aws.PROMETHEUS_NODE_PORT == 30090


@pytest.mark.parametrize("name", AWS_SCENARIOS)
def test_every_pod_of_the_release_runs_on_the_monitoring_node_group(name: str) -> None:
    labels, tolerations = placement(name)
    found = workloads(monitoring(name))
    # The operator, and the install-time Jobs of its admission webhook's certificate.
    assert "Deployment/monitoring-kube-prometheus-operator" in found
    assert len(found) == 3
    for workload, obj in found.items():
        assert pod_spec(obj).get("nodeSelector") == labels, workload
        assert pod_spec(obj).get("tolerations") == tolerations, workload


@pytest.mark.parametrize("name", AWS_SCENARIOS)
def test_no_alertmanager_is_installed(name: str) -> None:
    assert not [o for o in monitoring(name) if o["kind"] == "Alertmanager"]


@pytest.mark.parametrize("name", AWS_SCENARIOS)
def test_kafka_ui_is_not_a_monitoring_value(name: str) -> None:
    assert "kafka-ui" not in render_aws.helm_values(scenario(name))["monitoring"]


# --- Kafka UI: Redpanda Console ----------------------------------------------------------------
# The console chart is not among the available charts, so its objects cannot be rendered here.
# Its values keys, read in redpanda-data/helm-charts at tag console-3.1.0,
# charts/console/values.yaml and values.schema.json (additionalProperties false at the top):
# key path → where the chart's templates put it (templates/_deployment.go.tpl,
# _configmap.go.tpl).
CONSOLE_3_1_0_KEYS = {
    ("image", "registry"): "container image, before the repository",
    ("image", "repository"): "container image",
    ("image", "tag"): "container image tag (default: the chart's appVersion v3.1.0)",
    ("config",): "written whole as the Console's config.yaml (ConfigMap, tpl-rendered)",
    ("nodeSelector",): "the Deployment's pod spec",
    ("tolerations",): "the Deployment's pod spec",
}


def key_paths(values: dict[str, Any], prefix: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    """Leaf paths, stopping at the chart's free-form maps (`config`, `nodeSelector`) and lists."""
    paths: set[tuple[str, ...]] = set()
    for key, value in values.items():
        path = (*prefix, key)
        if isinstance(value, dict) and path not in {("config",), ("nodeSelector",)}:
            paths |= key_paths(value, path)
        else:
            paths.add(path)
    return paths


@pytest.mark.parametrize("name", AWS_SCENARIOS)
def test_kafka_ui_values_are_keys_of_the_console_chart(name: str) -> None:
    values = render_aws.helm_values(scenario(name))["kafka-ui"]
    assert key_paths(values) <= set(CONSOLE_3_1_0_KEYS)
    entry = release_entry(name, "kafka-ui")
    assert entry["chart"] == {
        "repository": "https://charts.redpanda.com",
        "name": "console",
        "version": "3.1.0",
    }
    assert (entry["cluster"], entry["namespace"]) == ("switch", "monitoring")
    assert values["image"]["tag"] == "v3.1.0"


@pytest.mark.parametrize("name", AWS_SCENARIOS)
def test_kafka_ui_runs_on_the_monitoring_node_group(name: str) -> None:
    labels, tolerations = placement(name)
    values = render_aws.helm_values(scenario(name))["kafka-ui"]
    assert values["nodeSelector"] == labels
    assert values.get("tolerations", []) == tolerations


@pytest.mark.parametrize("name", AWS_SCENARIOS)
def test_kafka_ui_reads_the_backends_kafka_service(name: str) -> None:
    (service,) = [
        o
        for o in rendered(name, "backend")
        if o["kind"] == "Service" and o["metadata"]["name"] == kafka_ui.KAFKA_SERVICE
    ]
    port = next(p for p in service["spec"]["ports"] if p["name"] == "tcp-client")["port"]
    namespace = release_entry(name, "backend")["namespace"]
    brokers = render_aws.helm_values(scenario(name))["kafka-ui"]["config"]["kafka"]["brokers"]
    assert brokers == [f"{service['metadata']['name']}.{namespace}.svc.cluster.local:{port}"]
