"""A synthetic run in the raw format, for the report's tests and its benchmark.

`transactions_table` draws a constant-rate load over FSP pairs (lognormal phase durations,
a given share of failures with FSPIOP error codes); `seconds_table` derives raw/seconds.parquet
from it (mojaloop_perf.results.capture's `seconds_from_transactions` when that module exists, else the
equivalent here); `write_run` writes a whole run folder: raw files, meta.json and a summary.json
that matches its schema.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from mojaloop_perf.fsutil import write_json_atomic
from mojaloop_perf.results import raw, verdict
from mojaloop_perf.results.runs import summary_errors

LOAD_START_MS = 1_800_000_000_000
PAIRS = tuple((f"payerfsp{i}", f"payeefsp{j}") for i in range(1, 5) for j in range(1, 3))
MEDIAN_MS = {"discovery": 20.0, "quote": 35.0, "transfer": 60.0}
ERRORS = {
    "discovery": ("3204", "http 404"),
    "quote": ("3100", "timeout"),
    "transfer": ("4001", "5000", "http 503"),
}


def transactions_table(
    count: int,
    tps: float,
    *,
    failure_share: float = 0.001,
    warmup_s: float = 0,
    drain_s: float = 0,
    pairs: tuple[tuple[str, str], ...] = PAIRS,
    seed: int = 12,
) -> Any:
    """`count` transactions started at `tps` from LOAD_START_MS, as raw.transactions_schema()."""
    import pyarrow as pa

    rng = np.random.default_rng(seed)
    offset = np.arange(count) * (1000.0 / tps) + rng.uniform(0, 1000.0 / tps, count)
    start_ms = LOAD_START_MS + offset.astype(np.int64)
    pair = rng.integers(0, len(pairs), count)
    slow = 1.0 + 0.1 * pair  # later pairs a little slower, so the pair table differs
    durations = {
        phase: (rng.lognormal(np.log(median), 0.35, count) * slow).astype(np.float32)
        for phase, median in MEDIAN_MS.items()
    }
    failed = rng.random(count) < failure_share
    failed_phase = np.where(failed, rng.choice(len(raw.PHASES), count, p=[0.3, 0.3, 0.4]), -1)
    codes = sorted({code for phase_codes in ERRORS.values() for code in phase_codes})
    error = np.full(count, -1)
    for index, phase in enumerate(raw.PHASES):
        rows = failed_phase == index
        choices = np.array([codes.index(c) for c in ERRORS[phase]])
        error[rows] = rng.choice(choices, int(rows.sum()))
    columns: dict[str, Any] = {}
    for index, phase in enumerate(raw.PHASES):
        # null from the failed phase on
        null = failed & (failed_phase <= index)
        columns[f"{phase}_ms"] = pa.array(durations[phase], mask=null)
    e2e = sum(durations.values()) + rng.uniform(1, 5, count).astype(np.float32)
    duration_s = count / tps
    started_s = offset / 1000.0
    in_flight = tps * float(e2e.mean()) / 1000.0
    return pa.table(
        {
            "start_ms": pa.array(start_ms, pa.int64()),
            "runner": pa.array(np.ones(count, np.int16)),
            "source": _dictionary([s for s, _ in pairs], pair),
            "dest": _dictionary([d for _, d in pairs], pair),
            **columns,
            "e2e_ms": pa.array(e2e.astype(np.float32), mask=failed),
            "outcome": _dictionary(list(raw.OUTCOMES), failed.astype(np.int64)),
            "failed_phase": _dictionary(list(raw.PHASES), failed_phase),
            "error_code": _dictionary(codes, error),
            "steady": pa.array((started_s >= warmup_s) & (started_s < duration_s - drain_s)),
            "vus_active": pa.array(
                np.maximum(1, rng.poisson(in_flight, count)).astype(np.int32), pa.int32()
            ),
        },
        schema=raw.transactions_schema(),
    )


def seconds_table(transactions: Any, meta: dict[str, Any]) -> Any:
    """raw/seconds.parquet of a transactions table: the capture's derivation when it exists."""
    try:
        from mojaloop_perf.results.capture import seconds_from_transactions  # type: ignore[import-not-found]
    except ImportError:
        return seconds_from_transactions_fallback(transactions, meta)
    return seconds_from_transactions(transactions, meta)


def seconds_from_transactions_fallback(transactions: Any, meta: dict[str, Any]) -> Any:
    """Per second of start and phase: counts and p50/p95/p99 (linear interpolation), the
    e2e row with transactions started and the most active VUs; dropped iterations unknown."""
    import pyarrow as pa

    start = transactions.column("start_ms").to_numpy()
    second = ((start - meta["load_start_ms"]) // 1000).clip(0).astype(np.int64)
    length = int(second.max()) + 1 if len(second) else 0
    outcome = transactions.column("outcome").cast(pa.string()).to_numpy(zero_copy_only=False)
    failed_phase = np.asarray(
        transactions.column("failed_phase").cast(pa.string()).to_numpy(zero_copy_only=False)
    )
    parts = []
    for phase in (*raw.PHASES, "e2e"):
        values = _floats(transactions, f"{phase}_ms")
        ok = ~np.isnan(values)
        failed = outcome == "failed" if phase == "e2e" else failed_phase == phase
        row: dict[str, Any] = {
            "second": np.arange(length, dtype=np.int32),
            "phase": np.full(length, phase),
            "completed": np.bincount(second[ok], minlength=length).astype(np.int32),
            "failed": np.bincount(second[failed], minlength=length).astype(np.int32),
            **_percentiles(second[ok], values[ok], length),
        }
        if phase == "e2e":
            row["started"] = np.bincount(second, minlength=length).astype(np.int32)
            vus = np.zeros(length, np.int32)
            np.maximum.at(vus, second, _floats(transactions, "vus_active").astype(np.int32))
            row["vus_active"] = vus
        parts.append(row)
    schema = raw.seconds_schema()
    columns = {}
    for name in schema.names:
        chunks = [p.get(name) for p in parts]
        if all(c is None for c in chunks):
            columns[name] = pa.nulls(length * len(parts), schema.field(name).type)
            continue
        arrays = [
            (c if isinstance(c, pa.Array) else pa.array(c))
            if c is not None
            else pa.nulls(length, schema.field(name).type)
            for c in chunks
        ]
        columns[name] = pa.concat_arrays([a.cast(schema.field(name).type) for a in arrays])
    return pa.table(columns, schema=schema)


def meta_for(count: int, tps: float, warmup_s: float, drain_s: float) -> dict[str, Any]:
    return {
        "load_start_ms": LOAD_START_MS,
        "target_tps": tps,
        "warmup_s": warmup_s,
        "drain_s": drain_s,
        "duration_s": count / tps,
    }


def write_run(
    run_dir: Path,
    *,
    count: int = 3000,
    tps: float = 50,
    warmup_s: float = 5,
    drain_s: float = 5,
    failure_share: float = 0.001,
    with_transactions: bool = True,
    seed: int = 12,
) -> Path:
    """A run folder with raw files, meta.json and summary.json; `with_transactions` False: as
    an aws run, raw/seconds.parquet only."""
    table = transactions_table(
        count, tps, failure_share=failure_share, warmup_s=warmup_s, drain_s=drain_s, seed=seed
    )
    meta = meta_for(count, tps, warmup_s, drain_s)
    if with_transactions:
        raw.write_table(table, run_dir / raw.TRANSACTIONS_FILE)
    raw.write_table(seconds_table(table, meta), run_dir / raw.SECONDS_FILE)
    (run_dir / raw.META_FILE).write_text(json.dumps(meta, indent=2) + "\n")
    summary = summary_for(table, meta, run_dir.name)
    problems = summary_errors(summary)
    if problems:
        raise ValueError(f"synthetic summary.json does not match its schema: {problems[0]}")
    write_json_atomic(run_dir / "summary.json", summary)
    return run_dir


def summary_for(table: Any, meta: dict[str, Any], run_id: str) -> dict[str, Any]:
    """A schema-version-2 summary.json of the synthetic run."""
    import pyarrow as pa

    outcome = table.column("outcome").cast(pa.string()).to_numpy(zero_copy_only=False)
    failed_phase = table.column("failed_phase").cast(pa.string()).to_numpy(zero_copy_only=False)
    steady = table.column("steady").to_numpy(zero_copy_only=False)
    completed, failed = int((outcome == "completed").sum()), int((outcome == "failed").sum())
    duration = meta["duration_s"]
    window = duration - meta["warmup_s"] - meta["drain_s"]
    steady_completed = int((steady & (outcome == "completed")).sum())
    steady_failed = int((steady & (outcome == "failed")).sum())
    peak = int(table.column("vus_active").to_numpy().max())
    e2e_p95 = _trend(_floats(table, "e2e_ms"))["p95"] or 0
    summary: dict[str, Any] = {
        "schema_version": 2,
        "run_id": run_id if run_id[:1].isdigit() else "20270101T000000Z",
        "scenario": "synthetic",
        "target": "local",
        "status": "failed",
        "started_at": "2027-01-15T08:00:00Z",
        "finished_at": "2027-01-15T08:20:00Z",
        "provenance": {
            "scenario_digest": "0000synthetic000",
            "k6_version": "v1.1.0",
            "mlperf_version": "0.1.0",
            "git_commit": None,
            "git_dirty": None,
        },
        "load": {
            "target_tps": meta["target_tps"],
            "transactions_planned": len(table),
            "duration_s": duration,
            "parallelism": 1,
            "percentiles_from": "k6-summary",
            "thresholds_window": "full",
            "max_dropped_share": 0.001,
        },
        "results": {
            "completed": completed,
            "failed": failed,
            "failed_by_phase": {p: int((failed_phase == p).sum()) for p in raw.PHASES},
            "success_rate": completed / max(1, completed + failed),
            "achieved_tps": completed / duration,
            "test_run_duration_s": duration,
            "iterations": len(table),
            "dropped_iterations": 0,
            "dropped_share": 0.0,
            "peak_active_vus": peak,
            "peak_allocated_vus": peak,
            "peak_vus_is_sum_of_runners": False,
        },
        "latency_ms": _latency(table, np.ones(len(table), bool)),
        "thresholds": {
            "passed": e2e_p95 < 2000,
            "checks": [{"metric": "e2e_time", "expression": "p(95)<2000", "ok": e2e_p95 < 2000}],
        },
        "steady": {
            "warmup_s": meta["warmup_s"],
            "drain_s": meta["drain_s"],
            "window_s": window,
            "completed": steady_completed,
            "failed": steady_failed,
            "success_rate": steady_completed / max(1, steady_completed + steady_failed),
            "achieved_tps": steady_completed / window if window > 0 else 0,
            "latency_ms": _latency(table, steady),
        },
        "verdict": {"passed": True, "checks": []},
    }
    verdict.add_check(summary, verdict.thresholds(summary))
    verdict.add_check(summary, verdict.dropped_iterations(summary))
    return summary


def _latency(table: Any, rows: np.ndarray) -> dict[str, Any]:
    return {phase: _trend(_floats(table, f"{phase}_ms")[rows]) for phase in (*raw.PHASES, "e2e")}


def _trend(values: np.ndarray) -> dict[str, Any]:
    values = values[~np.isnan(values)]
    if not len(values):
        return {"count": 0, "avg": None, "p50": None, "p95": None, "p99": None, "max": None}
    p50, p95, p99 = (round(float(v), 3) for v in np.percentile(values, [50, 95, 99]))
    return {
        "count": len(values),
        "avg": round(float(values.mean()), 3),
        "p50": p50,
        "p95": p95,
        "p99": p99,
        "max": round(float(values.max()), 3),
    }


def _percentiles(second: np.ndarray, values: np.ndarray, length: int) -> dict[str, np.ndarray]:
    """p50/p95/p99 of `values` per second in one sort; NaN (null) for a second without any."""
    import pyarrow as pa

    order = np.lexsort((values, second))
    ordered = values[order]
    counts = np.bincount(second, minlength=length)
    starts = np.r_[0, np.cumsum(counts)[:-1]]
    has = counts > 0
    out = {}
    for q, name in ((0.5, "p50_ms"), (0.95, "p95_ms"), (0.99, "p99_ms")):
        position = starts + np.maximum(counts - 1, 0) * q
        low = np.floor(position).astype(np.int64).clip(0, max(len(ordered) - 1, 0))
        high = np.ceil(position).astype(np.int64).clip(0, max(len(ordered) - 1, 0))
        if len(ordered):
            value = ordered[low] + (ordered[high] - ordered[low]) * (position - np.floor(position))
        else:
            value = np.zeros(length)
        out[name] = pa.array(value.astype(np.float32), mask=~has)
    return out


def _floats(table: Any, column: str) -> np.ndarray:
    return np.asarray(table.column(column).to_numpy(zero_copy_only=False), dtype=np.float64)


def _dictionary(values: list[str], index: np.ndarray) -> Any:
    """A dictionary<int16, string> array; index -1 is null."""
    import pyarrow as pa

    indices = pa.array(index.astype(np.int16), mask=index < 0)
    return pa.DictionaryArray.from_arrays(indices, pa.array(values, pa.string()))
