"""`invoke scenario-new`: a new scenario folder from an existing one, without its runs."""

from __future__ import annotations

import re
import shutil
import uuid
from pathlib import Path

from mojaloop_perf.errors import UserError
from mojaloop_perf.project import Project
from mojaloop_perf.scenario.load import SCENARIO_NAME, load_scenario, scenario_names

COPIED = ("overrides", "scenario.yaml")


def infrastructure_name(scenario: str) -> str:
    """An AWS name prefix for a scenario, valid for the infrastructure schema."""
    return ("mlperf-" + re.sub(r"[^a-z0-9-]", "-", scenario))[:31].rstrip("-")


def new_scenario(project: Project, name: str, source: str) -> Path:
    """Copy `source`'s overrides and scenario.yaml to a new scenario `name`; return its folder."""
    if not SCENARIO_NAME.match(name):
        raise UserError(
            f"NAME: {name!r} is not a scenario name (lower-case letters, digits, '.', '_' and '-')"
        )
    target = project.scenario_dir(name)
    if target.exists():
        raise UserError(f"scenario {name!r} already exists: {project.relative(target)}/")
    if source not in scenario_names(project):
        known = ", ".join(scenario_names(project)) or "none"
        raise UserError(f"--from: unknown scenario {source!r} (known: {known})")
    load_scenario(project, source)  # copy only what is valid
    origin = project.scenario_dir(source)
    work = project.scenarios_dir / f".new-{name}-{uuid.uuid4().hex[:8]}"
    try:
        work.mkdir(parents=True)
        for part in COPIED:
            if (origin / part).is_dir():
                shutil.copytree(origin / part, work / part)
            elif (origin / part).exists():
                shutil.copy2(origin / part, work / part)
        _rename_infrastructure(work / "overrides" / "infrastructure.yaml", name)
        (work / "README.md").write_text(
            f"# Scenario `{name}`\n\nCreated from [`{source}`](../{source}/README.md) by "
            f"`invoke scenario-new`. Say here what this scenario is for and what it changes.\n"
            # The runs table `python -m mojaloop_perf.results.tables` writes between the markers.
            "\n## Our runs\n\n<!-- mojaloop-perf:runs:start -->\n<!-- mojaloop-perf:runs:end -->\n",
            encoding="utf-8",
        )
        work.rename(target)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    load_scenario(project, name)
    return target


def _rename_infrastructure(path: Path, scenario: str) -> None:
    """Give the copy its own AWS name prefix, so two scenarios never share resources."""
    line = f"name: {infrastructure_name(scenario)}   # AWS name prefix of this scenario"
    if not path.exists():
        path.write_text(line + "\n", encoding="utf-8")
        return
    text = path.read_text(encoding="utf-8")
    replaced, count = re.subn(r"(?m)^name:.*$", line, text)
    path.write_text(replaced if count else text.rstrip("\n") + "\n" + line + "\n", encoding="utf-8")
