"""The switch's reference data: the MSISDN oracle's ranges and lookups."""

from __future__ import annotations

import random

import pytest

from mojaloop_perf.lab.participants import MsisdnOracle, RangeOverlapError


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
