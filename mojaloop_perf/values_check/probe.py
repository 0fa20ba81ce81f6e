"""No silent keys, for one chart: which keys of a values file the chart neither has nor reads.

A values path is known when the chart's coalesced defaults (sub-charts included) have it; below
a default that is an empty map, null or a list (nodeSelector, resources, env maps, …) anything
is known. Any other path counts as read by the templates only if it has an effect: the chart
rendered with that subtree removed, or with its values changed, differs from the render with
every value. A path with no effect is silent: Helm would accept it and change nothing.

Per-instance maps are checked against the map their instances are merged over
(mojaloop/helm mojaloop-simulator/templates/deployment.yaml: `simulators.<id>.*` over
`defaults.*`). Paths that the available chart cannot show (a closest version standing in for
the pinned one, or a sub-chart missing from the chart folder) are reported as not checked; an
exempt path is also left out of every render, so that a value shaped for the pinned version (a
Secret reference the older chart would take for a missing inline key) cannot fail the render of
the rest.
"""

from __future__ import annotations

import copy
import difflib
import functools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from mojaloop_perf.errors import UserError
from mojaloop_perf.helm_chart import NOTES, helm_module
from mojaloop_perf.scenario.load import deep_merge

# Per-instance map → the map each instance is merged over, in the same chart.
INSTANCE_MAPS = {"simulators": "defaults"}


@dataclass
class Check:
    """What one release's values do in its chart."""

    silent: list[str] = field(default_factory=list)  # dotted paths no template reads
    not_checked: dict[str, str] = field(default_factory=dict)  # dotted path → why
    refused: str | None = None  # the chart's error for these values, if it refuses them


def silent_keys(
    chart_dir: Path,
    values: Mapping[str, Any],
    *,
    release: str,
    namespace: str,
    exempt: Mapping[str, str] | None = None,
) -> Check:
    """The dotted paths of `values` that the chart neither has nor reads; exempt paths noted."""
    loaded = _load(str(Path(chart_dir).resolve()))
    result = Check()
    skipped = {**loaded.absent, **(exempt or {})}
    prober = _Prober(loaded, _pruned(values, exempt or {}), release, namespace)
    try:
        prober.baseline()  # Helm's render checks values.schema.json too
        _walk(values, loaded.defaults, (), prober, skipped, result)
    except _Refused as refused:
        result.refused = str(refused)
    return result


# --- the chart side: defaults, absent sub-charts, renders -------------------------------------


# (chart folder, values and path with the release's names neutral) → whether the path has effect
_EFFECTS: dict[tuple[str, str, str], bool] = {}


class _Refused(Exception):
    """The chart refuses the values as rendered (schema or template error)."""


@dataclass(frozen=True)
class _Loaded:
    chart_dir: str
    chart: Any  # helm_python.Chart, kept open for the life of the process
    defaults: dict[str, Any]
    absent: dict[str, str]  # values prefix of a sub-chart missing from charts/ → reason
    forced: dict[str, Any]  # those sub-charts' conditions, set false in every render


@functools.cache
def _load(chart_dir: str) -> _Loaded:
    helm = helm_module()
    try:
        chart = helm.Chart.load(chart_dir)
        defaults = chart.merge_values(None)
    except helm.HelmError as error:
        raise UserError(f"{chart_dir}: not a loadable chart: {_one_line(error)}") from error
    declared = chart.metadata.get("dependencies") or []
    present = {d.get("name") for d in chart.dependencies}
    absent: dict[str, str] = {}
    forced: dict[str, Any] = {}
    for dep in declared:
        prefix = dep.get("alias") or dep["name"]
        if dep["name"] not in present:
            absent[prefix] = (
                f"sub-chart {dep['name']} {dep.get('version', '')} is not in the folder"
            )
            for condition in (dep.get("condition") or "").split(","):
                if condition.strip():
                    forced = deep_merge(forced, _nested(condition.strip().split("."), False))
        elif dep.get("alias") and isinstance(defaults.get(dep["name"]), dict):
            # Coalescing leaves an alias with only what the parent sets; its chart's defaults
            # are under the chart's name.
            defaults[prefix] = deep_merge(defaults[dep["name"]], defaults.get(prefix) or {})
    return _Loaded(chart_dir, chart, defaults, absent, forced)


class _Prober:
    """Renders of one release's values, compared with the render of all of them."""

    def __init__(
        self, loaded: _Loaded, values: Mapping[str, Any], release: str, namespace: str
    ) -> None:
        self.loaded, self.values = loaded, copy.deepcopy(dict(values))
        self.release, self.namespace = release, namespace
        self._base: dict[str, str] | None = None
        self._volatile: dict[str, set[str]] | None = None
        names = {release, namespace, *_instance_ids(self.values)}
        self._names = sorted(names, key=len, reverse=True)

    def baseline(self) -> dict[str, str]:
        if self._base is None:
            rendered = self._render(self.values)
            if isinstance(rendered, str):
                raise _Refused(rendered)
            self._base = rendered
        return self._base

    def has_effect(self, path: tuple[str, ...]) -> bool:
        """Whether removing, or else changing, the subtree at `path` changes the render."""
        # Releases whose values differ only in their names (one per DFSP) probe alike.
        key = (self.loaded.chart_dir, self._neutral(self.values), self._neutral(path))
        if key not in _EFFECTS:
            _EFFECTS[key] = self._differs(_without(self.values, path)) or self._differs(
                _replaced(self.values, path, _changed(_at(self.values, path)))
            )
        return _EFFECTS[key]

    def _neutral(self, data: Any) -> str:
        """`data` as JSON with the release's own names (release, namespace, instance ids)
        replaced by placeholders."""
        text = json.dumps(data, sort_keys=True)
        for n, name in enumerate(self._names):
            text = text.replace(name, f"<{n}>")
        return text

    def _differs(self, values: dict[str, Any]) -> bool:
        probe = self._render(values)
        if isinstance(probe, str):  # the chart fails on it: the key is read
            return True
        base, volatile = self.baseline(), self._volatile_lines()
        if probe.keys() != base.keys():
            return True
        for template, text in probe.items():
            masks = volatile.get(template, set())
            ours, theirs = _masked(text, masks), _masked(base[template], masks)
            if ours != theirs and _objects(ours) != _objects(theirs):
                return True
        return False

    def _volatile_lines(self) -> dict[str, set[str]]:
        """Per template, the line keys whose values change from one render to the next
        (generated secrets and their checksums)."""
        if self._volatile is None:
            again = self._render(self.values)
            base = self.baseline()
            self._volatile = {}
            if isinstance(again, dict):
                for template, text in base.items():
                    if again.get(template, text) != text:
                        self._volatile[template] = _changed_keys(text, again[template])
        return self._volatile

    def _render(self, values: dict[str, Any]) -> dict[str, str] | str:
        """The manifests by template (NOTES left out), or the chart's error as one line."""
        helm = helm_module()
        try:
            manifests = self.loaded.chart.render(
                values=deep_merge(values, self.loaded.forced),
                name=self.release,
                namespace=self.namespace,
                is_install=True,
            )
        except helm.HelmError as error:
            return _one_line(error)
        return {k: v for k, v in manifests.items() if Path(k).name != NOTES}


# --- the walk ---------------------------------------------------------------------------------


def _walk(
    values: Mapping[str, Any],
    defaults: Any,
    path: tuple[str, ...],
    prober: _Prober,
    skipped: Mapping[str, str],
    result: Check,
) -> None:
    for key, value in values.items():
        here = (*path, key)
        dotted = ".".join(here)
        if dotted in skipped:
            result.not_checked[dotted] = skipped[dotted]
            continue
        known = isinstance(defaults, dict) and key in defaults
        default = defaults[key] if known else None
        base = INSTANCE_MAPS.get(key)
        if known and base and isinstance(defaults.get(base), dict) and isinstance(value, dict):
            for instance, settings in value.items():
                if isinstance(settings, dict):
                    _walk(settings, defaults[base], (*here, instance), prober, skipped, result)
                elif not prober.has_effect((*here, instance)):
                    result.silent.append(f"{dotted}.{instance}")
            continue
        if known:
            if isinstance(value, dict) and isinstance(default, dict) and default:
                _walk(value, default, here, prober, skipped, result)
            continue  # a known leaf, or free-form below (an empty map, null or a list)
        if not prober.has_effect(here):
            result.silent.append(dotted)
        elif isinstance(value, dict):
            _walk(value, None, here, prober, skipped, result)


# --- helpers ----------------------------------------------------------------------------------


def _instance_ids(values: Any) -> set[str]:
    """The keys of every per-instance map (INSTANCE_MAPS) in `values`."""
    found: set[str] = set()
    if isinstance(values, dict):
        for key, value in values.items():
            if key in INSTANCE_MAPS and isinstance(value, dict):
                found.update(value)
            found |= _instance_ids(value)
    return found


def _nested(keys: Sequence[str], leaf: Any) -> dict[str, Any]:
    return {keys[0]: _nested(keys[1:], leaf) if len(keys) > 1 else leaf}


def _at(values: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    node: Any = values
    for key in path:
        node = node[key]
    return node


def _pruned(values: Mapping[str, Any], exempt: Mapping[str, str]) -> dict[str, Any]:
    """`values` without the exempt dotted paths (those absent are ignored)."""
    copied = copy.deepcopy(dict(values))
    for dotted in exempt:
        *parents, leaf = dotted.split(".")
        node: Any = copied
        for key in parents:
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, dict):
            node.pop(leaf, None)
    return copied


def _without(values: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any]:
    copied = copy.deepcopy(values)
    del _at(copied, path[:-1])[path[-1]]
    return copied


def _replaced(values: dict[str, Any], path: tuple[str, ...], new: Any) -> dict[str, Any]:
    copied = copy.deepcopy(values)
    _at(copied, path[:-1])[path[-1]] = new
    return copied


def _changed(value: Any) -> Any:
    """A value of the same shape with every leaf different."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        return value + 1
    if isinstance(value, str):
        return f"{value}-changed"
    if isinstance(value, dict):
        return {k: _changed(v) for k, v in value.items()} or {"changed": "changed"}
    if isinstance(value, list):
        return [_changed(v) for v in value] or ["changed"]
    return "changed"  # null


def _line_key(line: str) -> str:
    """`  key: value` → `  key:`; a line with no key is keyed by its indentation."""
    if ": " in line:
        return line.split(": ", 1)[0] + ":"
    return line[: len(line) - len(line.lstrip())] + "…"


def _changed_keys(first: str, second: str) -> set[str]:
    a, b = first.splitlines(), second.splitlines()
    keys: set[str] = set()
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag != "equal":
            keys.update(_line_key(line) for line in a[i1:i2] + b[j1:j2])
    return keys


def _masked(text: str, keys: set[str]) -> str:
    if not keys:
        return text
    return "\n".join(
        _line_key(line) if _line_key(line) in keys else line for line in text.splitlines()
    )


def _objects(text: str) -> list[Any]:
    try:
        return [doc for doc in yaml.safe_load_all(text) if doc is not None]
    except yaml.YAMLError:
        return [text]


def _one_line(error: object) -> str:
    return " ".join(str(error).split())
