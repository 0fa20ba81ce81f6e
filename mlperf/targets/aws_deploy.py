"""The AWS deploy stage: name resolution, our own objects, then the Helm releases in order.

1. The rendered inputs are bound to Terraform's outputs (DFSP node IPs, the NLB, Prometheus)
   and written to `.workspace/<scenario>/aws/deploy/`.
2. The objects we apply ourselves (namespaces, Grafana dashboards) are validated against the
   Kubernetes 1.32 schemas before anything is sent.
3. Ansible's dfsp-hosts playbook makes `sim-<fsp>.local` resolve on the switch and k6 clusters.
4. Through the SSH tunnel: kubectl applies our objects, then every release is installed with
   `helm upgrade --install` (the one way releases are installed) in dependency order, and its
   namespace is waited on with the kubernetes client until every workload is ready.

A release whose chart version and values are unchanged since its last successful install is
skipped (its stamp in state.json); `--force` installs it again.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import yaml

from mlperf import dashboards, render_aws
from mlperf.errors import UserError
from mlperf.fsutil import write_files, write_text_atomic
from mlperf.runner import Command
from mlperf.targets import aws, aws_access
from mlperf.targets.base import StageContext

HELM_TIMEOUT_S = 1800
READY_TIMEOUT_S = 900
# Dependency order: Prometheus' CRDs before anything that could carry a ServiceMonitor; the
# backend (Kafka, MySQL) before the switch services that connect to it at start; the simulators
# once the switch answers; the k6 Operator last.
ORDER = ("monitoring", "backend", "mojaloop", "simulator-", "k6-operator")
# Our chart is installed by the test stage, once per run.
NOT_DEPLOYED = ("k6",)


def folder(ctx: StageContext) -> Path:
    return ctx.state_dir / "deploy"


def bound_files(ctx: StageContext) -> dict[str, Any]:
    """Every rendered input with the addresses from Terraform's outputs filled in."""
    where = aws_access.topology(ctx)
    return render_aws.bind_addresses(
        render_aws.render_all(ctx.scenario),
        dfsp_ips=where.dfsp_ips,
        monitoring_ip=where.monitoring_ip,
        nlb_dns=where.nlb_dns,
    )


def releases(ctx: StageContext) -> list[dict[str, Any]]:
    """The releases deploy installs, in dependency order."""
    wanted = [r for r in render_aws.helm_releases(ctx.scenario) if r["release"] not in NOT_DEPLOYED]

    def rank(release: dict[str, Any]) -> int:
        name = release["release"]
        return next(i for i, prefix in enumerate(ORDER) if name.startswith(prefix))

    return sorted(wanted, key=rank)


def objects(ctx: StageContext) -> list[dict[str, Any]]:
    """The Kubernetes objects deploy applies itself, on the switch cluster once monitoring is
    installed: the Grafana dashboards. Namespaces are Helm's (--create-namespace)."""
    if not ctx.scenario.config["monitoring"]["enabled"]:
        return []
    return dashboards.configmaps("monitoring")


def show_objects(ctx: StageContext, title: str, items: list[dict[str, Any]]) -> None:
    """Objects a dry run would apply: each in full, but a ConfigMap's files by name only."""
    ctx.echo(f"[dry-run] {title} (valid for Kubernetes 1.32):")
    for obj in items:
        if obj.get("kind") == "ConfigMap":
            keys = ", ".join(sorted(obj.get("data", {})))
            ctx.echo(f"[dry-run]   ConfigMap {obj['metadata']['name']}: {keys}")
            continue
        for line in yaml.safe_dump(obj, sort_keys=False).rstrip().splitlines():
            ctx.echo(f"[dry-run]   {line}")


def stamp(release: dict[str, Any], values: Any) -> str:
    """What a release was installed with: its chart reference, version and values."""
    text = json.dumps({"chart": release["chart"], "values": values}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def helm_command(ctx: StageContext, release: dict[str, Any], values_file: Path) -> Command:
    chart = release["chart"]
    source = chart["name"]
    argv = ["helm", "upgrade", "--install", release["release"]]
    if chart["repository"]:
        argv += [source, "--repo", chart["repository"], "--version", chart["version"]]
    else:
        argv.append(str(ctx.project.root / source))
    argv += [
        "--namespace",
        release["namespace"],
        "--create-namespace",
        "--kubeconfig",
        str(aws_access.kubeconfig(ctx, release["cluster"])),
        "--values",
        str(values_file),
        # Readiness is waited on with the kubernetes client, which reports what is not ready.
        "--timeout",
        f"{HELM_TIMEOUT_S // 60}m",
    ]
    return Command(tuple(argv), timeout_s=HELM_TIMEOUT_S + 60)


def kubectl_apply(ctx: StageContext, cluster: str, manifest: Path) -> Command:
    return Command(
        (
            aws.tool("kubectl") or "kubectl",
            "--kubeconfig",
            str(aws_access.kubeconfig(ctx, cluster)),
            "apply",
            "--server-side",
            "--field-manager=mlperf",
            "-f",
            str(manifest),
        ),
        timeout_s=300,
    )


def wait_ready(ctx: StageContext, cluster: str, namespace: str) -> None:
    if ctx.dry_run:
        ctx.echo(
            f"[dry-run] wait until every workload in namespace {namespace} on cluster {cluster} "
            f"is ready (kubernetes client, timeout {READY_TIMEOUT_S} s)"
        )
        return
    from mlperf.kube import client, readiness

    api = client.api_client(aws_access.kubeconfig(ctx, cluster))
    try:
        readiness.wait_ready(api, namespace, timeout_s=READY_TIMEOUT_S, echo=ctx.echo)
    finally:
        api.close()


def deploy(ctx: StageContext) -> None:
    if not ctx.dry_run and not ctx.state.get("provisioned"):
        raise UserError(
            f"deploy needs provision first: run {ctx.invoke_hint('provision', '--yes')}"
        )
    aws.preflight(ctx)
    from mlperf.kube import validate

    files = bound_files(ctx)
    ours = objects(ctx)
    validate.check(ours, "deploy objects")
    base = folder(ctx)
    manifest = base / "manifests" / f"{render_aws.SWITCH_CLUSTER}.yaml"
    if ctx.dry_run:
        for relative in files:
            ctx.echo(f"[dry-run] write {ctx.project.relative(base / relative)}")
        show_objects(ctx, f"write {ctx.project.relative(manifest)}", ours)
    else:
        write_files(files, base)
        write_text_atomic(manifest, yaml.safe_dump_all(ours, sort_keys=False))
    aws.run_checked(
        ctx,
        aws.playbook_command(
            ctx, "dfsp-hosts.yml", group_vars=base / "ansible" / "group_vars" / "all.json"
        ),
    )
    stamps = dict((ctx.state.get("helm") or {}).get("releases", {}))
    with aws_access.tunnel(ctx):
        for release in releases(ctx):
            _install(ctx, release, files, stamps)
            if release["release"] == "monitoring" and ours:
                # The dashboards' namespace exists now; Grafana's sidecar picks them up.
                aws.run_checked(ctx, kubectl_apply(ctx, render_aws.SWITCH_CLUSTER, manifest))
    if not ctx.dry_run:
        ctx.state.mark("deployed", digest=ctx.scenario.digest)
        ctx.echo(f"deploy: {len(stamps)} releases ready; next: {ctx.invoke_hint('seed')}")


def _install(
    ctx: StageContext, release: dict[str, Any], files: dict[str, Any], stamps: dict[str, str]
) -> None:
    """One release: skipped when its stamp matches, else installed and waited on."""
    name = release["release"]
    digest = stamp(release, files[release["values"]])
    if stamps.get(name) == digest and not ctx.force:
        ctx.echo(f"deploy: {name} unchanged since its last install, skipped (--force redeploys)")
        return
    chart = release["chart"]
    ctx.echo(
        f"deploy: {name} ({chart['name']} {chart['version'] or '(this checkout)'}) "
        f"on cluster {release['cluster']}, namespace {release['namespace']}"
    )
    aws.run_checked(ctx, helm_command(ctx, release, folder(ctx) / release["values"]))
    wait_ready(ctx, release["cluster"], release["namespace"])
    if not ctx.dry_run:
        stamps[name] = digest
        ctx.state.mark("helm", releases=stamps)
