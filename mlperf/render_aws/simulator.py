"""Values of mojaloop/mojaloop-simulator on each DFSP's cluster."""

from __future__ import annotations

from typing import Any

from mlperf.render_aws.placement import (
    resource_amounts,
)
from mlperf.render_aws.topology import aws_outbound_urls, dfsp_hostname
from mlperf.scenario.model import Scenario


def values(scenario: Scenario, dfsp_id: str) -> dict[str, Any]:
    """mojaloop/mojaloop-simulator on the DFSP's own cluster: one simulator named after it.

    Read (mojaloop/helm, mojaloop-simulator templates): the ingress of a simulator is
    `simulators.<name>.ingress.{enabled,hosts}` (merged over `defaults`); the top-level `ingress`
    holds only annotations and `ingressPathRewriteRegex`. Its paths are /sim/<name>/outbound,
    /inbound and /test; the rewrite strips the prefix before the SDK sees the path (nginx:
    rewrite-target /$2 with the regex (/|$)(.*)). Unverified keys: `simulators.<name>.config.
    schemeAdapter.{replicaCount,resources,env.DFSP_ID}` and `...backend.env.DFSP_ID`. The
    `mlperf` block is ours (the deploy and seed stages read it); Helm ignores it.
    """
    simulator = scenario.config["dfsp"]["simulator"]
    scheme_adapter: dict[str, Any] = {
        "replicaCount": simulator["sdk_replicas"],
        "env": {"DFSP_ID": dfsp_id},
    }
    if "resources" in simulator:
        scheme_adapter["resources"] = resource_amounts(simulator["resources"])
    return {
        "simulators": {
            dfsp_id: {
                "config": {
                    "schemeAdapter": scheme_adapter,
                    "backend": {"env": {"DFSP_ID": dfsp_id}},
                },
                "ingress": {"enabled": True, "hosts": [dfsp_hostname(dfsp_id)]},
            }
        },
        "ingress": {
            "ingressPathRewriteRegex": "(/|$)(.*)",
            "annotations": {"nginx.ingress.kubernetes.io/rewrite-target": "/$2"},
        },
        "mlperf": {
            "dfsp_id": dfsp_id,
            "role": scenario.dfsp(dfsp_id).role,
            "currency": scenario.currency,
            "hostname": dfsp_hostname(dfsp_id),
            "outbound_url": aws_outbound_urls(scenario)[dfsp_id],
            # The switch's address is the internal NLB's DNS name, known after terraform apply.
            "switch_endpoint": None,
        },
    }


def post_install(scenario: Scenario, dfsp_id: str) -> list[dict[str, Any]]:
    """Deployment patches for what the simulator chart cannot scale or size on its own."""
    return []
