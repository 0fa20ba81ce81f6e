"""Write a run's report: `<run>/report.html` and its plots as `<run>/report/<name>.png`.

Each file is written beside its final name and renamed into place, so a reader sees the old
file or the new one. A second report of the same run rewrites only these files (and removes
a plot of an earlier report the run's data no longer gives); the run's other files are never
touched, and a report.html this module did not write (k6's dashboard export) is never replaced.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from mojaloop_perf.errors import UserError
from mojaloop_perf.fsutil import write_bytes_atomic, write_text_atomic
from mojaloop_perf.project import Project
from mojaloop_perf.report import analysis, data, html, plots
from mojaloop_perf.results.runs import RUN_ID, list_runs

REPORT_FILE = "report.html"
PLOTS_DIR = "report"


def write_report(run_dir: Path, *, echo: Callable[[str], None]) -> Path:
    """Write the report of the run in `run_dir`; return the path of report.html."""
    target = run_dir / REPORT_FILE
    _refuse_foreign(target)
    run = data.load(run_dir)
    figures, missing = plots.render(run)
    pairs = failures = None
    if run.transactions is not None:
        pairs = analysis.pair_table(run.transactions)
        failures = analysis.failure_counts(run.transactions)
    page = html.render(run, figures, missing, pairs, failures)
    folder = run_dir / PLOTS_DIR
    for plot in figures:
        write_bytes_atomic(folder / f"{plot.name}.png", plot.png)
    written = {plot.name for plot in figures}
    for name in set(plots.NAMES) - written:
        (folder / f"{name}.png").unlink(missing_ok=True)
    write_text_atomic(target, page)
    for line in missing:
        echo(f"report: {line}")
    return target


def report_for(
    project: Project, scenario_name: str, run_id: str | None, *, echo: Callable[[str], None]
) -> Path:
    """Write the report of run `run_id` of the scenario (its latest run when None)."""
    return write_report(find_run(project, scenario_name, run_id), echo=echo)


def find_run(project: Project, scenario_name: str, run_id: str | None) -> Path:
    """The run folder of `run_id`, or the scenario's latest run; a one-line UserError when
    there is none."""
    if not project.scenario_dir(scenario_name).is_dir():
        raise UserError(
            f"--scenario {scenario_name}: no such scenario under "
            f"{project.relative(project.scenarios_dir)}/"
        )
    runs_dir = project.runs_dir(scenario_name)
    if run_id is not None:
        if not RUN_ID.match(run_id):
            raise UserError(f"--run {run_id}: not a run id (like 20260101T120000Z)")
        folder = runs_dir / run_id
        if not folder.is_dir():
            raise UserError(f"--run {run_id}: no such run under {project.relative(runs_dir)}/")
        return folder
    runs = list_runs(runs_dir)
    if not runs:
        raise UserError(
            f"scenario {scenario_name}: no runs under {project.relative(runs_dir)}/ "
            "(invoke test makes one)"
        )
    return runs[-1]


def _refuse_foreign(target: Path) -> None:
    if not target.is_file():
        return
    with target.open("rb") as handle:
        head = handle.read(4096).decode("utf-8", errors="replace")
    if not re.search(rf'<meta name="generator" content="{html.GENERATOR}">', head):
        raise UserError(
            f"{target}: a report.html this workspace did not write (k6's dashboard export?) "
            "is there; it is left as it is"
        )
