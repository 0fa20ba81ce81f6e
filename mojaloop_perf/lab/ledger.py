"""The lab's ledger of outcomes: how it answered every outbound request, phase by phase.

One entry per answered request, under the phase of its route (``GET /parties`` → discovery,
``POST /quotes`` → quote, ``POST /simpleTransfers`` → transfer): ``ok`` when the answer is the
one a load script counts as success (a party, a quote with its ILP terms, a COMMITTED
transfer), otherwise what went wrong (an FSPIOP error code, ``timeout``, ``refused 503``,
``invalid``, …). Faults the lab injected on purpose are counted beside, by kind, once they
took effect. ``in_flight`` counts requests received and not yet answered, so a reader can wait
until every answer of a run is in before comparing counts.

With ``hops: http`` each process keeps its own ledger (the DFSPs their answers, the switch the
faults it injected); ``merge`` adds their views up into one of the same shape.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from mojaloop_perf.lab.faults import PHASES

OK = "ok"


class Ledger:
    def __init__(self) -> None:
        self.outcomes: dict[str, Counter[str]] = {phase: Counter() for phase in PHASES}
        self.injected: dict[str, Counter[str]] = {phase: Counter() for phase in PHASES}
        self.in_flight = 0

    def begin(self) -> None:
        self.in_flight += 1

    def answer(self, phase: str, outcome: str) -> None:
        self.in_flight -= 1
        self.outcomes[phase][outcome] += 1

    def inject(self, phase: str, kind: str) -> None:
        self.injected[phase][kind] += 1

    def view(self) -> dict[str, Any]:
        """``{"in_flight": n, "phases": {phase: {"ok", "failed", "outcomes", "injected"}}}``."""
        phases = {}
        for phase in PHASES:
            outcomes = self.outcomes[phase]
            phases[phase] = {
                "ok": outcomes[OK],
                "failed": sum(n for outcome, n in outcomes.items() if outcome != OK),
                "outcomes": dict(sorted(outcomes.items())),
                "injected": dict(sorted(self.injected[phase].items())),
            }
        return {"in_flight": self.in_flight, "phases": phases}


def merge(views: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """One view that counts everything the given ``Ledger.view()`` answers count."""
    total = Ledger()
    for view in views:
        total.in_flight += int(view.get("in_flight", 0))
        for phase, counts in view.get("phases", {}).items():
            total.outcomes[phase].update(counts.get("outcomes", {}))
            total.injected[phase].update(counts.get("injected", {}))
    return total.view()
