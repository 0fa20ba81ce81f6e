"""aiohttp applications: the admin/switch API and one SDK-style outbound API per DFSP.

``Lab`` wires the switch and the DFSPs together in-process; ``admin_app`` and ``outbound_app``
turn it into HTTP. Handlers do little per request: parse JSON, call the domain, dump JSON.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from aiohttp import web

from mlperf.lab import errors, validation
from mlperf.lab.clock import now_iso
from mlperf.lab.config import LabConfig
from mlperf.lab.dfsp import Latency, Outbound, Payee
from mlperf.lab.errors import FspiopError
from mlperf.lab.switch import MAX_MSISDN_DIGITS, MAX_RANGE_COUNT, Switch, format_decimal

OUTBOUND_PREFIX = "/sim/{fspId}/outbound"
# Name of the state object in outbound error bodies (see errors.outbound_error_body).
QUOTE_STATE_FIELD = "requestQuotesInformationState"
TRANSFER_STATE_FIELD = "requestSimpleTransfersInformationState"

_NDC_RE = re.compile(r"[0-9]{1,18}(\.[0-9]{1,4})?")
_DIGITS_RE = re.compile(rf"[0-9]{{1,{MAX_MSISDN_DIGITS}}}")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Lab:
    """A switch and the DFSPs it serves, wired in-process; all state is in memory.

    ``secrets`` fixes DFSP secrets (tests); otherwise each DFSP draws one with os.urandom.
    """

    def __init__(
        self,
        fsp_ids: Sequence[str],
        *,
        latency: Latency | None = None,
        config_hash: str = "",
        secrets: Mapping[str, bytes] | None = None,
    ) -> None:
        secrets = secrets or {}
        self.payees = {fsp_id: Payee(fsp_id, secrets.get(fsp_id)) for fsp_id in fsp_ids}
        self.switch = Switch(self.payees)
        self.outbound = {
            fsp_id: Outbound(fsp_id, self.switch, latency or Latency()) for fsp_id in fsp_ids
        }
        self.config_hash = config_hash
        self.started_at = now_iso()

    @classmethod
    def from_config(cls, config: LabConfig, **kwargs: Any) -> Lab:
        return cls(config.fsp_ids, latency=config.latency, config_hash=config.config_hash, **kwargs)


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


def admin_app(lab: Lab) -> web.Application:
    """Health, participants, MSISDN ranges, transfers and stats of the switch."""
    switch = lab.switch

    @web.middleware
    async def fspiop_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except FspiopError as err:
            return _json(errors.error_information(err), err.http_status)

    async def health(_: web.Request) -> web.Response:
        return _json(
            {
                "status": "ok",
                "config_hash": lab.config_hash,
                "pid": os.getpid(),
                "started_at": lab.started_at,
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

    async def stats(_: web.Request) -> web.Response:
        data = switch.stats.as_dict()
        data["participants"] = len(switch.participants())
        data["msisdn_ranges"] = len(switch.oracle)
        return _json(data)

    app = web.Application(middlewares=[fspiop_errors])
    app.router.add_get("/health", health)
    app.router.add_put("/admin/participants/{fspId}", put_participant)
    app.router.add_get("/admin/participants", list_participants)
    app.router.add_put("/admin/participants/{fspId}/msisdns", put_msisdns)
    app.router.add_get("/admin/participants/{fspId}/msisdns", list_msisdns)
    app.router.add_get("/admin/transfers/{transferId}", get_transfer)
    app.router.add_get("/admin/stats", stats)
    return app


# -- outbound ---------------------------------------------------------------------------------


def outbound_app(lab: Lab, fsp_id: str) -> web.Application:
    """The SDK scheme adapter outbound API of one DFSP, under ``/sim/<fspId>/outbound``."""
    outbound = lab.outbound[fsp_id]
    stats = lab.switch.stats

    def wrong_fsp(request: web.Request) -> FspiopError | None:
        asked = request.match_info["fspId"]
        if asked == fsp_id:
            return None
        return FspiopError(
            errors.DESTINATION_FSP_ERROR,
            f"this simulator serves {fsp_id}, not {asked}",
            404,
        )

    def outbound_error(err: FspiopError, state_field: str) -> web.Response:
        if err.http_status == 400:
            stats.bad_requests += 1
        status = err.http_status if err.http_status in (400, 404) else 500
        return _json(errors.outbound_error_body(err, state_field, status), status)

    async def get_party(request: web.Request) -> web.Response:
        err = wrong_fsp(request)
        if err is None:
            info = request.match_info
            try:
                return _json(await outbound.get_party(info["type"], info["id"]))
            except FspiopError as exc:
                err = exc
        return _json(errors.party_error_body(err), 404)

    async def post_quotes(request: web.Request) -> web.Response:
        err = wrong_fsp(request)
        if err is None:
            try:
                return _json(await outbound.post_quotes(await _read_json(request)))
            except FspiopError as exc:
                err = exc
        return outbound_error(err, QUOTE_STATE_FIELD)

    async def post_simple_transfers(request: web.Request) -> web.Response:
        err = wrong_fsp(request)
        if err is None:
            try:
                return _json(await outbound.post_simple_transfers(await _read_json(request)))
            except FspiopError as exc:
                err = exc
        return outbound_error(err, TRANSFER_STATE_FIELD)

    app = web.Application()
    app.router.add_get(f"{OUTBOUND_PREFIX}/parties/{{type}}/{{id}}", get_party)
    app.router.add_post(f"{OUTBOUND_PREFIX}/quotes", post_quotes)
    app.router.add_post(f"{OUTBOUND_PREFIX}/simpleTransfers", post_simple_transfers)
    return app
