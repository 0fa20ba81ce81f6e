"""The validity gate of a local run: k6's counts must equal the lab's ledger of its answers.

The lab writes every answer of its outbound APIs into a ledger, by phase (``GET /admin/ledger``;
see docs/local-lab.md). The test stage reads the ledger before k6 starts and again once every
answer is in (nothing in flight), and the difference is what the lab answered during the run.
k6 must have counted exactly that: as many completed transactions as transfers the lab
committed, and at each phase as many failures as the lab gave. Any difference means the numbers
k6 reports are not the numbers of what happened — an answer k6 never saw, a timeout on one side
only, a check in the script that disagrees with the answer — and the run does not pass.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from mojaloop_perf.errors import UserError
from mojaloop_perf.results.verdict import Check
from mojaloop_perf.runner import HttpCall, Runner

PHASES = ("discovery", "quote", "transfer")
POLL_S = 0.1


def read_ledger(runner: Runner, admin_url: str) -> dict[str, Any]:
    """The lab's ledger as it is now."""
    response = runner.http(HttpCall("GET", f"{admin_url}/admin/ledger"), quiet=True)
    if response is None or response.status != 200 or not isinstance(response.body, dict):
        status = "no answer" if response is None else f"HTTP {response.status}"
        raise UserError(f"test: the lab's ledger ({admin_url}/admin/ledger) gave {status}")
    return response.body


def settled_ledger(
    runner: Runner,
    admin_url: str,
    wait_s: float,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    """The ledger once no answer is in flight, or as it is after ``wait_s``."""
    deadline = clock() + wait_s
    ledger = read_ledger(runner, admin_url)
    while ledger.get("in_flight", 0) > 0 and clock() < deadline:
        sleep(POLL_S)
        ledger = read_ledger(runner, admin_url)
    return ledger


def _counts(entry: Mapping[str, Any], key: str) -> dict[str, int]:
    return dict(entry.get(key, {}))


def during(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    """What the lab answered between two readings of its ledger, phase by phase."""
    phases = {}
    for phase in PHASES:
        old, new = before["phases"][phase], after["phases"][phase]
        outcomes = {
            outcome: count - _counts(old, "outcomes").get(outcome, 0)
            for outcome, count in _counts(new, "outcomes").items()
        }
        injected = {
            kind: count - _counts(old, "injected").get(kind, 0)
            for kind, count in _counts(new, "injected").items()
        }
        phases[phase] = {
            "ok": new["ok"] - old["ok"],
            "failed": new["failed"] - old["failed"],
            "outcomes": {k: v for k, v in outcomes.items() if v},
            "injected": {k: v for k, v in injected.items() if v},
        }
    return {"in_flight": after.get("in_flight", 0), "phases": phases}


def gate(figures: Mapping[str, Any], lab: Mapping[str, Any]) -> tuple[dict[str, Any], Check]:
    """summary.json's ``validity_gate`` block and the verdict check, from k6's figures and
    what the lab answered during the run (``during``)."""
    phases = lab["phases"]
    completed = {"k6": figures["completed"], "lab": phases["transfer"]["ok"]}
    failed = {
        phase: {"k6": figures["failed_by_phase"][phase], "lab": phases[phase]["failed"]}
        for phase in PHASES
    }
    differences = [
        f"{phase} failures: k6 {counts['k6']}, lab {counts['lab']}"
        for phase, counts in failed.items()
        if counts["k6"] != counts["lab"]
    ]
    if completed["k6"] != completed["lab"]:
        differences.insert(0, f"completed: k6 {completed['k6']}, lab committed {completed['lab']}")
    if lab.get("in_flight"):
        differences.append(f"{lab['in_flight']} lab answers still in flight")
    injected = {p: phases[p]["injected"] for p in PHASES if phases[p]["injected"]}
    block = {
        "passed": not differences,
        "compared": "k6's counts with the local lab's ledger of the answers it gave",
        "completed": completed,
        "failed": failed,
        "lab": phases,
    }
    if differences:
        detail = "k6 and the lab disagree: " + "; ".join(differences)
    else:
        counts = ", ".join(f"{phase} {failed[phase]['k6']}" for phase in PHASES)
        detail = f"k6 and the lab agree: {completed['k6']} completed; failed {counts}"
        if injected:
            faults = "; ".join(
                f"{phase} " + ", ".join(f"{kind} {n}" for kind, n in sorted(kinds.items()))
                for phase, kinds in injected.items()
            )
            detail += f" (injected: {faults})"
    return block, Check("validity_gate", not differences, detail)
