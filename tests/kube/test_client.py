"""The client: kubeconfig errors name the file; API failures are one line; watches wake on change."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import kubernetes
import pytest

from mojaloop_perf.errors import UserError
from mojaloop_perf.kube.client import WatchSpec, api_client, read_list, wait_for_event
from tests.kube.conftest import write_kubeconfig
from tests.kube.fake_api import FakeKube, deployment, pod


def test_client_from_kubeconfig_reads_the_fake_with_its_token(fake: FakeKube, api) -> None:
    fake.put("deployments", deployment("quoting-service", 2, 2), namespace="mojaloop")
    apps = kubernetes.client.AppsV1Api(api)
    items, version = read_list(apps.list_namespaced_deployment, "mojaloop", what="listing")
    assert [item["metadata"]["name"] for item in items] == ["quoting-service"]
    assert version == items[0]["metadata"]["resourceVersion"]
    assert fake.requests == ["GET /apis/apps/v1/namespaces/mojaloop/deployments"]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "no such file"),
        ("", "the file is empty"),
        ("clusters: [", "not a usable kubeconfig"),
        ("just a string\n", "not a usable kubeconfig"),
        ("apiVersion: v1\nkind: Config\n", "not a usable kubeconfig"),
        (
            "apiVersion: v1\nkind: Config\ncurrent-context: gone\ncontexts: []\n",
            "not a usable kubeconfig",
        ),
    ],
)
def test_bad_kubeconfig_is_a_user_error_naming_the_file(
    tmp_path: Path, content: str | None, expected: str
) -> None:
    path = tmp_path / "cluster-1.yaml"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(UserError) as caught:
        api_client(path)
    message = str(caught.value)
    assert message.startswith(f"kubeconfig {path}: {expected}")
    assert "\n" not in message


def test_kubeconfig_that_is_a_folder_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match=rf"^kubeconfig {tmp_path}: cannot read it"):
        api_client(tmp_path)


def test_wrong_token_is_a_user_error_with_the_status(fake: FakeKube, tmp_path: Path) -> None:
    client = api_client(write_kubeconfig(tmp_path / "k.yaml", fake.url, "stale-token"))
    apps = kubernetes.client.AppsV1Api(client)
    with pytest.raises(UserError, match=r"^Kubernetes API: listing deployments failed: HTTP 401"):
        read_list(apps.list_namespaced_deployment, "mojaloop", what="listing deployments")
    client.close()


def test_unreachable_api_is_a_user_error(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = api_client(write_kubeconfig(tmp_path / "k.yaml", f"http://127.0.0.1:{port}", "t"))
    core = kubernetes.client.CoreV1Api(client)
    with pytest.raises(UserError) as caught:
        read_list(core.list_namespaced_pod, "mojaloop", what="listing pods")
    assert str(caught.value).startswith(
        f"Kubernetes API: listing pods failed: cannot reach 127.0.0.1:{port}: "
        "Failed to establish a new connection"
    )
    client.close()


def _pod_watch(api, version: str) -> WatchSpec:
    core = kubernetes.client.CoreV1Api(api)
    return WatchSpec(core.list_namespaced_pod, ("mojaloop",), version, what="pods in mojaloop")


def test_wait_for_event_returns_at_the_first_change(fake: FakeKube, api) -> None:
    version = fake.put("pods", pod("a"), "mojaloop")["metadata"]["resourceVersion"]
    fake.on_watch("pods", lambda f: f.put("pods", pod("b"), "mojaloop"))
    started = time.monotonic()
    assert wait_for_event([_pod_watch(api, version)], 2) is True
    assert time.monotonic() - started < 1
    # from the version read, ending within the time left (a whole second less than 2 s)
    assert fake.watches("pods") == [
        f"GET /api/v1/namespaces/mojaloop/pods?resourceVersion={version}&timeoutSeconds=1&watch=True"
    ]


def test_wait_for_event_times_out_without_change(fake: FakeKube, api) -> None:
    version = fake.put("pods", pod("a"), "mojaloop")["metadata"]["resourceVersion"]
    fake.on_watch("pods", lambda f: f.put("pods", pod("b"), "elsewhere"))  # not watched
    started = time.monotonic()
    assert wait_for_event([_pod_watch(api, version)], 1) is False
    assert 0.9 <= time.monotonic() - started < 2


def test_gone_resource_version_is_a_change_to_read_again(fake: FakeKube, api) -> None:
    fake.broken_watches["pods"] = {"code": 410, "reason": "Expired", "message": "too old"}
    assert wait_for_event([_pod_watch(api, "1")], 2) is True


def test_watch_error_event_is_a_user_error(fake: FakeKube, api) -> None:
    fake.broken_watches["pods"] = {"code": 403, "reason": "Forbidden", "message": "no watch"}
    with pytest.raises(
        UserError, match=r"watching pods in mojaloop failed: 403 Forbidden: no watch"
    ):
        wait_for_event([_pod_watch(api, "1")], 2)


def test_watch_ending_at_once_again_and_again_is_a_user_error(fake: FakeKube, api) -> None:
    fake.broken_watches["pods"] = None
    started = time.monotonic()
    with pytest.raises(UserError, match=r"the watch on pods in mojaloop keeps ending at once"):
        wait_for_event([_pod_watch(api, "1")], 2)
    assert time.monotonic() - started < 1
    assert len(fake.watches("pods")) == 4  # opened again 3 times, then given up
