"""Steady-state figures from Prometheus: the queries sent and the answers read."""

from __future__ import annotations

import json
import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from mlperf import prometheus
from mlperf.runner import Runner


class Answers(BaseHTTPRequestHandler):
    """Answers /api/v1/query: quantile q of a phase is q seconds (e2e: twice), or no data."""

    queries: ClassVar[list[dict[str, str]]] = []
    empty = False

    def do_GET(self) -> None:
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(self.path).query))
        Answers.queries.append(query)
        q = float(query["query"].split("(", 1)[1].split(",", 1)[0])
        value = q * (2 if "k6_e2e_time_seconds" in query["query"] else 1)
        result = [] if Answers.empty else [{"metric": {}, "value": [0, str(value)]}]
        body = json.dumps({"status": "success", "data": {"resultType": "vector", "result": result}})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    Answers.queries, Answers.empty = [], False
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Answers)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_percentiles_per_phase_from_the_runs_native_histograms(server: str) -> None:
    figures, note = prometheus.steady_figures(Runner(), server, "t-1", end=1000.0, window_s=660)
    assert figures is not None and "native histograms" in note
    assert figures["quote"] == {"p50": 500.0, "p95": 950.0, "p99": 990.0}
    assert figures["e2e"]["p99"] == 1980.0
    first = Answers.queries[0]
    assert first["time"] == "1000.000"
    assert first["query"] == (
        'histogram_quantile(0.5, sum(increase(k6_discovery_time_seconds{testid="t-1",'
        'steady="true"}[660s])))'
    )


def test_no_data_for_the_testid_gives_no_figures(server: str) -> None:
    Answers.empty = True
    figures, note = prometheus.steady_figures(Runner(), server, "t-2", end=1.0, window_s=60)
    assert figures is None and "no k6 histograms for testid t-2" in note


def test_an_unreachable_prometheus_gives_no_figures() -> None:
    figures, note = prometheus.steady_figures(
        Runner(), "http://127.0.0.1:9", "t", end=1.0, window_s=60
    )
    assert figures is None and note.startswith("Prometheus not reachable at http://127.0.0.1:9")
