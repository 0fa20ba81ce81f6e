"""Semantic checks a JSON Schema cannot express: cross-references, sums, overlaps and sizing.

Each check reports an outcome even when it passes (with the figure it checked), so that
`invoke validate` can show the whole table. Errors stop every stage; warnings are shown by
`invoke validate` and fail it only with `--strict`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from mojaloop_perf.scenario import sizing
from mojaloop_perf.scenario.model import STEADY_METRICS, STEADY_SELECTOR

WEIGHT_TOLERANCE = 1e-6

# Which switch handler consumes each Kafka topic (Mojaloop 17): partitions should equal its
# replicas, as fewer leave replicas idle and more leave partitions waiting on one consumer.
TOPIC_CONSUMERS = {
    "topic-quotes-post": "quoting-service-handler",
    "topic-quotes-put": "quoting-service-handler",
    "topic-transfer-prepare": "centralledger-handler-transfer-prepare",
    "topic-transfer-fulfil": "centralledger-handler-transfer-fulfil",
    "topic-transfer-position-batch": "handler-pos-batch",
    "topic-notification-event": "ml-api-adapter-handler-notification",
}

OK, WARNING, ERROR = "ok", "warning", "error"


@dataclass(frozen=True)
class Result:
    """One outcome: the check, its level, the component and key path it is about, and why."""

    check: str
    level: str
    component: str
    path: tuple[Any, ...]
    message: str


Config = Mapping[str, Any]
Check = Callable[[Config], Iterator[Result]]
# (name, function, target): a check with a target runs only when the scenario runs on that target.
CHECKS: list[tuple[str, Check, str | None]] = []


def check(name: str, target: str | None = None) -> Callable[[Check], Check]:
    """Register a check; with `target`, it runs only for that target (`local` or `aws`)."""

    def register(function: Check) -> Check:
        CHECKS.append((name, function, target))
        return function

    return register


def run(config: Config, target: str | None = None) -> list[Result]:
    """Every check's outcomes on a merged, schema-valid config, in a stable order: the checks
    every target shares, then (when `target` is given) that target's own."""
    return [
        result
        for _, function, only in CHECKS
        if only is None or only == target
        for result in function(config)
    ]


def _ok(name: str, component: str, path: tuple[Any, ...], message: str) -> Result:
    return Result(name, OK, component, path, message)


@check("dfsp ids")
def _unique_dfsps(config: Config) -> Iterator[Result]:
    seen: set[str] = set()
    clean = True
    for i, entry in enumerate(config["dfsp"]["dfsps"]):
        if entry["id"] in seen:
            clean = False
            yield Result(
                "dfsp ids", ERROR, "dfsp", ("dfsps", i, "id"), f"{entry['id']!r} is declared twice"
            )
        seen.add(entry["id"])
    if clean:
        yield _ok("dfsp ids", "dfsp", ("dfsps",), f"{len(seen)} DFSPs, ids unique")


@check("msisdn ranges")
def _msisdn_ranges(config: Config) -> Iterator[Result]:
    dfsp = config["dfsp"]
    minimum = dfsp["min_msisdns"]
    spans = []
    clean = True
    for i, entry in enumerate(dfsp["dfsps"]):
        first, count = int(entry["msisdn"]["start"]), entry["msisdn"]["count"]
        if count < minimum:
            clean = False
            yield Result(
                "msisdn ranges",
                ERROR,
                "dfsp",
                ("dfsps", i, "msisdn", "count"),
                f"{entry['id']} holds {count} MSISDNs, fewer than min_msisdns ({minimum})",
            )
        if len(str(first + count - 1)) > len(entry["msisdn"]["start"]):
            clean = False
            yield Result(
                "msisdn ranges",
                ERROR,
                "dfsp",
                ("dfsps", i, "msisdn"),
                f"range of {entry['id']} runs past {len(entry['msisdn']['start'])} digits",
            )
        spans.append((first, first + count - 1, i, entry["id"]))
    spans.sort()
    for index, (first, _, j, other) in enumerate(spans[1:], start=1):
        last, owner = max(spans[:index], key=lambda s: s[1])[1::2]
        if first <= last:
            clean = False
            yield Result(
                "msisdn ranges",
                ERROR,
                "dfsp",
                ("dfsps", j, "msisdn"),
                f"range of {other} overlaps the range of {owner}; MSISDN ranges must be disjoint",
            )
    if clean:
        total = sum(e["msisdn"]["count"] for e in dfsp["dfsps"])
        yield _ok(
            "msisdn ranges", "dfsp", ("dfsps",), f"disjoint, {total} MSISDNs, each ≥ {minimum}"
        )


@check("fsp pairs")
def _pairs(config: Config) -> Iterator[Result]:
    roles = {entry["id"]: entry["role"] for entry in config["dfsp"]["dfsps"]}
    clean = True
    for i, pair in enumerate(config["k6"]["pairs"]):
        for end, role in (("source", "payer"), ("dest", "payee")):
            name = pair[end]
            if name not in roles:
                clean = False
                yield Result(
                    "fsp pairs",
                    ERROR,
                    "k6",
                    ("pairs", i, end),
                    f"{name!r} is not a declared DFSP ({', '.join(roles)})",
                )
            elif roles[name] != role:
                clean = False
                yield Result(
                    "fsp pairs",
                    ERROR,
                    "k6",
                    ("pairs", i, end),
                    f"{name!r} has role {roles[name]}, not {role}",
                )
        if pair["source"] == pair["dest"]:
            clean = False
            yield Result(
                "fsp pairs", ERROR, "k6", ("pairs", i), "source and dest are the same DFSP"
            )
    if clean:
        yield _ok(
            "fsp pairs", "k6", ("pairs",), f"{len(config['k6']['pairs'])} pairs, payer → payee"
        )


@check("pair weights")
def _weights(config: Config) -> Iterator[Result]:
    total = sum(pair["weight"] for pair in config["k6"]["pairs"])
    if abs(total - 1.0) > WEIGHT_TOLERANCE:
        yield Result("pair weights", ERROR, "k6", ("pairs",), f"weights sum to {total:g}, not 1")
    else:
        yield _ok("pair weights", "k6", ("pairs",), "weights sum to 1")


@check("kafka partitions")
def _partitions(config: Config) -> Iterator[Result]:
    services = config["mojaloop"]["services"]
    clean = True
    for topic, consumer in TOPIC_CONSUMERS.items():
        partitions = config["backend"]["kafka"]["topics"][topic]["partitions"]
        replicas = services[consumer]["replicas"]
        if partitions != replicas:
            clean = False
            effect = (
                f"{replicas - partitions} replicas would idle"
                if replicas > partitions
                else f"{partitions - replicas} partitions would share a consumer"
            )
            yield Result(
                "kafka partitions",
                ERROR,
                "backend",
                ("kafka", "topics", topic, "partitions"),
                f"{partitions} partitions but {consumer} has {replicas} replicas ({effect}); make them equal",
            )
    if clean:
        yield _ok(
            "kafka partitions",
            "backend",
            ("kafka", "topics"),
            "each topic matches its consumer's replicas",
        )


@check("kafka replication")
def _replication(config: Config) -> Iterator[Result]:
    kafka = config["backend"]["kafka"]
    nodes = config["infrastructure"]["node_groups"]["kafka"]["count"]
    if kafka["replication_factor"] > kafka["replicas"]:
        yield Result(
            "kafka replication",
            ERROR,
            "backend",
            ("kafka", "replication_factor"),
            f"{kafka['replication_factor']} copies need as many brokers; kafka.replicas is {kafka['replicas']}",
        )
    elif kafka["replicas"] > max(nodes, 1):
        yield Result(
            "kafka replication",
            WARNING,
            "backend",
            ("kafka", "replicas"),
            f"{kafka['replicas']} brokers on {nodes} dedicated Kafka nodes: brokers would share a node",
        )
    else:
        yield _ok(
            "kafka replication",
            "backend",
            ("kafka",),
            f"{kafka['replicas']} brokers, replication factor {kafka['replication_factor']}",
        )


@check("generic multiples")
def _multiples(config: Config) -> Iterator[Result]:
    generic = config["infrastructure"]["node_groups"]["generic"]["count"]
    clean = True
    if generic > 1:
        for name, service in config["mojaloop"]["services"].items():
            if service["replicas"] % generic:
                clean = False
                yield Result(
                    "generic multiples",
                    WARNING,
                    "mojaloop",
                    ("services", name, "replicas"),
                    f"{service['replicas']} is not a multiple of the {generic} generic nodes: pods spread unevenly",
                )
        for topic, entry in config["backend"]["kafka"]["topics"].items():
            if entry["partitions"] % generic:
                clean = False
                yield Result(
                    "generic multiples",
                    WARNING,
                    "backend",
                    ("kafka", "topics", topic, "partitions"),
                    f"{entry['partitions']} is not a multiple of the {generic} generic nodes",
                )
    if clean:
        yield _ok(
            "generic multiples",
            "mojaloop",
            ("services",),
            f"replicas and partitions spread evenly on {generic} generic nodes",
        )


@check("dfsp nodes")
def _dfsp_nodes(config: Config) -> Iterator[Result]:
    nodes = config["infrastructure"]["node_groups"]["dfsp"]["count"]
    dfsps = len(config["dfsp"]["dfsps"])
    if nodes != dfsps:
        yield Result(
            "dfsp nodes",
            ERROR,
            "infrastructure",
            ("node_groups", "dfsp", "count"),
            f"{nodes} DFSP nodes for {dfsps} DFSPs: each DFSP runs on a single-node cluster of its own",
        )
    else:
        yield _ok(
            "dfsp nodes",
            "infrastructure",
            ("node_groups", "dfsp", "count"),
            f"one node per DFSP ({dfsps})",
        )


@check("vu budget")
def _vu_budget(config: Config) -> Iterator[Result]:
    k6 = config["k6"]
    latency_s = k6["expected_e2e_latency_ms"] / 1000
    in_flight = k6["tps"] * latency_s
    needed = math.ceil(in_flight * k6["vu_headroom"])
    figure = f"{k6['tps']} TPS × {latency_s:g} s × {k6['vu_headroom']:g} headroom = {needed} VUs"
    if k6["max_vus"] < k6["pre_allocated_vus"]:
        yield Result(
            "vu budget",
            ERROR,
            "k6",
            ("max_vus",),
            f"{k6['max_vus']} is less than pre_allocated_vus ({k6['pre_allocated_vus']})",
        )
    elif k6["max_vus"] < needed:
        yield Result(
            "vu budget", ERROR, "k6", ("max_vus",), f"{k6['max_vus']} < {figure} (Little's law)"
        )
    elif k6["pre_allocated_vus"] < math.ceil(in_flight):
        yield Result(
            "vu budget",
            WARNING,
            "k6",
            ("pre_allocated_vus",),
            f"{k6['pre_allocated_vus']} < {math.ceil(in_flight)} VUs in flight at the expected latency: "
            "k6 would allocate VUs during the run",
        )
    else:
        yield _ok("vu budget", "k6", ("max_vus",), f"max_vus {k6['max_vus']} ≥ {figure}")


@check("parallelism")
def _parallelism(config: Config) -> Iterator[Result]:
    k6 = config["k6"]
    runners = k6["parallelism"]
    nodes = config["infrastructure"]["node_groups"]["k6"]["count"]
    per_runner = k6["tps"] / runners
    if k6["pre_allocated_vus"] < runners:
        yield Result(
            "parallelism",
            ERROR,
            "k6",
            ("pre_allocated_vus",),
            f"{k6['pre_allocated_vus']} VUs cannot be split across {runners} runners (each needs at least one)",
        )
    elif k6["separate"] and runners > nodes:
        yield Result(
            "parallelism",
            ERROR,
            "k6",
            ("parallelism",),
            f"separate: true puts one runner per k6 node, but {runners} runners > {nodes} k6 nodes",
        )
    else:
        yield _ok(
            "parallelism",
            "k6",
            ("parallelism",),
            f"{runners} runner(s) × {per_runner:g} TPS = {k6['tps']} TPS (execution segments split the rate)",
        )


@check("steady window")
def _steady_window(config: Config) -> Iterator[Result]:
    k6 = config["k6"]
    duration = k6["transactions"] / k6["tps"]
    window = duration - k6["warmup_s"] - k6["drain_s"]
    if window <= 0:
        yield Result(
            "steady window",
            ERROR,
            "k6",
            ("warmup_s",),
            f"warmup_s {k6['warmup_s']:g} + drain_s {k6['drain_s']:g} leave no steady window in a "
            f"{duration:g} s run (transactions / tps)",
        )
    else:
        yield _ok(
            "steady window", "k6", ("warmup_s",), f"{window:g} s steady of a {duration:g} s run"
        )


@check("thresholds window")
def _thresholds_window(config: Config) -> Iterator[Result]:
    k6 = config["k6"]
    if k6["thresholds_window"] != "steady":
        yield _ok(
            "thresholds window", "k6", ("thresholds_window",), "thresholds judge the full run"
        )
        return
    clean = True
    for metric in k6["thresholds"]:
        if "{" in metric:
            problem = "already selects a sub-metric; name the bare metric"
        elif metric not in STEADY_METRICS:
            problem = f"has no steady-window sub-metric (only {', '.join(STEADY_METRICS)} have)"
        else:
            continue
        clean = False
        yield Result(
            "thresholds window",
            ERROR,
            "k6",
            ("thresholds", metric),
            f"thresholds_window is steady, which judges {metric}{STEADY_SELECTOR}, but "
            f"{metric} {problem}; or set thresholds_window: full",
        )
    if clean:
        yield _ok(
            "thresholds window",
            "k6",
            ("thresholds_window",),
            f"thresholds on {', '.join(sorted(k6['thresholds'])) or 'no metric'} judge the "
            "steady window",
        )


@check("resources fit")
def _resources(config: Config) -> Iterator[Result]:
    groups = config["infrastructure"]["node_groups"]
    demands = [
        (
            "generic",
            "switch services",
            [
                (s["replicas"], s.get("resources", {}))
                for s in config["mojaloop"]["services"].values()
            ],
            groups["generic"]["count"],
            ("mojaloop", ("services",)),
        ),
        (
            "dfsp",
            "one DFSP's simulator",
            [
                (
                    config["dfsp"]["simulator"]["sdk_replicas"],
                    config["dfsp"]["simulator"].get("resources", {}),
                )
            ],
            1,
            ("dfsp", ("simulator", "sdk_replicas")),
        ),
        (
            "k6",
            "k6 runners",
            [(config["k6"]["parallelism"], config["k6"]["runner"]["resources"])],
            groups["k6"]["count"],
            ("k6", ("runner", "resources")),
        ),
    ]
    fits = []
    for group, what, pods, nodes, (component, path) in demands:
        instance = groups[group]["instance_type"]
        capacity = sizing.capacity(instance)
        if capacity is None:
            yield Result(
                "resources fit",
                WARNING,
                "infrastructure",
                ("node_groups", group, "instance_type"),
                f"unknown instance type {instance}: cannot check that {what} fit",
            )
            continue
        cpu = sum(
            count * sizing.cpu(res.get("requests", {}).get("cpu", "0")) for count, res in pods
        )
        memory = sum(
            count * sizing.memory(res.get("requests", {}).get("memory", "0")) for count, res in pods
        )
        have_cpu = nodes * capacity.vcpu * sizing.ALLOCATABLE
        have_memory = nodes * capacity.memory * sizing.ALLOCATABLE
        if cpu > have_cpu or memory > have_memory:
            yield Result(
                "resources fit",
                WARNING,
                component,
                path,
                f"{what} request {cpu:g} vCPU / {memory / 2**30:.1f} GiB; {nodes} × {instance} "
                f"offer {have_cpu:g} vCPU / {have_memory / 2**30:.1f} GiB allocatable",
            )
        else:
            fits.append(f"{what} {cpu:g}/{have_cpu:g} vCPU")
    if len(fits) == len(demands):
        yield _ok("resources fit", "infrastructure", ("node_groups",), "; ".join(fits))


# The local and security components' checks live in their own modules; importing them registers them.
from mojaloop_perf.scenario import local_checks, security_checks  # noqa: E402, F401
