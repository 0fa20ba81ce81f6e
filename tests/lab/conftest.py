"""Fixtures for the lab tests: a real lab on ephemeral loopback ports and request builders.

Helpers are handed out as fixtures (not imported) so the tests work under any pytest import mode.
Test functions are synchronous and drive their scenario with ``asyncio.run``.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest

from mlperf.lab import Lab, LabConfig, Latency, RunningLab, start_lab
from mlperf.lab.config import DfspConfig

PAYER, PAYEE, SPARE = "fsp201", "fsp202", "fsp203"
PAYER_START, PAYEE_START = "25620100000", "25620200000"


def lab_config(
    fsp_ids: Sequence[str] = (PAYER, PAYEE, SPARE), latency: Latency | None = None
) -> LabConfig:
    return LabConfig(
        host="127.0.0.1",
        admin_port=0,
        dfsps=tuple(DfspConfig(fsp_id, 0) for fsp_id in fsp_ids),
        config_hash="test-hash",
        latency=latency or Latency(),
    )


@dataclass
class LabClient:
    """A started lab plus an HTTP session; every call returns (status, decoded JSON body)."""

    running: RunningLab
    session: aiohttp.ClientSession

    @property
    def lab(self) -> Lab:
        return self.running.lab

    async def _call(self, method: str, url: str, body: Any = None, raw: str | None = None) -> Any:
        kwargs: dict[str, Any] = {}
        if raw is not None:
            kwargs["data"] = raw
            kwargs["headers"] = {"Content-Type": "application/json"}
        elif body is not None:
            kwargs["json"] = body
        async with self.session.request(method, url, **kwargs) as resp:
            return resp.status, await resp.json(content_type=None)

    async def admin(
        self, method: str, path: str, body: Any = None, raw: str | None = None
    ) -> tuple[int, Any]:
        return await self._call(method, self.running.admin_url + path, body, raw)

    async def outbound(
        self, fsp_id: str, method: str, path: str, body: Any = None, raw: str | None = None
    ) -> tuple[int, Any]:
        return await self._call(method, self.running.outbound_url(fsp_id) + path, body, raw)

    async def onboard(self, fsp_id: str, ndc: str = "1000000", currency: str = "XXX") -> None:
        status, body = await self.admin(
            "PUT", f"/admin/participants/{fsp_id}", {"currency": currency, "ndc": ndc}
        )
        assert status in (200, 201), body

    async def register(self, fsp_id: str, start: str, count: int = 1000) -> None:
        status, body = await self.admin(
            "PUT", f"/admin/participants/{fsp_id}/msisdns", {"start": start, "count": count}
        )
        assert status in (200, 201), body

    async def participant(self, fsp_id: str) -> dict[str, Any]:
        status, body = await self.admin("GET", "/admin/participants")
        assert status == 200
        return next(p for p in body["participants"] if p["fspId"] == fsp_id)

    async def quote(
        self, amount: str = "10.5", payee_msisdn: str = "25620200005", payer: str = PAYER
    ) -> dict[str, Any]:
        """A successful quote's body."""
        status, body = await self.outbound(
            payer, "POST", "/quotes", quote_request(payee_msisdn, amount, payer=payer)
        )
        assert status == 200, body
        return body["quotes"]["body"]


def quote_request(
    payee_msisdn: str = "25620200005",
    amount: str = "10.5",
    *,
    payer: str = PAYER,
    payee: str = PAYEE,
    currency: str = "XXX",
) -> dict[str, Any]:
    return {
        "fspId": payee,
        "quotesPostRequest": {
            "quoteId": str(uuid.uuid4()),
            "transactionId": str(uuid.uuid4()),
            "payee": {
                "partyIdInfo": {
                    "partyIdType": "MSISDN",
                    "partyIdentifier": payee_msisdn,
                    "fspId": payee,
                }
            },
            "payer": {
                "partyIdInfo": {
                    "partyIdType": "MSISDN",
                    "partyIdentifier": "25620100001",
                    "fspId": payer,
                }
            },
            "amountType": "SEND",
            "amount": {"currency": currency, "amount": amount},
            "transactionType": {
                "scenario": "TRANSFER",
                "initiator": "PAYER",
                "initiatorType": "CONSUMER",
            },
        },
    }


def transfer_request(
    quote: dict[str, Any],
    *,
    payer: str = PAYER,
    payee: str = PAYEE,
    transfer_id: str | None = None,
    condition: str | None = None,
) -> dict[str, Any]:
    return {
        "fspId": payee,
        "transfersPostRequest": {
            "transferId": transfer_id or str(uuid.uuid4()),
            "payeeFsp": payee,
            "payerFsp": payer,
            "amount": quote["transferAmount"],
            "ilpPacket": quote["ilpPacket"],
            "condition": condition or quote["condition"],
            "expiration": quote["expiration"],
        },
    }


@asynccontextmanager
async def running_lab(
    fsp_ids: Sequence[str] = (PAYER, PAYEE, SPARE),
    *,
    latency: Latency | None = None,
    onboard: bool = True,
    ndc: str = "1000000",
) -> AsyncIterator[LabClient]:
    """A lab on ephemeral ports; with ``onboard``, PAYER and PAYEE are onboarded with a range each."""
    running = await start_lab(lab_config(fsp_ids, latency))
    try:
        async with aiohttp.ClientSession() as session:
            client = LabClient(running, session)
            if onboard:
                await client.onboard(PAYER, ndc)
                await client.onboard(PAYEE, ndc)
                await client.register(PAYER, PAYER_START)
                await client.register(PAYEE, PAYEE_START)
            yield client
    finally:
        await running.close()


@pytest.fixture
def lab_env() -> Any:
    """``async with lab_env(...) as client`` starts a lab (see ``running_lab``)."""
    return running_lab


@pytest.fixture
def make_quote_request() -> Any:
    return quote_request


@pytest.fixture
def make_transfer_request() -> Any:
    return transfer_request
