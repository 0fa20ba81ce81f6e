"""The validated scenario as typed, immutable objects: what every stage reads."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from mojaloop_perf.scenario.security import Security
from mojaloop_perf.scenario.security import decode as decode_security

# The k6 script's own metrics: it tags each of their samples `steady:true|false` (whether the
# transaction started inside the steady-state window), so each has a steady-window sub-metric.
STEADY_METRICS = (
    "discovery_time",
    "quote_time",
    "transfer_time",
    "e2e_time",
    "completed_transactions",
    "failed_transactions",
    "success_rate",
)
STEADY_SELECTOR = "{steady:true}"


@dataclass(frozen=True)
class MsisdnRange:
    """start, start+1, …, start+count-1, each zero-padded to the width of `start`."""

    start: str
    count: int

    @property
    def first(self) -> int:
        return int(self.start)

    @property
    def last(self) -> int:
        return self.first + self.count - 1

    def at(self, offset: int) -> str:
        if not 0 <= offset < self.count:
            raise IndexError(offset)
        return str(self.first + offset).zfill(len(self.start))

    def overlaps(self, other: MsisdnRange) -> bool:
        return self.first <= other.last and other.first <= self.last


@dataclass(frozen=True)
class Dfsp:
    id: str
    role: Literal["payer", "payee"]
    msisdns: MsisdnRange


@dataclass(frozen=True)
class Pair:
    source: str
    dest: str
    weight: float


@dataclass(frozen=True)
class Load:
    """The `k6` component: the load to drive."""

    tps: float
    transactions: int
    pre_allocated_vus: int
    max_vus: int
    amount: str
    http_timeout_s: float
    pairs: tuple[Pair, ...]
    thresholds: Mapping[str, tuple[str, ...]]
    warmup_s: float
    drain_s: float
    parallelism: int
    thresholds_window: Literal["full", "steady"]
    max_dropped_share: float

    @property
    def duration_s(self) -> float:
        """Length of the load phase: transactions / tps, to the millisecond (rounded up)."""
        return math.ceil(self.transactions / self.tps * 1000) / 1000


@dataclass(frozen=True)
class LocalSettings:
    """The `local` component: how the lab runs on this machine."""

    host: str
    base_port: int
    latency_ms: Mapping[str, float]
    startup_timeout_s: float
    sdk_timeout_s: float
    faults: Mapping[str, Any]  # the lab validates and types it (mojaloop_perf/lab/config.py)
    hops: Literal["in_process", "http"]  # http: the switch and each DFSP as processes of their own


@dataclass(frozen=True)
class Scenario:
    """One validated scenario: its name, folder, typed components and the merged config."""

    name: str
    directory: Path
    description: str
    extends: tuple[str, ...]
    currency: str
    ndc: str
    dfsps: tuple[Dfsp, ...]
    load: Load
    local: LocalSettings
    security: Security
    config: Mapping[str, Any]
    sources: tuple[Path, ...]

    @property
    def digest(self) -> str:
        """A stable hash of the merged config: equal digests mean equal scenarios."""
        canonical = json.dumps(self.config, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]

    def dfsp(self, dfsp_id: str) -> Dfsp:
        for dfsp in self.dfsps:
            if dfsp.id == dfsp_id:
                return dfsp
        raise KeyError(dfsp_id)


def build(
    name: str,
    directory: Path,
    config: Mapping[str, Any],
    sources: tuple[Path, ...],
    description: str = "",
    extends: tuple[str, ...] = (),
) -> Scenario:
    """Decode a merged, schema-valid config into a `Scenario`."""
    k6, dfsp, local = config["k6"], config["dfsp"], config["local"]
    return Scenario(
        name=name,
        directory=directory,
        description=description,
        extends=extends,
        currency=dfsp["currency"],
        ndc=dfsp["ndc"],
        dfsps=tuple(
            Dfsp(d["id"], d["role"], MsisdnRange(d["msisdn"]["start"], d["msisdn"]["count"]))
            for d in dfsp["dfsps"]
        ),
        load=Load(
            tps=k6["tps"],
            transactions=k6["transactions"],
            pre_allocated_vus=k6["pre_allocated_vus"],
            max_vus=k6["max_vus"],
            amount=k6["amount"],
            http_timeout_s=k6["http_timeout_s"],
            pairs=tuple(Pair(p["source"], p["dest"], p["weight"]) for p in k6["pairs"]),
            thresholds={metric: tuple(exprs) for metric, exprs in k6["thresholds"].items()},
            warmup_s=k6["warmup_s"],
            drain_s=k6["drain_s"],
            parallelism=k6["parallelism"],
            thresholds_window=k6["thresholds_window"],
            max_dropped_share=k6["max_dropped_share"],
        ),
        local=LocalSettings(
            host=local["host"],
            base_port=local["base_port"],
            latency_ms=dict(local["latency_ms"]),
            startup_timeout_s=local["startup_timeout_s"],
            sdk_timeout_s=local["sdk_timeout_s"],
            faults=local["faults"],
            hops=local["hops"],
        ),
        security=decode_security(config["security"]),
        config=config,
        sources=sources,
    )
