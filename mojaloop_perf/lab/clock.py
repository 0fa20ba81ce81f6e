"""Timestamps in the Mojaloop style: ISO 8601, UTC, milliseconds, ``Z``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def iso(moment: datetime) -> str:
    """``2024-05-01T12:00:00.123Z``."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def now_iso(offset_s: float = 0.0) -> str:
    """Now (plus ``offset_s`` seconds) as an ISO 8601 UTC timestamp with milliseconds."""
    moment = datetime.now(UTC)
    if offset_s:
        moment += timedelta(seconds=offset_s)
    return iso(moment)


def parse_iso(text: str) -> datetime:
    """Parse an ISO 8601 timestamp; naive ones are taken as UTC. ValueError when unparseable."""
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
