"""Semantic checks of the `local` component: the faults the lab is asked to inject.

Registered with the other checks (mojaloop_perf/scenario/checks.py imports this module).
"""

from __future__ import annotations

from collections.abc import Iterator

from mojaloop_perf.scenario.checks import ERROR, OK, WARNING, Config, Result, check

FAILURE_KINDS = ("switch_5xx", "payee_timeout", "payee_reject")
PHASES = ("discovery", "quote", "transfer")


@check("lab faults")
def _fault_shares(config: Config) -> Iterator[Result]:
    faults = config["local"]["faults"]
    described = []
    for phase in PHASES:
        shares = faults[phase]
        failing = sum(shares[kind] for kind in FAILURE_KINDS)
        if failing > 1:
            yield Result(
                "lab faults",
                ERROR,
                "local",
                ("faults", phase),
                f"{' + '.join(FAILURE_KINDS)} add up to {failing:g}, more than all requests",
            )
            return
        parts = [f"{failing:.1%} failing"] if failing else []
        if shares["slow_share"]:
            parts.append(f"{shares['slow_share']:.1%} {shares['slow_ms']:g} ms late")
        if parts:
            described.append(f"{phase} {', '.join(parts)}")
    message = "; ".join(described) if described else "none injected"
    yield Result("lab faults", OK, "local", ("faults",), f"{message} (seed {faults['seed']})")


@check("lab timeout")
def _timeouts_reach_k6(config: Config) -> Iterator[Result]:
    local, k6 = config["local"], config["k6"]
    timing_out = [p for p in PHASES if local["faults"][p]["payee_timeout"]]
    sdk_s, k6_s = local["sdk_timeout_s"], k6["http_timeout_s"]
    if timing_out and sdk_s >= k6_s:
        yield Result(
            "lab timeout",
            WARNING,
            "local",
            ("sdk_timeout_s",),
            f"payee timeouts ({', '.join(timing_out)}) answer after {sdk_s:g} s, but k6 gives up "
            f"after http_timeout_s {k6_s:g} s: k6 will see its own timeouts, not the SDK's 500",
        )
        return
    yield Result(
        "lab timeout",
        OK,
        "local",
        ("sdk_timeout_s",),
        f"a missing callback is answered 500 after {sdk_s:g} s (k6 waits up to {k6_s:g} s)",
    )
