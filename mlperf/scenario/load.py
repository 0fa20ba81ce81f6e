"""Load a scenario: read defaults and overrides, merge them, validate, and decode.

A scenario is the folder `performance-tests/results/<name>/`; its `overrides/<component>.yaml`
files merge onto each component's defaults (mappings merge key by key, lists are replaced
whole). The merged config is checked against the component's JSON Schema and then by the
semantic checks; any problem is a `UserError` naming the file and the key path.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match

from mlperf.errors import UserError
from mlperf.project import Project
from mlperf.scenario import checks
from mlperf.scenario.components import COMPONENTS, schema
from mlperf.scenario.model import Scenario, build

SCENARIO_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


def scenario_names(project: Project) -> list[str]:
    """The scenarios in the checkout: folders under results/ that hold an overrides/ folder."""
    root = project.scenarios_dir
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / "overrides").is_dir())


def load_scenario(project: Project, name: str) -> Scenario:
    """Load, merge, validate and decode scenario `name`, or raise one clear `UserError`."""
    if not SCENARIO_NAME.match(name):
        raise UserError(
            f"--scenario: {name!r} is not a scenario name "
            "(lower-case letters, digits, '.', '_' and '-')"
        )
    directory = project.scenario_dir(name)
    overrides_dir = directory / "overrides"
    if not overrides_dir.is_dir():
        known = ", ".join(scenario_names(project)) or "none"
        raise UserError(
            f"--scenario: unknown scenario {name!r}: no folder "
            f"{project.relative(overrides_dir)}/ (known: {known})"
        )
    for path in sorted(overrides_dir.iterdir()):
        if path.suffix in {".yaml", ".yml"} and path.stem not in COMPONENTS:
            raise UserError(
                f"{project.relative(path)}: unknown component {path.stem!r} "
                f"(components: {', '.join(COMPONENTS)})"
            )

    merged: dict[str, Any] = {}
    sources: list[Path] = []
    for component in COMPONENTS.values():
        defaults_path = project.root / component.defaults
        defaults = _read_mapping(project, defaults_path)
        sources.append(defaults_path)
        override_path = overrides_dir / f"{component.name}.yaml"
        overrides: dict[str, Any] = {}
        if override_path.exists():
            overrides = _read_mapping(project, override_path)
            sources.append(override_path)
        config = deep_merge(defaults, overrides)
        _validate(project, component.name, config, overrides, defaults_path, override_path)
        merged[component.name] = config

    for problem in checks.errors(merged):
        path = overrides_dir / f"{problem.component}.yaml"
        if not path.exists():
            path = project.root / COMPONENTS[problem.component].defaults
        raise UserError(f"{project.relative(path)}: {problem.key_path}: {problem.message}")
    return build(name, directory, merged, tuple(sources))


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


def _validate(
    project: Project,
    component: str,
    config: dict[str, Any],
    overrides: Mapping[str, Any],
    defaults_path: Path,
    override_path: Path,
) -> None:
    error = best_match(Draft202012Validator(schema(component)).iter_errors(config))
    if error is None:
        return
    path, message = describe(error)
    from_override = _has_path(overrides, path) or (
        len(path) > 1 and _has_path(overrides, path[:-1])
    )
    source = override_path if from_override else defaults_path
    raise UserError(f"{project.relative(source)}: {format_key_path(path)}: {message}")


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
    """Whether the override mapping itself sets (a prefix of) `path`."""
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
