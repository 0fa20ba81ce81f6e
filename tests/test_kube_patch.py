"""Post-install patches of Deployments (mojaloop_perf.kube.patch): the body sent, when it holds, waiting.

The end-to-end cases run the real kubernetes client against the fake API server of tests/kube/,
taught here to answer PATCH the way the API server does for a strategic merge patch (replicas
set, containers merged by name, generation bumped), so what is asserted is the request that goes
over the wire and the reads and watches that follow it.
"""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import kubernetes
import pytest
from aiohttp import web

from mojaloop_perf.errors import UserError
from mojaloop_perf.kube import patch
from mojaloop_perf.kube.client import api_client
from mojaloop_perf.kube.readiness import EXIT_NOT_READY
from mojaloop_perf.render_aws.patches import patch as make_patch
from tests.kube.conftest import Echo, write_kubeconfig
from tests.kube.fake_api import PATH, FakeKube

NS = "simulator-fsp201"
NAME = "simulator-fsp201-sim-fsp201-scheme-adapter"
STRATEGIC = "application/strategic-merge-patch+json"


def scale_and_size(**changes: Any) -> dict[str, Any]:
    """A patch as render_aws renders it: 16 replicas, the scheme adapter's requests."""
    arguments: dict[str, Any] = {
        "release": "simulator-fsp201",
        "cluster": "fsp201",
        "namespace": NS,
        "name": NAME,
        "why": "the chart scales every pod of a DFSP with one replicaCount",
        "replicas": 16,
        "resources": {"scheme-adapter": {"requests": {"cpu": "1500m", "memory": "1Gi"}}},
    }
    return make_patch(**(arguments | changes))


def installed(replicas: int = 1, cpu: str | None = None) -> dict[str, Any]:
    """The Deployment as the chart installed it, rolled out."""
    resources = {"requests": {"cpu": cpu}, "limits": {"cpu": "4"}} if cpu else {}
    return {
        "metadata": {"name": NAME, "generation": 1},
        "spec": {
            "replicas": replicas,
            "template": {
                "spec": {
                    "containers": [
                        {"name": "scheme-adapter", "image": "sdk:1", "resources": resources},
                        {"name": "redis", "image": "redis:7"},
                    ]
                }
            },
        },
        "status": rolled_out(replicas, 1),
    }


def rolled_out(replicas: int, generation: int) -> dict[str, Any]:
    return {
        "observedGeneration": generation,
        "replicas": replicas,
        "updatedReplicas": replicas,
        "readyReplicas": replicas,
        "availableReplicas": replicas,
    }


# --- what is sent, what holds ---------------------------------------------------------------


def test_the_body_sets_only_what_the_patch_asks() -> None:
    assert patch.body(scale_and_size()) == {
        "spec": {
            "replicas": 16,
            "template": {
                "spec": {
                    "containers": [
                        {
                            "name": "scheme-adapter",
                            "resources": {"requests": {"cpu": "1500m", "memory": "1Gi"}},
                        }
                    ]
                }
            },
        }
    }
    assert patch.body(scale_and_size(resources=None)) == {"spec": {"replicas": 16}}
    only_resources = patch.body(scale_and_size(replicas=None))
    assert "replicas" not in only_resources["spec"]


def test_quantities_are_compared_as_the_api_server_stores_them() -> None:
    obj = installed(16, cpu="1.5")
    obj["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"]["memory"] = "1024Mi"
    assert patch.spec_problems(obj, scale_and_size()) == []
    obj["spec"]["replicas"] = 1
    obj["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"]["cpu"] = "1"
    assert patch.spec_problems(obj, scale_and_size()) == [
        "replicas 1, not 16",
        "container scheme-adapter requests.cpu 1, not 1500m",
    ]


def test_a_rollout_is_done_by_kubectl_rollout_status_rules() -> None:
    obj = installed(16)
    assert patch.rollout_problems(obj) == []
    obj["metadata"]["generation"] = 2
    assert patch.rollout_problems(obj) == ["generation 2 not yet observed"]
    obj["status"] = rolled_out(16, 2) | {"updatedReplicas": 10, "replicas": 17, "readyReplicas": 9}
    assert patch.rollout_problems(obj) == [
        "10/16 replicas updated",
        "7 old replicas not yet gone",
        "9/16 replicas ready",
    ]


# --- against an API server ------------------------------------------------------------------


class PatchingKube(FakeKube):
    """The fake API server, also answering PATCH of a Deployment as the API server does for a
    strategic merge patch; every PATCH's content type and body are kept in `patched`."""

    def __init__(self) -> None:
        super().__init__()
        self.patched: list[tuple[str, dict[str, Any]]] = []

    async def _serve(self) -> None:
        # FakeKube._serve with a PATCH route beside its GET route.
        self._changed = asyncio.Event()
        app = web.Application()
        app.router.add_get("/{tail:.*}", self._handle)
        app.router.add_patch("/{tail:.*}", self._patch)
        self._runner = web.AppRunner(app, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def _patch(self, request: web.Request) -> web.Response:
        self.requests.append(f"PATCH {request.path_qs}")
        match = PATH.match(request.path)
        assert match and match["resource"] == "deployments", request.path
        body = json.loads(await request.read())
        self.patched.append((request.content_type, body))

        def merge(obj: dict[str, Any]) -> None:
            spec = body["spec"]
            if "replicas" in spec:
                obj["spec"]["replicas"] = spec["replicas"]
            containers = {c["name"]: c for c in obj["spec"]["template"]["spec"]["containers"]}
            for container in spec.get("template", {}).get("spec", {}).get("containers", []):
                have = containers[container["name"]].setdefault("resources", {})
                for kind, amounts in container["resources"].items():
                    have.setdefault(kind, {}).update(amounts)
            obj["metadata"]["generation"] += 1

        stored = self.update("deployments", match["name"], merge, match["ns"])
        return web.json_response(stored)


@pytest.fixture
def server() -> Iterator[PatchingKube]:
    fake = PatchingKube()
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture
def apps(server: PatchingKube, tmp_path: Path) -> Iterator[Any]:
    api = api_client(write_kubeconfig(tmp_path / "kubeconfig.yaml", server.url, server.token))
    yield kubernetes.client.AppsV1Api(api)
    api.close()


def roll_out(fake: FakeKube) -> None:
    """The Deployment controller's work: every replica of the latest spec updated and ready."""

    def done(obj: dict[str, Any]) -> None:
        obj["status"] = rolled_out(obj["spec"]["replicas"], obj["metadata"]["generation"])

    fake.update("deployments", NAME, done, NS)


def test_a_patch_is_sent_as_a_strategic_merge_and_waited_on_until_it_holds(
    server: PatchingKube, apps: Any
) -> None:
    server.put("deployments", installed(1, cpu="250m"), NS)
    server.on_watch("deployments", roll_out)
    echo = Echo()
    assert patch.apply(apps, scale_and_size(), timeout_s=30, echo=echo) is True
    assert server.patched == [(STRATEGIC, patch.body(scale_and_size()))]
    [request] = [r for r in server.requests if r.startswith("PATCH")]
    assert request == f"PATCH /apis/apps/v1/namespaces/{NS}/deployments/{NAME}?fieldManager=mlperf"
    obj = server.get("deployments", NAME, NS)
    assert obj["spec"]["replicas"] == 16 and obj["status"]["readyReplicas"] == 16
    scheme_adapter, redis = obj["spec"]["template"]["spec"]["containers"]
    # Only the named container, only the fields given: the chart's limit stays, redis untouched.
    assert scheme_adapter["resources"] == {
        "requests": {"cpu": "1500m", "memory": "1Gi"},
        "limits": {"cpu": "4"},
    }
    assert redis == {"name": "redis", "image": "redis:7"}
    assert len(server.watches("deployments")) == 1
    assert server.pending_steps("deployments") == 0
    assert echo[-1] == (
        f"deployment {NS}/{NAME}: replicas 16; container scheme-adapter requests cpu 1500m, "
        "memory 1Gi holds"
    )

    # Again, with the patch holding: nothing is sent, nothing is waited on.
    before = copy.deepcopy(server.get("deployments", NAME, NS))
    assert patch.apply(apps, scale_and_size(), timeout_s=30, echo=echo) is False
    assert len(server.patched) == 1 and len(server.watches("deployments")) == 1
    assert server.get("deployments", NAME, NS) == before
    assert echo[-1].endswith("already holds")


def test_a_patch_that_does_not_hold_in_time_names_the_deployment_and_what_does_not_hold(
    server: PatchingKube, apps: Any
) -> None:
    server.put("deployments", installed(1), NS)
    ticks = iter(range(0, 1000, 10))
    with pytest.raises(UserError) as caught:
        patch.apply(
            apps,
            scale_and_size(),
            timeout_s=15,
            echo=Echo(),
            clock=lambda: float(next(ticks)),
            wait=lambda specs, timeout_s: False,
        )
    assert caught.value.exit_code == EXIT_NOT_READY
    assert str(caught.value) == (
        f"deployment {NS}/{NAME}: post-install patch does not hold after 15 s: "
        "generation 2 not yet observed"
    )


def test_a_patch_of_a_deployment_or_container_the_chart_did_not_install_is_refused(
    server: PatchingKube, apps: Any
) -> None:
    with pytest.raises(UserError) as caught:
        patch.apply(apps, scale_and_size(), timeout_s=5, echo=Echo())
    assert str(caught.value) == (
        f"deployment {NS}/{NAME} (release simulator-fsp201) not found: the post-install patch "
        "names a Deployment the chart did not install"
    )
    server.put("deployments", installed(1), NS)
    wrong = scale_and_size(resources={"sdk": {"requests": {"cpu": "1"}}})
    with pytest.raises(UserError) as caught:
        patch.apply(apps, wrong, timeout_s=5, echo=Echo())
    assert str(caught.value) == (
        f"deployment {NS}/{NAME} has no container sdk (it has redis, scheme-adapter)"
    )
    assert server.patched == []
