"""A run's verdict: named checks, each passed or failed with a one-line detail.

summary.json carries `verdict: {passed, checks: [{name, ok, detail}]}` and `status` follows it:
`passed` only when every check passed. A new check is one function that reads the summary and
returns a `Check`, appended with `add_check`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Check:
    """One named check of the run and what it found."""

    name: str
    ok: bool
    detail: str


def add_check(summary: dict[str, Any], check: Check) -> None:
    """Append `check` to the summary's verdict, and set `passed` and `status` from all checks."""
    verdict = summary.setdefault("verdict", {"passed": True, "checks": []})
    if any(existing["name"] == check.name for existing in verdict["checks"]):
        raise ValueError(f"verdict check {check.name!r} is already there")
    verdict["checks"].append({"name": check.name, "ok": check.ok, "detail": check.detail})
    verdict["passed"] = all(entry["ok"] for entry in verdict["checks"])
    summary["status"] = "passed" if verdict["passed"] else "failed"


def thresholds(summary: dict[str, Any]) -> Check:
    """The k6 thresholds configured for the run, over the window they judged."""
    checks = summary["thresholds"]["checks"]
    window = "steady window" if summary["load"]["thresholds_window"] == "steady" else "full run"
    crossed = [f"{c['metric']} {c['expression']}" for c in checks if not c["ok"]]
    if crossed:
        return Check("thresholds", False, f"crossed {', '.join(crossed)} ({window})")
    if not checks:
        return Check("thresholds", True, "none configured")
    return Check("thresholds", True, f"{len(checks)} of {len(checks)} held ({window})")


def dropped_iterations(summary: dict[str, Any]) -> Check:
    """At most `load.max_dropped_share` of the iterations k6 was to start may have been dropped:
    beyond it, the load generator did not deliver the configured rate."""
    results, limit = summary["results"], summary["load"]["max_dropped_share"]
    dropped, share = results["dropped_iterations"], results["dropped_share"]
    scheduled = results["iterations"] + dropped
    detail = (
        f"{dropped} of {scheduled} iterations dropped ({share * 100:.3f} %), "
        f"limit {limit * 100:.3f} %"
    )
    return Check("dropped_iterations", share <= limit, detail)


def failure(summary: dict[str, Any]) -> str | None:
    """`run failed: <check>: <detail>; …` naming every failed check, or None when it passed."""
    failed = [c for c in summary["verdict"]["checks"] if not c["ok"]]
    if not failed:
        return None
    return "run failed: " + "; ".join(f"{c['name']}: {c['detail']}" for c in failed)
