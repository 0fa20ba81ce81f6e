"""The validated scenario as typed, immutable objects: what every stage reads.

`build` decodes each merged, schema-valid component once: `k6` (`Load`), `dfsp` (the DFSPs and
their `Simulator`) and `local` here, the others in a module each (security, infrastructure,
switch for `mojaloop`, backend, monitoring). Nothing downstream reads the merged dicts.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from mojaloop_perf.scenario import backend, infrastructure, monitoring, switch
from mojaloop_perf.scenario.backend import Backend
from mojaloop_perf.scenario.decoding import Chart, Node, Resources
from mojaloop_perf.scenario.infrastructure import Infrastructure
from mojaloop_perf.scenario.monitoring import Monitoring
from mojaloop_perf.scenario.security import Security
from mojaloop_perf.scenario.security import decode as decode_security
from mojaloop_perf.scenario.switch import Switch

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
class Runner:
    """The k6 runner pods on the AWS k6 cluster; node_selector None: the k6 node group's labels."""

    image: str
    resources: Resources
    node_selector: Mapping[str, str] | None


@dataclass(frozen=True)
class Regression:
    """What `invoke compare` calls a regression of run B against run A: changes beyond these."""

    p95_increase_pct: float
    tps_decrease_pct: float
    success_rate_decrease_pp: float


@dataclass(frozen=True)
class Load:
    """The `k6` component: the load to drive, and how it is judged and compared."""

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
    separate: bool  # one runner per k6 node (TestRun `separate`)
    expected_e2e_latency_ms: float  # what the VU budget is sized for (Little's law)
    vu_headroom: float
    runner: Runner
    regression: Regression

    @property
    def duration_s(self) -> float:
        """Length of the load phase: transactions / tps, to the millisecond (rounded up)."""
        return math.ceil(self.transactions / self.tps * 1000) / 1000


@dataclass(frozen=True)
class Simulator:
    """The mojaloop-simulator release on each DFSP's cluster (the `dfsp` component's `simulator`)."""

    chart: Chart
    sdk_replicas: int
    resources: Resources | None


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
    """One validated scenario: its name, folder, typed components and the merged config.

    Every stage reads the typed components; `config` (the merged dicts the components were
    decoded from) stays for the digest, the run's provenance and the checks.
    """

    name: str
    directory: Path
    description: str
    extends: tuple[str, ...]
    currency: str
    ndc: str
    dfsps: tuple[Dfsp, ...]
    min_msisdns: int
    simulator: Simulator
    load: Load
    local: LocalSettings
    security: Security
    infrastructure: Infrastructure
    mojaloop: Switch
    backend: Backend
    monitoring: Monitoring
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

    def with_config(self, config: Mapping[str, Any]) -> Scenario:
        """This scenario with another merged config, every component decoded from it again."""
        return build(
            self.name, self.directory, config, self.sources, self.description, self.extends
        )


def build(
    name: str,
    directory: Path,
    config: Mapping[str, Any],
    sources: tuple[Path, ...],
    description: str = "",
    extends: tuple[str, ...] = (),
) -> Scenario:
    """Decode a merged, schema-valid config into a `Scenario`; a key the model reads and the
    config lacks is one clear `UserError` (see `decoding.Node`)."""
    dfsp = Node("dfsp", config["dfsp"], __name__)
    simulator = dfsp.node("simulator")
    return Scenario(
        name=name,
        directory=directory,
        description=description,
        extends=extends,
        currency=dfsp["currency"],
        ndc=dfsp["ndc"],
        dfsps=tuple(_dfsp(entry) for entry in dfsp.nodes("dfsps")),
        min_msisdns=dfsp["min_msisdns"],
        simulator=simulator.decode(
            Simulator,
            chart=simulator.node("chart").decode(Chart),
            resources=simulator.optional_mapping("resources"),
        ),
        load=_load(Node("k6", config["k6"], __name__)),
        local=_local(Node("local", config["local"], __name__)),
        security=decode_security(config["security"]),
        infrastructure=infrastructure.decode(config["infrastructure"]),
        mojaloop=switch.decode(config["mojaloop"]),
        backend=backend.decode(config["backend"]),
        monitoring=monitoring.decode(config["monitoring"]),
        config=config,
        sources=sources,
    )


def _dfsp(entry: Node) -> Dfsp:
    return entry.decode(Dfsp, msisdns=entry.node("msisdn").decode(MsisdnRange))


def _local(local: Node) -> LocalSettings:
    return local.decode(LocalSettings, latency_ms=local.mapping("latency_ms"))


def _load(k6: Node) -> Load:
    runner = k6.node("runner")
    return k6.decode(
        Load,
        pairs=tuple(pair.decode(Pair) for pair in k6.nodes("pairs")),
        thresholds={metric: tuple(exprs) for metric, exprs in k6["thresholds"].items()},
        runner=runner.decode(
            Runner,
            resources=runner.mapping("resources"),
            node_selector=runner.optional_mapping("node_selector"),
        ),
        regression=k6.node("regression").decode(Regression),
    )
