"""The report's plots as PNG bytes (matplotlib, Agg backend: no display needed).

Each plot is a function of the run's data that returns a `Plot`, or None when the run lacks
what it needs (the report then says so in one line). Time is seconds since the load started;
the warm-up and the drain are shaded where they apply.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")  # before pyplot: never look for a display

import matplotlib.pyplot as plt
import matplotlib.ticker
import numpy as np

from mojaloop_perf.report import analysis
from mojaloop_perf.report.data import SERIES_PHASES, RunData

WIDTH, DPI = 10.0, 100
COLOURS = {"discovery": "#1f77b4", "quote": "#ff7f0e", "transfer": "#2ca02c", "e2e": "#444444"}


@dataclass(frozen=True)
class Plot:
    """One PNG: its file name under `report/`, a title and what it shows."""

    name: str
    title: str
    caption: str
    png: bytes


def render(data: RunData) -> tuple[list[Plot], list[str]]:
    """Every plot the run's data allows, and one line for each it does not."""
    plots, missing = [], []
    makers: list[tuple[str, Callable[[RunData], Plot | None]]] = [
        ("Throughput over time", throughput),
        ("Latency percentiles over time", percentiles),
        ("Latency distribution", distribution),
        ("Failures over time", failures),
        ("Load generator: VUs and dropped iterations", load_generator),
    ]
    for title, make in makers:
        plot = make(data)
        if plot is None:
            missing.append(f"{title}: not available for this run ({_why(data, make)}).")
        else:
            plots.append(plot)
    return plots, missing


def throughput(data: RunData) -> Plot | None:
    if data.seconds is None:
        return None
    e2e, axis = data.seconds["e2e"], data.axis
    fig, ax = plt.subplots(figsize=(WIDTH, 3.6))
    ax.axhline(data.timing.target_tps, color="#d62728", linestyle="--", label="target TPS")
    if not np.all(np.isnan(e2e["started"])):
        ax.plot(axis, e2e["started"], color="#9467bd", linewidth=0.8, label="started / s")
    ax.plot(axis, e2e["completed"], color=COLOURS["e2e"], linewidth=1.0, label="completed / s")
    _shade(ax, data)
    ax.set(xlabel="seconds since the load started", ylabel="transactions / s")
    ax.set_ylim(bottom=0)
    ax.legend(loc="lower center", ncol=4, fontsize="small")
    return _finish(
        fig,
        "throughput",
        "Throughput over time",
        "Target rate against transactions started and completed per second (each counted in "
        "the second it started).",
    )


def percentiles(data: RunData) -> Plot | None:
    if data.seconds is None:
        return None
    fig, axes = plt.subplots(4, 1, figsize=(WIDTH, 9), sharex=True)
    for ax, phase in zip(axes, SERIES_PHASES, strict=True):
        series = data.seconds[phase]
        for column, style in (("p50_ms", ":"), ("p95_ms", "--"), ("p99_ms", "-")):
            ax.plot(
                data.axis,
                series[column],
                linestyle=style,
                linewidth=0.9,
                color=COLOURS[phase],
                label=column.removesuffix("_ms"),
            )
        _shade(ax, data)
        ax.set_ylabel(f"{phase} ms")
        if np.nanmax(np.r_[series["p99_ms"], 0]) > 0:
            ax.set_yscale("log")
            plain = matplotlib.ticker.FuncFormatter(lambda value, _: f"{value:g}")
            ax.yaxis.set_major_formatter(plain)
            ax.yaxis.set_minor_formatter(plain)
        ax.legend(loc="upper right", ncol=3, fontsize="small")
    axes[-1].set_xlabel("seconds since the load started")
    return _finish(
        fig,
        "percentiles",
        "Latency percentiles over time",
        "p50, p95 and p99 of each phase and end to end, per second of start (log scale).",
    )


def distribution(data: RunData) -> Plot | None:
    if data.transactions is None:
        return None
    values = analysis.latencies(data.transactions)
    positive = np.concatenate([v[v > 0] for v in values.values()])
    if not len(positive):
        return None
    low, high = float(positive.min()), float(positive.max())
    bins = np.logspace(np.log10(low), np.log10(high * 1.0001 if high > low else low * 2), 120)
    fig, (hist, cdf) = plt.subplots(1, 2, figsize=(WIDTH, 4))
    for phase, v in values.items():
        if not len(v):
            continue
        counts, edges = np.histogram(v, bins=bins)
        hist.stairs(counts, edges, color=COLOURS[phase], label=phase)
        cumulative = np.cumsum(counts) / len(v)
        cdf.step(edges[1:], cumulative, where="post", color=COLOURS[phase], label=phase)
    for ax in (hist, cdf):
        ax.set_xscale("log")
        ax.set_xlabel("ms (log scale)")
        ax.legend(fontsize="small")
    hist.set_ylabel("transactions")
    cdf.set_ylabel("share at or below")
    for q in (0.5, 0.95, 0.99):
        cdf.axhline(q, color="#bbbbbb", linewidth=0.6)
    return _finish(
        fig,
        "distribution",
        "Latency distribution",
        "Histogram and cumulative distribution of every transaction's phase durations and "
        "end-to-end time (grey lines: 50 %, 95 %, 99 %).",
    )


def failures(data: RunData) -> Plot | None:
    length = len(data.axis)
    if data.transactions is not None and data.timing.load_start_ms is not None:
        series = analysis.failures_by_code(data.transactions, data.timing.load_start_ms, length)
        caption = "Failed transactions per second of their start, by failing phase and error code."
    elif data.seconds is not None:
        series = {
            phase: data.seconds[phase]["failed"]
            for phase in SERIES_PHASES[:-1]
            if data.seconds[phase]["failed"].any()
        }
        caption = (
            "Failures per second by phase (no per-transaction data for this run: no error codes)."
        )
    else:
        return None
    fig, ax = plt.subplots(figsize=(WIDTH, 3.6))
    if series:
        width = max(len(v) for v in series.values())
        bottom = np.zeros(width)
        for label, counts in series.items():
            ax.bar(np.arange(width), counts, width=1.0, bottom=bottom, label=label, linewidth=0)
            bottom += counts
        ax.legend(loc="upper right", fontsize="small")
    else:
        ax.text(0.5, 0.5, "no failures", transform=ax.transAxes, ha="center", va="center")
        caption = "No transaction failed."
    _shade(ax, data)
    ax.set(xlabel="seconds since the load started", ylabel="failures / s")
    return _finish(fig, "failures", "Failures over time", caption)


def load_generator(data: RunData) -> Plot | None:
    if data.seconds is None:
        return None
    e2e = data.seconds["e2e"]
    fig, (vus, dropped) = plt.subplots(2, 1, figsize=(WIDTH, 5), sharex=True)
    notes = []
    if np.all(np.isnan(e2e["vus_active"])):
        vus.text(0.5, 0.5, "not recorded", transform=vus.transAxes, ha="center", va="center")
        notes.append("active VUs were not recorded per second")
    else:
        vus.plot(data.axis, e2e["vus_active"], color="#17becf", linewidth=1.0)
    vus.set_ylabel("active VUs")
    if np.all(np.isnan(e2e["dropped"])):
        dropped.text(
            0.5, 0.5, "not recorded", transform=dropped.transAxes, ha="center", va="center"
        )
        notes.append("dropped iterations were not recorded per second")
    else:
        dropped.bar(data.axis, np.nan_to_num(e2e["dropped"]), width=1.0, color="#d62728")
    dropped.set_ylabel("dropped / s")
    dropped.set_xlabel("seconds since the load started")
    for ax in (vus, dropped):
        _shade(ax, data)
    caption = "Active VUs and iterations k6 could not start, per second."
    if notes:
        caption += " Here " + " and ".join(notes) + "; the run's totals are in the figures above."
    return _finish(fig, "load-generator", "Load generator: VUs and dropped iterations", caption)


NAMES = ("throughput", "percentiles", "distribution", "failures", "load-generator")


def _shade(ax: plt.Axes, data: RunData) -> None:
    timing = data.timing
    if timing.warmup_s > 0:
        ax.axvspan(0, timing.warmup_s, color="#999999", alpha=0.15, linewidth=0)
    if timing.drain_s > 0 and timing.duration_s > timing.drain_s:
        end = max(timing.duration_s, len(data.axis))
        ax.axvspan(timing.duration_s - timing.drain_s, end, color="#999999", alpha=0.15, lw=0)
    ax.set_xlim(0, max(len(data.axis), timing.duration_s, 1))
    ax.grid(True, linewidth=0.3)


def _finish(fig: plt.Figure, name: str, title: str, caption: str) -> Plot:
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    plt.close(fig)
    return Plot(name=name, title=title, caption=caption, png=buffer.getvalue())


def _why(data: RunData, make: Callable[[RunData], Plot | None]) -> str:
    if make is distribution:
        if data.transactions is None:
            return "no per-transaction data: raw/transactions.parquet is absent"
        return "no transaction has a measured duration"
    return "no per-second data: raw/seconds.parquet is absent"
