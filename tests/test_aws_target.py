"""The AWS target's provision and destroy: preflight, the command plan, --yes, access files."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from mojaloop_perf.errors import UserError
from mojaloop_perf.project import Project
from mojaloop_perf.runner import Command, Completed, Runner
from mojaloop_perf.scenario.load import load_scenario
from mojaloop_perf.targets import aws
from mojaloop_perf.targets.base import StageContext
from tests.conftest import REPO

OUTPUTS = {
    "ansible_inventory": {"value": "[generic]\nnode-0 ansible_host=10.20.16.5\n"},
    "ssh_config": {"value": "Host bastion\n  HostName 198.51.100.4\n"},
    "bastion_public_ip": {"value": "198.51.100.4"},
    "nodes": {"value": {"node-0": {}}},
}


class RecordingRunner(Runner):
    """Records every command and answers `terraform output -json` with canned outputs."""

    def __init__(self, exit_codes: dict[str, int] | None = None) -> None:
        super().__init__(echo=lambda _line: None)
        self.exit_codes = exit_codes or {}

    def run(self, command: Command, *, on_line=None, quiet: bool = False) -> Completed:
        self.plan.append(command)
        verb = command.argv[2] if command.argv[0] == "terraform" else Path(command.argv[-1]).name
        output = json.dumps(OUTPUTS) if verb == "output" else ""
        return Completed(returncode=self.exit_codes.get(verb, 0), output=output)


@pytest.fixture
def ready(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """An operator environment that passes preflight: tools, credentials, SSH key, admin CIDR."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in aws.TOOLS:
        (bin_dir / name).write_text("#!/bin/sh\nexit 0\n")
        (bin_dir / name).chmod(0o755)
    key = tmp_path / "id_ed25519"
    key.with_suffix(".pub").write_text("ssh-ed25519 AAAAC3Nza test@example\n")
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.setenv("AWS_PROFILE", "perf")
    monkeypatch.setenv("MOJALOOP_PERF_SSH_KEY", str(key))
    monkeypatch.setenv("MOJALOOP_PERF_ADMIN_CIDR", "203.0.113.7/32")
    monkeypatch.delenv("MOJALOOP_PERF_TF_S3_BUCKET", raising=False)
    return tmp_path


def aws_context(
    project: Project, runner: Runner, yes: bool = False, lines: list[str] | None = None
) -> StageContext:
    scenario = load_scenario(Project(REPO), "1000tps")
    sink = (lines if lines is not None else []).append
    return StageContext(project, scenario, "aws", runner, sink, assume_yes=yes)


def verbs(runner: Runner) -> list[str]:
    return [
        c.argv[2] if c.argv[0] == "terraform" else f"playbook {Path(c.argv[-1]).name}"
        for c in runner.plan
    ]


@pytest.fixture
def project(tmp_path: Path) -> Project:
    """Results and run state in a temp folder; the Terraform and Ansible sources from the repo."""
    root = tmp_path / "ws"
    root.mkdir()
    for part in ("infrastructure",):
        (root / part).symlink_to(REPO / part)
    return Project(root)


def test_dry_run_prints_the_whole_plan_without_credentials(
    monkeypatch: pytest.MonkeyPatch, project: Project
) -> None:
    for name in (
        "AWS_PROFILE",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "MOJALOOP_PERF_ADMIN_CIDR",
    ):
        monkeypatch.delenv(name, raising=False)
    lines: list[str] = []
    runner = Runner(dry_run=True, echo=lines.append)
    aws.provision(aws_context(project, runner, lines=lines))
    assert verbs(runner) == [
        "init",
        "plan",
        "apply",
        "output",
        *(f"playbook {playbook}" for playbook in aws.PLAYBOOKS),
    ]
    assert any("preflight would stop here: no AWS credentials" in line for line in lines)
    assert any(
        "[dry-run] TF_IN_AUTOMATION=1 terraform -chdir=" in line
        and " apply -input=false tfplan" in line
        for line in lines
    )
    assert not project.state_root.exists()


def test_preflight_names_everything_missing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    env = {"PATH": str(tmp_path), "MOJALOOP_PERF_SSH_KEY": str(tmp_path / "nokey")}
    problems = aws.preflight_problems(env)
    assert "terraform not found on PATH: install it" in problems
    assert "helm not found on PATH: install it" in problems
    assert any(p.startswith("no AWS credentials") for p in problems)
    assert any(p.startswith(f"no SSH public key {tmp_path / 'nokey'}.pub") for p in problems)
    assert any(p.startswith("MOJALOOP_PERF_ADMIN_CIDR is not set") for p in problems)


def test_real_provision_stops_at_preflight_with_one_line(
    monkeypatch: pytest.MonkeyPatch, project: Project
) -> None:
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_ACCESS_KEY_ID", raising=False)
    runner = RecordingRunner()
    with pytest.raises(UserError, match=r"^preflight: .*no AWS credentials") as caught:
        aws.provision(aws_context(project, runner))
    assert "\n" not in str(caught.value)
    assert runner.plan == []


def test_without_yes_it_plans_and_creates_nothing(ready: Path, project: Project) -> None:
    runner = RecordingRunner()
    lines: list[str] = []
    aws.provision(aws_context(project, runner, lines=lines))
    assert verbs(runner) == ["init", "plan"]
    assert any("Run again with --yes to apply it" in line for line in lines)
    workdir = project.state_dir("1000tps", "aws") / "terraform"
    assert (workdir / "main.tf").exists() or any(workdir.glob("*.tf"))
    assert json.loads((workdir / "backend.tf.json").read_text()) == {
        "terraform": {"backend": {"local": {"path": "terraform.tfstate"}}}
    }
    runtime = json.loads((workdir / "runtime.auto.tfvars.json").read_text())
    assert runtime["admin_cidr"] == "203.0.113.7/32"
    assert runtime["ssh_public_key"].startswith("ssh-ed25519 ")
    assert (workdir / "runtime.auto.tfvars.json").stat().st_mode & 0o077 == 0
    assert (project.state_dir("1000tps", "aws") / "rendered" / "terraform.tfvars.json").exists()


def test_with_yes_it_applies_writes_access_files_and_runs_the_playbooks(
    ready: Path, project: Project
) -> None:
    runner = RecordingRunner()
    aws.provision(aws_context(project, runner, yes=True))
    assert verbs(runner) == [
        "init",
        "plan",
        "apply",
        "output",
        *(f"playbook {playbook}" for playbook in aws.PLAYBOOKS),
    ]
    state = project.state_dir("1000tps", "aws")
    assert (state / "inventory.ini").read_text() == OUTPUTS["ansible_inventory"]["value"]
    assert (state / "ssh_config").read_text() == OUTPUTS["ssh_config"]["value"]
    playbook = runner.plan[-1]
    assert playbook.env["ANSIBLE_SSH_COMMON_ARGS"] == f"-F {state / 'ssh_config'}"
    assert f"@{state / 'rendered' / 'ansible' / 'group_vars' / 'all.json'}" in playbook.argv
    apply = runner.plan[2]
    assert apply.argv[-1] == "tfplan"  # the plan made moments before, never an old one
    assert aws_context(project, runner).state.get("provisioned") is not None


def test_a_failing_playbook_stops_the_chain(ready: Path, project: Project) -> None:
    runner = RecordingRunner(exit_codes={"switch-cluster.yml": 2})
    with pytest.raises(UserError, match="failed with exit code 2"):
        aws.provision(aws_context(project, runner, yes=True))
    assert verbs(runner)[-1] == "playbook switch-cluster.yml"


def test_s3_backend_with_locking(
    ready: Path, project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MOJALOOP_PERF_TF_S3_BUCKET", "perf-state")
    monkeypatch.setenv("MOJALOOP_PERF_TF_DYNAMODB_TABLE", "perf-locks")
    config = aws.backend_config(aws_context(project, RecordingRunner()))
    assert config == {
        "terraform": {
            "backend": {
                "s3": {
                    "bucket": "perf-state",
                    "key": "mojaloop_perf/1000tps/terraform.tfstate",
                    "region": "eu-west-2",
                    "encrypt": True,
                    "dynamodb_table": "perf-locks",
                }
            }
        }
    }


def test_destroy_needs_yes(ready: Path, project: Project) -> None:
    runner = RecordingRunner()
    aws.provision(aws_context(project, runner))  # a working copy exists now
    with pytest.raises(
        UserError, match=r"destroy deletes every AWS resource of scenario 1000tps: .* --yes"
    ):
        aws.destroy(aws_context(project, RecordingRunner()))
    confirmed = RecordingRunner()
    aws.destroy(aws_context(project, confirmed, yes=True))
    assert verbs(confirmed) == ["destroy"]
    assert "-auto-approve" in confirmed.plan[0].argv


def test_nothing_to_destroy(ready: Path, project: Project) -> None:
    lines: list[str] = []
    aws.destroy(aws_context(project, RecordingRunner(), yes=True, lines=lines))
    assert lines == ["destroy: nothing provisioned on AWS for scenario 1000tps"]


def test_cli_dry_run_plan_without_credentials(
    invoke_cli: Callable[..., object], small_scenario: Callable[..., str]
) -> None:
    small_scenario("t")
    env = {"AWS_PROFILE": "", "AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""}
    result = invoke_cli("provision", "--target", "aws", "--scenario", "t", "--dry-run", env=env)
    assert result.returncode == 0, result.stderr
    assert "terraform -chdir=" in result.stdout and "playbooks/dfsp-hosts.yml" in result.stdout


def test_preflight_finds_the_workspaces_own_ansible(tmp_path: Path) -> None:
    """ansible-playbook comes with the workspace (beside Python), PATH or not."""
    problems = aws.preflight_problems({"PATH": str(tmp_path)})
    assert not any(p.startswith("ansible-playbook") for p in problems)
    assert aws.tool("ansible-playbook", str(tmp_path)) is not None
