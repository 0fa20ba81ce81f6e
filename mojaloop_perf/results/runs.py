"""Run folders: `runs/<UTC run id>/`, written in a hidden folder and renamed into place whole.

A run folder appears complete or not at all, and never replaces an earlier run: two runs in
the same second get `-2`, `-3`, … suffixes.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from mojaloop_perf.fsutil import write_json_atomic

RUN_ID = re.compile(r"^[0-9]{8}T[0-9]{6}Z(-[0-9]+)?$")


def run_id_for(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


@dataclass
class RunFolder:
    """A run being written: files go to `work`; `publish` renames it to `runs/<run_id>/`."""

    runs_dir: Path
    run_id: str
    work: Path

    @classmethod
    def start(cls, runs_dir: Path, moment: datetime) -> RunFolder:
        runs_dir.mkdir(parents=True, exist_ok=True)
        run_id = run_id_for(moment)
        work = runs_dir / f".in-progress-{run_id}-{uuid.uuid4().hex[:8]}"
        work.mkdir()
        return cls(runs_dir=runs_dir, run_id=run_id, work=work)

    def publish(self, finalize: Callable[[str], None] = lambda run_id: None) -> Path:
        """Rename the finished folder to the first free `<run_id>[-n]`; return its path.

        `finalize(run_id)` runs once the name is claimed and before the rename, so files that
        carry the run id (summary.json) carry the final one.
        """
        suffix = 1
        while True:
            name = self.run_id if suffix == 1 else f"{self.run_id}-{suffix}"
            final = self.runs_dir / name
            if not final.exists():
                try:
                    # mkdir as a claim: a second writer that picked the same name fails here.
                    final.mkdir()
                except FileExistsError:
                    suffix += 1
                    continue
                self.run_id = name
                try:
                    finalize(name)
                except BaseException:
                    final.rmdir()
                    raise
                os.rename(self.work, final)  # replaces the empty claimed folder in one step
                return final
            suffix += 1

    def discard(self) -> None:
        shutil.rmtree(self.work, ignore_errors=True)


def run_order(run_id: str) -> tuple[str, int]:
    """Sort key of a run id: its time, then its same-second suffix (`…Z-10` after `…Z-9`)."""
    stamp, _, suffix = run_id.partition("-")
    return stamp, int(suffix or 1)


def list_runs(runs_dir: Path) -> list[Path]:
    """Published runs, oldest first."""
    if not runs_dir.is_dir():
        return []
    runs = [p for p in runs_dir.iterdir() if p.is_dir() and RUN_ID.match(p.name)]
    return sorted(runs, key=lambda p: run_order(p.name))


def summary_errors(summary: dict[str, Any]) -> list[str]:
    """What is wrong with a summary.json by the results schema; empty when it is valid."""
    text = resources.files("mojaloop_perf.results").joinpath("summary.schema.json").read_text()
    validator = Draft202012Validator(json.loads(text))
    return [
        f"{'.'.join(str(p) for p in error.absolute_path) or '(top level)'}: {error.message}"
        for error in validator.iter_errors(summary)
    ]


def write_summary(folder: Path, summary: dict[str, Any]) -> None:
    problems = summary_errors(summary)
    if problems:
        raise ValueError(f"summary.json does not match its schema: {problems[0]}")
    write_json_atomic(folder / "summary.json", summary)
