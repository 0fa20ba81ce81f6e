"""The `security` component as typed, immutable objects, and the posture's short label.

The posture label names what is on, in a fixed order: `tls` or `mtls`, `jws`, `wireguard`,
`mesh`, `iso20022`, joined by `-` ("mtls-mesh-iso20022"); "plaintext" when nothing is on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from mojaloop_perf.scenario.decoding import Node

Api = Literal["fspiop", "iso20022"]
TlsMode = Literal["none", "tls", "mutual"]
TlsScope = Literal["edge", "end_to_end"]
TransportEncryption = Literal["none", "wireguard"]
Mesh = Literal["none", "istio_ambient"]

PLAINTEXT = "plaintext"


@dataclass(frozen=True)
class Jws:
    """FSPIOP-Signature: who signs, who verifies, and whether PUT /parties is covered."""

    sign: bool
    validate: bool
    put_parties: bool

    @property
    def enabled(self) -> bool:
        return self.sign or self.validate


@dataclass(frozen=True)
class Tls:
    """TLS on the FSPIOP hops: none, server certificates or mutual; at the edge or end to end."""

    mode: TlsMode
    scope: TlsScope

    @property
    def enabled(self) -> bool:
        return self.mode != "none"

    @property
    def mutual(self) -> bool:
        return self.mode == "mutual"


@dataclass(frozen=True)
class Pki:
    """What the keys and certificates generated per run look like."""

    key_bits: int
    validity_days: int


@dataclass(frozen=True)
class Security:
    """The security posture of one scenario."""

    api: Api
    jws: Jws
    tls: Tls
    transport_encryption: TransportEncryption
    mesh: Mesh
    pki: Pki

    @property
    def posture(self) -> str:
        """A short label of what is on, e.g. "mtls-mesh-iso20022"; "plaintext" when nothing is."""
        parts = []
        if self.tls.enabled:
            parts.append("mtls" if self.tls.mutual else "tls")
        if self.jws.enabled:
            parts.append("jws")
        if self.transport_encryption == "wireguard":
            parts.append("wireguard")
        if self.mesh == "istio_ambient":
            parts.append("mesh")
        if self.api == "iso20022":
            parts.append("iso20022")
        return "-".join(parts) or PLAINTEXT

    @property
    def needs_pki(self) -> bool:
        """Whether a run must generate keys and certificates (TLS of any kind, or JWS)."""
        return self.tls.enabled or self.jws.sign or self.jws.validate

    def summary(self) -> dict[str, Any]:
        """The posture as a run's summary.json records it (no key material: there is none here)."""
        return {
            "posture": self.posture,
            "api": self.api,
            "jws": {
                "sign": self.jws.sign,
                "validate": self.jws.validate,
                "put_parties": self.jws.put_parties,
            },
            "tls": {"mode": self.tls.mode, "scope": self.tls.scope},
            "transport_encryption": self.transport_encryption,
            "mesh": self.mesh,
        }


def decode(config: Mapping[str, Any]) -> Security:
    """The merged, schema-valid `security` component as a `Security`."""
    root = Node("security", config, __name__)
    return root.decode(
        Security,
        jws=root.node("jws").decode(Jws),
        tls=root.node("tls").decode(Tls),
        pki=root.node("pki").decode(Pki),
    )
