"""invoke compare and invoke baseline: the statistics, the table, the methodology refusals.

Runs are synthetic: summary.json by the results schema (figures computed from the same
durations) plus raw/transactions.parquet written with raw.write_table.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from mojaloop_perf.errors import UserError
from mojaloop_perf.fsutil import read_json, write_json_atomic
from mojaloop_perf.project import Project
from mojaloop_perf.results import raw
from mojaloop_perf.results.baseline import mark_baseline
from mojaloop_perf.results.compare import (
    Comparison,
    Row,
    compare_runs,
    holm,
    quantile_difference_p,
    rank_test,
    two_proportion_p,
)
from mojaloop_perf.results.runs import write_summary

RUN_1, RUN_2, RUN_3 = "20260101T100000Z", "20260101T110000Z", "20260101T120000Z"
LOAD_START_MS = 1_767_261_600_000


def phase_durations(seed: int, n: int, shift_ms: float = 0.0) -> dict[str, np.ndarray]:
    """Right-skewed phase durations (median ≈ 40 ms) as a real service answers, plus a shift."""
    rng = np.random.default_rng(seed)
    return {
        phase: (rng.lognormal(np.log(40), 0.35, n) + shift_ms).astype(np.float32)
        for phase in raw.PHASES
    }


def write_run(
    project: Project,
    scenario: str,
    run_id: str,
    phases: dict[str, np.ndarray],
    *,
    tps: int = 100,
    warmup_s: float = 0,
    drain_s: float = 0,
    failed: int = 0,
    with_raw: bool = True,
) -> Path:
    """A published run folder: summary.json (schema-valid), raw/transactions.parquet and
    raw/meta.json; the last `failed` transactions fail at the transfer phase."""
    n = len(phases["discovery"])
    duration = n / tps
    start = LOAD_START_MS + np.arange(n, dtype=np.int64) * 1000 // tps
    offset_s = (start - LOAD_START_MS) / 1000
    steady = (offset_s >= warmup_s) & (offset_s < duration - drain_s)
    ok = np.arange(n) < n - failed
    transfer = np.where(ok, phases["transfer"], np.nan).astype(np.float32)
    e2e = np.where(ok, phases["discovery"] + phases["quote"] + phases["transfer"] + 1, np.nan)
    columns = {
        "discovery_ms": phases["discovery"],
        "quote_ms": phases["quote"],
        "transfer_ms": transfer,
        "e2e_ms": e2e.astype(np.float32),
    }
    folder = project.runs_dir(scenario) / run_id
    folder.mkdir(parents=True)
    if with_raw:
        text = pa.dictionary(pa.int16(), pa.string())

        def coded(values: list[str], codes: np.ndarray) -> pa.Array:
            return pa.DictionaryArray.from_arrays(pa.array(codes, pa.int16()), pa.array(values))

        table = pa.Table.from_arrays(
            [
                pa.array(start),
                pa.array(np.ones(n, np.int16)),
                coded(["fsp201"], np.zeros(n, np.int16)),
                coded(["fsp202"], np.zeros(n, np.int16)),
                *(pa.array(columns[f"{p}_ms"], from_pandas=True) for p in (*raw.PHASES, "e2e")),
                coded(list(raw.OUTCOMES), np.where(ok, 0, 1).astype(np.int16)),
                pa.array([None if good else "transfer" for good in ok], text)
                if failed
                else pa.nulls(n, text),
                pa.array([None if good else "5101" for good in ok], text)
                if failed
                else pa.nulls(n, text),
                pa.array(steady),
                pa.array(np.full(n, 10, np.int32)),
            ],
            schema=raw.transactions_schema(),
        )
        raw.write_table(table, folder / raw.TRANSACTIONS_FILE)
        write_json_atomic(
            folder / raw.META_FILE,
            {
                "load_start_ms": LOAD_START_MS,
                "target_tps": tps,
                "warmup_s": warmup_s,
                "drain_s": drain_s,
                "duration_s": duration,
            },
        )

    def latency(mask: np.ndarray) -> dict[str, dict[str, float | int | None]]:
        out = {}
        for name, values in columns.items():
            x = values[mask & ~np.isnan(values)].astype(np.float64)
            out[name.removesuffix("_ms")] = {
                "count": int(x.size),
                "avg": float(x.mean()),
                "p50": float(np.percentile(x, 50)),
                "p95": float(np.percentile(x, 95)),
                "p99": float(np.percentile(x, 99)),
                "max": float(x.max()),
            }
        return out

    window = duration - warmup_s - drain_s
    s_done, s_failed = int((steady & ok).sum()), int((steady & ~ok).sum())
    everything = np.ones(n, bool)
    write_summary(
        folder,
        {
            "schema_version": 2,
            "run_id": run_id,
            "scenario": scenario,
            "target": "local",
            "status": "passed",
            "started_at": "2026-01-01T10:00:00Z",
            "finished_at": "2026-01-01T10:10:00Z",
            "provenance": {
                "scenario_digest": "0" * 16,
                "k6_version": "v1.1.0",
                "mlperf_version": "0.1.0",
                "git_commit": None,
                "git_dirty": None,
            },
            "load": {
                "target_tps": tps,
                "transactions_planned": n,
                "duration_s": duration,
                "parallelism": 1,
                "percentiles_from": "k6-summary",
                "thresholds_window": "full",
                "max_dropped_share": 0.001,
            },
            "results": {
                "completed": n - failed,
                "failed": failed,
                "failed_by_phase": {"discovery": 0, "quote": 0, "transfer": failed},
                "success_rate": (n - failed) / n,
                "achieved_tps": (n - failed) / duration,
                "test_run_duration_s": duration,
                "iterations": n,
                "dropped_iterations": 0,
                "dropped_share": 0.0,
                "peak_active_vus": 10,
                "peak_allocated_vus": 20,
                "peak_vus_is_sum_of_runners": False,
            },
            "latency_ms": latency(everything),
            "thresholds": {"passed": True, "checks": []},
            "steady": {
                "warmup_s": warmup_s,
                "drain_s": drain_s,
                "window_s": window,
                "completed": s_done,
                "failed": s_failed,
                "success_rate": s_done / (s_done + s_failed),
                "achieved_tps": s_done / window,
                "latency_ms": latency(steady),
            },
            "verdict": {
                "passed": True,
                "checks": [{"name": "thresholds", "ok": True, "detail": "ok"}],
            },
        },
    )
    return folder


def row(comparison: Comparison, window: str, figure: str) -> Row:
    (found,) = [r for r in comparison.rows if r.window == window and r.figure == figure]
    return found


@pytest.fixture
def scenario(small_scenario: Callable[..., str]) -> str:
    return small_scenario("cmp")


def test_slower_phases_are_a_significant_regression(checkout: Project, scenario: str) -> None:
    write_run(checkout, scenario, RUN_1, phase_durations(1, 3000), warmup_s=3, drain_s=2)
    write_run(checkout, scenario, RUN_2, phase_durations(2, 3000, 20), warmup_s=3, drain_s=2)
    comparison = compare_runs(checkout, scenario, None, None, baseline=False)
    assert (comparison.run_a, comparison.run_b) == (RUN_1, RUN_2)  # default: the two latest
    for window in ("full", "steady"):
        for latency in ("discovery", "quote", "transfer", "e2e"):
            for pct in ("p50", "p95", "p99"):
                r = row(comparison, window, f"{latency} {pct}")
                assert r.significant and r.worse and r.delta is not None and r.delta > 15
            shift = row(comparison, window, f"{latency} P(B slower)")
            assert shift.significant and shift.b is not None and shift.b > 0.8
        assert not row(comparison, window, "success rate").significant
    regressed = comparison.regressed
    assert {" ".join(r.split()[:3]) for r in regressed} == {
        "steady discovery p95",
        "steady quote p95",
        "steady transfer p95",
        "steady e2e p95",
    }
    text = "\n".join(comparison.lines())
    assert "regressions (steady window" in text and "steady e2e p95" in text
    assert "yes (worse)" in text


def test_faster_b_passes(checkout: Project, scenario: str) -> None:
    write_run(checkout, scenario, RUN_1, phase_durations(1, 3000, 20))
    write_run(checkout, scenario, RUN_2, phase_durations(2, 3000))
    comparison = compare_runs(checkout, scenario, RUN_1, RUN_2, baseline=False)
    e2e = row(comparison, "steady", "e2e p95")
    assert e2e.significant and not e2e.worse and e2e.delta is not None and e2e.delta < 0
    assert comparison.regressed == []
    assert "regressions (steady window; tolerance p95 +10 %" in comparison.lines()[-1]
    assert comparison.lines()[-1].endswith("none")
    assert "yes (better)" in "\n".join(comparison.lines())


def test_same_distribution_is_not_significant(checkout: Project, scenario: str) -> None:
    write_run(checkout, scenario, RUN_1, phase_durations(1, 3000))
    write_run(checkout, scenario, RUN_2, phase_durations(2, 3000))
    comparison = compare_runs(checkout, scenario, RUN_1, RUN_2, baseline=False)
    assert comparison.regressed == []
    for latency in ("discovery", "quote", "transfer", "e2e"):
        for figure in ("p50", "p95", "P(B slower)"):
            r = row(comparison, "full", f"{latency} {figure}")
            assert r.p is not None and not r.significant, (latency, figure, r.p)
    # the very same data: nothing differs at all
    write_run(checkout, scenario, RUN_3, phase_durations(2, 3000))
    same = compare_runs(checkout, scenario, RUN_2, RUN_3, baseline=False)
    assert all(r.p == 1.0 for r in same.rows if r.test == "quantile")
    assert not any(r.significant for r in same.rows)


def test_quantile_test_holds_its_false_positive_rate() -> None:
    """Same population, 400 pairs of samples: about 5 % of them significant at p < 0.05, and a
    real 10 % shift of the p95 found nearly always."""
    rng = np.random.default_rng(7)
    for q in (0.5, 0.95, 0.99):
        ps = [
            quantile_difference_p(rng.lognormal(3.7, 0.35, 2000), rng.lognormal(3.7, 0.35, 2000), q)
            for _ in range(400)
        ]
        rate = np.mean(np.array(ps) < 0.05)
        assert 0.01 <= rate <= 0.10, (q, rate)
    hits = [
        quantile_difference_p(
            rng.lognormal(3.7, 0.35, 5000), rng.lognormal(3.7, 0.35, 5000) * 1.1, 0.95
        )
        < 0.05
        for _ in range(50)
    ]
    assert np.mean(hits) > 0.9


def test_rank_and_proportion_tests() -> None:
    rng = np.random.default_rng(3)
    a = rng.normal(100, 10, 5000)
    effect, p = rank_test(a, a + 5)
    assert p < 1e-6 and 0.6 < effect < 0.7  # P(N(5, 14²) > 0) ≈ 0.64
    effect, p = rank_test(a, rng.normal(100, 10, 5000))
    assert p > 0.01 and abs(effect - 0.5) < 0.02
    assert two_proportion_p(990, 1000, 990, 1000) == 1.0
    assert two_proportion_p(1000, 1000, 950, 1000) < 1e-6
    assert two_proportion_p(1000, 1000, 999, 1000) > 0.05  # one failure in 1000 is noise
    assert two_proportion_p(0, 0, 1, 1) is None
    adjusted = holm([0.01, 0.04, None, 0.03])
    assert adjusted == pytest.approx([0.03, 0.06, None, 0.06])  # 3 tests: ×3, ×2 (monotone), ×1


def test_failures_and_lost_throughput_are_a_regression(checkout: Project, scenario: str) -> None:
    write_run(checkout, scenario, RUN_1, phase_durations(1, 3000))
    write_run(checkout, scenario, RUN_2, phase_durations(1, 3000), failed=300)
    comparison = compare_runs(checkout, scenario, RUN_1, RUN_2, baseline=False)
    success = row(comparison, "steady", "success rate")
    assert success.significant and success.worse
    assert row(comparison, "full", "failed").worse
    names = [r.split(" ")[1:3] for r in comparison.regressed]
    assert ["success", "rate"] in names and ["achieved", "TPS"] in names
    assert "-10.000 pp" in "\n".join(comparison.lines())


def test_tolerance_comes_from_the_scenario(
    checkout: Project, small_scenario: Callable[..., str]
) -> None:
    name = small_scenario("lenient", regression={"p95_increase_pct": 80})
    write_run(checkout, name, RUN_1, phase_durations(1, 3000))
    write_run(checkout, name, RUN_2, phase_durations(2, 3000, 20))
    comparison = compare_runs(checkout, name, RUN_1, RUN_2, baseline=False)
    assert row(comparison, "steady", "e2e p95").worse  # +60 ms on ~190 ms: significant, < 80 %
    assert comparison.regressed == []


def test_runs_with_different_trims_or_length_are_refused(checkout: Project, scenario: str) -> None:
    write_run(checkout, scenario, RUN_1, phase_durations(1, 1000), warmup_s=2)
    write_run(checkout, scenario, RUN_2, phase_durations(2, 1000), warmup_s=3)
    with pytest.raises(UserError) as refused:
        compare_runs(checkout, scenario, RUN_1, RUN_2, baseline=False)
    message = str(refused.value)
    assert "\n" not in message
    assert f"warm-up (s): A {RUN_1} 2, B {RUN_2} 3" in message
    write_run(checkout, scenario, RUN_3, phase_durations(3, 1200), warmup_s=2)
    with pytest.raises(UserError, match=r"duration \(s\): A \S+ 10, B \S+ 12"):
        compare_runs(checkout, scenario, RUN_1, RUN_3, baseline=False)


def test_runs_without_raw_data_compare_untested(checkout: Project, scenario: str) -> None:
    write_run(checkout, scenario, RUN_1, phase_durations(1, 1000))
    write_run(checkout, scenario, RUN_2, phase_durations(2, 1000, 40), with_raw=False)
    comparison = compare_runs(checkout, scenario, RUN_1, RUN_2, baseline=False)
    e2e = row(comparison, "steady", "e2e p95")
    assert e2e.p is None and e2e.delta_pct is not None and e2e.delta_pct > 30
    assert comparison.regressed == []
    assert any(RUN_2 in note and "untested" in note for note in comparison.notes)
    assert row(comparison, "steady", "success rate").p == 1.0  # counts need no raw data


def test_baseline_marks_a_run_and_compare_uses_it(checkout: Project, scenario: str) -> None:
    for run_id, seed in ((RUN_1, 1), (RUN_2, 2), (RUN_3, 3)):
        write_run(checkout, scenario, run_id, phase_durations(seed, 500))
    with pytest.raises(UserError, match=r"no baseline .*invoke baseline"):
        compare_runs(checkout, scenario, None, None, baseline=True)
    path = mark_baseline(checkout, scenario, RUN_1)
    assert path == checkout.scenario_dir(scenario) / "baseline.json"
    assert read_json(path)["run_id"] == RUN_1
    comparison = compare_runs(checkout, scenario, None, None, baseline=True)
    assert (comparison.run_a, comparison.run_b, comparison.a_is_baseline) == (RUN_1, RUN_3, True)
    assert f"A {RUN_1} (baseline) vs B {RUN_3}" in comparison.lines()[0]
    assert compare_runs(checkout, scenario, None, RUN_2, baseline=True).run_b == RUN_2

    mark_baseline(checkout, scenario, None)  # default: the latest run; the old mark is kept
    data = read_json(path)
    assert data["run_id"] == RUN_3 and [h["run_id"] for h in data["history"]] == [RUN_1]
    with pytest.raises(UserError, match="same run"):
        compare_runs(checkout, scenario, None, None, baseline=True)

    with pytest.raises(UserError, match=r"^run 20990101T000000Z: no such run in "):
        mark_baseline(checkout, scenario, "20990101T000000Z")
    with pytest.raises(UserError, match="not a run id"):
        mark_baseline(checkout, scenario, "../../etc")
    assert read_json(path)["run_id"] == RUN_3  # a refused mark changes nothing


def test_run_choice_errors(checkout: Project, scenario: str) -> None:
    write_run(checkout, scenario, RUN_1, phase_durations(1, 300))
    with pytest.raises(UserError, match=f"run {RUN_1}: no earlier run"):
        compare_runs(checkout, scenario, None, None, baseline=False)
    with pytest.raises(UserError, match=f"run {RUN_2}: no such run"):
        compare_runs(checkout, scenario, RUN_1, RUN_2, baseline=False)
    with pytest.raises(UserError, match="--baseline names run A already"):
        compare_runs(checkout, scenario, RUN_1, None, baseline=True)
    summary = checkout.runs_dir(scenario) / RUN_1 / "summary.json"
    data = json.loads(summary.read_text())
    write_run(checkout, scenario, RUN_2, phase_durations(2, 300))
    data["results"]["success_rate"] = 2
    summary.write_text(json.dumps(data))
    with pytest.raises(UserError, match=r"summary.json: results.success_rate: "):
        compare_runs(checkout, scenario, RUN_1, RUN_2, baseline=False)


def test_regression_tolerance_is_validated(
    checkout: Project, small_scenario: Callable[..., str]
) -> None:
    from mojaloop_perf.scenario.load import load_scenario

    name = small_scenario("bad", regression={"tps_decrease_pct": -1})
    with pytest.raises(UserError, match="tps_decrease_pct"):
        load_scenario(checkout, name)


def test_two_million_rows_compare_in_seconds(checkout: Project, scenario: str) -> None:
    n = 1_000_000
    write_run(checkout, scenario, RUN_1, phase_durations(1, n), tps=1000, warmup_s=60, drain_s=30)
    write_run(
        checkout, scenario, RUN_2, phase_durations(2, n, 2), tps=1000, warmup_s=60, drain_s=30
    )
    began = time.perf_counter()
    comparison = compare_runs(checkout, scenario, RUN_1, RUN_2, baseline=False)
    elapsed = time.perf_counter() - began
    assert elapsed < 10, f"{elapsed:.1f} s"
    assert row(comparison, "steady", "e2e p50").significant  # +6 ms in 1M transactions
    assert "subsample of 100,000 per run" in "\n".join(comparison.lines())
