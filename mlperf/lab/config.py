"""The lab's run configuration: a JSON file written by another module, validated strictly.

Shape::

    {"host": "127.0.0.1", "admin_port": 18400, "config_hash": "abc123",
     "latency_ms": {"discovery": 0, "quote": 0, "transfer": 0},
     "dfsps": [{"fsp_id": "fsp201", "port": 18401}, {"fsp_id": "fsp202", "port": 18402}]}

``latency_ms`` and its keys may be left out (0). Port 0 asks the OS for a free port.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlperf.lab.dfsp import Latency

FSP_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,31}")
MAX_LATENCY_MS = 600_000.0
_TOP_KEYS = {"host", "admin_port", "config_hash", "latency_ms", "dfsps"}
_LATENCY_KEYS = ("discovery", "quote", "transfer")


class ConfigError(ValueError):
    """Invalid configuration; the message is one line naming the offending field."""


@dataclass(frozen=True, slots=True)
class DfspConfig:
    fsp_id: str
    port: int


@dataclass(frozen=True, slots=True)
class LabConfig:
    host: str
    admin_port: int
    dfsps: tuple[DfspConfig, ...]
    config_hash: str = ""
    latency: Latency = field(default_factory=Latency)

    @property
    def fsp_ids(self) -> list[str]:
        return [d.fsp_id for d in self.dfsps]


def _port(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 65535:
        raise ConfigError(f"{field}: must be an integer port 0-65535, got {value!r}")
    return value


def _latency(value: Any) -> Latency:
    if value is None:
        return Latency()
    if not isinstance(value, dict):
        raise ConfigError("latency_ms: must be an object")
    unknown = sorted(set(value) - set(_LATENCY_KEYS))
    if unknown:
        raise ConfigError(f"latency_ms.{unknown[0]}: unknown key (expected {_LATENCY_KEYS})")
    delays: list[float] = []
    for key in _LATENCY_KEYS:
        ms = value.get(key, 0)
        if (
            isinstance(ms, bool)
            or not isinstance(ms, int | float)
            or not math.isfinite(ms)
            or not 0 <= ms <= MAX_LATENCY_MS
        ):
            raise ConfigError(
                f"latency_ms.{key}: must be a number of milliseconds 0-{MAX_LATENCY_MS:g}, "
                f"got {ms!r}"
            )
        delays.append(float(ms))
    return Latency(*delays)


def parse_config(data: Any) -> LabConfig:
    """Validate decoded JSON; ConfigError on the first problem."""
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
    raw_dfsps = data.get("dfsps")
    if not isinstance(raw_dfsps, list) or not raw_dfsps:
        raise ConfigError("dfsps: must be a non-empty list")
    dfsps: list[DfspConfig] = []
    ports = {admin_port: "admin_port"} if admin_port else {}
    for i, item in enumerate(raw_dfsps):
        where = f"dfsps[{i}]"
        if not isinstance(item, dict):
            raise ConfigError(f"{where}: must be an object")
        extra = sorted(set(item) - {"fsp_id", "port"})
        if extra:
            raise ConfigError(f"{where}.{extra[0]}: unknown key")
        fsp_id = item.get("fsp_id")
        if not isinstance(fsp_id, str) or FSP_ID_RE.fullmatch(fsp_id) is None:
            raise ConfigError(
                f"{where}.fsp_id: must be 1-32 letters, digits, '_' or '-', got {fsp_id!r}"
            )
        if any(d.fsp_id == fsp_id for d in dfsps):
            raise ConfigError(f"{where}.fsp_id: duplicate fsp_id {fsp_id!r}")
        port = _port(item.get("port"), f"{where}.port")
        if port and port in ports:
            raise ConfigError(f"{where}.port: port {port} is also used by {ports[port]}")
        if port:
            ports[port] = where
        dfsps.append(DfspConfig(fsp_id, port))
    return LabConfig(host, admin_port, tuple(dfsps), config_hash, _latency(data.get("latency_ms")))


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
        return parse_config(data)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None
