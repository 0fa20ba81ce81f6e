"""The validity gate of an AWS run: the switch must have done, message for message, what k6 says.

The published methodology checks a run by Kafka's topic message rates in the steady window:
every transfer is one message on topic-transfer-prepare, one on topic-transfer-fulfil and two on
topic-notification-event (the payee's prepare and the payer's commit notifications), so
fulfil/prepare must be 1.000 and notification/prepare 2.000, each within ±2 %. A lower ratio is
transfers left unfinished; a higher one, retries or messages from something else than the load.

The rates come from the Bitnami Kafka chart's JMX exporter (`metrics.jmx.enabled`; its rule
`kafka.server<type=(.+), name=(.+), topic=(.+)><>(Count|OneMinuteRate)` names the per-topic
message count `kafka_server_brokertopicmetrics_messagesinpersec_count{topic}`), scraped by
kube-prometheus-stack through the chart's ServiceMonitor. kube-prometheus-stack has no Kafka
metrics of its own: without the exporter the gate fails with "no Kafka topic metrics in
Prometheus", never passes.

Besides, k6's completed transactions are compared with the transfers the central ledger
committed, when its database is reachable; when it is not, the check says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mojaloop_perf import prometheus
from mojaloop_perf.results.verdict import Check
from mojaloop_perf.runner import Runner

METRIC = "kafka_server_brokertopicmetrics_messagesinpersec_count"
PREPARE = "topic-transfer-prepare"
# Messages per prepared transfer, by topic.
EXPECTED = {"topic-transfer-fulfil": 1.0, "topic-notification-event": 2.0}
TOLERANCE = 0.02
NO_METRICS = "no Kafka topic metrics in Prometheus"
LABELS = {
    "topic-transfer-fulfil": "fulfil/prepare",
    "topic-notification-event": "notification/prepare",
}


@dataclass(frozen=True)
class Ledger:
    """The transfers the central ledger committed during the run; None with why it is unknown."""

    committed: int | None
    note: str


@dataclass(frozen=True)
class Topics:
    """Messages per topic in the steady window; None with why they are unknown."""

    messages: dict[str, float] | None
    note: str


def steady_window(load_start_ms: int, load: Any) -> tuple[float, float]:
    """The steady window in Unix seconds: after the warm-up, before the drain."""
    start = load_start_ms / 1000
    return start + load.warmup_s, start + load.duration_s - load.drain_s


def topic_query(topic: str, window_s: int) -> str:
    return f'sum(increase({METRIC}{{topic="{topic}"}}[{window_s}s]))'


def presence_query() -> str:
    return f"count({METRIC})"


def queries(window_s: int) -> list[str]:
    """What `read_topics` asks Prometheus, in order."""
    return [presence_query(), *(topic_query(t, window_s) for t in (PREPARE, *EXPECTED))]


def read_topics(runner: Runner, base_url: str, window: tuple[float, float]) -> Topics:
    """Each topic's messages over the steady window, from the brokers' counters summed."""
    start, end = window
    window_s = max(1, round(end - start))
    try:
        if not prometheus.instant(runner, base_url, presence_query(), end):
            return Topics(None, NO_METRICS)
        messages = {}
        for topic in (PREPARE, *EXPECTED):
            value = prometheus.instant(runner, base_url, topic_query(topic, window_s), end)
            messages[topic] = 0.0 if value is None else value
    except prometheus.PrometheusError as error:
        return Topics(None, f"Kafka topic rates unknown: {error}")
    return Topics(messages, f"increase of {METRIC} over the steady window ({window_s} s)")


def gate(topics: Topics, completed: int, ledger: Ledger) -> tuple[dict[str, Any], Check]:
    """The gate's record (validity_gate.json) and the verdict's `validity_gate` check."""
    problems: list[str] = []
    found: list[str] = []
    ratios: dict[str, float] = {}
    if topics.messages is None:
        problems.append(topics.note)
    elif topics.messages[PREPARE] <= 0:
        problems.append(f"no messages on {PREPARE} in the steady window")
    else:
        prepared = topics.messages[PREPARE]
        for topic, expected in EXPECTED.items():
            ratio = topics.messages[topic] / prepared
            ratios[LABELS[topic]] = round(ratio, 6)
            text = f"{LABELS[topic]} {ratio:.3f} (expected {expected:.3f} ±{TOLERANCE:.0%})"
            if abs(ratio - expected) > TOLERANCE * expected:
                problems.append(text)
            else:
                found.append(text)
    if ledger.committed is None:
        ledger_text = f"ledger not compared: {ledger.note}"
    elif ledger.committed != completed:
        problems.append(f"completed: k6 {completed}, ledger committed {ledger.committed}")
        ledger_text = ""
    else:
        ledger_text = f"k6 and the ledger agree: {completed} completed"
    detail = "; ".join(problems) if problems else "Kafka topic rates hold: " + ", ".join(found)
    if ledger_text:
        detail += f"; {ledger_text}"
    block = {
        "passed": not problems,
        "compared": "Kafka topic message rates in the steady window (fulfil/prepare 1, "
        "notification/prepare 2, ±2 %) and k6's completed count with the ledger's commits",
        "topics": {"messages": topics.messages, "ratios": ratios, "note": topics.note},
        "tolerance": TOLERANCE,
        "ledger": {"k6": completed, "committed": ledger.committed, "note": ledger.note},
    }
    return block, Check("validity_gate", not problems, detail)


def evaluate(
    runner: Runner,
    base_url: str,
    load_start_ms: int | None,
    load: Any,
    figures: Mapping[str, Any],
    ledger: Ledger,
    no_series: str = "no k6 series of the run in Prometheus",
) -> tuple[dict[str, Any], Check]:
    """The gate of a finished run: `load_start_ms` from its k6 series (None: `no_series` says
    why there are none, and the steady window's time is unknown)."""
    if load_start_ms is None:
        topics = Topics(None, f"steady window unknown: {no_series}")
    else:
        topics = read_topics(runner, base_url, steady_window(load_start_ms, load))
    block, check = gate(topics, figures["completed"], ledger)
    if load_start_ms is not None:
        start, end = steady_window(load_start_ms, load)
        block["steady_window_ms"] = [round(start * 1000), round(end * 1000)]
    return block, check
