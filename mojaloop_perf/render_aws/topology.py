"""Where things live on AWS: cluster and node-group names, namespaces, DFSP host names and URLs.

Topology: one multi-node *switch* cluster (generic, kafka, mysql and monitoring node groups),
one single-node cluster per DFSP named after the DFSP, and one *k6* cluster.
"""

from __future__ import annotations

from mojaloop_perf.errors import UserError
from mojaloop_perf.scenario.model import Scenario

SWITCH_CLUSTER = "switch"
K6_CLUSTER = "k6"
SWITCH_GROUPS = ("generic", "kafka", "mysql", "monitoring")
NODE_GROUPS = (*SWITCH_GROUPS, "dfsp", "k6")
# Namespace of the switch releases (backend, mojaloop); used for in-cluster names.
SWITCH_NAMESPACE = "mojaloop"
# Prometheus' NodePort on the switch cluster (kube-prometheus-stack's default nodePort, made a
# NodePort service): k6 remote-writes to it from the k6 cluster, the workspace queries it.
PROMETHEUS_NODE_PORT = 30090
# Charts the scenario does not pin. Read: prometheus-community/helm-charts

# --- URLs and names ---------------------------------------------------------------------------


def dfsp_hostname(dfsp_id: str) -> str:
    """The name a DFSP's simulator answers to from the k6 and switch clusters."""
    return f"sim-{dfsp_id}.local"


def aws_outbound_urls(scenario: Scenario) -> dict[str, str]:
    """Each DFSP's outbound API base URL on AWS: its simulator's ingress, by host name."""
    return {
        dfsp.id: f"http://{dfsp_hostname(dfsp.id)}/sim/{dfsp.id}/outbound"
        for dfsp in scenario.dfsps
    }


def dfsp_ids(scenario: Scenario) -> list[str]:
    """The DFSP ids in scenario order: DFSP node i hosts the cluster of DFSP i."""
    ids = [dfsp.id for dfsp in scenario.dfsps]
    nodes = scenario.infrastructure.node_groups.dfsp.count
    if nodes != len(ids):
        raise UserError(
            f"infrastructure: node_groups.dfsp.count: {nodes} DFSP nodes for {len(ids)} DFSPs: "
            "each DFSP needs a node of its own"
        )
    clash = sorted({SWITCH_CLUSTER, K6_CLUSTER} & set(ids))
    if clash:
        raise UserError(
            f"dfsp: dfsps: id {clash[0]!r} is also the name of a cluster; choose another id"
        )
    return ids
