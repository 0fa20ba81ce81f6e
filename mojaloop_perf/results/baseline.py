"""Which runs to compare and what of them: run ids, the baseline, each run's figures and raw
durations, and whether two runs were measured alike.

`performance-tests/results/<scenario>/baseline.json` names the scenario's baseline run
(`invoke baseline`), which `invoke compare --baseline` compares later runs with. Marking a new
baseline keeps the earlier marks in the file's `history`, so no decision is lost.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from mojaloop_perf.errors import UserError
from mojaloop_perf.fsutil import read_json, write_json_atomic
from mojaloop_perf.project import Project
from mojaloop_perf.results import raw
from mojaloop_perf.results.runs import RUN_ID, list_runs, run_order, summary_errors
from mojaloop_perf.scenario.load import SCENARIO_NAME

BASELINE_FILE = "baseline.json"
LATENCIES = (*raw.PHASES, "e2e")
# What makes two runs comparable: the same steady-window trims and the same length.
METHOD = {
    "warmup_s": "warm-up (s)",
    "drain_s": "drain (s)",
    "duration_s": "duration (s)",
    "transactions": "transactions",
}


def baseline_path(project: Project, scenario: str) -> Path:
    return project.scenario_dir(_checked_scenario(scenario)) / BASELINE_FILE


def run_dir(project: Project, scenario: str, run_id: str) -> Path:
    """The folder of published run `run_id`; a one-line error when there is none."""
    runs = project.runs_dir(_checked_scenario(scenario))
    if not RUN_ID.match(run_id):
        raise UserError(f"run {run_id!r}: not a run id (like 20261125T170309Z)")
    folder = runs / run_id
    if not folder.is_dir():
        raise UserError(f"run {run_id}: no such run in {project.relative(runs)}/")
    return folder


def latest_run(project: Project, scenario: str) -> str:
    names = _run_ids(project, scenario)
    if not names:
        runs = project.relative(project.runs_dir(scenario))
        raise UserError(f"scenario {scenario}: no runs in {runs}/")
    return names[-1]


def run_before(project: Project, scenario: str, run_id: str) -> str:
    """The run published just before `run_id` (run ids sort by time)."""
    earlier = [name for name in _run_ids(project, scenario) if run_order(name) < run_order(run_id)]
    if not earlier:
        raise UserError(
            f"run {run_id}: no earlier run of scenario {scenario} to compare it with; "
            "name RUN_A or use --baseline"
        )
    return earlier[-1]


def mark_baseline(project: Project, scenario: str, run_id: str | None) -> Path:
    """Write baseline.json naming `run_id` (default: the latest run); return its path."""
    run_id = run_id or latest_run(project, scenario)
    run_dir(project, scenario, run_id)
    path = baseline_path(project, scenario)
    history: list[dict[str, Any]] = []
    if path.is_file():
        earlier = _read(project, path)
        history = [*earlier.get("history", []), {k: earlier[k] for k in ("run_id", "marked_at")}]
    write_json_atomic(
        path,
        {
            "scenario": scenario,
            "run_id": run_id,
            "marked_at": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
            "history": history,
        },
    )
    return path


def baseline_run(project: Project, scenario: str) -> str:
    """The run id baseline.json names; a one-line error when there is no baseline or its run
    is gone."""
    path = baseline_path(project, scenario)
    if not path.is_file():
        raise UserError(
            f"scenario {scenario}: no baseline ({project.relative(path)}); "
            f"mark one with `invoke baseline --scenario {scenario} --run <run id>`"
        )
    run_id = _read(project, path)["run_id"]
    if not (project.runs_dir(scenario) / run_id).is_dir():
        raise UserError(f"{project.relative(path)}: run_id {run_id}: no such run")
    return str(run_id)


@dataclass
class RunData:
    """A published run's summary.json, how it was measured, and its raw durations."""

    run_id: str
    summary: dict[str, Any]
    timing: dict[str, float]
    durations: dict[tuple[str, str], np.ndarray] | None  # (window, latency) → durations, ms


def read_run(project: Project, folder: Path) -> RunData:
    """summary.json (checked by its schema), raw/meta.json's clock and raw durations if any."""
    path = folder / "summary.json"
    try:
        summary = read_json(path)
    except (OSError, ValueError) as error:
        raise UserError(f"{project.relative(path)}: not readable JSON ({error})") from None
    problems = (
        summary_errors(summary) if isinstance(summary, dict) else ["(top level): not an object"]
    )
    if problems:
        raise UserError(f"{project.relative(path)}: {problems[0]}")
    timing = {
        "warmup_s": summary["steady"]["warmup_s"],
        "drain_s": summary["steady"]["drain_s"],
        "duration_s": summary["load"]["duration_s"],
        "transactions": summary["load"]["transactions_planned"],
    }
    meta_path = folder / raw.META_FILE
    if meta_path.is_file():  # the raw data's own clock, when captured
        meta = _read(project, meta_path, run_id=False)
        for key in ("warmup_s", "drain_s", "duration_s"):
            value = meta.get(key, timing[key])
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise UserError(f"{project.relative(meta_path)}: {key}: not a number: {value!r}")
            timing[key] = value
    tx_path = folder / raw.TRANSACTIONS_FILE
    durations = _durations(tx_path) if tx_path.is_file() else None
    return RunData(folder.name, summary, timing, durations)


def _durations(path: Path) -> dict[tuple[str, str], np.ndarray]:
    """Each latency's non-null durations over the full run and the steady window."""
    import pyarrow.compute as pc

    table = raw.read_table(path, raw.transactions_schema())
    steady = table.column("steady").fill_null(False)
    out: dict[tuple[str, str], np.ndarray] = {}
    for latency in LATENCIES:
        column = table.column(f"{latency}_ms")
        for window, values in (("full", column), ("steady", pc.filter(column, steady))):
            out[(window, latency)] = values.drop_null().to_numpy()
    return out


def same_methodology(a: RunData, b: RunData) -> str:
    """Refuse runs measured differently; else describe how both were measured."""
    for key, label in METHOD.items():
        if not math.isclose(a.timing[key], b.timing[key], abs_tol=1e-9):
            raise UserError(
                f"runs differ in {label}: A {a.run_id} {a.timing[key]:g}, B {b.run_id} "
                f"{b.timing[key]:g}; compare only runs with the same steady-window trims and length"
            )
    t = a.timing
    return (
        f"{t['transactions']:.0f} transactions in {t['duration_s']:g} s, warm-up {t['warmup_s']:g} s, "
        f"drain {t['drain_s']:g} s"
    )


def _read(project: Project, path: Path, *, run_id: bool = True) -> dict[str, Any]:
    """A JSON object; with `run_id`, one that names a run (baseline.json)."""
    try:
        data = read_json(path)
    except (OSError, ValueError) as error:
        raise UserError(f"{project.relative(path)}: not readable JSON ({error})") from None
    if not isinstance(data, dict):
        raise UserError(f"{project.relative(path)}: not a JSON object")
    if run_id and not RUN_ID.match(str(data.get("run_id", ""))):
        raise UserError(f"{project.relative(path)}: run_id: missing or not a run id")
    return data


def _run_ids(project: Project, scenario: str) -> list[str]:
    """Published run ids, oldest first."""
    return [p.name for p in list_runs(project.runs_dir(_checked_scenario(scenario)))]


def _checked_scenario(name: str) -> str:
    if not SCENARIO_NAME.match(name):
        raise UserError(f"scenario {name!r}: not a scenario name")
    return name
