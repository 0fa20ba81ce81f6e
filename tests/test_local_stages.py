"""The local stages in-process against the real lab and k6: idempotence, results, verdicts."""

from __future__ import annotations

import os
import signal
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mojaloop_perf import k6, render
from mojaloop_perf.errors import UserError
from mojaloop_perf.fsutil import read_json
from mojaloop_perf.project import Project
from mojaloop_perf.results import k6_summary
from mojaloop_perf.results.runs import list_runs, summary_errors
from mojaloop_perf.runner import Runner
from mojaloop_perf.scenario.load import load_scenario
from mojaloop_perf.targets import local, local_lab, local_test_stage
from mojaloop_perf.targets.base import StageContext
from tests.conftest import free_port_block, write_scenario

pytestmark = pytest.mark.usefixtures("stop_labs")


def context(project: Project, name: str, lines: list[str], dry_run: bool = False) -> StageContext:
    scenario = load_scenario(project, name)
    runner = Runner(dry_run=dry_run, echo=lines.append)
    return StageContext(project, scenario, "local", runner, lines.append)


def bring_up(project: Project, name: str) -> list[str]:
    lines: list[str] = []
    ctx = context(project, name, lines)
    local.provision(ctx)
    local.deploy(ctx)
    local.seed_lab(ctx)
    return lines


def test_chain_is_idempotent_and_destroy_stops_the_lab(
    checkout: Project, small_scenario: Callable[..., str]
) -> None:
    name = small_scenario("t")
    bring_up(checkout, name)
    ctx = context(checkout, name, [])
    pid = ctx.state.get("deployed")["pid"]
    assert local_lab.is_lab_process(pid)

    again = bring_up(checkout, name)
    assert any("provision: up to date" in line for line in again)
    assert any(f"lab already running (pid {pid})" in line for line in again)
    assert any("8 participants (0 new), 8 MSISDN ranges (0 new" in line for line in again)
    assert context(checkout, name, []).state.get("deployed")["pid"] == pid

    lines: list[str] = []
    local.destroy(context(checkout, name, lines))
    assert not local_lab.is_alive(pid)
    assert f"destroy: stopped the lab (pid {pid})" in lines
    with pytest.raises(UserError, match="needs provision first"):
        local.seed_lab(context(checkout, name, []))


def test_a_changed_scenario_must_be_provisioned_and_redeployed(
    checkout: Project, small_scenario: Callable[..., str]
) -> None:
    name = small_scenario("t")
    bring_up(checkout, name)
    old_pid = context(checkout, name, []).state.get("deployed")["pid"]
    overrides = checkout.scenario_dir(name) / "overrides" / "local.yaml"
    overrides.write_text(
        overrides.read_text() + "latency_ms: {discovery: 1, quote: 0, transfer: 0}\n"
    )
    with pytest.raises(UserError, match="changed since it was provisioned"):
        local.deploy(context(checkout, name, []))
    lines = bring_up(checkout, name)
    assert any("runs another config; restarting it" in line for line in lines)
    assert not local_lab.is_alive(old_pid)
    assert any("8 participants (8 new)" in line for line in lines)  # a new lab starts empty


def test_test_writes_a_complete_run_folder_and_never_overwrites(
    checkout: Project, small_scenario: Callable[..., str]
) -> None:
    name = small_scenario("t", tps=10, transactions=30)
    bring_up(checkout, name)
    lines: list[str] = []
    first = local_test_stage.test(context(checkout, name, lines))
    assert first is not None
    assert {p.name for p in first.iterdir()} >= {
        "summary.json",
        "config.json",
        "k6-summary.json",
        "k6-summary.txt",
        "k6.log",
    }
    summary = read_json(first / "summary.json")
    assert summary_errors(summary) == []
    assert summary["run_id"] == first.name
    assert summary["status"] == "passed"
    results = summary["results"]
    assert results["completed"] + results["failed"] >= 30
    assert results["completed"] > 0 and results["failed"] == 0
    assert results["iterations"] == results["completed"] and results["dropped_iterations"] == 0
    assert results["peak_allocated_vus"] >= 5 and results["peak_vus_is_sum_of_runners"] is False
    assert summary["verdict"]["passed"] is True
    for phase in ("discovery", "quote", "transfer", "e2e"):
        assert summary["latency_ms"][phase]["p99"] is not None
    config = read_json(first / "config.json")
    assert config["k6_config"]["tps"] == 10
    assert config["scenario_digest"] == summary["provenance"]["scenario_digest"]
    assert any(line.startswith("results: performance-tests/results/t/runs/") for line in lines)

    before = {p.relative_to(first): p.read_bytes() for p in first.rglob("*") if p.is_file()}
    second = local_test_stage.test(context(checkout, name, []))
    assert second is not None and second != first
    assert {p.relative_to(first): p.read_bytes() for p in first.rglob("*") if p.is_file()} == before
    assert list_runs(checkout.runs_dir(name)) == sorted([first, second])
    assert not list(checkout.runs_dir(name).glob(".in-progress-*"))


def test_crossed_thresholds_exit_1_and_still_keep_the_run(
    checkout: Project, small_scenario: Callable[..., str]
) -> None:
    name = small_scenario("t", tps=10, transactions=20, thresholds={"e2e_time": ["p(95)<0.0001"]})
    bring_up(checkout, name)
    with pytest.raises(
        UserError, match=r"^run failed: thresholds: crossed e2e_time p\(95\)<0.0001 \(full run\)$"
    ) as caught:
        local_test_stage.test(context(checkout, name, []))
    assert caught.value.exit_code == 1
    (run,) = list_runs(checkout.runs_dir(name))
    summary = read_json(run / "summary.json")
    assert summary["status"] == "failed"
    assert summary["thresholds"]["passed"] is False
    assert [(c["name"], c["ok"]) for c in summary["verdict"]["checks"]] == [
        ("thresholds", False),
        ("dropped_iterations", True),
        ("validity_gate", True),
    ]


def test_steady_window_thresholds_reach_k6_and_the_verdict(
    checkout: Project, small_scenario: Callable[..., str]
) -> None:
    """With thresholds_window steady, k6 judges `<metric>{steady:true}`: the thresholds show in
    summary.json under that name, and a crossed one fails the run like any other."""
    thresholds = {"e2e_time": ["p(95)<0.0001"], "success_rate": ["rate>0.5"]}
    name = small_scenario(
        "t",
        tps=10,
        transactions=40,
        warmup_s=1,
        drain_s=1,
        thresholds=thresholds,
        thresholds_window="steady",
    )
    bring_up(checkout, name)
    with pytest.raises(
        UserError,
        match=r"^run failed: thresholds: crossed e2e_time\{steady:true\} p\(95\)<0.0001 "
        r"\(steady window\)$",
    ) as caught:
        local_test_stage.test(context(checkout, name, []))
    assert caught.value.exit_code == 1
    (run,) = list_runs(checkout.runs_dir(name))
    summary = read_json(run / "summary.json")
    assert summary_errors(summary) == []
    assert summary["load"]["thresholds_window"] == "steady"
    assert summary["thresholds"]["checks"] == [
        {"metric": "e2e_time{steady:true}", "expression": "p(95)<0.0001", "ok": False},
        {"metric": "success_rate{steady:true}", "expression": "rate>0.5", "ok": True},
    ]
    # the script's forced sub-metrics still feed the steady figures
    assert summary["steady"]["latency_ms"]["e2e"]["count"] == summary["steady"]["completed"] > 0
    config = read_json(run / "config.json")["k6_config"]
    assert set(config["thresholds"]) == {"e2e_time{steady:true}", "success_rate{steady:true}"}


def test_test_before_seed_is_refused(checkout: Project, small_scenario: Callable[..., str]) -> None:
    name = small_scenario("t")
    ctx = context(checkout, name, [])
    local.provision(ctx)
    local.deploy(ctx)
    with pytest.raises(UserError, match=r"test needs seed first: run `invoke seed --scenario t`"):
        local_test_stage.test(context(checkout, name, []))


def test_k6_failing_before_its_summary_leaves_no_run(
    checkout: Project,
    small_scenario: Callable[..., str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    name = small_scenario("t")
    bring_up(checkout, name)
    fake = tmp_path / "k6"
    fake.write_text(
        "#!/bin/sh\nif [ \"$1\" = version ]; then echo 'k6 v0.0.0'; exit 0; fi\necho boom; exit 107\n"
    )
    fake.chmod(0o755)
    monkeypatch.setenv("MOJALOOP_PERF_K6", str(fake))
    with pytest.raises(
        UserError, match="k6 exited with 107 before writing its summary; no run folder written"
    ):
        local_test_stage.test(context(checkout, name, []))
    assert list(checkout.runs_dir(name).iterdir()) == []
    assert "boom" in (checkout.state_dir(name, "local") / "k6-last-failure.log").read_text()


def test_a_lab_killed_from_outside_is_noticed_and_redeployed(
    checkout: Project, small_scenario: Callable[..., str]
) -> None:
    name = small_scenario("t")
    bring_up(checkout, name)
    pid = context(checkout, name, []).state.get("deployed")["pid"]
    os.kill(pid, signal.SIGKILL)
    local_lab.stop(pid)  # reaps it: the test process is its parent
    lines: list[str] = []
    local.status(context(checkout, name, lines))
    assert "  deployed:    no" in lines and "  seeded:      no" in lines
    with pytest.raises(UserError, match="seed needs deploy first"):
        local.seed_lab(context(checkout, name, []))
    bring_up(checkout, name)
    assert context(checkout, name, []).state.get("deployed")["pid"] != pid


def test_parallel_runners_split_the_rate_and_merge_exactly(
    checkout: Project, small_scenario: Callable[..., str]
) -> None:
    """Parallelism 1 and 3 at the same TPS reach the same total; merged figures are exact."""
    totals = {}
    for runners in (1, 3):
        name = small_scenario(f"p{runners}", tps=30, transactions=300, parallelism=runners)
        bring_up(checkout, name)
        run = local_test_stage.test(context(checkout, name, []))
        summary = read_json(run / "summary.json")
        assert summary["load"]["parallelism"] == runners
        totals[runners] = summary["results"]["completed"] + summary["results"]["failed"]
        local.destroy(context(checkout, name, []))
    assert totals[1] >= 300
    assert abs(totals[3] - totals[1]) <= 0.03 * totals[1], totals

    summary = read_json(run / "summary.json")
    assert summary["load"]["percentiles_from"] == "runner-samples"
    runner_dirs = sorted((run / "runners").iterdir())
    assert [d.name for d in runner_dirs] == ["1", "2", "3"]
    per_runner = [read_json(d / "k6-summary.json") for d in runner_dirs]
    assert summary["results"]["completed"] == sum(
        d["metrics"]["completed_transactions"]["values"]["count"] for d in per_runner
    )
    # Our percentiles over one runner's samples equal k6's own percentiles for that runner.
    for directory, data in zip(runner_dirs, per_runner, strict=True):
        samples = k6_summary.read_samples([directory / k6.SAMPLES])
        for trend in ("quote_time", "e2e_time", "e2e_time{steady:true}"):
            ours = k6_summary.trend_of(samples[trend])
            theirs = data["metrics"][trend]["values"]
            assert ours["count"] == theirs["count"]
            assert ours["p95"] == pytest.approx(theirs["p(95)"], abs=1e-3)
            assert ours["p99"] == pytest.approx(theirs["p(99)"], abs=1e-3)
    e2e = summary["latency_ms"]["e2e"]
    assert e2e["count"] == summary["results"]["completed"]
    # k6's own figures add up over the runners; the peak of VUs is flagged as a sum
    results = summary["results"]
    assert results["iterations"] == sum(
        d["metrics"]["iterations"]["values"]["count"] for d in per_runner
    )
    assert results["peak_allocated_vus"] == sum(
        d["metrics"]["vus_max"]["values"]["max"] for d in per_runner
    )
    assert results["peak_vus_is_sum_of_runners"] is True
    # Without the samples (as from k6 Operator pods), the runners' quantile grids give close
    # percentiles: the same counts and max, percentiles within a few per cent (1 ms resolution).
    from_grids = k6_summary.merge(per_runner, None)
    for phase in ("quote", "e2e"):
        exact, approx = summary["latency_ms"][phase], from_grids["latency_ms"][phase]
        assert approx["count"] == exact["count"] and approx["max"] == exact["max"]
        for key in ("p50", "p95"):
            assert approx[key] == pytest.approx(exact[key], rel=0.1, abs=1.0), (phase, key)


# -- hops: http: the switch and each DFSP as processes, under a security posture ----------------


def http_scenario(project: Project, name: str, **local: Any) -> str:
    """A scenario on the networked lab with mutual TLS end to end and JWS, on free ports."""
    write_scenario(
        project,
        name,
        {
            "k6": {
                "tps": 20,
                "transactions": 200,
                "pre_allocated_vus": 10,
                "max_vus": 100,
                "warmup_s": 2,
                "drain_s": 2,
                "http_timeout_s": 10,
                "expected_e2e_latency_ms": 100,
                "thresholds": {"success_rate": ["rate>0.5"]},
            },
            "local": {
                "base_port": free_port_block(60),
                "startup_timeout_s": 30,
                "hops": "http",
                **local,
            },
            "security": {
                "tls": {"mode": "mutual", "scope": "end_to_end"},
                "jws": {"sign": True, "validate": True, "put_parties": True},
            },
        },
    )
    return name


def test_the_chain_runs_over_http_hops_with_mtls_and_jws_and_the_gate_holds_under_faults(
    checkout: Project,
) -> None:
    """The local-faults logic over processes in mutual TLS with JWS: k6's counts equal the
    merged ledger of the switch and the DFSP processes, every kind of fault included."""
    shares = {"switch_5xx": 0.03, "payee_timeout": 0.02, "payee_reject": 0.03}
    faults = {
        "seed": 1,  # its first 8 discovery draws are clean: seed's sample lookups succeed
        "discovery": {**shares, "slow_share": 0, "slow_ms": 0},
        "quote": {**shares, "slow_share": 0.1, "slow_ms": 30},
        "transfer": {**shares, "slow_share": 0, "slow_ms": 0},
    }
    # 3 s, not 1: on a loaded 2-core machine the first lookups through eight fresh TLS and JWS
    # processes can take over a second, which the payer SDK would answer as a timeout.
    name = http_scenario(checkout, "h", sdk_timeout_s=3, faults=faults)
    lines = bring_up(checkout, name)
    state = checkout.state_dir(name, "local")
    assert any(
        line.startswith("deploy: keys and certificates in ") and "posture mtls-jws" in line
        for line in lines
    )
    lab = read_json(state / local.LAB_CONFIG)
    base = lab["admin_port"]
    assert lab["switch_port"] == base + 50
    assert [d["inbound_port"] for d in lab["dfsps"]] == list(range(base + 51, base + 59))
    assert lab["security"]["pki_dir"] == "pki"
    assert (state / "pki" / "jws" / "fsp201.key").stat().st_mode & 0o077 == 0
    pid = context(checkout, name, []).state.get("deployed")["pid"]
    health = local_lab.health(render.lab_admin_url(load_scenario(checkout, name)))
    assert health is not None and health["hops"] == "http"
    children = list(health["dfsp_pids"].values())
    assert len(children) == 8

    run = local_test_stage.test(context(checkout, name, []))
    assert run is not None
    summary = read_json(run / "summary.json")
    gate = summary["validity_gate"]
    assert gate["passed"] is True, gate
    assert summary["results"]["failed"] > 0 and summary["results"]["completed"] > 0
    injected = {kind for phase in gate["lab"].values() for kind in phase["injected"]}
    assert {"switch_5xx", "payee_timeout", "payee_reject", "slow"} <= injected

    local.destroy(context(checkout, name, []))
    assert not local_lab.is_alive(pid)
    assert not any(Path(f"/proc/{child}").exists() for child in children)


def test_http_hops_deploy_dry_run_plans_the_keys_and_the_busy_check_covers_every_port(
    checkout: Project,
) -> None:
    name = http_scenario(checkout, "d")
    lines: list[str] = []
    local.deploy(context(checkout, name, lines, dry_run=True))
    plan = [line for line in lines if line.startswith("[dry-run] pki: ")]
    assert any("CA certificate" in line or "ca.crt" in line for line in plan), plan
    assert any("fsp208 client certificate" in line for line in plan)
    assert not any("PRIVATE KEY" in line for line in lines)
    assert not (checkout.state_dir(name, "local") / "pki").exists()

    ctx = context(checkout, name, [])
    local.provision(ctx)
    switch_port = read_json(ctx.state_dir / local.LAB_CONFIG)["switch_port"]
    with (
        socket.create_server(("127.0.0.1", switch_port)),
        pytest.raises(UserError, match=rf"port {switch_port} \(switch FSPIOP API\)"),
    ):
        local.deploy(context(checkout, name, []))
