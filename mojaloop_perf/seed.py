"""The seed data of a scenario, one source for every target: participants, MSISDN ranges and
the names of the parties behind them."""

from __future__ import annotations

import zlib
from dataclasses import dataclass

from mojaloop_perf.scenario.model import Dfsp, Scenario


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


_FIRST_NAMES = (
    "Amani", "Bahati", "Chausiku", "Dalila", "Eshe", "Faraji", "Gathoni", "Hamisi",
    "Imani", "Jabari", "Kamaria", "Lulu", "Mosi", "Nia", "Okello", "Pendo",
)  # fmt: skip
_LAST_NAMES = (
    "Achieng", "Banda", "Chege", "Dlamini", "Eze", "Fofana", "Gitau", "Hakizimana",
    "Ibrahim", "Juma", "Kamau", "Lwanga", "Mensah", "Nkosi", "Odhiambo", "Phiri",
)  # fmt: skip


def party_names(id_value: str) -> tuple[str, str]:
    """Deterministic (firstName, lastName) for a party identifier."""
    h = zlib.crc32(id_value.encode("utf-8"))
    return _FIRST_NAMES[h % len(_FIRST_NAMES)], _LAST_NAMES[(h >> 8) % len(_LAST_NAMES)]
