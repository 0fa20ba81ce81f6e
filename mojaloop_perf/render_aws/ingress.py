"""The switch ingress' NodePorts: what the internal NLB forwards to on the generic nodes.

Terraform's NLB forwards each listener port to `target_port`, a NodePort, on every generic node
(`infrastructure.nlb.listeners`). MicroK8s' ingress addon (1.32: ingress-nginx, a DaemonSet in
namespace `ingress` whose pods carry the label `name: nginx-ingress-microk8s` and bind the
node's ports 80 and 443; canonical/microk8s-core-addons addons/ingress/ingress.yaml) has no
Service, so nothing would answer on those NodePorts. This Service gives it one; the deploy stage
applies it on the switch cluster before any release.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from mojaloop_perf.errors import UserError
from mojaloop_perf.scenario.infrastructure import Listener
from mojaloop_perf.scenario.model import Scenario

NAMESPACE = "ingress"
CONTROLLER_LABELS = {"name": "nginx-ingress-microk8s"}
SERVICE = "mlperf-switch-ingress"
# The listener port is the controller's container port: 80 (http), 443 (https).
CONTAINER_PORTS = {80: "http", 443: "https"}


def manifest(scenario: Scenario) -> dict[str, Any]:
    """A `v1 List` for `kubectl apply`: the NodePort Service, or no items without an NLB."""
    nlb = scenario.infrastructure.nlb
    items = [_service(nlb.listeners)] if nlb.enabled else []
    return {"apiVersion": "v1", "kind": "List", "items": items}


def _service(listeners: Iterable[Listener]) -> dict[str, Any]:
    ports = []
    for listener in listeners:
        port = listener.port
        if port not in CONTAINER_PORTS:
            # The schema allows any port; the controller listens only on these two.
            raise UserError(
                f"infrastructure: nlb.listeners: port {port}: the switch's ingress controller "
                f"listens on {' and '.join(map(str, CONTAINER_PORTS))} only"
            )
        ports.append(
            {
                "name": CONTAINER_PORTS[port],
                "port": port,
                "targetPort": port,
                "nodePort": listener.target_port,
                "protocol": "TCP",
            }
        )
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": SERVICE, "namespace": NAMESPACE},
        "spec": {"type": "NodePort", "selector": dict(CONTROLLER_LABELS), "ports": ports},
    }
