"""One transfer end to end through a payer's SDK outbound API, before any load: the smoke test.

Target-independent: the caller says where each DFSP's outbound API is (the local lab's
`http://127.0.0.1:<port>/sim/<fsp>/outbound`, or an AWS simulator through its SSH tunnel) and
which extra headers reach it (AWS: the simulator's `Host`). The three requests carry the same
bodies as the k6 script (performance-tests/src/mojaloop-k6-operator/scripts/lib/mojaloop.js):
discovery, quote, then the simple transfer with the quote's ILP packet and condition.
"""

from __future__ import annotations

import http.client
import json
import os
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mojaloop_perf.errors import UserError
from mojaloop_perf.runner import Echo, HttpCall, HttpResponse, Runner
from mojaloop_perf.scenario.model import Scenario

# The k6 script's constant transaction type (lib/mojaloop.js, TRANSACTION_TYPE).
TRANSACTION_TYPE = {"scenario": "TRANSFER", "initiator": "PAYER", "initiatorType": "CONSUMER"}
COMMITTED = "COMMITTED"
EXCERPT_CHARS = 200

Where = Callable[[str], str] | Mapping[str, str]


@dataclass(frozen=True)
class SmokeResult:
    """The transfer that went through: who paid whom, to which MSISDN, and each phase's time."""

    payer: str
    payee: str
    msisdn: str
    transfer_id: str
    latency_ms: dict[str, float] = field(default_factory=dict)


def smoke(
    runner: Runner,
    echo: Echo,
    scenario: Scenario,
    outbound_url: Where,
    headers_for: Callable[[str], Mapping[str, str]] | None = None,
    *,
    payee_msisdn: str | None = None,
) -> SmokeResult | None:
    """Discovery, quote, simple transfer from the scenario's first pair: COMMITTED or UserError.

    `outbound_url(dfsp)` (or a mapping) is the payer's outbound API base URL, `headers_for(dfsp)`
    its extra request headers. The payee MSISDN is the first of the payee's range unless given.
    Prints one line per phase with its latency; a failure raises one line naming the phase and
    the answer. A dry run prints the three requests and returns None.
    """
    pair = scenario.load.pairs[0]
    payer, payee = pair.source, pair.dest
    msisdn = payee_msisdn or scenario.dfsp(payee).msisdns.at(0)
    payer_msisdn = scenario.dfsp(payer).msisdns.at(0)
    base = outbound_url(payer) if callable(outbound_url) else outbound_url[payer]
    trace_id = os.urandom(16).hex()
    money = {"currency": scenario.currency, "amount": scenario.load.amount}
    timeout_s = scenario.load.http_timeout_s
    extra = dict(headers_for(payer)) if headers_for is not None else {}
    echo(
        f"smoke: {payer} → {payee}, MSISDN {msisdn}, {money['amount']} {money['currency']} "
        f"via {base}"
    )

    def send(
        phase: str, method: str, path: str, body: Any = None
    ) -> tuple[HttpResponse | None, float]:
        headers = {**extra, "traceparent": f"00-{trace_id}-{os.urandom(8).hex()}-01"}
        call = HttpCall(method, f"{base}{path}", body, timeout_s=timeout_s, headers=headers)
        started = time.perf_counter()
        try:
            response = runner.http(call, quiet=not runner.dry_run)
        except (OSError, http.client.HTTPException) as exc:
            raise UserError(
                f"smoke: {phase} failed: the outbound API of {payer} at {base} is not reachable "
                f"({reason(exc)})"
            ) from None
        return response, (time.perf_counter() - started) * 1000

    latency: dict[str, float] = {}

    answer, latency["discovery"] = send("discovery", "GET", f"/parties/MSISDN/{msisdn}")
    found = dig(answer.body, "party", "body", "partyIdInfo", "fspId") if answer else None
    if answer is not None and (answer.status != 200 or found != payee):
        got = f"HTTP 200, the party is at {found}" if answer.status == 200 else None
        _fail(
            "discovery", latency, answer, f"MSISDN {msisdn} via {payer}, expected at {payee}", got
        )
    _passed(echo, answer, "discovery", latency, f"MSISDN {msisdn} is at {payee}")

    # One id names the transaction in the quote and the transfer, as the k6 script does: the
    # payee's SDK finds the quote by the transfer's transferId.
    transaction_id = str(uuid.uuid4())
    quote_request = {
        "fspId": payee,
        "quotesPostRequest": {
            "quoteId": str(uuid.uuid4()),
            "transactionId": transaction_id,
            "payee": {"partyIdInfo": party_id_info(msisdn, payee)},
            "payer": {"partyIdInfo": party_id_info(payer_msisdn, payer)},
            "amountType": "SEND",
            "amount": money,
            "transactionType": TRANSACTION_TYPE,
        },
    }
    answer, latency["quote"] = send("quote", "POST", "/quotes", quote_request)
    terms = dig(answer.body, "quotes", "body") if answer else None
    ok = answer is None or (
        answer.status == 200
        and isinstance(terms, dict)
        and bool(terms.get("ilpPacket"))
        and bool(terms.get("condition"))
    )
    if not ok:
        _fail("quote", latency, answer, f"{payer} → {payee}")
    quote = terms if isinstance(terms, dict) else {}
    _passed(echo, answer, "quote", latency, f"expires {quote.get('expiration')}")

    transfer_id = transaction_id
    transfer_request = {
        "fspId": payee,
        "transfersPostRequest": {
            "transferId": transfer_id,
            "payeeFsp": payee,
            "payerFsp": payer,
            "amount": money,
            "ilpPacket": quote.get("ilpPacket", "<ilpPacket of the quote>"),
            "condition": quote.get("condition", "<condition of the quote>"),
            "expiration": quote.get("expiration", "<expiration of the quote>"),
        },
    }
    answer, latency["transfer"] = send("transfer", "POST", "/simpleTransfers", transfer_request)
    state = dig(answer.body, "transfer", "body", "transferState") if answer else None
    if answer is not None and (answer.status != 200 or state != COMMITTED):
        _fail("transfer", latency, answer, f"transfer {transfer_id}")
    _passed(echo, answer, "transfer", latency, f"transfer {transfer_id} {state}")

    if answer is None:
        return None
    echo(f"smoke: passed, one transfer {payer} → {payee} in {_ms(sum(latency.values()))} ms")
    return SmokeResult(payer, payee, msisdn, transfer_id, latency)


def party_id_info(msisdn: str, fsp_id: str) -> dict[str, str]:
    return {"partyIdType": "MSISDN", "partyIdentifier": msisdn, "fspId": fsp_id}


def _passed(
    echo: Echo, answer: HttpResponse | None, phase: str, latency: Mapping[str, float], note: str
) -> None:
    if answer is not None:
        echo(f"smoke: {phase} {_ms(latency[phase])} ms ({note})")


def _fail(
    phase: str,
    latency: Mapping[str, float],
    answer: HttpResponse,
    what: str,
    got: str | None = None,
) -> None:
    raise UserError(
        f"smoke: {phase} failed after {_ms(latency[phase])} ms ({what}): "
        f"{got or describe_answer(answer)}"
    )


def _ms(value: float) -> str:
    return f"{value:.1f}" if value < 10 else f"{value:.0f}"


def dig(body: Any, *keys: str) -> Any:
    """body[k1][k2]…, or None when any step is missing or not an object."""
    for key in keys:
        if not isinstance(body, dict):
            return None
        body = body.get(key)
    return body


def describe_answer(response: HttpResponse) -> str:
    """One line for an HTTP answer: status, currentState and the FSPIOP error, or a body excerpt.

    Reads the SDK scheme adapter's shapes: an error callback's `errorInformation` wherever it
    sits (`{errorInformation, currentState}` for parties, `quotes.errorInformation`,
    `transfer.body.errorInformation`), `{message, statusCode}` for its timeouts, refusals and
    validation errors, and the admin APIs' `{errorInformation}`.
    """
    body = response.body
    parts = [f"HTTP {response.status}"]
    state = _find(body, "currentState")
    if isinstance(state, str):
        parts.append(f"currentState {state}")
    info = _find(body, "errorInformation")
    if isinstance(info, dict) and (info.get("errorCode") or info.get("errorDescription")):
        parts.append(f"{info.get('errorCode', '')} {info.get('errorDescription', '')}".strip())
    elif isinstance(body, dict) and (body.get("message") or body.get("statusCode")):
        parts.append(f"{body.get('statusCode', '')} {body.get('message', '')}".strip())
    elif body not in (None, "", {}):
        text = body if isinstance(body, str) else json.dumps(body, sort_keys=True)
        text = " ".join(text.split())
        parts.append(text[:EXCERPT_CHARS] + ("…" if len(text) > EXCERPT_CHARS else ""))
    return ", ".join(parts)


def _find(body: Any, key: str, depth: int = 4) -> Any:
    """The first value under `key` in `body`, searching nested objects breadth-first."""
    level = [body]
    for _ in range(depth):
        nested = []
        for node in level:
            if isinstance(node, dict):
                if key in node:
                    return node[key]
                nested.extend(v for v in node.values() if isinstance(v, dict))
        level = nested
    return None


def reason(exc: BaseException) -> str:
    """Why a connection failed, in a few words: 'connection refused', 'no answer within 10 s'."""
    cause = getattr(exc, "reason", exc)
    if isinstance(cause, TimeoutError) or "timed out" in str(cause):
        return "no answer in time"
    if isinstance(cause, OSError) and cause.strerror:
        return cause.strerror.lower()
    return str(cause) or type(cause).__name__
