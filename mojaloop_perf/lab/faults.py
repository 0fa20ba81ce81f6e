"""Faults the lab injects on purpose, per phase, from a seeded random sequence.

Each request that reaches the switch draws once: with probability ``switch_5xx`` the switch
service refuses it (HTTP 503), with ``payee_timeout`` the payee never answers, with
``payee_reject`` the payee answers with an FSPIOP error; independently, with ``slow_share`` the
payee's answer is delayed by ``slow_ms``. The draws come from one generator per phase seeded
with ``seed``, so a run with the same seed and the same order of requests injects the same
faults, and the share injected converges on the configured one.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Literal

Phase = Literal["discovery", "quote", "transfer"]
PHASES: tuple[Phase, ...] = ("discovery", "quote", "transfer")
KINDS = ("switch_5xx", "payee_timeout", "payee_reject")


@dataclass(frozen=True, slots=True)
class PhaseFaults:
    """Shares (0–1) of a phase's requests that fail each way, and the slow share and delay."""

    switch_5xx: float = 0.0
    payee_timeout: float = 0.0
    payee_reject: float = 0.0
    slow_share: float = 0.0
    slow_ms: float = 0.0

    @property
    def any(self) -> bool:
        return any((self.switch_5xx, self.payee_timeout, self.payee_reject, self.slow_share))


@dataclass(frozen=True, slots=True)
class Faults:
    seed: int = 0
    discovery: PhaseFaults = field(default_factory=PhaseFaults)
    quote: PhaseFaults = field(default_factory=PhaseFaults)
    transfer: PhaseFaults = field(default_factory=PhaseFaults)

    def of(self, phase: Phase) -> PhaseFaults:
        return getattr(self, phase)  # type: ignore[no-any-return]


@dataclass(frozen=True, slots=True)
class Draw:
    """What happens to one request: a failure kind (or None) and a delay at the payee."""

    kind: str | None = None
    slow_ms: float = 0.0


NO_FAULT = Draw()


class FaultPlan:
    """The seeded draws of one lab; ``draw(phase)`` once per request that reaches the switch."""

    def __init__(self, faults: Faults | None = None) -> None:
        self.faults = faults or Faults()
        self._kinds = {p: random.Random(f"{self.faults.seed}/{p}/kind") for p in PHASES}
        self._slow = {p: random.Random(f"{self.faults.seed}/{p}/slow") for p in PHASES}

    def draw(self, phase: Phase) -> Draw:
        config = self.faults.of(phase)
        if not config.any:
            return NO_FAULT
        roll = self._kinds[phase].random()
        kind = None
        for name in KINDS:
            share = getattr(config, name)
            if roll < share:
                kind = name
                break
            roll -= share
        slow = config.slow_ms if self._slow[phase].random() < config.slow_share else 0.0
        return Draw(kind, slow)
