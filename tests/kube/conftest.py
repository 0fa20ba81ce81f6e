"""Fixtures: a fake API server per test, a client built from a kubeconfig pointing at it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from mojaloop_perf.kube.client import api_client
from tests.kube.fake_api import FakeKube


class Echo(list[str]):
    """An echo that keeps what it was told."""

    def __call__(self, line: str) -> None:
        self.append(line)


def write_kubeconfig(path: Path, server: str, token: str) -> Path:
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "fake", "cluster": {"server": server}}],
        "users": [{"name": "tester", "user": {"token": token}}],
        "contexts": [{"name": "fake", "context": {"cluster": "fake", "user": "tester"}}],
        "current-context": "fake",
    }
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


@pytest.fixture
def fake() -> Iterator[FakeKube]:
    server = FakeKube().start()
    yield server
    server.stop()


@pytest.fixture
def kubeconfig(fake: FakeKube, tmp_path: Path) -> Path:
    return write_kubeconfig(tmp_path / "kubeconfig.yaml", fake.url, fake.token)


@pytest.fixture
def api(kubeconfig: Path) -> Iterator[object]:
    client = api_client(kubeconfig)
    yield client
    client.close()


@pytest.fixture
def echo() -> Echo:
    return Echo()
