"""The security posture at deploy time: the run's keys, their Kubernetes objects, WireGuard.

1. Keys and certificates for the run (mojaloop_perf.security.pki) in `<state>/pki/`: a CA, the switch's
   server certificate for the FSPIOP host names the scheme adapters call, a client and a server
   certificate and a JWS key pair per DFSP, a JWS key pair for the hub. Material that still fits
   is reused. A dry run prints `pki.plan` instead and generates nothing.
2. Their objects (render_aws.secrets), validated against the Kubernetes 1.32 schemas and written
   0600 into `<state>/secrets/<cluster>.yaml` (the run state is git-ignored); a dry run prints
   each object with every data value redacted.
3. Through the tunnel, before any release: `kubectl apply --server-side` per cluster (the switch's
   first), and with WireGuard Calico's FelixConfiguration, then the Nodes read back until each
   carries its WireGuard public key.
4. After the releases: when the keys were regenerated since the last deploy, the Deployments that
   read them at start (the scheme adapters, the hub's signers) are restarted.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from mojaloop_perf.render_aws import secrets, wireguard
from mojaloop_perf.render_aws.simulator import release_name, switch_hosts
from mojaloop_perf.render_aws.topology import (
    SWITCH_CLUSTER,
    SWITCH_NAMESPACE,
    dfsp_hostname,
    dfsp_ids,
)
from mojaloop_perf.runner import Command
from mojaloop_perf.security import pki
from mojaloop_perf.targets import aws, aws_access
from mojaloop_perf.targets.base import StageContext

PKI_FOLDER = "pki"
SECRETS_FOLDER = "secrets"
FELIX_FILE = "felixconfiguration.yaml"
WIREGUARD_TIMEOUT_S = 300
STATE_KEY = "pki"
# The switch's Deployments that load the hub's JWS key at start (release "mojaloop").
HUB_SIGNER_DEPLOYMENTS = (
    "mojaloop-account-lookup-service",
    "mojaloop-quoting-service-handler",
    "mojaloop-ml-api-adapter-handler-notification",
)


@dataclass(frozen=True)
class Prepared:
    """What deploy applies for the posture: a manifest per cluster, in apply order."""

    manifests: dict[str, Path] = field(default_factory=dict)
    felix: Path | None = None
    fingerprint: str | None = None  # of the key material's manifest; None without keys


def pki_dir(ctx: StageContext) -> Path:
    return ctx.state_dir / PKI_FOLDER


def material_args(ctx: StageContext) -> dict[str, Any]:
    """pki.plan/generate's arguments for the scenario: DFSPs, switch host names, key shape."""
    ids = dfsp_ids(ctx.scenario)
    shape = ctx.scenario.security.pki
    return {
        "directory": pki_dir(ctx),
        "participants": ids,
        "hosts": switch_hosts(),
        "key_bits": shape.key_bits,
        "validity_days": shape.validity_days,
        "participant_hosts": {dfsp_id: [dfsp_hostname(dfsp_id)] for dfsp_id in ids},
    }


def prepare(ctx: StageContext) -> Prepared:
    """Keys (or their plan), the posture's objects validated and written (or shown)."""
    from mojaloop_perf.kube import validate

    scenario = ctx.scenario
    args = material_args(ctx)
    material = pki.Pki(args["directory"], tuple(args["participants"]))
    content = None
    fingerprint = None
    if scenario.security.needs_pki:
        if ctx.dry_run:
            for line in pki.plan(**args):
                ctx.echo(f"[dry-run] pki: {_relative(ctx, line)}")
        else:
            material = pki.generate(**args)
            content = _read
            fingerprint = hashlib.sha256(material.manifest().read_bytes()).hexdigest()[:16]
            ctx.echo(
                f"deploy: keys and certificates of the run in "
                f"{ctx.project.relative(material.directory)}/ (posture {scenario.security.posture})"
            )
    by_cluster = secrets.objects(scenario, material, content)
    for cluster, items in by_cluster.items():
        validate.check(items, f"security objects of cluster {cluster}")
    felix = [wireguard.felix_configuration()] if wireguard.enabled(scenario) else []
    validate.check(felix, "WireGuard FelixConfiguration")
    folder = ctx.state_dir / SECRETS_FOLDER
    manifests = {cluster: folder / f"{cluster}.yaml" for cluster in by_cluster}
    felix_file = folder / FELIX_FILE if felix else None
    if ctx.dry_run:
        for cluster, items in by_cluster.items():
            _show(ctx, f"write {ctx.project.relative(manifests[cluster])} (0600)", items)
        if felix_file is not None:
            _show(ctx, f"write {ctx.project.relative(felix_file)}", felix)
    else:
        for cluster, items in by_cluster.items():
            _write_private(manifests[cluster], yaml.safe_dump_all(items, sort_keys=False))
        if felix_file is not None:
            _write_private(felix_file, yaml.safe_dump(felix[0], sort_keys=False))
    return Prepared(manifests, felix_file, fingerprint)


def apply(ctx: StageContext, prepared: Prepared) -> None:
    """Inside the tunnel, before any release: each cluster's objects, then WireGuard."""
    from mojaloop_perf.targets import aws_deploy

    for cluster, manifest in prepared.manifests.items():
        aws.run_checked(ctx, aws_deploy.kubectl_apply(ctx, cluster, manifest))
    if prepared.felix is not None:
        aws.run_checked(ctx, aws_deploy.kubectl_apply(ctx, SWITCH_CLUSTER, prepared.felix))
        wait_for_wireguard(ctx)


def wait_for_wireguard(ctx: StageContext) -> None:
    annotation = wireguard.PUBLIC_KEY_ANNOTATION
    if ctx.dry_run:
        ctx.echo(
            f"[dry-run] read the nodes of cluster {SWITCH_CLUSTER} back until each carries "
            f"annotation {annotation} (kubernetes client, timeout {WIREGUARD_TIMEOUT_S} s)"
        )
        return
    from mojaloop_perf.kube import wireguard as kube_wireguard

    with aws_access.kube_api(ctx, SWITCH_CLUSTER, "CoreV1Api") as core:
        kube_wireguard.wait_for_keys(
            core, annotation, cluster=SWITCH_CLUSTER, timeout_s=WIREGUARD_TIMEOUT_S, echo=ctx.echo
        )


def restart_after_new_keys(ctx: StageContext, prepared: Prepared) -> None:
    """After the releases: restart what loaded the previous keys at start, if they changed."""
    if ctx.dry_run or prepared.fingerprint is None:
        return
    before = (ctx.state.get(STATE_KEY) or {}).get("fingerprint")
    if before is not None and before != prepared.fingerprint:
        ctx.echo("deploy: the run's keys changed since the last deploy: restarting their users")
        for cluster, namespace, names in _key_users(ctx):
            command = Command(
                (
                    aws.tool("kubectl") or "kubectl",
                    "--kubeconfig",
                    str(aws_access.kubeconfig(ctx, cluster)),
                    "--namespace",
                    namespace,
                    "rollout",
                    "restart",
                    *(f"deployment/{name}" for name in names),
                ),
                timeout_s=300,
            )
            aws.run_checked(ctx, command)
    ctx.state.mark(STATE_KEY, fingerprint=prepared.fingerprint)


def _key_users(ctx: StageContext) -> list[tuple[str, str, tuple[str, ...]]]:
    from mojaloop_perf.render_aws.simulator import scheme_adapter_deployment

    users = []
    if ctx.scenario.security.jws.sign:
        users.append((SWITCH_CLUSTER, SWITCH_NAMESPACE, HUB_SIGNER_DEPLOYMENTS))
    for dfsp_id in dfsp_ids(ctx.scenario):
        users.append((dfsp_id, release_name(dfsp_id), (scheme_adapter_deployment(dfsp_id),)))
    return users


def _show(ctx: StageContext, title: str, items: list[dict[str, Any]]) -> None:
    """Objects a dry run would write: whole, every Secret or ConfigMap value redacted."""
    ctx.echo(f"[dry-run] {title} (valid for Kubernetes 1.32):")
    for obj in secrets.redacted(items):
        for line in yaml.safe_dump(obj, sort_keys=False).rstrip().splitlines():
            ctx.echo(f"[dry-run]   {line}")


def _relative(ctx: StageContext, line: str) -> str:
    return line.replace(f"{ctx.project.root}/", "")


def _read(path: Path) -> bytes:
    return path.read_bytes()


def _write_private(path: Path, text: str) -> None:
    """Write `text` 0600 in a 0700 folder, atomically (the objects hold key material)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
