"""Post-install patches: what a chart cannot be told through its values, applied after install.

Some settings the scenario asks for have no values key the chart reads (the umbrella chart's
switch-service templates ignore `resources`; the simulator chart scales every pod of a DFSP with
one `replicaCount`). Those are rendered here as patches of the installed Deployments, which the
deploy stage applies with the kubernetes client and reads back until they hold.

One patch (a plain dict, written to `helm/post-install.json`):
    release    the Helm release that installed the Deployment
    cluster    its cluster; namespace: its namespace
    kind       "Deployment"
    name       the Deployment's name as the chart renders it
    replicas   the replica count to hold, or None to leave it
    resources  {container name: {"requests": {...}, "limits": {...}}}, or {} to leave them
    why        one line: why a patch and not a value
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mojaloop_perf.scenario.model import Scenario


def patch(
    *,
    release: str,
    cluster: str,
    namespace: str,
    name: str,
    why: str,
    replicas: int | None = None,
    resources: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """One Deployment patch, in the shape above."""
    return {
        "release": release,
        "cluster": cluster,
        "namespace": namespace,
        "kind": "Deployment",
        "name": name,
        "replicas": replicas,
        "resources": {c: {k: dict(v) for k, v in r.items()} for c, r in (resources or {}).items()},
        "why": why,
    }


def post_install(scenario: Scenario) -> list[dict[str, Any]]:
    """Every patch of the scenario, in install order of their releases."""
    from mojaloop_perf.render_aws import mojaloop, simulator
    from mojaloop_perf.render_aws.topology import dfsp_ids

    patches = list(mojaloop.post_install(scenario))
    for dfsp_id in dfsp_ids(scenario):
        patches.extend(simulator.post_install(scenario, dfsp_id))
    return patches
