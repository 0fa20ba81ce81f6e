"""The switch emulator as a library: participants, and the transfer flow's bookkeeping.

The payee is scripted here, so each rule of the switch is seen on its own; the real payee and
the outbound API are exercised in test_lab_outbound.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import pytest

from mojaloop_perf.lab import ilp
from mojaloop_perf.lab.clock import now_iso
from mojaloop_perf.lab.errors import FspiopError, NoCallback, Refused
from mojaloop_perf.lab.faults import FaultPlan, Faults, PhaseFaults
from mojaloop_perf.lab.payee import Payee
from mojaloop_perf.lab.switch import Switch, TransferState

FULFILMENT = ilp.b64url_encode(bytes(range(32)))
CONDITION = ilp.condition_for(FULFILMENT)


def test_upsert_participant_outcomes() -> None:
    switch = Switch({"fsp201": Payee("fsp201")})
    participant, outcome = switch.upsert_participant("fsp201", "XXX", Decimal(100))
    assert outcome == "created" and participant.ndc == 100
    assert switch.upsert_participant("fsp201", "XXX", Decimal("100.0"))[1] == "unchanged"
    assert switch.upsert_participant("fsp201", "XXX", Decimal(200))[1] == "updated"
    with pytest.raises(FspiopError) as info:
        switch.upsert_participant("fsp201", "USD", Decimal(200))
    assert (info.value.code, info.value.http_status) == ("3100", 409)
    with pytest.raises(FspiopError) as info:
        switch.upsert_participant("fsp999", "XXX")
    assert (info.value.code, info.value.http_status) == ("3201", 404)


class ScriptedPayee:
    """A PayeeHandler whose prepare does what the test says."""

    def __init__(self, behaviour: Any) -> None:
        self.behaviour = behaviour

    async def get_party(self, id_type: str, id_value: str, sub_id: str | None) -> dict[str, Any]:
        return {}

    async def quote(self, request: Mapping[str, Any]) -> dict[str, Any]:
        return {}

    async def prepare(self, request: Mapping[str, Any]) -> dict[str, Any]:
        fulfilment = await self.behaviour(request)
        return {
            "completedTimestamp": now_iso(),
            "transferState": "COMMITTED",
            "fulfilment": fulfilment,
        }


def transfer(transfer_id: str, value: str = "60", **changes: Any) -> dict[str, Any]:
    request = {
        "transferId": transfer_id,
        "payerFsp": "fsp201",
        "payeeFsp": "fsp202",
        "amount": {"currency": "XXX", "amount": value},
        "ilpPacket": "AQ",
        "condition": CONDITION,
        "expiration": now_iso(60),
    }
    request.update(changes)
    return request


def scripted_switch(behaviour: Any, faults: Faults | None = None) -> Switch:
    payee = ScriptedPayee(behaviour)
    switch = Switch({"fsp201": payee, "fsp202": payee}, FaultPlan(faults))
    switch.upsert_participant("fsp201", "XXX", Decimal(100))
    switch.upsert_participant("fsp202", "XXX", Decimal(100))
    return switch


async def fulfil(request: Mapping[str, Any]) -> str:
    return FULFILMENT


def positions(switch: Switch) -> tuple[Decimal, Decimal, Decimal]:
    payer, payee = switch.participant("fsp201"), switch.participant("fsp202")
    assert payer is not None and payee is not None
    return payer.position, payer.reserved, payee.position


def test_reservation_counts_against_the_net_debit_cap_while_the_payee_works() -> None:
    release = asyncio.Event()

    async def slow(request: Mapping[str, Any]) -> str:
        await release.wait()
        return FULFILMENT

    async def scenario() -> None:
        switch = scripted_switch(slow)
        first = asyncio.create_task(switch.transfer("fsp201", "fsp202", transfer("t1")))
        await asyncio.sleep(0.01)
        assert positions(switch) == (0, 60, 0)
        with pytest.raises(FspiopError) as info:  # 0 + 60 reserved + 60 > 100
            await asyncio.wait_for(switch.transfer("fsp201", "fsp202", transfer("t2")), 2)
        assert (info.value.code, info.value.description) == ("4200", "Payer limit error")
        release.set()
        body = await first
        assert body["fulfilment"] == FULFILMENT and body["transferState"] == "COMMITTED"
        assert positions(switch) == (60, 0, -60)
        assert switch.get_transfer("t1").state is TransferState.COMMITTED
        record = switch.get_transfer("t2")
        assert record.state is TransferState.ABORTED and record.error_code == "4200"

    asyncio.run(scenario())


@pytest.mark.parametrize(
    ("behaviour", "code"),
    [("reject", "5105"), ("crash", "2001"), ("wrong", "3100"), ("garbage", "3100")],
)
def test_every_payee_failure_releases_the_reservation(behaviour: str, code: str) -> None:
    async def payee(request: Mapping[str, Any]) -> str:
        if behaviour == "reject":
            raise FspiopError("5105")
        if behaviour == "crash":
            raise RuntimeError("boom")
        if behaviour == "wrong":
            return ilp.b64url_encode(bytes(32))
        return "not a fulfilment"

    async def scenario() -> None:
        switch = scripted_switch(payee)
        with pytest.raises(FspiopError) as info:
            await switch.transfer("fsp201", "fsp202", transfer("t1"))
        assert info.value.code == code
        if code == "3100":  # central-ledger's fulfil handler
            assert info.value.description == "Generic validation error - invalid fulfilment"
        assert positions(switch) == (0, 0, 0)
        record = switch.get_transfer("t1")
        assert record.state is TransferState.ABORTED and record.error_code == code

    asyncio.run(scenario())


@pytest.mark.parametrize(
    ("changes", "source", "description"),
    [
        (
            {"payerFsp": "fsp202", "payeeFsp": "fsp201"},
            "fsp201",
            "FSPIOP-Source header should match Payer",
        ),
        ({"payeeFsp": "fsp203"}, "fsp201", "Participant fsp203 not found"),
        ({"condition": "short"}, "fsp201", "Condition validation failed"),
        (
            {"expiration": "2020-01-01T00:00:00.000Z"},
            "fsp201",
            "Expiration date 2020-01-01T00:00:00.000Z is already in the past",
        ),
        ({"payeeFsp": "fsp201"}, "fsp201", "Payer FSP and Payee FSP should be different"),
        (
            {"amount": {"currency": "USD", "amount": "1"}},
            "fsp201",
            "Participant fsp201 USD account not found",
        ),
    ],
)
def test_prepare_validation_is_central_ledgers(
    changes: dict[str, Any], source: str, description: str
) -> None:
    async def payee(request: Mapping[str, Any]) -> str:
        raise AssertionError("an invalid transfer must not reach the payee")

    async def scenario() -> None:
        switch = scripted_switch(payee)
        with pytest.raises(FspiopError) as info:
            await switch.transfer(source, "fsp202", transfer("t1", **changes))
        assert info.value.code == "3100"
        assert info.value.description.startswith(f"Generic validation error - {description}")
        assert switch.get_transfer("t1").state is TransferState.ABORTED
        assert positions(switch) == (0, 0, 0)

    asyncio.run(scenario())


def test_resends_get_the_final_state_and_modified_ones_3106() -> None:
    async def scenario() -> None:
        switch = scripted_switch(fulfil)
        # One body, sent twice: a second transfer() could stamp another millisecond of expiration.
        body = transfer("t1", "10")
        first = await switch.transfer("fsp201", "fsp202", body)
        again = await switch.transfer("fsp201", "fsp202", dict(body))
        assert again == first
        with pytest.raises(FspiopError) as info:
            await switch.transfer(
                "fsp201", "fsp202", {**body, "amount": {"currency": "XXX", "amount": "20"}}
            )
        assert (info.value.code, info.value.description) == ("3106", "Modified request")
        assert positions(switch) == (10, 0, -10)
        record = switch.get_transfer("t1")
        assert record.state is TransferState.COMMITTED and record.amount == 10

    asyncio.run(scenario())


def test_a_payer_the_switch_does_not_know_gets_no_callback() -> None:
    async def scenario() -> None:
        switch = scripted_switch(fulfil)
        with pytest.raises(NoCallback):
            await switch.transfer("fsp209", "fsp202", transfer("t1", payerFsp="fsp209"))
        with pytest.raises(NoCallback):
            await switch.lookup_party("fsp209", "MSISDN", "123")

    asyncio.run(scenario())


def test_a_payee_that_never_answers_holds_the_reservation_until_expiration() -> None:
    faults = Faults(transfer=PhaseFaults(payee_timeout=1.0))

    async def scenario() -> None:
        switch = scripted_switch(fulfil, faults)
        request = transfer("t1", expiration=now_iso(0.2))
        with pytest.raises(NoCallback):
            await switch.transfer("fsp201", "fsp202", request)
        assert positions(switch) == (0, 60, 0)
        assert switch.get_transfer("t1").state is TransferState.RESERVED
        with pytest.raises(NoCallback):  # a resend while it is in progress is ignored
            await switch.transfer("fsp201", "fsp202", request)
        await asyncio.sleep(0.4)
        record = switch.get_transfer("t1")
        assert record.state is TransferState.ABORTED and record.error_code == "3303"
        assert positions(switch) == (0, 0, 0)
        assert switch.ledger.view()["phases"]["transfer"]["injected"] == {"payee_timeout": 1}

    asyncio.run(scenario())


def test_a_refusing_switch_service_is_refused_before_anything_happens() -> None:
    faults = Faults(transfer=PhaseFaults(switch_5xx=1.0))

    async def scenario() -> None:
        switch = scripted_switch(fulfil, faults)
        with pytest.raises(Refused) as info:
            await switch.transfer("fsp201", "fsp202", transfer("t1"))
        assert (info.value.status, info.value.service) == (503, "ml-api-adapter")
        assert switch.get_transfer("t1") is None

    asyncio.run(scenario())
