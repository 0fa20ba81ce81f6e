"""The scenario components: each has a JSON Schema in the package and defaults beside what it configures."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import PurePosixPath
from typing import Any


@dataclass(frozen=True)
class Component:
    """One scenario component: its name, its defaults file (relative to the checkout) and schema."""

    name: str
    defaults: PurePosixPath

    @property
    def schema_file(self) -> str:
        return f"{self.name}.schema.json"


COMPONENTS: dict[str, Component] = {
    component.name: component
    for component in (
        Component("infrastructure", PurePosixPath("infrastructure/defaults/infrastructure.yaml")),
        Component("k6", PurePosixPath("performance-tests/src/defaults/k6.yaml")),
        Component("mojaloop", PurePosixPath("infrastructure/defaults/mojaloop.yaml")),
        Component("backend", PurePosixPath("infrastructure/defaults/backend.yaml")),
        Component("dfsp", PurePosixPath("infrastructure/defaults/dfsp.yaml")),
        Component("monitoring", PurePosixPath("infrastructure/defaults/monitoring.yaml")),
        Component("local", PurePosixPath("infrastructure/defaults/local.yaml")),
        Component("security", PurePosixPath("infrastructure/defaults/security.yaml")),
    )
}


@cache
def schema(name: str) -> dict[str, Any]:
    """The JSON Schema of component `name` (or `scenario`), shipped inside the package."""
    text = (
        resources.files("mojaloop_perf.scenario")
        .joinpath("schemas", f"{name}.schema.json")
        .read_text()
    )
    return json.loads(text)
