"""Load a scenario: resolve `extends`, merge layers, validate by schema and checks, decode.

A scenario is the folder `performance-tests/results/<name>/` with `overrides/<component>.yaml`
files and an optional `scenario.yaml` (`description`, `extends`). Each component's config is
its defaults, then the overrides of every scenario up the `extends` chain (the farthest
first), then the scenario's own: mappings merge key by key, anything else (lists included)
replaces. The result is checked against the component's JSON Schema, then by the semantic
checks; a problem names the file to fix and the key path.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match

from mojaloop_perf.errors import UserError
from mojaloop_perf.project import Project
from mojaloop_perf.scenario import checks
from mojaloop_perf.scenario.components import COMPONENTS, schema
from mojaloop_perf.scenario.model import Scenario, build

SCENARIO_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
SCENARIO_FILE = "scenario.yaml"


@dataclass(frozen=True)
class Layer:
    """One file's contribution to a component: the file and what it sets."""

    path: Path
    data: dict[str, Any]


@dataclass(frozen=True)
class Finding:
    """A semantic check's outcome, located in the file a contributor would edit."""

    check: str
    level: str  # ok | warning | error
    where: str  # file: key path
    message: str


@dataclass(frozen=True)
class Evaluation:
    """A schema-valid scenario and every semantic check's finding on it."""

    scenario: Scenario
    findings: tuple[Finding, ...]

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "warning"]


def scenario_names(project: Project) -> list[str]:
    """The scenarios in the checkout: folders under results/ that hold an overrides/ folder."""
    root = project.scenarios_dir
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / "overrides").is_dir())


def load_scenario(project: Project, name: str, target: str | None = None) -> Scenario:
    """Load and validate scenario `name` (with `target`'s own checks too, when given); the
    first error found is one clear `UserError`."""
    evaluation = evaluate(project, name, target)
    for finding in evaluation.errors:
        raise UserError(f"{finding.where}: {finding.message}")
    return evaluation.scenario


def evaluate(project: Project, name: str, target: str | None = None) -> Evaluation:
    """Load scenario `name` and run every semantic check (with `target`'s own checks too, when
    given: a scenario may be valid on one target and not on the other); schema problems raise
    `UserError`."""
    chain, description = _extends_chain(project, name)
    merged: dict[str, Any] = {}
    layers: dict[str, list[Layer]] = {}
    sources: list[Path] = []
    for component in COMPONENTS.values():
        defaults = project.root / component.defaults
        stack = [Layer(defaults, _read_mapping(project, defaults))]
        for scenario in chain:
            path = project.scenario_dir(scenario) / "overrides" / f"{component.name}.yaml"
            if path.exists():
                stack.append(Layer(path, _read_mapping(project, path)))
        config: dict[str, Any] = {}
        for layer in stack:
            config = deep_merge(config, layer.data)
        _validate(project, component.name, config, stack)
        merged[component.name] = config
        layers[component.name] = stack
        sources.extend(layer.path for layer in stack)

    # Decoded first: a key the typed model reads and the config lacks is one clear line.
    scenario = build(
        name,
        project.scenario_dir(name),
        merged,
        tuple(sources),
        description=description,
        extends=tuple(chain[:-1]),
    )
    findings = tuple(
        Finding(
            check=result.check,
            level=result.level,
            where=f"{project.relative(_blame(layers[result.component], result.path))}: "
            f"{format_key_path(result.path)}",
            message=result.message,
        )
        for result in checks.run(merged, target)
    )
    return Evaluation(scenario, findings)


def _extends_chain(project: Project, name: str) -> tuple[list[str], str]:
    """[farthest ancestor, …, name] along `extends`, and the scenario's own description."""
    chain: list[str] = []
    description = ""
    current: str | None = name
    referrer: str | None = None
    while current is not None:
        where = (
            f"{project.relative(project.scenario_dir(referrer) / SCENARIO_FILE)}: extends: "
            if referrer
            else ""
        )
        if not SCENARIO_NAME.match(current):
            raise UserError(
                f"{where or '--scenario: '}{current!r} is not a scenario name "
                "(lower-case letters, digits, '.', '_' and '-')"
            )
        if current in chain:
            cycle = " → ".join([*chain[chain.index(current) :], current])
            raise UserError(f"{where}cycle in extends: {cycle}")
        overrides = project.scenario_dir(current) / "overrides"
        if not overrides.is_dir():
            known = ", ".join(scenario_names(project)) or "none"
            prefix = where or "--scenario: "
            raise UserError(
                f"{prefix}unknown scenario {current!r}: no folder "
                f"{project.relative(overrides)}/ (known: {known})"
            )
        _check_component_files(project, overrides)
        meta = _scenario_meta(project, current)
        if current == name:
            description = meta.get("description", "")
        chain.append(current)
        referrer, current = current, meta.get("extends")
    return list(reversed(chain)), description


def _scenario_meta(project: Project, name: str) -> dict[str, Any]:
    path = project.scenario_dir(name) / SCENARIO_FILE
    if not path.exists():
        return {}
    meta = _read_mapping(project, path)
    _validate(project, "scenario", meta, [Layer(path, meta)])
    return meta


def _check_component_files(project: Project, overrides: Path) -> None:
    for path in sorted(overrides.iterdir()):
        if path.suffix in {".yaml", ".yml"} and path.stem not in COMPONENTS:
            raise UserError(
                f"{project.relative(path)}: unknown component {path.stem!r} "
                f"(components: {', '.join(COMPONENTS)})"
            )


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """`override` onto `base`: mappings merge recursively, anything else replaces."""
    result = copy.deepcopy(dict(base))
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(result.get(key), Mapping):
            result[key] = deep_merge(result[key], value)
        else:
            result[key] = copy.deepcopy(value)
    return result


def _read_mapping(project: Project, path: Path) -> dict[str, Any]:
    where = project.relative(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise UserError(f"{where}: file not found") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"{where}: cannot read: {exc}") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        at = f":{mark.line + 1}:{mark.column + 1}" if mark is not None else ""
        raise UserError(f"{where}{at}: YAML syntax error: {exc.problem}") from exc
    except yaml.YAMLError as exc:
        raise UserError(f"{where}: YAML error: {exc}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise UserError(
            f"{where}: expected a mapping of keys at the top level, found {_kind(data)}"
        )
    return data


def _validate(project: Project, component: str, config: dict[str, Any], stack: list[Layer]) -> None:
    error = best_match(Draft202012Validator(schema(component)).iter_errors(config))
    if error is None:
        return
    path, message = describe(error)
    raise UserError(f"{project.relative(_blame(stack, path))}: {format_key_path(path)}: {message}")


def _blame(stack: list[Layer], path: list[Any]) -> Path:
    """The file to fix for `path`: the last layer setting it (or its parent), else the defaults."""
    for layer in reversed(stack):
        if _has_path(layer.data, path) or (len(path) > 1 and _has_path(layer.data, path[:-1])):
            return layer.path
    return stack[0].path


def describe(error: ValidationError) -> tuple[list[Any], str]:
    """The key path of a schema error (down to the offending key) and a short message."""
    path = list(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = set(error.schema.get("properties", {}))
        unknown = sorted(k for k in error.instance if k not in allowed)
        if unknown:
            return [*path, unknown[0]], f"unknown key (allowed: {', '.join(sorted(allowed))})"
    if error.validator == "required":
        missing = re.search(r"'([^']+)' is a required property", error.message)
        if missing:
            return [*path, missing.group(1)], "required key is missing"
    return path, error.message


def format_key_path(path: list[Any]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _has_path(data: Any, path: list[Any]) -> bool:
    """Whether `data` itself sets `path` (every step present)."""
    node = data
    for part in path:
        if (isinstance(node, Mapping) and part in node) or (
            isinstance(node, list) and isinstance(part, int) and part < len(node)
        ):
            node = node[part]
        else:
            return False
    return bool(path)


def _kind(value: Any) -> str:
    return {list: "a list", str: "a string", int: "a number", float: "a number"}.get(
        type(value), type(value).__name__
    )
