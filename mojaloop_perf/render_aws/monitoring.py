"""Values of kube-prometheus-stack on the monitoring node."""

from __future__ import annotations

from typing import Any

from mojaloop_perf.render_aws.placement import node_placement, resource_amounts
from mojaloop_perf.render_aws.topology import PROMETHEUS_NODE_PORT
from mojaloop_perf.scenario.model import Scenario

# The scenario does not pin it. Read: prometheus-community/helm-charts
# charts/kube-prometheus-stack/Chart.yaml (version 67.8.0, Prometheus Operator v0.79.2).
MONITORING_CHART = {
    "repository": "https://prometheus-community.github.io/helm-charts",
    "name": "kube-prometheus-stack",
    "version": "67.8.0",
}


def values(scenario: Scenario) -> dict[str, Any]:
    """kube-prometheus-stack: every pod of the release on the monitoring node group.

    prometheus.prometheusSpec.{retention,enableRemoteWriteReceiver,enableFeatures} are the
    chart's keys for Prometheus' --storage.tsdb.retention.time, --web.enable-remote-write-receiver
    and --enable-feature. Kafka UI is a release of its own (`kafka_ui`).
    """
    monitoring = scenario.monitoring
    prometheus = monitoring.prometheus
    group = scenario.infrastructure.node_groups.monitoring
    spec: dict[str, Any] = {
        "retention": prometheus.retention,
        "enableRemoteWriteReceiver": prometheus.remote_write_receiver,
        "enableFeatures": ["native-histograms"] if prometheus.native_histograms else [],
        **node_placement(group),
    }
    if prometheus.resources is not None:
        spec["resources"] = resource_amounts(prometheus.resources)
    return {
        "prometheus": {
            "prometheusSpec": spec,
            # Reached from the k6 cluster (remote write) and the workspace (queries).
            "service": {"type": "NodePort", "nodePort": PROMETHEUS_NODE_PORT},
        },
        # Nothing here routes alerts; on by default, it would land unplaced on the generic nodes.
        "alertmanager": {"enabled": False},
        "prometheusOperator": {
            **node_placement(group),
            # The install-time Jobs that create and patch the operator's webhook certificate.
            "admissionWebhooks": {"patch": node_placement(group)},
        },
        # Sub-charts (grafana/grafana, prometheus-community kube-state-metrics): their own
        # top-level nodeSelector/tolerations.
        "grafana": {"enabled": monitoring.grafana.enabled, **node_placement(group)},
        "kube-state-metrics": node_placement(group),
        # The node exporter runs on every node, whatever its taint.
        "prometheus-node-exporter": {"tolerations": [{"operator": "Exists"}]},
    }
