"""No silent keys, for a scenario: every AWS release's rendered values against its real chart.

`check_releases` takes what `render` wrote (the releases list and each release's values) and
checks each release against its upstream chart where it is on this machine
(`mojaloop_perf.upstream_charts`); `render_check` is what `invoke render --target aws` and `provision`
run before they write. `python -m mojaloop_perf.values_check [scenario …]` checks scenarios (default:
every shipped AWS one) and prints one line per release.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mojaloop_perf import render_aws, upstream_charts
from mojaloop_perf.errors import UserError
from mojaloop_perf.project import Project
from mojaloop_perf.scenario.load import load_scenario
from mojaloop_perf.values_check.probe import Check, silent_keys

# The shipped scenarios for the AWS target (performance-tests/results/README.md): phase 1, and
# phase 2's security postures.
AWS_SCENARIOS = (
    "500tps",
    "1000tps",
    "1000tps-replication",
    "2000tps",
    "500tps-plaintext",
    "500tps-mtls-wireguard",
    "500tps-mtls-mesh",
    "500tps-mtls-mesh-iso20022",
)
REQUIRED = "MOJALOOP_PERF_CHARTS_REQUIRED"
RELEASES_FILE = "helm/releases.json"


@dataclass(frozen=True)
class ReleaseCheck:
    """One release of a scenario: its values file, the chart it was checked against, the result."""

    release: str
    values_file: str
    chart: str  # e.g. "mojaloop 16.0.0 (for the pinned 17.1.0)"
    check: Check | None  # None: the chart is not available here

    def line(self) -> str:
        """One line for the release: its findings (or "no silent key") and what was not checked."""
        if self.check is None:
            return f"{self.release}: not checked: chart not available"
        parts = []
        if self.check.refused:
            parts.append(f"the chart refuses these values: {self.check.refused}")
        if self.check.silent:
            parts.append(f"{len(self.check.silent)} silent: {', '.join(self.check.silent)}")
        if not parts:
            parts.append("no silent key")
        by_reason: dict[str, list[str]] = {}
        for path, reason in self.check.not_checked.items():
            by_reason.setdefault(reason, []).append(path)
        parts += [f"not checked, {why}: {', '.join(paths)}" for why, paths in by_reason.items()]
        return f"{self.release}: {self.chart}: {'; '.join(parts)}"

    def failures(self) -> list[str]:
        """One line per silent key (and one for a refusal), naming the values file."""
        if self.check is None:
            return []
        lines = [
            f"{self.values_file}: {path}: not in the values of {self.chart}, read by no template"
            for path in self.check.silent
        ]
        if self.check.refused:
            lines.append(f"{self.values_file}: {self.chart} refuses it: {self.check.refused}")
        return lines


def check_releases(project_root: Path, files: Mapping[str, Any]) -> list[ReleaseCheck]:
    """Every Helm release of a render (`render_aws.render_all`'s files), checked against its chart."""
    checks = []
    for entry in files[RELEASES_FILE]:
        release, chart = entry["release"], entry["chart"]
        if chart.get("repository") is None:  # our own chart, in this checkout
            chart_dir, label, exempt = project_root / chart["name"], chart["name"], {}
        else:
            found = upstream_charts.find(project_root, release, chart.get("version"))
            if found is None:
                checks.append(ReleaseCheck(release, entry["values"], chart["name"], None))
                continue
            chart_dir, label = found.chart_dir, f"{chart['name']} {found.version}"
            if found.closest:
                label += f" (for the pinned {chart.get('version')})"
            exempt = upstream_charts.exemptions(release)
        check = silent_keys(
            chart_dir,
            files[entry["values"]],
            release=release,
            namespace=entry["namespace"],
            exempt=exempt,
        )
        checks.append(ReleaseCheck(release, entry["values"], label, check))
    return checks


def render_check(project: Project, files: Mapping[str, Any]) -> list[str]:
    """Lines to show for a render; UserError, one line per silent key, if any."""
    if not upstream_charts.root(project.root).is_dir():
        return [f"values check: {upstream_charts.missing_line(project.root)}"]
    checks = check_releases(project.root, files)
    failures = [line for check in checks for line in check.failures()]
    if failures:
        raise UserError(
            f"{len(failures)} values key(s) the charts do not read (nothing written):\n"
            + "\n".join(failures)
        )
    notes = [f"values check: {c.line()}" for c in checks if c.check is None or c.check.not_checked]
    checked = sum(1 for c in checks if c.check is not None)
    return [f"values check: no silent key in the {checked} releases whose chart is here", *notes]


def main(argv: Sequence[str] | None = None) -> int:
    """Check scenarios (default: the shipped AWS ones); one line per release; 1 on a finding."""
    parser = argparse.ArgumentParser(
        prog="python -m mojaloop_perf.values_check", description=__doc__
    )
    parser.add_argument("scenarios", nargs="*", default=list(AWS_SCENARIOS))
    args = parser.parse_args(argv)
    project = Project(Path(__file__).resolve().parents[2])
    if not upstream_charts.root(project.root).is_dir():
        print(upstream_charts.missing_line(project.root))
        return 1 if os.environ.get(REQUIRED) else 0
    failed = False
    try:
        for name in args.scenarios:
            files = render_aws.render_all(load_scenario(project, name))
            for check in check_releases(project.root, files):
                print(f"{name}: {check.line()}", flush=True)
                failed = failed or bool(check.failures())
    except UserError as error:
        print(f"values check: {error}", file=sys.stderr)
        return 2
    return 1 if failed else 0
