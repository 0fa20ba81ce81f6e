"""Chart contract tests render the real upstream charts; they skip, in one line, without them.

The charts are found through `mojaloop_perf.upstream_charts` ($MOJALOOP_PERF_CHARTS, else the
default its `root` names, beside the checkout). The nox `charts` session sets
MOJALOOP_PERF_CHARTS_REQUIRED=1: there a missing folder fails instead of skipping.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from mojaloop_perf import helm_chart, render_aws, upstream_charts
from mojaloop_perf.project import Project
from mojaloop_perf.scenario.load import load_scenario
from mojaloop_perf.scenario.model import Scenario
from mojaloop_perf.values_check import AWS_SCENARIOS

ROOT = Path(__file__).resolve().parents[2]
__all__ = ["AWS_SCENARIOS"]  # the shipped AWS scenarios, for parametrize


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> None:
    if not upstream_charts.root(ROOT).is_dir() and not os.environ.get(
        "MOJALOOP_PERF_CHARTS_REQUIRED"
    ):
        pytest.skip(upstream_charts.missing_line(ROOT))


@pytest.fixture(scope="session")
def project() -> Project:
    return Project(ROOT)


_SCENARIOS: dict[str, Scenario] = {}
_RENDERS: dict[tuple[str, str], list[dict[str, Any]]] = {}


def scenario(name: str) -> Scenario:
    if name not in _SCENARIOS:
        _SCENARIOS[name] = load_scenario(Project(ROOT), name)
    return _SCENARIOS[name]


def release_entry(scenario_name: str, release: str) -> dict[str, Any]:
    """The scenario's release entry (chart, cluster, namespace) as render writes it."""
    return next(
        r for r in render_aws.helm_releases(scenario(scenario_name)) if r["release"] == release
    )


def upstream(scenario_name: str, release: str) -> upstream_charts.Upstream:
    """The release's upstream chart on disk; fails (not skips) when that one chart is absent."""
    entry = release_entry(scenario_name, release)
    found = upstream_charts.find(ROOT, release, entry["chart"].get("version"))
    if found is None:
        pytest.fail(f"{release}: its chart is not under {upstream_charts.root(ROOT)}")
    return found


def rendered(scenario_name: str, release: str) -> list[dict[str, Any]]:
    """The objects Helm's engine renders for the release, with the values `render` writes."""
    key = (scenario_name, release)
    if key not in _RENDERS:
        entry = release_entry(scenario_name, release)
        values = render_aws.helm_values(scenario(scenario_name))[release]
        _RENDERS[key] = helm_chart.render(
            upstream(scenario_name, release).chart_dir,
            values,
            release=release,
            namespace=entry["namespace"],
        )
    return _RENDERS[key]


def workloads(objects: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Deployments, StatefulSets, DaemonSets and Jobs by "Kind/name"."""
    kinds = {"Deployment", "StatefulSet", "DaemonSet", "Job"}
    return {f"{o['kind']}/{o['metadata']['name']}": o for o in objects if o["kind"] in kinds}


def pod_spec(workload: dict[str, Any]) -> dict[str, Any]:
    return workload["spec"]["template"]["spec"]


def container_env(workload: dict[str, Any], container: str) -> dict[str, Any]:
    """A container's env as name → value (valueFrom entries as their dicts)."""
    spec = pod_spec(workload)
    found = next(c for c in spec["containers"] if c["name"] == container)
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in found.get("env", [])}
