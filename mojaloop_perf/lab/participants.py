"""The switch's reference data: participants and their positions, and the MSISDN oracle."""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple

DEFAULT_NDC = Decimal("1000000000000000")
MSISDN = "MSISDN"
MAX_MSISDN_DIGITS = 15
MAX_RANGE_COUNT = 10_000_000


def format_decimal(value: Decimal) -> str:
    """Decimal as a plain string without exponent or trailing zeros: ``1E+3`` → ``"1000"``."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "0") else text


@dataclass(slots=True)
class Participant:
    """A DFSP onboarded on the switch, with its position in its one currency."""

    fsp_id: str
    currency: str
    ndc: Decimal
    position: Decimal = Decimal(0)
    reserved: Decimal = Decimal(0)

    def view(self) -> dict[str, Any]:
        return {
            "fspId": self.fsp_id,
            "currency": self.currency,
            "ndc": format_decimal(self.ndc),
            "position": format_decimal(self.position),
            "reserved": format_decimal(self.reserved),
        }


class MsisdnRange(NamedTuple):
    """``count`` MSISDNs from ``start`` on, all with the width (digit count) of ``start``."""

    fsp_id: str
    start: str
    count: int

    @property
    def first(self) -> int:
        return int(self.start)

    @property
    def last(self) -> int:
        return int(self.start) + self.count - 1

    def label(self) -> str:
        return f"{self.start}+{self.count}"


class RangeOverlapError(Exception):
    """A range that overlaps one already registered."""

    def __init__(self, new: MsisdnRange, existing: MsisdnRange) -> None:
        self.new = new
        self.existing = existing
        super().__init__(
            f"range {new.label()} overlaps range {existing.label()} registered to {existing.fsp_id}"
        )


class MsisdnOracle:
    """MSISDN → fspId by registered ranges; O(log n) lookups by bisecting sorted range starts.

    MSISDNs of different widths never match each other: ``0256`` is not ``256``.
    """

    def __init__(self) -> None:
        # width → (sorted starts, ranges in the same order)
        self._by_width: dict[int, tuple[list[int], list[MsisdnRange]]] = {}

    def register(self, fsp_id: str, start: str, count: int) -> bool:
        """Register a range; True when new, False when this fsp already has exactly this range.

        ValueError for a malformed range, RangeOverlapError when it overlaps any other range.
        """
        if not (start.isascii() and start.isdigit() and 1 <= len(start) <= MAX_MSISDN_DIGITS):
            raise ValueError(f"start must be 1-{MAX_MSISDN_DIGITS} digits")
        if not 1 <= count <= MAX_RANGE_COUNT:
            raise ValueError(f"count must be 1-{MAX_RANGE_COUNT}")
        new = MsisdnRange(fsp_id, start, count)
        width = len(start)
        if len(str(new.last)) > width:
            raise ValueError(f"range {new.label()} runs past the largest {width}-digit number")
        starts, ranges = self._by_width.setdefault(width, ([], []))
        index = bisect.bisect_left(starts, new.first)
        for neighbour in (index - 1, index):
            if 0 <= neighbour < len(ranges):
                existing = ranges[neighbour]
                if existing.first <= new.last and new.first <= existing.last:
                    if existing == new:
                        return False
                    raise RangeOverlapError(new, existing)
        starts.insert(index, new.first)
        ranges.insert(index, new)
        return True

    def lookup(self, msisdn: str) -> str | None:
        """fspId owning ``msisdn``, or None."""
        entry = self._by_width.get(len(msisdn))
        if entry is None or not (msisdn.isascii() and msisdn.isdigit()):
            return None
        starts, ranges = entry
        number = int(msisdn)
        index = bisect.bisect_right(starts, number) - 1
        if index >= 0 and number <= ranges[index].last:
            return ranges[index].fsp_id
        return None

    def ranges(self, fsp_id: str | None = None) -> list[MsisdnRange]:
        """Registered ranges (of one fsp, or all), by width then start."""
        return [
            r
            for width in sorted(self._by_width)
            for r in self._by_width[width][1]
            if fsp_id is None or r.fsp_id == fsp_id
        ]

    def __len__(self) -> int:
        return sum(len(ranges) for _, ranges in self._by_width.values())
