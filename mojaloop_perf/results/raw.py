"""Raw data of a run, one format for both targets: columnar files in the run folder's `raw/`.

`raw/transactions.parquet`: one row per transaction k6 started (local target; the k6 script
writes one record per iteration). Columns (TRANSACTIONS):
    start_ms      int64    wall-clock start, ms since the Unix epoch
    runner        int16    k6 runner (1-based)
    source, dest  string   the payer and payee DFSP ids (dictionary-encoded)
    discovery_ms, quote_ms, transfer_ms
                  float32  each phase's HTTP duration; null from the failed phase on
    e2e_ms        float32  end to end; null when the transaction failed
    outcome       string   "completed" | "failed"
    failed_phase  string   "discovery" | "quote" | "transfer"; null when completed
    error_code    string   FSPIOP error code of the failure ("3204"), else "http <status>" or
                           "timeout"; null when completed
    steady        bool     started inside the steady-state window
    vus_active    int32    k6's active VUs when the transaction started

`raw/seconds.parquet`: one row per second of the run and phase, what a target can query without
per-transaction records (AWS: Prometheus). Columns (SECONDS):
    second        int32    seconds since the load started
    phase         string   "discovery" | "quote" | "transfer" | "e2e"
    started       int32    transactions started in that second (phase "e2e" only, else null)
    completed     int32    the phase succeeded (e2e: transactions completed)
    failed        int32    the phase failed
    p50_ms, p95_ms, p99_ms
                  float32  percentiles of the phase's durations of that second; null if none
    vus_active    int32    active VUs (e2e row; null where unknown)
    dropped       int32    iterations the executor could not start (e2e row; null if unknown)

`raw/meta.json`: the run's start (`load_start_ms`), target TPS, warm-up and drain, so that the
analysis never needs the scenario or the cluster again.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

RAW_DIR = "raw"
TRANSACTIONS_FILE = f"{RAW_DIR}/transactions.parquet"
SECONDS_FILE = f"{RAW_DIR}/seconds.parquet"
META_FILE = f"{RAW_DIR}/meta.json"
PHASES = ("discovery", "quote", "transfer")
OUTCOMES = ("completed", "failed")


def transactions_schema() -> Any:
    """The pyarrow schema of `raw/transactions.parquet`."""
    import pyarrow as pa

    text = pa.dictionary(pa.int16(), pa.string())
    return pa.schema(
        [
            ("start_ms", pa.int64()),
            ("runner", pa.int16()),
            ("source", text),
            ("dest", text),
            ("discovery_ms", pa.float32()),
            ("quote_ms", pa.float32()),
            ("transfer_ms", pa.float32()),
            ("e2e_ms", pa.float32()),
            ("outcome", text),
            ("failed_phase", text),
            ("error_code", text),
            ("steady", pa.bool_()),
            ("vus_active", pa.int32()),
        ]
    )


def seconds_schema() -> Any:
    """The pyarrow schema of `raw/seconds.parquet`."""
    import pyarrow as pa

    return pa.schema(
        [
            ("second", pa.int32()),
            ("phase", pa.dictionary(pa.int8(), pa.string())),
            ("started", pa.int32()),
            ("completed", pa.int32()),
            ("failed", pa.int32()),
            ("p50_ms", pa.float32()),
            ("p95_ms", pa.float32()),
            ("p99_ms", pa.float32()),
            ("vus_active", pa.int32()),
            ("dropped", pa.int32()),
        ]
    )


def write_table(table: Any, path: Path) -> None:
    """A table as Parquet (zstd), written beside and renamed into place."""
    import pyarrow.parquet as pq

    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    pq.write_table(table, partial, compression="zstd")
    partial.replace(path)


def read_table(path: Path, schema: Any) -> Any:
    """A raw table, checked against its schema (a missing column fails in one line)."""
    import pyarrow.parquet as pq

    from mojaloop_perf.errors import UserError

    if not path.is_file():
        raise UserError(f"{path}: no such raw data file")
    table = pq.read_table(path)
    missing = [name for name in schema.names if name not in table.column_names]
    if missing:
        raise UserError(f"{path}: columns missing: {', '.join(missing)}")
    return table.select(schema.names)
