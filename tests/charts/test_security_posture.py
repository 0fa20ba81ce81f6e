"""Contract: the security posture's values take effect in the real charts.

The simulator chart (the closest copy, standing in for the pinned 15.10.0) is rendered with each
posture's values: the scheme adapter's env, the Secrets and ConfigMap it mounts, and what the
chart does without them (it refuses JWS signing or validation without a key). The umbrella chart
16.0.0 (standing in for 17.1.0) is rendered for the switch ingress: the FSPIOP hosts' TLS and
client-certificate annotations, shared by both versions' ingress templates. What only 17.1.0 has
(the hub's key as a Secret reference, `api_type`, quoting-service's sub-charts) is checked against
the values we render and reported by the values check as not checked, never passed silently.

A JWS posture is no shipped scenario (phase 2 ran without JWS): it is 500tps-mtls-mesh with
signing, validation and PUT /parties switched on.
"""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

import pytest

from mojaloop_perf import helm_chart, render_aws, upstream_charts, values_check
from mojaloop_perf.errors import UserError
from mojaloop_perf.render_aws import secrets, security
from mojaloop_perf.scenario.model import Scenario
from mojaloop_perf.scenario.security import decode
from mojaloop_perf.security.pki import HUB, Pki
from tests.charts.conftest import (
    ROOT,
    container_env,
    pod_spec,
    release_entry,
    rendered,
    scenario,
    upstream,
    workloads,
)

TLS_SCENARIOS = ("500tps-mtls-wireguard", "500tps-mtls-mesh", "500tps-mtls-mesh-iso20022")
PLAINTEXT = ("500tps", "500tps-plaintext")
DFSP = "fsp203"
JWS_ON = {"sign": True, "validate": True, "put_parties": True}
FSPIOP_HOSTS_16 = ("account-lookup-service.local", "ml-api-adapter.local")
ADMIN_HOSTS_16 = ("central-ledger.local", "account-lookup-service-admin.local")


def with_jws(name: str = "500tps-mtls-mesh") -> Scenario:
    base = scenario(name)
    config = copy.deepcopy(dict(base.config))
    config["security"]["jws"] = dict(JWS_ON)
    return dataclasses.replace(base, config=config, security=decode(config["security"]))


def simulator_objects(sc: Scenario, values: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    release = f"simulator-{DFSP}"
    return helm_chart.render(
        upstream("500tps", release).chart_dir,
        values if values is not None else render_aws.helm_values(sc)[release],
        release=release,
        namespace=release_entry("500tps", release)["namespace"],
    )


def adapter(objects: list[dict[str, Any]]) -> dict[str, Any]:
    return workloads(objects)[f"Deployment/simulator-{DFSP}-sim-{DFSP}-scheme-adapter"]


def volumes(workload: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {v["name"]: v for v in pod_spec(workload)["volumes"]}


def mounts(workload: dict[str, Any]) -> dict[str, str]:
    container = pod_spec(workload)["containers"][0]
    return {m["name"]: m["mountPath"] for m in container["volumeMounts"]}


def secret_names(objects: list[dict[str, Any]]) -> set[str]:
    return {o["metadata"]["name"] for o in objects if o["kind"] == "Secret"}


def ingresses(objects: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The rendered Ingress objects by the host of their first rule."""
    return {o["spec"]["rules"][0]["host"]: o for o in objects if o["kind"] == "Ingress"}


def sdk_defaults() -> dict[str, Any]:
    """The scheme adapter's env defaults, as Helm reads the chart's values.yaml."""
    chart = upstream("500tps", f"simulator-{DFSP}").chart_dir
    with helm_chart.helm_module().Chart.load(str(chart)) as loaded:
        values = loaded.merge_values(None)
    return values["defaults"]["config"]["schemeAdapter"]["env"]


# --- the scheme adapters: TLS to the switch -------------------------------------------------------


@pytest.mark.parametrize("name", TLS_SCENARIOS)
def test_tls_postures_call_the_switch_over_https_with_the_runs_certificates(name: str) -> None:
    objects = rendered(name, f"simulator-{DFSP}")
    workload = adapter(objects)
    env = container_env(workload, "scheme-adapter")
    # The SDK takes https for its switch endpoints from this flag (its outbound mutualTLS).
    assert env["OUTBOUND_MUTUAL_TLS_ENABLED"] == "true"
    assert env["INBOUND_MUTUAL_TLS_ENABLED"] == "false"  # scope edge: callbacks stay plain
    assert volumes(workload)["tls-secrets"]["secret"] == {
        "secretName": security.dfsp_tls_secret(DFSP)
    }
    assert mounts(workload)["tls-secrets"] == "/secrets/"
    # No certificate made up by Helm (genCA) beside ours.
    assert not any(n.endswith("-tls-creds") for n in secret_names(objects))


def test_our_tls_secret_holds_every_file_the_sdk_reads_at_start() -> None:
    defaults = sdk_defaults()
    paths = {k: v for k, v in defaults.items() if k.startswith(("IN_", "OUT_")) and "PATH" in k}
    assert len(paths) == 6
    files = {v.removeprefix("/secrets/") for v in paths.values()}
    assert all(v.startswith("/secrets/") for v in paths.values())
    assert files == set(security.SDK_TLS_FILES)
    pki = Pki(ROOT / "unused", (DFSP,))
    sources = secrets.sdk_tls_files(pki, DFSP)
    assert sources["outbound-cert.pem"] == pki.client(DFSP)[0]
    assert sources["outbound-key.pem"] == pki.client(DFSP)[1]
    assert sources["outbound-cacert.pem"] == pki.ca_cert()


@pytest.mark.parametrize("name", PLAINTEXT)
def test_plaintext_leaves_the_charts_tls_and_jws_defaults(name: str) -> None:
    workload = adapter(rendered(name, f"simulator-{DFSP}"))
    env = container_env(workload, "scheme-adapter")
    for flag in ("OUTBOUND_MUTUAL_TLS_ENABLED", "JWS_SIGN", "VALIDATE_INBOUND_JWS"):
        assert env[flag] == "false", flag
    assert "API_TYPE" not in env
    assert "jws-private-key" not in volumes(workload)
    assert volumes(workload)["tls-secrets"]["secret"]["secretName"].endswith("-tls-creds")


# --- the scheme adapters: JWS ---------------------------------------------------------------------


def test_jws_posture_signs_and_validates_with_the_runs_keys() -> None:
    objects = simulator_objects(with_jws())
    workload = adapter(objects)
    env = container_env(workload, "scheme-adapter")
    for flag in (
        "JWS_SIGN",
        "VALIDATE_INBOUND_JWS",
        "JWS_SIGN_PUT_PARTIES",
        "VALIDATE_INBOUND_PUT_PARTIES_JWS",
    ):
        assert env[flag] == "true", flag
    assert env["JWS_SIGNING_KEY_PATH"] == f"/jwsSigningKey/{security.JWS_KEY}"
    found = volumes(workload)
    assert found["jws-private-key"]["secret"] == {
        "secretName": security.dfsp_jws_secret(DFSP),
        "items": [{"key": security.JWS_KEY, "path": "private.key"}],
    }
    assert mounts(workload)["jws-private-key"] == "/jwsSigningKey/"
    assert found["jws-public-keys"]["configMap"] == {"name": security.JWS_PUBLIC_KEYS}
    assert mounts(workload)["jws-public-keys"] == env["JWS_VERIFICATION_KEYS_DIRECTORY"]
    # The chart renders no private key of its own.
    assert not any(n.endswith("-jws-priv-key") for n in secret_names(objects))


@pytest.mark.parametrize(
    ("drop", "refusal"),
    [
        (("secrets", "jws", "privateKeySecret"), "JWS private key required"),
        (("secrets", "jws", "pubKeyConfigMapName"), "jws public key not specified"),
    ],
)
def test_the_chart_refuses_jws_without_the_key_references_we_render(
    drop: tuple[str, ...], refusal: str
) -> None:
    values = copy.deepcopy(render_aws.helm_values(with_jws())[f"simulator-{DFSP}"])
    node = values["simulators"][DFSP]["config"]["schemeAdapter"]
    for key in drop[:-1]:
        node = node[key]
    del node[drop[-1]]
    with pytest.raises(UserError, match=refusal):
        simulator_objects(with_jws(), values)


def test_jws_objects_carry_every_participants_public_key_by_fspiop_source() -> None:
    sc = with_jws()
    ids = render_aws.dfsp_ids(sc)
    found = secrets.objects(sc, Pki(ROOT / "unused", tuple(ids)), None)
    [public] = [o for o in found[DFSP] if o["kind"] == "ConfigMap"]
    assert public["metadata"] == public["metadata"] | {
        "name": security.JWS_PUBLIC_KEYS,
        "namespace": f"simulator-{DFSP}",
    }
    assert set(public["data"]) == {f"{d}.pem" for d in ids} | {f"{security.HUB_NAME}.pem"}
    switch = {o["metadata"]["name"]: o for o in found["switch"]}
    assert set(switch[security.HUB_JWS_SECRET]["data"]) == {security.JWS_KEY}


# --- the scheme adapters: ISO 20022 -------------------------------------------------------------


def test_iso20022_posture_sets_the_sdks_api_type() -> None:
    env = container_env(
        adapter(rendered("500tps-mtls-mesh-iso20022", f"simulator-{DFSP}")), "scheme-adapter"
    )
    assert env["API_TYPE"] == "iso20022"
    assert env["ILP_VERSION"] == security.ILP_VERSION_ISO
    assert "API_TYPE" not in container_env(
        adapter(rendered("500tps-mtls-mesh", f"simulator-{DFSP}")), "scheme-adapter"
    )


# --- the switch's ingress (16.0.0 and 17.1.0 share the Ingress template) ---------------------------


@pytest.mark.parametrize("name", TLS_SCENARIOS)
def test_fspiop_ingresses_serve_tls_and_require_client_certificates(name: str) -> None:
    found = ingresses(rendered(name, "mojaloop"))
    for host in FSPIOP_HOSTS_16:
        ingress = found[host]
        assert ingress["spec"]["tls"] == [
            {"hosts": [host], "secretName": security.SWITCH_TLS_SECRET}
        ]
        annotations = ingress["metadata"]["annotations"]
        assert annotations == annotations | security.MUTUAL_TLS_ANNOTATIONS
        assert annotations[f"{security.NGINX}/auth-tls-secret"] == (
            f"mojaloop/{security.SWITCH_CLIENT_CA_SECRET}"
        )
    # Admin hosts the seed stage calls over the tunnel's plain-HTTP forward keep no TLS.
    for host in ADMIN_HOSTS_16:
        assert "tls" not in found[host]["spec"], host
        assert not any("auth-tls" in a for a in found[host]["metadata"].get("annotations") or {})


def test_quoting_service_ingress_values_are_at_the_17_1_0_sub_chart() -> None:
    """16.0.0's flat quoting-service cannot show them; 17.x quoting-service/chart-service
    values.yaml (mojaloop/helm at 0a695666) has the same ingress.annotations and extraTls."""
    values = render_aws.helm_values(scenario("500tps-mtls-mesh"))["mojaloop"]
    ingress = values["quoting-service"]["quoting-service"]["ingress"]
    assert ingress["extraTls"] == [
        {"hosts": ["quoting-service.local"], "secretName": security.SWITCH_TLS_SECRET}
    ]
    assert ingress["annotations"] == security.MUTUAL_TLS_ANNOTATIONS
    assert "quoting-service.quoting-service" in upstream_charts.exemptions("mojaloop")


def test_server_tls_alone_has_no_client_certificate_annotations() -> None:
    base = scenario("500tps-mtls-mesh")
    config = copy.deepcopy(dict(base.config))
    config["security"]["tls"]["mode"] = "tls"
    variant = dataclasses.replace(base, config=config, security=decode(config["security"]))
    objects = helm_chart.render(
        upstream("500tps", "mojaloop").chart_dir,
        render_aws.helm_values(variant)["mojaloop"],
        release="mojaloop",
        namespace="mojaloop",
    )
    found = ingresses(objects)
    for host in FSPIOP_HOSTS_16:
        assert found[host]["spec"]["tls"][0]["secretName"] == security.SWITCH_TLS_SECRET
        assert not any("auth-tls" in a for a in found[host]["metadata"].get("annotations") or {})


@pytest.mark.parametrize("name", PLAINTEXT)
def test_plaintext_ingresses_have_no_tls(name: str) -> None:
    for host, ingress in ingresses(rendered(name, "mojaloop")).items():
        assert "tls" not in ingress["spec"], host


# --- the hub's JWS key and the API flavour (17.1.0 values) ---------------------------------------


def test_the_hub_signs_with_the_runs_key_only_when_the_posture_signs() -> None:
    signed = render_aws.helm_values(with_jws())["mojaloop"]
    plain = render_aws.helm_values(scenario("500tps-mtls-mesh"))["mojaloop"]
    for path in security.HUB_SIGNERS:
        node, off = signed, plain
        for key in path:
            node, off = node[key], off.get(key, {})
        assert node["config"]["endpointSecurity"] == {
            "jwsSign": True,
            "jwsSigningKeySecret": {"name": security.HUB_JWS_SECRET, "key": security.JWS_KEY},
        }
        # Without jws.sign the chart's default stays, as the published campaigns ran it.
        assert "endpointSecurity" not in off.get("config", {})
    assert HUB == "switch" and security.HUB_NAME == "Hub"


def test_iso20022_sets_api_type_where_17_1_0_reads_it() -> None:
    values = render_aws.helm_values(scenario("500tps-mtls-mesh-iso20022"))["mojaloop"]
    for path in security.API_TYPE_SERVICES:
        node = values
        for key in path:
            node = node[key]
        assert node["config"]["api_type"] == "iso20022"
    fspiop = render_aws.helm_values(scenario("500tps-mtls-mesh"))["mojaloop"]
    assert "api_type" not in fspiop["account-lookup-service"]["account-lookup-service"]["config"]


def test_values_check_passes_a_jws_posture_and_names_what_only_17_1_0_shows() -> None:
    files = render_aws.render_all(with_jws("500tps-mtls-mesh-iso20022"))
    checks = {c.release: c for c in values_check.check_releases(ROOT, files)}
    assert [line for c in checks.values() for line in c.failures()] == []
    mojaloop = checks["mojaloop"].check
    assert mojaloop is not None
    for path in security.HUB_SIGNERS[::2]:  # quoting-service's is under its split sub-charts
        assert ".".join((*path, "config", "endpointSecurity")) in mojaloop.not_checked
    assert "account-lookup-service.account-lookup-service.config.api_type" in mojaloop.not_checked
    for name in ("istio-base", "istiod", "istio-cni", "ztunnel"):
        assert checks[name].check is None  # Istio's charts are not on this machine
    assert "not checked: chart not available" in checks["istiod"].line()
