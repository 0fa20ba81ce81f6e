"""The posture's Kubernetes objects, per cluster: namespaces, TLS and JWS Secrets, public keys.

Built by the deploy stage from the keys it generated for the run (mojaloop_perf.security.pki), never by
`render`: rendered files are plain inputs, and these objects hold key material. `content` reads a
key or certificate file; without it (a dry run) every data value is `REDACTED`, so a plan shows
each object whole but never a byte of a key.

Switch cluster, switch namespace: the namespace itself (labelled for the ambient mesh when the
posture has one: applied before any release, so every pod in it starts in the mesh); the FSPIOP
hosts' server certificate (kubernetes.io/tls); the CA that signed the DFSPs' client certificates
(`ca.crt`, as ingress-nginx's auth-tls-secret wants it); the hub's JWS private key.
Each DFSP's cluster, its simulator's namespace: the SDK's certificate files (`security.SDK_TLS_FILES`:
its client certificate and the CA for the switch; its own server certificate for the inbound side,
which the SDK reads at start even when it serves plain HTTP), its JWS private key, and every
participant's JWS public key by FSPIOP-Source (`<fsp>.pem`, the hub's as `Hub.pem`).
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from mojaloop_perf.render_aws import istio, security
from mojaloop_perf.render_aws.simulator import release_name
from mojaloop_perf.render_aws.topology import SWITCH_CLUSTER, SWITCH_NAMESPACE, dfsp_ids
from mojaloop_perf.scenario.model import Scenario
from mojaloop_perf.security.pki import HUB, Pki

REDACTED = "<redacted: generated at run time>"
MANAGED = {"app.kubernetes.io/managed-by": "mlperf"}
Content = Callable[[Path], bytes]


def needed(scenario: Scenario) -> bool:
    """Whether the posture has objects of its own to apply (keys, or the mesh's label)."""
    return scenario.security.needs_pki or istio.enabled(scenario)


def objects(scenario: Scenario, pki: Pki, content: Content | None) -> dict[str, list[dict]]:
    """Cluster → its objects in apply order (namespace first); {} for a plaintext posture."""
    if not needed(scenario):
        return {}
    posture = scenario.security
    switch: list[dict[str, Any]] = [_namespace(SWITCH_NAMESPACE, _mesh_labels(scenario))]
    if posture.tls.enabled:
        cert, key = pki.server(HUB)
        switch.append(
            _secret(
                security.SWITCH_TLS_SECRET,
                SWITCH_NAMESPACE,
                {"tls.crt": cert, "tls.key": key},
                content,
                kind="kubernetes.io/tls",
            )
        )
    if posture.tls.mutual:
        switch.append(
            _secret(
                security.SWITCH_CLIENT_CA_SECRET,
                SWITCH_NAMESPACE,
                {"ca.crt": pki.ca_cert()},
                content,
            )
        )
    if posture.jws.sign:
        switch.append(
            _secret(
                security.HUB_JWS_SECRET,
                SWITCH_NAMESPACE,
                {security.JWS_KEY: pki.jws_private(HUB)},
                content,
            )
        )
    found = {SWITCH_CLUSTER: switch}
    ids = dfsp_ids(scenario)
    if not posture.needs_pki:
        return found
    for dfsp_id in ids:
        namespace = release_name(dfsp_id)
        items: list[dict[str, Any]] = [_namespace(namespace, {})]
        if posture.tls.enabled:
            items.append(
                _secret(
                    security.dfsp_tls_secret(dfsp_id),
                    namespace,
                    sdk_tls_files(pki, dfsp_id),
                    content,
                )
            )
        if posture.jws.sign:
            items.append(
                _secret(
                    security.dfsp_jws_secret(dfsp_id),
                    namespace,
                    {security.JWS_KEY: pki.jws_private(dfsp_id)},
                    content,
                )
            )
        if posture.jws.validate:
            items.append(
                _config_map(security.JWS_PUBLIC_KEYS, namespace, public_keys(pki, ids), content)
            )
        found[dfsp_id] = items
    return found


def sdk_tls_files(pki: Pki, dfsp_id: str) -> dict[str, Path]:
    """The SDK's /secrets/ files of `dfsp_id` (security.SDK_TLS_FILES) and where each comes from."""
    server_cert, server_key = pki.server(dfsp_id)
    client_cert, client_key = pki.client(dfsp_id)
    sources = (pki.ca_cert(), server_cert, server_key, pki.ca_cert(), client_cert, client_key)
    return dict(zip(security.SDK_TLS_FILES, sources, strict=True))


def public_keys(pki: Pki, ids: list[str]) -> dict[str, Path]:
    """Every participant's JWS public key as the SDK's validator finds it: `<FSPIOP-Source>.pem`."""
    keys = {f"{dfsp_id}.pem": pki.jws_public(dfsp_id) for dfsp_id in ids}
    keys[f"{security.HUB_NAME}.pem"] = pki.jws_public(HUB)
    return keys


def redacted(objects_: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Copies with every data value replaced by REDACTED (for anything shown or logged)."""
    shown = []
    for obj in objects_:
        copy = dict(obj)
        for field in ("data", "stringData"):
            if isinstance(obj.get(field), Mapping):
                copy[field] = {key: REDACTED for key in obj[field]}
        shown.append(copy)
    return shown


def _mesh_labels(scenario: Scenario) -> dict[str, str]:
    return dict(istio.DATAPLANE_LABEL) if istio.enabled(scenario) else {}


def _namespace(name: str, labels: Mapping[str, str]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": name, "labels": {**MANAGED, **labels}},
    }


def _metadata(name: str, namespace: str) -> dict[str, Any]:
    return {"name": name, "namespace": namespace, "labels": dict(MANAGED)}


def _secret(
    name: str,
    namespace: str,
    files: Mapping[str, Path],
    content: Content | None,
    *,
    kind: str = "Opaque",
) -> dict[str, Any]:
    data = {
        key: base64.b64encode(content(path)).decode() if content else REDACTED
        for key, path in files.items()
    }
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": _metadata(name, namespace),
        "type": kind,
        "data": data,
    }


def _config_map(
    name: str, namespace: str, files: Mapping[str, Path], content: Content | None
) -> dict[str, Any]:
    data = {key: content(path).decode() if content else REDACTED for key, path in files.items()}
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": _metadata(name, namespace),
        "data": data,
    }
