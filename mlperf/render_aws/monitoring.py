"""Values of kube-prometheus-stack on the monitoring node."""

from __future__ import annotations

from typing import Any

from mlperf.render_aws.placement import (
    node_placement,
    resource_amounts,
)
from mlperf.render_aws.topology import PROMETHEUS_NODE_PORT, SWITCH_NAMESPACE, groups
from mlperf.scenario.model import Scenario

# The scenario does not pin it. Read: prometheus-community/helm-charts
# charts/kube-prometheus-stack/Chart.yaml (version 67.8.0, Prometheus Operator v0.79.2).
MONITORING_CHART = {
    "repository": "https://prometheus-community.github.io/helm-charts",
    "name": "kube-prometheus-stack",
    "version": "67.8.0",
}


def values(scenario: Scenario) -> dict[str, Any]:
    """kube-prometheus-stack on the monitoring node, plus a Kafka UI section.

    prometheus.prometheusSpec.{retention,enableRemoteWriteReceiver,enableFeatures} are the
    chart's keys for Prometheus' --storage.tsdb.retention.time, --web.enable-remote-write-receiver
    and --enable-feature. kube-prometheus-stack has no Kafka UI: `kafka-ui` is the values of a
    separate release (provectus kafka-ui chart) the deploy stage installs when enabled.
    """
    monitoring = scenario.config["monitoring"]
    prometheus = monitoring["prometheus"]
    group = groups(scenario)["monitoring"]
    spec: dict[str, Any] = {
        "retention": prometheus["retention"],
        "enableRemoteWriteReceiver": prometheus["remote_write_receiver"],
        "enableFeatures": ["native-histograms"] if prometheus["native_histograms"] else [],
        **node_placement(group),
    }
    if "resources" in prometheus:
        spec["resources"] = resource_amounts(prometheus["resources"])
    return {
        "prometheus": {
            "prometheusSpec": spec,
            # Reached from the k6 cluster (remote write) and the workspace (queries).
            "service": {"type": "NodePort", "nodePort": PROMETHEUS_NODE_PORT},
        },
        "grafana": {"enabled": monitoring["grafana"]["enabled"], **node_placement(group)},
        "prometheusOperator": node_placement(group),
        "kube-state-metrics": node_placement(group),
        # The node exporter runs on every node, whatever its taint.
        "prometheus-node-exporter": {"tolerations": [{"operator": "Exists"}]},
        "kafka-ui": {
            "enabled": monitoring["kafka_ui"]["enabled"],
            "yamlApplicationConfig": {
                "kafka": {
                    "clusters": [
                        {
                            "name": "mojaloop",
                            "bootstrapServers": f"kafka.{SWITCH_NAMESPACE}.svc.cluster.local:9092",
                        }
                    ]
                }
            },
            **node_placement(group),
        },
    }
