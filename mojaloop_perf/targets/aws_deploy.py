"""The AWS deploy stage: name resolution, our own objects, the Helm releases in order, patches.

1. The inputs provision (or `invoke render`) rendered into `<state>/rendered/` are read back (a
   scenario is rendered once: a missing or stale render is refused, naming the command to run)
   and bound to Terraform's outputs (DFSP node IPs, the NLB, Prometheus), then written to
   `.workspace/<scenario>/aws/deploy/`.
2. The objects we apply ourselves (the switch ingress' NodePort Service that the NLB forwards
   to, the Grafana dashboards, the security posture's namespaces, Secrets and ConfigMaps with the
   run's keys, generated now: aws_posture) are validated against the Kubernetes 1.32 schemas
   before anything is sent.
3. Ansible's dfsp-hosts playbook makes `sim-<fsp>.local` resolve on the switch and k6 clusters,
   and the switch's ingress names resolve to the NLB on the DFSP clusters.
4. Through the SSH tunnel: kubectl applies our objects (and, with WireGuard, Calico's
   FelixConfiguration, read back until every node has its key), then every release is installed with
   `helm upgrade --install` (the one way releases are installed) in dependency order, its
   namespace is waited on with the kubernetes client until every workload is ready, and the
   release's post-install patches (render_aws.patches) are applied and read back until they hold.

A release whose chart version, values and patches are unchanged since its last successful install
is skipped (its stamp in state.json); `--force` installs it again. The state records the scenario
digest as deployed only once every release holds it: the first install clears the old record.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from mojaloop_perf import dashboards, render_aws, values_check
from mojaloop_perf.errors import UserError
from mojaloop_perf.fsutil import write_files, write_text_atomic
from mojaloop_perf.render_aws import istio
from mojaloop_perf.runner import Command
from mojaloop_perf.targets import aws, aws_access, aws_posture
from mojaloop_perf.targets.base import StageContext

HELM_TIMEOUT_S = 1800
READY_TIMEOUT_S = 900
PATCH_TIMEOUT_S = 900
# Dependency order: Istio's mesh (with the posture istio_ambient) before any pod of the switch
# namespace starts; Prometheus' CRDs before anything that could carry a ServiceMonitor; the
# backend (Kafka, MySQL) before what connects to it at start (Kafka UI, the switch services);
# the simulators once the switch answers; the k6 Operator last. A release matching none goes last.
ORDER = (
    *istio.CHARTS,
    "monitoring",
    "backend",
    "kafka-ui",
    "mojaloop",
    "simulator-",
    "k6-operator",
)
# Our chart is installed by the test stage, once per run.
NOT_DEPLOYED = ("k6",)
RELEASES_FILE = "helm/releases.json"
PATCHES_FILE = "helm/post-install.json"
DIGEST_FILE = "ansible/group_vars/all.json"  # carries mlperf_scenario_digest
# What render_all always writes; each release's values file is named in RELEASES_FILE.
RENDERED_FILES = (
    "terraform.tfvars.json",
    DIGEST_FILE,
    RELEASES_FILE,
    PATCHES_FILE,
    render_aws.SWITCH_INGRESS_FILE,
    "k6.env.json",
)


def folder(ctx: StageContext) -> Path:
    return ctx.state_dir / "deploy"


def _load(path: Path, relative: str) -> Any:
    text = path.read_text(encoding="utf-8")
    try:
        return json.loads(text) if relative.endswith(".json") else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise UserError(f"{path}: cannot be read ({' '.join(str(exc).split())})") from None


def _read_rendered(base: Path) -> tuple[dict[str, Any], str | None]:
    """The rendered files under `base` and what is missing (None when nothing is)."""
    files: dict[str, Any] = {}
    wanted = list(RENDERED_FILES)
    while wanted:
        relative = wanted.pop(0)
        path = base / relative
        if not path.is_file():
            return files, relative
        files[relative] = _load(path, relative)
        if relative == RELEASES_FILE:
            wanted += [r["values"] for r in files[relative]]
    return files, None


def rendered(ctx: StageContext) -> dict[str, Any]:
    """What provision (or `invoke render`) rendered for this scenario, read back: the scenario is
    rendered once. Refused when missing or rendered from another scenario digest; a dry run then
    renders in memory, and says so."""
    base = aws.rendered_dir(ctx)
    where = ctx.project.relative(base)
    files, missing = _read_rendered(base)
    if missing is not None:
        problem = f"no complete render of scenario {ctx.scenario.name} ({where}/{missing} missing)"
    else:
        digest = (files[DIGEST_FILE] or {}).get("mlperf_scenario_digest")
        if digest == ctx.scenario.digest:
            return files
        problem = (
            f"the inputs in {where}/ were rendered from another version of scenario "
            f"{ctx.scenario.name} (digest {digest}, now {ctx.scenario.digest})"
        )
    hint = ctx.invoke_hint("render")
    if ctx.dry_run:
        ctx.echo(
            f"[dry-run] {problem}: rendering it in memory for this plan "
            f"(a real run stops here: run {hint})"
        )
        files = render_aws.render_all(ctx.scenario)
        for line in values_check.render_check(ctx.project, files):
            ctx.echo(f"[dry-run] {line}")
        return files
    raise UserError(f"{problem}: run {hint}")


def bound_files(ctx: StageContext) -> dict[str, Any]:
    """Every rendered input with the addresses from Terraform's outputs filled in."""
    where = aws_access.topology(ctx)
    return render_aws.bind_addresses(
        rendered(ctx),
        dfsp_ips=where.dfsp_ips,
        monitoring_ip=where.monitoring_ip,
        nlb_dns=where.nlb_dns,
    )


def release_named(files: dict[str, Any], name: str) -> dict[str, Any]:
    """Release `name` of the rendered releases."""
    found = [r for r in files[RELEASES_FILE] if r["release"] == name]
    if not found:
        raise UserError(f"{RELEASES_FILE}: no release {name}")
    return found[0]


def releases(files: dict[str, Any]) -> list[dict[str, Any]]:
    """The releases deploy installs, in dependency order."""
    wanted = [r for r in files[RELEASES_FILE] if r["release"] not in NOT_DEPLOYED]

    def rank(release: dict[str, Any]) -> int:
        name = release["release"]
        return next((i for i, prefix in enumerate(ORDER) if name.startswith(prefix)), len(ORDER))

    return sorted(wanted, key=rank)


def objects(ctx: StageContext) -> list[dict[str, Any]]:
    """The Kubernetes objects deploy applies itself, on the switch cluster once monitoring is
    installed: the Grafana dashboards. Namespaces are Helm's (--create-namespace)."""
    if not ctx.scenario.monitoring.enabled:
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


def stamp(release: dict[str, Any], values: Any, patches: Sequence[Mapping[str, Any]] = ()) -> str:
    """What a release was installed with: its chart reference, version, values and post-install
    patches (without their `why`; a release without patches keeps the stamp it had before
    patches were stamped)."""
    payload: dict[str, Any] = {"chart": release["chart"], "values": values}
    if patches:
        payload["patches"] = [{k: v for k, v in p.items() if k != "why"} for p in patches]
    text = json.dumps(payload, sort_keys=True)
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
    from mojaloop_perf.kube import client, readiness

    api = client.api_client(aws_access.kubeconfig(ctx, cluster))
    try:
        readiness.wait_ready(api, namespace, timeout_s=READY_TIMEOUT_S, echo=ctx.echo)
    finally:
        api.close()


def apps_api(ctx: StageContext, cluster: str) -> contextlib.AbstractContextManager[Any]:
    """The kubernetes AppsV1Api of `cluster`, through the tunnel."""
    return aws_access.kube_api(ctx, cluster, "AppsV1Api")


def apply_patches(ctx: StageContext, patches: list[dict[str, Any]]) -> None:
    """A release's post-install patches, each sent unless it already holds, then read back
    until it holds; a dry run prints each body exactly as it would be sent."""
    from mojaloop_perf.kube import patch

    if ctx.dry_run:
        for item in patches:
            ctx.echo(
                f"[dry-run] patch {patch.label(item)} on cluster {item['cluster']} (strategic "
                f"merge, field manager {patch.FIELD_MANAGER}): "
                f"{json.dumps(patch.body(item), sort_keys=True)}"
            )
        if patches:
            ctx.echo(
                "[dry-run] read each patched deployment back until its spec is as patched and its "
                f"rollout done (kubernetes client, timeout {PATCH_TIMEOUT_S} s)"
            )
        return
    for cluster in dict.fromkeys(item["cluster"] for item in patches):
        with apps_api(ctx, cluster) as apps:
            for item in patches:
                if item["cluster"] == cluster:
                    patch.apply(apps, item, timeout_s=PATCH_TIMEOUT_S, echo=ctx.echo)


def deploy(ctx: StageContext) -> None:
    if not ctx.dry_run and not ctx.state.get("provisioned"):
        raise UserError(
            f"deploy needs provision first: run {ctx.invoke_hint('provision', '--yes')}"
        )
    aws.preflight(ctx)
    from mojaloop_perf.kube import validate

    files = bound_files(ctx)
    ours = objects(ctx)
    validate.check(ours, "deploy objects")
    ingress = files[render_aws.SWITCH_INGRESS_FILE]["items"]
    validate.check(ingress, render_aws.SWITCH_INGRESS_FILE)
    posture = aws_posture.prepare(ctx)
    base = folder(ctx)
    manifest = base / "manifests" / f"{render_aws.SWITCH_CLUSTER}.yaml"
    if ctx.dry_run:
        for relative in files:
            ctx.echo(f"[dry-run] write {ctx.project.relative(base / relative)}")
        show_objects(
            ctx, f"write {ctx.project.relative(base / render_aws.SWITCH_INGRESS_FILE)}", ingress
        )
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
        if ingress:
            # The NLB's target NodePorts, before anything is called through the NLB.
            aws.run_checked(
                ctx,
                kubectl_apply(
                    ctx, render_aws.SWITCH_CLUSTER, base / render_aws.SWITCH_INGRESS_FILE
                ),
            )
        # The posture's namespaces, keys and WireGuard, before any pod that uses them starts.
        aws_posture.apply(ctx, posture)
        for release in releases(files):
            _install(ctx, release, files, stamps)
            if release["release"] == "monitoring" and ours:
                # The dashboards' namespace exists now; Grafana's sidecar picks them up.
                aws.run_checked(ctx, kubectl_apply(ctx, render_aws.SWITCH_CLUSTER, manifest))
        aws_posture.restart_after_new_keys(ctx, posture)
    if not ctx.dry_run:
        ctx.state.mark("deployed", digest=ctx.scenario.digest)
        ctx.echo(f"deploy: {len(stamps)} releases ready; next: {ctx.invoke_hint('seed')}")


def _install(
    ctx: StageContext, release: dict[str, Any], files: dict[str, Any], stamps: dict[str, str]
) -> None:
    """One release: skipped when its stamp matches, else installed, waited on and patched."""
    name = release["release"]
    patches = [p for p in files[PATCHES_FILE] if p["release"] == name]
    digest = stamp(release, files[release["values"]], patches)
    if stamps.get(name) == digest and not ctx.force:
        ctx.echo(f"deploy: {name} unchanged since its last install, skipped (--force redeploys)")
        return
    if not ctx.dry_run:
        # From here the clusters no longer hold what was recorded as deployed.
        ctx.state.clear("deployed")
    chart = release["chart"]
    ctx.echo(
        f"deploy: {name} ({chart['name']} {chart['version'] or '(this checkout)'}) "
        f"on cluster {release['cluster']}, namespace {release['namespace']}"
    )
    aws.run_checked(ctx, helm_command(ctx, release, folder(ctx) / release["values"]))
    wait_ready(ctx, release["cluster"], release["namespace"])
    apply_patches(ctx, patches)
    if not ctx.dry_run:
        stamps[name] = digest
        ctx.state.mark("helm", releases=stamps)
