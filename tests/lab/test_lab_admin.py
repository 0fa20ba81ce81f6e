"""The admin/switch HTTP API on a real server."""

from __future__ import annotations

import asyncio
import os
from datetime import datetime
from typing import Any

import pytest

PAYER, PAYEE, SPARE = "fsp201", "fsp202", "fsp203"


def validation(description: str) -> dict[str, Any]:
    return {"errorInformation": {"errorCode": "3100", "errorDescription": description}}


def test_health(lab_env: Any) -> None:
    async def scenario() -> None:
        async with lab_env(onboard=False) as lab:
            status, body = await lab.admin("GET", "/health")
        assert status == 200
        assert body["status"] == "ok"
        assert body["config_hash"] == "test-hash"
        assert body["pid"] == os.getpid()
        assert body["started_at"].endswith("Z")
        datetime.fromisoformat(body["started_at"])

    asyncio.run(scenario())


def test_participant_created_unchanged_updated_and_listed(lab_env: Any) -> None:
    async def scenario() -> None:
        async with lab_env(onboard=False) as lab:
            path = f"/admin/participants/{PAYER}"
            status, body = await lab.admin("PUT", path, {"currency": "XXX", "ndc": "1000000"})
            assert status == 201
            assert body == {
                "fspId": PAYER,
                "currency": "XXX",
                "ndc": "1000000",
                "position": "0",
                "reserved": "0",
                "created": True,
                "updated": False,
            }
            status, body = await lab.admin("PUT", path, {"currency": "XXX", "ndc": 1000000})
            assert status == 200 and body["created"] is False and body["updated"] is False
            status, body = await lab.admin("PUT", path, {"currency": "XXX", "ndc": 2500.5})
            assert status == 200 and body["updated"] is True and body["ndc"] == "2500.5"
            status, body = await lab.admin(
                "PUT", f"/admin/participants/{PAYEE}", {"currency": "XXX"}
            )
            assert status == 201 and int(body["ndc"]) >= 10**12  # default: large
            status, body = await lab.admin("GET", "/admin/participants")
            assert status == 200
            assert [(p["fspId"], p["ndc"]) for p in body["participants"]] == [
                (PAYER, "2500.5"),
                (PAYEE, body["participants"][1]["ndc"]),
            ]

    asyncio.run(scenario())


def test_participant_errors(lab_env: Any) -> None:
    async def scenario() -> None:
        async with lab_env(onboard=False) as lab:
            path = f"/admin/participants/{PAYER}"
            await lab.onboard(PAYER, "100")
            status, body = await lab.admin("PUT", path, {"currency": "USD"})
            assert status == 409
            assert body["errorInformation"]["errorCode"] == "3100"
            assert "currency" in body["errorInformation"]["errorDescription"]

            status, body = await lab.admin("PUT", "/admin/participants/fsp999", {"currency": "XXX"})
            assert status == 404 and body["errorInformation"]["errorCode"] == "3201"

            status, body = await lab.admin("PUT", path, raw="{not json")
            assert (status, body) == (
                400,
                validation("Generic validation error - body: not valid JSON"),
            )
            status, body = await lab.admin("PUT", path, [1, 2])
            assert (status, body) == (
                400,
                validation("Generic validation error - body: must be a JSON object"),
            )
            status, body = await lab.admin("PUT", path, {"ndc": "5"})
            assert (status, body) == (
                400,
                validation("Generic validation error - currency: is required"),
            )
            status, body = await lab.admin("PUT", path, {"currency": 840})
            assert status == 400
            assert body == validation("Generic validation error - currency: must be a string")
            for ndc in (True, "-5", "1e3", [], "1.23456"):
                status, body = await lab.admin("PUT", path, {"currency": "XXX", "ndc": ndc})
                assert status == 400, ndc
                assert body["errorInformation"]["errorDescription"].startswith(
                    "Generic validation error - ndc: "
                )

    asyncio.run(scenario())


def test_msisdn_ranges(lab_env: Any) -> None:
    async def scenario() -> None:
        async with lab_env(onboard=False) as lab:
            await lab.onboard(PAYER)
            await lab.onboard(PAYEE)
            path = f"/admin/participants/{PAYER}/msisdns"
            range_ = {"start": "25620100000", "count": 1000}
            status, body = await lab.admin("PUT", path, range_)
            assert (status, body) == (201, {"fspId": PAYER, **range_, "created": True})
            status, body = await lab.admin("PUT", path, range_)
            assert (status, body) == (200, {"fspId": PAYER, **range_, "created": False})

            other = f"/admin/participants/{PAYEE}/msisdns"
            status, body = await lab.admin("PUT", other, {"start": "25620100999", "count": 10})
            assert status == 409
            assert body["errorInformation"]["errorCode"] == "3100"
            assert "registered to fsp201" in body["errorInformation"]["errorDescription"]
            status, _ = await lab.admin("PUT", other, {"start": "25620101000", "count": 10})
            assert status == 201

            status, body = await lab.admin("GET", path)
            assert body == {"fspId": PAYER, "ranges": [range_]}

            spare = f"/admin/participants/{SPARE}/msisdns"
            status, body = await lab.admin("PUT", spare, {"start": "1", "count": 1})
            assert status == 404 and body["errorInformation"]["errorCode"] == "3200"
            unknown = "/admin/participants/fsp999/msisdns"
            status, body = await lab.admin("PUT", unknown, {"start": "1", "count": 1})
            assert status == 404 and body["errorInformation"]["errorCode"] == "3201"

    asyncio.run(scenario())


@pytest.mark.parametrize(
    ("body", "description"),
    [
        ({"count": 1}, "start: is required"),
        ({"start": 256, "count": 1}, "start: must be a string"),
        ({"start": "256x", "count": 1}, "start: must be 1-15 digits"),
        ({"start": "1234567890123456", "count": 1}, "start: must be 1-15 digits"),
        ({"start": "256"}, "count: must be an integer"),
        ({"start": "256", "count": "5"}, "count: must be an integer"),
        ({"start": "256", "count": True}, "count: must be an integer"),
        ({"start": "256", "count": 0}, "count: must be 1-10000000"),
        ({"start": "256", "count": 10_000_001}, "count: must be 1-10000000"),
        ({"start": "999", "count": 2}, "start: range 999+2 runs past the largest 3-digit number"),
    ],
)
def test_msisdn_range_validation(lab_env: Any, body: dict[str, Any], description: str) -> None:
    async def scenario() -> tuple[int, Any]:
        async with lab_env() as lab:
            return await lab.admin("PUT", f"/admin/participants/{PAYER}/msisdns", body)

    status, response = asyncio.run(scenario())
    assert status == 400
    assert response == validation(f"Generic validation error - {description}")


def test_the_ledger_counts_every_answer_by_phase(lab_env: Any) -> None:
    async def scenario() -> dict[str, Any]:
        async with lab_env() as lab:
            assert (await lab.outbound(PAYER, "GET", "/parties/MSISDN/25620200001"))[0] == 200
            assert (await lab.outbound(PAYER, "GET", "/parties/MSISDN/99999999999"))[0] == 404
            await lab.quote()
            assert (await lab.outbound(PAYER, "POST", "/quotes", {}))[0] == 400
            assert (await lab.outbound(PAYER, "POST", "/quotes", raw="nope"))[0] == 404
            assert (await lab.outbound(PAYER, "GET", "/nowhere"))[0] == 400  # no phase
            status, ledger = await lab.admin("GET", "/admin/ledger")
        assert status == 200
        return ledger

    ledger = asyncio.run(scenario())
    assert ledger == {
        "in_flight": 0,
        "phases": {
            "discovery": {"ok": 1, "failed": 1, "outcomes": {"3204": 1, "ok": 1}, "injected": {}},
            "quote": {
                "ok": 1,
                "failed": 2,
                "outcomes": {"invalid request": 1, "ok": 1, "unparsable body": 1},
                "injected": {},
            },
            "transfer": {"ok": 0, "failed": 0, "outcomes": {}, "injected": {}},
        },
    }
