"""The `security` component: schema, typed decode, posture labels, semantic and target checks."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from mojaloop_perf.errors import UserError
from mojaloop_perf.project import Project
from mojaloop_perf.results import k6_summary, record
from mojaloop_perf.results.runs import summary_errors
from mojaloop_perf.scenario import checks
from mojaloop_perf.scenario.components import COMPONENTS
from mojaloop_perf.scenario.load import evaluate, load_scenario
from mojaloop_perf.scenario.security import Jws, Pki, Security, Tls, decode
from tests.conftest import REPO, write_scenario

SECURITY = "performance-tests/results/s/overrides/security.yaml"
DEFAULTS = yaml.safe_load((REPO / "infrastructure/defaults/security.yaml").read_text())


def error_of(project: Project, overrides: dict[str, Any], target: str | None = None) -> str:
    """The one-line error loading scenario `s` with `overrides` raises (on `target`)."""
    write_scenario(project, "s", overrides)
    with pytest.raises(UserError) as caught:
        load_scenario(project, "s", target)
    message = str(caught.value)
    assert "\n" not in message
    return message


def findings(project: Project, overrides: dict[str, Any], target: str | None = None) -> list[str]:
    """`check | level | where | message` of every security finding of scenario `s` (`check | ok
    | message` when it passes: a passing check is about the whole component, not one key)."""
    write_scenario(project, "s", overrides)
    return [
        f"{f.check} | ok | {f.message}"
        if f.level == "ok"
        else f"{f.check} | {f.level} | {f.where} | {f.message}"
        for f in evaluate(project, "s", target).findings
        if f.check.startswith("security")
    ]


def posture(**changes: Any) -> Security:
    """The defaults' posture with `changes` merged in (one level deep)."""
    config = json.loads(json.dumps(DEFAULTS))
    for key, value in changes.items():
        config[key] = {**config[key], **value} if isinstance(value, dict) else value
    return decode(config)


# --- the component, its defaults and the typed decode -------------------------------------------


def test_the_component_is_registered_with_its_defaults_file() -> None:
    component = COMPONENTS["security"]
    assert str(component.defaults) == "infrastructure/defaults/security.yaml"
    assert list(COMPONENTS)[-1] == "security"


def test_defaults_decode_to_plaintext(checkout: Project) -> None:
    write_scenario(checkout, "s", {})
    scenario = load_scenario(checkout, "s")
    assert scenario.security == Security(
        api="fspiop",
        jws=Jws(sign=False, validate=False, put_parties=False),
        tls=Tls(mode="none", scope="edge"),
        transport_encryption="none",
        mesh="none",
        pki=Pki(key_bits=2048, validity_days=30),
    )
    assert scenario.security.posture == "plaintext"
    assert scenario.security.needs_pki is False
    assert scenario.local.hops == "in_process"
    with pytest.raises(dataclasses.FrozenInstanceError):
        scenario.security.api = "iso20022"  # type: ignore[misc]


def test_overrides_reach_the_typed_objects(checkout: Project) -> None:
    write_scenario(
        checkout,
        "s",
        {
            "local": {"hops": "http"},
            "security": {
                "tls": {"mode": "mutual", "scope": "end_to_end"},
                "jws": {"sign": True, "validate": True},
                "pki": {"key_bits": 3072, "validity_days": 7},
            },
        },
    )
    scenario = load_scenario(checkout, "s", "local")
    assert scenario.local.hops == "http"
    assert scenario.security.tls == Tls("mutual", "end_to_end")
    assert scenario.security.tls.mutual and scenario.security.tls.enabled
    assert scenario.security.jws == Jws(sign=True, validate=True, put_parties=False)
    assert scenario.security.pki == Pki(3072, 7)
    assert scenario.security.posture == "mtls-jws"
    assert scenario.security.needs_pki is True


@pytest.mark.parametrize(
    ("changes", "label", "needs_pki"),
    [
        ({}, "plaintext", False),
        ({"tls": {"mode": "tls"}}, "tls", True),
        ({"tls": {"mode": "mutual"}}, "mtls", True),
        ({"tls": {"mode": "mutual"}, "jws": {"sign": True, "validate": True}}, "mtls-jws", True),
        ({"jws": {"sign": True}}, "jws", True),
        ({"tls": {"mode": "mutual"}, "transport_encryption": "wireguard"}, "mtls-wireguard", True),
        ({"tls": {"mode": "mutual"}, "mesh": "istio_ambient"}, "mtls-mesh", True),
        (
            {"tls": {"mode": "mutual"}, "mesh": "istio_ambient", "api": "iso20022"},
            "mtls-mesh-iso20022",
            True,
        ),
        ({"transport_encryption": "wireguard"}, "wireguard", False),
        ({"mesh": "istio_ambient"}, "mesh", False),
        ({"api": "iso20022"}, "iso20022", False),
        (
            {
                "api": "iso20022",
                "mesh": "istio_ambient",
                "transport_encryption": "wireguard",
                "jws": {"sign": True, "validate": True, "put_parties": True},
                "tls": {"mode": "tls"},
            },
            "tls-jws-wireguard-mesh-iso20022",
            True,
        ),
    ],
)
def test_posture_labels(changes: dict[str, Any], label: str, needs_pki: bool) -> None:
    security = posture(**changes)
    assert security.posture == label
    assert security.needs_pki is needs_pki


def test_summary_block_names_the_posture_and_its_parts() -> None:
    security = posture(tls={"mode": "mutual"}, mesh="istio_ambient", api="iso20022")
    assert security.summary() == {
        "posture": "mtls-mesh-iso20022",
        "api": "iso20022",
        "jws": {"sign": False, "validate": False, "put_parties": False},
        "tls": {"mode": "mutual", "scope": "edge"},
        "transport_encryption": "none",
        "mesh": "istio_ambient",
    }


def test_every_run_summary_carries_the_security_block(checkout: Project) -> None:
    write_scenario(
        checkout,
        "s",
        {"local": {"hops": "http"}, "security": {"tls": {"mode": "tls"}, "jws": {"sign": True}}},
    )
    scenario = load_scenario(checkout, "s", "local")
    figures = k6_summary.figures(json.loads((REPO / "tests/data/k6-summary.json").read_text()))
    moment = datetime(2026, 12, 1, 19, 41, 47, tzinfo=UTC)
    summary = record.build_summary(
        scenario, "local", figures, "v1.1.0", moment, moment, checkout.root
    )
    summary["run_id"] = "20261201T194147Z"
    assert summary_errors(summary) == []
    assert summary["security"] == {
        "posture": "tls-jws",
        "api": "fspiop",
        "jws": {"sign": True, "validate": False, "put_parties": False},
        "tls": {"mode": "tls", "scope": "edge"},
        "transport_encryption": "none",
        "mesh": "none",
    }
    summary["security"]["tls"]["mode"] = "strict"
    assert summary_errors(summary) == [
        "security.tls.mode: 'strict' is not one of ['none', 'tls', 'mutual']"
    ]


# --- schema refusals: one line naming the file and the key ----------------------------------------


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (
            {"security": {"tls": {"mode": "mutual", "sope": "edge"}}},
            f"{SECURITY}: tls.sope: unknown key (allowed: mode, scope)",
        ),
        (
            {"security": {"api": "swift"}},
            f"{SECURITY}: api: 'swift' is not one of ['fspiop', 'iso20022']",
        ),
        (
            {"security": {"mesh": "linkerd"}},
            f"{SECURITY}: mesh: 'linkerd' is not one of ['none', 'istio_ambient']",
        ),
        (
            {"security": {"transport_encryption": "ipsec"}},
            f"{SECURITY}: transport_encryption: 'ipsec' is not one of ['none', 'wireguard']",
        ),
        (
            {"security": {"jws": {"sign": "yes"}}},
            f"{SECURITY}: jws.sign: 'yes' is not of type 'boolean'",
        ),
        (
            {"security": {"pki": {"key_bits": 1024}}},
            f"{SECURITY}: pki.key_bits: 1024 is not one of [2048, 3072, 4096]",
        ),
        (
            {"security": {"pki": {"validity_days": 0}}},
            f"{SECURITY}: pki.validity_days: 0 is less than the minimum of 1",
        ),
        (
            {"security": {"pki": {"validity_days": 826}}},
            f"{SECURITY}: pki.validity_days: 826 is greater than the maximum of 825",
        ),
        (
            {"security": {"tls": {"mode": "mtls"}}},
            f"{SECURITY}: tls.mode: 'mtls' is not one of ['none', 'tls', 'mutual']",
        ),
        (
            {"local": {"hops": "grpc"}},
            "performance-tests/results/s/overrides/local.yaml: hops: 'grpc' is not one of "
            "['in_process', 'http']",
        ),
        (
            # the old toggles are gone: the security component replaces them
            {"mojaloop": {"jws": {"enabled": True}}},
            "performance-tests/results/s/overrides/mojaloop.yaml: jws: unknown key (allowed: "
            "chart, log_level, services)",
        ),
        (
            {"mojaloop": {"mtls": {"enabled": False}}},
            "performance-tests/results/s/overrides/mojaloop.yaml: mtls: unknown key (allowed: "
            "chart, log_level, services)",
        ),
    ],
)
def test_schema_refusals(checkout: Project, overrides: dict[str, Any], expected: str) -> None:
    assert error_of(checkout, overrides) == expected


def test_a_broken_security_default_is_blamed_on_the_defaults_file(checkout: Project) -> None:
    write_scenario(checkout, "s", {})
    path = checkout.root / "infrastructure/defaults/security.yaml"
    path.write_text(path.read_text().replace("mesh: none", "mesh: sidecar"))
    with pytest.raises(UserError) as caught:
        load_scenario(checkout, "s")
    assert str(caught.value).startswith("infrastructure/defaults/security.yaml: mesh: 'sidecar'")


# --- semantic checks every target shares ----------------------------------------------------------


@pytest.mark.parametrize(
    ("security", "expected"),
    [
        (
            {"jws": {"validate": True}},
            f"{SECURITY}: jws.validate: true needs jws.sign: true (every request would be "
            "refused: nothing signs it)",
        ),
        (
            {"jws": {"put_parties": True}},
            f"{SECURITY}: jws.put_parties: true needs jws.sign: true (PUT /parties is signed only "
            "when every request is)",
        ),
        (
            {"tls": {"scope": "end_to_end"}},
            f"{SECURITY}: tls.scope: end_to_end needs tls.mode: tls or mutual (with mode none "
            "there is no TLS to extend)",
        ),
    ],
)
def test_postures_that_cannot_work_anywhere(
    checkout: Project, security: dict[str, Any], expected: str
) -> None:
    for target in (None, "local", "aws"):
        assert error_of(checkout, {"security": security}, target) == expected


def test_mesh_inside_wireguard_is_allowed_but_warned(checkout: Project) -> None:
    found = findings(
        checkout, {"security": {"mesh": "istio_ambient", "transport_encryption": "wireguard"}}
    )
    assert found == [
        f"security posture | warning | {SECURITY}: mesh | istio_ambient with "
        "transport_encryption: wireguard encrypts the traffic between the switch's nodes twice "
        "(ztunnel mTLS inside WireGuard): the run pays for both"
    ]
    assert load_scenario(checkout, "s", "aws").security.posture == "wireguard-mesh"


def test_a_sound_posture_is_reported_with_what_is_on(checkout: Project) -> None:
    assert findings(checkout, {}) == [
        "security posture | ok | plaintext: nothing encrypted or signed"
    ]
    security = {
        "tls": {"mode": "mutual", "scope": "end_to_end"},
        "jws": {"sign": True, "validate": True, "put_parties": True},
    }
    assert findings(checkout, {"security": security}) == [
        "security posture | ok | mtls-jws: mutual TLS end to end, "
        "JWS signed and verified, PUT /parties included; 2048-bit RSA keys, valid 30 days, "
        "generated per run"
    ]


def test_signing_without_verifying_is_allowed(checkout: Project) -> None:
    found = findings(checkout, {"security": {"jws": {"sign": True}}})
    assert found[0].endswith(
        "jws: JWS signed, not verified; 2048-bit RSA keys, valid 30 days, generated per run"
    )


# --- target-only checks ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (
            {"security": {"api": "iso20022"}},
            f"{SECURITY}: api: iso20022: the local lab has no ISO 20022 flavour; run it with "
            "--target aws",
        ),
        (
            {"security": {"transport_encryption": "wireguard"}},
            f"{SECURITY}: transport_encryption: wireguard: the local lab has no WireGuard; run it "
            "with --target aws",
        ),
        (
            {"security": {"mesh": "istio_ambient"}},
            f"{SECURITY}: mesh: istio_ambient: the local lab has no service mesh; run it with "
            "--target aws",
        ),
        (
            {"security": {"tls": {"mode": "mutual"}}},
            f"{SECURITY}: tls.mode: mutual needs local.hops: http (the in-process lab has no "
            "FSPIOP hop to secure)",
        ),
        (
            {"security": {"tls": {"mode": "tls"}}},
            f"{SECURITY}: tls.mode: tls needs local.hops: http (the in-process lab has no FSPIOP "
            "hop to secure)",
        ),
        (
            {"security": {"jws": {"sign": True}}},
            f"{SECURITY}: jws.sign: true needs local.hops: http (the in-process lab has no FSPIOP "
            "hop to secure)",
        ),
    ],
)
def test_the_local_target_refuses_what_the_lab_cannot_do(
    checkout: Project, overrides: dict[str, Any], expected: str
) -> None:
    assert error_of(checkout, overrides, "local") == expected
    # The same scenario is valid as far as the shared checks go, and on AWS.
    assert load_scenario(checkout, "s").name == "s"
    assert load_scenario(checkout, "s", "aws").name == "s"


def test_the_local_target_runs_tls_and_jws_over_http_hops(checkout: Project) -> None:
    security = {
        "tls": {"mode": "mutual", "scope": "end_to_end"},
        "jws": {"sign": True, "validate": True},
    }
    found = findings(checkout, {"local": {"hops": "http"}, "security": security}, "local")
    assert found[-1] == ("security on local | ok | mtls-jws on the local lab (hops: http)")
    assert "security on aws" not in "".join(found)


def test_the_aws_target_refuses_end_to_end_tls(checkout: Project) -> None:
    overrides = {"security": {"tls": {"mode": "mutual", "scope": "end_to_end"}}}
    assert error_of(checkout, overrides, "aws") == (
        f"{SECURITY}: tls.scope: end_to_end: on AWS the switch's notification handler sends "
        "callbacks to the DFSPs without a client certificate; use edge"
    )


@pytest.mark.parametrize("mode", ["tls", "mutual"])
def test_the_aws_target_takes_tls_at_the_edge(checkout: Project, mode: str) -> None:
    found = findings(checkout, {"security": {"tls": {"mode": mode}}}, "aws")
    label = "mtls" if mode == "mutual" else "tls"
    assert found[-1] == (
        f"security on aws | ok | {label} on AWS (TLS, if any, at the switch's ingress)"
    )


def test_target_checks_run_only_for_their_target(checkout: Project) -> None:
    registered = {name: target for name, _, target in checks.CHECKS}
    assert registered["security on local"] == "local"
    assert registered["security on aws"] == "aws"
    assert {target for target in registered.values()} == {None, "local", "aws"}
    write_scenario(checkout, "s", {})
    for target, expected in ((None, set()), ("local", {"local"}), ("aws", {"aws"})):
        names = {f.check for f in evaluate(checkout, "s", target).findings}
        assert {n.removeprefix("security on ") for n in names if n.startswith("security on ")} == (
            expected
        )


# --- the CLI: every stage runs its target's checks; validate takes --target -----------------------

Cli = Callable[..., Any]


def test_a_stage_on_local_stops_on_a_local_refusal_in_one_line(
    invoke_cli: Cli, checkout: Project
) -> None:
    write_scenario(checkout, "s", {"security": {"mesh": "istio_ambient"}})
    result = invoke_cli("provision", "--scenario", "s", "--dry-run")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert result.stderr.strip() == (
        f"provision: {SECURITY}: mesh: istio_ambient: the local lab has no service mesh; run it "
        "with --target aws"
    )


def test_validate_shows_a_targets_own_checks_only_when_asked(
    invoke_cli: Cli, checkout: Project
) -> None:
    write_scenario(checkout, "s", {"security": {"tls": {"mode": "mutual", "scope": "end_to_end"}}})
    shared = invoke_cli("validate", "--scenario", "s")
    assert shared.returncode == 0, shared.stderr
    assert "security posture" in shared.stdout and "security on" not in shared.stdout
    on_aws = invoke_cli("validate", "--scenario", "s", "--target", "aws")
    assert on_aws.returncode == 2
    assert f"↳ {SECURITY}: tls.scope" in on_aws.stdout
    unknown = invoke_cli("validate", "--scenario", "s", "--target", "gcp")
    assert unknown.stderr.strip() == "validate: --target: unknown target 'gcp' (choose local, aws)"


def test_docs_name_the_component() -> None:
    readme = (REPO / "infrastructure/README.md").read_text()
    assert "`security`" in readme
    reference = (REPO / "docs/scenario-reference.md").read_text()
    for key in ("`api`", "`jws.put_parties`", "`tls.scope`", "`pki.validity_days`"):
        assert key in reference
    assert "`hops`" in reference
    assert "`jws.enabled`" not in reference
    assert Path(REPO / "infrastructure/defaults/mojaloop.yaml").read_text().count("jws") == 0
