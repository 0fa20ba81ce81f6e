"""Kubernetes snippets the chart values share: placement on a node group and resource amounts."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from mojaloop_perf.scenario.decoding import Resources
from mojaloop_perf.scenario.infrastructure import NodeGroup, Taint


def taint_tolerations(taints: Iterable[Taint]) -> list[dict[str, Any]]:
    return [
        {"key": t.key, "operator": "Equal", "value": t.value, "effect": t.effect} for t in taints
    ]


def node_placement(group: NodeGroup) -> dict[str, Any]:
    """nodeSelector on the group's labels and tolerations of its taints."""
    placement: dict[str, Any] = {}
    if group.labels:
        placement["nodeSelector"] = dict(group.labels)
    tolerations = taint_tolerations(group.taints)
    if tolerations:
        placement["tolerations"] = tolerations
    return placement


def required_affinity(labels: Mapping[str, str]) -> dict[str, Any]:
    if not labels:
        return {}
    return {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [
                    {
                        "matchExpressions": [
                            {"key": key, "operator": "In", "values": [value]}
                            for key, value in labels.items()
                        ]
                    }
                ]
            }
        }
    }


def resource_amounts(resources: Resources) -> dict[str, Any]:
    return {kind: dict(amounts) for kind, amounts in resources.items()}
