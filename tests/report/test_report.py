"""The run report: files written, what report.html says, reruns, bad input, finding runs."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mojaloop_perf.errors import UserError
from mojaloop_perf.project import Project
from mojaloop_perf.report import analysis, report_for, synthetic, write_report
from mojaloop_perf.report.write import find_run
from mojaloop_perf.results import raw

DATA = Path(__file__).resolve().parents[1] / "data"
ALL_PLOTS = {"throughput", "percentiles", "distribution", "failures", "load-generator"}
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def make_run(root: Path, name: str = "20270115T080000Z", **options) -> Path:
    return synthetic.write_run(root / name, **options)


def pngs(run_dir: Path) -> dict[str, bytes]:
    return {p.stem: p.read_bytes() for p in sorted((run_dir / "report").glob("*.png"))}


def test_a_full_run_gets_every_plot_and_a_page_that_embeds_them(tmp_path: Path) -> None:
    run = make_run(tmp_path, count=3000, tps=50, failure_share=0.01)
    lines: list[str] = []
    path = write_report(run, echo=lines.append)
    assert path == run / "report.html"
    assert lines == []  # nothing was missing
    images = pngs(run)
    assert set(images) == ALL_PLOTS
    assert all(content.startswith(PNG_MAGIC) for content in images.values())
    page = path.read_text()
    embedded = re.findall(r'<img src="data:image/png;base64,([^"]+)"', page)
    assert len(embedded) == len(ALL_PLOTS)
    import base64

    assert {base64.b64decode(e) for e in embedded} == set(images.values())
    # Self-contained: no script, and every src/href is inline.
    assert "<script" not in page.lower()
    assert all(v.startswith("data:") for v in re.findall(r'(?:src|href)="([^"]*)"', page))
    assert "not available" not in page
    summary = json.loads((run / "summary.json").read_text())
    for check in summary["verdict"]["checks"]:
        assert f'<td class="l">{check["name"]}</td>' in page
    assert "Validity gate: not recorded for this run" in page


def test_the_pair_table_counts_every_transaction_and_its_p95_is_exact(tmp_path: Path) -> None:
    run = make_run(tmp_path, count=4000, tps=100, failure_share=0.02)
    write_report(run, echo=lambda line: None)
    table = pq.read_table(run / raw.TRANSACTIONS_FILE)
    rows = analysis.pair_table(table)
    assert [(r.source, r.dest) for r in rows] == sorted(synthetic.PAIRS)
    assert sum(r.count for r in rows) == 4000
    frame = table.to_pydict()
    for row in rows:
        mine = [
            i
            for i, (s, d) in enumerate(zip(frame["source"], frame["dest"], strict=True))
            if (s, d) == (row.source, row.dest)
        ]
        assert row.count == len(mine)
        assert row.completed == sum(frame["outcome"][i] == "completed" for i in mine)
        e2e = [frame["e2e_ms"][i] for i in mine if frame["e2e_ms"][i] is not None]
        assert row.p95_ms["e2e"] == pytest.approx(float(np.percentile(e2e, 95)))
    page = (run / "report.html").read_text()
    first = rows[0]
    assert (
        f'<td class="l">{first.source}</td><td class="l">{first.dest}</td>'
        f"<td>{first.count}</td><td>{first.completed}</td>"
    ) in page


def test_the_failures_table_counts_each_phase_and_code_and_the_page_shows_it(
    tmp_path: Path,
) -> None:
    from collections import Counter

    table = synthetic.transactions_table(3000, 30, failure_share=0.05)
    frame = table.to_pydict()
    expected = Counter(
        (frame["failed_phase"][i], frame["error_code"][i])
        for i, outcome in enumerate(frame["outcome"])
        if outcome == "failed"
    )
    counts = analysis.failure_counts(table)
    assert {(p, c): n for p, c, n in counts} == dict(expected)
    assert [n for *_, n in counts] == sorted(expected.values(), reverse=True)
    assert analysis.failure_counts(synthetic.transactions_table(50, 10, failure_share=0)) == []


def test_failures_are_split_by_phase_and_code_per_second(tmp_path: Path) -> None:
    table = synthetic.transactions_table(2000, 20, failure_share=0.05)
    series = analysis.failures_by_code(table, synthetic.LOAD_START_MS, 100)
    frame = table.to_pydict()
    failed = [i for i, o in enumerate(frame["outcome"]) if o == "failed"]
    assert sum(int(v.sum()) for v in series.values()) == len(failed)
    label = next(iter(series))  # the most frequent
    phase, code = label.split(": ")
    expected = np.zeros(100)
    for i in failed:
        if (frame["failed_phase"][i], frame["error_code"][i]) == (phase, code):
            expected[(frame["start_ms"][i] - synthetic.LOAD_START_MS) // 1000] += 1
    assert np.array_equal(series[label], expected)
    assert (
        analysis.failures_by_code(synthetic.transactions_table(50, 10, failure_share=0), 0, 5) == {}
    )


def test_an_aws_like_run_with_seconds_only_still_gets_a_report(tmp_path: Path) -> None:
    run = make_run(tmp_path, with_transactions=False)
    shutil.copy(DATA / "dropped-run" / "summary.json", run / "summary.json")  # a failed verdict
    lines: list[str] = []
    page = write_report(run, echo=lines.append).read_text()
    assert set(pngs(run)) == ALL_PLOTS - {"distribution"}
    assert lines == [
        "report: Latency distribution: not available for this run (no per-transaction data: "
        "raw/transactions.parquet is absent)."
    ]
    assert "Latency distribution: not available for this run" in page
    assert "Omitted: no per-transaction data for this run" in page
    assert "<th>p95 e2e ms</th>" not in page
    assert (
        'class="l failed">FAILED</td><td class="l">crossed e2e_time{steady:true} p(99)&lt;200'
        in (page)
    )
    assert "no error codes" in page  # failures by phase only


def test_a_run_recorded_before_raw_capture_gets_a_summary_only_report(tmp_path: Path) -> None:
    run = tmp_path / "20261125T175353Z"
    run.mkdir()
    shutil.copy(DATA / "summary.json", run / "summary.json")  # schema version 1
    page = write_report(run, echo=lambda line: None).read_text()
    assert pngs(run) == {}
    assert "No raw data in raw/" in page
    assert "This summary.json has no verdict (schema 1)." in page
    assert "<td>601</td>" in page  # completed, from the summary


def test_a_second_report_rewrites_only_its_own_files(tmp_path: Path) -> None:
    run = make_run(tmp_path)
    (run / "k6.log").write_text("k6 said things\n")
    write_report(run, echo=lambda line: None)
    ours = {run / "report.html", *(run / "report").glob("*.png")}
    before = {
        p: (p.read_bytes(), p.stat().st_mtime_ns)
        for p in run.rglob("*")
        if p.is_file() and p not in ours
    }
    first_page = (run / "report.html").stat().st_mtime_ns
    write_report(run, echo=lambda line: None)
    after = {
        p: (p.read_bytes(), p.stat().st_mtime_ns)
        for p in run.rglob("*")
        if p.is_file() and p not in ours
    }
    assert after == before
    assert (run / "report.html").stat().st_mtime_ns >= first_page
    # No temporary file is left behind.
    assert not [p for p in run.rglob(".*") if p.is_file()]
    # A plot the data no longer gives is not left to contradict the page.
    (run / raw.TRANSACTIONS_FILE).unlink()
    write_report(run, echo=lambda line: None)
    assert "distribution" not in pngs(run)


def test_a_report_html_from_another_tool_is_never_replaced(tmp_path: Path) -> None:
    run = make_run(tmp_path)
    (run / "report.html").write_text("<!doctype html><title>k6 dashboard</title>")
    with pytest.raises(UserError, match=r"report\.html: a report\.html this workspace did not"):
        write_report(run, echo=lambda line: None)
    assert (run / "report.html").read_text() == "<!doctype html><title>k6 dashboard</title>"
    assert not (run / "report").exists()


@pytest.mark.parametrize(
    ("meta", "message"),
    [
        ({"load_start_ms": "soon"}, r"meta\.json: load_start_ms must be an integer"),
        ({"warmup_s": -1}, r"meta\.json: warmup_s must be a number >= 0"),
    ],
)
def test_bad_meta_json_is_one_line_naming_the_field(
    tmp_path: Path, meta: dict, message: str
) -> None:
    run = make_run(tmp_path)
    (run / raw.META_FILE).write_text(json.dumps(meta))
    with pytest.raises(UserError, match=message):
        write_report(run, echo=lambda line: None)


def test_bad_raw_files_and_a_missing_summary_are_one_line(tmp_path: Path) -> None:
    run = make_run(tmp_path)
    table = pq.read_table(run / raw.SECONDS_FILE).drop_columns(["p95_ms"])
    pq.write_table(table, run / raw.SECONDS_FILE)
    with pytest.raises(UserError, match=r"seconds\.parquet: columns missing: p95_ms"):
        write_report(run, echo=lambda line: None)
    (run / "summary.json").write_text("{not json")
    with pytest.raises(UserError, match=r"summary\.json: not readable JSON"):
        write_report(run, echo=lambda line: None)
    (run / "summary.json").unlink()
    with pytest.raises(UserError, match=r"summary\.json: no such file"):
        write_report(run, echo=lambda line: None)


def test_the_seconds_derivation_matches_numpy_per_second(tmp_path: Path) -> None:
    table = synthetic.transactions_table(1000, 40, failure_share=0.05)
    meta = synthetic.meta_for(1000, 40, 0, 0)
    seconds = synthetic.seconds_table(table, meta).to_pydict()
    frame = table.to_pydict()
    start = np.array(frame["start_ms"]) - synthetic.LOAD_START_MS
    quote = np.array([np.nan if v is None else v for v in frame["quote_ms"]])
    row = next(
        i
        for i, (s, p) in enumerate(zip(seconds["second"], seconds["phase"], strict=True))
        if (s, p) == (7, "quote")
    )
    in_second = quote[(start // 1000 == 7) & ~np.isnan(quote)]
    assert seconds["completed"][row] == len(in_second)
    assert seconds["p95_ms"][row] == pytest.approx(np.percentile(in_second, 95), rel=1e-6)
    assert seconds["started"][row] is None  # only the e2e row counts starts
    e2e_rows = [i for i, p in enumerate(seconds["phase"]) if p == "e2e"]
    assert sum(seconds["started"][i] for i in e2e_rows) == 1000
    assert sum(seconds["failed"][i] for i in e2e_rows) == frame["outcome"].count("failed")


def test_report_for_finds_the_latest_run_or_the_one_asked(checkout: Project) -> None:
    runs = checkout.runs_dir("s")
    for name in ("20270115T080000Z", "20270115T080000Z-2", "20270115T080000Z-10"):
        make_run(runs, name, count=200, tps=20)
    (runs / ".in-progress-20280101T000000Z-abcd").mkdir()
    assert find_run(checkout, "s", None) == runs / "20270115T080000Z-10"
    path = report_for(checkout, "s", "20270115T080000Z-2", echo=lambda line: None)
    assert path == runs / "20270115T080000Z-2" / "report.html" and path.is_file()
    assert not (runs / "20270115T080000Z-10" / "report.html").exists()


@pytest.mark.parametrize(
    ("scenario", "run_id", "message"),
    [
        ("nope", None, r"^--scenario nope: no such scenario under performance-tests/results/$"),
        ("empty", None, r"^scenario empty: no runs under performance-tests/results/empty/runs/"),
        ("s", "20990101T000000Z", r"^--run 20990101T000000Z: no such run under "),
        ("s", "../../etc", r"^--run \.\./\.\./etc: not a run id"),
    ],
)
def test_report_for_says_in_one_line_when_there_is_no_such_run(
    checkout: Project, scenario: str, run_id: str | None, message: str
) -> None:
    make_run(checkout.runs_dir("s"), count=200, tps=20)
    checkout.scenario_dir("empty").mkdir(parents=True)
    with pytest.raises(UserError, match=message):
        report_for(checkout, scenario, run_id, echo=lambda line: None)


def test_the_benchmark_reports_time_and_memory(capsys: pytest.CaptureFixture[str]) -> None:
    from mojaloop_perf.report import bench

    assert bench.main(["--transactions", "20000", "--tps", "200"]) == 0
    out = capsys.readouterr().out
    assert re.match(
        r"20,000 transactions at 200 TPS: generate [\d.]+ s, seconds [\d.]+ s, report [\d.]+ s "
        r"\(report\.html [\d.]+ MB\); analysis [\d.]+ s, total [\d.]+ s, peak RSS \d+ MiB\n"
        r"goal < 30 s and < 1 GiB: met\n$",
        out,
    )


def test_a_dictionary_column_with_no_rows_gives_no_pairs() -> None:
    empty = pa.table(
        {
            name: pa.array([], type=f.type)
            for name, f in zip(
                raw.transactions_schema().names, raw.transactions_schema(), strict=True
            )
        }
    )
    assert analysis.pair_table(empty) == []
