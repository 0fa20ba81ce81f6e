"""watch_testrun: stages followed through watches, runner exit codes, and every way it fails."""

from __future__ import annotations

import re
import time

import pytest

from mojaloop_perf.kube.testrun import (
    EXIT_RUNNER_CRASHED,
    EXIT_TESTRUN_ERROR,
    EXIT_TIMEOUT,
    RunnerCrashed,
    RunnerOutcome,
    TestRunError,
    TestRunGone,
    TestRunTimeout,
    crash_reason,
    runner_index,
    runner_outcome,
    watch_testrun,
)
from tests.kube.conftest import Echo
from tests.kube.fake_api import FakeKube, k6_testrun, pod, runner_pod, set_stage

NS = "k6"
NAME = "quotes-1"


def put_runner(fake: FakeKube, index: int, **state) -> None:
    fake.put("pods", runner_pod(NAME, index, **state), NS)


def runners_step(*states: dict):
    """A step putting runner pods 1… in the given states."""

    def step(fake: FakeKube) -> None:
        for index, state in enumerate(states, start=1):
            put_runner(fake, index, **state)

    return step


def both(stage: str, *states: dict):
    def step(fake: FakeKube) -> None:
        set_stage(NAME, stage, NS)(fake)
        runners_step(*states)(fake)

    return step


RUNNING = {"phase": "Running"}
PENDING = {"phase": "Pending", "waiting": "ContainerCreating"}


# ---- pure parts ---------------------------------------------------------------------------


def test_runner_index_comes_from_the_job_name() -> None:
    assert runner_index(runner_pod(NAME, 3), NAME) == 3
    owned = pod("quotes-1-12-abcde")
    owned["metadata"]["ownerReferences"] = [{"kind": "Job", "name": "quotes-1-12"}]
    assert runner_index(owned, NAME) == 12
    by_host = pod("quotes-1-2-xyz")
    by_host["spec"]["hostname"] = "quotes-1-2"
    assert runner_index(by_host, NAME) == 2
    initializer = pod("i", labels={"job-name": "quotes-1-initializer"})
    assert runner_index(initializer, NAME) is None
    other_run = pod("o", labels={"job-name": "quotes-10-1"})
    assert runner_index(other_run, NAME) is None


@pytest.mark.parametrize(
    ("state", "crash"),
    [
        ({"phase": "Running"}, None),
        ({"phase": "Succeeded", "exit_code": 0}, None),
        ({"phase": "Failed", "exit_code": 99, "reason": "Error"}, None),
        ({"phase": "Failed", "exit_code": 107, "reason": "Error"}, "exit code 107 (Error)"),
        ({"phase": "Failed", "exit_code": 137, "reason": "OOMKilled"}, "OOMKilled (exit code 137)"),
        ({"phase": "Running", "waiting": "CrashLoopBackOff", "restarts": 2}, "CrashLoopBackOff"),
        ({"phase": "Pending", "waiting": "ImagePullBackOff"}, "ImagePullBackOff"),
        ({"phase": "Running", "restarts": 1}, "restarted 1 time"),
    ],
)
def test_crash_reason(state: dict, crash: str | None) -> None:
    runner = runner_pod(NAME, 1, **state)
    assert crash_reason(runner, runner_outcome(runner, 1)) == crash


def test_evicted_runner_is_a_crash() -> None:
    evicted = runner_pod(NAME, 1, phase="Failed")
    evicted["status"] |= {"reason": "Evicted", "containerStatuses": []}
    assert crash_reason(evicted, runner_outcome(evicted, 1)) == "pod failed (Evicted)"


# ---- against the fake API -----------------------------------------------------------------


def test_finished_waits_for_every_runner_and_reports_exit_codes(
    fake: FakeKube, api, echo: Echo
) -> None:
    fake.put("testruns", k6_testrun(NAME, parallelism=2), NS)
    put_runner(fake, 9, phase="Running")  # another TestRun's runner: not selected
    fake.update(
        "pods",
        runner_pod(NAME, 9)["metadata"]["name"],
        lambda p: p["metadata"]["labels"].update(k6_cr="other"),
        NS,
    )

    def finish_with_runner_2_still_running(f: FakeKube) -> None:
        both("finished", {"phase": "Succeeded", "exit_code": 0}, RUNNING)(f)
        # The pods watch opened next to this TestRun watch changes nothing; the one after, opened
        # once the client has seen `finished`, ends runner 2.
        f.on_watch(
            "pods",
            lambda _: None,
            runners_step(
                {"phase": "Succeeded", "exit_code": 0},
                {"phase": "Failed", "exit_code": 99, "reason": "Error"},
            ),
        )

    fake.on_watch(
        "testruns",
        set_stage(NAME, "initialization", NS),
        set_stage(NAME, "initialized", NS),
        both("created", PENDING, PENDING),
        both("started", RUNNING, RUNNING),
        finish_with_runner_2_still_running,
    )

    started = time.monotonic()
    outcome = watch_testrun(api, NS, NAME, timeout_s=3, echo=echo)

    assert time.monotonic() - started < 2
    assert outcome.stage == "finished"
    assert outcome.exit_codes == {1: 0, 2: 99}
    assert outcome.runners == [
        RunnerOutcome(1, "quotes-1-1-x1k1", "node-1", "Succeeded", 0, "Completed", 0),
        RunnerOutcome(2, "quotes-1-2-x2k2", "node-1", "Failed", 99, "Error", 0),
    ]
    assert all(re.fullmatch(r"k6: .* \d+:\d\d", line) for line in echo)
    assert [line.rsplit(" ", 1)[0] for line in echo] == [
        "k6: pending (0/2 runners running)",
        "k6: initialization (0/2 runners running)",
        "k6: initialized (0/2 runners running)",
        "k6: created (0/2 runners running)",
        "k6: started (2/2 runners running)",
        "k6: finished (1/2 runners running, 1 done)",
        "k6: finished (0/2 runners running, 2 done)",
    ]
    # after finished the TestRun is no longer read; the runners are
    assert len(fake.watches("testruns")) == 5
    assert all("fieldSelector=metadata.name%3Dquotes-1" in w for w in fake.watches("testruns"))
    assert all(
        "labelSelector=app%3Dk6%2Ck6_cr%3Dquotes-1%2Crunner%3Dtrue" in w
        for w in fake.watches("pods")
    )


def test_stage_error_is_exit_3_with_the_condition_message(fake: FakeKube, api, echo: Echo) -> None:
    conditions = [
        {
            "type": "TestRunRunning",
            "status": "Unknown",
            "reason": "TestRunPreparation",
            "message": "",
        },
        {
            "type": "Initialized",
            "status": "False",
            "reason": "InitializerFailed",
            "message": "number of instances > number of VUs",
        },
    ]
    fake.put("testruns", k6_testrun(NAME, stage="initialization"), NS)
    fake.on_watch(
        "testruns",
        lambda f: f.put("testruns", k6_testrun(NAME, "error", conditions=conditions), NS),
    )
    with pytest.raises(TestRunError) as caught:
        watch_testrun(api, NS, NAME, timeout_s=3, echo=echo)
    assert caught.value.exit_code == EXIT_TESTRUN_ERROR == 3
    assert str(caught.value) == (
        "k6 TestRun quotes-1 ended in stage error: InitializerFailed: number of instances > "
        "number of VUs; kept for inspection: kubectl -n k6 describe testrun quotes-1"
    )
    assert echo[-1].startswith("k6: error (0/2 runners running) ")


@pytest.mark.parametrize(
    ("state", "reason"),
    [
        ({"phase": "Failed", "exit_code": 137, "reason": "OOMKilled"}, "OOMKilled (exit code 137)"),
        ({"phase": "Running", "waiting": "CrashLoopBackOff", "restarts": 3}, "CrashLoopBackOff"),
        ({"phase": "Failed", "exit_code": 255, "reason": "Error"}, "exit code 255 (Error)"),
        ({"phase": "Running", "restarts": 1}, "restarted 1 time"),
        ({"phase": "Pending", "waiting": "ImagePullBackOff"}, "ImagePullBackOff"),
    ],
)
def test_crashing_runner_is_exit_4_while_the_test_runs(
    fake: FakeKube, api, echo: Echo, state: dict, reason: str
) -> None:
    fake.put("testruns", k6_testrun(NAME, stage="created"), NS)
    fake.on_watch(
        "testruns",
        both("started", RUNNING, RUNNING),
        runners_step(RUNNING, state),
        both(
            "finished",
            {"phase": "Succeeded", "exit_code": 0},
            {"phase": "Succeeded", "exit_code": 0},
        ),
    )
    with pytest.raises(RunnerCrashed) as caught:
        watch_testrun(api, NS, NAME, timeout_s=3, echo=echo)
    assert caught.value.exit_code == EXIT_RUNNER_CRASHED == 4
    assert str(caught.value) == (
        f"k6 runner 2 (pod quotes-1-2-x2k2 on node-1) crashed: {reason}; "
        "TestRun quotes-1 was in stage started"
    )
    # seen while running: the TestRun never got to finish
    assert fake.get("testruns", NAME, NS)["status"]["stage"] == "started"
    assert fake.pending_steps("testruns") == 1


def test_timeout_is_exit_5_with_stage_and_runners(fake: FakeKube, api, echo: Echo) -> None:
    fake.put("testruns", k6_testrun(NAME, stage="started"), NS)
    put_runner(fake, 1, **RUNNING)
    put_runner(fake, 2, phase="Pending", unschedulable=True)
    started = time.monotonic()
    with pytest.raises(TestRunTimeout) as caught:
        watch_testrun(api, NS, NAME, timeout_s=1, echo=echo)
    assert 0.9 <= time.monotonic() - started < 3
    assert caught.value.exit_code == EXIT_TIMEOUT == 5
    assert str(caught.value) == (
        "k6 TestRun quotes-1 not finished after 1 s (stage started, 1/2 runners running)"
    )
    assert [line.rsplit(" ", 1)[0] for line in echo] == ["k6: started (1/2 runners running)"]


def test_finished_but_runner_never_ends_times_out(fake: FakeKube, api, echo: Echo) -> None:
    fake.put("testruns", k6_testrun(NAME, stage="finished", parallelism=1), NS)
    put_runner(fake, 1, **RUNNING)
    with pytest.raises(TestRunTimeout, match=r"\(stage finished, 1/1 runners running\)$"):
        watch_testrun(api, NS, NAME, timeout_s=1, echo=echo)


def test_missing_testrun_is_a_clear_error(fake: FakeKube, api, echo: Echo) -> None:
    with pytest.raises(TestRunGone) as caught:
        watch_testrun(api, NS, NAME, timeout_s=2, echo=echo)
    assert caught.value.exit_code == EXIT_TESTRUN_ERROR
    assert str(caught.value) == "k6 TestRun quotes-1 not found in namespace k6"
    assert echo == []


def test_testrun_deleted_while_watched_is_a_clear_error(fake: FakeKube, api, echo: Echo) -> None:
    fake.put("testruns", k6_testrun(NAME, stage="started"), NS)
    fake.on_watch("testruns", lambda f: f.delete("testruns", NAME, NS))
    started = time.monotonic()
    with pytest.raises(TestRunGone) as caught:
        watch_testrun(api, NS, NAME, timeout_s=3, echo=echo)
    assert time.monotonic() - started < 2  # the DELETED event woke the loop
    assert str(caught.value) == (
        "k6 TestRun quotes-1 disappeared from namespace k6 in stage started (deleted?)"
    )
