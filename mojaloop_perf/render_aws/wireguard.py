"""WireGuard between the switch cluster's nodes, through the Calico that MicroK8s runs.

MicroK8s' CNI is Calico with the Kubernetes datastore (no operator, no calicoctl): its Felix reads
the cluster-wide FelixConfiguration `default` (CRD felixconfigurations.crd.projectcalico.org,
projectcalico/calico libcalico-go/config/crd). Setting `spec.wireguardEnabled` makes every
node's Felix create the `wireguard.cali` interface, generate a key pair and publish the public
key on its Kubernetes Node as the annotation `projectcalico.org/WireguardPublicKey`; pod traffic
between nodes then goes through the tunnel (Calico docs, "Encrypt in-cluster pod traffic").

The deploy stage applies the object below server-side (only `spec.wireguardEnabled` is ours;
the rest of `default` stays Calico's) and reads the Nodes back until each carries its key.
The kernel module: Ubuntu 24.04's kernels ship wireguard.ko; the kernel loads it when Felix
creates the interface, so the node_prep role installs nothing for it.
"""

from __future__ import annotations

from typing import Any

from mojaloop_perf.scenario.model import Scenario

API_VERSION = "crd.projectcalico.org/v1"
KIND = "FelixConfiguration"
NAME = "default"
PUBLIC_KEY_ANNOTATION = "projectcalico.org/WireguardPublicKey"


def enabled(scenario: Scenario) -> bool:
    return scenario.security.transport_encryption == "wireguard"


def felix_configuration() -> dict[str, Any]:
    """The part of Calico's `default` FelixConfiguration that the workspace owns."""
    return {
        "apiVersion": API_VERSION,
        "kind": KIND,
        "metadata": {"name": NAME},
        "spec": {"wireguardEnabled": True},
    }
