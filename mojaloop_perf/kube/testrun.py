"""Follow a k6 Operator TestRun to its end and report how each runner pod ended.

The operator moves `status.stage` through initialization → initialized → created → started →
stopped → finished, or to `error`. `finished` is not a verdict: a runner whose thresholds were
crossed exits 99 and the TestRun still finishes. So after `finished` this waits until every
runner pod has terminated and hands back their exit codes; the caller decides (0 passed,
99 thresholds crossed). A runner that crashes is reported as soon as it is seen, not at the end.

Names and labels, as the operator sets them (github.com/grafana/k6-operator):
- pkg/resources/jobs/helpers.go `newLabels`: every pod it makes has `app: k6`, `k6_cr: <testrun>`;
- pkg/resources/jobs/runner.go `NewRunnerJob`: runners add `runner: "true"`, the Job is named
  `<testrun>-<index>` (index from 1, controllers/k6_create.go), the pod's hostname is the same
  and its container is `k6`; `BackoffLimit: 0`, `RestartPolicy: Never`;
- pkg/resources/jobs/initializer.go / starter.go: Jobs `<testrun>-initializer`, `<testrun>-starter`
  (no `runner` label);
- api/v1alpha1/testrun_types.go: group k6.io, version v1alpha1, `status.stage`,
  `status.conditions`, `spec.parallelism`.
The runner index is the suffix of the pod's Job name (the `job-name` labels the Job controller
sets, its owner reference, or its hostname).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import kubernetes

from mojaloop_perf.errors import UserError
from mojaloop_perf.kube.client import WatchSpec, read_json, read_list, wait_for_event

GROUP = "k6.io"
VERSION = "v1alpha1"
PLURAL = "testruns"
RUNNER_CONTAINER = "k6"

EXIT_TESTRUN_ERROR = 3
EXIT_RUNNER_CRASHED = 4
EXIT_TIMEOUT = 5

THRESHOLDS_CROSSED = 99  # k6's exit code when a threshold fails: a verdict, not a crash
# Container waiting reasons that mean a runner will not run (its pods never restart).
CRASH_WAITING = frozenset(
    {"CrashLoopBackOff", "ImagePullBackOff", "InvalidImageName", "CreateContainerConfigError"}
)

Obj = Mapping[str, Any]
Echo = Callable[[str], None]


class TestRunError(UserError):
    """The TestRun ended in stage `error`, or vanished."""

    __test__: ClassVar[bool] = False

    def __init__(self, message: str) -> None:
        super().__init__(message, exit_code=EXIT_TESTRUN_ERROR)


class TestRunGone(TestRunError):
    """The TestRun does not exist (never created, or deleted while being watched)."""


class RunnerCrashed(UserError):
    """A runner pod crashed: its k6 did not run to a verdict."""

    def __init__(self, message: str) -> None:
        super().__init__(message, exit_code=EXIT_RUNNER_CRASHED)


class TestRunTimeout(UserError):
    """The TestRun did not finish in time."""

    __test__: ClassVar[bool] = False

    def __init__(self, message: str) -> None:
        super().__init__(message, exit_code=EXIT_TIMEOUT)


@dataclass(frozen=True)
class RunnerOutcome:
    """How one runner pod stands (or ended): exit_code is None until its k6 container ends."""

    index: int
    pod: str
    node: str | None
    phase: str
    exit_code: int | None
    reason: str | None
    restarts: int

    @property
    def terminated(self) -> bool:
        return self.exit_code is not None or self.phase in ("Succeeded", "Failed")


@dataclass(frozen=True)
class TestRunOutcome:
    """The TestRun's last stage and its runners, sorted by index."""

    __test__: ClassVar[bool] = False

    stage: str
    runners: list[RunnerOutcome]

    @property
    def exit_codes(self) -> dict[int, int | None]:
        return {runner.index: runner.exit_code for runner in self.runners}


def runner_selector(testrun: str) -> str:
    """The label selector of a TestRun's runner pods."""
    return f"app=k6,k6_cr={testrun},runner=true"


def job_name(pod: Obj) -> str | None:
    """The name of the Job that made `pod`."""
    metadata = pod.get("metadata") or {}
    labels = metadata.get("labels") or {}
    for key in ("batch.kubernetes.io/job-name", "job-name"):
        if labels.get(key):
            return str(labels[key])
    for owner in metadata.get("ownerReferences") or []:
        if owner.get("kind") == "Job" and owner.get("name"):
            return str(owner["name"])
    hostname = (pod.get("spec") or {}).get("hostname")
    return str(hostname) if hostname else None


def runner_index(pod: Obj, testrun: str) -> int | None:
    """The runner number of a pod of Job `<testrun>-<index>`; None for any other pod."""
    name = job_name(pod) or ""
    suffix = name.removeprefix(f"{testrun}-")
    return int(suffix) if name.startswith(f"{testrun}-") and suffix.isdigit() else None


def _container(pod: Obj) -> Obj:
    statuses = (pod.get("status") or {}).get("containerStatuses") or []
    for status in statuses:
        if status.get("name") == RUNNER_CONTAINER:
            return status
    return statuses[0] if statuses else {}


def runner_outcome(pod: Obj, index: int) -> RunnerOutcome:
    """A runner pod's state as a RunnerOutcome."""
    status = pod.get("status") or {}
    container = _container(pod)
    state = container.get("state") or {}
    terminated = state.get("terminated") or {}
    waiting = state.get("waiting") or {}
    exit_code = terminated.get("exitCode")
    return RunnerOutcome(
        index=index,
        pod=str((pod.get("metadata") or {}).get("name", "?")),
        node=(pod.get("spec") or {}).get("nodeName"),
        phase=str(status.get("phase") or "Pending"),
        exit_code=exit_code if isinstance(exit_code, int) else None,
        reason=terminated.get("reason") or waiting.get("reason") or status.get("reason"),
        restarts=int(container.get("restartCount") or 0),
    )


def crash_reason(pod: Obj, runner: RunnerOutcome) -> str | None:
    """Why a runner pod counts as crashed, or None while it runs or once it ended with a verdict
    (exit 0 or 99)."""
    status = pod.get("status") or {}
    for init in status.get("initContainerStatuses") or []:
        state = init.get("state") or {}
        waiting = (state.get("waiting") or {}).get("reason")
        if waiting in CRASH_WAITING:
            return f"init container {init.get('name')} {waiting}"
        code = (state.get("terminated") or {}).get("exitCode")
        if isinstance(code, int) and code != 0:
            return f"init container {init.get('name')} exited {code}"
    waiting = ((_container(pod).get("state") or {}).get("waiting") or {}).get("reason")
    if waiting in CRASH_WAITING:
        return str(waiting)
    if runner.reason == "OOMKilled":
        return f"OOMKilled (exit code {runner.exit_code})"
    if runner.exit_code is not None and runner.exit_code not in (0, THRESHOLDS_CROSSED):
        return f"exit code {runner.exit_code}" + (f" ({runner.reason})" if runner.reason else "")
    if runner.restarts > 0:
        return f"restarted {runner.restarts} time{'s' if runner.restarts > 1 else ''}"
    if runner.phase == "Failed" and runner.exit_code is None:
        return f"pod failed ({runner.reason or 'no reason given'})"
    return None


def runners(pods: list[dict], testrun: str) -> list[tuple[RunnerOutcome, Obj]]:
    """One entry per runner index (its newest pod), sorted by index."""
    newest: dict[int, Obj] = {}
    for pod in pods:
        index = runner_index(pod, testrun)
        if index is None:
            continue
        created = str((pod.get("metadata") or {}).get("creationTimestamp") or "")
        kept = newest.get(index)
        if kept is None or created >= str(kept["metadata"].get("creationTimestamp") or ""):
            newest[index] = pod
    return [(runner_outcome(pod, index), pod) for index, pod in sorted(newest.items())]


def runner_summary(found: list[RunnerOutcome], parallelism: int) -> str:
    """E.g. '1/2 runners running' or '0/2 runners running, 2 done'."""
    total = max(parallelism, len(found))
    running = sum(1 for r in found if r.phase == "Running" and not r.terminated)
    done = sum(1 for r in found if r.terminated)
    return f"{running}/{total} runners running" + (f", {done} done" if done else "")


def elapsed(seconds: float) -> str:
    """'0:45', '12:03' or '1:02:03'."""
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _error_detail(testrun: Obj) -> str:
    conditions = (testrun.get("status") or {}).get("conditions") or []
    explained = [
        f"{c.get('reason') or c.get('type')}: {' '.join(str(c['message']).split())}"
        for c in conditions
        if c.get("message")
    ]
    return ": " + "; ".join(explained) if explained else " (no status condition says why)"


def _read_testrun(custom: Any, namespace: str, name: str, seen_stage: str | None) -> dict:
    """The TestRun; TestRunGone when it does not exist (`seen_stage`: its stage when last seen)."""
    testrun = read_json(
        custom.get_namespaced_custom_object,
        GROUP,
        VERSION,
        namespace,
        PLURAL,
        name,
        what=f"reading TestRun {name} in {namespace}",
        missing_ok=True,
    )
    if testrun is not None:
        return testrun
    if seen_stage is None:
        raise TestRunGone(f"k6 TestRun {name} not found in namespace {namespace}")
    raise TestRunGone(
        f"k6 TestRun {name} disappeared from namespace {namespace} in stage "
        f"{seen_stage or 'none'} (deleted?)"
    )


def _raise_if_crashed(found: list[tuple[RunnerOutcome, Obj]], name: str, stage: str) -> None:
    for runner, pod in found:
        reason = crash_reason(pod, runner)
        if reason is not None:
            node = f" on {runner.node}" if runner.node else ""
            raise RunnerCrashed(
                f"k6 runner {runner.index} (pod {runner.pod}{node}) crashed: {reason}; "
                f"TestRun {name} was in stage {stage or 'none'}"
            )


def watch_testrun(
    api: kubernetes.client.ApiClient,
    namespace: str,
    name: str,
    *,
    timeout_s: float,
    echo: Echo,
    clock: Callable[[], float] = time.monotonic,
) -> TestRunOutcome:
    """Follow TestRun `name` until it has finished and all its runners have terminated.

    Echoes each change of stage or runner states with the time elapsed ("k6: started (2/2
    runners running) 0:45"). Raises TestRunError (stage error, EXIT_TESTRUN_ERROR), TestRunGone
    (404, same code), RunnerCrashed (EXIT_RUNNER_CRASHED) or TestRunTimeout (EXIT_TIMEOUT).
    """
    custom = kubernetes.client.CustomObjectsApi(api)
    core = kubernetes.client.CoreV1Api(api)
    selector = runner_selector(name)
    start = clock()
    deadline = start + timeout_s
    testrun: dict = {}
    stage, shown = "", ""
    while True:
        if stage != "finished":  # once finished only the runners matter (cleanup may delete it)
            testrun = _read_testrun(custom, namespace, name, stage if testrun else None)
            stage = str((testrun.get("status") or {}).get("stage") or "")
        parallelism = int((testrun.get("spec") or {}).get("parallelism") or 0)
        pods, pods_version = read_list(
            core.list_namespaced_pod,
            namespace,
            label_selector=selector,
            what=f"listing runner pods of {name}",
        )
        found = runners(pods, name)
        outcomes = [runner for runner, _ in found]
        summary = runner_summary(outcomes, parallelism)
        line = f"k6: {stage or 'pending'} ({summary})"
        if line != shown:
            echo(f"{line} {elapsed(clock() - start)}")
            shown = line
        if stage == "error":
            raise TestRunError(
                f"k6 TestRun {name} ended in stage error{_error_detail(testrun)}; kept for "
                f"inspection: kubectl -n {namespace} describe testrun {name}"
            )
        _raise_if_crashed(found, name, stage)
        everyone = len(outcomes) >= max(parallelism, 1)
        if stage == "finished" and everyone and all(r.terminated for r in outcomes):
            return TestRunOutcome(stage=stage, runners=outcomes)
        remaining = deadline - clock()
        if remaining <= 0:
            raise TestRunTimeout(
                f"k6 TestRun {name} not finished after {timeout_s:g} s "
                f"(stage {stage or 'none'}, {summary})"
            )
        watches = [
            WatchSpec(
                core.list_namespaced_pod,
                (namespace,),
                pods_version,
                what=f"runner pods of {name}",
                kwargs={"label_selector": selector},
            )
        ]
        if stage != "finished":
            watches.insert(
                0,
                WatchSpec(
                    custom.list_namespaced_custom_object,
                    (GROUP, VERSION, namespace, PLURAL),
                    str(testrun["metadata"].get("resourceVersion", "")),
                    what=f"TestRun {name}",
                    kwargs={"field_selector": f"metadata.name={name}"},
                ),
            )
        wait_for_event(watches, remaining)
