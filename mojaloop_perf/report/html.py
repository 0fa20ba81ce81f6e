"""report.html: one self-contained page (inline CSS, PNGs as data: URIs, no script, no URL to
fetch), readable offline and from an archive.

Every value from the run's files goes through `html.escape`; the page links nothing outside
itself.
"""

from __future__ import annotations

import base64
import json
from html import escape
from typing import Any

from mojaloop_perf.report.analysis import PairRow
from mojaloop_perf.report.data import SERIES_PHASES, RunData
from mojaloop_perf.report.plots import Plot

# Lets `write_report` tell its own report.html from another tool's file of that name.
GENERATOR = "mojaloop-perf report"

CSS = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 72em; color: #222; }
h1 { margin-bottom: 0.2em; } h2 { border-bottom: 1px solid #ccc; margin-top: 1.6em; }
table { border-collapse: collapse; margin: 0.6em 0; font-size: 0.92em; }
th, td { border: 1px solid #ddd; padding: 0.25em 0.6em; text-align: right; }
th { background: #f4f4f4; } td.l, th.l { text-align: left; }
.passed { color: #1a7f37; font-weight: bold; } .failed { color: #cf222e; font-weight: bold; }
.note { color: #555; font-style: italic; }
figure { margin: 1em 0; } figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { color: #555; font-size: 0.9em; }
pre { background: #f6f8fa; padding: 0.6em; overflow-x: auto; font-size: 0.85em; }
"""


def render(
    data: RunData,
    plots: list[Plot],
    missing: list[str],
    pairs: list[PairRow] | None,
    failures: list[tuple[str, str, int]] | None = None,
) -> str:
    """The whole page; `pairs` and `failures` None: no per-transaction data (left out)."""
    summary = data.summary
    status = str(summary.get("status", "unknown"))
    title = f"{summary.get('scenario', '?')} — run {summary.get('run_id') or data.run_dir.name}"
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta name="generator" content="{GENERATOR}">',
        f"<title>{escape(title)}</title><style>{CSS}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
        f'<p>Status: <span class="{_status_class(status)}">{escape(status.upper())}</span>'
        f" · target {escape(str(summary.get('target', '?')))}"
        f" · {escape(str(summary.get('started_at', '?')))} → "
        f"{escape(str(summary.get('finished_at', '?')))}</p>",
        *(f'<p class="note">{escape(note)}</p>' for note in data.notes),
        _verdict(summary),
        _figures(summary),
        "<h2>Over time</h2>",
        _timing_note(data),
        *(_figure(plot) for plot in plots),
        *(f'<p class="note">{escape(line)}</p>' for line in missing),
        _failures(summary, failures),
        _pairs(pairs),
        _provenance(summary),
        "</body></html>",
    ]
    return "\n".join(part for part in parts if part) + "\n"


def _verdict(summary: dict[str, Any]) -> str:
    verdict = summary.get("verdict")
    if not isinstance(verdict, dict):
        return '<h2>Verdict</h2><p class="note">This summary.json has no verdict (schema 1).</p>'
    checks = verdict.get("checks", [])
    rows = "".join(
        f'<tr><td class="l">{escape(str(c.get("name")))}</td>'
        f'<td class="l {"passed" if c.get("ok") else "failed"}">'
        f"{'ok' if c.get('ok') else 'FAILED'}</td>"
        f'<td class="l">{escape(str(c.get("detail", "")))}</td></tr>'
        for c in checks
    )
    gate = [c for c in checks if str(c.get("name", "")).startswith("validity")]
    if gate:
        gate_line = "Validity gate: " + "; ".join(
            f"{'held' if c.get('ok') else 'FAILED'} — {c.get('detail', '')}" for c in gate
        )
    else:
        gate_line = (
            "Validity gate: not recorded for this run (the gate judges the aws target's "
            "Kafka topic rates)."
        )
    extra = ""
    if "validity" in summary:
        extra = f"<pre>{escape(json.dumps(summary['validity'], indent=2, sort_keys=True))}</pre>"
    return (
        "<h2>Verdict</h2>"
        f'<table><tr><th class="l">check</th><th class="l">result</th>'
        f'<th class="l">detail</th></tr>{rows}</table>'
        f"<p>{escape(gate_line)}</p>{extra}"
    )


def _figures(summary: dict[str, Any]) -> str:
    results = summary.get("results", {})
    load = summary.get("load", {})
    failed = results.get("failed_by_phase", {})
    facts = [
        ("completed", results.get("completed")),
        ("failed", results.get("failed")),
        ("failed by phase", ", ".join(f"{k} {v}" for k, v in failed.items()) or None),
        ("success rate", _pct(results.get("success_rate"))),
        ("achieved TPS", _num(results.get("achieved_tps"))),
        ("target TPS", _num(load.get("target_tps"))),
        ("test run duration (s)", _num(results.get("test_run_duration_s"))),
        ("iterations", results.get("iterations")),
        ("dropped iterations", results.get("dropped_iterations")),
        ("dropped share", _pct(results.get("dropped_share"))),
        ("peak active / allocated VUs", _pair(results, "peak_active_vus", "peak_allocated_vus")),
    ]
    rows = "".join(
        f'<tr><th class="l">{escape(k)}</th><td>{escape(str(v))}</td></tr>'
        for k, v in facts
        if v is not None
    )
    steady = summary.get("steady", {})
    window = (
        f"Steady window: {_num(steady.get('window_s'))} s after {_num(steady.get('warmup_s'))} s "
        f"warm-up, before {_num(steady.get('drain_s'))} s drain: {steady.get('completed')} "
        f"completed, {steady.get('failed')} failed, success {_pct(steady.get('success_rate'))}, "
        f"{_num(steady.get('achieved_tps'))} TPS."
        if steady
        else ""
    )
    return (
        f"<h2>Figures</h2><table>{rows}</table>"
        f"<h3>Latency, whole run (ms)</h3>{_latency(summary.get('latency_ms', {}))}"
        f"<h3>Latency, steady window (ms)</h3><p>{escape(window)}</p>"
        f"{_latency(steady.get('latency_ms', {}))}"
    )


def _latency(latency: dict[str, Any]) -> str:
    head = "".join(f"<th>{q}</th>" for q in ("count", "p50", "p95", "p99", "max"))
    rows = "".join(
        f'<tr><th class="l">{escape(phase)}</th>'
        + "".join(f"<td>{_num(trend.get(q))}</td>" for q in ("count", "p50", "p95", "p99", "max"))
        + "</tr>"
        for phase in SERIES_PHASES
        if isinstance(trend := latency.get(phase), dict)
    )
    return f'<table><tr><th class="l">phase</th>{head}</tr>{rows}</table>' if rows else ""


def _timing_note(data: RunData) -> str:
    if data.seconds is None:
        return ""
    t = data.timing
    return (
        f'<p class="note">Grey bands: the {_num(t.warmup_s)} s warm-up and the {_num(t.drain_s)} s '
        f"drain of a {_num(t.duration_s)} s load at {_num(t.target_tps)} TPS.</p>"
    )


def _figure(plot: Plot) -> str:
    uri = "data:image/png;base64," + base64.b64encode(plot.png).decode("ascii")
    return (
        f'<figure id="{escape(plot.name)}"><img src="{uri}" alt="{escape(plot.title)}">'
        f"<figcaption><b>{escape(plot.title)}.</b> {escape(plot.caption)}</figcaption></figure>"
    )


def _failures(summary: dict[str, Any], failures: list[tuple[str, str, int]] | None) -> str:
    """Failures by phase and error code (per-transaction data), else by phase (summary.json)."""
    if failures is None:
        by_phase = (summary.get("results") or {}).get("failed_by_phase") or {}
        rows = "".join(
            f'<tr><td class="l">{escape(str(phase))}</td><td class="l">—</td><td>{count}</td></tr>'
            for phase, count in by_phase.items()
            if count
        )
        note = "By phase only: no per-transaction data for this run."
    else:
        rows = "".join(
            f'<tr><td class="l">{escape(phase)}</td><td class="l">{escape(code)}</td>'
            f"<td>{count}</td></tr>"
            for phase, code, count in failures
        )
        note = "Every failed transaction of the run, by the phase that failed and its error code."
    if not rows:
        return "<h2>Failures</h2><p>None.</p>"
    return (
        f"<h2>Failures</h2><p>{escape(note)}</p>"
        '<table><tr><th class="l">phase</th><th class="l">error code</th>'
        f"<th>transactions</th></tr>{rows}</table>"
    )


def _pairs(pairs: list[PairRow] | None) -> str:
    if pairs is None:
        return (
            '<h2>Per FSP pair</h2><p class="note">Omitted: no per-transaction data for this run '
            "(raw/transactions.parquet is absent).</p>"
        )
    head = "".join(f"<th>p95 {phase} ms</th>" for phase in SERIES_PHASES)
    rows = "".join(
        f'<tr><td class="l">{escape(p.source)}</td><td class="l">{escape(p.dest)}</td>'
        f"<td>{p.count}</td><td>{p.completed}</td><td>{_pct(p.success_rate)}</td>"
        + "".join(f"<td>{_num(p.p95_ms[phase])}</td>" for phase in SERIES_PHASES)
        + "</tr>"
        for p in pairs
    )
    return (
        "<h2>Per FSP pair</h2><p>All transactions of the run, by payer and payee.</p>"
        f'<table><tr><th class="l">payer</th><th class="l">payee</th><th>started</th>'
        f"<th>completed</th><th>success</th>{head}</tr>{rows}</table>"
    )


def _provenance(summary: dict[str, Any]) -> str:
    sections = ["<h2>Scenario and provenance</h2>"]
    for key in ("provenance", "load", "thresholds", "prometheus"):
        if key in summary:
            sections.append(f"<h3>{escape(key)}</h3>{_kv(summary[key])}")
    deployed = summary.get("deployed")
    if isinstance(deployed, dict):
        releases = deployed.get("releases", [])
        columns = ("cluster", "release", "namespace", "chart", "app_version", "status")
        rows = "".join(
            "<tr>"
            + "".join(f'<td class="l">{escape(str(r.get(c)))}</td>' for c in columns)
            + "</tr>"
            for r in releases
        )
        head = "".join(f'<th class="l">{c}</th>' for c in columns)
        sections.append(
            f"<h3>deployed</h3><p>scenario digest {escape(str(deployed.get('scenario_digest')))}, "
            f"deployed at {escape(str(deployed.get('deployed_at')))}</p>"
            f"<table><tr>{head}</tr>{rows}</table>"
            f"<pre>{escape(json.dumps(deployed.get('images', []), indent=2, sort_keys=True))}</pre>"
        )
    return "".join(sections)


def _kv(value: Any) -> str:
    if not isinstance(value, dict):
        return f"<pre>{escape(json.dumps(value, indent=2, sort_keys=True))}</pre>"
    rows = "".join(
        f'<tr><th class="l">{escape(str(k))}</th><td class="l">'
        f"{escape(v if isinstance(v, str) else json.dumps(v, sort_keys=True))}</td></tr>"
        for k, v in value.items()
    )
    return f"<table>{rows}</table>"


def _status_class(status: str) -> str:
    return "passed" if status == "passed" else "failed"


def _num(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:,.3f}".rstrip("0").rstrip(".") if abs(value) < 1000 else f"{value:,.1f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def _pct(value: Any) -> str | None:
    return None if value is None else f"{value * 100:.3f} %"


def _pair(results: dict[str, Any], a: str, b: str) -> str | None:
    if a not in results:
        return None
    return f"{results[a]} / {results.get(b)}"
