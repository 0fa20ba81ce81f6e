"""Values of mojaloop/mojaloop-simulator on each DFSP's cluster, and its post-install patch.

Read (mojaloop/helm mojaloop-simulator templates/{deployment,ingress,service}.yaml, values.yaml):
- a simulator is `simulators.<name>`, merged over `defaults`; its Deployments are named
  `<release>-sim-<name>-{scheme-adapter,backend,cache}` (the `prefix` helper's default);
- `simulators.<name>.replicaCount` scales all three Deployments together, so the scheme adapter's
  own replica count is a post-install patch (`post_install`);
- `config.schemeAdapter.{env,resources,image}`, `config.backend.image` and `config.cache.image`
  are read by the scheme adapter, backend and cache containers; every `config.schemeAdapter.env`
  entry becomes an env var of the scheme adapter;
- placement is `simulators.<name>.{nodeSelector,tolerations}` (the simulator level, not
  `config`), applied to every Deployment;
- the ingress is `simulators.<name>.ingress.{enabled,hosts}` with paths /sim/<name>/{outbound,
  inbound,sdktest,test}; the top-level `ingress` holds the annotations and the path suffix
  regex: nginx's rewrite-target /$2 with (/|$)(.*) strips the prefix before the SDK sees it.

The switch: the scheme adapter calls account lookup, quotes and transfers by the switch ingress'
host names (its nginx routes on Host), which each DFSP cluster's CoreDNS resolves to the internal
NLB in front of the switch's ingress (`switch_hosts`; the dfsp_hosts Ansible role, once
`bind.bind_addresses` knows the NLB's name). The security posture's env and Secrets
(`render_aws.security.scheme_adapter_values`) are merged into `config.schemeAdapter`.
"""

from __future__ import annotations

from typing import Any

from mojaloop_perf.render_aws.patches import patch
from mojaloop_perf.render_aws.placement import node_placement, resource_amounts
from mojaloop_perf.render_aws.topology import dfsp_hostname
from mojaloop_perf.scenario.model import Scenario

# The switch ingress' host names: mojaloop/helm values.yaml `ingress.hostname` of
# account-lookup-service/chart-service, quoting-service/chart-service and
# ml-api-adapter/chart-service, each with ingress enabled and path / (umbrella 16.0.0; the 17.x
# quoting-service/chart-service/values.yaml has the same host).
ALS_HOST = "account-lookup-service.local"
QUOTES_HOST = "quoting-service.local"
TRANSFERS_HOST = "ml-api-adapter.local"
# The SDK's switch endpoints (mojaloop/sdk-scheme-adapter modules/api-svc/src/config.js): host
# names without scheme: the SDK prefixes https when OUTBOUND_MUTUAL_TLS_ENABLED is set (a TLS
# posture), http otherwise. PEER_ENDPOINT is required and serves every resource without an
# endpoint of its own (bulk, transaction requests, FX), none of which the load sends.
SWITCH_ENDPOINTS: dict[str, str] = {
    "PEER_ENDPOINT": TRANSFERS_HOST,
    "ALS_ENDPOINT": ALS_HOST,
    "QUOTES_ENDPOINT": QUOTES_HOST,
    "TRANSFERS_ENDPOINT": TRANSFERS_HOST,
}
# Images on Docker Hub, pinned here rather than left to the chart's defaults (which the pinned
# chart version may change): the sdk-scheme-adapter the published campaign ran (its
# values-perffsp*.yaml), the simulator backend and Redis of the chart's defaults.
IMAGES: dict[str, dict[str, str]] = {
    "schemeAdapter": {"repository": "mojaloop/sdk-scheme-adapter", "tag": "v24.6.3"},
    "backend": {"repository": "mojaloop/mojaloop-simulator", "tag": "v15.3.0"},
    "cache": {"repository": "redis", "tag": "5.0.4-alpine"},
}


def release_name(dfsp_id: str) -> str:
    return f"simulator-{dfsp_id}"


def scheme_adapter_deployment(dfsp_id: str) -> str:
    """The scheme adapter Deployment's name as the chart renders it (release prefix + sim-)."""
    return f"{release_name(dfsp_id)}-sim-{dfsp_id}-scheme-adapter"


def switch_hosts() -> list[str]:
    """The switch host names the DFSP clusters must resolve to the switch's NLB."""
    return sorted(set(SWITCH_ENDPOINTS.values()))


def values(scenario: Scenario, dfsp_id: str) -> dict[str, Any]:
    """mojaloop/mojaloop-simulator on the DFSP's own cluster: one simulator named after it."""
    scheme_adapter: dict[str, Any] = {
        "image": dict(IMAGES["schemeAdapter"]),
        "env": {"DFSP_ID": dfsp_id, **SWITCH_ENDPOINTS},
    }
    if scenario.simulator.resources is not None:
        scheme_adapter["resources"] = resource_amounts(scenario.simulator.resources)
    # Imported here: security names the hosts defined above.
    from mojaloop_perf.render_aws import security

    security.merge(scheme_adapter, security.scheme_adapter_values(scenario.security, dfsp_id))
    simulator: dict[str, Any] = {
        "config": {
            "schemeAdapter": scheme_adapter,
            "backend": {"image": dict(IMAGES["backend"])},
            "cache": {"image": dict(IMAGES["cache"])},
        },
        "ingress": {"enabled": True, "hosts": [dfsp_hostname(dfsp_id)]},
        **node_placement(scenario.infrastructure.node_groups.dfsp),
    }
    return {
        "simulators": {dfsp_id: simulator},
        "ingress": {
            "ingressPathRewriteRegex": "(/|$)(.*)",
            "annotations": {"nginx.ingress.kubernetes.io/rewrite-target": "/$2"},
        },
    }


def post_install(scenario: Scenario, dfsp_id: str) -> list[dict[str, Any]]:
    """The scheme adapter's replicas: the chart's one replicaCount would scale backend and cache
    with it (the published campaign scaled the scheme adapter alone after install)."""
    return [
        patch(
            release=release_name(dfsp_id),
            cluster=dfsp_id,
            namespace=release_name(dfsp_id),
            name=scheme_adapter_deployment(dfsp_id),
            replicas=scenario.simulator.sdk_replicas,
            why="the chart's simulators.<id>.replicaCount scales backend and cache too",
        )
    ]
