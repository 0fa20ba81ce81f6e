"""wait_ready and not_ready: ready workloads, transitions seen through watches, a precise timeout."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pytest

from mojaloop_perf.errors import UserError
from mojaloop_perf.kube.readiness import EXIT_NOT_READY, not_ready, pod_problem, wait_ready
from tests.kube.conftest import Echo
from tests.kube.fake_api import FakeKube, daemonset, deployment, job, pod, statefulset

NS = "mojaloop"


def test_all_ready_is_nothing_to_report() -> None:
    assert (
        not_ready(
            [deployment("a", 2, 2)],
            [statefulset("kafka", 1, 1)],
            [daemonset("agent", 3, 3)],
            [job("migrate", complete=True), job("seed", active=1)],
            [pod("a-1"), pod("kafka-0")],
        )
        == []
    )


def test_not_ready_names_each_workload_and_stuck_pod() -> None:
    stale = deployment("central-ledger", 1, 1)
    stale["metadata"]["generation"] = 2
    terminating = pod("old-1", waiting="CrashLoopBackOff")
    terminating["metadata"]["deletionTimestamp"] = "2025-01-01T00:00:00Z"
    assert not_ready(
        [deployment("quoting-service", 12, 3), stale, deployment("als", 2, 2, updated=1)],
        [statefulset("kafka", 1, 0)],
        [daemonset("agent", 3, 2)],
        [job("migrate", failed="BackoffLimitExceeded"), job("seed")],
        [
            pod("quoting-service-abc", waiting="CrashLoopBackOff"),
            pod("als-x", waiting="ImagePullBackOff"),
            pod("mysql-0", phase="Pending", unschedulable=True),
            pod("fine-1"),
            pod("starting-1", waiting="ContainerCreating"),
            terminating,
        ],
    ) == [
        "deployment/quoting-service 3/12 available",
        "deployment/central-ledger 1/1 available (generation 2 not yet observed)",
        "deployment/als 2/2 available, 1/2 updated",
        "statefulset/kafka 0/1 ready",
        "daemonset/agent 2/3 ready",
        "job/migrate failed: BackoffLimitExceeded",
        "job/seed not started",
        "pod quoting-service-abc CrashLoopBackOff",
        "pod als-x ImagePullBackOff",
        "pod mysql-0 Unschedulable",
    ]


def test_stuck_init_container_is_named() -> None:
    stuck = pod("ml-api-adapter-1", phase="Pending")
    stuck["status"]["initContainerStatuses"] = [
        {"name": "wait-for-kafka", "state": {"waiting": {"reason": "CreateContainerConfigError"}}}
    ]
    assert pod_problem(stuck) == "pod ml-api-adapter-1 CreateContainerConfigError"


def test_an_empty_namespace_is_not_ready() -> None:
    assert not_ready([], [], [], []) == ["no deployments, statefulsets, daemonsets or jobs"]


def _watch_timeouts(fake: FakeKube) -> list[int]:
    return [
        int(parse_qs(urlsplit(request.split(" ", 1)[1]).query)["timeoutSeconds"][0])
        for request in fake.requests
        if "watch=True" in request
    ]


def test_ready_after_transitions_seen_on_watches(fake: FakeKube, api, echo: Echo) -> None:
    fake.put("deployments", deployment("quoting-service", 2, 0), NS)
    fake.put("statefulsets", statefulset("kafka", 1, 0), NS)
    fake.put("daemonsets", daemonset("agent", 1, 1), NS)
    fake.put("jobs", job("migrate", active=1), NS)
    fake.put("deployments", deployment("elsewhere", 1, 0), "other")  # another namespace: ignored

    def available(count: int):
        return lambda f: f.put("deployments", deployment("quoting-service", 2, count), NS)

    fake.on_watch("deployments", available(1), available(2))
    fake.on_watch("statefulsets", lambda f: f.put("statefulsets", statefulset("kafka", 1, 1), NS))

    started = time.monotonic()
    wait_ready(api, NS, timeout_s=3, echo=echo, what="mojaloop")

    assert time.monotonic() - started < 2  # woken by events, not by watch timeouts
    assert echo == [
        "mojaloop: 2/4 workloads ready",
        "mojaloop: 3/4 workloads ready",
        "mojaloop: 4/4 workloads ready",
    ]
    assert fake.pending_steps("deployments") == fake.pending_steps("statefulsets") == 0
    assert len(fake.watches("deployments")) == 2
    # every kind is watched, each watch from the listed resourceVersion and bounded by the time left
    for kind in ("deployments", "statefulsets", "daemonsets", "jobs"):
        assert all("resourceVersion=" in w for w in fake.watches(kind))
    assert _watch_timeouts(fake) and all(1 <= t <= 3 for t in _watch_timeouts(fake))


def test_ready_at_once_does_not_watch(fake: FakeKube, api, echo: Echo) -> None:
    fake.put("deployments", deployment("quoting-service", 2, 2), NS)
    wait_ready(api, NS, timeout_s=2, echo=echo)
    assert echo == ["mojaloop: 1/1 workloads ready"]
    assert not any("watch=True" in r for r in fake.requests)


def test_timeout_lists_what_is_not_ready(fake: FakeKube, api, echo: Echo) -> None:
    fake.put("deployments", deployment("quoting-service", 12, 3), NS)
    fake.put("deployments", deployment("account-lookup-service", 1, 1), NS)
    fake.put("statefulsets", statefulset("kafka", 1, 0), NS)
    fake.put("pods", pod("quoting-service-abc", waiting="CrashLoopBackOff", restarts=4), NS)
    fake.put("pods", pod("account-lookup-service-def"), NS)

    started = time.monotonic()
    with pytest.raises(UserError) as caught:
        wait_ready(api, NS, timeout_s=1, echo=echo)

    assert 0.9 <= time.monotonic() - started < 3
    assert caught.value.exit_code == EXIT_NOT_READY == 6
    assert str(caught.value) == (
        "mojaloop not ready after 1 s: deployment/quoting-service 3/12 available; "
        "statefulset/kafka 0/1 ready; pod quoting-service-abc CrashLoopBackOff"
    )
    assert echo == ["mojaloop: 1/3 workloads ready"]
    assert _watch_timeouts(fake) and all(t <= 1 for t in _watch_timeouts(fake))
