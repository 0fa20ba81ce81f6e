"""The security posture on AWS: Istio's releases, the run's keys as objects, WireGuard, deploy.

Keys are generated for real (mojaloop_perf.security.pki) into a temporary run state; tools are recorded,
not run (tests/test_aws_stages.py's ToolRunner), and the kubernetes client is a fake.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from mojaloop_perf import render_aws
from mojaloop_perf.errors import UserError
from mojaloop_perf.kube import validate
from mojaloop_perf.kube import wireguard as kube_wireguard
from mojaloop_perf.project import Project
from mojaloop_perf.render_aws import istio, secrets, security, wireguard
from mojaloop_perf.scenario.load import load_scenario
from mojaloop_perf.scenario.model import Scenario
from mojaloop_perf.scenario.security import decode
from mojaloop_perf.security import pki
from mojaloop_perf.targets import aws, aws_access, aws_deploy, aws_posture
from mojaloop_perf.targets.base import StageContext
from tests.conftest import REPO
from tests.test_aws_stages import (  # noqa: F401  (project: fixture)
    Response,
    ToolRunner,
    fake_clusters,
    project,
    provisioned,
    step,
    use_apps,
)
from tests.test_aws_target import ready  # noqa: F401  (fixture)

KEY_MARKERS = ("PRIVATE KEY", "BEGIN CERTIFICATE", "BEGIN PUBLIC KEY")


def posture(name: str, **changes: Any) -> Scenario:
    """Shipped scenario `name` with its security component changed (dotted keys allowed)."""
    base = load_scenario(Project(REPO), name)
    config = copy.deepcopy(dict(base.config))
    for dotted, value in changes.items():
        node = config["security"]
        *parents, leaf = dotted.split("__")
        for key in parents:
            node = node[key]
        node[leaf] = value
    return dataclasses.replace(base, config=config, security=decode(config["security"]))


def everything_on() -> Scenario:
    """TLS at the edge, JWS both ways, WireGuard and the mesh: every object the posture has."""
    return posture(
        "500tps-mtls-mesh",
        jws={"sign": True, "validate": True, "put_parties": False},
        transport_encryption="wireguard",
    )


def context(project: Project, runner: ToolRunner, scenario: Scenario) -> StageContext:  # noqa: F811
    return StageContext(project, scenario, "aws", runner, runner.echo)


@pytest.fixture(scope="module")
def material(tmp_path_factory: pytest.TempPathFactory) -> pki.Pki:
    sc = everything_on()
    ids = render_aws.dfsp_ids(sc)
    return pki.generate(
        tmp_path_factory.mktemp("run") / "pki",
        ids,
        hosts=render_aws.simulator.switch_hosts(),
        key_bits=2048,
        validity_days=2,
    )


# --- Istio --------------------------------------------------------------------------------------


def test_istio_releases_come_first_on_the_switch_only_with_the_mesh() -> None:
    mesh = load_scenario(Project(REPO), "500tps-mtls-mesh")
    releases = render_aws.helm_releases(mesh)
    first = releases[:4]
    assert [r["release"] for r in first] == ["istio-base", "istiod", "istio-cni", "ztunnel"]
    for release in first:
        assert release["chart"] == {
            "repository": istio.REPOSITORY,
            "name": istio.CHARTS[release["release"]],
            "version": istio.VERSION,
        }
        assert (release["cluster"], release["namespace"]) == ("switch", "istio-system")
    ordered = [r["release"] for r in aws_deploy.releases({aws_deploy.RELEASES_FILE: releases})]
    assert ordered[:5] == ["istio-base", "istiod", "istio-cni", "ztunnel", "monitoring"]
    values = render_aws.helm_values(mesh)
    assert values["istio-cni"] == {
        "profile": "ambient",
        "cniBinDir": "/var/snap/microk8s/current/opt/cni/bin",
        "cniConfDir": "/var/snap/microk8s/current/args/cni-network",
    }
    generic = mesh.config["infrastructure"]["node_groups"]["generic"]["labels"]
    terms = values["istiod"]["affinity"]["nodeAffinity"][
        "requiredDuringSchedulingIgnoredDuringExecution"
    ]["nodeSelectorTerms"][0]["matchExpressions"]
    assert {t["key"]: t["values"][0] for t in terms} == generic
    plain = load_scenario(Project(REPO), "500tps-mtls-wireguard")
    assert not set(istio.CHARTS) & {r["release"] for r in render_aws.helm_releases(plain)}


# --- the run's keys as objects -------------------------------------------------------------------


def test_posture_objects_hold_the_generated_files_and_are_valid(material: pki.Pki) -> None:
    sc = everything_on()
    found = secrets.objects(sc, material, lambda path: path.read_bytes())
    ids = render_aws.dfsp_ids(sc)
    assert list(found) == ["switch", *ids]
    for cluster, items in found.items():
        assert validate.problems(items) == [], cluster
        assert items[0]["kind"] == "Namespace"
    switch = {o["metadata"]["name"]: o for o in found["switch"]}
    assert switch["mojaloop"]["metadata"]["labels"]["istio.io/dataplane-mode"] == "ambient"
    tls = switch[security.SWITCH_TLS_SECRET]
    assert tls["type"] == "kubernetes.io/tls"
    cert, key = material.server(pki.HUB)
    assert base64.b64decode(tls["data"]["tls.crt"]) == cert.read_bytes()
    assert base64.b64decode(tls["data"]["tls.key"]) == key.read_bytes()
    ca = switch[security.SWITCH_CLIENT_CA_SECRET]["data"]["ca.crt"]
    assert base64.b64decode(ca) == material.ca_cert().read_bytes()
    hub_key = switch[security.HUB_JWS_SECRET]["data"][security.JWS_KEY]
    assert base64.b64decode(hub_key) == material.jws_private(pki.HUB).read_bytes()
    dfsp = {o["metadata"]["name"]: o for o in found["fsp205"]}
    assert dfsp["simulator-fsp205"]["kind"] == "Namespace"
    sdk = dfsp[security.dfsp_tls_secret("fsp205")]["data"]
    assert base64.b64decode(sdk["outbound-cert.pem"]) == material.client("fsp205")[0].read_bytes()
    assert base64.b64decode(sdk["inbound-key.pem"]) == material.server("fsp205")[1].read_bytes()
    public = dfsp[security.JWS_PUBLIC_KEYS]["data"]
    assert public["Hub.pem"] == material.jws_public(pki.HUB).read_text()
    assert public["fsp201.pem"] == material.jws_public("fsp201").read_text()


def test_redacted_objects_show_every_key_but_no_byte_of_it(material: pki.Pki) -> None:
    found = secrets.objects(everything_on(), material, lambda path: path.read_bytes())
    for items in found.values():
        text = yaml.safe_dump_all(secrets.redacted(items))
        assert not any(marker in text for marker in KEY_MARKERS)
        for shown, real in zip(secrets.redacted(items), items, strict=True):
            if "data" in real:
                assert set(shown["data"]) == set(real["data"])
                assert set(shown["data"].values()) == {secrets.REDACTED}


def test_plaintext_has_no_objects_and_a_mesh_alone_only_its_label() -> None:
    where = pki.Pki(Path("/nowhere"), ("fsp201",))
    assert secrets.objects(load_scenario(Project(REPO), "500tps-plaintext"), where, None) == {}
    mesh_only = posture("500tps-mtls-mesh", tls={"mode": "none", "scope": "edge"})
    assert not mesh_only.security.needs_pki
    [namespace] = secrets.objects(mesh_only, where, None)["switch"]
    assert namespace["metadata"]["labels"] == {
        "app.kubernetes.io/managed-by": "mlperf",
        "istio.io/dataplane-mode": "ambient",
    }


# --- WireGuard ----------------------------------------------------------------------------------


class Nodes:
    """CoreV1Api's node list: each call answers the next of `answers` (annotations per node)."""

    def __init__(self, answers: list[dict[str, dict[str, str]]]) -> None:
        self.answers = answers
        self.calls = 0

    def list_node(self, **_: Any) -> Response:
        answer = self.answers[min(self.calls, len(self.answers) - 1)]
        self.calls += 1
        items = [{"metadata": {"name": n, "annotations": a}} for n, a in answer.items()]
        return Response({"metadata": {"resourceVersion": str(self.calls)}, "items": items})


KEYED = {wireguard.PUBLIC_KEY_ANNOTATION: "c2VjcmV0cHVibGlja2V5"}


def test_wireguard_waits_until_every_node_has_its_public_key() -> None:
    nodes = Nodes([{"generic-0": KEYED, "kafka-0": {}}, {"generic-0": KEYED, "kafka-0": KEYED}])
    watched: list[str] = []
    lines: list[str] = []
    count = kube_wireguard.wait_for_keys(
        nodes,
        wireguard.PUBLIC_KEY_ANNOTATION,
        cluster="switch",
        timeout_s=60,
        echo=lines.append,
        wait=lambda specs, _timeout: watched.append(specs[0].resource_version) or True,
    )
    assert count == 2 and watched == ["1"]
    assert lines == [
        "cluster switch: waiting for WireGuard on kafka-0",
        "cluster switch: WireGuard public key on all 2 nodes",
    ]
    assert validate.problems([wireguard.felix_configuration()]) == []


def test_wireguard_names_the_nodes_without_a_key_when_time_runs_out() -> None:
    nodes = Nodes([{"generic-0": KEYED, "mysql-0": {}}])
    clock = iter([0.0, 0.0, 301.0]).__next__
    with pytest.raises(UserError, match=r"cluster switch: no WireGuard public key .* on mysql-0"):
        kube_wireguard.wait_for_keys(
            nodes,
            wireguard.PUBLIC_KEY_ANNOTATION,
            cluster="switch",
            timeout_s=300,
            echo=lambda _line: None,
            clock=clock,
            wait=lambda _specs, _timeout: True,
        )


# --- the deploy stage -------------------------------------------------------------------------


def test_deploy_dry_run_plans_keys_and_redacted_objects_before_any_release(
    monkeypatch: pytest.MonkeyPatch,
    project: Project,  # noqa: F811
) -> None:
    for name in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name, raising=False)
    lines: list[str] = []
    runner = ToolRunner(dry_run=True, lines=lines)
    sc = everything_on()
    aws_deploy.deploy(context(project, runner, sc))
    ids = render_aws.dfsp_ids(sc)
    steps = [step(c) for c in runner.plan]
    assert steps[:4] == [
        "playbook dfsp-hosts.yml",
        "ssh tunnel",
        "kubectl apply switch-ingress.yaml",
        "kubectl apply switch.yaml",
    ]
    assert steps[4 : 4 + len(ids)] == [f"kubectl apply {d}.yaml" for d in ids]
    assert steps[4 + len(ids) : 6 + len(ids)] == [
        "kubectl apply felixconfiguration.yaml",
        "helm upgrade istio-base",
    ]
    text = "\n".join(lines)
    plan = pki.plan(**aws_posture.material_args(context(project, runner, sc)))
    assert len([line for line in lines if line.startswith("[dry-run] pki: ")]) == len(plan)
    assert "[dry-run] pki: write CA certificate and key (RSA 2048, 30 days) -> " in text
    assert f"name: {security.HUB_JWS_SECRET}" in text
    assert f"{security.JWS_KEY}: '{secrets.REDACTED}'" in text
    assert "Hub.pem: '<redacted: generated at run time>'" in text
    assert "annotation projectcalico.org/WireguardPublicKey" in text
    assert not any(marker in text for marker in KEY_MARKERS)
    assert not project.state_root.exists()  # a dry run generates and writes nothing


def test_deploy_generates_keys_applies_them_first_and_restarts_their_users_on_new_keys(
    ready: Path,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    project: Project,  # noqa: F811
) -> None:
    monkeypatch.setattr(aws_deploy, "wait_ready", lambda ctx, c, ns: None)
    annotated = Nodes([{"generic-0": KEYED, "kafka-0": KEYED}])

    @contextlib.contextmanager
    def kube_api(ctx: StageContext, cluster: str, api: str) -> Iterator[Any]:
        assert (cluster, api) == ("switch", "CoreV1Api")
        yield annotated

    monkeypatch.setattr(aws_access, "kube_api", kube_api)
    sc = everything_on()
    runner = ToolRunner()
    ctx = context(project, runner, sc)
    provisioned(ctx)
    use_apps(monkeypatch, fake_clusters(render_aws.post_install(sc)))
    aws_deploy.deploy(ctx)

    folder = ctx.state_dir / "pki"
    assert (folder / "ca.crt").is_file() and folder.stat().st_mode & 0o777 == 0o700
    manifests = ctx.state_dir / "secrets"
    assert manifests.stat().st_mode & 0o777 == 0o700
    ids = render_aws.dfsp_ids(sc)
    for cluster in ["switch", *ids]:
        path = manifests / f"{cluster}.yaml"
        assert path.stat().st_mode & 0o777 == 0o600, cluster
        assert validate.problems(list(yaml.safe_load_all(path.read_text()))) == []
    steps = [step(c) for c in runner.plan]
    first_helm = next(i for i, s in enumerate(steps) if s.startswith("helm upgrade"))
    assert steps.index("kubectl apply switch.yaml") < first_helm
    assert steps.index("kubectl apply felixconfiguration.yaml") < first_helm
    assert annotated.calls == 1
    fingerprint = ctx.state.get("pki")["fingerprint"]
    assert fingerprint and "rollout" not in json.dumps([list(c.argv) for c in runner.plan])

    # Keys made anew since (here: the recorded fingerprint differs): their users restart.
    ctx.state.mark("pki", fingerprint="0123456789abcdef")
    again = ToolRunner()
    aws_deploy.deploy(context(project, again, sc))
    restarts = [c.argv for c in again.plan if "rollout" in c.argv]
    assert len(restarts) == 1 + len(ids)
    assert restarts[0][-3:] == tuple(f"deployment/{n}" for n in aws_posture.HUB_SIGNER_DEPLOYMENTS)
    assert restarts[1][-1] == "deployment/simulator-fsp201-sim-fsp201-scheme-adapter"
    assert ctx.state.get("pki")["fingerprint"] == fingerprint
    assert aws.rendered_dir(ctx).is_dir()


@pytest.mark.parametrize(
    ("name", "opened"), [("500tps-mtls-wireguard", True), ("500tps-mtls-mesh", False)]
)
def test_wireguards_port_is_open_between_nodes_only_with_wireguard(name: str, opened: bool) -> None:
    ports = render_aws.terraform_vars(load_scenario(Project(REPO), name))["intra_cluster_ports"]
    wireguard_port = {
        "from": 51820,
        "to": 51820,
        "protocol": "udp",
        "description": "Calico WireGuard",
    }
    assert (wireguard_port in ports) is opened


@pytest.mark.parametrize(
    "sc",
    [
        everything_on(),
        posture(
            "500tps-mtls-mesh-iso20022", jws={"sign": True, "validate": True, "put_parties": True}
        ),
    ],
    ids=["tls-jws-wireguard-mesh", "tls-jws-mesh-iso20022"],
)
def test_rendered_files_name_secrets_but_hold_no_key_material(sc: Scenario) -> None:
    text = json.dumps(render_aws.render_all(sc), sort_keys=True)
    assert not any(marker in text for marker in KEY_MARKERS)
    assert security.HUB_JWS_SECRET in text and security.dfsp_jws_secret("fsp208") in text
