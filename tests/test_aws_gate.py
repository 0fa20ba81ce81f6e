"""The AWS validity gate: Kafka topic rates from a fake Prometheus, and a run it fails.

The gate's queries go to a Prometheus HTTP API (tests/test_prometheus.py's fake over functions
of time); the stage runs for real (mojaloop_perf.targets.aws_test_stage.test) with the cluster side faked as
in tests/test_aws_stages.py, its Prometheus forward pointed at the fake.
"""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace

import pytest

from mojaloop_perf.errors import UserError
from mojaloop_perf.fsutil import read_json
from mojaloop_perf.project import Project
from mojaloop_perf.results import aws_gate, raw
from mojaloop_perf.runner import Runner
from mojaloop_perf.targets import aws_access, aws_test_stage
from mojaloop_perf.targets.base import StageContext
from tests.test_aws_stages import (  # noqa: F401  (fixtures)
    ToolRunner,
    context,
    outcome,
    project,
    ready,
    runner_summary,
    step,
    two_runners,
)
from tests.test_prometheus import fake_prometheus

PREPARED = 60_000.0
LOAD = SimpleNamespace(warmup_s=60, duration_s=660, drain_s=60)
START_MS = 1_700_000_000_000
UNREACHABLE = aws_gate.Ledger(None, "no forward to MySQL")


def kafka(fulfil: float, notification: float, *, metrics: bool = True) -> Callable:
    """Brokers' per-topic message counters: `fulfil` and `notification` messages per prepare."""
    per_topic = {
        "topic-transfer-prepare": PREPARED,
        "topic-transfer-fulfil": PREPARED * fulfil,
        "topic-notification-event": PREPARED * notification,
    }

    def answer(query: str, at: float) -> float | None:
        if aws_gate.METRIC not in query or not metrics:
            return None
        if query.startswith("count("):
            return 3.0  # one series per broker and topic
        return per_topic[query.split('topic="')[1].split('"')[0]]

    return answer


def run_gate(answer: Callable, ledger: aws_gate.Ledger = UNREACHABLE, completed: int = 60_000):
    with fake_prometheus(answer) as (url, requests):
        block, check = aws_gate.evaluate(
            Runner(), url, START_MS, LOAD, {"completed": completed}, ledger
        )
    return block, check, requests


def test_the_gate_passes_at_one_fulfil_and_two_notifications_per_prepare() -> None:
    block, check, requests = run_gate(kafka(1.0, 2.0))
    assert check.name == "validity_gate" and check.ok
    assert check.detail == (
        "Kafka topic rates hold: fulfil/prepare 1.000 (expected 1.000 ±2%), "
        "notification/prepare 2.000 (expected 2.000 ±2%); "
        "ledger not compared: no forward to MySQL"
    )
    assert block["passed"] and block["topics"]["ratios"] == {
        "fulfil/prepare": 1.0,
        "notification/prepare": 2.0,
    }
    # Over the steady window: 60 s after the start to 60 s before the end of the 660 s load.
    assert block["steady_window_ms"] == [START_MS + 60_000, START_MS + 600_000]
    assert {r["time"] for r in requests} == {f"{START_MS / 1000 + 600:.3f}"}
    assert requests[1]["query"] == (
        "sum(increase(kafka_server_brokertopicmetrics_messagesinpersec_count"
        '{topic="topic-transfer-prepare"}[540s]))'
    )


@pytest.mark.parametrize(
    ("fulfil", "notification", "ok"),
    [(1.019, 1.961, True), (1.05, 2.0, False), (1.0, 1.95, False), (0.9, 2.0, False)],
)
def test_the_gate_fails_beyond_two_percent(fulfil: float, notification: float, ok: bool) -> None:
    _, check, _ = run_gate(kafka(fulfil, notification))
    assert check.ok is ok
    if fulfil == 1.05:
        assert check.detail == (
            "fulfil/prepare 1.050 (expected 1.000 ±2%); ledger not compared: no forward to MySQL"
        )


def test_the_gate_fails_without_kafka_topic_metrics() -> None:
    block, check, requests = run_gate(kafka(1.0, 2.0, metrics=False))
    assert not check.ok
    assert (
        check.detail
        == "no Kafka topic metrics in Prometheus; ledger not compared: no forward to MySQL"
    )
    assert block["topics"]["messages"] is None
    assert [r["query"] for r in requests] == [
        "count(kafka_server_brokertopicmetrics_messagesinpersec_count)"
    ]


def test_the_gate_fails_without_prometheus_or_without_the_runs_series() -> None:
    check = aws_gate.evaluate(
        Runner(), "http://127.0.0.1:9", START_MS, LOAD, {"completed": 1}, UNREACHABLE
    )[1]
    assert not check.ok
    assert check.detail.startswith(
        "Kafka topic rates unknown: Prometheus not reachable at http://127.0.0.1:9"
    )
    check = aws_gate.evaluate(
        Runner(), "http://127.0.0.1:9", None, LOAD, {"completed": 1}, UNREACHABLE
    )[1]
    assert not check.ok and check.detail.startswith("steady window unknown: no k6 series")


def test_the_ledger_is_compared_when_it_is_known() -> None:
    _, check, _ = run_gate(kafka(1.0, 2.0), aws_gate.Ledger(60_000, "central_ledger"))
    assert check.ok and check.detail.endswith("; k6 and the ledger agree: 60000 completed")
    _, check, _ = run_gate(kafka(1.0, 2.0), aws_gate.Ledger(59_990, "central_ledger"))
    assert not check.ok
    assert check.detail == "completed: k6 60000, ledger committed 59990"


# --- through the test stage -------------------------------------------------------------------


def run_prometheus(fulfil: float) -> Callable:
    """The run's k6 series (their last vus sample at the query's end: the load ended then,
    100 completed since) and the Kafka counters at `fulfil` fulfils per prepare."""
    topics = kafka(fulfil, 2.0)

    def answer(query: str, at: float) -> float | None:
        if aws_gate.METRIC in query:
            return topics(query, at)
        if query.startswith("max(timestamp(k6_vus"):
            return at
        if query.startswith("histogram_quantile("):
            return None
        return 100.0 if "completed" in query or "histogram_count" in query else 0.0

    return answer


@pytest.mark.parametrize("fulfil", [1.0, 1.05])
def test_the_stage_writes_raw_series_and_a_failed_gate_fails_the_run(
    two_runners: Callable[..., StageContext],  # noqa: F811
    checkout: Project,
    monkeypatch: pytest.MonkeyPatch,
    fulfil: float,
) -> None:
    summaries = {f"pod-{i}": runner_summary(i, 50, passed=True) for i in (1, 2)}
    ctx = two_runners(outcome(0, 0), summaries)
    with fake_prometheus(run_prometheus(fulfil)) as (url, requests):
        monkeypatch.setattr(aws_access, "LOCAL_PROMETHEUS", int(url.rpartition(":")[2]))
        if fulfil == 1.0:
            published = aws_test_stage.test(ctx)
            assert published is not None
        else:
            with pytest.raises(UserError) as caught:
                aws_test_stage.test(ctx)
            assert caught.value.exit_code == 1
            assert str(caught.value) == (
                "run failed: validity_gate: fulfil/prepare 1.050 (expected 1.000 ±2%); ledger "
                "not compared: central-ledger's database is not reachable from the workspace "
                "(no forward to MySQL)"
            )
    [run] = checkout.runs_dir(ctx.scenario.name).iterdir()
    summary = read_json(run / "summary.json")
    gate = [c for c in summary["verdict"]["checks"] if c["name"] == "validity_gate"]
    assert [c["ok"] for c in gate] == [fulfil == 1.0]
    assert summary["status"] == ("passed" if fulfil == 1.0 else "failed")
    assert read_json(run / "validity_gate.json")["passed"] is (fulfil == 1.0)
    meta = read_json(run / raw.META_FILE)
    assert meta["testid"] == summary["load"]["testid"] and meta["source"] == "prometheus"
    assert meta["target_tps"] == ctx.scenario.load.tps and meta["step_s"] == 1
    table = raw.read_table(run / raw.SECONDS_FILE, raw.seconds_schema())
    assert table.num_rows == meta["seconds"] * 4
    # The cumulative counters held still over the run's window: no second gained anything.
    assert set(table.column("completed").to_pylist()) == {0}
    ranges = [r for r in requests if r["path"] == "/api/v1/query_range"]
    assert all(f'testid="{meta["testid"]}"' in r["query"] for r in ranges)
    assert meta["load_start_ms"] / 1000 == pytest.approx(float(ranges[1]["start"]))
    steps = [step(c) for c in ctx.runner.plan]
    assert steps[-2:] == ["helm uninstall k6", "ssh close"]


def test_a_dry_run_prints_every_prometheus_query(
    project: Project,  # noqa: F811
) -> None:
    lines: list[str] = []
    ctx = context(project, ToolRunner(dry_run=True, lines=lines), "1000tps")
    aws_test_stage.test(ctx)
    text = "\n".join(lines)
    assert "[dry-run] instant, at the run's end: max(timestamp(k6_vus{testid=\"1000tps-" in text
    assert 'step 1 s, completed: sum(k6_completed_transactions_total{testid="1000tps-' in text
    assert 'histogram_quantile(0.99, (sum(k6_e2e_time_seconds{testid="1000tps-' in text
    assert "(validity gate): count(kafka_server_brokertopicmetrics_messagesinpersec_count)" in text
    assert f"write {raw.SECONDS_FILE} and {raw.META_FILE}" in text
    assert not any(step(c).startswith("http") for c in ctx.runner.plan)
