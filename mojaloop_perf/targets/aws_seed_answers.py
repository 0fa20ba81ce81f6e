"""What each answer of the Mojaloop admin APIs means to the seed: new, already there, or a failure.

A second seed must change nothing, so each write comes with the rule saying which error answers
mean "already there". The rules restate what the services answer, from their sources (public
repositories, Nov 2026; restated, not copied):
- mojaloop/central-ledger src/api/participants/handler.js, src/domain/participant/index.js,
  src/api/settlementModels/handler.js: the "already" errors of the admin routes.
- mojaloop/mojaloop-simulator init/onboard-hub-accounts/onboard-hub-accounts.js (re-creating a
  hub account answers 400 with errorCode 3003 and "already" in the description),
  src/models/errors.js (the party repository's ID_NOT_UNIQUE).
- mojaloop/account-lookup-service src/domain/oracle/oracle.js (an active oracle already exists).
- mojaloop/als-msisdn-oracle-svc src/domain/ParticipantService.ts, src/domain/participants.ts,
  src/server/handlers/participants*.ts (the bulk POST's per-party results).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from mojaloop_perf.runner import HttpResponse
from mojaloop_perf.smoke import describe_answer, dig


@dataclass(frozen=True)
class Verdict:
    """What one answer means: objects created, objects already there, or a problem."""

    new: int = 0
    there: int = 0
    problem: str | None = None


class Rule(Protocol):
    """How a phase judges each answer of its calls."""

    def judge(self, response: HttpResponse) -> Verdict: ...


@dataclass(frozen=True)
class AlreadyThere:
    """A write: 2xx creates one object; an error with one of `statuses`, an error code in
    `codes` (any when empty) and `text` in its description means it already exists."""

    statuses: frozenset[int]
    codes: frozenset[str] = frozenset()
    text: str = "already"

    def judge(self, response: HttpResponse) -> Verdict:
        if 200 <= response.status < 300:
            return Verdict(new=1)
        code, description = error_of(response.body)
        if (
            response.status in self.statuses
            and (not self.codes or code in self.codes)
            and self.text.lower() in description.lower()
        ):
            return Verdict(there=1)
        return Verdict(problem=describe_answer(response))


@dataclass(frozen=True)
class Read:
    """A read: any 2xx is fine and counts nothing."""

    def judge(self, response: HttpResponse) -> Verdict:
        if 200 <= response.status < 300:
            return Verdict()
        return Verdict(problem=describe_answer(response))


@dataclass(frozen=True)
class BulkParties:
    """The oracle's bulk POST /participants: 201 with one result per party; a party that
    failed carries errorInformation. Each party is inserted on its own (createOnePartySafe),
    so a duplicate comes back as errorCode 3003 wrapping the database's duplicate-key text.
    Not verified: that text ("Duplicate entry …" from MySQL through knex)."""

    codes: frozenset[str] = frozenset({"3003"})
    texts: tuple[str, ...] = ("duplicate", "already")

    def judge(self, response: HttpResponse) -> Verdict:
        results = dig(response.body, "partyList")
        if not 200 <= response.status < 300 or not isinstance(results, list):
            return Verdict(problem=describe_answer(response))
        new = there = 0
        for result in results:
            info = dig(result, "errorInformation")
            if not isinstance(info, dict):
                new += 1
                continue
            text = str(info.get("errorDescription", "")).lower()
            if str(info.get("errorCode")) in self.codes and any(t in text for t in self.texts):
                there += 1
                continue
            msisdn = dig(result, "partyId", "partyIdentifier")
            return Verdict(
                problem=f"MSISDN {msisdn}: {info.get('errorCode')} {info.get('errorDescription')}"
            )
        return Verdict(new=new, there=there)


def error_of(body: Any) -> tuple[str, str]:
    """(error code, description) of an error body: FSPIOP errorInformation, or the simulator's
    {statusCode, message}."""
    info = dig(body, "errorInformation")
    if isinstance(info, dict):
        return str(info.get("errorCode", "")), str(info.get("errorDescription", ""))
    if isinstance(body, dict):
        return str(body.get("statusCode", "")), str(body.get("message", ""))
    return "", str(body or "")


# The "already there" answers, as the services give them. HTTP statuses: FSPIOP 3000 and 3003
# are client errors (400), 2001 an internal error (500); onboard-hub-accounts.js checks exactly
# 400 + 3003 + /already/ for a hub account. Descriptions, from the sources read:
# hub account "Hub account has already been registered."; model "This Settlement Model already
# exists"; participant "Participant currency has already been registered"; limits "Participant
# Limit or Initial Position already set"; oracle "Active oracle with matching partyIdTypeId,
# endpointTypeId, currencyId already exists"; simulator party ID_NOT_UNIQUE {statusCode 2000,
# message "ID is already registered"} with HTTP 500.
HUB_ACCOUNT_EXISTS = AlreadyThere(frozenset({400}), frozenset({"3003"}))
MODEL_EXISTS = AlreadyThere(frozenset({400}), frozenset({"3000"}), "already exists")
PARTICIPANT_EXISTS = AlreadyThere(frozenset({400}), frozenset({"3000"}))
LIMITS_EXIST = AlreadyThere(frozenset({500}), frozenset({"2001"}), "already set")
ORACLE_EXISTS = AlreadyThere(frozenset({500}), frozenset({"2001"}), "already exists")
PARTY_EXISTS = AlreadyThere(frozenset({500}), frozenset({"2000"}), "already registered")
CREATED = AlreadyThere(frozenset())  # a write with no "already there" answer
READ = Read()
BULK_PARTIES = BulkParties()
