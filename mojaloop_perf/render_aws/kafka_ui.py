"""Values of the Kafka UI release: Redpanda Console on the monitoring node, reading the backend's Kafka.

The Mojaloop core test harness runs the same UI beside its Kafka (mojaloop/ml-core-test-harness
docker-compose.yml, service `kafka-debug-ui`: image docker.redpanda.com/redpandadata/console,
tag `latest` in its .env, given the brokers as KAFKA_BROKERS). Here it is a Helm release of
Redpanda's own chart, pinned with its image.
"""

from __future__ import annotations

from typing import Any

from mojaloop_perf.render_aws.placement import node_placement
from mojaloop_perf.render_aws.topology import SWITCH_NAMESPACE
from mojaloop_perf.scenario.model import Scenario

# redpanda-data/helm-charts, tag console-3.1.0: charts/console/Chart.yaml (version 3.1.0,
# appVersion v3.1.0); published at https://charts.redpanda.com. The image tag is pinned to the
# appVersion rather than left to the chart's empty default.
KAFKA_UI_CHART = {
    "repository": "https://charts.redpanda.com",
    "name": "console",
    "version": "3.1.0",
}
KAFKA_UI_IMAGE = {
    "registry": "docker.redpanda.com",
    "repository": "redpandadata/console",
    "tag": "v3.1.0",
}
# The backend's Kafka bootstrap Service: example-mojaloop-backend sets the Bitnami Kafka chart's
# fullnameOverride "kafka", whose client Service listens on 9092 (tcp-client).
KAFKA_SERVICE = "kafka"
KAFKA_CLIENT_PORT = 9092
KAFKA_BOOTSTRAP = f"{KAFKA_SERVICE}.{SWITCH_NAMESPACE}.svc.cluster.local:{KAFKA_CLIENT_PORT}"
# The Console's HTTP port: the chart's Service port (service.port, default 8080).
KAFKA_UI_PORT = 8080


def values(scenario: Scenario) -> dict[str, Any]:
    """redpanda-data console chart: image, brokers (its `config`: Console's config.yaml) and
    placement on the monitoring node group (top-level nodeSelector/tolerations)."""
    return {
        "image": dict(KAFKA_UI_IMAGE),
        "config": {"kafka": {"brokers": [KAFKA_BOOTSTRAP]}},
        **node_placement(scenario.infrastructure.node_groups.monitoring),
    }
