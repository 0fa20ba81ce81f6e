"""The invoke tasks: one per stage, plus status, validate, render and the results tasks.
tasks.py only assembles them; the flags they share and their short letters are in cli_flags.

Settings resolve in one order: the flag given to any task of the same command (`invoke deploy
seed test --target aws --scenario x` runs every stage on x, on aws; two different values in one
command are refused before anything runs) → invoke config (`invoke.yaml`, or
INVOKE_MOJALOOP_PERF_SCENARIO / INVOKE_MOJALOOP_PERF_TARGET) → the default. `--dry-run` anywhere
in the command makes every task of it a dry run, so `invoke deploy seed test --dry-run` changes
nothing.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from invoke import Collection, Context
from invoke.exceptions import Exit

from mojaloop_perf.cli_flags import DEFAULTS, HELP, front_task, setting
from mojaloop_perf.errors import UserError
from mojaloop_perf.fsutil import write_files
from mojaloop_perf.project import Project
from mojaloop_perf.runner import Runner
from mojaloop_perf.scenario import report as scenario_report
from mojaloop_perf.scenario.create import new_scenario
from mojaloop_perf.scenario.load import evaluate, load_scenario, scenario_names
from mojaloop_perf.targets import RENDER_CHECKS, RENDERERS, check_target, stage_function
from mojaloop_perf.targets.base import StageContext


def echo(line: str) -> None:
    try:
        print(line, flush=True)
    except BrokenPipeError:
        # The reader went away (`invoke … | head`): stop quietly, as Unix tools do on SIGPIPE.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise Exit(code=141) from None


def resolve(c: Context, scenario: str | None, target: str | None) -> tuple[Project, str, str]:
    """The checkout, and the scenario and target this task runs on (see the module docstring)."""
    scenario_name = setting(c, "scenario", scenario)
    target_name = setting(c, "target", target)
    check_target(target_name)
    return Project(Path(c.config.mojaloop_perf.root)), scenario_name, target_name


def run_stage(
    c: Context,
    stage: str,
    scenario: str | None,
    target: str | None,
    dry_run: bool,
    yes: bool = False,
    force: bool = False,
) -> None:
    try:
        project, scenario_name, target_name = resolve(c, scenario, target)
        evaluation = evaluate(project, scenario_name, target_name)
        for finding in evaluation.errors:
            raise UserError(f"{finding.where}: {finding.message}")
        loaded = evaluation.scenario
        if stage == "provision" and evaluation.warnings:
            echo(
                f"provision: scenario {loaded.name} has {len(evaluation.warnings)} warning(s); "
                f"`invoke validate --scenario {loaded.name}` lists them"
            )
        log = None if dry_run else project.state_dir(loaded.name, target_name) / "commands.log"
        runner = Runner(dry_run=dry_run, echo=echo, log_path=log)
        context = StageContext(
            project, loaded, target_name, runner, echo, assume_yes=yes, force=force
        )
        stage_function(target_name, stage)(context)
    except UserError as error:
        raise Exit(f"{stage}: {error}", code=error.exit_code) from None


@front_task(help={**HELP, "yes": "aws: apply the Terraform plan (creates billable resources)"})
def provision(
    c: Context,
    scenario: str | None = None,
    target: str | None = None,
    dry_run: bool = False,
    yes: bool = False,
) -> None:
    """Render the scenario and create the run-state folder and topology (aws: the machines)."""
    run_stage(c, "provision", scenario, target, dry_run, yes)


@front_task(help={**HELP, "force": "aws: reinstall releases whose chart and values are unchanged"})
def deploy(
    c: Context,
    scenario: str | None = None,
    target: str | None = None,
    dry_run: bool = False,
    force: bool = False,
) -> None:
    """Start the lab (aws: Mojaloop, DFSP simulators, monitoring, k6 Operator); waits for health."""
    run_stage(c, "deploy", scenario, target, dry_run, force=force)


@front_task(help=HELP)
def seed(
    c: Context, scenario: str | None = None, target: str | None = None, dry_run: bool = False
) -> None:
    """Onboard participants and register each DFSP's MSISDN range, then verify a lookup per DFSP."""
    run_stage(c, "seed", scenario, target, dry_run)


@front_task(help=HELP)
def smoke(
    c: Context, scenario: str | None = None, target: str | None = None, dry_run: bool = False
) -> None:
    """One transfer end to end (discovery, quote, transfer) through a payer's SDK, before load."""
    run_stage(c, "smoke", scenario, target, dry_run)


@front_task(help=HELP)
def test(
    c: Context, scenario: str | None = None, target: str | None = None, dry_run: bool = False
) -> None:
    """Run the k6 test and write a new run folder under results/<scenario>/runs/."""
    run_stage(c, "test", scenario, target, dry_run)


@front_task(help={**HELP, "yes": "aws: confirm deleting every AWS resource of the scenario"})
def destroy(
    c: Context,
    scenario: str | None = None,
    target: str | None = None,
    dry_run: bool = False,
    yes: bool = False,
) -> None:
    """Stop the lab (aws: tear down, with --yes); results are left untouched."""
    run_stage(c, "destroy", scenario, target, dry_run, yes)


@front_task(
    help={"scenario": HELP["scenario"], "target": "what to render for: local (default) or aws"}
)
def render(c: Context, scenario: str | None = None, target: str | None = None) -> None:
    """Write the scenario's tool inputs (aws: tfvars, Ansible vars, Helm values, k6 env); show where."""
    try:
        project, scenario_name, target_name = resolve(c, scenario, target)
        loaded = load_scenario(project, scenario_name, target_name)
        directory = project.state_dir(loaded.name, target_name) / "rendered"
        files = RENDERERS[target_name](loaded)
        # Checked before anything is written: a refused render leaves the last one in place.
        notes = RENDER_CHECKS[target_name](project, files) if target_name in RENDER_CHECKS else []
        paths = write_files(files, directory)
    except UserError as error:
        raise Exit(f"render: {error}", code=error.exit_code) from None
    echo(
        f"render: {len(paths)} files for scenario {loaded.name} on {target_name} in {project.relative(directory)}/"
    )
    for path in paths:
        echo(f"  {project.relative(path)}")
    for line in notes:
        echo(f"render: {line}")


@front_task(help={"scenario": HELP["scenario"], "target": HELP["target"]})
def status(c: Context, scenario: str | None = None, target: str | None = None) -> None:
    """Show what is provisioned, deployed and seeded for the scenario, and its last runs."""
    run_stage(c, "status", scenario, target, dry_run=False)


@front_task(
    help={
        "scenario": HELP["scenario"],
        "all": "validate every scenario under performance-tests/results/",
        "strict": "fail on warnings too",
        "target": "also run that target's own checks (local or aws; default: only the shared ones)",
    }
)
def validate(
    c: Context,
    scenario: str | None = None,
    all: bool = False,
    strict: bool = False,
    target: str | None = None,
) -> None:
    """Check scenarios against their schemas and the semantic checks; print the table."""
    project = Project(Path(c.config.mojaloop_perf.root))
    try:
        names = scenario_names(project) if all else [setting(c, "scenario", scenario)]
        if target is not None:
            check_target(target)
    except UserError as error:
        raise Exit(f"validate: {error}", code=error.exit_code) from None
    errors = warnings = 0
    for name in names:
        try:
            evaluation = evaluate(project, name, target)
        except UserError as error:
            echo(f"scenario {name}\n  schema  ERROR  {error}\n{name}: 1 error(s)")
            errors += 1
            continue
        for line in scenario_report.table(evaluation):
            echo(line)
        errors += len(evaluation.errors)
        warnings += len(evaluation.warnings)
    if errors:
        raise Exit(f"validate: {errors} error(s), {warnings} warning(s)", code=2)
    if strict and warnings:
        raise Exit(f"validate: {warnings} warning(s) and --strict", code=1)


@front_task(
    help={"name": "the new scenario's name", "from": "the scenario to copy (default: local)"}
)
def scenario_new(c: Context, name: str, from_: str = "local") -> None:
    """Create performance-tests/results/NAME/ from another scenario (overrides, no runs)."""
    project = Project(Path(c.config.mojaloop_perf.root))
    try:
        folder = new_scenario(project, name, from_)
    except UserError as error:
        raise Exit(f"scenario-new: {error}", code=error.exit_code) from None
    echo(f"scenario-new: created {project.relative(folder)}/ from {from_}; edit its overrides/")


@front_task(
    help={
        "scenario": HELP["scenario"],
        "run": "run id under runs/ (default: the latest run of the scenario)",
    }
)
def report(c: Context, scenario: str | None = None, run: str | None = None) -> None:
    """Write report.html and its plots into a run folder, from the run's own files."""
    from mojaloop_perf.report import report_for

    try:
        project = Project(Path(c.config.mojaloop_perf.root))
        path = report_for(project, setting(c, "scenario", scenario), run, echo=echo)
    except UserError as error:
        raise Exit(f"report: {error}", code=error.exit_code) from None
    echo(f"report: {project.relative(path)}")


@front_task(
    help={
        "run-a": "the earlier run id (default: the run before RUN-B)",
        "run-b": "the later run id (default: the latest run)",
        "scenario": HELP["scenario"],
        "baseline": "compare the scenario's baseline run (invoke baseline) with RUN-B",
    },
)
def compare(
    c: Context,
    run_a: str | None = None,
    run_b: str | None = None,
    scenario: str | None = None,
    baseline: bool = False,
) -> None:
    """Compare two runs of a scenario figure by figure, with significance; exit 1 on a regression.

    A regression is a change beyond the scenario's tolerance.
    """
    from mojaloop_perf.results.compare import compare_runs

    try:
        project = Project(Path(c.config.mojaloop_perf.root))
        name = setting(c, "scenario", scenario)
        result = compare_runs(project, name, run_a, run_b, baseline=baseline)
    except UserError as error:
        raise Exit(f"compare: {error}", code=error.exit_code) from None
    for line in result.lines():
        echo(line)
    if result.regressed:
        raise Exit(f"compare: regression: {'; '.join(result.regressed)}", code=1)


@front_task(help={"scenario": HELP["scenario"], "run": "run id to mark (default: the latest run)"})
def baseline(c: Context, scenario: str | None = None, run: str | None = None) -> None:
    """Mark a run as the scenario's baseline for `invoke compare --baseline`."""
    from mojaloop_perf.results.baseline import mark_baseline

    try:
        project = Project(Path(c.config.mojaloop_perf.root))
        path = mark_baseline(project, setting(c, "scenario", scenario), run)
    except UserError as error:
        raise Exit(f"baseline: {error}", code=error.exit_code) from None
    echo(f"baseline: {project.relative(path)}")


def namespace(root: Path) -> Collection:
    """The task collection for the checkout at `root`."""
    ns = Collection(*TASKS)
    ns.configure({"mojaloop_perf": {**DEFAULTS, "root": str(root)}})
    return ns


TASKS = (
    provision,
    deploy,
    seed,
    smoke,
    test,
    destroy,
    status,
    validate,
    render,
    scenario_new,
    report,
    compare,
    baseline,
)
