"""The run-state folder of one scenario on one target: rendered inputs, logs and stage stamps.

`.workspace/<scenario>/<target>/state.json` records which stages are done and with what
(config digest, lab PID, when), so that a stage can tell "already done, nothing changed"
from "needs work", and a later stage can refuse to run before the one it needs.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mojaloop_perf.fsutil import read_json, write_json_atomic


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


class RunState:
    """Stage stamps in `<directory>/state.json`, written atomically."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.file = directory / "state.json"

    def read(self) -> dict[str, Any]:
        if not self.file.exists():
            return {}
        return read_json(self.file)

    def get(self, stage: str) -> dict[str, Any] | None:
        return self.read().get(stage)

    def mark(self, stage: str, **info: Any) -> None:
        state = self.read()
        state[stage] = {"at": utc_now(), **info}
        write_json_atomic(self.file, state)

    def clear(self, *stages: str) -> None:
        state = self.read()
        if any(stage in state for stage in stages):
            for stage in stages:
                state.pop(stage, None)
            write_json_atomic(self.file, state)
