"""Values of grafana/k6-operator on the k6 cluster."""

from __future__ import annotations

from typing import Any

from mojaloop_perf.render_aws.placement import node_placement
from mojaloop_perf.scenario.model import Scenario

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
    Placement is top-level `nodeSelector`/`tolerations`: the chart's values.schema.json has no
    such keys under `manager` (additionalProperties false) and its templates/deployment.yaml
    puts the top-level ones on the controller-manager pod (grafana/k6-operator v1.6.0,
    charts/k6-operator).
    """
    return {
        "namespace": {"create": False},
        **node_placement(scenario.infrastructure.node_groups.k6),
    }
