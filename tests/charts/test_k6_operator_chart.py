"""The k6-operator release and our TestRun, rendered with the real chart and checked against the
operator's own CRD (grafana/k6-operator v1.6.0, chart 4.6.0: the exact pinned version).

Chart: grafana/k6-operator charts/k6-operator (values.schema.json, templates/deployment.yaml).
CRD: grafana/k6-operator config/crd/bases/k6.io_testruns.yaml.
"""

from __future__ import annotations

import copy
from typing import Any

import jsonschema
import pytest
import yaml

from mojaloop_perf import helm_chart, render_aws, upstream_charts
from mojaloop_perf.render_aws import k6_operator
from mojaloop_perf.render_aws.placement import taint_tolerations
from mojaloop_perf.scenario.model import Scenario
from tests.charts.conftest import (
    AWS_SCENARIOS,
    ROOT,
    pod_spec,
    release_entry,
    rendered,
    scenario,
    upstream,
    workloads,
)

MANAGER = "Deployment/k6-operator-controller-manager"
TAINT = {"key": "dedicated", "value": "k6", "effect": "NoSchedule"}


def k6_group(name: str) -> dict[str, Any]:
    return scenario(name).config["infrastructure"]["node_groups"]["k6"]


def with_tainted_k6_group(name: str) -> Scenario:
    """The scenario with a taint on its k6 node group (the shipped ones have none)."""
    config = copy.deepcopy(dict(scenario(name).config))
    config["infrastructure"]["node_groups"]["k6"]["taints"] = [TAINT]
    return scenario(name).with_config(config)


# --- the operator's release --------------------------------------------------------------------


@pytest.mark.parametrize("name", AWS_SCENARIOS)
def test_manager_runs_on_the_k6_node_group(name: str) -> None:
    # Rendering at all means the values passed the chart's values.schema.json, which rejected
    # the former `manager.nodeSelector`.
    manager = pod_spec(workloads(rendered(name, "k6-operator"))[MANAGER])
    group = k6_group(name)
    assert manager["nodeSelector"] == group["labels"]
    assert manager.get("tolerations", []) == taint_tolerations(group.get("taints", []))


def test_manager_tolerates_the_k6_node_groups_taints() -> None:
    tainted = with_tainted_k6_group("1000tps")
    objects = helm_chart.render(
        upstream("1000tps", "k6-operator").chart_dir,
        k6_operator.values(tainted),
        release="k6-operator",
        namespace=release_entry("1000tps", "k6-operator")["namespace"],
    )
    manager = pod_spec(workloads(objects)[MANAGER])
    assert manager["tolerations"] == [{"operator": "Equal", **TAINT}]
    assert manager["nodeSelector"] == {"node-role": "k6"}


@pytest.mark.parametrize("name", AWS_SCENARIOS)
def test_the_release_creates_no_namespace_of_its_own(name: str) -> None:
    # The deploy stage creates it (helm --create-namespace); the chart's own would collide.
    assert not [o for o in rendered(name, "k6-operator") if o["kind"] == "Namespace"]


# --- our TestRun against the operator's CRD ---------------------------------------------------


def crd_schema() -> dict[str, Any]:
    crd = yaml.safe_load((upstream_charts.root(ROOT) / upstream_charts.TESTRUN_CRD).read_text())
    (version,) = [v for v in crd["spec"]["versions"] if v["name"] == "v1alpha1"]
    return version["schema"]["openAPIV3Schema"]


def rendered_testrun(name: str, server_url: str | None = None) -> dict[str, Any]:
    """Our chart's TestRun with the values `render` writes (and, optionally, the remote-write
    URL that deploy binds after terraform apply)."""
    values = copy.deepcopy(render_aws.helm_values(scenario(name))["k6"])
    if server_url:
        values["prometheusRemoteWrite"]["serverUrl"] = server_url
    entry = release_entry(name, "k6")
    objects = helm_chart.render(
        ROOT / render_aws.K6_CHART, values, release="k6", namespace=entry["namespace"]
    )
    (found,) = [o for o in objects if o["kind"] == "TestRun"]
    return found


def pruned_fields(value: Any, schema: dict[str, Any], path: str = "") -> list[str]:
    """Fields the API server would drop from `value` under a structural schema: keys that are
    neither a listed property nor covered by additionalProperties, below any node that does not
    set x-kubernetes-preserve-unknown-fields."""
    if schema.get("x-kubernetes-preserve-unknown-fields"):
        return []
    found: list[str] = []
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        additional = schema.get("additionalProperties")
        for key, item in value.items():
            if key in properties:
                found += pruned_fields(item, properties[key], f"{path}.{key}")
            elif isinstance(additional, dict):
                found += pruned_fields(item, additional, f"{path}.{key}")
            else:
                found.append(f"{path}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found += pruned_fields(item, schema.get("items", {}), f"{path}[{i}]")
    return found


def test_pruning_check_finds_an_unknown_field() -> None:
    schema = crd_schema()
    assert pruned_fields({"spec": {"runner": {"nodeSelectr": {}}}}, schema) == [
        ".spec.runner.nodeSelectr"
    ]


@pytest.mark.parametrize("name", AWS_SCENARIOS)
@pytest.mark.parametrize("server_url", [None, "http://10.20.16.5:30090/api/v1/write"])
def test_testrun_is_valid_under_the_operators_crd(name: str, server_url: str | None) -> None:
    run = rendered_testrun(name, server_url)
    schema = crd_schema()
    jsonschema.Draft7Validator(schema).validate(run)
    # ObjectMeta is the API server's own type, never pruned: the CRD lists no fields for it.
    body = {key: value for key, value in run.items() if key != "metadata"}
    assert pruned_fields(body, schema) == []


@pytest.mark.parametrize("name", AWS_SCENARIOS)
def test_testrun_carries_the_scenarios_load_generator(name: str) -> None:
    k6 = scenario(name).config["k6"]
    group = k6_group(name)
    spec = rendered_testrun(name)["spec"]
    runner = spec["runner"]
    assert spec["parallelism"] == k6["parallelism"]
    assert runner["image"] == k6["runner"]["image"]
    assert runner["resources"] == k6["runner"]["resources"]
    assert runner["nodeSelector"] == (k6["runner"].get("node_selector") or group["labels"])
    assert runner.get("tolerations", []) == taint_tolerations(group.get("taints", []))


def test_testrun_runners_tolerate_the_k6_node_groups_taints() -> None:
    tainted = with_tainted_k6_group("1000tps")
    values = render_aws.helm_values(tainted)["k6"]
    objects = helm_chart.render(ROOT / render_aws.K6_CHART, values, release="k6", namespace="k6")
    (run,) = [o for o in objects if o["kind"] == "TestRun"]
    assert run["spec"]["runner"]["tolerations"] == [{"operator": "Equal", **TAINT}]


def test_testrun_writes_to_prometheus_once_its_address_is_bound() -> None:
    url = "http://10.20.16.5:30090/api/v1/write"
    unbound, bound = rendered_testrun("1000tps"), rendered_testrun("1000tps", url)
    assert "arguments" not in unbound["spec"]
    assert bound["spec"]["arguments"] == "--out experimental-prometheus-rw"
    env = {e["name"]: e.get("value") for e in bound["spec"]["runner"]["env"]}
    assert env["K6_PROMETHEUS_RW_SERVER_URL"] == url
    assert env["K6_PROMETHEUS_RW_TREND_AS_NATIVE_HISTOGRAM"] == "true"
