"""Post-install patches of Deployments: send one, then read it back until it holds.

A patch (shape in mojaloop_perf.render_aws.patches) sets a Deployment's replicas and/or the resources
of named containers. It is sent as a strategic merge patch: containers merge by name, so only the
named containers and only the given fields change. It holds when the Deployment's spec carries
the replicas and resources asked for (quantities compared as numbers: the API server stores
"1000m" as "1") and its rollout is done, by `kubectl rollout status`'s rule: the controller has
seen the spec, every replica is updated, no old replica is left, every replica is ready.

A Deployment that already holds the patch is not patched again, so a re-run changes nothing.
Between reads the Deployment is watched; the state is read again at the first change.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from decimal import InvalidOperation
from typing import Any

from kubernetes.utils import parse_quantity

from mojaloop_perf.errors import UserError
from mojaloop_perf.kube.client import WatchSpec, read_json, wait_for_event
from mojaloop_perf.kube.readiness import EXIT_NOT_READY

FIELD_MANAGER = "mlperf"

Patch = Mapping[str, Any]
Echo = Callable[[str], None]
Wait = Callable[[Sequence[WatchSpec], float], bool]


def label(patch: Patch) -> str:
    """`deployment <namespace>/<name>`, for messages."""
    return f"deployment {patch['namespace']}/{patch['name']}"


def body(patch: Patch) -> dict[str, Any]:
    """The strategic merge patch sent for `patch`: only what it sets."""
    spec: dict[str, Any] = {}
    if patch.get("replicas") is not None:
        spec["replicas"] = patch["replicas"]
    resources = patch.get("resources") or {}
    if resources:
        containers = [
            {"name": name, "resources": {kind: dict(amounts) for kind, amounts in wanted.items()}}
            for name, wanted in sorted(resources.items())
        ]
        spec["template"] = {"spec": {"containers": containers}}
    return {"spec": spec}


def _containers(deployment: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    spec = ((deployment.get("spec") or {}).get("template") or {}).get("spec") or {}
    return {c.get("name"): c for c in spec.get("containers") or []}


def _same(have: Any, want: Any) -> bool:
    try:
        return parse_quantity(have) == parse_quantity(want)
    except (ValueError, TypeError, InvalidOperation):
        return str(have) == str(want)


def spec_problems(deployment: Mapping[str, Any], patch: Patch) -> list[str]:
    """What of `patch` the Deployment's spec does not carry; empty when it carries all of it."""
    problems = []
    want = patch.get("replicas")
    have = (deployment.get("spec") or {}).get("replicas")
    if want is not None and have != want:
        problems.append(f"replicas {have}, not {want}")
    containers = _containers(deployment)
    for name, wanted in sorted((patch.get("resources") or {}).items()):
        actual = (containers.get(name) or {}).get("resources") or {}
        for kind, amounts in sorted(wanted.items()):
            for resource, amount in sorted(amounts.items()):
                got = (actual.get(kind) or {}).get(resource)
                if got is None or not _same(got, amount):
                    problems.append(f"container {name} {kind}.{resource} {got}, not {amount}")
    return problems


def _count(value: Any) -> int:
    return value if isinstance(value, int) else 0


def rollout_problems(deployment: Mapping[str, Any]) -> list[str]:
    """What keeps the Deployment's rollout from being done; empty when it is."""
    metadata = deployment.get("metadata") or {}
    spec, status = deployment.get("spec") or {}, deployment.get("status") or {}
    generation, observed = (
        _count(metadata.get("generation")),
        _count(status.get("observedGeneration")),
    )
    if observed < generation:
        return [f"generation {generation} not yet observed"]
    want = spec.get("replicas", 1)
    updated, ready = _count(status.get("updatedReplicas")), _count(status.get("readyReplicas"))
    problems = []
    if updated != want:
        problems.append(f"{updated}/{want} replicas updated")
    old = _count(status.get("replicas")) - updated
    if old > 0:
        problems.append(f"{old} old replicas not yet gone")
    if ready != want:
        problems.append(f"{ready}/{want} replicas ready")
    return problems


def _read(apps: Any, patch: Patch) -> dict[str, Any]:
    found = read_json(
        apps.read_namespaced_deployment,
        patch["name"],
        patch["namespace"],
        what=f"reading {label(patch)}",
        missing_ok=True,
    )
    if found is None:
        raise UserError(
            f"{label(patch)} (release {patch['release']}) not found: the post-install patch "
            f"names a Deployment the chart did not install"
        )
    return found


def apply(
    apps: Any,
    patch: Patch,
    *,
    timeout_s: float,
    echo: Echo,
    clock: Callable[[], float] = time.monotonic,
    wait: Wait = wait_for_event,
) -> bool:
    """Make `patch` hold on its Deployment (`apps`: a kubernetes AppsV1Api); True when it was
    sent, False when it already held. UserError naming the Deployment and what does not hold
    after `timeout_s`."""
    current = _read(apps, patch)
    containers = _containers(current)
    missing = sorted(set(patch.get("resources") or {}) - set(containers))
    if missing:
        # A strategic merge would add a container with no image: say so instead.
        raise UserError(
            f"{label(patch)} has no container {', '.join(missing)} "
            f"(it has {', '.join(sorted(map(str, containers))) or 'none'})"
        )
    sent = bool(spec_problems(current, patch))
    if sent:
        read_json(
            apps.patch_namespaced_deployment,
            patch["name"],
            patch["namespace"],
            body(patch),
            field_manager=FIELD_MANAGER,
            what=f"patching {label(patch)}",
        )
        echo(f"{label(patch)}: patched ({_what(patch)}), waiting for the rollout")
    deadline = clock() + timeout_s
    while True:
        current = _read(apps, patch)
        problems = spec_problems(current, patch) + rollout_problems(current)
        if not problems:
            echo(f"{label(patch)}: {_what(patch)} {'holds' if sent else 'already holds'}")
            return sent
        remaining = deadline - clock()
        if remaining <= 0:
            raise UserError(
                f"{label(patch)}: post-install patch does not hold after {timeout_s:g} s: "
                f"{'; '.join(problems)}",
                exit_code=EXIT_NOT_READY,
            )
        version = str((current.get("metadata") or {}).get("resourceVersion", ""))
        wait(
            [
                WatchSpec(
                    apps.list_namespaced_deployment,
                    (patch["namespace"],),
                    version,
                    what=label(patch),
                    kwargs={"field_selector": f"metadata.name={patch['name']}"},
                )
            ],
            remaining,
        )


def _what(patch: Patch) -> str:
    """`replicas 16, container x requests cpu 2`: what the patch sets, in a few words."""
    parts = []
    if patch.get("replicas") is not None:
        parts.append(f"replicas {patch['replicas']}")
    for name, wanted in sorted((patch.get("resources") or {}).items()):
        for kind, amounts in sorted(wanted.items()):
            text = ", ".join(f"{k} {v}" for k, v in sorted(amounts.items()))
            parts.append(f"container {name} {kind} {text}")
    return "; ".join(parts) or "nothing"
