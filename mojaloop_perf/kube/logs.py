"""Fetch k6 pod logs: each runner's whole log into the results folder, the initializer's on demand.

Logs are read undecoded (the client's model layer would turn a log that looks like JSON into a
Python repr) and written atomically to `<dest>/runners/<index>/k6.log`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import kubernetes

from mojaloop_perf.fsutil import write_text_atomic
from mojaloop_perf.kube.client import raw, read_list
from mojaloop_perf.kube.testrun import RUNNER_CONTAINER, TestRunOutcome, job_name

LOG_NAME = "k6.log"


def read_log(
    api: kubernetes.client.ApiClient, namespace: str, pod: str, container: str = RUNNER_CONTAINER
) -> str:
    """The whole log of `container` in `pod`; UserError naming the pod when it can't be read."""
    core = kubernetes.client.CoreV1Api(api)
    response = raw(
        core.read_namespaced_pod_log,
        pod,
        namespace,
        container=container,
        what=f"reading the log of pod {pod} in {namespace}",
    )
    return response.data.decode("utf-8", errors="replace")


def collect_logs(
    api: kubernetes.client.ApiClient,
    namespace: str,
    runners: TestRunOutcome | Mapping[int, str],
    dest: Path,
) -> dict[int, Path]:
    """Write each runner's k6 log to `dest/runners/<index>/k6.log`; index → path.

    `runners` is a TestRunOutcome or a mapping of runner index to pod name.
    """
    pods = (
        {runner.index: runner.pod for runner in runners.runners}
        if isinstance(runners, TestRunOutcome)
        else dict(runners)
    )
    written: dict[int, Path] = {}
    for index, pod in sorted(pods.items()):
        text = read_log(api, namespace, pod)
        path = dest / "runners" / str(index) / LOG_NAME
        write_text_atomic(path, text)
        written[index] = path
    return written


def initializer_log(api: kubernetes.client.ApiClient, namespace: str, testrun: str) -> str | None:
    """The log of TestRun `testrun`'s initializer pod (Job `<testrun>-initializer`, which runs
    `k6 inspect` and fails on script errors); None when there is no such pod."""
    core = kubernetes.client.CoreV1Api(api)
    pods, _ = read_list(
        core.list_namespaced_pod,
        namespace,
        label_selector=f"app=k6,k6_cr={testrun}",
        what=f"listing pods of TestRun {testrun}",
    )
    mine = [pod for pod in pods if job_name(pod) == f"{testrun}-initializer"]
    if not mine:
        return None
    newest = max(mine, key=lambda pod: str(pod["metadata"].get("creationTimestamp") or ""))
    return read_log(api, namespace, newest["metadata"]["name"])
