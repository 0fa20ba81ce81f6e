"""Figures only per-transaction data gives: the per-FSP-pair table, failures over time by phase
and error code, and each phase's latencies for the distribution plot.

Percentiles here are numpy's linear interpolation between closest ranks, over all the run's
transactions (not only the steady window).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from mojaloop_perf.results import raw

LATENCY_COLUMNS = {phase: f"{phase}_ms" for phase in (*raw.PHASES, "e2e")}


@dataclass(frozen=True)
class PairRow:
    """One payer → payee pair: transactions started, completed, and p95 per phase (ms)."""

    source: str
    dest: str
    count: int
    completed: int
    p95_ms: dict[str, float | None]

    @property
    def success_rate(self) -> float:
        return self.completed / self.count if self.count else 0.0


def failure_counts(transactions: Any) -> list[tuple[str, str, int]]:
    """(failed phase, error code, transactions) for every failure of the run, most first."""
    failed = _text(transactions, "outcome") == "failed"
    phases = _text(transactions, "failed_phase")[failed]
    codes = _text(transactions, "error_code")[failed]
    counted: dict[tuple[str, str], int] = {}
    for phase, code in zip(phases.tolist(), codes.tolist(), strict=True):
        key = (str(phase), str(code))
        counted[key] = counted.get(key, 0) + 1
    return sorted(((p, c, n) for (p, c), n in counted.items()), key=lambda r: (-r[2], r[0], r[1]))


def pair_table(transactions: Any) -> list[PairRow]:
    """Per (source, dest) pair, sorted by pair; one sort of the whole table, not one scan per
    pair, so that many pairs stay cheap."""
    source = _codes(transactions, "source")
    dest = _codes(transactions, "dest")
    completed = _text(transactions, "outcome") == "completed"
    if not len(source[0]):
        return []
    key = source[0].astype(np.int64) * (len(dest[1]) + 1) + dest[0]
    order = np.argsort(key, kind="stable")
    key_sorted = key[order]
    starts = np.flatnonzero(np.r_[True, key_sorted[1:] != key_sorted[:-1]])
    ends = np.r_[starts[1:], len(key_sorted)]
    latencies = {
        phase: _floats(transactions, column)[order] for phase, column in LATENCY_COLUMNS.items()
    }
    completed_sorted = completed[order]
    rows = []
    for start, end in zip(starts, ends, strict=True):
        first = order[start]
        p95: dict[str, float | None] = {}
        for phase, values in latencies.items():
            chunk = values[start:end]
            chunk = chunk[~np.isnan(chunk)]
            p95[phase] = float(np.percentile(chunk, 95)) if len(chunk) else None
        rows.append(
            PairRow(
                source=str(source[1][source[0][first]]),
                dest=str(dest[1][dest[0][first]]),
                count=int(end - start),
                completed=int(completed_sorted[start:end].sum()),
                p95_ms=p95,
            )
        )
    return sorted(rows, key=lambda row: (row.source, row.dest))


def failures_by_code(
    transactions: Any, load_start_ms: int, length: int, top: int = 7
) -> dict[str, np.ndarray]:
    """Failed transactions per second (of their start) by `phase: code`, the `top` most
    frequent kept and the rest summed as `other`; empty when nothing failed."""
    failed = _text(transactions, "outcome") == "failed"
    if not failed.any():
        return {}
    start = transactions.column("start_ms").to_numpy()[failed]
    second = np.clip((start - load_start_ms) // 1000, 0, None).astype(np.int64)
    length = max(length, int(second.max()) + 1)
    phase = _text(transactions, "failed_phase")[failed]
    code = _text(transactions, "error_code")[failed]
    labels = np.char.add(np.char.add(phase.astype(str), ": "), code.astype(str))
    names, which = np.unique(labels, return_inverse=True)
    totals = np.bincount(which, minlength=len(names))
    ranked = np.argsort(-totals, kind="stable")
    out: dict[str, np.ndarray] = {}
    other = np.zeros(length)
    for rank, category in enumerate(ranked):
        counts = np.bincount(second[which == category], minlength=length).astype(float)
        if rank < top:
            out[str(names[category])] = counts
        else:
            other += counts
    if other.any():
        out["other"] = other
    return out


def latencies(transactions: Any) -> dict[str, np.ndarray]:
    """Each phase's measured durations (ms) and e2e's, nulls dropped."""
    out = {}
    for phase, column in LATENCY_COLUMNS.items():
        values = _floats(transactions, column)
        out[phase] = values[~np.isnan(values)]
    return out


def _floats(table: Any, column: str) -> np.ndarray:
    return np.asarray(table.column(column).to_numpy(zero_copy_only=False), dtype=np.float64)


def _codes(table: Any, column: str) -> tuple[np.ndarray, np.ndarray]:
    """A dictionary column as (index per row, dictionary values); a null row gets index -1."""
    import pyarrow as pa

    chunked = table.column(column)
    if not pa.types.is_dictionary(chunked.type):
        chunked = chunked.dictionary_encode()
    combined = chunked.unify_dictionaries().combine_chunks() if chunked.num_chunks else chunked
    if isinstance(combined, pa.ChunkedArray):  # no chunks: an empty column
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=object)
    indices = combined.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    return indices, np.asarray(combined.dictionary.to_pylist(), dtype=object)


def _text(table: Any, column: str) -> np.ndarray:
    """A string column as an object array (None where null), decoded once per dictionary."""
    indices, values = _codes(table, column)
    lookup = np.append(values, None)  # index -1 → None
    return lookup[indices]
