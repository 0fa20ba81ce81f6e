"""Kubernetes snippets the chart values share: placement on a node group and resource amounts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def taint_tolerations(taints: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [
        {"key": t["key"], "operator": "Equal", "value": t["value"], "effect": t["effect"]}
        for t in taints
    ]


def node_placement(group: Mapping[str, Any]) -> dict[str, Any]:
    """nodeSelector on the group's labels and tolerations of its taints."""
    placement: dict[str, Any] = {}
    if group.get("labels"):
        placement["nodeSelector"] = dict(group["labels"])
    tolerations = taint_tolerations(group.get("taints", []))
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


def resource_amounts(resources: Mapping[str, Any]) -> dict[str, Any]:
    return {kind: dict(amounts) for kind, amounts in resources.items()}
