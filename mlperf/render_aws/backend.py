"""Values of mojaloop/example-mojaloop-backend: Kafka, MySQL, MongoDB and Redis."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mlperf.errors import UserError
from mlperf.render_aws.placement import (
    node_placement,
    resource_amounts,
)
from mlperf.render_aws.topology import groups
from mlperf.scenario.model import Scenario

# Every topic mojaloop/example-mojaloop-backend provisions (its values.yaml, chart line 17.0.x,
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
# Backend sub-releases the scenario's toggles switch (same values.yaml): MongoDB (the ledger's
# object store and the testing toolkit's) and the Redis instances.
BACKEND_MONGODB = ("cl-mongodb", "ttk-mongodb")
BACKEND_REDIS_STANDALONE = ("ttksims-redis", "auth-svc-redis")


def values(scenario: Scenario) -> dict[str, Any]:
    """mojaloop/example-mojaloop-backend: Bitnami Kafka, MySQL, MongoDB and Redis sub-charts.

    The chart provisions the topics itself (`kafka.provisioning.topics`, a Job of the Bitnami
    Kafka chart), so partitions and replication factor go there. Keys under kafka/mysql/redis
    below `enabled`/`provisioning` are the Bitnami charts' (controller/broker, primary/secondary,
    extraFlags, architecture, cluster.*): standard for those charts, not re-read here.
    """
    backend = scenario.config["backend"]
    node_groups = groups(scenario)
    kafka, mysql, redis = backend["kafka"], backend["mysql"], backend["redis"]
    factor = kafka["replication_factor"]
    partitions = {name: entry["partitions"] for name, entry in kafka["topics"].items()}
    topics = [*BACKEND_TOPICS, *sorted(set(partitions) - set(BACKEND_TOPICS))]

    # KRaft: every controller node also acts as a broker (the chart's combined mode), so the
    # controller count is the broker count; no broker-only nodes.
    controller: dict[str, Any] = {
        "replicaCount": kafka["replicas"],
        **node_placement(node_groups["kafka"]),
    }
    if "resources" in kafka:
        controller["resources"] = resource_amounts(kafka["resources"])
    flags = (
        f"--max-connections={mysql['max_connections']} "
        f"--innodb-buffer-pool-size={mysql['innodb_buffer_pool_size']}"
    )
    primary: dict[str, Any] = {"extraFlags": flags, **node_placement(node_groups["mysql"])}
    if "resources" in mysql:
        primary["resources"] = resource_amounts(mysql["resources"])
    mysql_values: dict[str, Any] = {
        "enabled": True,
        "architecture": "replication" if mysql["replicas"] > 1 else "standalone",
        "primary": primary,
    }
    if mysql["replicas"] > 1:
        secondary = {"replicaCount": mysql["replicas"] - 1, **node_placement(node_groups["mysql"])}
        secondary["extraFlags"] = flags
        if "resources" in mysql:
            secondary["resources"] = resource_amounts(mysql["resources"])
        mysql_values["secondary"] = secondary

    values: dict[str, Any] = {
        "kafka": {
            "enabled": True,
            "controller": controller,
            "broker": {"replicaCount": 0, **node_placement(node_groups["kafka"])},
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
                **node_placement(node_groups["kafka"]),
            },
        },
        "mysql": mysql_values,
    }
    for name in BACKEND_MONGODB:
        values[name] = {"enabled": backend["mongodb"]["enabled"]}
    for name in BACKEND_REDIS_STANDALONE:
        values[name] = {"enabled": redis["enabled"]}
    values.update(proxy_cache_redis(redis))
    return values


def proxy_cache_redis(redis: Mapping[str, Any]) -> dict[str, Any]:
    """One Redis node: the chart's standalone variant; more: its Redis Cluster of that many nodes."""
    nodes = redis["replicas"]
    if not redis["enabled"]:
        return {
            "proxy-cache-redis": {"enabled": False},
            "proxy-cache-redis-standalone": {"enabled": False},
        }
    if nodes == 1:
        return {
            "proxy-cache-redis": {"enabled": False},
            "proxy-cache-redis-standalone": {"enabled": True},
        }
    if nodes < 3:
        raise UserError(
            f"backend: redis.replicas: {nodes}: a Redis Cluster needs at least 3 nodes (or use 1)"
        )
    # Six or more nodes leave room for one replica per master (the chart's default layout).
    per_master = 1 if nodes >= 6 and nodes % 2 == 0 else 0
    return {
        "proxy-cache-redis": {"enabled": True, "cluster": {"nodes": nodes, "replicas": per_master}},
        "proxy-cache-redis-standalone": {"enabled": False},
    }
