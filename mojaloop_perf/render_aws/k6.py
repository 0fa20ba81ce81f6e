"""Values of our chart performance-tests/src/mojaloop-k6-operator, and the runners' env."""

from __future__ import annotations

from typing import Any

from mojaloop_perf import k6, render
from mojaloop_perf.render_aws.placement import (
    resource_amounts,
    taint_tolerations,
)
from mojaloop_perf.render_aws.topology import aws_outbound_urls
from mojaloop_perf.scenario.model import Scenario

K6_CHART = "performance-tests/src/mojaloop-k6-operator"


def values(scenario: Scenario) -> dict[str, Any]:
    """Our chart performance-tests/src/mojaloop-k6-operator: a TestRun of the k6 script.

    The shape is the chart's values.schema.json (unknown keys fail there). `config` is the
    script's configuration as a structured object, which the chart checks against its schema
    and hands to the runners as MOJALOOP_PERF_CONFIG (`toJson`: same content as `k6_env`, which stays
    the canonical serialisation for other consumers).
    """
    load = scenario.load
    group = scenario.infrastructure.node_groups.k6
    runner: dict[str, Any] = {
        "image": load.runner.image,
        "resources": resource_amounts(load.runner.resources),
        "nodeSelector": dict(load.runner.node_selector or group.labels),
    }
    tolerations = taint_tolerations(group.taints)
    if tolerations:
        runner["tolerations"] = tolerations
    monitoring = scenario.monitoring
    return {
        "parallelism": load.parallelism,
        "separate": load.separate,
        # TestRun `cleanup: post`: the operator deletes the TestRun (and its runner pods) once
        # it is finished or error.
        "cleanup": False,  # keep runner pods: their exit codes say pass (0) or fail (99)
        "runner": runner,
        # k6 → Prometheus remote write; the server URL (the monitoring node across clusters)
        # is known after terraform apply.
        "prometheusRemoteWrite": {
            "enabled": monitoring.enabled and monitoring.prometheus.remote_write_receiver,
            "trendAsNativeHistogram": monitoring.prometheus.native_histograms,
            "serverUrl": None,
        },
        "extraArguments": [],
        "config": render.k6_config(scenario, aws_outbound_urls(scenario)),
    }


def k6_env(scenario: Scenario) -> dict[str, str]:
    """The k6 runners' environment: MOJALOOP_PERF_CONFIG, serialised as the local target does."""
    config = render.k6_config(scenario, aws_outbound_urls(scenario))
    return {"MOJALOOP_PERF_CONFIG": k6.config_env(config)}
