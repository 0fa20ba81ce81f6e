"""EC2 instance sizes and Kubernetes resource quantities, for the resources-fit check."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Share of a node's vCPU and memory left for pods after the kubelet, system daemons and MicroK8s.
ALLOCATABLE = 0.9

_GIB = 2**30
# GiB of memory per vCPU by family letter (m: general purpose, c: compute, r: memory).
_MEMORY_PER_VCPU = {"m": 4, "c": 2, "r": 8}
_FAMILY = re.compile(r"^(?P<family>[mcr])[0-9]+[a-z]*\.(?P<size>large|xlarge|[0-9]+xlarge)$")
_BURSTABLE = {
    "t3.micro": (2, 1),
    "t3.small": (2, 2),
    "t3.medium": (2, 4),
    "t3.large": (2, 8),
    "t3.xlarge": (4, 16),
}
_UNITS = {
    "": 1,
    "K": 10**3,
    "M": 10**6,
    "G": 10**9,
    "T": 10**12,
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
    "Ti": 2**40,
}


@dataclass(frozen=True)
class Capacity:
    vcpu: int
    memory: int  # bytes


def capacity(instance_type: str) -> Capacity | None:
    """vCPU and memory of an EC2 instance type (m/c/r families and t3), or None if unknown."""
    if instance_type in _BURSTABLE:
        vcpu, gib = _BURSTABLE[instance_type]
        return Capacity(vcpu, gib * _GIB)
    match = _FAMILY.match(instance_type)
    if not match:
        return None
    size = match["size"]
    vcpu = 2 if size == "large" else 4 if size == "xlarge" else 4 * int(size.removesuffix("xlarge"))
    return Capacity(vcpu, vcpu * _MEMORY_PER_VCPU[match["family"]] * _GIB)


def cpu(quantity: str) -> float:
    """A Kubernetes CPU quantity in cores: "250m" → 0.25, "2" → 2."""
    return float(quantity[:-1]) / 1000 if quantity.endswith("m") else float(quantity)


def memory(quantity: str) -> float:
    """A Kubernetes memory quantity in bytes: "256Mi" → 268435456."""
    match = re.fullmatch(r"([0-9.]+)([KMGT]i?)?", quantity)
    if not match:
        raise ValueError(quantity)
    return float(match[1]) * _UNITS[match[2] or ""]
