"""Wait until Calico's WireGuard is up on every node: each Node carries its public key.

Felix publishes a node's WireGuard public key as an annotation of its Kubernetes Node once the
`wireguard.cali` interface exists (render_aws.wireguard). Read the Nodes, and while any lacks
the key, watch them from the list's resourceVersion and read again; no sleeping, no polling.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from mojaloop_perf.errors import UserError
from mojaloop_perf.kube.client import WatchSpec, read_list, wait_for_event
from mojaloop_perf.kube.readiness import EXIT_NOT_READY

Echo = Callable[[str], None]
Wait = Callable[[Sequence[WatchSpec], float], bool]


def missing(nodes: Sequence[Mapping[str, Any]], annotation: str) -> list[str]:
    """The names of the nodes without a non-empty `annotation`, sorted."""
    lacking = []
    for node in nodes:
        metadata = node.get("metadata") or {}
        if not (metadata.get("annotations") or {}).get(annotation):
            lacking.append(str(metadata.get("name", "?")))
    return sorted(lacking)


def wait_for_keys(
    core: Any,
    annotation: str,
    *,
    cluster: str,
    timeout_s: float,
    echo: Echo,
    clock: Callable[[], float] = time.monotonic,
    wait: Wait = wait_for_event,
) -> int:
    """Block until every Node (`core`: a kubernetes CoreV1Api) has `annotation`; the node count.
    UserError naming the nodes still without it after `timeout_s`."""
    deadline = clock() + timeout_s
    while True:
        nodes, version = read_list(core.list_node, what=f"listing the nodes of cluster {cluster}")
        lacking = missing(nodes, annotation)
        if nodes and not lacking:
            echo(f"cluster {cluster}: WireGuard public key on all {len(nodes)} nodes")
            return len(nodes)
        remaining = deadline - clock()
        if remaining <= 0:
            raise UserError(
                f"cluster {cluster}: no WireGuard public key ({annotation}) after "
                f"{timeout_s:g} s on {', '.join(lacking) or 'any node (none listed)'}: is the "
                "wireguard kernel module available, and Felix running?",
                exit_code=EXIT_NOT_READY,
            )
        echo(f"cluster {cluster}: waiting for WireGuard on {', '.join(lacking)}")
        wait(
            [WatchSpec(core.list_node, (), version, what=f"nodes of cluster {cluster}")], remaining
        )
