"""Istio in ambient mode on the switch cluster: four releases of Istio's pinned charts.

Installed as Istio's Helm guide for ambient mode does (base, istiod, cni, ztunnel from
https://istio-release.storage.googleapis.com/charts, namespace istio-system), before anything
runs in the switch namespace; the deploy stage labels that namespace
`istio.io/dataplane-mode=ambient` (render_aws.secrets), so every pod in it is in the mesh:
ztunnel carries their traffic between nodes in mutual TLS.

Value names read at tag 1.26.8 (istio/istio manifests/charts/*/values.yaml and templates): each
chart takes `profile` (files/profile-ambient.yaml: PILOT_ENABLE_AMBIENT, cni ambient.enabled);
the cni chart's DaemonSet mounts `cniBinDir` and `cniConfDir` from the host, which MicroK8s keeps
under its snap (the same paths as the charts' files/profile-platform-microk8s.yaml, set here
directly: that profile file nests them under `cni:`, which the cni chart's templates do not read);
istiod reads `nodeSelector`, `affinity` and `tolerations`. The cni and ztunnel DaemonSets tolerate
every taint by default, so they run on every node of the cluster.
"""

from __future__ import annotations

from typing import Any

from mojaloop_perf.render_aws.placement import required_affinity, taint_tolerations
from mojaloop_perf.scenario.model import Scenario

REPOSITORY = "https://istio-release.storage.googleapis.com/charts"
VERSION = "1.26.8"
NAMESPACE = "istio-system"
# Release → chart name, in install order (CRDs, control plane, node agent, node proxy).
CHARTS: dict[str, str] = {
    "istio-base": "base",
    "istiod": "istiod",
    "istio-cni": "cni",
    "ztunnel": "ztunnel",
}
PROFILE = "ambient"
# MicroK8s' CNI folders (canonical/microk8s: the snap's opt/cni/bin and args/cni-network).
CNI_BIN_DIR = "/var/snap/microk8s/current/opt/cni/bin"
CNI_CONF_DIR = "/var/snap/microk8s/current/args/cni-network"
# The label that puts a namespace's pods in the ambient mesh.
DATAPLANE_LABEL = {"istio.io/dataplane-mode": "ambient"}


def enabled(scenario: Scenario) -> bool:
    return scenario.security.mesh == "istio_ambient"


def chart(release: str) -> dict[str, Any]:
    return {"repository": REPOSITORY, "name": CHARTS[release], "version": VERSION}


def values(scenario: Scenario) -> dict[str, dict[str, Any]]:
    """The four releases' values, by release name; empty without the mesh."""
    if not enabled(scenario):
        return {}
    generic = scenario.infrastructure.node_groups.generic
    istiod: dict[str, Any] = {"profile": PROFILE}
    affinity = required_affinity(generic.labels)
    if affinity:
        istiod["affinity"] = affinity
    tolerations = taint_tolerations(generic.taints)
    if tolerations:
        istiod["tolerations"] = tolerations
    return {
        "istio-base": {},
        "istiod": istiod,
        "istio-cni": {"profile": PROFILE, "cniBinDir": CNI_BIN_DIR, "cniConfDir": CNI_CONF_DIR},
        "ztunnel": {"profile": PROFILE},
    }
