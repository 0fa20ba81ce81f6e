"""Running a seed plan: its phases in order, each phase's calls in parallel, each answer judged.

The calls go through `Runner.http_many` (so --dry-run and the tests see the same plan); each
answer is judged by its phase's rule (aws_seed_answers). The run stops at the first phase with a
failed call, with one line naming the call and the answer, and reports each phase as it ends:
how many objects were new and how many were already there.
"""

from __future__ import annotations

import http.client
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

from mojaloop_perf.errors import UserError
from mojaloop_perf.runner import Echo, HttpCall, HttpResponse, Runner
from mojaloop_perf.smoke import reason
from mojaloop_perf.targets.aws_seed_answers import BulkParties, Read
from mojaloop_perf.targets.aws_seed_plan import Derived, SeedPhase

PROGRESS_EVERY_S = 5.0


class Context(Protocol):
    """What running the seed needs from a stage context."""

    runner: Runner
    echo: Echo


@dataclass
class Tally:
    """What one phase did: objects created and objects found already there."""

    new: int = 0
    there: int = 0


def run_seed(ctx: Context, phases: Sequence[SeedPhase], *, workers: int = 16) -> dict[str, Tally]:
    """Run the phases in order, each phase's calls in parallel; the tally of each phase.

    Stops at the first phase with a failed call, with one line naming the call and the answer.
    """
    runner, echo = ctx.runner, ctx.echo
    tallies: dict[str, Tally] = {}
    previous: Sequence[HttpResponse | None] = ()
    for phase in phases:
        if phase.derive is not None and runner.dry_run:
            echo(f"[dry-run] seed: {phase.name}: calls follow from the answers of the phase before")
            previous = ()
            continue
        if phase.derive is not None:
            derived = phase.derive([r for r in previous if r is not None])
        else:
            derived = Derived(phase.calls)
        if runner.dry_run:
            echo(f"[dry-run] seed: {phase.name}: {calls_phrase(len(derived.calls))}")
            runner.http_many(derived.calls, workers=workers)
            continue
        previous, tally = _run_phase(runner, echo, phase, derived, workers)
        tallies[phase.name] = tally
    return tallies


def _run_phase(
    runner: Runner, echo: Echo, phase: SeedPhase, derived: Derived, workers: int
) -> tuple[list[HttpResponse | None], Tally]:
    calls = derived.calls
    total = len(calls) + derived.there
    done = derived.there
    shown = time.monotonic()

    def progress(_: int, __: HttpResponse) -> None:
        nonlocal done, shown
        done += 1
        if time.monotonic() - shown >= PROGRESS_EVERY_S and done < total:
            shown = time.monotonic()
            echo(f"seed: {phase.name} {done}/{total}")

    try:
        answers = runner.http_many(calls, workers=workers, on_done=progress)
    except (OSError, http.client.HTTPException) as exc:
        origin = urlsplit(calls[0].url)
        raise UserError(
            f"seed: {phase.name}: {phase.target} is not reachable through the tunnel at "
            f"{origin.scheme}://{origin.netloc} ({reason(exc)})"
        ) from None
    tally = Tally(there=derived.there)
    failures: list[tuple[HttpCall, HttpResponse, str]] = []
    for call, answer in zip(calls, answers, strict=True):
        assert answer is not None
        verdict = phase.accept.judge(answer)
        tally.new += verdict.new
        tally.there += verdict.there
        if verdict.problem is not None:
            failures.append((call, answer, verdict.problem))
    if failures:
        call, answer, problem = failures[0]
        url = urlsplit(call.url)
        path = url.path + (f"?{url.query}" if url.query else "")
        host = call.headers.get("Host", url.netloc)
        more = f" ({len(failures)} of {len(calls)} calls failed)" if len(failures) > 1 else ""
        raise UserError(
            f"seed: {phase.name}: {call.method} {path} ({host}) answered "
            f"HTTP {answer.status}: {_detail(problem, answer)}{more}"
        )
    if isinstance(phase.accept, Read):
        echo(f"seed: {phase.name} {total}/{total} read")
        return answers, tally
    unit = " batches" if isinstance(phase.accept, BulkParties) else ""
    echo(f"seed: {phase.name} {total}/{total}{unit}, {tally.new} new, {tally.there} already there")
    return answers, tally


def calls_phrase(n: int) -> str:
    return f"{n} call" if n == 1 else f"{n} calls"


def _detail(problem: str, answer: HttpResponse) -> str:
    """The problem without the repeated 'HTTP <status>, ' that describe_answer starts with."""
    return problem.removeprefix(f"HTTP {answer.status}, ").removeprefix(f"HTTP {answer.status}")
