"""What the AWS clusters run: the deployment state.json records, and what is read back from them.

`deploy` records the scenario digest it deployed (state "deployed") only once every release holds
it. `require_deployed` is how seed and test refuse clusters that were not deployed, or were
deployed from another version of the scenario than the one on disk. `read_back` is what a run's
summary.json records under `deployed`: each cluster's Helm releases with their chart versions
(`helm list`, through the runner) and the images its pods run (the kubernetes client), in the
namespaces those releases live in, read at test time.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

from mojaloop_perf.errors import UserError
from mojaloop_perf.runner import Command
from mojaloop_perf.targets import aws, aws_access
from mojaloop_perf.targets.base import StageContext

HELM_LIST_TIMEOUT_S = 120


def require_deployed(ctx: StageContext, stage: str) -> dict[str, Any] | None:
    """The "deployed" record when the clusters were deployed from the scenario on disk; else a
    UserError naming the command to run. A dry run refuses nothing (its deploy ran nothing)."""
    deployed = ctx.state.get("deployed")
    if ctx.dry_run:
        return deployed
    if not deployed:
        raise UserError(f"{stage} needs deploy first: run {ctx.invoke_hint('deploy')}")
    if deployed.get("digest") != ctx.scenario.digest:
        raise UserError(
            f"{stage}: the clusters run another version of scenario {ctx.scenario.name} "
            f"(deployed digest {deployed.get('digest')}, now {ctx.scenario.digest}): "
            f"run {ctx.invoke_hint('deploy')}"
        )
    return deployed


def helm_list_command(ctx: StageContext, cluster: str) -> Command:
    return Command(
        (
            "helm",
            "list",
            "--all-namespaces",
            "-o",
            "json",
            "--kubeconfig",
            str(aws_access.kubeconfig(ctx, cluster)),
        ),
        timeout_s=HELM_LIST_TIMEOUT_S,
        stdout_only=True,
    )


def helm_releases(ctx: StageContext, cluster: str) -> list[dict[str, Any]]:
    """The Helm releases on `cluster` as `helm list` reports them; empty in a dry run."""
    completed = aws.run_checked(ctx, helm_list_command(ctx, cluster), quiet_output=True)
    if completed.dry_run:
        return []
    try:
        items = json.loads(completed.output or "[]")
        return [
            {
                "cluster": cluster,
                "release": item["name"],
                "namespace": item["namespace"],
                "chart": item["chart"],
                "app_version": str(item.get("app_version") or ""),
                "status": str(item.get("status") or ""),
            }
            for item in items
        ]
    except (ValueError, KeyError, TypeError) as exc:
        raise UserError(
            f"helm list on cluster {cluster}: not the JSON list of releases expected ({exc})"
        ) from None


def workload(pod: Mapping[str, Any]) -> str:
    """`deployment/x`, `statefulset/y`, `job/z`…: what made the pod (a ReplicaSet stands for its
    Deployment), or `pod/<name>` for a bare pod."""
    metadata = pod.get("metadata") or {}
    owners = metadata.get("ownerReferences") or []
    owner = next((o for o in owners if o.get("controller")), owners[0] if owners else None)
    if owner is None:
        return f"pod/{metadata.get('name')}"
    kind, name = str(owner.get("kind", "")), str(owner.get("name", ""))
    template_hash = (metadata.get("labels") or {}).get("pod-template-hash")
    if kind == "ReplicaSet" and template_hash and name.endswith(f"-{template_hash}"):
        return f"deployment/{name.removesuffix(f'-{template_hash}')}"
    return f"{kind.lower()}/{name}"


def pod_images(cluster: str, pods: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Each workload's containers with their image (as asked) and imageID (as run), one entry per
    workload and container whatever its number of pods, sorted."""
    found = set()
    for pod in pods:
        namespace = (pod.get("metadata") or {}).get("namespace")
        statuses = {
            s.get("name"): s for s in (pod.get("status") or {}).get("containerStatuses") or []
        }
        for container in (pod.get("spec") or {}).get("containers") or []:
            name = container.get("name")
            image_id = (statuses.get(name) or {}).get("imageID") or None
            found.add((namespace, workload(pod), name, container.get("image"), image_id))
    keys = ("namespace", "workload", "container", "image", "image_id")
    return [
        {"cluster": cluster, **dict(zip(keys, entry, strict=True))}
        for entry in sorted(found, key=lambda e: tuple(str(x) for x in e))
    ]


def core_api(ctx: StageContext, cluster: str) -> contextlib.AbstractContextManager[Any]:
    """The kubernetes CoreV1Api of `cluster`, through the tunnel."""
    return aws_access.kube_api(ctx, cluster, "CoreV1Api")


def images(ctx: StageContext, cluster: str, namespaces: Iterable[str]) -> list[dict[str, Any]]:
    """The images running in `namespaces` of `cluster`."""
    from mojaloop_perf.kube.client import read_list

    pods: list[dict[str, Any]] = []
    with core_api(ctx, cluster) as core:
        for namespace in namespaces:
            items, _ = read_list(
                core.list_namespaced_pod, namespace, what=f"listing pods in {namespace}"
            )
            for item in items:
                item.setdefault("metadata", {}).setdefault("namespace", namespace)
            pods += items
    return pod_images(cluster, pods)


def read_back(ctx: StageContext) -> dict[str, Any] | None:
    """summary.json's `deployed`: the deployed scenario digest, and each cluster's releases and
    images read back now (through the open tunnel); None in a dry run, which prints the reads."""
    releases: list[dict[str, Any]] = []
    for cluster in aws_access.clusters(ctx):
        releases += helm_releases(ctx, cluster)
    if ctx.dry_run:
        ctx.echo(
            "[dry-run] read the image and imageID of every pod's containers in the namespaces "
            "of those releases, on each cluster (kubernetes client)"
        )
        return None
    running: list[dict[str, Any]] = []
    for cluster in aws_access.clusters(ctx):
        namespaces = sorted({r["namespace"] for r in releases if r["cluster"] == cluster})
        if namespaces:
            running += images(ctx, cluster, namespaces)
    deployed = ctx.state.get("deployed") or {}
    return {
        "scenario_digest": deployed.get("digest"),
        "deployed_at": deployed.get("at"),
        "releases": releases,
        "images": running,
    }
