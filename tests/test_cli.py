"""The invoke tasks as a user runs them: chained flags, dry-run plans, and one-line errors."""

from __future__ import annotations

import inspect
import json
import re
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from invoke import Parser, ParserContext
from invoke.exceptions import Exit

from mojaloop_perf import k6
from mojaloop_perf.cli import namespace
from mojaloop_perf.cli_flags import SHORT_FLAGS, chained_calls
from mojaloop_perf.errors import UserError
from mojaloop_perf.project import Project
from mojaloop_perf.scenario.load import load_scenario
from tests.conftest import REPO, write_scenario

Cli = Callable[..., object]


def one_line_error(result: object, code: int = 2) -> str:
    assert result.returncode == code, result.stdout + result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_unknown_scenario(invoke_cli: Cli) -> None:
    line = one_line_error(invoke_cli("provision", "--scenario", "nope"))
    assert line.startswith("provision: --scenario: unknown scenario 'nope'")


def test_malformed_override_file(invoke_cli: Cli, checkout: Project) -> None:
    write_scenario(checkout, "bad", {"k6": "tps: [1,\n"})
    line = one_line_error(invoke_cli("deploy", "--scenario", "bad"))
    assert line.startswith("deploy: performance-tests/results/bad/overrides/k6.yaml:")
    assert "YAML syntax error" in line
    assert not checkout.state_root.exists()


def test_unknown_and_unbuilt_targets(invoke_cli: Cli, small_scenario: Callable[..., str]) -> None:
    small_scenario("t")
    assert "unknown target 'gcp' (choose local, aws)" in one_line_error(
        invoke_cli("provision", "--scenario", "t", "--target", "gcp")
    )
    assert (
        "deploy needs provision first: run `invoke provision --scenario t --target aws --yes`"
        in one_line_error(invoke_cli("deploy", "--scenario", "t", "--target", "aws"))
    )
    no_credentials = {"AWS_PROFILE": "", "AWS_ACCESS_KEY_ID": "", "MOJALOOP_PERF_ADMIN_CIDR": ""}
    line = one_line_error(
        invoke_cli("provision", "--scenario", "t", "--target", "aws", env=no_credentials)
    )
    assert line.startswith("provision: preflight: ") and "no AWS credentials" in line


def test_a_flag_given_later_applies_to_the_whole_command(
    invoke_cli: Cli, checkout: Project, small_scenario: Callable[..., str]
) -> None:
    small_scenario("t")
    result = invoke_cli("provision", "deploy", "--scenario", "t", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "[dry-run] write .workspace/t/local/lab.json:" in result.stdout
    assert "-m mojaloop_perf.lab --config" in result.stdout
    assert not checkout.state_dir("t", "local").exists()


def parse(*argv: str) -> list[ParserContext]:
    """The task contexts invoke's parser makes of `invoke <argv>` in this checkout."""
    parser = Parser(contexts=namespace(REPO).to_contexts())
    return list(parser.parse_argv(list(argv)))


def test_shared_flags_reach_every_task_of_the_command() -> None:
    calls = dict(
        chained_calls(parse("deploy", "-s", "a", "seed", "--scenario=a", "test", "-t", "aws"))
    )
    for name in ("deploy", "seed", "test"):
        assert calls[name]["scenario"] == "a" and calls[name]["target"] == "aws", name
        assert calls[name]["dry_run"] is False
    calls = dict(chained_calls(parse("provision", "status", "deploy", "-d")))
    assert calls["provision"]["dry_run"] is True and calls["deploy"]["dry_run"] is True
    assert "dry_run" not in calls["status"]  # status takes no --dry-run: nothing to hand it
    assert calls["status"]["scenario"] is None  # nothing given: the config or default decides
    validate = dict(chained_calls(parse("validate", "-i", "provision", "--target", "aws")))
    assert validate["validate"]["strict"] is True and validate["validate"]["target"] == "aws"


def test_two_values_of_a_shared_flag_are_refused_before_anything_runs() -> None:
    with pytest.raises(Exit) as refused:
        chained_calls(parse("provision", "-t", "local", "deploy", "--target", "aws"))
    assert refused.value.code == 2
    assert refused.value.message == (
        "provision: --target given twice in this command (local and aws): give one value"
    )


def test_every_task_and_flag_has_help_and_each_short_flag_one_meaning() -> None:
    collection = namespace(REPO)
    shorts: dict[str, set[tuple[str, ...]]] = {}  # long flag → its short flags in each task
    for context in collection.to_contexts():
        summary = (inspect.getdoc(collection[context.name]) or "").split("\n\n")[0]
        assert summary.endswith(".") and "\n" not in summary, (
            f"{context.name}: the docstring's first paragraph (shown by --list) is not one line"
        )
        for arg in context.args.values():
            long, *short = arg.names
            assert arg.help, f"invoke --help {context.name}: --{long} has no help"
            shorts.setdefault(long, set()).add(tuple(short))
    assert {long: found for long, found in shorts.items() if len(found) > 1} == {}
    letters = [letter for found in shorts.values() for names in found for letter in names]
    assert len(letters) == len(set(letters)), f"a short flag means two long flags: {shorts}"
    assert shorts["target"] == {("t",)} and shorts["strict"] == {("i",)}


def test_the_readme_lists_each_short_flag_as_the_tasks_have_it() -> None:
    readme = " ".join((REPO / "README.md").read_text().split())
    for long, letter in SHORT_FLAGS.items():
        assert f"`-{letter}` `--{long}`" in readme, f"README.md: -{letter} --{long} missing"


def test_list_shows_every_task_with_its_help(invoke_cli: Cli) -> None:
    result = invoke_cli("--list")
    assert result.returncode == 0, result.stderr
    # A task's line is "  name   help…"; its help's wrapped lines are indented further.
    lines = result.stdout.splitlines()
    rows = [line.split(maxsplit=1) for line in lines if re.match(r"  \S", line)]
    listed = {row[0]: row[1:] for row in rows}
    assert all(listed.values()), f"a task without help in --list: {listed}"
    assert set(listed) == set(namespace(REPO).task_names)


def test_the_config_sets_the_defaults_and_a_flag_beats_it(
    invoke_cli: Cli, small_scenario: Callable[..., str]
) -> None:
    small_scenario("t")
    env = {"INVOKE_MOJALOOP_PERF_SCENARIO": "t", "INVOKE_MOJALOOP_PERF_TARGET": "local"}
    result = invoke_cli("status", env=env)
    assert result.returncode == 0, result.stderr
    assert "scenario t on target local" in result.stdout
    line = one_line_error(invoke_cli("status", "-s", "nope", env=env))
    assert line.startswith("status: --scenario: unknown scenario 'nope'")


def test_a_flag_carries_along_the_chain(
    invoke_cli: Cli, small_scenario: Callable[..., str]
) -> None:
    small_scenario("t")
    result = invoke_cli("provision", "--scenario", "t", "status")
    assert result.returncode == 0, result.stderr
    assert "scenario t on target local" in result.stdout
    assert "provisioned: yes" in result.stdout


def test_conflicting_flags_in_one_chain(
    invoke_cli: Cli, checkout: Project, small_scenario: Callable[..., str]
) -> None:
    small_scenario("t")
    small_scenario("u")
    line = one_line_error(invoke_cli("provision", "--scenario", "t", "status", "--scenario", "u"))
    assert line == "provision: --scenario given twice in this command (t and u): give one value"
    assert not (checkout.state_dir("t", "local")).exists()


def test_stages_refuse_to_run_out_of_order(
    invoke_cli: Cli, small_scenario: Callable[..., str]
) -> None:
    small_scenario("t")
    line = one_line_error(invoke_cli("seed", "--scenario", "t"))
    assert line == "seed: seed needs provision first: run `invoke provision --scenario t`"
    line = one_line_error(invoke_cli("provision", "--scenario", "t", "test"))
    assert (
        "test needs deploy first: the lab is not running; run `invoke deploy --scenario t`" in line
    )


def test_dry_run_chain_prints_the_plan_and_changes_nothing(
    invoke_cli: Cli, checkout: Project, small_scenario: Callable[..., str]
) -> None:
    small_scenario("t")
    result = invoke_cli("provision", "--scenario", "t", "--dry-run", "deploy", "seed", "test")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "[dry-run] write .workspace/t/local/lab.json:" in out
    assert "-m mojaloop_perf.lab --config" in out
    assert (
        "[dry-run] curl -sS -X PUT http://127.0.0.1:" in out and "/admin/participants/fsp201" in out
    )
    assert "/admin/participants/fsp208/msisdns" in out
    assert "/parties/MSISDN/" in out
    assert "MOJALOOP_PERF_CONFIG=" in out and " run --no-usage-report --no-color " in out
    assert not checkout.state_root.exists()
    assert not checkout.runs_dir("t").exists()


def test_a_port_already_taken(
    invoke_cli: Cli, small_scenario: Callable[..., str], checkout: Project
) -> None:
    small_scenario("t")
    port = load_scenario(checkout, "t").local.base_port + 3
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", port))
        squatter.listen()
        line = one_line_error(invoke_cli("provision", "--scenario", "t", "deploy"))
    assert line.startswith(
        f"deploy: port {port} (fsp203 outbound API) on 127.0.0.1 is already in use"
    )
    assert "performance-tests/results/t/overrides/local.yaml" in line


def test_k6_override_that_is_not_a_binary(
    invoke_cli: Cli, small_scenario: Callable[..., str]
) -> None:
    small_scenario("t")
    result = invoke_cli("test", "--scenario", "t", env={"MOJALOOP_PERF_K6": "/nonexistent/k6"})
    assert (
        one_line_error(result) == "test: MOJALOOP_PERF_K6=/nonexistent/k6: not an executable file"
    )


def test_k6_missing_everywhere(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("MOJALOOP_PERF_K6", raising=False)
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(UserError, match=r"^k6 not found: install the workspace"):
        k6.find_k6()


def test_validate_all_shipped(invoke_cli: Cli, small_scenario: Callable[..., str]) -> None:
    small_scenario("t")
    result = invoke_cli("validate", "--all")
    assert result.returncode == 0, result.stderr
    assert "t: 0 error(s)" in result.stdout


def test_validate_prints_the_table_and_strict_fails_on_warnings(
    invoke_cli: Cli, small_scenario: Callable[..., str]
) -> None:
    small_scenario("t")
    result = invoke_cli("validate", "--scenario", "t")
    assert result.returncode == 0, result.stderr
    assert re.search(r"\n  pair weights +ok +weights sum to 1\n", result.stdout)
    assert re.search(r"generic multiples +WARN", result.stdout)
    assert "t: 0 error(s), 4 warning(s)" in result.stdout
    strict = invoke_cli("validate", "--scenario", "t", "--strict")
    assert strict.returncode == 1
    assert strict.stderr.strip() == "validate: 4 warning(s) and --strict"


def test_validate_all_reports_every_scenario_and_fails_on_errors(
    invoke_cli: Cli, checkout: Project, small_scenario: Callable[..., str]
) -> None:
    small_scenario("good")
    write_scenario(checkout, "broken", {"k6": {"tpss": 3}})
    write_scenario(checkout, "wrong", {"k6": {"warmup_s": 1000}})
    result = invoke_cli("validate", "--all")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "broken/overrides/k6.yaml: tpss: unknown key" in result.stdout
    assert "good: 0 error(s)" in result.stdout
    assert "wrong: 1 error(s)" in result.stdout
    assert "↳ performance-tests/results/wrong/overrides/k6.yaml: warmup_s" in result.stdout
    assert result.stderr.strip().startswith("validate: 2 error(s)")


def test_scenario_new_copies_overrides_but_not_runs(
    invoke_cli: Cli, checkout: Project, small_scenario: Callable[..., str]
) -> None:
    small_scenario("t")
    runs = checkout.runs_dir("t") / "20260101T000000Z"
    runs.mkdir(parents=True)
    (runs / "summary.json").write_text("{}")
    result = invoke_cli("scenario-new", "mine", "--from", "t")
    assert result.returncode == 0, result.stderr
    assert "created performance-tests/results/mine/ from t" in result.stdout
    mine = checkout.scenario_dir("mine")
    assert not (mine / "runs").exists()
    assert (mine / "overrides" / "k6.yaml").read_text() == (
        checkout.scenario_dir("t") / "overrides" / "k6.yaml"
    ).read_text()
    assert load_scenario(checkout, "mine").config["infrastructure"]["name"] == "mlperf-mine"
    again = invoke_cli("scenario-new", "mine", "--from", "t")
    assert one_line_error(again) == (
        "scenario-new: scenario 'mine' already exists: performance-tests/results/mine/"
    )
    assert "--from: unknown scenario 'zzz'" in one_line_error(
        invoke_cli("scenario-new", "other", "--from", "zzz")
    )
    assert not checkout.scenario_dir("other").exists()


def test_render_writes_every_tool_input_and_says_where(
    invoke_cli: Cli, checkout: Project, small_scenario: Callable[..., str]
) -> None:
    small_scenario("t")
    result = invoke_cli("render", "--scenario", "t", "--target", "aws")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(
        "render: 20 files for scenario t on aws in .workspace/t/aws/rendered/"
    )
    rendered = checkout.state_dir("t", "aws") / "rendered"
    tfvars = json.loads((rendered / "terraform.tfvars.json").read_text())
    assert tfvars["node_groups"]["generic"]["count"] == 3
    env = json.loads((rendered / "k6.env.json").read_text())
    assert json.loads(env["MOJALOOP_PERF_CONFIG"])["tps"] == 10
    assert sorted(p.name for p in (rendered / "helm").glob("simulator-*.values.yaml")) == [
        f"simulator-fsp20{n}.values.yaml" for n in range(1, 9)
    ]
    local = invoke_cli("render", "--scenario", "t")
    assert "render: 3 files for scenario t on local" in local.stdout


@pytest.mark.parametrize(
    ("overrides", "scenario_yaml", "expected", "target"),
    [
        (
            {"k6": {"pairs": [{"source": "fsp201", "dest": "fsp202", "weight": 0.4}]}},
            None,
            "overrides/k6.yaml: pairs: weights sum to 0.4, not 1",
            "local",
        ),
        (
            {"backend": {"kafka": {"topics": {"topic-quotes-put": {"partitions": 4}}}}},
            None,
            "overrides/backend.yaml: kafka.topics.topic-quotes-put.partitions: 4 partitions",
            "aws",  # an AWS sizing check: it stops the stages of an AWS run only
        ),
        (
            {"k6": {"tps": 1000, "transactions": 10000, "max_vus": 100}},
            None,
            "overrides/k6.yaml: max_vus: 100 < 1000 TPS",
            "local",
        ),
        (
            {"k6": {"warmup_s": 25, "drain_s": 25}},
            None,
            "overrides/k6.yaml: warmup_s: warmup_s 25 + drain_s 25",
            "local",
        ),
        (
            {"k6": {"tps": "fast"}},
            None,
            "overrides/k6.yaml: tps: 'fast' is not of type 'integer'",
            "local",
        ),
        (
            {},
            "extends: missing\n",
            "bad/scenario.yaml: extends: unknown scenario 'missing'",
            "local",
        ),
        ({}, "extends: bad\n", "bad/scenario.yaml: extends: cycle in extends: bad → bad", "local"),
    ],
)
def test_bad_scenarios_stop_a_stage_with_one_line(
    invoke_cli: Cli,
    checkout: Project,
    overrides: dict,
    scenario_yaml: str | None,
    expected: str,
    target: str,
) -> None:
    folder = write_scenario(checkout, "bad", overrides)
    if scenario_yaml:
        (folder / "scenario.yaml").write_text(scenario_yaml)
    line = one_line_error(invoke_cli("provision", "--scenario", "bad", "--target", target))
    assert line.startswith("provision: performance-tests/results/")
    assert expected in line
    assert not checkout.state_root.exists()


def test_a_closed_pipe_ends_quietly(checkout: Project, small_scenario: Callable[..., str]) -> None:
    small_scenario("t")
    invoke = Path(sys.executable).parent / "invoke"
    # `true` exits without reading: every write invoke makes meets a closed pipe.
    result = subprocess.run(
        f"{invoke} validate --all | true; echo ${{PIPESTATUS[0]}}",
        shell=True,
        executable="/bin/bash",
        cwd=checkout.root,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "Traceback" not in result.stderr
    assert result.stdout.strip() == "141"
