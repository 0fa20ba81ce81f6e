"""Raw data of a local run out of the k6 script's records (see mojaloop_perf/results/raw.py).

With MOJALOOP_PERF_RECORDS=true the script writes one console line per iteration, completed or failed
(scripts/lib/record.js), and once per VU the scenario's start:

    MLREC,start_ms,runner,source,dest,discovery_ms,quote_ms,transfer_ms,e2e_ms,failed_phase,
          error_code,steady(1|0),vus_active
    MLSTART,runner,scenario_start_ms

k6 writes them through its logger (`--console-output`), so a line may carry the log format's
decoration around the record (`time=… level=info msg="MLREC,…"`); only the record is read.
Parsing is columnar (pyarrow's CSV reader and compute kernels, numpy for the per-second
aggregates): a million records take a few seconds.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from mojaloop_perf.errors import UserError
from mojaloop_perf.fsutil import write_json_atomic
from mojaloop_perf.results import raw
from mojaloop_perf.results.runs import RunFolder

RECORD_RE = r'MLREC,(?P<record>[^"]*)'
START_RE = r"MLSTART,[0-9]+,(?P<start>[0-9]+)"
FIELDS = (
    "start_ms",
    "runner",
    "source",
    "dest",
    "discovery_ms",
    "quote_ms",
    "transfer_ms",
    "e2e_ms",
    "failed_phase",
    "error_code",
    "steady",
    "vus_active",
)
SECOND_PHASES = (*raw.PHASES, "e2e")
PERCENTILES = (0.50, 0.95, 0.99)


@dataclass
class Records:
    """The transactions of a run and where its load started (ms since the epoch; None when
    no runner wrote its start)."""

    table: pa.Table
    load_start_ms: int | None


def _lines(path: Path) -> pa.ChunkedArray:
    """A file's lines as one string column, read in blocks by pyarrow."""
    if not path.is_file():
        raise UserError(f"{path}: no such k6 record file")
    if path.stat().st_size == 0:
        return pa.chunked_array([], pa.string())
    table = pacsv.read_csv(
        path,
        read_options=pacsv.ReadOptions(column_names=["line"], block_size=1 << 24),
        # A delimiter and quotes that never occur: each line is one value, as written.
        parse_options=pacsv.ParseOptions(delimiter="\x1f", quote_char=False, escape_char=False),
        convert_options=pacsv.ConvertOptions(
            column_types={"line": pa.string()}, strings_can_be_null=False
        ),
    )
    return table["line"]


def _empty_to_null(column: pa.ChunkedArray) -> pa.ChunkedArray:
    return pc.if_else(pc.equal(column, ""), pa.scalar(None, pa.string()), column)


def _read_one(path: Path) -> tuple[pa.Table, int | None]:
    lines = _lines(path)
    starts = lines.filter(pc.match_substring_regex(lines, START_RE))
    start_values = pc.struct_field(pc.extract_regex(starts, START_RE), [0]).cast(pa.int64())
    load_start = pc.min(start_values).as_py() if len(start_values) else None
    wanted = lines.filter(pc.match_substring_regex(lines, "MLREC,"))
    records = pc.struct_field(pc.extract_regex(wanted, RECORD_RE), [0])
    parts = pc.split_pattern(records, ",")
    widths = pc.list_value_length(parts)
    wrong = pc.not_equal(widths, len(FIELDS))
    if pc.any(wrong).as_py():
        bad = records.filter(wrong)[0].as_py()
        raise UserError(f"{path}: a record has not {len(FIELDS)} fields: {bad!r}")
    texts = {name: pc.list_element(parts, i) for i, name in enumerate(FIELDS)}
    schema = raw.transactions_schema()
    try:
        failed_phase = _empty_to_null(texts["failed_phase"])
        columns = {
            "start_ms": texts["start_ms"].cast(pa.int64()),
            "runner": texts["runner"].cast(pa.int16()),
            "source": texts["source"],
            "dest": texts["dest"],
            **{
                name: _empty_to_null(texts[name]).cast(pa.float32())
                for name in ("discovery_ms", "quote_ms", "transfer_ms", "e2e_ms")
            },
            "outcome": pc.if_else(pc.is_null(failed_phase), "completed", "failed"),
            "failed_phase": failed_phase,
            "error_code": _empty_to_null(texts["error_code"]),
            "steady": pc.equal(texts["steady"], "1"),
            "vus_active": texts["vus_active"].cast(pa.int32()),
        }
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise UserError(f"{path}: a record does not parse ({exc})") from exc
    unknown = pc.unique(failed_phase.drop_null()).to_pylist()
    if set(unknown) - set(raw.PHASES):
        raise UserError(f"{path}: unknown failed phase {sorted(set(unknown) - set(raw.PHASES))}")
    arrays = [columns[name].cast(schema.field(name).type) for name in schema.names]
    table = pa.table(arrays, schema=schema)
    return table, load_start


def read_records(paths: Iterable[Path]) -> Records:
    """Every runner's records as one transactions table (raw.transactions_schema()), by start."""
    tables, starts = [], []
    for path in paths:
        table, start = _read_one(path)
        tables.append(table)
        if start is not None:
            starts.append(start)
    schema = raw.transactions_schema()
    # One dictionary per column across runners (the runners' own ones differ).
    table = pa.concat_tables(tables, promote_options="none") if tables else schema.empty_table()
    table = table.unify_dictionaries().combine_chunks().sort_by("start_ms")
    return Records(table=table, load_start_ms=min(starts) if starts else None)


def _grouped_percentiles(seconds: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """k6's percentiles (linear between closest ranks) of `values` per second: (3, n), NaN
    where a second has no value."""
    order = np.lexsort((values, seconds))
    ordered = values[order]
    counts = np.bincount(seconds, minlength=n)
    offsets = np.concatenate(([0], np.cumsum(counts)[:-1]))
    out = np.full((len(PERCENTILES), n), np.nan)
    has = counts > 0
    size, first = counts[has], offsets[has]
    for row, fraction in enumerate(PERCENTILES):
        position = fraction * (size - 1)
        low = np.floor(position).astype(np.int64)
        high = np.minimum(low + 1, size - 1)
        a, b = ordered[first + low], ordered[first + high]
        out[row, has] = a + (b - a) * (position - low)
    return out


def _floats(table: pa.Table, name: str) -> np.ndarray:
    return table[name].to_numpy().astype(np.float64)  # nulls come out as NaN


def seconds_from_transactions(table: pa.Table, meta: Mapping[str, Any]) -> pa.Table:
    """raw/seconds.parquet out of the transactions: per second since the load started (by the
    transaction's start) and phase, the counts, p50/p95/p99 and, on the e2e rows, transactions
    started, the most active VUs and `dropped` = target TPS − started for seconds wholly inside
    the load. `meta`: load_start_ms, target_tps, duration_s."""
    start = int(meta["load_start_ms"])
    duration_s = float(meta["duration_s"])
    offsets = table["start_ms"].to_numpy() - start
    seconds = np.maximum(offsets // 1000, 0).astype(np.int64)
    n = max(int(seconds.max()) + 1 if len(seconds) else 0, math.ceil(duration_s))
    failed_phase = table["failed_phase"].cast(pa.string())
    blocks: list[dict[str, Any]] = []
    for index, phase in enumerate(SECOND_PHASES):
        values = _floats(table, f"{phase}_ms")
        ok = ~np.isnan(values)
        if phase == "e2e":
            failing = pc.equal(table["outcome"].cast(pa.string()), "failed")
        else:
            failing = pc.fill_null(pc.equal(failed_phase, phase), False)
        block = {
            "phase": np.full(n, index, dtype=np.int8),
            "completed": np.bincount(seconds[ok], minlength=n),
            "failed": np.bincount(seconds[failing.to_numpy(zero_copy_only=False)], minlength=n),
            "percentiles": _grouped_percentiles(seconds[ok], values[ok], n),
        }
        blocks.append(block)
    started = np.bincount(seconds, minlength=n)
    vus = np.full(n, -1, dtype=np.int64)
    np.maximum.at(vus, seconds, table["vus_active"].to_numpy().astype(np.int64))
    whole = np.arange(n) + 1 <= duration_s
    dropped = np.maximum(0, round(float(meta["target_tps"])) - started)
    return _seconds_table(n, blocks, started, vus, dropped, whole)


def _seconds_table(
    n: int,
    blocks: list[dict[str, Any]],
    started: np.ndarray,
    vus: np.ndarray,
    dropped: np.ndarray,
    whole: np.ndarray,
) -> pa.Table:
    """The blocks of every phase, interleaved second by second (discovery … e2e)."""
    schema = raw.seconds_schema()
    e2e = [index == len(blocks) - 1 for index in range(len(blocks))]
    rows = {
        "second": np.tile(np.arange(n, dtype=np.int32), len(blocks)),
        "phase": np.concatenate([b["phase"] for b in blocks]),
        "completed": np.concatenate([b["completed"] for b in blocks]),
        "failed": np.concatenate([b["failed"] for b in blocks]),
    }
    percentiles = np.concatenate([b["percentiles"] for b in blocks], axis=1)
    nulls = np.zeros(n, dtype=bool)
    mask = {  # True: null
        "started": np.concatenate([nulls if last else ~nulls for last in e2e]),
        "vus_active": np.concatenate([vus < 0 if last else ~nulls for last in e2e]),
        "dropped": np.concatenate([~whole if last else ~nulls for last in e2e]),
    }
    per_phase = {
        "started": np.tile(started, len(blocks)),
        "vus_active": np.tile(np.maximum(vus, 0), len(blocks)),
        "dropped": np.tile(dropped, len(blocks)),
    }
    order = np.argsort(rows["second"], kind="stable")
    phase = pa.DictionaryArray.from_arrays(
        pa.array(rows["phase"][order], pa.int8()), pa.array(SECOND_PHASES)
    )
    columns: dict[str, pa.Array] = {
        "second": pa.array(rows["second"][order], pa.int32()),
        "phase": phase,
        "completed": pa.array(rows["completed"][order].astype(np.int32)),
        "failed": pa.array(rows["failed"][order].astype(np.int32)),
    }
    for name in ("started", "vus_active", "dropped"):
        values = per_phase[name][order].astype(np.int32)
        columns[name] = pa.array(values, pa.int32(), mask=mask[name][order])
    for row, name in enumerate(("p50_ms", "p95_ms", "p99_ms")):
        values = percentiles[row][order].astype(np.float32)
        columns[name] = pa.array(values, pa.float32(), mask=np.isnan(values))
    return pa.table([columns[name] for name in schema.names], schema=schema)


def capture(
    record_files: Iterable[Path], folder: Path, meta: Mapping[str, Any], started_ms: int
) -> dict[str, Any]:
    """The run's raw tables into `folder`/raw/ out of the runners' record files; returns the
    meta (`meta` + load_start_ms: the earliest runner's scenario start, else `started_ms`) that
    raw/meta.json must hold (written with the run id: `RawRunFolder`)."""
    records = read_records(record_files)
    full = {
        **meta,
        "load_start_ms": records.load_start_ms if records.load_start_ms else started_ms,
        "transactions": records.table.num_rows,
    }
    raw.write_table(records.table, folder / raw.TRANSACTIONS_FILE)
    raw.write_table(seconds_from_transactions(records.table, full), folder / raw.SECONDS_FILE)
    return full


@dataclass
class RawRunFolder(RunFolder):
    """A run folder whose raw/meta.json is written once its run id (the name) is claimed."""

    meta: dict[str, Any] = field(default_factory=dict)

    def publish(self, finalize: Any = lambda run_id: None) -> Path:
        def with_meta(run_id: str) -> None:
            write_json_atomic(self.work / raw.META_FILE, {**self.meta, "run_id": run_id})
            finalize(run_id)

        return super().publish(with_meta)
