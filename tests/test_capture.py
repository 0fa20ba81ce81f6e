"""Raw data of local runs (mojaloop_perf/results/capture.py): the k6 script's records, parsed.

Unit tests read record lines as k6 v1.1 wrote them (its default text log format around each
record) in a faults run of the lab; the real-run tests run the lab and the real k6 and compare
the raw tables with summary.json and with the lab's ledger of what it answered.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from mojaloop_perf import k6
from mojaloop_perf.errors import UserError
from mojaloop_perf.fsutil import read_json
from mojaloop_perf.project import Project
from mojaloop_perf.results import capture, k6_summary, raw
from mojaloop_perf.runner import Runner
from mojaloop_perf.scenario.load import load_scenario
from mojaloop_perf.targets import local, local_test_stage
from mojaloop_perf.targets.base import StageContext
from tests.conftest import free_port_block, write_scenario

# Lines of the records.log of a faults run (40 TPS, lab faults at every phase, k6's HTTP timeout
# 1 s below the SDK's 2 s), as k6 v1.1 wrote them: each VU writes MLSTART once.
RECORDED = """\
time="2026-12-01T22:18:05Z" level=info msg="MLSTART,1,1796163485908"
time="2026-12-01T22:18:05Z" level=info msg="MLSTART,1,1796163485908"
time="2026-12-01T22:18:05Z" level=info msg="MLREC,1796163485908,1,fsp205,fsp206,2.169,2.170,1.619,8,,,1,1"
time="2026-12-01T22:18:05Z" level=info msg="MLREC,1796163485933,1,fsp203,fsp204,0.566,0.829,0.649,4,,,1,1"
time="2026-12-01T22:18:06Z" level=info msg="MLREC,1796163486283,1,fsp201,fsp202,,,,,discovery,3204,1,3"
time="2026-12-01T22:18:07Z" level=info msg="MLREC,1796163486084,1,fsp205,fsp206,,,,,discovery,timeout,1,2"
time="2026-12-01T22:18:06Z" level=info msg="MLREC,1796163486559,1,fsp205,fsp206,0.666,,,,quote,5101,1,4"
time="2026-12-01T22:18:07Z" level=info msg="MLREC,1796163487609,1,fsp201,fsp202,0.511,,,,quote,http 500,1,4"
time="2026-12-01T22:18:06Z" level=info msg="MLREC,1796163486059,1,fsp203,fsp204,0.441,0.664,,,transfer,5105,1,2"
time="2026-12-01T22:18:08Z" level=info msg="MLREC,1796163487384,1,fsp201,fsp202,0.652,0.566,,,transfer,timeout,1,5"
"""


def write_records(path: Path, text: str = RECORDED) -> Path:
    path.write_text(text)
    return path


def test_recorded_lines_become_transactions_with_phase_and_code(tmp_path: Path) -> None:
    records = capture.read_records([write_records(tmp_path / "records.log")])
    table = records.table
    assert records.load_start_ms == 1796163485908
    assert table.schema == raw.transactions_schema()
    rows = table.to_pylist()  # by start time
    assert [(row["failed_phase"], row["error_code"]) for row in rows] == [
        (None, None),
        (None, None),
        ("transfer", "5105"),
        ("discovery", "timeout"),
        ("discovery", "3204"),
        ("quote", "5101"),
        ("transfer", "timeout"),
        ("quote", "http 500"),
    ]
    assert [row["outcome"] for row in rows] == ["completed"] * 2 + ["failed"] * 6
    first, transfer_failed = rows[0], rows[2]
    assert first["start_ms"] == 1796163485908 and first["runner"] == 1
    assert (first["source"], first["dest"]) == ("fsp205", "fsp206")
    assert first["discovery_ms"] == pytest.approx(2.169) and first["e2e_ms"] == 8
    assert first["steady"] is True and first["vus_active"] == 1
    # the phases before the failed one have their durations; the failed one, later ones and
    # e2e have none
    assert transfer_failed["discovery_ms"] == pytest.approx(0.441)
    assert transfer_failed["quote_ms"] == pytest.approx(0.664)
    assert transfer_failed["transfer_ms"] is None and transfer_failed["e2e_ms"] is None
    assert rows[3]["discovery_ms"] is None


def test_seconds_count_every_phase_by_start_second(tmp_path: Path) -> None:
    records = capture.read_records([write_records(tmp_path / "records.log")])
    meta = {"load_start_ms": records.load_start_ms, "target_tps": 40, "duration_s": 3.5}
    seconds = capture.seconds_from_transactions(records.table, meta)
    assert seconds.schema == raw.seconds_schema()
    rows = {(row["second"], row["phase"]): row for row in seconds.to_pylist()}
    # transactions in seconds 0 and 1; a 3.5 s load also has seconds 2 and 3 (not a whole one)
    assert sorted({second for second, _ in rows}) == [0, 1, 2, 3]
    assert [row["phase"] for row in seconds.to_pylist()[:4]] == [*raw.PHASES, "e2e"]
    e2e = [rows[(second, "e2e")] for second in range(4)]
    assert [(r["started"], r["completed"], r["failed"]) for r in e2e] == [
        (6, 2, 4),
        (2, 0, 2),
        (0, 0, 0),
        (0, 0, 0),
    ]
    assert [r["vus_active"] for r in e2e] == [4, 5, None, None]
    assert [r["dropped"] for r in e2e] == [34, 38, 40, None]
    assert e2e[0]["p50_ms"] == 6 and e2e[1]["p50_ms"] is None
    counts = {key: (row["completed"], row["failed"]) for key, row in rows.items()}
    assert [counts[(0, phase)] for phase in raw.PHASES] == [(4, 2), (3, 1), (2, 1)]
    assert [counts[(1, phase)] for phase in raw.PHASES] == [(2, 0), (1, 1), (0, 1)]
    assert rows[(0, "discovery")]["started"] is None
    # k6's percentile of 0.441, 0.566, 0.666, 2.169: halfway between the middle two
    assert rows[(0, "discovery")]["p50_ms"] == pytest.approx(0.616)
    assert rows[(1, "quote")]["p99_ms"] == pytest.approx(0.566)


def test_seconds_percentiles_are_k6s(tmp_path: Path) -> None:
    lines = ["MLSTART,1,1000"] + [
        f"MLREC,{1000 + i},1,a,b,{v:.3f},1.000,1.000,5,,,1,1"
        for i, v in enumerate([5.0, 1.0, 4.0, 2.0, 3.0, 10.0])
    ]
    records = capture.read_records([write_records(tmp_path / "r.log", "\n".join(lines))])
    meta = {"load_start_ms": 1000, "target_tps": 6, "duration_s": 1}
    seconds = capture.seconds_from_transactions(records.table, meta).to_pylist()
    discovery = next(row for row in seconds if row["phase"] == "discovery")
    ordered = sorted([5.0, 1.0, 4.0, 2.0, 3.0, 10.0])
    for key, fraction in (("p50_ms", 0.5), ("p95_ms", 0.95), ("p99_ms", 0.99)):
        assert discovery[key] == pytest.approx(k6_summary.percentile(ordered, fraction), rel=1e-6)


def test_empty_seconds_inside_the_load_count_as_dropped(tmp_path: Path) -> None:
    lines = "MLSTART,1,0\nMLREC,2500,1,a,b,1,1,1,3,,,1,2\n"
    records = capture.read_records([write_records(tmp_path / "r.log", lines)])
    meta = {"load_start_ms": 0, "target_tps": 10, "duration_s": 3}
    e2e = [r for r in capture.seconds_from_transactions(records.table, meta).to_pylist()]
    e2e = [r for r in e2e if r["phase"] == "e2e"]
    assert [(r["second"], r["started"], r["dropped"], r["vus_active"]) for r in e2e] == [
        (0, 0, 10, None),
        (1, 0, 10, None),
        (2, 1, 9, 2),
    ]
    assert e2e[0]["p50_ms"] is None


def test_several_runners_make_one_table(tmp_path: Path) -> None:
    one = write_records(
        tmp_path / "1.log", "MLSTART,1,1000\nMLREC,1500,1,fsp201,fsp202,1,1,1,3,,,1,2\n"
    )
    two = write_records(
        tmp_path / "2.log", "MLSTART,2,990\nMLREC,1200,2,fsp203,fsp204,1,,,,quote,3204,1,1\n"
    )
    records = capture.read_records([one, two])
    assert records.load_start_ms == 990
    assert records.table.column("runner").to_pylist() == [2, 1]  # by start time
    assert records.table.column("source").to_pylist() == ["fsp203", "fsp201"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("MLREC,1,1,a,b,1,1,1\n", "a record has not 12 fields"),
        ("MLREC,x,1,a,b,1,1,1,3,,,1,2\n", "a record does not parse"),
        ("MLREC,1,1,a,b,1,1,1,3,payee,,1,2\n", "unknown failed phase"),
    ],
)
def test_bad_records_name_the_file(tmp_path: Path, text: str, message: str) -> None:
    path = write_records(tmp_path / "records.log", text)
    with pytest.raises(UserError, match=message) as caught:
        capture.read_records([path])
    assert str(path) in str(caught.value)


def test_capture_writes_tables_and_meta_gets_the_run_id(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    path = write_records(tmp_path / "records.log")
    folder = capture.RawRunFolder.start(tmp_path / "runs", datetime(2026, 12, 1, tzinfo=UTC))
    meta = {"scenario": "s", "target_tps": 5, "duration_s": 2, "warmup_s": 0, "drain_s": 0}
    folder.meta = capture.capture([path], folder.work, meta, started_ms=0)
    final = folder.publish()
    assert json.loads((final / raw.META_FILE).read_text()) == {
        **meta,
        "load_start_ms": 1796163485908,
        "transactions": 8,
        "run_id": final.name,
    }
    table = raw.read_table(final / raw.TRANSACTIONS_FILE, raw.transactions_schema())
    assert table.num_rows == 8
    seconds = raw.read_table(final / raw.SECONDS_FILE, raw.seconds_schema())
    assert pc.sum(seconds.filter(pc.equal(seconds["phase"], "e2e"))["started"]).as_py() == 8


# --------------------------------------------------------------------------- real runs


def run_local(project: Project, name: str) -> Path:
    lines: list[str] = []
    scenario = load_scenario(project, name)
    ctx = StageContext(project, scenario, "local", Runner(echo=lines.append), lines.append)
    local.provision(ctx)
    local.deploy(ctx)
    try:
        local.seed_lab(ctx)
        run = local_test_stage.test(ctx)
    finally:
        local.destroy(ctx)
    assert run is not None, lines
    return run


def by(table: pa.Table, *columns: str) -> Counter:
    """How many rows have each value (a tuple of values, for several columns)."""
    rows = table.select(columns).to_pylist()
    if len(columns) == 1:
        return Counter(row[columns[0]] for row in rows)
    return Counter(tuple(row[c] for c in columns) for row in rows)


@pytest.mark.usefixtures("stop_labs")
def test_a_real_run_leaves_raw_data_that_matches_its_summary(
    checkout: Project, small_scenario
) -> None:
    name = small_scenario("t", tps=20, transactions=60, warmup_s=1, drain_s=1)
    run = run_local(checkout, name)
    summary = read_json(run / "summary.json")
    results = summary["results"]
    table = raw.read_table(run / raw.TRANSACTIONS_FILE, raw.transactions_schema())
    outcomes = by(table, "outcome")
    assert outcomes["completed"] == results["completed"] > 0
    assert outcomes["failed"] == results["failed"]
    assert pc.sum(table["steady"]).as_py() == summary["steady"]["completed"]
    assert pc.count(table["e2e_ms"]).as_py() == summary["latency_ms"]["e2e"]["count"]
    meta = read_json(run / raw.META_FILE)
    assert meta["run_id"] == run.name == summary["run_id"]
    assert (meta["target_tps"], meta["duration_s"], meta["warmup_s"]) == (20, 3, 1)
    starts = table["start_ms"].to_numpy()
    assert 0 <= starts.min() - meta["load_start_ms"] < 1000
    seconds = raw.read_table(run / raw.SECONDS_FILE, raw.seconds_schema())
    e2e = seconds.filter(pc.equal(seconds["phase"], "e2e"))
    assert pc.sum(e2e["started"]).as_py() == table.num_rows
    assert pc.sum(e2e["completed"]).as_py() == results["completed"]
    assert not list(run.rglob(k6.RECORDS)), "the record files are not kept"


# Seed 7 lets the seed stage's 8 sample lookups through (the first draws of discovery).
FAULTS = {
    "seed": 7,
    **{
        phase: {
            "switch_5xx": 0.04,
            "payee_timeout": 0.02,
            "payee_reject": 0.04,
            "slow_share": 0,
            "slow_ms": 0,
        }
        for phase in raw.PHASES
    },
}


@pytest.mark.usefixtures("stop_labs")
def test_faults_show_in_raw_data_as_the_lab_answered_them(checkout: Project) -> None:
    write_scenario(
        checkout,
        "faults",
        {
            "k6": {
                "tps": 40,
                "transactions": 160,
                "pre_allocated_vus": 10,
                "max_vus": 100,
                "expected_e2e_latency_ms": 100,
                "thresholds": {"success_rate": ["rate>0.5"]},
                # k6 gives up before the payer SDK's own timeout: a missing callback is k6's
                # request timeout, told apart from the switch's refusals (the SDK's HTTP 500).
                "http_timeout_s": 1,
            },
            "local": {
                "base_port": free_port_block(9),
                "sdk_timeout_s": 2,
                "faults": FAULTS,
            },
        },
    )
    run = run_local(checkout, "faults")
    summary = read_json(run / "summary.json")
    table = raw.read_table(run / raw.TRANSACTIONS_FILE, raw.transactions_schema())
    found = by(table.filter(pc.equal(table["outcome"], "failed")), "failed_phase", "error_code")
    # What the lab answered, phase by phase: an FSPIOP code as it is, a refusal by the switch
    # as the payer SDK's HTTP 500, a missing callback as k6's timeout.
    expected: Counter = Counter()
    for phase, answered in summary["validity_gate"]["lab"].items():
        for outcome, count in answered["outcomes"].items():
            if outcome != "ok":
                code = "http 500" if outcome == "refused 503" else outcome
                expected[(phase, code)] += count
    assert found == expected
    assert {phase for phase, _ in found} == set(raw.PHASES), found
    codes = {code for _, code in found}
    assert {"http 500", "timeout"} <= codes and any(code.isdigit() for code in codes)
    assert sum(found.values()) == summary["results"]["failed"]
