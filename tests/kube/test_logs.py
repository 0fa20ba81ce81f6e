"""collect_logs and initializer_log: whole logs, byte for byte, in runners/<index>/k6.log."""

from __future__ import annotations

from pathlib import Path

import pytest

from mojaloop_perf.errors import UserError
from mojaloop_perf.kube.logs import collect_logs, initializer_log
from mojaloop_perf.kube.testrun import RunnerOutcome, TestRunOutcome
from tests.kube.fake_api import FakeKube, pod

NS = "k6"
# A log that looks like JSON must come back as written (the client's models would rewrite it).
JSON_LOG = '{"level":"info","msg":"thresholds on metrics \\"http_req_failed\\" crossed"}\n'
TEXT_LOG = "running (1m00.0s), 0/50 VUs, 6000 complete and 0 interrupted iterations\n✓ status 200\n"


def outcome(*pods: str) -> TestRunOutcome:
    return TestRunOutcome(
        stage="finished",
        runners=[
            RunnerOutcome(i, name, "node-1", "Succeeded", 0, "Completed", 0)
            for i, name in enumerate(pods, start=1)
        ],
    )


def test_each_runner_log_is_written_whole(fake: FakeKube, api, tmp_path: Path) -> None:
    fake.logs[(NS, "quotes-1-1-aaaaa")] = TEXT_LOG
    fake.logs[(NS, "quotes-1-2-bbbbb")] = JSON_LOG
    dest = tmp_path / "results"

    written = collect_logs(api, NS, outcome("quotes-1-1-aaaaa", "quotes-1-2-bbbbb"), dest)

    assert written == {
        1: dest / "runners" / "1" / "k6.log",
        2: dest / "runners" / "2" / "k6.log",
    }
    assert written[1].read_text(encoding="utf-8") == TEXT_LOG
    assert written[2].read_text(encoding="utf-8") == JSON_LOG
    assert sorted(p.name for p in (dest / "runners" / "1").iterdir()) == ["k6.log"]  # no temp left
    assert "GET /api/v1/namespaces/k6/pods/quotes-1-1-aaaaa/log?container=k6" in fake.requests


def test_pods_can_be_given_by_index(fake: FakeKube, api, tmp_path: Path) -> None:
    fake.logs[(NS, "r-3")] = "three\n"
    assert collect_logs(api, NS, {3: "r-3"}, tmp_path) == {3: tmp_path / "runners/3/k6.log"}
    assert (tmp_path / "runners/3/k6.log").read_text() == "three\n"


@pytest.mark.parametrize("status", [404, 500])
def test_unreadable_log_is_a_user_error_naming_the_pod(
    fake: FakeKube, api, tmp_path: Path, status: int
) -> None:
    fake.logs[(NS, "quotes-1-1-aaaaa")] = TEXT_LOG
    fake.logs[(NS, "quotes-1-2-bbbbb")] = status
    with pytest.raises(UserError) as caught:
        collect_logs(api, NS, outcome("quotes-1-1-aaaaa", "quotes-1-2-bbbbb"), tmp_path)
    message = str(caught.value)
    assert message.startswith(
        f"Kubernetes API: reading the log of pod quotes-1-2-bbbbb in k6 failed: HTTP {status}"
    )
    assert "\n" not in message
    assert not (tmp_path / "runners" / "2").exists()


def test_initializer_log(fake: FakeKube, api) -> None:
    labels = {"app": "k6", "k6_cr": "quotes-1"}
    fake.put(
        "pods",
        pod("quotes-1-initializer-zz", labels=labels | {"job-name": "quotes-1-initializer"}),
        NS,
    )
    fake.put(
        "pods", pod("quotes-1-starter-yy", labels=labels | {"job-name": "quotes-1-starter"}), NS
    )
    fake.logs[(NS, "quotes-1-initializer-zz")] = 'level=error msg="SyntaxError: Unexpected token"\n'
    fake.logs[(NS, "quotes-1-starter-yy")] = "not this one\n"
    assert (
        initializer_log(api, NS, "quotes-1") == 'level=error msg="SyntaxError: Unexpected token"\n'
    )
    assert initializer_log(api, NS, "other") is None
