"""The `mojaloop` component as typed, immutable objects: the switch's chart and services.

Each service has its replicas and, when set, its Kubernetes resources and a `config` that
replaces its whole default config file (/opt/app/config/default.json): both free-form, kept as
read-only mappings for the render.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal

from mojaloop_perf.scenario.decoding import Chart, Node, Resources

LogLevel = Literal["error", "warn", "info", "verbose", "debug", "silly"]


@dataclass(frozen=True)
class Service:
    """One switch service: pod replicas, and resources and a whole config file when set."""

    replicas: int
    resources: Resources | None
    config: Mapping[str, Any] | None


@dataclass(frozen=True)
class Switch:
    """The `mojaloop` component: the umbrella chart, the log level, the services by name."""

    chart: Chart
    log_level: LogLevel
    services: Mapping[str, Service]


def decode(config: Mapping[str, Any]) -> Switch:
    """The merged, schema-valid `mojaloop` component as a `Switch`."""
    root = Node("mojaloop", config, __name__)
    services = {
        name: service.decode(
            Service,
            resources=service.optional_mapping("resources"),
            config=service.optional_mapping("config"),
        )
        for name, service in root.node("services").entries()
    }
    return root.decode(
        Switch, chart=root.node("chart").decode(Chart), services=MappingProxyType(services)
    )
