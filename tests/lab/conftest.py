"""Fixtures for the lab tests: a real lab on ephemeral loopback ports and request builders.

Helpers are handed out as fixtures (not imported) so the tests work under any pytest import mode.
Test functions are synchronous and drive their scenario with ``asyncio.run``. ``hops="http"``
starts the networked lab (the switch here, each DFSP a child process); ``pki_dir`` is one PKI
generated for the session.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from mojaloop_perf.lab import Lab, LabConfig, Latency, RunningLab, start_lab
from mojaloop_perf.lab.config import DfspConfig
from mojaloop_perf.lab.faults import Faults
from mojaloop_perf.lab.posture import LabSecurity
from mojaloop_perf.security import pki

PAYER, PAYEE, SPARE = "fsp201", "fsp202", "fsp203"
PAYER_START, PAYEE_START = "25620100000", "25620200000"


def lab_config(
    fsp_ids: Sequence[str] = (PAYER, PAYEE, SPARE),
    latency: Latency | None = None,
    *,
    timeout_s: float = 0.3,
    faults: Faults | None = None,
    hops: str = "in_process",
    security: LabSecurity | None = None,
) -> LabConfig:
    return LabConfig(
        host="127.0.0.1",
        admin_port=0,
        dfsps=tuple(DfspConfig(fsp_id, 0, 0) for fsp_id in fsp_ids),
        config_hash="test-hash",
        latency=latency or Latency(),
        timeout_s=timeout_s,
        faults=faults or Faults(),
        hops=hops,
        security=security or LabSecurity(),
    )


@dataclass
class Quote:
    """A successful quote: what the payer asked (``quotesPostRequest``) and the quote body."""

    request: dict[str, Any]
    body: dict[str, Any]


@dataclass
class LabClient:
    """A started lab plus an HTTP session; every call returns (status, decoded JSON body)."""

    running: RunningLab
    session: aiohttp.ClientSession

    @property
    def lab(self) -> Lab:
        return self.running.lab

    async def _call(
        self,
        method: str,
        url: str,
        body: Any = None,
        raw: str | None = None,
        content_type: str = "application/json",
    ) -> Any:
        kwargs: dict[str, Any] = {}
        if raw is not None:
            kwargs["data"] = raw.encode()
            if content_type:
                kwargs["headers"] = {"Content-Type": content_type}
        elif body is not None:
            kwargs["json"] = body
        async with self.session.request(method, url, **kwargs) as resp:
            text = await resp.text()
            try:
                return resp.status, json.loads(text)
            except ValueError:
                return resp.status, text

    async def admin(
        self, method: str, path: str, body: Any = None, raw: str | None = None
    ) -> tuple[int, Any]:
        return await self._call(method, self.running.admin_url + path, body, raw)

    async def outbound(
        self,
        fsp_id: str,
        method: str,
        path: str,
        body: Any = None,
        raw: str | None = None,
        content_type: str = "application/json",
    ) -> tuple[int, Any]:
        url = self.running.outbound_url(fsp_id) + path
        return await self._call(method, url, body, raw, content_type)

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
    ) -> Quote:
        """A successful quote."""
        request = quote_request(payee_msisdn, amount, payer=payer)
        status, body = await self.outbound(payer, "POST", "/quotes", request)
        assert status == 200 and "body" in body["quotes"], body
        return Quote(request["quotesPostRequest"], body["quotes"]["body"])

    async def ledger(self) -> dict[str, Any]:
        status, body = await self.admin("GET", "/admin/ledger")
        assert status == 200
        return body["phases"]


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
    quote: Quote,
    *,
    payer: str = PAYER,
    payee: str = PAYEE,
    transfer_id: str | None = None,
    condition: str | None = None,
) -> dict[str, Any]:
    """The transfer of a quote; its transferId is the quote's transactionId unless given."""
    terms = quote.body
    return {
        "fspId": payee,
        "transfersPostRequest": {
            "transferId": transfer_id or quote.request["transactionId"],
            "payeeFsp": payee,
            "payerFsp": payer,
            "amount": terms["transferAmount"],
            "ilpPacket": terms["ilpPacket"],
            "condition": condition or terms["condition"],
            "expiration": terms["expiration"],
        },
    }


@asynccontextmanager
async def running_lab(
    fsp_ids: Sequence[str] = (PAYER, PAYEE, SPARE),
    *,
    latency: Latency | None = None,
    onboard: bool = True,
    ndc: str = "1000000",
    timeout_s: float = 0.3,
    faults: Faults | None = None,
    lab: Lab | None = None,
    hops: str = "in_process",
    security: LabSecurity | None = None,
) -> AsyncIterator[LabClient]:
    """A lab on ephemeral ports; with ``onboard``, PAYER and PAYEE are onboarded with a range each.

    ``timeout_s`` is the payer SDK's request processing timeout (short, for tests).
    """
    config = lab_config(
        fsp_ids, latency, timeout_s=timeout_s, faults=faults, hops=hops, security=security
    )
    running = await start_lab(config, lab)
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


@pytest.fixture(scope="session")
def pki_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Keys and certificates for PAYER, PAYEE, SPARE and the hub, as the local target makes them."""
    directory = tmp_path_factory.mktemp("lab-pki") / "pki"
    pki.generate(directory, [PAYER, PAYEE, SPARE], hosts=["127.0.0.1", "localhost"])
    return directory
