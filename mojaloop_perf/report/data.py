"""A run's files read for the report: summary.json, raw/meta.json and the raw Parquet tables.

Everything the report shows comes from the run folder alone. `raw/seconds.parquet` is the time
base (both targets write it); `raw/transactions.parquet` (local target) adds what only single
transactions tell: latency distributions, error codes over time, and the per-FSP-pair table.
A run recorded before raw capture existed still gets a report, from summary.json alone.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mojaloop_perf.errors import UserError
from mojaloop_perf.results import raw

# seconds.parquet columns turned into dense per-second arrays (NaN where null or absent).
SECOND_COLUMNS = (
    "started",
    "completed",
    "failed",
    "p50_ms",
    "p95_ms",
    "p99_ms",
    "vus_active",
    "dropped",
)
SERIES_PHASES = (*raw.PHASES, "e2e")


@dataclass(frozen=True)
class Timing:
    """The run's clock: when the load started, and its target rate, warm-up, drain, length."""

    load_start_ms: int | None
    target_tps: float
    warmup_s: float
    drain_s: float
    duration_s: float


@dataclass
class RunData:
    """What the report reads from one run folder."""

    run_dir: Path
    summary: dict[str, Any]
    timing: Timing
    # seconds[phase][column]: one value per second 0 … n-1 (index = seconds since load start).
    seconds: dict[str, dict[str, np.ndarray]] | None
    transactions: Any | None  # pyarrow.Table of raw.transactions_schema()
    notes: list[str] = field(default_factory=list)

    @property
    def axis(self) -> np.ndarray:
        """Seconds since the load started, one per row of the per-second arrays."""
        if self.seconds is None:
            return np.arange(0)
        return np.arange(len(self.seconds["e2e"]["completed"]))


def load(run_dir: Path) -> RunData:
    """Read a run folder; a missing or unreadable summary.json is a one-line UserError."""
    summary = _read_json(run_dir / "summary.json", required=True)
    meta = _read_json(run_dir / raw.META_FILE, required=False) or {}
    timing = _timing(summary, meta, run_dir / raw.META_FILE)
    notes: list[str] = []
    transactions = None
    if (run_dir / raw.TRANSACTIONS_FILE).is_file():
        transactions = raw.read_table(run_dir / raw.TRANSACTIONS_FILE, raw.transactions_schema())
    seconds = None
    if (run_dir / raw.SECONDS_FILE).is_file():
        table = raw.read_table(run_dir / raw.SECONDS_FILE, raw.seconds_schema())
        seconds = dense_seconds(table, run_dir / raw.SECONDS_FILE)
    if seconds is None and transactions is None:
        notes.append(
            f"No raw data in {raw.RAW_DIR}/ (a run recorded before raw capture): the plots and "
            "the per-FSP-pair table are not available; the figures below are summary.json's."
        )
    elif seconds is None:
        notes.append(f"{raw.SECONDS_FILE} is absent: the plots over time are not available.")
    if transactions is not None and timing.load_start_ms is None and len(transactions):
        start = int(transactions.column("start_ms").to_numpy().min())
        timing = Timing(
            start, timing.target_tps, timing.warmup_s, timing.drain_s, timing.duration_s
        )
        notes.append(f"{raw.META_FILE} has no load_start_ms: time 0 is the first transaction.")
    return RunData(run_dir, summary, timing, seconds, transactions, notes)


def dense_seconds(table: Any, path: Path) -> dict[str, dict[str, np.ndarray]]:
    """seconds.parquet as `{phase: {column: float array indexed by second}}`; seconds with no
    row get 0 counts and NaN percentiles, VUs and drops."""
    second = table.column("second").to_numpy(zero_copy_only=False)
    if len(second) and second.min() < 0:
        raise UserError(f"{path}: column second has negative values")
    length = int(second.max()) + 1 if len(second) else 0
    phase = np.asarray(table.column("phase").cast("string").to_numpy(zero_copy_only=False))
    unknown = sorted(set(np.unique(phase).tolist()) - set(SERIES_PHASES))
    if unknown:
        raise UserError(f"{path}: column phase has unknown values: {', '.join(unknown)}")
    full = {
        # nulls arrive as NaN
        column: np.asarray(table.column(column).to_numpy(zero_copy_only=False), dtype=np.float64)
        for column in SECOND_COLUMNS
    }
    out: dict[str, dict[str, np.ndarray]] = {}
    for name in SERIES_PHASES:
        rows = phase == name
        index = second[rows]
        columns: dict[str, np.ndarray] = {}
        for column in SECOND_COLUMNS:
            values = full[column][rows]
            empty = 0.0 if column in ("completed", "failed", "started") else np.nan
            dense = np.full(length, empty)
            dense[index] = values
            columns[column] = dense
        out[name] = columns
    return out


def _timing(summary: dict[str, Any], meta: dict[str, Any], meta_path: Path) -> Timing:
    """meta.json's figures, else the summary's (runs before raw capture have no meta.json)."""
    load_ = summary.get("load", {})
    steady = summary.get("steady", {})
    defaults = {
        "target_tps": load_.get("target_tps", 0),
        "warmup_s": steady.get("warmup_s", 0),
        "drain_s": steady.get("drain_s", 0),
        "duration_s": load_.get("duration_s", 0),
    }
    values: dict[str, float] = {}
    for key, default in defaults.items():
        value = meta.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise UserError(f"{meta_path}: {key} must be a number >= 0, not {value!r}")
        values[key] = float(value)
    start = meta.get("load_start_ms")
    if start is not None and (isinstance(start, bool) or not isinstance(start, int)):
        raise UserError(f"{meta_path}: load_start_ms must be an integer, not {start!r}")
    return Timing(load_start_ms=start, **values)


def _read_json(path: Path, *, required: bool) -> dict[str, Any] | None:
    if not path.is_file():
        if required:
            raise UserError(f"{path}: no such file (is this a run folder?)")
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise UserError(f"{path}: not readable JSON ({error})") from None
    if not isinstance(data, dict):
        raise UserError(f"{path}: expected a JSON object")
    return data
