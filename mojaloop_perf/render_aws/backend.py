"""Values of mojaloop/example-mojaloop-backend: Kafka, MySQL, MongoDB and Redis."""

from __future__ import annotations

from typing import Any

from mojaloop_perf.errors import UserError
from mojaloop_perf.render_aws.placement import node_placement, resource_amounts
from mojaloop_perf.scenario.backend import Kafka, Mysql, Redis
from mojaloop_perf.scenario.decoding import Resources
from mojaloop_perf.scenario.infrastructure import NodeGroup
from mojaloop_perf.scenario.model import Scenario

# Every topic mojaloop/example-mojaloop-backend provisions (its values.yaml, chart line 17.x,
# `kafka.provisioning.topics`, the Bitnami Kafka chart's topic provisioning job). Helm replaces
# lists whole, so the rendered list must carry all of them, not only the scenario's six.
BACKEND_TOPICS = (
    "topic-transfer-prepare",
    "topic-transfer-position",
    "topic-transfer-position-batch",
    "topic-transfer-fulfil",
    "topic-notification-event",
    "topic-transfer-get",
    "topic-admin-transfer",
    "topic-quotes-post",
    "topic-quotes-put",
    "topic-quotes-get",
    "topic-bulkquotes-post",
    "topic-bulkquotes-put",
    "topic-bulkquotes-get",
    "topic-bulk-prepare",
    "topic-bulk-fulfil",
    "topic-bulk-processing",
    "topic-bulk-get",
    "topic-fx-quotes-post",
    "topic-fx-quotes-put",
    "topic-fx-quotes-get",
)
# Backend sub-releases for components the AWS target does not install (the testing toolkit's
# MongoDB and Redis, the third-party auth service's Redis): always off.
UNUSED = ("ttk-mongodb", "ttksims-redis", "auth-svc-redis")

# Bitnami stopped publishing versioned images to docker.io/bitnami (August 2025); they remain
# under docker.io/bitnamilegacy. The image of each Bitnami sub-chart that runs, pinned to that
# chart's default tag (bitnami/charts: kafka 31.5.0, mysql 14.0.3, mongodb 17.0.2, redis 20.11.4,
# redis-cluster 10.2.8 — the sub-charts of example-mojaloop-backend 17.2.0; their Chart.yaml
# `images` annotations list the same tags). The sub-charts' optional containers (metrics,
# volume permissions, sysctl) stay off, so their images are not set.
BACKEND_IMAGES: dict[str, tuple[str, str]] = {
    "kafka": ("kafka", "3.9.0-debian-12-r12"),
    "mysql": ("mysql", "9.4.0-debian-12-r1"),
    "cl-mongodb": ("mongodb", "8.0.13-debian-12-r0"),
    "proxy-cache-redis": ("redis-cluster", "7.2.5-debian-12-r3"),
    "proxy-cache-redis-standalone": ("redis", "7.4.2-debian-12-r6"),
}
# The Kafka chart's JMX exporter (kafka 31.5.0 default tag), run when monitoring is on.
JMX_EXPORTER_IMAGE = ("jmx-exporter", "1.1.0-debian-12-r7")
MONITORING_RELEASE = "monitoring"
IMAGE_REGISTRY = "docker.io"
IMAGE_NAMESPACE = "bitnamilegacy"


def values(scenario: Scenario) -> dict[str, Any]:
    """mojaloop/example-mojaloop-backend: Bitnami Kafka, MySQL, MongoDB and Redis sub-charts.

    The chart provisions the topics itself (`kafka.provisioning.topics`, a Job of the Bitnami
    Kafka chart), so partitions and replication factor go there. Kafka and its provisioning Job
    run on the kafka node group; MySQL, MongoDB and Redis on the mysql node group, so that
    nothing of the backend lands on the generic nodes beside the measured services.
    """
    backend = scenario.backend
    node_groups = scenario.infrastructure.node_groups
    kafka_group, data_group = node_groups.kafka, node_groups.mysql

    values: dict[str, Any] = {
        # The Bitnami charts refuse images outside docker.io/bitnami unless told (their
        # common.errors.insecureImages, called from each sub-chart's NOTES.txt).
        "global": {"security": {"allowInsecureImages": True}},
        "kafka": _kafka(backend.kafka, kafka_group, scenario.monitoring.enabled),
        "mysql": _mysql(backend.mysql, data_group),
    }
    values["cl-mongodb"] = {"enabled": False}
    if backend.mongodb.enabled:
        # MongoDB's standalone Deployment reads the top-level nodeSelector/tolerations.
        values["cl-mongodb"] = {"enabled": True, **node_placement(data_group)}
    values.update({name: {"enabled": False} for name in UNUSED})
    values.update(proxy_cache_redis(backend.redis, data_group))
    for name, (image, tag) in BACKEND_IMAGES.items():
        if values[name]["enabled"]:
            values[name]["image"] = {
                "registry": IMAGE_REGISTRY,
                "repository": f"{IMAGE_NAMESPACE}/{image}",
                "tag": tag,
            }
    return values


def _kafka(kafka: Kafka, group: NodeGroup, monitored: bool) -> dict[str, Any]:
    factor = kafka.replication_factor
    partitions = {name: topic.partitions for name, topic in kafka.topics.items()}
    topics = [*BACKEND_TOPICS, *sorted(set(partitions) - set(BACKEND_TOPICS))]
    # KRaft: every controller node also acts as a broker (the chart's combined mode), so the
    # controller count is the broker count; no broker-only nodes.
    controller: dict[str, Any] = {"replicaCount": kafka.replicas, **node_placement(group)}
    controller.update(_resources(kafka.resources))
    values: dict[str, Any] = {
        "enabled": True,
        "controller": controller,
        "broker": {"replicaCount": 0},
        "extraConfig": "\n".join(
            f"{key}={factor}"
            for key in (
                "offsets.topic.replication.factor",
                "default.replication.factor",
                "transaction.state.log.replication.factor",
            )
        ),
        "provisioning": {
            "enabled": True,
            "topics": [
                {
                    "name": name,
                    "partitions": partitions.get(name, 1),
                    "replicationFactor": factor,
                }
                for name in topics
            ],
            **node_placement(group),
        },
    }
    if monitored:
        values["metrics"] = _kafka_metrics()
    return values


def _kafka_metrics() -> dict[str, Any]:
    """The JMX exporter beside each broker, scraped by the monitoring release's Prometheus.

    The AWS validity gate reads the brokers' per-topic message counts
    (`kafka_server_brokertopicmetrics_messagesinpersec_count{topic}`: the Kafka chart's JMX rule
    `kafka.server<type=(.+), name=(.+), topic=(.+)><>(Count|OneMinuteRate)`, lower-cased).
    kube-prometheus-stack selects ServiceMonitors labelled `release: <its release>`.
    """
    image, tag = JMX_EXPORTER_IMAGE
    return {
        "jmx": {
            "enabled": True,
            "image": {
                "registry": IMAGE_REGISTRY,
                "repository": f"{IMAGE_NAMESPACE}/{image}",
                "tag": tag,
            },
        },
        "serviceMonitor": {"enabled": True, "labels": {"release": MONITORING_RELEASE}},
    }


def _mysql(mysql: Mysql, group: NodeGroup) -> dict[str, Any]:
    flags = (
        f"--max-connections={mysql.max_connections} "
        f"--innodb-buffer-pool-size={mysql.innodb_buffer_pool_size}"
    )

    def node() -> dict[str, Any]:
        # Fresh objects per node: shared ones would dump as YAML anchors and aliases.
        return {"extraFlags": flags, **node_placement(group), **_resources(mysql.resources)}

    values: dict[str, Any] = {
        "enabled": True,
        "architecture": "replication" if mysql.replicas > 1 else "standalone",
        "primary": node(),
    }
    if mysql.replicas > 1:
        values["secondary"] = {"replicaCount": mysql.replicas - 1, **node()}
    return values


def _resources(resources: Resources | None) -> dict[str, Any]:
    """The scenario's resources; without them none at all, not the Bitnami preset.

    The presets are small limits (MySQL's "small": 768Mi of memory, below any InnoDB buffer
    pool the scenario sets); the data stores have their node group to themselves.
    """
    if resources is not None:
        return {"resources": resource_amounts(resources)}
    return {"resourcesPreset": "none"}


def proxy_cache_redis(redis: Redis, group: NodeGroup) -> dict[str, Any]:
    """One Redis node: the chart's standalone variant; more: its Redis Cluster of that many nodes."""
    nodes = redis.replicas
    if not redis.enabled:
        return {
            "proxy-cache-redis": {"enabled": False},
            "proxy-cache-redis-standalone": {"enabled": False},
        }
    if nodes == 1:
        return {
            "proxy-cache-redis": {"enabled": False},
            "proxy-cache-redis-standalone": {"enabled": True, "master": node_placement(group)},
        }
    if nodes < 3:
        raise UserError(
            f"backend: redis.replicas: {nodes}: a Redis Cluster needs at least 3 nodes (or use 1)"
        )
    # Six or more nodes leave room for one replica per master (the chart's default layout).
    per_master = 1 if nodes >= 6 and nodes % 2 == 0 else 0
    return {
        "proxy-cache-redis": {
            "enabled": True,
            "cluster": {"nodes": nodes, "replicas": per_master},
            # The cluster's StatefulSet and its post-upgrade update Job.
            "redis": node_placement(group),
            "updateJob": node_placement(group),
        },
        "proxy-cache-redis-standalone": {"enabled": False},
    }
