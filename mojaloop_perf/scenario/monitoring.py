"""The `monitoring` component as typed, immutable objects: Prometheus, Grafana and Kafka UI."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mojaloop_perf.scenario.decoding import Node, Resources, Toggle


@dataclass(frozen=True)
class Prometheus:
    """Retention (e.g. "15d"), k6's remote write and its trends as native histograms."""

    retention: str
    remote_write_receiver: bool
    native_histograms: bool
    resources: Resources | None


@dataclass(frozen=True)
class Monitoring:
    """The `monitoring` component; `enabled` false installs none of it."""

    enabled: bool
    prometheus: Prometheus
    grafana: Toggle
    kafka_ui: Toggle


def decode(config: Mapping[str, Any]) -> Monitoring:
    """The merged, schema-valid `monitoring` component as a `Monitoring`."""
    root = Node("monitoring", config, __name__)
    prometheus = root.node("prometheus")
    return root.decode(
        Monitoring,
        prometheus=prometheus.decode(
            Prometheus, resources=prometheus.optional_mapping("resources")
        ),
        grafana=root.node("grafana").decode(Toggle),
        kafka_ui=root.node("kafka_ui").decode(Toggle),
    )
