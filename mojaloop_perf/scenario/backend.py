"""The `backend` component as typed, immutable objects: Kafka, MySQL, MongoDB and Redis.

What the mojaloop/example-mojaloop-backend chart runs for the switch: Kafka brokers with the
partitions of each measured topic, MySQL with its flags, and whether MongoDB and Redis run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from mojaloop_perf.scenario.decoding import Chart, Node, Resources, Toggle


@dataclass(frozen=True)
class Topic:
    partitions: int


@dataclass(frozen=True)
class Kafka:
    """Brokers, the replication factor of every topic, and partitions by topic name."""

    replicas: int
    replication_factor: int
    topics: Mapping[str, Topic]
    resources: Resources | None


@dataclass(frozen=True)
class Mysql:
    """1 replica: a single primary; more: a primary with replicas."""

    replicas: int
    max_connections: int
    innodb_buffer_pool_size: str  # e.g. "16G"
    resources: Resources | None


@dataclass(frozen=True)
class Redis:
    enabled: bool
    replicas: int


@dataclass(frozen=True)
class Backend:
    """The `backend` component."""

    chart: Chart
    kafka: Kafka
    mysql: Mysql
    mongodb: Toggle
    redis: Redis


def decode(config: Mapping[str, Any]) -> Backend:
    """The merged, schema-valid `backend` component as a `Backend`."""
    root = Node("backend", config, __name__)
    kafka, mysql = root.node("kafka"), root.node("mysql")
    topics = {name: topic.decode(Topic) for name, topic in kafka.node("topics").entries()}
    return root.decode(
        Backend,
        chart=root.node("chart").decode(Chart),
        kafka=kafka.decode(
            Kafka, topics=MappingProxyType(topics), resources=kafka.optional_mapping("resources")
        ),
        mysql=mysql.decode(Mysql, resources=mysql.optional_mapping("resources")),
        mongodb=root.node("mongodb").decode(Toggle),
        redis=root.node("redis").decode(Redis),
    )
