"""What every stage gets: the checkout, the validated scenario, the target, the runner."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mojaloop_perf.project import Project
from mojaloop_perf.runner import Echo, Runner
from mojaloop_perf.scenario.model import Scenario
from mojaloop_perf.state import RunState

STAGES = ("provision", "deploy", "seed", "test", "destroy")


@dataclass
class StageContext:
    project: Project
    scenario: Scenario
    target: str
    runner: Runner
    echo: Echo
    # --yes: the user agreed to stages that cost money or delete things (aws apply, destroy).
    assume_yes: bool = False
    # --force: redo work a stamp says is done (aws deploy: reinstall unchanged releases).
    force: bool = False

    @property
    def state_dir(self) -> Path:
        return self.project.state_dir(self.scenario.name, self.target)

    @property
    def state(self) -> RunState:
        return RunState(self.state_dir)

    @property
    def dry_run(self) -> bool:
        return self.runner.dry_run

    def invoke_hint(self, stage: str, extra: str = "") -> str:
        """The command that runs `stage` for this scenario and target, for messages."""
        args = f"invoke {stage}"
        if self.scenario.name != "local":
            args += f" --scenario {self.scenario.name}"
        if self.target != "local":
            args += f" --target {self.target}"
        return f"`{args}{' ' + extra if extra else ''}`"
