"""Semantic checks a JSON Schema cannot express: cross-references, sums, overlaps and budgets.

Each check reports an outcome even when it passes (with the figure it checked), so that
`invoke validate` can show the whole table. Errors stop every stage; warnings are shown by
`invoke validate` and fail it only with `--strict`. The checks here concern every target; a
check registered with a `target` runs only when the scenario runs there: the AWS sizing
(aws_checks.py), the security postures each target can run (security_checks.py).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from mojaloop_perf.scenario.model import STEADY_METRICS, STEADY_SELECTOR

WEIGHT_TOLERANCE = 1e-6

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
# Target checks that also run when no target is given (`invoke validate` without --target).
PREVIEWED: set[str] = set()


def check(
    name: str, target: str | None = None, *, preview: bool = False
) -> Callable[[Check], Check]:
    """Register a check; with `target`, it runs only for that target (`local` or `aws`), and with
    `preview` also when no target is given, its outcomes then named `<target>: <check>`."""

    def register(function: Check) -> Check:
        CHECKS.append((name, function, target))
        if preview and target is not None:
            PREVIEWED.add(name)
        return function

    return register


def run(config: Config, target: str | None = None) -> list[Result]:
    """Every check's outcomes on a merged, schema-valid config, in a stable order: the checks
    every target shares, then (when `target` is given) that target's own. Without a target the
    previewed target checks run too, each outcome named `<target>: <check>` so that nobody takes
    it for one that concerns every target."""
    results = [
        result for _, function, only in CHECKS if only is None for result in function(config)
    ]
    for name, function, only in CHECKS:
        if only is not None and only == target:
            results.extend(function(config))
        elif only is not None and target is None and name in PREVIEWED:
            results.extend(
                dataclasses.replace(result, check=f"{only}: {result.check}")
                for result in function(config)
            )
    return results


def ok(name: str, component: str, path: tuple[Any, ...], message: str) -> Result:
    """The outcome of a check that passed, with the figure it checked."""
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
        yield ok("dfsp ids", "dfsp", ("dfsps",), f"{len(seen)} DFSPs, ids unique")


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
        yield ok(
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
        yield ok(
            "fsp pairs", "k6", ("pairs",), f"{len(config['k6']['pairs'])} pairs, payer → payee"
        )


@check("pair weights")
def _weights(config: Config) -> Iterator[Result]:
    total = sum(pair["weight"] for pair in config["k6"]["pairs"])
    if abs(total - 1.0) > WEIGHT_TOLERANCE:
        yield Result("pair weights", ERROR, "k6", ("pairs",), f"weights sum to {total:g}, not 1")
    else:
        yield ok("pair weights", "k6", ("pairs",), "weights sum to 1")


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
        yield ok("vu budget", "k6", ("max_vus",), f"max_vus {k6['max_vus']} ≥ {figure}")


@check("parallelism")
def _parallelism(config: Config) -> Iterator[Result]:
    k6 = config["k6"]
    runners = k6["parallelism"]
    per_runner = k6["tps"] / runners
    if k6["pre_allocated_vus"] < runners:
        yield Result(
            "parallelism",
            ERROR,
            "k6",
            ("pre_allocated_vus",),
            f"{k6['pre_allocated_vus']} VUs cannot be split across {runners} runners (each needs at least one)",
        )
    else:
        yield ok(
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
        yield ok(
            "steady window", "k6", ("warmup_s",), f"{window:g} s steady of a {duration:g} s run"
        )


@check("thresholds window")
def _thresholds_window(config: Config) -> Iterator[Result]:
    k6 = config["k6"]
    if k6["thresholds_window"] != "steady":
        yield ok("thresholds window", "k6", ("thresholds_window",), "thresholds judge the full run")
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
        yield ok(
            "thresholds window",
            "k6",
            ("thresholds_window",),
            f"thresholds on {', '.join(sorted(k6['thresholds'])) or 'no metric'} judge the "
            "steady window",
        )


# The other components' and targets' checks live in their own modules; importing them registers
# them, after the shared ones above.
from mojaloop_perf.scenario import aws_checks, local_checks, security_checks  # noqa: E402, F401
