"""The validity gate's arithmetic: what the lab answered during a run, and k6's counts against it.

The gate against a real k6 and a real lab is in tests/e2e/test_validity_gate.py.
"""

from __future__ import annotations

from typing import Any

from mojaloop_perf.runner import HttpResponse
from mojaloop_perf.targets import local_gate


def ledger(in_flight: int = 0, **phases: dict[str, Any]) -> dict[str, Any]:
    empty = {"ok": 0, "failed": 0, "outcomes": {}, "injected": {}}
    return {"in_flight": in_flight, "phases": {p: phases.get(p, empty) for p in local_gate.PHASES}}


BEFORE = ledger(discovery={"ok": 8, "failed": 0, "outcomes": {"ok": 8}, "injected": {}})
AFTER = ledger(
    discovery={
        "ok": 108,
        "failed": 3,
        "outcomes": {"ok": 108, "refused 503": 3},
        "injected": {"switch_5xx": 3},
    },
    quote={
        "ok": 100,
        "failed": 5,
        "outcomes": {"ok": 100, "5101": 5},
        "injected": {"payee_reject": 5},
    },
    transfer={
        "ok": 99,
        "failed": 1,
        "outcomes": {"ok": 99, "timeout": 1},
        "injected": {"payee_timeout": 1},
    },
)


def figures(completed: int, discovery: int, quote: int, transfer: int) -> dict[str, Any]:
    return {
        "completed": completed,
        "failed_by_phase": {"discovery": discovery, "quote": quote, "transfer": transfer},
    }


def test_during_subtracts_what_was_there_before_the_run() -> None:
    run = local_gate.during(BEFORE, AFTER)["phases"]
    assert run["discovery"] == {
        "ok": 100,
        "failed": 3,
        "outcomes": {"ok": 100, "refused 503": 3},
        "injected": {"switch_5xx": 3},
    }
    assert run["transfer"]["ok"] == 99


def test_equal_counts_pass_and_name_the_injected_faults() -> None:
    block, check = local_gate.gate(figures(99, 3, 5, 1), local_gate.during(BEFORE, AFTER))
    assert block["passed"] and check.ok and check.name == "validity_gate"
    assert block["completed"] == {"k6": 99, "lab": 99}
    assert block["failed"]["quote"] == {"k6": 5, "lab": 5}
    assert check.detail == (
        "k6 and the lab agree: 99 completed; failed discovery 3, quote 5, transfer 1 "
        "(injected: discovery switch_5xx 3; quote payee_reject 5; transfer payee_timeout 1)"
    )


def test_every_difference_is_named() -> None:
    block, check = local_gate.gate(figures(98, 3, 4, 2), local_gate.during(BEFORE, AFTER))
    assert not block["passed"] and not check.ok
    assert check.detail == (
        "k6 and the lab disagree: completed: k6 98, lab committed 99; "
        "quote failures: k6 4, lab 5; transfer failures: k6 2, lab 1"
    )


def test_answers_still_in_flight_fail_the_gate() -> None:
    after = {**AFTER, "in_flight": 2}
    _, check = local_gate.gate(figures(99, 3, 5, 1), local_gate.during(BEFORE, after))
    assert not check.ok and check.detail.endswith("2 lab answers still in flight")


class LedgerRunner:
    """A Runner stand-in whose ledger empties its in-flight count one reading at a time."""

    def __init__(self, in_flight: int) -> None:
        self.in_flight = in_flight
        self.calls = 0

    def http(self, call: Any, quiet: bool = False) -> HttpResponse:
        self.calls += 1
        body = ledger(self.in_flight)
        self.in_flight = max(0, self.in_flight - 1)
        return HttpResponse(200, body)


def test_the_ledger_is_read_once_nothing_is_in_flight() -> None:
    runner = LedgerRunner(in_flight=3)
    settled = local_gate.settled_ledger(runner, "http://lab", 10, sleep=lambda _: None)  # type: ignore[arg-type]
    assert settled["in_flight"] == 0 and runner.calls == 4


def test_waiting_for_the_ledger_has_a_deadline() -> None:
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    runner = LedgerRunner(in_flight=10**6)
    settled = local_gate.settled_ledger(runner, "http://lab", 1, clock=lambda: now[0], sleep=sleep)  # type: ignore[arg-type]
    assert settled["in_flight"] > 0 and now[0] >= 1 and runner.calls <= 12
