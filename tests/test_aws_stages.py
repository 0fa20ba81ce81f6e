"""The AWS target's deploy and test stages: plans, stamps, tunnel kubeconfigs, run folders.

Tools (ssh, helm, kubectl, ansible-playbook) are recorded, not run; the kubernetes-client side
is replaced by canned outcomes here (tests/kube/ tests it against a local Kubernetes API).
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mlperf import k6
from mlperf.errors import UserError
from mlperf.fsutil import read_json, write_json_atomic
from mlperf.kube import testrun
from mlperf.project import Project
from mlperf.runner import Command, Completed, Runner
from mlperf.scenario.load import load_scenario
from mlperf.targets import aws_access, aws_deploy, aws_test
from mlperf.targets.base import StageContext
from tests.conftest import REPO
from tests.k6.test_merge import k6_values, runner_samples
from tests.test_aws_target import ready  # noqa: F401  (fixture)

SUMMARY = json.loads((REPO / "tests" / "data" / "k6-summary.json").read_text())
# k6's dropped_iterations metric as a real runner wrote it (tests/data/README.md).
DROPPED_METRIC = json.loads(
    (REPO / "tests" / "data" / "dropped-run" / "runners" / "1" / "k6-summary.json").read_text()
)["metrics"]["dropped_iterations"]


class ToolRunner(Runner):
    """Records every command and answers each with exit code 0."""

    def __init__(self, dry_run: bool = False, lines: list[str] | None = None) -> None:
        super().__init__(dry_run=dry_run, echo=(lines if lines is not None else []).append)

    def run(self, command: Command, *, on_line=None, quiet: bool = False) -> Completed:
        if self.dry_run:
            return super().run(command, on_line=on_line, quiet=quiet)
        self.plan.append(command)
        return Completed(returncode=0)


def step(command: Any) -> str:
    """A command as a short label: `helm upgrade <release>`, `ssh tunnel`, `playbook x`…"""
    if not hasattr(command, "argv"):
        return f"http {command.url.split('?')[0]}"
    argv = command.argv
    if argv[0] == "helm":
        return f"helm {argv[1]} {argv[3] if argv[1] == 'upgrade' else argv[2]}"
    if argv[0] == "ssh":
        return "ssh close" if "-O" in argv else "ssh tunnel"
    if argv[0].endswith("kubectl"):
        return f"kubectl apply {Path(argv[-1]).name}"
    if argv[0].endswith("ansible-playbook"):
        return f"playbook {Path(argv[-1]).name}"
    return argv[0]


def context(project: Project, runner: Runner, scenario: str, *, force: bool = False, root=REPO):
    loaded = load_scenario(Project(root), scenario)
    return StageContext(project, loaded, "aws", runner, runner.echo, force=force)


@pytest.fixture
def project(tmp_path: Path) -> Project:
    root = tmp_path / "ws"
    root.mkdir()
    for part in ("infrastructure", "performance-tests"):
        (root / part).symlink_to(REPO / part)
    return Project(root)


def outputs(ctx: StageContext) -> dict[str, Any]:
    """Terraform outputs of a provisioned scenario: one node per cluster, a monitoring node."""
    ids = [d.id for d in ctx.scenario.dfsps]
    nodes = {
        "generic-0": ("generic", "switch", True, None, "10.20.16.10"),
        "monitoring-0": ("monitoring", "switch", False, None, "10.20.16.11"),
        "k6-0": ("k6", "k6", True, None, "10.20.16.12"),
    }
    for i, dfsp in enumerate(ids):
        nodes[dfsp] = ("dfsp", dfsp, True, dfsp, f"10.20.17.{i + 1}")
    return {
        "nlb_dns_name": {"value": "switch-nlb.elb.example"},
        "nodes": {
            "value": {
                name: {"group": g, "cluster": c, "primary": p, "dfsp_id": d, "private_ip": ip}
                for name, (g, c, p, d, ip) in nodes.items()
            }
        },
    }


def provisioned(ctx: StageContext) -> None:
    """What provision leaves behind: state stamp, outputs, ssh_config and kubeconfigs."""
    ctx.state.mark("provisioned", digest=ctx.scenario.digest)
    write_json_atomic(ctx.state_dir / "terraform-outputs.json", outputs(ctx))
    (ctx.state_dir / "ssh_config").write_text("Host bastion\n")
    folder = ctx.state_dir / "kubeconfigs"
    folder.mkdir(parents=True)
    for cluster in aws_access.clusters(ctx):
        (folder / f"kubeconfig-{cluster}.yaml").write_text(
            "apiVersion: v1\nclusters:\n- cluster:\n    server: https://10.0.0.1:16443\n"
            f"  name: {cluster}\n"
        )


# --- deploy ---------------------------------------------------------------------------------


def test_deploy_dry_run_is_a_complete_ordered_plan_without_credentials(
    monkeypatch: pytest.MonkeyPatch, project: Project
) -> None:
    for name in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name, raising=False)
    lines: list[str] = []
    runner = ToolRunner(dry_run=True, lines=lines)
    aws_deploy.deploy(context(project, runner, "1000tps"))
    simulators = [f"helm upgrade simulator-fsp20{n}" for n in range(1, 9)]
    assert [step(c) for c in runner.plan] == [
        "playbook dfsp-hosts.yml",
        "ssh tunnel",
        "helm upgrade monitoring",
        "kubectl apply switch.yaml",
        "helm upgrade backend",
        "helm upgrade mojaloop",
        *simulators,
        "helm upgrade k6-operator",
        "ssh close",
    ]
    text = "\n".join(lines)
    assert "preflight would stop here: no AWS credentials" in text
    assert "ConfigMap mlperf-dashboard-k6-phases: k6-phases.json" in text
    assert "-L 127.0.0.1:17000:<switch primary IP>:16443" in text.replace("'", "")
    waits = [line for line in lines if line.startswith("[dry-run] wait until every workload")]
    assert len(waits) == 12  # one per release
    helm = next(c for c in runner.plan if step(c) == "helm upgrade mojaloop")
    assert helm.argv[4:10] == (
        "mojaloop",
        "--repo",
        "https://mojaloop.github.io/helm/repo",
        "--version",
        "17.1.0",
        "--namespace",
    )
    assert not project.state_root.exists()


def test_deploy_binds_addresses_skips_unchanged_releases_and_forces(
    ready: Path,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    project: Project,
) -> None:
    waited: list[tuple[str, str]] = []
    monkeypatch.setattr(aws_deploy, "wait_ready", lambda ctx, c, ns: waited.append((c, ns)))
    runner = ToolRunner()
    ctx = context(project, runner, "1000tps")
    provisioned(ctx)
    aws_deploy.deploy(ctx)
    installed = [step(c) for c in runner.plan if c.argv[0] == "helm"]
    assert len(installed) == 12 and len(waited) == 12
    assert ctx.state.get("deployed")["digest"] == ctx.scenario.digest

    base = ctx.state_dir / "deploy"
    hosts = read_json(base / "ansible" / "group_vars" / "all.json")["mlperf_dfsp_hosts"]
    assert hosts[0] == hosts[0] | {"hostname": "sim-fsp201.local", "ip": "10.20.17.1"}
    k6_values = (base / "helm" / "k6.values.yaml").read_text()
    assert "serverUrl: http://10.20.16.11:30090/api/v1/write" in k6_values
    tunnel = aws_access.kubeconfig(ctx, "fsp203")
    assert "server: https://127.0.0.1:17003" in tunnel.read_text()
    assert tunnel.stat().st_mode & 0o777 == 0o600

    lines: list[str] = []
    again = ToolRunner(lines=lines)
    aws_deploy.deploy(context(project, again, "1000tps"))
    assert [step(c) for c in again.plan if c.argv[0] == "helm"] == []
    assert any("mojaloop unchanged since its last install" in line for line in lines)

    forced = ToolRunner()
    aws_deploy.deploy(context(project, forced, "1000tps", force=True))
    assert [step(c) for c in forced.plan if c.argv[0] == "helm"] == installed


def test_a_changed_release_alone_is_installed_again(
    ready: Path,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    project: Project,
) -> None:
    monkeypatch.setattr(aws_deploy, "wait_ready", lambda ctx, c, ns: None)
    ctx = context(project, ToolRunner(), "1000tps")
    provisioned(ctx)
    aws_deploy.deploy(ctx)
    stamps = ctx.state.get("helm")["releases"]
    ctx.state.mark("helm", releases={**stamps, "backend": "stale"})
    runner = ToolRunner()
    aws_deploy.deploy(context(project, runner, "1000tps"))
    assert [step(c) for c in runner.plan if c.argv[0] == "helm"] == ["helm upgrade backend"]


def test_deploy_needs_provision(project: Project) -> None:
    with pytest.raises(UserError, match="deploy needs provision first"):
        aws_deploy.deploy(context(project, ToolRunner(), "1000tps"))


# --- test -----------------------------------------------------------------------------------


def test_test_dry_run_shows_the_testrun_and_the_whole_plan(project: Project) -> None:
    lines: list[str] = []
    runner = ToolRunner(dry_run=True, lines=lines)
    aws_test.test(context(project, runner, "1000tps"))
    assert [step(c) for c in runner.plan] == [
        "ssh tunnel",
        "helm uninstall k6",
        "helm upgrade k6",
        "helm uninstall k6",
        "ssh close",
    ]
    text = "\n".join(lines)
    assert "kind: TestRun" in text and "parallelism: 1" in text
    assert "arguments: --out experimental-prometheus-rw --tag testid=1000tps-" in text
    assert "watch TestRun k6/k6-mojaloop-k6-operator until finished or error" in text
    assert not project.runs_dir("1000tps").exists()


def runner_summary(
    seed: int, completed: int, *, passed: bool, dropped: int = 0, peak_vus: int = 0
) -> dict[str, Any]:
    """One runner's summary as the script writes it, with the quantile grid in every trend, and
    k6's `dropped_iterations` (only when some were) and `vus` as k6 writes them."""
    data = copy.deepcopy(SUMMARY)
    for name, metric in data["metrics"].items():
        if metric["type"] == "trend" and metric["values"].get("count"):
            samples = runner_samples(seed + len(name), completed, 300.0)
            metric["values"] = k6_values(samples)
        elif name.startswith("completed_transactions") or name == "iterations":
            metric["values"]["count"] = completed
        elif name.startswith("failed_transactions"):
            metric["values"]["count"] = 0
    data["metrics"]["success_rate"]["thresholds"] = {"rate>0.99": {"ok": passed}}
    if dropped:
        data["metrics"]["dropped_iterations"] = copy.deepcopy(DROPPED_METRIC)
        data["metrics"]["dropped_iterations"]["values"]["count"] = dropped
    data["metrics"]["vus"]["values"] = {"value": 0, "min": 0, "max": peak_vus}
    return data


@pytest.fixture
def two_runners(
    ready: Path,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    checkout: Project,
    small_scenario: Callable[..., str],
) -> Callable[..., StageContext]:
    """A provisioned, deployed, seeded scenario with 2 runner pods and canned cluster answers."""
    name = small_scenario("aws2", tps=10, transactions=100, parallelism=2)

    def prepare(outcome: Any, summaries: dict[str, dict[str, Any] | None]) -> StageContext:
        from mlperf.kube import client, logs

        class Api:
            def close(self) -> None:
                pass

        monkeypatch.setattr(client, "api_client", lambda path: Api())
        monkeypatch.setattr(logs, "initializer_log", lambda api, ns, name: "k6 archive: boom\n")
        if isinstance(outcome, Exception):

            def watch(*args: Any, **kwargs: Any) -> Any:
                raise outcome

        else:

            def watch(*args: Any, **kwargs: Any) -> Any:
                return outcome

        monkeypatch.setattr(testrun, "watch_testrun", watch)

        def read_log(api: Any, namespace: str, pod: str) -> str:
            data = summaries[pod]
            line = "" if data is None else k6.SUMMARY_MARKER + json.dumps(data)
            return f"running {pod}\n{line}\n"

        monkeypatch.setattr(logs, "read_log", read_log)
        ctx = context(checkout, ToolRunner(), name, root=checkout.root)
        provisioned(ctx)
        ctx.state.mark("deployed", digest=ctx.scenario.digest)
        ctx.state.mark("seeded")
        return ctx

    return prepare


def outcome(*codes: int) -> testrun.TestRunOutcome:
    return testrun.TestRunOutcome(
        stage="finished",
        runners=[
            testrun.RunnerOutcome(i, f"pod-{i}", "k6-0", "Succeeded", code, None, 0)
            for i, code in enumerate(codes, 1)
        ],
    )


def test_runners_are_collected_merged_and_published_like_a_local_run(
    two_runners: Callable[..., StageContext], checkout: Project
) -> None:
    summaries = {
        "pod-1": runner_summary(1, 400, passed=True, dropped=4, peak_vus=30),
        "pod-2": runner_summary(2, 500, passed=False, peak_vus=41),
    }
    ctx = two_runners(outcome(0, 99), summaries)
    with pytest.raises(UserError) as caught:
        aws_test.test(ctx)
    assert caught.value.exit_code == 1
    assert str(caught.value) == (
        "run failed: thresholds: crossed success_rate rate>0.99 (full run); "
        "dropped_iterations: 4 of 904 iterations dropped (0.442 %), limit 0.100 %"
    )
    [run] = checkout.runs_dir(ctx.scenario.name).iterdir()
    summary = read_json(run / "summary.json")
    assert summary["target"] == "aws" and summary["status"] == "failed"
    assert summary["results"]["completed"] == 900
    # k6's figures of the runners: counts added, peaks summed and flagged as an upper bound
    results = summary["results"]
    assert (results["iterations"], results["dropped_iterations"]) == (900, 4)
    assert results["dropped_share"] == pytest.approx(4 / 904)
    assert (results["peak_active_vus"], results["peak_allocated_vus"]) == (71, 20)
    assert results["peak_vus_is_sum_of_runners"] is True
    assert [(c["name"], c["ok"]) for c in summary["verdict"]["checks"]] == [
        ("thresholds", False),
        ("dropped_iterations", False),
    ]
    text = (run / "summary.txt").read_text().splitlines()[1]
    assert text.endswith(
        "4 iterations dropped (0.44 %), peak 71 VUs of 20 allocated (sum of the runners' peaks)"
    )
    assert summary["load"]["percentiles_from"] == "runner-quantiles"
    assert summary["load"]["testid"].startswith(f"{ctx.scenario.name}-")
    assert "prometheus" not in summary  # nothing answers on the tunnel's port here
    for i in (1, 2):
        assert read_json(run / "runners" / str(i) / "k6-summary.json") == summaries[f"pod-{i}"]
        assert (run / "runners" / str(i) / "k6.log").read_text().startswith(f"running pod-{i}")
    assert "testid=" in (run / "k6.values.yaml").read_text()
    steps = [step(c) for c in ctx.runner.plan]
    assert steps == [
        "ssh tunnel",
        "helm uninstall k6",
        "helm upgrade k6",
        "http http://127.0.0.1:17099/api/v1/query",  # refused: the run goes on without it
        "helm uninstall k6",
        "ssh close",
    ]


def test_a_runner_without_summary_leaves_no_run_folder(
    two_runners: Callable[..., StageContext], checkout: Project
) -> None:
    ctx = two_runners(outcome(0, 0), {"pod-1": runner_summary(1, 10, passed=True), "pod-2": None})
    with pytest.raises(UserError, match=re.escape("runner 2 (pod pod-2, exit 0) left no summary")):
        aws_test.test(ctx)
    assert list(checkout.runs_dir(ctx.scenario.name).iterdir()) == []
    assert step(ctx.runner.plan[-1]) == "ssh close"


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (testrun.RunnerCrashed("runner 2 (pod pod-2) crashed: OOMKilled"), 4),
        (testrun.TestRunTimeout("k6 TestRun x not finished after 700 s"), 5),
        (testrun.TestRunError("k6 TestRun x ended in stage error"), 3),
    ],
)
def test_watcher_failures_keep_their_exit_status_and_write_nothing(
    two_runners: Callable[..., StageContext], checkout: Project, error: UserError, code: int
) -> None:
    ctx = two_runners(error, {})
    with pytest.raises(UserError) as caught:
        aws_test.test(ctx)
    assert caught.value.exit_code == code
    assert list(checkout.runs_dir(ctx.scenario.name).iterdir()) == []
    if code == 3:  # the initializer's log is kept and named
        assert "initializer log: .workspace/aws2/aws/k6-initializer.log" in str(caught.value)
        assert (ctx.state_dir / "k6-initializer.log").read_text() == "k6 archive: boom\n"
    # The release stays for inspection; the tunnel is closed.
    assert [step(c) for c in ctx.runner.plan][-2:] == ["helm upgrade k6", "ssh close"]


def test_test_needs_deploy_and_seed(project: Project) -> None:
    with pytest.raises(UserError, match="test needs deploy first"):
        aws_test.test(context(project, ToolRunner(), "1000tps"))
