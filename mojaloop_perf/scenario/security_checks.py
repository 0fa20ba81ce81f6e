"""Semantic checks of the `security` component: postures that cannot work, here or on a target.

Registered with the other checks (mojaloop_perf/scenario/checks.py imports this module). The checks
every target shares refuse combinations that fail anywhere; `security on local` and `security
on aws` run only when the scenario runs on that target (`checks.run(config, target)`).
"""

from __future__ import annotations

from collections.abc import Iterator

from mojaloop_perf.scenario.checks import ERROR, OK, WARNING, Config, Result, check
from mojaloop_perf.scenario.security import decode

COMPONENT = "security"
AWS_HINT = "run it with --target aws"


@check("security posture")
def _posture(config: Config) -> Iterator[Result]:
    security = config[COMPONENT]
    jws, tls = security["jws"], security["tls"]
    clean = True
    if jws["validate"] and not jws["sign"]:
        clean = False
        yield Result(
            "security posture",
            ERROR,
            COMPONENT,
            ("jws", "validate"),
            "true needs jws.sign: true (every request would be refused: nothing signs it)",
        )
    if jws["put_parties"] and not jws["sign"]:
        clean = False
        yield Result(
            "security posture",
            ERROR,
            COMPONENT,
            ("jws", "put_parties"),
            "true needs jws.sign: true (PUT /parties is signed only when every request is)",
        )
    if tls["scope"] == "end_to_end" and tls["mode"] == "none":
        clean = False
        yield Result(
            "security posture",
            ERROR,
            COMPONENT,
            ("tls", "scope"),
            "end_to_end needs tls.mode: tls or mutual (with mode none there is no TLS to extend)",
        )
    if security["mesh"] == "istio_ambient" and security["transport_encryption"] == "wireguard":
        clean = False
        yield Result(
            "security posture",
            WARNING,
            COMPONENT,
            ("mesh",),
            "istio_ambient with transport_encryption: wireguard encrypts the traffic between "
            "the switch's nodes twice (ztunnel mTLS inside WireGuard): the run pays for both",
        )
    if clean:
        yield Result("security posture", OK, COMPONENT, (), _describe(config))


def _describe(config: Config) -> str:
    """One line: the posture's label and what is on."""
    security = decode(config[COMPONENT])
    parts = []
    if security.tls.enabled:
        kind = "mutual TLS" if security.tls.mutual else "TLS"
        parts.append(
            f"{kind} {'end to end' if security.tls.scope == 'end_to_end' else 'at the edge'}"
        )
    if security.jws.enabled:
        verb = "signed and verified" if security.jws.validate else "signed, not verified"
        covered = ", PUT /parties included" if security.jws.put_parties else ""
        parts.append(f"JWS {verb}{covered}")
    if security.transport_encryption == "wireguard":
        parts.append("WireGuard between nodes")
    if security.mesh == "istio_ambient":
        parts.append("Istio ambient mesh")
    if security.api == "iso20022":
        parts.append("ISO 20022 messages")
    if not parts:
        return f"{security.posture}: nothing encrypted or signed"
    keys = (
        f"; {security.pki.key_bits}-bit RSA keys, valid {security.pki.validity_days} days, "
        "generated per run"
        if security.needs_pki
        else ""
    )
    return f"{security.posture}: {', '.join(parts)}{keys}"


@check("security on local", target="local")
def _local(config: Config) -> Iterator[Result]:
    security = config[COMPONENT]
    absent = (
        (("api",), "iso20022", "iso20022: the local lab has no ISO 20022 flavour"),
        (("transport_encryption",), "wireguard", "wireguard: the local lab has no WireGuard"),
        (("mesh",), "istio_ambient", "istio_ambient: the local lab has no service mesh"),
    )
    clean = True
    for path, value, message in absent:
        if security[path[0]] == value:
            clean = False
            yield Result("security on local", ERROR, COMPONENT, path, f"{message}; {AWS_HINT}")
    if config["local"]["hops"] == "in_process":
        needs_hops = [
            (("tls", "mode"), security["tls"]["mode"], security["tls"]["mode"] != "none"),
            (("jws", "sign"), "true", security["jws"]["sign"]),
            (("jws", "validate"), "true", security["jws"]["validate"]),
        ]
        for path, value, on in needs_hops:
            if on:
                clean = False
                yield Result(
                    "security on local",
                    ERROR,
                    COMPONENT,
                    path,
                    f"{value} needs local.hops: http (the in-process lab has no FSPIOP hop to "
                    "secure)",
                )
                break
    if clean:
        hops = config["local"]["hops"]
        yield Result(
            "security on local",
            OK,
            COMPONENT,
            (),
            f"{decode(security).posture} on the local lab (hops: {hops})",
        )


@check("security on aws", target="aws")
def _aws(config: Config) -> Iterator[Result]:
    tls = config[COMPONENT]["tls"]
    if tls["scope"] == "end_to_end":
        yield Result(
            "security on aws",
            ERROR,
            COMPONENT,
            ("tls", "scope"),
            "end_to_end: on AWS the switch's notification handler sends callbacks to the DFSPs "
            "without a client certificate; use edge",
        )
        return
    yield Result(
        "security on aws",
        OK,
        COMPONENT,
        (),
        f"{decode(config[COMPONENT]).posture} on AWS (TLS, if any, at the switch's ingress)",
    )
