"""The Helm releases of the AWS target: values per release, and chart, cluster, namespace.

With the Istio ambient mesh (security.mesh), Istio's four releases come first (render_aws.istio).
"""

from __future__ import annotations

from typing import Any

from mojaloop_perf.render_aws import (
    backend,
    istio,
    k6,
    k6_operator,
    kafka_ui,
    mojaloop,
    monitoring,
    simulator,
)
from mojaloop_perf.render_aws.k6 import K6_CHART
from mojaloop_perf.render_aws.k6_operator import K6_OPERATOR_CHART
from mojaloop_perf.render_aws.kafka_ui import KAFKA_UI_CHART
from mojaloop_perf.render_aws.monitoring import MONITORING_CHART
from mojaloop_perf.render_aws.topology import (
    K6_CLUSTER,
    SWITCH_CLUSTER,
    SWITCH_NAMESPACE,
    dfsp_ids,
)
from mojaloop_perf.scenario.model import Scenario


def helm_values(scenario: Scenario) -> dict[str, dict[str, Any]]:
    """One values document per Helm release, keyed by release name."""
    values: dict[str, dict[str, Any]] = {
        **istio.values(scenario),
        "backend": backend.values(scenario),
        "mojaloop": mojaloop.values(scenario),
    }
    for dfsp_id in dfsp_ids(scenario):
        values[f"simulator-{dfsp_id}"] = simulator.values(scenario, dfsp_id)
    if scenario.monitoring.enabled:
        values["monitoring"] = monitoring.values(scenario)
    # Its own release (kube-prometheus-stack has no Kafka UI), on the monitoring node group.
    if scenario.monitoring.enabled and scenario.monitoring.kafka_ui.enabled:
        values["kafka-ui"] = kafka_ui.values(scenario)
    values["k6-operator"] = k6_operator.values(scenario)
    values["k6"] = k6.values(scenario)
    return values


def helm_releases(scenario: Scenario) -> list[dict[str, Any]]:
    """What the deploy stage installs: each release's chart, version, cluster and values file."""
    charts = {
        "backend": scenario.backend.chart.as_dict(),
        "mojaloop": scenario.mojaloop.chart.as_dict(),
        "simulator": scenario.simulator.chart.as_dict(),
        "monitoring": MONITORING_CHART,
        "kafka-ui": KAFKA_UI_CHART,
        "k6-operator": K6_OPERATOR_CHART,
        # Our chart, from this checkout: installed by the test stage, one TestRun per run.
        "k6": {"repository": None, "name": K6_CHART, "version": None},
        **{release: istio.chart(release) for release in istio.CHARTS},
    }
    releases = []
    for release in helm_values(scenario):
        if release.startswith("simulator-"):
            chart, cluster = charts["simulator"], release.removeprefix("simulator-")
        else:
            chart = charts[release]
            cluster = K6_CLUSTER if release.startswith("k6") else SWITCH_CLUSTER
        releases.append(
            {
                "release": release,
                "chart": dict(chart),
                "cluster": cluster,
                "namespace": _namespace(release, cluster),
                "values": f"helm/{release}.values.yaml",
            }
        )
    return releases


def _namespace(release: str, cluster: str) -> str:
    if release in ("monitoring", "kafka-ui"):
        return "monitoring"
    if release == "k6-operator":
        return "k6-operator-system"
    if release in istio.CHARTS:
        return istio.NAMESPACE
    return SWITCH_NAMESPACE if cluster == SWITCH_CLUSTER else release
