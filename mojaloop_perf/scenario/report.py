"""The check table `invoke validate` prints for a scenario."""

from __future__ import annotations

from mojaloop_perf.scenario.load import Evaluation

MARKS = {"ok": "ok", "warning": "WARN", "error": "ERROR"}


def table(evaluation: Evaluation) -> list[str]:
    """One header line, then one row per finding: check, status, file and key path, detail."""
    scenario = evaluation.scenario
    chain = f", extends {' → '.join(reversed(scenario.extends))}" if scenario.extends else ""
    lines = [f"scenario {scenario.name}{chain} (digest {scenario.digest})"]
    rows = [(f.check, MARKS[f.level], f.where, f.message) for f in evaluation.findings]
    widths = [max(len(row[i]) for row in rows) for i in range(2)]
    for check, mark, where, message in rows:
        lines.append(f"  {check:<{widths[0]}}  {mark:<{widths[1]}}  {message}")
        if mark != "ok":
            lines.append(f"  {'':<{widths[0]}}  {'':<{widths[1]}}  ↳ {where}")
    errors, warnings = len(evaluation.errors), len(evaluation.warnings)
    lines.append(f"{scenario.name}: {errors} error(s), {warnings} warning(s)")
    return lines
