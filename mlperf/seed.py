"""The seed data of a scenario, one source for every target: participants and MSISDN ranges."""

from __future__ import annotations

from dataclasses import dataclass

from mlperf.scenario.model import Dfsp, Scenario


@dataclass(frozen=True)
class Lookup:
    """A sample discovery that must resolve: `via` looks up `msisdn`, which `owner` holds."""

    via: str
    msisdn: str
    owner: str


def participants(scenario: Scenario) -> list[dict[str, str]]:
    return [
        {"fspId": d.id, "currency": scenario.currency, "ndc": scenario.ndc} for d in scenario.dfsps
    ]


def msisdn_ranges(scenario: Scenario) -> list[dict[str, object]]:
    return [
        {"fspId": d.id, "start": d.msisdns.start, "count": d.msisdns.count} for d in scenario.dfsps
    ]


def sample_lookups(scenario: Scenario) -> list[Lookup]:
    """One lookup per DFSP: a MSISDN in the middle of its range, asked by another DFSP."""
    return [
        Lookup(
            via=_asker(scenario, dfsp).id,
            msisdn=dfsp.msisdns.at(dfsp.msisdns.count // 2),
            owner=dfsp.id,
        )
        for dfsp in scenario.dfsps
    ]


def _asker(scenario: Scenario, dfsp: Dfsp) -> Dfsp:
    others = [d for d in scenario.dfsps if d.id != dfsp.id]
    payers = [d for d in others if d.role == "payer"]
    return (payers or others)[0]
