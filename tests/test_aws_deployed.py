"""Deployed is what is recorded (mojaloop_perf.targets.aws_deployed): stages refuse clusters deployed from
another version of the scenario, and a run records what the clusters ran.

The stages run for real with recorded tools and a fake apps API (tests/test_aws_stages.py); only
the scenario's files are edited between them, as a user would.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml

from mojaloop_perf.errors import UserError
from mojaloop_perf.fsutil import read_json
from mojaloop_perf.project import Project
from mojaloop_perf.runner import Command, Completed
from mojaloop_perf.targets import aws, aws_deploy, aws_deployed, stage_function
from mojaloop_perf.targets.base import StageContext
from tests.test_aws_stages import (
    Response,
    ToolRunner,
    context,
    fake_clusters,
    helm_list,
    pod,
    provisioned,
    use_apps,
)
from tests.test_aws_target import ready  # noqa: F401  (fixture)


@pytest.fixture
def deployed(
    ready: Path,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    checkout: Project,
    small_scenario: Callable[..., str],
) -> StageContext:
    """A small scenario provisioned and deployed through the real deploy stage."""
    name = small_scenario("aws1")
    monkeypatch.setattr(aws_deploy, "wait_ready", lambda ctx, c, ns: None)
    ctx = context(checkout, ToolRunner(), name, root=checkout.root)
    provisioned(ctx)
    use_apps(
        monkeypatch, fake_clusters(read_json(aws.rendered_dir(ctx) / "helm/post-install.json"))
    )
    aws_deploy.deploy(ctx)
    assert ctx.state.get("deployed")["digest"] == ctx.scenario.digest
    return ctx


def reloaded(ctx: StageContext, runner: ToolRunner | None = None) -> StageContext:
    """The same scenario loaded again from its files, as the next `invoke` would."""
    return context(ctx.project, runner or ToolRunner(), ctx.scenario.name, root=ctx.project.root)


def test_test_refuses_clusters_deployed_from_another_version_of_the_scenario(
    deployed: StageContext,
) -> None:
    test = stage_function("aws", "test")
    # Deployed from the scenario on disk: the deploy check passes, the seed check stops it.
    with pytest.raises(UserError, match="test needs seed first"):
        test(reloaded(deployed))

    k6_file = deployed.scenario.directory / "overrides" / "k6.yaml"
    k6 = yaml.safe_load(k6_file.read_text())
    k6_file.write_text(yaml.safe_dump(k6 | {"tps": k6["tps"] * 2}))
    edited = reloaded(deployed)
    assert edited.scenario.digest != deployed.scenario.digest
    with pytest.raises(UserError) as caught:
        test(edited)
    assert str(caught.value) == (
        "test: the clusters run another version of scenario aws1 (deployed digest "
        f"{deployed.scenario.digest}, now {edited.scenario.digest}): "
        "run `invoke deploy --scenario aws1 --target aws`"
    )
    assert edited.runner.plan == []


def forced(ctx: StageContext, runner: ToolRunner) -> StageContext:
    return context(ctx.project, runner, ctx.scenario.name, force=True, root=ctx.project.root)


class FailingHelm(ToolRunner):
    """helm upgrade fails; everything else succeeds."""

    def run(self, command: Command, *, on_line=None, quiet: bool = False) -> Completed:
        super().run(command, on_line=on_line, quiet=quiet)
        return Completed(returncode=1 if command.argv[:2] == ("helm", "upgrade") else 0)


def test_a_deploy_that_stops_half_way_leaves_nothing_recorded_as_deployed(
    deployed: StageContext,
) -> None:
    with pytest.raises(UserError, match="helm upgrade … failed"):
        aws_deploy.deploy(forced(deployed, FailingHelm()))
    assert deployed.state.get("deployed") is None
    with pytest.raises(UserError) as caught:
        aws_deployed.require_deployed(reloaded(deployed), "seed")
    assert str(caught.value) == (
        "seed needs deploy first: run `invoke deploy --scenario aws1 --target aws`"
    )


def test_a_dry_run_refuses_nothing(deployed: StageContext) -> None:
    deployed.state.clear("deployed")
    dry = reloaded(deployed, ToolRunner(dry_run=True))
    assert aws_deployed.require_deployed(dry, "seed") is None


# --- what a run records ---------------------------------------------------------------------


def test_workloads_are_named_by_what_made_their_pods() -> None:
    def owned(kind: str, name: str, **labels: str) -> dict:
        return pod("p", (kind, name), {"c": "i:1"}, **labels)

    assert (
        aws_deployed.workload(owned("ReplicaSet", "quoting-5f7c", **{"pod-template-hash": "5f7c"}))
        == "deployment/quoting"
    )
    assert aws_deployed.workload(owned("ReplicaSet", "orphan-rs")) == "replicaset/orphan-rs"
    assert aws_deployed.workload(owned("StatefulSet", "kafka")) == "statefulset/kafka"
    assert aws_deployed.workload(owned("Job", "k6-1")) == "job/k6-1"
    assert aws_deployed.workload({"metadata": {"name": "bare"}}) == "pod/bare"


def test_images_are_one_entry_per_workload_and_container_with_what_ran() -> None:
    replicas = [
        pod(
            f"sa-9b-{i}",
            ("ReplicaSet", "sa-9b"),
            {"sdk": "mojaloop/sdk:v1", "redis": "redis:7"},
            **{"pod-template-hash": "9b"},
        )
        for i in range(3)
    ]
    for item in replicas:
        item["metadata"]["namespace"] = "simulator-fsp201"
    pending = pod(
        "sa-9b-4",
        ("ReplicaSet", "sa-9b"),
        {"sdk": "mojaloop/sdk:v1"},
        **{"pod-template-hash": "9b"},
    )
    pending["metadata"]["namespace"] = "simulator-fsp201"
    pending["status"] = {}
    assert aws_deployed.pod_images("fsp201", [*replicas, pending]) == [
        {
            "cluster": "fsp201",
            "namespace": "simulator-fsp201",
            "workload": "deployment/sa",
            "container": "redis",
            "image": "redis:7",
            "image_id": "redis:7@sha256:redis",
        },
        {
            "cluster": "fsp201",
            "namespace": "simulator-fsp201",
            "workload": "deployment/sa",
            "container": "sdk",
            "image": "mojaloop/sdk:v1",
            "image_id": None,
        },
        {
            "cluster": "fsp201",
            "namespace": "simulator-fsp201",
            "workload": "deployment/sa",
            "container": "sdk",
            "image": "mojaloop/sdk:v1",
            "image_id": "mojaloop/sdk:v1@sha256:sdk",
        },
    ]


def test_read_back_lists_releases_per_cluster_and_images_in_their_namespaces(
    deployed: StageContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    listed = {"switch": helm_list([("backend", "mojaloop", "backend-1.0.0")])}
    asked: list[tuple[str, str]] = []

    class Core:
        def __init__(self, cluster: str) -> None:
            self.cluster = cluster

        def list_namespaced_pod(self, namespace: str, **_: object) -> object:
            asked.append((self.cluster, namespace))
            return Response(
                {
                    "metadata": {},
                    "items": [
                        pod("kafka-0", ("StatefulSet", "kafka"), {"kafka": "bitnami/kafka:3"})
                    ],
                }
            )

    @contextlib.contextmanager
    def core_api(ctx: StageContext, cluster: str) -> Iterator[Core]:
        yield Core(cluster)

    monkeypatch.setattr(aws_deployed, "core_api", core_api)
    ctx = reloaded(deployed, ToolRunner(listed=listed))
    record = aws_deployed.read_back(ctx)
    assert asked == [("switch", "mojaloop")]  # only where a release lives
    assert record == {
        "scenario_digest": deployed.scenario.digest,
        "deployed_at": deployed.state.get("deployed")["at"],
        "releases": [
            {
                "cluster": "switch",
                "release": "backend",
                "namespace": "mojaloop",
                "chart": "backend-1.0.0",
                "app_version": "v1",
                "status": "deployed",
            }
        ],
        "images": [
            {
                "cluster": "switch",
                "namespace": "mojaloop",
                "workload": "statefulset/kafka",
                "container": "kafka",
                "image": "bitnami/kafka:3",
                "image_id": "bitnami/kafka:3@sha256:kafka",
            }
        ],
    }
    commands = [c.argv for c in ctx.runner.plan]
    assert [argv[:6] for argv in commands] == [
        ("helm", "list", "--all-namespaces", "-o", "json", "--kubeconfig")
    ] * len(commands)
    assert [Path(argv[6]).stem for argv in commands] == aws_deployed.aws_access.clusters(ctx)


def test_a_helm_list_that_is_not_json_is_named_by_cluster(deployed: StageContext) -> None:
    ctx = reloaded(deployed, ToolRunner(listed={"switch": "Error: Kubernetes cluster unreachable"}))
    with pytest.raises(
        UserError, match="helm list on cluster switch: not the JSON list of releases expected"
    ):
        aws_deployed.read_back(ctx)
