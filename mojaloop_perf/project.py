"""Where things live in a workspace checkout: scenarios, run state, the k6 script, defaults."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Project:
    """A workspace checkout rooted at `root` (the folder holding tasks.py)."""

    root: Path

    @property
    def scenarios_dir(self) -> Path:
        return self.root / "performance-tests" / "results"

    @property
    def state_root(self) -> Path:
        return self.root / ".workspace"

    @property
    def k6_script(self) -> Path:
        return (
            self.root
            / "performance-tests"
            / "src"
            / "mojaloop-k6-operator"
            / "scripts"
            / "tests.js"
        )

    def scenario_dir(self, scenario: str) -> Path:
        return self.scenarios_dir / scenario

    def runs_dir(self, scenario: str) -> Path:
        return self.scenario_dir(scenario) / "runs"

    def state_dir(self, scenario: str, target: str) -> Path:
        return self.state_root / scenario / target

    def relative(self, path: Path) -> str:
        """`path` relative to the checkout when inside it, for messages a user can paste."""
        try:
            return str(path.resolve().relative_to(self.root.resolve()))
        except ValueError:
            return str(path)
