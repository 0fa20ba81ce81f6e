"""The invoke tasks: one per stage, plus status and validate. tasks.py only assembles them.

Settings resolve in one order: the flag given to any task of the same command (`invoke deploy
seed test --target aws --scenario x` runs every stage on x, on aws; two different values in one
command are refused before anything runs) → invoke config (`invoke.yaml`, or
INVOKE_MOJALOOP_PERF_SCENARIO / INVOKE_MOJALOOP_PERF_TARGET) → the default. `--dry-run` anywhere in the
command makes every task of it a dry run, so `invoke deploy seed test --dry-run` changes nothing.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from invoke import Collection, Context, task
from invoke.exceptions import Exit

from mojaloop_perf.errors import UserError
from mojaloop_perf.fsutil import write_files
from mojaloop_perf.project import Project
from mojaloop_perf.runner import Runner
from mojaloop_perf.scenario import report as scenario_report
from mojaloop_perf.scenario.create import new_scenario
from mojaloop_perf.scenario.load import evaluate, load_scenario, scenario_names
from mojaloop_perf.targets import RENDER_CHECKS, RENDERERS, check_target, stage_function
from mojaloop_perf.targets.base import StageContext

DEFAULTS = {"scenario": "local", "target": "local"}

HELP = {
    "scenario": "scenario folder under performance-tests/results/ (default: local)",
    "target": "where to run: local (default) or aws",
    "dry-run": "print the commands and objects the stage would apply, change nothing",
}

# Flags given earlier in one `invoke a b c` command, carried to the tasks after it.
_chain: dict[str, str] = {}
_chain_dry_run: list[bool] = []
# Flags every task shares: (long name, short name, takes a value).
SHARED_FLAGS = (("scenario", "s", True), ("target", "t", True), ("dry-run", "d", False))


def command_flags(argv: list[str], task_names: set[str]) -> dict[str, list[str]]:
    """The shared flags given to any task of an `invoke a b c …` command line: name → values.

    Only tokens from the first task name on are read (before it are invoke's own options,
    where -d means --debug).
    """
    found: dict[str, list[str]] = {}
    tokens = argv[1:]
    start = next((i for i, token in enumerate(tokens) if token in task_names), len(tokens))
    rest = tokens[start:]
    for i, token in enumerate(rest):
        for name, short, valued in SHARED_FLAGS:
            if token in (f"--{name}", f"-{short}"):
                value = (rest[i + 1] if i + 1 < len(rest) else "") if valued else "yes"
            elif valued and token.startswith(f"--{name}="):
                value = token.split("=", 1)[1]
            else:
                continue
            found.setdefault(name, [])
            if value not in found[name]:
                found[name].append(value)
    return found


def _command_line() -> dict[str, list[str]]:
    names = {name.replace("_", "-") for name in TASK_NAMES}
    return command_flags(sys.argv, names)


def echo(line: str) -> None:
    try:
        print(line, flush=True)
    except BrokenPipeError:
        # The reader went away (`invoke … | head`): stop quietly, as Unix tools do on SIGPIPE.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise Exit(code=141) from None


def setting(c: Context, name: str, flag: str | None) -> str:
    given = _command_line().get(name, [])
    if len(given) > 1:
        raise UserError(
            f"--{name} given twice in this command ({' and '.join(given)}): give one value"
        )
    if flag is None and given:
        flag = given[0]
    if flag is not None:
        earlier = _chain.get(name)
        if earlier is not None and earlier != flag:
            raise UserError(
                f"--{name} {flag} conflicts with --{name} {earlier} given earlier in this command"
            )
        _chain[name] = flag
        return flag
    if name in _chain:
        return _chain[name]
    return str(c.config.mojaloop_perf.get(name) or DEFAULTS[name])


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
    if dry_run or _command_line().get("dry-run"):
        _chain_dry_run.append(True)
    dry_run = bool(_chain_dry_run)
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


@task(help={**HELP, "yes": "aws: apply the Terraform plan (creates billable resources)"})
def provision(c, scenario=None, target=None, dry_run=False, yes=False):
    """Render the scenario and create the run-state folder and topology (aws: the machines)."""
    run_stage(c, "provision", scenario, target, dry_run, yes)


@task(help={**HELP, "force": "aws: reinstall releases whose chart and values are unchanged"})
def deploy(c, scenario=None, target=None, dry_run=False, force=False):
    """Start the lab (aws: Mojaloop, DFSP simulators, monitoring, k6 Operator); waits for health."""
    run_stage(c, "deploy", scenario, target, dry_run, force=force)


@task(help=HELP)
def seed(c, scenario=None, target=None, dry_run=False):
    """Onboard participants and register each DFSP's MSISDN range, then verify a lookup per DFSP."""
    run_stage(c, "seed", scenario, target, dry_run)


@task(help=HELP)
def smoke(c, scenario=None, target=None, dry_run=False):
    """One transfer end to end (discovery, quote, transfer) through a payer's SDK, before load."""
    run_stage(c, "smoke", scenario, target, dry_run)


@task(help=HELP)
def test(c, scenario=None, target=None, dry_run=False):
    """Run the k6 test and write a new run folder under results/<scenario>/runs/."""
    run_stage(c, "test", scenario, target, dry_run)


@task(help={**HELP, "yes": "aws: confirm deleting every AWS resource of the scenario"})
def destroy(c, scenario=None, target=None, dry_run=False, yes=False):
    """Stop the lab (aws: tear down, with --yes); results are left untouched."""
    run_stage(c, "destroy", scenario, target, dry_run, yes)


@task(help={"scenario": HELP["scenario"], "target": "local, or aws (default: the chain's target)"})
def render(c, scenario=None, target=None):
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


@task(help={"scenario": HELP["scenario"], "target": HELP["target"]})
def status(c, scenario=None, target=None):
    """Show what is provisioned, deployed and seeded for the scenario, and its last runs."""
    run_stage(c, "status", scenario, target, dry_run=False)


@task(
    help={
        "scenario": HELP["scenario"],
        "all": "validate every scenario under performance-tests/results/",
        "strict": "fail on warnings too",
        "target": "also run that target's own checks (local or aws; default: only the shared ones)",
    }
)
def validate(c, scenario=None, all=False, strict=False, target=None):
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


@task(help={"name": "the new scenario's name", "from": "the scenario to copy (default: local)"})
def scenario_new(c, name, from_="local"):
    """Create performance-tests/results/NAME/ from another scenario (overrides, no runs)."""
    project = Project(Path(c.config.mojaloop_perf.root))
    try:
        folder = new_scenario(project, name, from_)
    except UserError as error:
        raise Exit(f"scenario-new: {error}", code=error.exit_code) from None
    echo(f"scenario-new: created {project.relative(folder)}/ from {from_}; edit its overrides/")


@task(
    help={
        "scenario": HELP["scenario"],
        "run": "run id under runs/ (default: the latest run of the scenario)",
    }
)
def report(c, scenario=None, run=None):
    """Write report.html and its plots into a run folder, from the run's own files."""
    from mojaloop_perf.report import report_for

    try:
        project = Project(Path(c.config.mojaloop_perf.root))
        path = report_for(project, setting(c, "scenario", scenario), run, echo=echo)
    except UserError as error:
        raise Exit(f"report: {error}", code=error.exit_code) from None
    echo(f"report: {project.relative(path)}")


@task(
    help={
        "run-a": "the earlier run id (default: the run before RUN-B)",
        "run-b": "the later run id (default: the latest run)",
        "scenario": HELP["scenario"],
        "baseline": "compare the scenario's baseline run (invoke baseline) with RUN-B",
    },
    auto_shortflags=False,  # -r is --run in report and baseline
)
def compare(c, run_a=None, run_b=None, scenario=None, baseline=False):
    """Compare two runs of a scenario, figure by figure, with significance; exit 1 on a
    regression beyond the scenario's tolerance."""
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


@task(help={"scenario": HELP["scenario"], "run": "run id to mark (default: the latest run)"})
def baseline(c, scenario=None, run=None):
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
TASK_NAMES = {t.name for t in TASKS}
