"""The switch emulator as a library: oracle, participants, and the transfer flow's bookkeeping."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import pytest

from mlperf.lab import ilp
from mlperf.lab.clock import now_iso
from mlperf.lab.dfsp import Payee
from mlperf.lab.errors import FspiopError
from mlperf.lab.switch import MsisdnOracle, RangeOverlapError, Switch, TransferState

# -- oracle -----------------------------------------------------------------------------------


def test_oracle_lookup_at_range_edges() -> None:
    oracle = MsisdnOracle()
    assert oracle.register("fsp201", "25620100000", 1000) is True
    assert oracle.lookup("25620100000") == "fsp201"
    assert oracle.lookup("25620100999") == "fsp201"
    assert oracle.lookup("25620101000") is None
    assert oracle.lookup("25620099999") is None


def test_oracle_width_is_part_of_the_number() -> None:
    oracle = MsisdnOracle()
    oracle.register("fsp201", "0100", 10)
    assert oracle.lookup("0105") == "fsp201"
    assert oracle.lookup("105") is None
    assert oracle.lookup("00105") is None
    assert oracle.lookup("01x5") is None


def test_oracle_rejects_overlaps_and_names_the_owner() -> None:
    oracle = MsisdnOracle()
    oracle.register("fsp201", "1000", 100)
    with pytest.raises(RangeOverlapError, match="registered to fsp201") as info:
        oracle.register("fsp202", "1099", 5)
    assert info.value.existing.fsp_id == "fsp201"
    with pytest.raises(RangeOverlapError):
        oracle.register("fsp202", "0990", 20)  # 0990..1009 reaches into 1000..1099
    with pytest.raises(RangeOverlapError):
        oracle.register("fsp202", "1000", 100)  # same range, other fsp
    with pytest.raises(RangeOverlapError):
        oracle.register("fsp201", "1050", 100)  # own range, but a different one
    assert oracle.register("fsp202", "1100", 5) is True  # adjacent is fine
    assert oracle.register("fsp202", "0999", 1) is True
    assert oracle.lookup("1099") == "fsp201" and oracle.lookup("1100") == "fsp202"


def test_oracle_reregistering_the_same_range_is_idempotent() -> None:
    oracle = MsisdnOracle()
    assert oracle.register("fsp201", "500", 10) is True
    assert oracle.register("fsp201", "500", 10) is False
    assert len(oracle) == 1


@pytest.mark.parametrize(
    ("start", "count", "message"),
    [("99995", 10, "runs past"), ("12a", 1, "digits"), ("", 1, "digits"), ("1" * 16, 1, "digits")],
)
def test_oracle_rejects_malformed_ranges(start: str, count: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        MsisdnOracle().register("fsp201", start, count)


def test_oracle_agrees_with_brute_force_over_many_ranges() -> None:
    rng = random.Random(7)
    oracle = MsisdnOracle()
    owners: dict[int, str] = {}
    cursor = 0
    for i in range(300):
        cursor += rng.randint(0, 20)
        count = rng.randint(1, 15)
        fsp = f"fsp{i % 7}"
        oracle.register(fsp, f"{cursor:06d}", count)
        owners.update(dict.fromkeys(range(cursor, cursor + count), fsp))
        cursor += count
    for number in range(cursor + 10):
        assert oracle.lookup(f"{number:06d}") == owners.get(number), number


# -- participants -----------------------------------------------------------------------------


def make_switch(*fsp_ids: str) -> Switch:
    return Switch({fsp_id: Payee(fsp_id) for fsp_id in fsp_ids})


def test_upsert_participant_outcomes() -> None:
    switch = make_switch("fsp201")
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


# -- transfers with scripted payees -----------------------------------------------------------


class ScriptedPayee:
    """A PayeeHandler whose prepare_transfer does what the test says."""

    def __init__(self, behaviour: Any) -> None:
        self.behaviour = behaviour

    async def get_party(self, id_type: str, id_value: str) -> dict[str, Any]:
        return {}

    async def quote(self, request: Mapping[str, Any]) -> dict[str, Any]:
        return {}

    async def prepare_transfer(self, request: Mapping[str, Any]) -> str:
        return await self.behaviour(request)


FULFILMENT = ilp.b64url_encode(bytes(range(32)))
CONDITION = ilp.condition_for(FULFILMENT)


def transfer(transfer_id: str, amount: str = "60", condition: str = CONDITION) -> dict[str, Any]:
    return {
        "transferId": transfer_id,
        "payerFsp": "fsp201",
        "payeeFsp": "fsp202",
        "amount": {"currency": "XXX", "amount": amount},
        "ilpPacket": "AQ",
        "condition": condition,
        "expiration": now_iso(60),
    }


def scripted_switch(behaviour: Any) -> Switch:
    switch = Switch({"fsp201": ScriptedPayee(behaviour), "fsp202": ScriptedPayee(behaviour)})
    switch.upsert_participant("fsp201", "XXX", Decimal(100))
    switch.upsert_participant("fsp202", "XXX", Decimal(100))
    return switch


def positions(switch: Switch) -> tuple[Decimal, Decimal, Decimal]:
    payer, payee = switch.participant("fsp201"), switch.participant("fsp202")
    assert payer is not None and payee is not None
    return payer.position, payer.reserved, payee.position


def test_reservation_counts_against_liquidity_while_the_payee_works() -> None:
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
        assert info.value.code == "4001"
        release.set()
        result = await first
        assert result.fulfilment == FULFILMENT
        assert positions(switch) == (60, 0, -60)
        assert switch.get_transfer("t1").state is TransferState.COMMITTED
        assert switch.get_transfer("t2").state is TransferState.ABORTED
        assert switch.stats.errors_by_code["4001"] == 1

    asyncio.run(scenario())


@pytest.mark.parametrize(
    ("behaviour", "code"),
    [
        ("reject", "5000"),
        ("crash", "5000"),
        ("wrong", "3100"),
        ("garbage", "3100"),
    ],
)
def test_every_payee_failure_releases_the_reservation(behaviour: str, code: str) -> None:
    async def payee(request: Mapping[str, Any]) -> str:
        if behaviour == "reject":
            raise FspiopError("5000", "no")
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
        assert positions(switch) == (0, 0, 0)
        record = switch.get_transfer("t1")
        assert record.state is TransferState.ABORTED and record.error_code == code
        assert switch.stats.transfers_aborted == 1 and switch.stats.transfers_committed == 0

    asyncio.run(scenario())


def test_expired_transfer_is_aborted_with_3303() -> None:
    async def payee(request: Mapping[str, Any]) -> str:
        raise AssertionError("an expired transfer must not reach the payee")

    async def scenario() -> None:
        switch = scripted_switch(payee)
        request = dict(transfer("t1"), expiration="2020-01-01T00:00:00.000Z")
        with pytest.raises(FspiopError) as info:
            await switch.transfer("fsp201", "fsp202", request)
        assert info.value.code == "3303"
        assert switch.get_transfer("t1").state is TransferState.ABORTED

    asyncio.run(scenario())


def test_duplicate_transfer_leaves_the_first_record_alone() -> None:
    async def payee(request: Mapping[str, Any]) -> str:
        return FULFILMENT

    async def scenario() -> None:
        switch = scripted_switch(payee)
        await switch.transfer("fsp201", "fsp202", transfer("t1", "10"))
        with pytest.raises(FspiopError) as info:
            await switch.transfer("fsp201", "fsp202", transfer("t1", "20"))
        assert info.value.code == "3106"
        assert info.value.description == "Modified request - duplicate transferId t1"
        assert positions(switch) == (10, 0, -10)
        record = switch.get_transfer("t1")
        assert record.state is TransferState.COMMITTED and record.amount == 10

    asyncio.run(scenario())
