"""The lab's run configuration: a JSON file written by another module, validated strictly.

Shape::

    {"host": "127.0.0.1", "admin_port": 18400, "config_hash": "abc123",
     "latency_ms": {"discovery": 0, "quote": 0, "transfer": 0},
     "timeout_s": 30,
     "faults": {"seed": 1, "quote": {"payee_timeout": 0.01, "slow_share": 0.1, "slow_ms": 50}},
     "dfsps": [{"fsp_id": "fsp201", "port": 18401}, {"fsp_id": "fsp202", "port": 18402}]}

``latency_ms``, ``timeout_s`` (the payer SDK's REQUEST_PROCESSING_TIMEOUT_SECONDS, default 30)
and ``faults`` (see ``mojaloop_perf.lab.faults``) and their keys may be left out. Port 0 asks the OS
for a free port.

``"hops": "http"`` (default ``in_process``) runs the switch and each DFSP as processes of their
own exchanging FSPIOP over HTTP; it needs ``switch_port`` (the switch's FSPIOP API) and each
DFSP's ``inbound_port`` (its FSPIOP inbound API), and takes a ``security`` block
(``mojaloop_perf.lab.posture``).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mojaloop_perf.lab.faults import KINDS, PHASES, Faults, PhaseFaults
from mojaloop_perf.lab.posture import LabSecurity, PostureError, parse_security

FSP_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,31}")
MAX_LATENCY_MS = 600_000.0
_TOP_KEYS = {
    "host",
    "admin_port",
    "config_hash",
    "latency_ms",
    "timeout_s",
    "faults",
    "dfsps",
    "hops",
    "switch_port",
    "security",
}
HOPS = ("in_process", "http")
_LATENCY_KEYS = PHASES
_FAULT_KEYS = (*KINDS, "slow_share", "slow_ms")
MAX_TIMEOUT_S = 600.0


class ConfigError(ValueError):
    """Invalid configuration; the message is one line naming the offending field."""


@dataclass(frozen=True, slots=True)
class Latency:
    """Extra delay, in milliseconds, added to each outbound operation before it calls the switch."""

    discovery_ms: float = 0.0
    quote_ms: float = 0.0
    transfer_ms: float = 0.0


@dataclass(frozen=True, slots=True)
class DfspConfig:
    fsp_id: str
    port: int  # the outbound API (k6 calls it)
    inbound_port: int = 0  # hops http: the FSPIOP inbound API (the switch calls it)


@dataclass(frozen=True, slots=True)
class LabConfig:
    host: str
    admin_port: int
    dfsps: tuple[DfspConfig, ...]
    config_hash: str = ""
    latency: Latency = field(default_factory=Latency)
    timeout_s: float = 30.0
    faults: Faults = field(default_factory=Faults)
    hops: str = "in_process"
    switch_port: int = 0
    security: LabSecurity = field(default_factory=LabSecurity)

    @property
    def fsp_ids(self) -> list[str]:
        return [d.fsp_id for d in self.dfsps]

    @property
    def networked(self) -> bool:
        return self.hops == "http"


def _port(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 65535:
        raise ConfigError(f"{field}: must be an integer port 0-65535, got {value!r}")
    return value


def _number(value: Any, field: str, low: float, high: float, what: str = "a number") -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or not low <= value <= high
    ):
        raise ConfigError(f"{field}: must be {what} {low:g}-{high:g}, got {value!r}")
    return float(value)


def _faults(value: Any) -> Faults:
    if value is None:
        return Faults()
    if not isinstance(value, dict):
        raise ConfigError("faults: must be an object")
    unknown = sorted(set(value) - {"seed", *PHASES})
    if unknown:
        raise ConfigError(f"faults.{unknown[0]}: unknown key (expected seed or {PHASES})")
    seed = value.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ConfigError(f"faults.seed: must be an integer, got {seed!r}")
    phases = {}
    for phase in PHASES:
        entry = value.get(phase, {})
        where = f"faults.{phase}"
        if not isinstance(entry, dict):
            raise ConfigError(f"{where}: must be an object")
        extra = sorted(set(entry) - set(_FAULT_KEYS))
        if extra:
            raise ConfigError(f"{where}.{extra[0]}: unknown key (expected {_FAULT_KEYS})")
        shares = {
            key: _number(entry.get(key, 0), f"{where}.{key}", 0, 1, "a share")
            for key in _FAULT_KEYS[:-1]
        }
        if sum(shares[kind] for kind in KINDS) > 1:
            raise ConfigError(f"{where}: the shares of {', '.join(KINDS)} add up to more than 1")
        slow_ms = _number(entry.get("slow_ms", 0), f"{where}.slow_ms", 0, MAX_LATENCY_MS)
        phases[phase] = PhaseFaults(**shares, slow_ms=slow_ms)
    return Faults(seed, **phases)


def _latency(value: Any) -> Latency:
    if value is None:
        return Latency()
    if not isinstance(value, dict):
        raise ConfigError("latency_ms: must be an object")
    unknown = sorted(set(value) - set(_LATENCY_KEYS))
    if unknown:
        raise ConfigError(f"latency_ms.{unknown[0]}: unknown key (expected {_LATENCY_KEYS})")
    return Latency(
        *(
            _number(value.get(key, 0), f"latency_ms.{key}", 0, MAX_LATENCY_MS, "milliseconds")
            for key in _LATENCY_KEYS
        )
    )


def parse_config(data: Any, base_dir: Path | None = None) -> LabConfig:
    """Validate decoded JSON; ConfigError on the first problem.

    ``base_dir`` resolves a relative ``security.pki_dir`` (the config file's folder).
    """
    if not isinstance(data, dict):
        raise ConfigError("top level: must be a JSON object")
    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise ConfigError(f"{unknown[0]}: unknown key")
    host = data.get("host")
    if not isinstance(host, str) or not host or host != host.strip():
        raise ConfigError(f"host: must be a non-empty host name or address, got {host!r}")
    admin_port = _port(data.get("admin_port"), "admin_port")
    config_hash = data.get("config_hash", "")
    if not isinstance(config_hash, str):
        raise ConfigError(f"config_hash: must be a string, got {config_hash!r}")
    hops = data.get("hops", "in_process")
    if hops not in HOPS:
        raise ConfigError(f"hops: must be one of {', '.join(HOPS)}, got {hops!r}")
    networked = hops == "http"
    ports = {admin_port: "admin_port"} if admin_port else {}

    def claim(port: int, where: str) -> None:
        if port and port in ports:
            raise ConfigError(f"{where}: port {port} is also used by {ports[port]}")
        if port:
            ports[port] = where

    switch_port = 0
    if networked:
        switch_port = _port(data.get("switch_port"), "switch_port")
        claim(switch_port, "switch_port")
    elif "switch_port" in data:
        raise ConfigError("switch_port: only with hops: http")
    raw_dfsps = data.get("dfsps")
    if not isinstance(raw_dfsps, list) or not raw_dfsps:
        raise ConfigError("dfsps: must be a non-empty list")
    dfsps: list[DfspConfig] = []
    allowed = {"fsp_id", "port", "inbound_port"} if networked else {"fsp_id", "port"}
    for i, item in enumerate(raw_dfsps):
        where = f"dfsps[{i}]"
        if not isinstance(item, dict):
            raise ConfigError(f"{where}: must be an object")
        extra = sorted(set(item) - allowed)
        if extra:
            hint = " (only with hops: http)" if extra[0] == "inbound_port" else ""
            raise ConfigError(f"{where}.{extra[0]}: unknown key{hint}")
        fsp_id = item.get("fsp_id")
        if not isinstance(fsp_id, str) or FSP_ID_RE.fullmatch(fsp_id) is None:
            raise ConfigError(
                f"{where}.fsp_id: must be 1-32 letters, digits, '_' or '-', got {fsp_id!r}"
            )
        if any(d.fsp_id == fsp_id for d in dfsps):
            raise ConfigError(f"{where}.fsp_id: duplicate fsp_id {fsp_id!r}")
        port = _port(item.get("port"), f"{where}.port")
        claim(port, f"{where}.port")
        inbound_port = 0
        if networked:
            inbound_port = _port(item.get("inbound_port"), f"{where}.inbound_port")
            claim(inbound_port, f"{where}.inbound_port")
        dfsps.append(DfspConfig(fsp_id, port, inbound_port))
    timeout_s = _number(data.get("timeout_s", 30), "timeout_s", 0.001, MAX_TIMEOUT_S, "seconds")
    try:
        security = parse_security(data.get("security"), base_dir)
    except PostureError as exc:
        raise ConfigError(str(exc)) from None
    if not networked and not security.plaintext:
        raise ConfigError("security: TLS and JWS need hops: http (the in-process lab has no hops)")
    return LabConfig(
        host,
        admin_port,
        tuple(dfsps),
        config_hash,
        _latency(data.get("latency_ms")),
        timeout_s,
        _faults(data.get("faults")),
        hops,
        switch_port,
        security,
    )


def load_config(path: str | Path) -> LabConfig:
    """Read and validate a config file; ConfigError (one line) on any problem."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ConfigError(f"{path} is not valid JSON: {exc}") from None
    try:
        return parse_config(data, Path(path).resolve().parent)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None
