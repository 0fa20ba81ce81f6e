"""A fake Kubernetes API server: just the calls mojaloop_perf.kube makes, over real HTTP on loopback.

It holds objects per resource and namespace, gives every change a resourceVersion and keeps the
change as a watch event. List calls honour labelSelector and fieldSelector; `?watch=true` streams
newline-delimited events after the given resourceVersion and ends after timeoutSeconds. A test
scripts a timeline with `on_watch`: each watch opened on a resource applies that resource's next
step before answering, so the client sees the change as an event on the watch it has just opened,
without any timing in the test.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import re
import threading
from collections import defaultdict, deque
from collections.abc import Callable
from typing import Any

from aiohttp import web

# resource → the API prefix it lives under
PREFIXES = {
    "pods": "/api/v1",
    "deployments": "/apis/apps/v1",
    "statefulsets": "/apis/apps/v1",
    "daemonsets": "/apis/apps/v1",
    "jobs": "/apis/batch/v1",
    "testruns": "/apis/k6.io/v1alpha1",
}
PATH = re.compile(
    r"^(?P<prefix>/api/v1|/apis/[^/]+/[^/]+)/namespaces/(?P<ns>[^/]+)/(?P<resource>[^/]+)"
    r"(?:/(?P<name>[^/]+)(?:/(?P<sub>log))?)?$"
)
MAX_WATCH_S = 30.0  # a watch without timeoutSeconds still ends: a test must not hang

Step = Callable[["FakeKube"], None]


def status(code: int, reason: str, message: str) -> web.Response:
    body = {"kind": "Status", "apiVersion": "v1", "status": "Failure"}
    body |= {"message": message, "reason": reason, "code": code}
    return web.json_response(body, status=code)


def selected(obj: dict, labels: str, fields: str) -> bool:
    """Whether `obj` matches equality label and field selectors ('a=b,c!=d', 'metadata.name=x')."""
    have = obj["metadata"].get("labels") or {}
    for term in filter(None, labels.split(",")):
        if "!=" in term:
            key, value = term.split("!=", 1)
            if have.get(key) == value:
                return False
        elif "=" in term:
            key, value = term.split("=", 1)
            if have.get(key) != value.lstrip("="):
                return False
        elif term not in have:
            return False
    for term in filter(None, fields.split(",")):
        key, value = term.split("=", 1)
        if key != "metadata.name":
            raise ValueError(f"field selector {key} not supported by the fake")
        if obj["metadata"]["name"] != value:
            return False
    return True


class FakeKube:
    """The fake API server; `start()` runs it in a thread with its own event loop."""

    def __init__(self, token: str = "fake-token") -> None:
        self.token = token
        self.requests: list[str] = []  # "GET /path?query" of every request, in order
        self.logs: dict[tuple[str, str], str | int] = {}  # (namespace, pod) → text or HTTP status
        self._lock = threading.Lock()
        self._version = 1000
        self._objects: dict[tuple[str, str, str], dict] = {}
        self._events: list[tuple[int, str, str, dict]] = []  # (version, resource, type, object)
        self._steps: dict[str, deque[Step]] = defaultdict(deque)
        # resource → how its watches misbehave: an ERROR event's status, or None to end at once
        self.broken_watches: dict[str, dict | None] = {}
        self._loop = asyncio.new_event_loop()
        self._changed: asyncio.Event | None = None
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self.port = 0

    # ---- state, from any thread ----------------------------------------------------------

    def put(self, resource: str, obj: dict, namespace: str = "default") -> dict:
        """Create or replace an object (ADDED or MODIFIED event); the stored copy."""
        if resource not in PREFIXES:
            raise ValueError(f"unknown resource {resource}")
        stored = copy.deepcopy(obj)
        metadata = stored.setdefault("metadata", {})
        metadata["namespace"] = namespace
        key = (resource, namespace, metadata["name"])
        with self._lock:
            self._version += 1
            metadata["resourceVersion"] = str(self._version)
            metadata.setdefault("creationTimestamp", f"2025-01-01T00:00:{self._version % 60:02d}Z")
            kind = "MODIFIED" if key in self._objects else "ADDED"
            self._objects[key] = stored
            self._events.append((self._version, resource, kind, copy.deepcopy(stored)))
        self._notify()
        return copy.deepcopy(stored)

    def update(
        self, resource: str, name: str, change: Callable[[dict], None], namespace: str = "default"
    ) -> dict:
        """Apply `change` to a copy of the stored object and put it back."""
        obj = self.get(resource, name, namespace)
        change(obj)
        return self.put(resource, obj, namespace)

    def get(self, resource: str, name: str, namespace: str = "default") -> dict:
        with self._lock:
            return copy.deepcopy(self._objects[(resource, namespace, name)])

    def delete(self, resource: str, name: str, namespace: str = "default") -> None:
        with self._lock:
            obj = self._objects.pop((resource, namespace, name))
            self._version += 1
            obj["metadata"]["resourceVersion"] = str(self._version)
            self._events.append((self._version, resource, "DELETED", obj))
        self._notify()

    def on_watch(self, resource: str, *steps: Step) -> None:
        """Queue steps: each watch opened on `resource` applies the next one once it is open."""
        self._steps[resource].extend(steps)

    def pending_steps(self, resource: str) -> int:
        return len(self._steps[resource])

    def watches(self, resource: str) -> list[str]:
        """The watch requests made on `resource`."""
        return [r for r in self.requests if f"/{resource}?" in r and "watch=True" in r]

    # ---- server --------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FakeKube:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._serve(), self._loop).result(timeout=10)
        return self

    def stop(self) -> None:
        self._closing = True
        self._notify()
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    async def _serve(self) -> None:
        self._changed = asyncio.Event()
        app = web.Application()
        app.router.add_get("/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    def _notify(self) -> None:
        def wake() -> None:
            if self._changed is not None:
                self._changed.set()
                self._changed = asyncio.Event()

        if self._loop.is_running():
            self._loop.call_soon_threadsafe(wake)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(f"GET {request.path_qs}")
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return status(401, "Unauthorized", "Unauthorized")
        match = PATH.match(request.path)
        if not match or PREFIXES.get(match["resource"]) != match["prefix"]:
            return status(404, "NotFound", f"the server could not find {request.path}")
        namespace, resource, name = match["ns"], match["resource"], match["name"]
        if match["sub"] == "log":
            return self._log(namespace, name)
        if name is not None:
            with self._lock:
                obj = self._objects.get((resource, namespace, name))
            if obj is None:
                return status(404, "NotFound", f'{resource} "{name}" not found')
            return web.json_response(obj)
        query = request.query
        labels, fields = query.get("labelSelector", ""), query.get("fieldSelector", "")
        if query.get("watch", "").lower() in ("true", "1"):  # the client sends "True"
            return await self._watch(request, namespace, resource, labels, fields)
        with self._lock:
            items = [
                copy.deepcopy(obj)
                for (res, ns, _), obj in sorted(self._objects.items())
                if res == resource and ns == namespace and selected(obj, labels, fields)
            ]
            version = str(self._version)
        return web.json_response({"metadata": {"resourceVersion": version}, "items": items})

    def _log(self, namespace: str, pod: str) -> web.Response:
        log = self.logs.get((namespace, pod))
        if log is None:
            return status(404, "NotFound", f'pods "{pod}" not found')
        if isinstance(log, int):
            return status(log, "InternalError", f"cannot get the log of {pod}")
        return web.Response(text=log, content_type="text/plain")

    async def _watch(
        self, request: web.Request, namespace: str, resource: str, labels: str, fields: str
    ) -> web.StreamResponse:
        timeout = float(request.query.get("timeoutSeconds", MAX_WATCH_S))
        since = int(request.query.get("resourceVersion") or self._version)
        if self._steps[resource]:  # before the headers: once the client has its stream, it is done
            self._steps[resource].popleft()(self)
        response = web.StreamResponse()
        response.content_type = "application/json"
        response.enable_chunked_encoding()
        await response.prepare(request)
        if resource in self.broken_watches:
            error = self.broken_watches[resource]
            if error is not None:
                await response.write(
                    json.dumps({"type": "ERROR", "object": error}).encode() + b"\n"
                )
            await response.write_eof()
            return response
        deadline = self._loop.time() + min(timeout, MAX_WATCH_S)
        while not self._closing:
            changed = self._changed
            assert changed is not None
            with self._lock:
                events = [
                    (version, kind, obj)
                    for version, res, kind, obj in self._events
                    if version > since
                    and res == resource
                    and obj["metadata"]["namespace"] == namespace
                    and selected(obj, labels, fields)
                ]
            try:
                for version, kind, obj in events:
                    await response.write(json.dumps({"type": kind, "object": obj}).encode() + b"\n")
                    since = version
            except (ConnectionError, RuntimeError):
                return response  # the client went away
            remaining = deadline - self._loop.time()
            if remaining <= 0 or request.transport is None or request.transport.is_closing():
                break
            try:
                await asyncio.wait_for(changed.wait(), remaining)
            except TimeoutError:
                break
        with contextlib.suppress(ConnectionError, RuntimeError):
            await response.write_eof()
        return response


# ---- objects, as the API returns them ------------------------------------------------------


def meta(name: str, labels: dict[str, str] | None = None, **extra: Any) -> dict:
    return {"name": name, "labels": labels or {}, **extra}


def deployment(name: str, replicas: int, available: int, updated: int | None = None) -> dict:
    return {
        "metadata": meta(name, generation=1),
        "spec": {"replicas": replicas},
        "status": {
            "observedGeneration": 1,
            "replicas": replicas,
            "availableReplicas": available,
            "updatedReplicas": replicas if updated is None else updated,
        },
    }


def statefulset(name: str, replicas: int, ready: int) -> dict:
    return {
        "metadata": meta(name),
        "spec": {"replicas": replicas},
        "status": {"replicas": replicas, "readyReplicas": ready},
    }


def daemonset(name: str, desired: int, ready: int) -> dict:
    return {
        "metadata": meta(name),
        "status": {"desiredNumberScheduled": desired, "numberReady": ready},
    }


def job(name: str, *, complete: bool = False, failed: str | None = None, active: int = 0) -> dict:
    conditions = []
    if complete:
        conditions.append({"type": "Complete", "status": "True"})
    if failed:
        conditions.append({"type": "Failed", "status": "True", "reason": failed})
    status_ = {"active": active, "succeeded": int(complete), "conditions": conditions}
    return {"metadata": meta(name), "spec": {"completions": 1}, "status": status_}


def pod(
    name: str,
    *,
    labels: dict[str, str] | None = None,
    phase: str = "Running",
    waiting: str | None = None,
    exit_code: int | None = None,
    reason: str | None = None,
    restarts: int = 0,
    node: str = "node-1",
    unschedulable: bool = False,
    container: str = "k6",
) -> dict:
    if waiting is not None:
        state: dict = {"waiting": {"reason": waiting}}
    elif exit_code is not None:
        state = {"terminated": {"exitCode": exit_code, "reason": reason or "Completed"}}
    else:
        state = {"running": {"startedAt": "2025-01-01T00:00:00Z"}}
    conditions = []
    if unschedulable:
        conditions.append({"type": "PodScheduled", "status": "False", "reason": "Unschedulable"})
    return {
        "metadata": meta(name, labels),
        "spec": {"nodeName": node},
        "status": {
            "phase": phase,
            "conditions": conditions,
            "containerStatuses": [
                {"name": container, "state": state, "restartCount": restarts, "ready": True}
            ],
        },
    }


def k6_testrun(
    name: str, stage: str = "", parallelism: int = 2, conditions: list | None = None
) -> dict:
    return {
        "apiVersion": "k6.io/v1alpha1",
        "kind": "TestRun",
        "metadata": meta(name, generation=1),
        "spec": {"parallelism": parallelism, "script": {"configMap": {"name": name}}},
        "status": {"stage": stage, "conditions": conditions or []},
    }


def runner_pod(testrun_name: str, index: int, **state: Any) -> dict:
    """A runner pod as the k6 Operator's Job `<testrun>-<index>` makes it."""
    job_name = f"{testrun_name}-{index}"
    labels = {
        "app": "k6",
        "k6_cr": testrun_name,
        "runner": "true",
        "job-name": job_name,
        "batch.kubernetes.io/job-name": job_name,
    }
    return pod(f"{job_name}-x{index}k{index}", labels=labels, **state)


def set_stage(name: str, stage: str, namespace: str = "default") -> Step:
    """A step moving TestRun `name` to `stage`."""

    def step(fake: FakeKube) -> None:
        fake.update("testruns", name, lambda tr: tr["status"].update(stage=stage), namespace)

    return step
