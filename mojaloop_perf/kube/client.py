"""The Kubernetes API seen from the AWS target: a client from a kubeconfig, JSON reads, watches.

Reads ask for the raw response and decode the API's own JSON (camelCase dicts) instead of the
generated model classes: the checks below read a handful of status fields, and the models would
reject partial objects and mangle pod logs that happen to look like JSON.

Waiting is `wait_for_event`: it opens one watch per resource (each from the resourceVersion the
caller has just listed, so no change is missed between the read and the watch) and returns at the
first event. The caller then reads the state again. There is no sleeping and no polling.
"""

from __future__ import annotations

import contextlib
import json
import queue
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import kubernetes
import urllib3
import yaml
from kubernetes.client.exceptions import ApiException
from kubernetes.config.config_exception import ConfigException

from mojaloop_perf.errors import UserError

CONNECT_TIMEOUT_S = 10.0
REQUEST_TIMEOUT_S = 60.0
# How long a watch's reader may outlive its server-side timeout before the socket gives up.
WATCH_READ_GRACE_S = 30.0
# A watch that ends this soon without an event is opened again at most MAX_QUICK_ENDS times.
QUICK_END_S = 1.0
MAX_QUICK_ENDS = 3

ApiCall = Callable[..., Any]


def api_client(kubeconfig: Path) -> kubernetes.client.ApiClient:
    """A client for the cluster and user of `kubeconfig`'s current context."""
    try:
        text = kubeconfig.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError(f"kubeconfig {kubeconfig}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"kubeconfig {kubeconfig}: cannot read it: {exc}") from None
    if not text.strip():
        raise UserError(f"kubeconfig {kubeconfig}: the file is empty")
    try:
        # persist_config=False: never write refreshed credentials back into the user's file.
        return kubernetes.config.new_client_from_config(
            config_file=str(kubeconfig), persist_config=False
        )
    except (
        ConfigException,
        yaml.YAMLError,
        TypeError,
        ValueError,
        KeyError,
        AttributeError,
    ) as exc:
        detail = " ".join(str(exc).split()) or type(exc).__name__
        raise UserError(f"kubeconfig {kubeconfig}: not a usable kubeconfig: {detail}") from None


def _api_error(what: str, exc: Exception) -> UserError:
    if isinstance(exc, ApiException):
        detail = f"HTTP {exc.status} {exc.reason or ''}".strip()
        with contextlib.suppress(ValueError, TypeError, AttributeError):
            message = json.loads(exc.body).get("message")
            if message:
                detail += f": {message}"
    elif isinstance(exc, urllib3.exceptions.MaxRetryError) and exc.pool is not None:
        reason = str(exc.reason).split("): ", 1)[-1]  # without the connection object's repr
        detail = f"cannot reach {exc.pool.host}:{exc.pool.port}: {reason}"
    else:
        detail = str(exc) or type(exc).__name__
    return UserError(f"Kubernetes API: {what} failed: {' '.join(detail.split())}")


def raw(call: ApiCall, *args: Any, what: str, missing_ok: bool = False, **kwargs: Any) -> Any:
    """The undecoded response of an API call (a urllib3 response); None for a 404 if
    `missing_ok`. Any other failure is a UserError saying `what` was being done."""
    kwargs.setdefault("_request_timeout", (CONNECT_TIMEOUT_S, REQUEST_TIMEOUT_S))
    try:
        return call(*args, _preload_content=False, **kwargs)
    except ApiException as exc:
        if missing_ok and exc.status == 404:
            return None
        raise _api_error(what, exc) from None
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        raise _api_error(what, exc) from None


def read_json(call: ApiCall, *args: Any, what: str, missing_ok: bool = False, **kwargs: Any) -> Any:
    """An API call's JSON body as a dict; None for a 404 if `missing_ok`."""
    response = raw(call, *args, what=what, missing_ok=missing_ok, **kwargs)
    if response is None:
        return None
    try:
        return json.loads(response.data)
    except ValueError as exc:
        raise _api_error(what, exc) from None


def read_list(call: ApiCall, *args: Any, what: str, **kwargs: Any) -> tuple[list[dict], str]:
    """The items of a list call and the list's resourceVersion (to watch from)."""
    body = read_json(call, *args, what=what, **kwargs)
    return list(body.get("items") or []), str(
        (body.get("metadata") or {}).get("resourceVersion", "")
    )


@dataclass(frozen=True)
class WatchSpec:
    """One watch to open: a list call of the client (e.g. `CoreV1Api.list_namespaced_pod`), its
    positional arguments and selectors, and the resourceVersion to watch from."""

    call: ApiCall
    args: tuple[Any, ...]
    resource_version: str
    what: str
    kwargs: Mapping[str, Any] = field(default_factory=dict)


def _pump(key: int, response: Any, events: queue.SimpleQueue[tuple[int, bytes | None]]) -> None:
    """Report stream `key`'s first event line, or None when the stream ends without one."""
    buffer = b""
    try:
        for chunk in response.stream(amt=None, decode_content=False):
            buffer += chunk if isinstance(chunk, bytes) else chunk.encode()
            line, newline, _ = buffer.lstrip(b"\r\n").partition(b"\n")
            if newline:
                events.put((key, line))
                return
    except Exception:  # shut down by wait_for_event, or broken: either way it has ended
        pass
    events.put((key, None))


def _close(response: Any) -> None:
    # shutdown() (urllib3 >= 2.3) interrupts a read blocked in another thread; close() may not.
    with contextlib.suppress(Exception):
        shutdown = getattr(response, "shutdown", None)
        if shutdown is not None:
            shutdown()
    with contextlib.suppress(Exception):
        response.close()


def _check_event(spec: WatchSpec, line: bytes) -> None:
    """An ERROR event other than 410 Gone (the caller's resourceVersion is too old: reading the
    state again fixes that) is a UserError; anything else is a change."""
    try:
        event = json.loads(line)
    except ValueError:
        raise UserError(
            f"Kubernetes API: watching {spec.what}: not an event: {line[:80]!r}"
        ) from None
    if event.get("type") == "ERROR":
        status = event.get("object") or {}
        if status.get("code") != 410:
            detail = f"{status.get('code')} {status.get('reason')}: {status.get('message')}"
            raise UserError(f"Kubernetes API: watching {spec.what} failed: {detail}")


def wait_for_event(specs: Sequence[WatchSpec], timeout_s: float) -> bool:
    """Watch every spec at once; True as soon as any reports an event, False when `timeout_s`
    has passed.

    Each watch asks the server to end it within the time left (timeoutSeconds, at least 1: 0
    would mean no limit). A watch ended early by something else (a proxy's idle timeout, an API
    server restart) is opened again from its resourceVersion; one that keeps ending at once is a
    UserError rather than a busy loop.
    """
    if timeout_s <= 0 or not specs:
        return False
    deadline = time.monotonic() + timeout_s
    events: queue.SimpleQueue[tuple[int, bytes | None]] = queue.SimpleQueue()
    responses: dict[int, Any] = {}
    opened: dict[int, float] = {}
    threads: list[threading.Thread] = []
    quick_ends = 0

    def open_watch(key: int) -> None:
        spec = specs[key]
        server_timeout = max(1, int(deadline - time.monotonic()))
        responses[key] = raw(
            spec.call,
            *spec.args,
            what=f"watching {spec.what}",
            watch=True,
            resource_version=spec.resource_version or None,
            timeout_seconds=server_timeout,
            _request_timeout=(CONNECT_TIMEOUT_S, server_timeout + WATCH_READ_GRACE_S),
            **spec.kwargs,
        )
        opened[key] = time.monotonic()
        thread = threading.Thread(target=_pump, args=(key, responses[key], events), daemon=True)
        thread.start()
        threads.append(thread)

    try:
        for key in range(len(specs)):
            open_watch(key)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            try:
                key, line = events.get(timeout=remaining)
            except queue.Empty:
                return False
            if line is not None:
                _check_event(specs[key], line)
                return True
            if deadline - time.monotonic() < 1:
                return False  # it ended with the time we gave it
            if time.monotonic() - opened[key] < QUICK_END_S:
                quick_ends += 1
                if quick_ends > MAX_QUICK_ENDS:
                    raise UserError(
                        f"Kubernetes API: the watch on {specs[key].what} keeps ending at once"
                    )
            _close(responses[key])
            open_watch(key)
    finally:
        for response in responses.values():
            _close(response)
        for thread in threads:
            thread.join(timeout=2)
