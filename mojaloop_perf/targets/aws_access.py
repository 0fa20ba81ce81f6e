"""Reaching the AWS clusters from the operator's machine: addresses and the SSH tunnel.

Every node sits in a private subnet; the bastion is the only way in. `deploy`, `seed`, `smoke`
and `test` open one SSH connection to the bastion (a control master, so it can be closed by name)
with a local port forwarded to each cluster's API server, to the switch's ingress (the internal
NLB), to each DFSP simulator's ingress and to Prometheus. Kubeconfigs that point at the local
ports are written beside the fetched ones: MicroK8s' API certificate names 127.0.0.1, so TLS
verification still holds.

Addresses come from `terraform output -json` (saved by provision). In a dry run without them,
the addresses are placeholders such as `<fsp201 node IP>`, so the plan still shows every command.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from mojaloop_perf import render_aws
from mojaloop_perf.errors import UserError
from mojaloop_perf.fsutil import read_json, write_text_atomic
from mojaloop_perf.runner import Command
from mojaloop_perf.targets.base import StageContext

API_PORT = 16443  # MicroK8s API server
INGRESS_PORT = 80  # the NLB's HTTP listener; each DFSP node's ingress (MicroK8s addon, hostPort)
PROMETHEUS_NODE_PORT = render_aws.PROMETHEUS_NODE_PORT
# Local ports: API servers from 17000 (cluster order), ingresses from 17100, Prometheus 17099.
LOCAL_API_BASE = 17000
LOCAL_INGRESS_BASE = 17100
LOCAL_PROMETHEUS = 17099
TUNNEL_TIMEOUT_S = 60


@dataclass(frozen=True)
class Topology:
    """Where things are inside the VPC, from Terraform's outputs."""

    primaries: Mapping[str, str]  # cluster → private IP of its primary node
    dfsp_ips: Mapping[str, str]  # DFSP id → private IP of its node
    monitoring_ip: str
    nlb_dns: str
    known: bool = True

    @classmethod
    def from_outputs(cls, outputs: Mapping[str, Any]) -> Topology:
        try:
            nodes = outputs["nodes"]["value"]
            nlb = outputs["nlb_dns_name"]["value"]
        except (KeyError, TypeError) as exc:
            raise UserError(f"terraform outputs: missing {exc}; run provision again") from exc
        primaries = {n["cluster"]: n["private_ip"] for n in nodes.values() if n["primary"]}
        dfsp_ips = {n["dfsp_id"]: n["private_ip"] for n in nodes.values() if n["dfsp_id"]}
        monitoring = sorted(name for name, n in nodes.items() if n["group"] == "monitoring")
        if not monitoring:
            raise UserError("terraform outputs: no monitoring node; run provision again")
        if not nlb:
            raise UserError(
                "terraform outputs: nlb_dns_name is null: the switch needs infrastructure.nlb.enabled"
            )
        return cls(primaries, dfsp_ips, nodes[monitoring[0]]["private_ip"], nlb)

    @classmethod
    def placeholder(cls, scenario: Any) -> Topology:
        """Stand-in addresses for a dry run before anything is provisioned."""
        ids = render_aws.dfsp_ids(scenario)
        clusters = [render_aws.SWITCH_CLUSTER, *ids, render_aws.K6_CLUSTER]
        return cls(
            primaries={c: f"<{c} primary IP>" for c in clusters},
            dfsp_ips={d: f"<{d} node IP>" for d in ids},
            monitoring_ip="<monitoring node IP>",
            nlb_dns="<nlb dns name>",
            known=False,
        )


def topology(ctx: StageContext) -> Topology:
    outputs = ctx.state_dir / "terraform-outputs.json"
    if outputs.exists():
        return Topology.from_outputs(read_json(outputs))
    if ctx.dry_run:
        return Topology.placeholder(ctx.scenario)
    raise UserError(f"no Terraform outputs for scenario {ctx.scenario.name}: run provision first")


def clusters(ctx: StageContext) -> list[str]:
    return [render_aws.SWITCH_CLUSTER, *render_aws.dfsp_ids(ctx.scenario), render_aws.K6_CLUSTER]


@dataclass(frozen=True)
class Forwards:
    """The local end of every forward: API servers, ingresses and Prometheus."""

    api: Mapping[str, int]  # cluster → local port of its API server
    switch_ingress: int
    simulators: Mapping[str, int]  # DFSP id → local port of its ingress
    prometheus: int

    def url(self, port: int) -> str:
        return f"http://127.0.0.1:{port}"


def forwards(ctx: StageContext) -> Forwards:
    ids = render_aws.dfsp_ids(ctx.scenario)
    return Forwards(
        api={cluster: LOCAL_API_BASE + i for i, cluster in enumerate(clusters(ctx))},
        switch_ingress=LOCAL_INGRESS_BASE,
        simulators={dfsp: LOCAL_INGRESS_BASE + 1 + i for i, dfsp in enumerate(ids)},
        prometheus=LOCAL_PROMETHEUS,
    )


def _forward_args(where: Topology, ports: Forwards) -> list[str]:
    pairs = [(ports.api[c], where.primaries[c], API_PORT) for c in ports.api]
    pairs.append((ports.switch_ingress, where.nlb_dns, INGRESS_PORT))
    pairs += [(ports.simulators[d], where.dfsp_ips[d], INGRESS_PORT) for d in ports.simulators]
    pairs.append((ports.prometheus, where.monitoring_ip, PROMETHEUS_NODE_PORT))
    args = []
    for local, host, remote in pairs:
        args += ["-L", f"127.0.0.1:{local}:{host}:{remote}"]
    return args


def _control_socket(ctx: StageContext) -> Path:
    return ctx.state_dir / "tunnel.sock"


def open_command(ctx: StageContext, where: Topology, ports: Forwards) -> Command:
    """ssh to the bastion as a control master that goes to the background once every forward
    is listening (ExitOnForwardFailure: a port already taken fails here, by name)."""
    return Command(
        (
            "ssh",
            "-F",
            str(ctx.state_dir / "ssh_config"),
            "-o",
            "ControlMaster=yes",
            "-o",
            f"ControlPath={_control_socket(ctx)}",
            "-o",
            "ExitOnForwardFailure=yes",
            "-o",
            "ServerAliveInterval=15",
            "-f",
            "-N",
            *_forward_args(where, ports),
            "bastion",
        ),
        timeout_s=TUNNEL_TIMEOUT_S,
    )


def close_command(ctx: StageContext) -> Command:
    return Command(
        (
            "ssh",
            "-F",
            str(ctx.state_dir / "ssh_config"),
            "-o",
            f"ControlPath={_control_socket(ctx)}",
            "-O",
            "exit",
            "bastion",
        ),
        timeout_s=TUNNEL_TIMEOUT_S,
    )


def kubeconfig(ctx: StageContext, cluster: str) -> Path:
    """The kubeconfig of `cluster` through the tunnel (written by `tunnel`)."""
    return ctx.state_dir / "kubeconfigs" / "tunnel" / f"{cluster}.yaml"


def _write_tunnel_kubeconfigs(ctx: StageContext, ports: Forwards) -> None:
    for cluster, port in ports.api.items():
        source = ctx.state_dir / "kubeconfigs" / f"kubeconfig-{cluster}.yaml"
        if not source.exists():
            raise UserError(
                f"{ctx.project.relative(source)} not found: run {ctx.invoke_hint('provision')}"
            )
        text = re.sub(
            r"(?m)^(\s*server:\s*)\S+$", rf"\g<1>https://127.0.0.1:{port}", source.read_text()
        )
        try:
            yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise UserError(f"{ctx.project.relative(source)}: not YAML ({exc})") from exc
        target = kubeconfig(ctx, cluster)
        write_text_atomic(target, text)
        target.chmod(0o600)


@contextlib.contextmanager
def tunnel(ctx: StageContext) -> Iterator[Forwards]:
    """The SSH tunnel for the length of a stage; closed again whatever happens."""
    where = topology(ctx)
    ports = forwards(ctx)
    if ctx.dry_run:
        ctx.echo(
            f"[dry-run] write kubeconfigs/tunnel/<cluster>.yaml: server https://127.0.0.1:<{LOCAL_API_BASE}+i>"
        )
    else:
        _write_tunnel_kubeconfigs(ctx, ports)
        _control_socket(ctx).unlink(missing_ok=True)
    completed = ctx.runner.run(open_command(ctx, where, ports), on_line=ctx.echo)
    if completed.returncode != 0:
        raise UserError(
            f"ssh tunnel to the bastion failed (exit {completed.returncode}): is a local port "
            f"{LOCAL_API_BASE}-{LOCAL_INGRESS_BASE + len(ports.simulators)} taken, or the bastion down?"
        )
    try:
        yield ports
    finally:
        ctx.runner.run(close_command(ctx), on_line=lambda _line: None, quiet=True)


@contextlib.contextmanager
def kube_api(ctx: StageContext, cluster: str, api: str) -> Iterator[Any]:
    """The kubernetes client's `api` (e.g. "AppsV1Api") for `cluster`, through the tunnel."""
    import kubernetes

    from mojaloop_perf.kube import client

    connection = client.api_client(kubeconfig(ctx, cluster))
    try:
        yield getattr(kubernetes.client, api)(connection)
    finally:
        connection.close()
