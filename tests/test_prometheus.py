"""k6's figures from Prometheus: the queries sent and the answers read (steady percentiles, and
the run's per-second series as raw/seconds.parquet rows), against fake Prometheus HTTP APIs."""

from __future__ import annotations

import json
import threading
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest

from mojaloop_perf import prometheus
from mojaloop_perf.results import raw
from mojaloop_perf.runner import Runner


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


# --- a Prometheus over functions of time -----------------------------------------------------

Answer = Callable[[str, float], float | None]


@contextmanager
def fake_prometheus(answer: Answer) -> Iterator[tuple[str, list[dict[str, str]]]]:
    """Prometheus' /api/v1/query and /api/v1/query_range over `answer(query, t)` (None: no
    sample at t), one series per query; yields its URL and every request's parameters."""
    requests: list[dict[str, str]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urllib.parse.urlsplit(self.path)
            params = dict(urllib.parse.parse_qsl(url.query))
            requests.append({"path": url.path, **params})
            query = params["query"]
            data: dict[str, Any]
            if url.path == "/api/v1/query_range":
                start, end = float(params["start"]), float(params["end"])
                step = float(params["step"].removesuffix("s"))
                values = []
                for i in range(round((end - start) / step) + 1):
                    at = start + i * step
                    value = answer(query, at)
                    if value is not None:
                        values.append([at, repr(float(value))])
                series = [{"metric": {}, "values": values}] if values else []
                data = {"resultType": "matrix", "result": series}
            else:
                at = float(params["time"])
                value = answer(query, at)
                series = [] if value is None else [{"metric": {}, "value": [at, str(value)]}]
                data = {"resultType": "vector", "result": series}
            body = json.dumps({"status": "success", "data": data}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", requests
    finally:
        httpd.shutdown()
        httpd.server_close()


LOAD_START = 1_700_000_000.0  # Unix seconds; the run below lasts 10 s and pushes every 5 s


def pushed(at: float, first: float, second: float) -> float | None:
    """A cumulative k6 series pushed at load start + 5 s (`first`) and + 10 s (`second`)."""
    elapsed = at - LOAD_START
    if elapsed < 5 - 1e-6:
        return None
    return first if elapsed < 10 - 1e-6 else second


def run_answers(query: str, at: float) -> float | None:
    """The 10-second run: 40 then 50 completed, 1 discovery failure and 2 transfer failures in
    the second push, 7 VUs from the second second, 3 iterations dropped at the end; p(q) of a
    phase is q seconds in a push's second (e2e: twice), none elsewhere."""
    assert 'testid="t-raw"' in query
    elapsed = at - LOAD_START
    if query.startswith("max(timestamp(k6_vus"):
        return None if elapsed < 1 else min(at, LOAD_START + 10)
    if query.startswith("sum(k6_vus"):
        return None if elapsed < 2 else 7
    if "dropped_iterations" in query:
        return pushed(at, 0, 3)
    if "completed_transactions" in query:
        return pushed(at, 40, 90)
    if "failed_transactions" in query:
        failures = {"discovery": 1, "quote": 0, "transfer": 2}
        phase = query.split('phase="')[1].split('"')[0]
        return pushed(at, 0, failures[phase])
    if query.startswith("histogram_count("):
        # Each phase succeeded for the completed ones and those failing after it.
        extra = {"discovery": 2, "quote": 2, "transfer": 0}
        phase = query.split("k6_")[1].split("_time")[0]
        return pushed(at, 40, 90 + extra[phase])
    if query.startswith("histogram_quantile("):
        assert " offset 1s)) or sum(" in query
        q = float(query.split("(", 1)[1].split(",", 1)[0])
        factor = 2 if "k6_e2e_time_seconds" in query else 1
        in_push = any(abs(elapsed - mark) < 1e-6 for mark in (5, 10))
        return q * factor if in_push else None
    raise AssertionError(f"unexpected query {query}")


def test_run_series_become_per_second_rows_of_the_raw_schema(tmp_path: Any) -> None:
    import pyarrow as pa

    with fake_prometheus(run_answers) as (url, requests):
        series = prometheus.run_series(
            Runner(), url, "t-raw", run_s=10.0, since=LOAD_START - 60, until=LOAD_START + 30
        )
    assert series.load_start_ms == LOAD_START * 1000  # last vus sample - k6's run duration
    assert series.seconds == 11
    ranges = [r for r in requests if r["path"] == "/api/v1/query_range"]
    assert {r["step"] for r in ranges} == {"1s"}
    assert len(ranges) == 1 + len(prometheus.series_queries("t-raw"))
    assert (
        ranges[1]["start"] == f"{LOAD_START:.3f}" and ranges[1]["end"] == f"{LOAD_START + 11:.3f}"
    )
    table = pa.Table.from_pydict(series.rows, schema=raw.seconds_schema())
    path = tmp_path / raw.SECONDS_FILE
    raw.write_table(table, path)
    back = raw.read_table(path, raw.seconds_schema()).to_pylist()
    assert len(back) == 11 * 4
    by = {(row["second"], row["phase"]): row for row in back}
    e2e4, e2e9 = by[(4, "e2e")], by[(9, "e2e")]
    assert (e2e4["completed"], e2e4["failed"], e2e4["dropped"]) == (40, 0, 0)
    assert (e2e9["completed"], e2e9["failed"], e2e9["dropped"]) == (50, 3, 3)
    assert e2e9["p95_ms"] == pytest.approx(1900.0) and e2e9["vus_active"] == 7
    assert by[(9, "discovery")]["completed"] == 52 and by[(9, "discovery")]["failed"] == 1
    assert by[(9, "transfer")]["completed"] == 50 and by[(9, "transfer")]["failed"] == 2
    assert by[(4, "quote")]["p50_ms"] == pytest.approx(500.0)
    assert by[(4, "quote")]["vus_active"] is None  # VUs and dropped only on the e2e rows
    # Between pushes: nothing arrived, no percentile; before the first VU sample, none known.
    assert (by[(6, "e2e")]["completed"], by[(6, "e2e")]["p99_ms"]) == (0, None)
    assert by[(0, "e2e")]["vus_active"] is None and by[(1, "e2e")]["vus_active"] == 7
    assert {row["started"] for row in back} == {None}
    assert sum(r["completed"] for r in back if r["phase"] == "e2e") == 90


def test_a_long_run_is_queried_in_parts_that_join(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(prometheus, "MAX_POINTS", 4)
    with fake_prometheus(lambda query, at: at - 100) as (url, requests):
        points = prometheus.query_range(Runner(), url, "up", 100.0, 109.0)
    assert points == {i: float(i) for i in range(10)}
    assert [(r["start"], r["end"]) for r in requests] == [
        ("100.000", "103.000"),
        ("104.000", "107.000"),
        ("108.000", "109.000"),
    ]


def test_no_series_for_the_testid_or_no_prometheus_is_one_line() -> None:
    with fake_prometheus(lambda query, at: None) as (url, _):
        try:
            prometheus.run_series(Runner(), url, "t-x", run_s=5, since=0, until=10)
        except prometheus.PrometheusError as error:
            assert str(error) == "Prometheus has no k6 series for testid t-x"
        else:
            raise AssertionError("no error")
    with pytest.raises(prometheus.PrometheusError) as caught:
        prometheus.run_series(Runner(), "http://127.0.0.1:9", "t", run_s=5, since=0, until=10)
    assert str(caught.value).startswith("Prometheus not reachable at http://127.0.0.1:9 (")
