"""`terraform.tfvars.json`: network, node groups and load balancer of the scenario."""

from __future__ import annotations

import dataclasses
from typing import Any

from mojaloop_perf.errors import UserError
from mojaloop_perf.render_aws.topology import K6_CLUSTER, NODE_GROUPS, SWITCH_CLUSTER, dfsp_ids
from mojaloop_perf.scenario.infrastructure import Volume
from mojaloop_perf.scenario.model import Scenario

# Ports between nodes of one MicroK8s cluster (MicroK8s docs, "Services and ports"): the security group opens these
# within the private subnet.
INTRA_CLUSTER_PORTS: tuple[dict[str, Any], ...] = (
    {"from": 16443, "to": 16443, "protocol": "tcp", "description": "Kubernetes API"},
    {"from": 25000, "to": 25000, "protocol": "tcp", "description": "MicroK8s cluster join"},
    {"from": 4789, "to": 4789, "protocol": "udp", "description": "Calico VXLAN"},
    {"from": 179, "to": 179, "protocol": "tcp", "description": "Calico BGP"},
    {"from": 12379, "to": 12380, "protocol": "tcp", "description": "dqlite / etcd"},
    {"from": 30000, "to": 32767, "protocol": "tcp", "description": "NodePorts"},
)
# Calico's WireGuard tunnel between nodes (FelixConfiguration wireguardListeningPort, default
# 51820/udp; Calico docs "Encrypt in-cluster pod traffic"), opened only with that posture.
WIREGUARD_PORT: dict[str, Any] = {
    "from": 51820,
    "to": 51820,
    "protocol": "udp",
    "description": "Calico WireGuard",
}

# The volume keys each EBS volume type takes besides type and size: io2 has no throughput
# setting (it follows from the IOPS), gp3 takes both.
VOLUME_KEYS = {"gp3": ("iops", "throughput_mbps"), "io2": ("iops",)}


def terraform_vars(scenario: Scenario) -> dict[str, Any]:
    """`terraform.tfvars.json`: network, node groups and load balancer of the scenario."""
    infra = scenario.infrastructure
    ids = dfsp_ids(scenario)
    node_groups = {}
    for name in NODE_GROUPS:
        group = infra.node_groups[name]
        node_groups[name] = {
            "instance_type": group.instance_type,
            "count": group.count,
            "volume": _volume(name, group.volume),
            "labels": dict(group.labels),
            "taints": [taint.as_dict() for taint in group.taints],
            # The cluster of each node, node i first: every switch group shares one cluster,
            # each DFSP node is a cluster of its own named after its DFSP, k6 nodes share one.
            "clusters": _node_clusters(name, group.count, ids),
        }
    return {
        "name": infra.name,
        "region": infra.region,
        "availability_zone": infra.availability_zone,
        "tags": {**infra.tags, "mlperf-scenario": scenario.name},
        "network": dataclasses.asdict(infra.network),
        "placement_group": dataclasses.asdict(infra.placement_group),
        "bastion": dataclasses.asdict(infra.bastion),
        "node_groups": node_groups,
        "dfsp_ids": ids,
        "nlb": {
            "enabled": infra.nlb.enabled,
            "internal": True,
            "target_group": "generic",
            "listeners": [dataclasses.asdict(listener) for listener in infra.nlb.listeners],
        },
        "intra_cluster_ports": [dict(port) for port in _intra_cluster_ports(scenario)],
    }


def _intra_cluster_ports(scenario: Scenario) -> tuple[dict[str, Any], ...]:
    if scenario.security.transport_encryption == "wireguard":
        return (*INTRA_CLUSTER_PORTS, WIREGUARD_PORT)
    return INTRA_CLUSTER_PORTS


def _node_clusters(group: str, count: int, ids: list[str]) -> list[str]:
    if group == "dfsp":
        return list(ids)
    return [K6_CLUSTER if group == "k6" else SWITCH_CLUSTER] * count


def _volume(group: str, volume: Volume) -> dict[str, Any]:
    if volume.type == "io2" and volume.iops is None:
        raise UserError(
            f"infrastructure: node_groups.{group}.volume.iops: an io2 volume needs provisioned IOPS"
        )
    rendered: dict[str, Any] = {"type": volume.type, "size_gb": volume.size_gb}
    for key in VOLUME_KEYS[volume.type]:
        if getattr(volume, key) is not None:
            rendered[key] = getattr(volume, key)
    return rendered
