"""The `infrastructure` component as typed, immutable objects: machines and network on AWS.

One region and availability zone, a placement group, a bastion, six node groups (generic, kafka,
mysql and monitoring form the switch cluster; one dfsp node per DFSP; k6 nodes), the internal
NLB in front of the switch's ingress NodePorts, and MicroK8s.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields
from typing import Any, Literal

from mojaloop_perf.scenario.decoding import Node, frozen

VolumeType = Literal["gp3", "io2"]
TaintEffect = Literal["NoSchedule", "PreferNoSchedule", "NoExecute"]


@dataclass(frozen=True)
class Volume:
    """The root EBS volume of each node of a group; iops and throughput only when set."""

    type: VolumeType
    size_gb: int
    iops: int | None
    throughput_mbps: int | None


@dataclass(frozen=True)
class Taint:
    key: str
    value: str
    effect: TaintEffect

    def as_dict(self) -> dict[str, str]:
        return {"key": self.key, "value": self.value, "effect": self.effect}


@dataclass(frozen=True)
class NodeGroup:
    """Nodes of one instance type, with the Kubernetes labels and taints each carries."""

    instance_type: str
    count: int
    volume: Volume
    labels: Mapping[str, str]
    taints: tuple[Taint, ...]


@dataclass(frozen=True)
class NodeGroups:
    """The six node groups, in the order the render lays them out."""

    generic: NodeGroup
    kafka: NodeGroup
    mysql: NodeGroup
    monitoring: NodeGroup
    dfsp: NodeGroup
    k6: NodeGroup

    def __getitem__(self, name: str) -> NodeGroup:
        if name not in self.names():
            raise KeyError(name)
        group: NodeGroup = getattr(self, name)
        return group

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))

    def items(self) -> Iterator[tuple[str, NodeGroup]]:
        for name in self.names():
            yield name, self[name]


@dataclass(frozen=True)
class Network:
    vpc_cidr: str
    public_subnet_cidr: str  # the bastion and the NAT gateway
    private_subnet_cidr: str  # every node


@dataclass(frozen=True)
class PlacementGroup:
    enabled: bool
    strategy: Literal["cluster", "spread", "partition"]


@dataclass(frozen=True)
class Bastion:
    """The only host with a public IP; SSH reaches the nodes through it."""

    instance_type: str


@dataclass(frozen=True)
class Listener:
    """An NLB listener port and the ingress NodePort it forwards to."""

    port: int
    target_port: int


@dataclass(frozen=True)
class Nlb:
    enabled: bool
    listeners: tuple[Listener, ...]


@dataclass(frozen=True)
class MicroK8s:
    channel: str
    addons: tuple[str, ...]
    pod_cidr: str
    service_cidr: str


@dataclass(frozen=True)
class Infrastructure:
    """The `infrastructure` component."""

    name: str
    region: str
    availability_zone: str
    tags: Mapping[str, str]
    network: Network
    placement_group: PlacementGroup
    bastion: Bastion
    node_groups: NodeGroups
    nlb: Nlb
    microk8s: MicroK8s


def decode(config: Mapping[str, Any]) -> Infrastructure:
    """The merged, schema-valid `infrastructure` component as an `Infrastructure`."""
    root = Node("infrastructure", config, __name__)
    groups, nlb, microk8s = root.node("node_groups"), root.node("nlb"), root.node("microk8s")
    return root.decode(
        Infrastructure,
        tags=root.mapping("tags"),
        network=root.node("network").decode(Network),
        placement_group=root.node("placement_group").decode(PlacementGroup),
        bastion=root.node("bastion").decode(Bastion),
        node_groups=NodeGroups(
            **{name: _node_group(groups.node(name)) for name in NodeGroups.names()}
        ),
        nlb=nlb.decode(
            Nlb, listeners=tuple(listener.decode(Listener) for listener in nlb.nodes("listeners"))
        ),
        microk8s=microk8s.decode(MicroK8s, addons=tuple(microk8s["addons"])),
    )


def _node_group(group: Node) -> NodeGroup:
    volume = group.node("volume")
    taints = group.nodes("taints") if "taints" in group else []
    return group.decode(
        NodeGroup,
        volume=volume.decode(
            Volume, iops=volume.get("iops"), throughput_mbps=volume.get("throughput_mbps")
        ),
        labels=group.optional_mapping("labels") or frozen({}),
        taints=tuple(taint.decode(Taint) for taint in taints),
    )
