"""Wait until a namespace's workloads are ready, and say precisely what is not when time runs out.

Ready means: every Deployment has its replicas updated and available, every StatefulSet its
replicas ready, every DaemonSet its scheduled pods ready (each with its latest generation
observed), and no Job has failed (complete, or running). Between checks the workloads are
watched and the state is read again at the first change.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import kubernetes

from mojaloop_perf.errors import UserError
from mojaloop_perf.kube.client import WatchSpec, read_list, wait_for_event

EXIT_NOT_READY = 6

# Container waiting reasons that mean a pod is stuck rather than starting.
STUCK_WAITING = frozenset(
    {
        "CrashLoopBackOff",
        "ImagePullBackOff",
        "ErrImagePull",
        "InvalidImageName",
        "CreateContainerConfigError",
        "CreateContainerError",
        "RunContainerError",
    }
)

Obj = Mapping[str, Any]
Echo = Callable[[str], None]


def _int(value: Any, default: int = 0) -> int:
    return value if isinstance(value, int) else default


def _name(obj: Obj) -> str:
    return str((obj.get("metadata") or {}).get("name", "?"))


def _stale(obj: Obj) -> str:
    """' (generation N not yet observed)' while the controller has not seen the latest spec."""
    generation = _int((obj.get("metadata") or {}).get("generation"))
    observed = _int((obj.get("status") or {}).get("observedGeneration"))
    return f" (generation {generation} not yet observed)" if observed < generation else ""


def deployment_problem(obj: Obj) -> str | None:
    """What keeps a Deployment from being ready, or None."""
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    want = _int(spec.get("replicas"), 1)
    available = _int(status.get("availableReplicas"))
    updated = _int(status.get("updatedReplicas"))
    stale = _stale(obj)
    if available >= want and updated >= want and not stale:
        return None
    text = f"deployment/{_name(obj)} {available}/{want} available"
    if updated < want:
        text += f", {updated}/{want} updated"
    return text + stale


def statefulset_problem(obj: Obj) -> str | None:
    """What keeps a StatefulSet from being ready, or None."""
    want = _int((obj.get("spec") or {}).get("replicas"), 1)
    ready = _int((obj.get("status") or {}).get("readyReplicas"))
    stale = _stale(obj)
    if ready >= want and not stale:
        return None
    return f"statefulset/{_name(obj)} {ready}/{want} ready{stale}"


def daemonset_problem(obj: Obj) -> str | None:
    """What keeps a DaemonSet from being ready, or None."""
    status = obj.get("status") or {}
    want = _int(status.get("desiredNumberScheduled"))
    ready = _int(status.get("numberReady"))
    stale = _stale(obj)
    if ready >= want and not stale:
        return None
    return f"daemonset/{_name(obj)} {ready}/{want} ready{stale}"


def _condition(obj: Obj, kind: str) -> Obj | None:
    for condition in (obj.get("status") or {}).get("conditions") or []:
        if condition.get("type") == kind and condition.get("status") == "True":
            return condition
    return None


def job_problem(obj: Obj) -> str | None:
    """What is wrong with a Job (failed, or not started), or None when complete or running."""
    status = obj.get("status") or {}
    failed = _condition(obj, "Failed")
    if failed is not None:
        reason = failed.get("reason") or "failed"
        return f"job/{_name(obj)} failed: {reason}"
    if _condition(obj, "Complete") is not None:
        return None
    completions = _int((obj.get("spec") or {}).get("completions"), 1)
    if _int(status.get("succeeded")) >= completions or _int(status.get("active")) > 0:
        return None
    return f"job/{_name(obj)} not started"


def pod_problem(pod: Obj) -> str | None:
    """A pod stuck with a reason (CrashLoopBackOff, ImagePullBackOff, Unschedulable…), or None."""
    metadata, status = pod.get("metadata") or {}, pod.get("status") or {}
    if metadata.get("deletionTimestamp"):
        return None
    statuses = list(status.get("initContainerStatuses") or []) + list(
        status.get("containerStatuses") or []
    )
    for container in statuses:
        waiting = (container.get("state") or {}).get("waiting") or {}
        if waiting.get("reason") in STUCK_WAITING:
            return f"pod {_name(pod)} {waiting['reason']}"
    for condition in status.get("conditions") or []:
        if condition.get("type") == "PodScheduled" and condition.get("status") == "False":
            return f"pod {_name(pod)} {condition.get('reason') or 'Unschedulable'}"
    return None


def workload_problems(
    deployments: Iterable[Obj],
    statefulsets: Iterable[Obj],
    daemonsets: Iterable[Obj],
    jobs: Iterable[Obj],
) -> tuple[int, list[str]]:
    """The number of workloads and what keeps each unready one from being ready."""
    checks = (
        (deployments, deployment_problem),
        (statefulsets, statefulset_problem),
        (daemonsets, daemonset_problem),
        (jobs, job_problem),
    )
    total, problems = 0, []
    for objects, check in checks:
        for obj in objects:
            total += 1
            problem = check(obj)
            if problem is not None:
                problems.append(problem)
    return total, problems


def not_ready(
    deployments: Iterable[Obj],
    statefulsets: Iterable[Obj],
    daemonsets: Iterable[Obj],
    jobs: Iterable[Obj],
    pods: Iterable[Obj] = (),
) -> list[str]:
    """Everything not ready, workloads first, then stuck pods; empty when all is ready.

    Objects are the API's JSON (dicts). A namespace without any workload is not ready: the
    deployment that should have filled it has not happened.
    """
    total, problems = workload_problems(deployments, statefulsets, daemonsets, jobs)
    if total == 0:
        problems.append("no deployments, statefulsets, daemonsets or jobs")
    problems.extend(p for p in (pod_problem(pod) for pod in pods) if p is not None)
    return problems


def wait_ready(
    api: kubernetes.client.ApiClient,
    namespace: str,
    *,
    timeout_s: float,
    echo: Echo,
    what: str = "",
    clock: Callable[[], float] = time.monotonic,
) -> None:
    """Return once every workload in `namespace` is ready; UserError (EXIT_NOT_READY) listing
    what is not after `timeout_s`. Progress ("mojaloop: 12/15 workloads ready") is echoed when
    it changes; `what` names the namespace's contents in messages (default: the namespace)."""
    label = what or namespace
    apps = kubernetes.client.AppsV1Api(api)
    batch = kubernetes.client.BatchV1Api(api)
    core = kubernetes.client.CoreV1Api(api)
    kinds = {
        "deployments": apps.list_namespaced_deployment,
        "statefulsets": apps.list_namespaced_stateful_set,
        "daemonsets": apps.list_namespaced_daemon_set,
        "jobs": batch.list_namespaced_job,
    }
    deadline = clock() + timeout_s
    shown = ""
    while True:
        listed = {
            kind: read_list(call, namespace, what=f"listing {kind} in {namespace}")
            for kind, call in kinds.items()
        }
        items = {kind: objects for kind, (objects, _) in listed.items()}
        total, problems = workload_problems(
            items["deployments"], items["statefulsets"], items["daemonsets"], items["jobs"]
        )
        progress = f"{label}: {total - len(problems)}/{total} workloads ready"
        if progress != shown:
            echo(progress)
            shown = progress
        if total and not problems:
            return
        remaining = deadline - clock()
        if remaining <= 0:
            pods, _ = read_list(
                core.list_namespaced_pod, namespace, what=f"listing pods in {namespace}"
            )
            missing = not_ready(
                items["deployments"],
                items["statefulsets"],
                items["daemonsets"],
                items["jobs"],
                pods,
            )
            raise UserError(
                f"{label} not ready after {timeout_s:g} s: {'; '.join(missing)}",
                exit_code=EXIT_NOT_READY,
            )
        wait_for_event(
            [
                WatchSpec(call, (namespace,), listed[kind][1], what=f"{kind} in {namespace}")
                for kind, call in kinds.items()
            ],
            remaining,
        )
