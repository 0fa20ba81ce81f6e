"""Values of grafana/k6-operator on the k6 cluster."""

from __future__ import annotations

from typing import Any

from mlperf.render_aws.placement import (
    node_placement,
)
from mlperf.render_aws.topology import groups
from mlperf.scenario.model import Scenario

# The scenario does not pin it: chart 4.6.0 is operator v1.6.0 (grafana/k6-operator, tag v1.6.0).
K6_OPERATOR_CHART = {
    "repository": "https://grafana.github.io/helm-charts",
    "name": "k6-operator",
    "version": "4.6.0",
}


def values(scenario: Scenario) -> dict[str, Any]:
    """grafana/k6-operator on the k6 cluster: the manager beside the runners (k6 node group).

    `namespace.create` false: the deploy stage creates the release namespace (helm
    --create-namespace), which the chart's own Namespace object would collide with.
    `manager.nodeSelector`/`manager.tolerations`: not verified against the chart's values.yaml.
    """
    group = groups(scenario)["k6"]
    values: dict[str, Any] = {"namespace": {"create": False}}
    if node_placement(group):
        values["manager"] = node_placement(group)
    return values
