"""The lab's wiring and its admin API: the switch, the DFSPs around it, and how to manage them.

``Lab`` wires the switch, each DFSP's payee side and outbound API, the fault plan and the ledger
together in-process; ``admin_app`` is the HTTP API that onboards participants and registers
MSISDN ranges (standing in for the hub's admin APIs and the oracle), and reads the ledger.
The outbound APIs are in ``mojaloop_perf.lab.outbound``.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from aiohttp import web

from mojaloop_perf.lab import errors, validation
from mojaloop_perf.lab.clock import now_iso
from mojaloop_perf.lab.config import LabConfig, Latency
from mojaloop_perf.lab.errors import FspiopError
from mojaloop_perf.lab.faults import FaultPlan, Faults
from mojaloop_perf.lab.ledger import Ledger
from mojaloop_perf.lab.outbound import Outbound
from mojaloop_perf.lab.participants import MAX_MSISDN_DIGITS, MAX_RANGE_COUNT, format_decimal
from mojaloop_perf.lab.payee import Payee
from mojaloop_perf.lab.switch import Switch

_NDC_RE = re.compile(r"[0-9]{1,18}(\.[0-9]{1,4})?")
_DIGITS_RE = re.compile(rf"[0-9]{{1,{MAX_MSISDN_DIGITS}}}")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Lab:
    """A switch and the DFSPs it serves, wired in-process; all state is in memory.

    ``secrets`` fixes DFSPs' ILP secrets (tests); otherwise each DFSP draws a random one.
    """

    def __init__(
        self,
        fsp_ids: Sequence[str],
        *,
        latency: Latency | None = None,
        config_hash: str = "",
        secrets: Mapping[str, str] | None = None,
        faults: Faults | None = None,
        timeout_s: float = 30.0,
    ) -> None:
        secrets = secrets or {}
        self.ledger = Ledger()
        self.payees = {fsp_id: Payee(fsp_id, secrets.get(fsp_id)) for fsp_id in fsp_ids}
        self.switch = Switch(self.payees, FaultPlan(faults), self.ledger)
        self.outbound = {
            fsp_id: Outbound(fsp_id, self.switch, latency=latency, timeout_s=timeout_s)
            for fsp_id in fsp_ids
        }
        self.config_hash = config_hash
        self.started_at = now_iso()

    @classmethod
    def from_config(cls, config: LabConfig, **kwargs: Any) -> Lab:
        return cls(
            config.fsp_ids,
            latency=config.latency,
            config_hash=config.config_hash,
            faults=config.faults,
            timeout_s=config.timeout_s,
            **kwargs,
        )


def _json(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status)


async def _read_json(request: web.Request) -> Any:
    raw = await request.read()
    try:
        return json.loads(raw)
    except ValueError:
        raise errors.validation_error("body", "not valid JSON") from None


# -- admin ------------------------------------------------------------------------------------


def _ndc(value: Any) -> Decimal | None:
    if value is None:
        return None
    problem = "must be a non-negative decimal number or decimal string (up to 4 decimals)"
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise errors.validation_error("ndc", problem)
    text = value if isinstance(value, str) else str(value)
    if _NDC_RE.fullmatch(text) is None:
        raise errors.validation_error("ndc", problem)
    try:
        return Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern admits only valid decimals
        raise errors.validation_error("ndc", problem) from None


def admin_app(
    lab: Any,
    *,
    ledger_view: Callable[[], Awaitable[dict[str, Any]]] | None = None,
    health_extra: Callable[[], dict[str, Any]] | None = None,
) -> web.Application:
    """Health, participants, MSISDN ranges, transfers and stats of the switch.

    ``lab`` is a ``Lab`` or anything with its ``switch``, ``ledger``, ``config_hash`` and
    ``started_at`` (the networked lab's switch side, which passes ``ledger_view`` to merge the
    DFSP processes' ledgers into one, and ``health_extra`` for what /health adds).
    """
    switch = lab.switch

    @web.middleware
    async def fspiop_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except FspiopError as err:
            return _json(err.information(), err.http_status)

    async def health(_: web.Request) -> web.Response:
        return _json(
            {
                "status": "ok",
                "config_hash": lab.config_hash,
                "pid": os.getpid(),
                "started_at": lab.started_at,
                **(health_extra() if health_extra is not None else {}),
            }
        )

    async def put_participant(request: web.Request) -> web.Response:
        fsp_id = request.match_info["fspId"]
        body = validation.obj(await _read_json(request), "body")
        currency = validation.string(
            body, "currency", "", pattern=validation.CURRENCY_RE, what="must be 3 capitals"
        )
        participant, outcome = switch.upsert_participant(fsp_id, currency, _ndc(body.get("ndc")))
        view = participant.view()
        view["created"] = outcome == "created"
        view["updated"] = outcome == "updated"
        return _json(view, 201 if view["created"] else 200)

    async def list_participants(_: web.Request) -> web.Response:
        return _json({"participants": [p.view() for p in switch.participants()]})

    async def put_msisdns(request: web.Request) -> web.Response:
        fsp_id = request.match_info["fspId"]
        body = validation.obj(await _read_json(request), "body")
        start = validation.string(
            body, "start", "", pattern=_DIGITS_RE, what=f"must be 1-{MAX_MSISDN_DIGITS} digits"
        )
        count = body.get("count")
        if isinstance(count, bool) or not isinstance(count, int):
            raise errors.validation_error("count", "must be an integer")
        if not 1 <= count <= MAX_RANGE_COUNT:
            raise errors.validation_error("count", f"must be 1-{MAX_RANGE_COUNT}")
        created = switch.register_msisdns(fsp_id, start, count)
        return _json(
            {"fspId": fsp_id, "start": start, "count": count, "created": created},
            201 if created else 200,
        )

    async def list_msisdns(request: web.Request) -> web.Response:
        fsp_id = request.match_info["fspId"]
        ranges = [{"start": r.start, "count": r.count} for r in switch.oracle.ranges(fsp_id)]
        return _json({"fspId": fsp_id, "ranges": ranges})

    async def get_transfer(request: web.Request) -> web.Response:
        transfer_id = request.match_info["transferId"]
        record = switch.get_transfer(transfer_id)
        if record is None:
            raise FspiopError(errors.ID_NOT_FOUND, f"transfer {transfer_id} not found", 404)
        return _json(
            {
                "transferId": record.transfer_id,
                "payerFsp": record.payer_fsp,
                "payeeFsp": record.payee_fsp,
                "amount": {"currency": record.currency, "amount": format_decimal(record.amount)},
                "transferState": str(record.state),
                "errorCode": record.error_code,
                "completedTimestamp": record.completed_timestamp,
            }
        )

    async def ledger(_: web.Request) -> web.Response:
        return _json(await ledger_view() if ledger_view is not None else lab.ledger.view())

    app = web.Application(middlewares=[fspiop_errors])
    app.router.add_get("/health", health)
    app.router.add_put("/admin/participants/{fspId}", put_participant)
    app.router.add_get("/admin/participants", list_participants)
    app.router.add_put("/admin/participants/{fspId}/msisdns", put_msisdns)
    app.router.add_get("/admin/participants/{fspId}/msisdns", list_msisdns)
    app.router.add_get("/admin/transfers/{transferId}", get_transfer)
    app.router.add_get("/admin/ledger", ledger)
    return app
