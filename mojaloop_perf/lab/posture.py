"""The lab's security posture: TLS on which hops, JWS signing and validation, and the key folder.

Only the networked lab (``hops: http``) has hops a posture can apply to. Lab config shape::

    "security": {"tls": "mutual", "scope": "end_to_end",
                 "jws": {"sign": true, "validate": true, "put_parties": false},
                 "pki_dir": "pki"}

``tls``: ``none``, ``tls`` (server certificates) or ``mutual`` (client certificates too).
``scope``: ``edge`` (the DFSPs' requests to the switch) or ``end_to_end`` (the switch's requests
to the DFSPs' inbound APIs too). ``jws`` as the scheme adapter's JWS_SIGN, VALIDATE_INBOUND_JWS
and JWS_SIGN_PUT_PARTIES/VALIDATE_INBOUND_PUT_PARTIES_JWS. ``pki_dir`` (relative to the config
file) holds what ``mojaloop_perf.security.pki.generate`` wrote; it is needed when anything is on. Every
key may be left out: nothing on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TLS_MODES = ("none", "tls", "mutual")
SCOPES = ("edge", "end_to_end")
_KEYS = ("tls", "scope", "jws", "pki_dir")
_JWS_KEYS = ("sign", "validate", "put_parties")


class PostureError(ValueError):
    """A bad ``security`` block; the message names the field (config.py wraps it)."""


@dataclass(frozen=True, slots=True)
class LabJws:
    sign: bool = False
    validate: bool = False
    put_parties: bool = False


@dataclass(frozen=True, slots=True)
class LabSecurity:
    tls: str = "none"
    scope: str = "edge"
    jws: LabJws = field(default_factory=LabJws)
    pki_dir: Path | None = None

    @property
    def needs_pki(self) -> bool:
        return self.tls != "none" or self.jws.sign or self.jws.validate

    @property
    def plaintext(self) -> bool:
        return not self.needs_pki

    @property
    def mutual(self) -> bool:
        return self.tls == "mutual"

    @property
    def edge_tls(self) -> bool:
        """Whether the switch's FSPIOP API serves TLS (the ingress the DFSPs call)."""
        return self.tls != "none"

    @property
    def inbound_tls(self) -> bool:
        """Whether the DFSPs' inbound APIs serve TLS too (the switch's callbacks and requests)."""
        return self.tls != "none" and self.scope == "end_to_end"


def parse_security(value: Any, base_dir: Path | None = None) -> LabSecurity:
    """Validate the ``security`` block; PostureError naming the first bad field."""
    if value is None:
        return LabSecurity()
    if not isinstance(value, dict):
        raise PostureError("security: must be an object")
    unknown = sorted(set(value) - set(_KEYS))
    if unknown:
        raise PostureError(f"security.{unknown[0]}: unknown key (expected {', '.join(_KEYS)})")
    tls = value.get("tls", "none")
    if tls not in TLS_MODES:
        raise PostureError(f"security.tls: must be one of {', '.join(TLS_MODES)}, got {tls!r}")
    scope = value.get("scope", "edge")
    if scope not in SCOPES:
        raise PostureError(f"security.scope: must be one of {', '.join(SCOPES)}, got {scope!r}")
    if scope == "end_to_end" and tls == "none":
        raise PostureError("security.scope: end_to_end needs security.tls tls or mutual")
    jws = _jws(value.get("jws"))
    pki_dir = value.get("pki_dir")
    if pki_dir is not None and (not isinstance(pki_dir, str) or not pki_dir):
        raise PostureError(f"security.pki_dir: must be a non-empty path, got {pki_dir!r}")
    security = LabSecurity(tls, scope, jws, None)
    if security.needs_pki and pki_dir is None:
        raise PostureError("security.pki_dir: needed when TLS or JWS is on")
    if pki_dir is not None:
        path = Path(pki_dir)
        if not path.is_absolute() and base_dir is not None:
            path = base_dir / path
        security = LabSecurity(tls, scope, jws, path)
    return security


def _jws(value: Any) -> LabJws:
    if value is None:
        return LabJws()
    if not isinstance(value, dict):
        raise PostureError("security.jws: must be an object")
    unknown = sorted(set(value) - set(_JWS_KEYS))
    if unknown:
        raise PostureError(
            f"security.jws.{unknown[0]}: unknown key (expected {', '.join(_JWS_KEYS)})"
        )
    flags = {}
    for key in _JWS_KEYS:
        flag = value.get(key, False)
        if not isinstance(flag, bool):
            raise PostureError(f"security.jws.{key}: must be true or false, got {flag!r}")
        flags[key] = flag
    return LabJws(**flags)
