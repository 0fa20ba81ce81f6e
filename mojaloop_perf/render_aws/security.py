"""The security posture in the charts' values: the switch's ingress, the hub's JWS key, the SDKs.

Pure and free of key material: values name Kubernetes Secrets and ConfigMaps (`render_aws.secrets`
builds them at deploy time from the keys generated for the run), never their contents.

Switch (mojaloop/mojaloop 17.1.0):
- TLS at the edge (the AWS target's scenario checks refuse `tls.scope: end_to_end`, so the
  DFSPs' inbound APIs stay plain): the Ingress of each FSPIOP host the scheme adapters call (account-lookup-
  service, quoting-service, ml-api-adapter-service) gets `ingress.extraTls` with the switch's
  server certificate; `mutual` adds ingress-nginx's client-certificate annotations
  (kubernetes/ingress-nginx docs/user-guide/nginx-configuration/annotations.md, "Client Certificate
  Authentication"). Their Ingress templates read `ingress.annotations` and `ingress.extraTls`
  (mojaloop/helm account-lookup-service/chart-service and ml-api-adapter/chart-service
  templates/ingress.yaml; quoting-service/chart-service/values.yaml at 0a695666 has the same keys).
- The hub's own callbacks: ALS, the quoting-service handler and ml-api-adapter's notification
  handler read `config.endpointSecurity.jwsSign` and mount `jwsSigningKeySecret` {name, key}
  (mojaloop/helm mojaloop/values.yaml at 36573f5b: on by default there, with an example key the
  chart ships; account-lookup-service/chart-service and quoting-service/chart-handler
  templates/deployment.yaml at 78170b60 and 00acd6ec). Off unless the posture signs.
- ISO 20022: `config.api_type` of the services whose 17.1.0 values carry it (the umbrella's
  `api_type: &API_TYPE` anchor).

Scheme adapters (mojaloop/mojaloop-simulator templates/deployment.yaml and secret.yaml; env names
as mojaloop/sdk-scheme-adapter modules/api-svc/src/config.js reads them):
- TLS: the SDK calls the switch over https only with OUTBOUND_MUTUAL_TLS_ENABLED (its requests
  take the scheme from `outbound.tls.mutualTLS.enabled`), presenting OUT_CLIENT_CERT_PATH and
  trusting OUT_CA_CERT_PATH; `secrets.tlsSecretName` mounts our Secret at /secrets/ with the file
  names the chart's paths expect (IN_* are read at start too, so the Secret holds them as well).
- JWS: JWS_SIGN with `secrets.jws.privateKeySecret` (mounted at the hard-coded
  /jwsSigningKey/private.key); VALIDATE_INBOUND_JWS with `publicKeyConfigMapName` (keys by
  FSPIOP-Source: `<fsp>.pem`, the hub's as `Hub.pem`). The chart's public-key template checks
  `pubKeyConfigMapName` (sic) before requiring an inline key, so both names are set.
- ISO 20022: API_TYPE=iso20022 and ILP_VERSION=4 (the umbrella values' "ISO20022 mode deployment"
  block pairs the API with ILP v4).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from mojaloop_perf.render_aws.simulator import ALS_HOST, QUOTES_HOST, TRANSFERS_HOST
from mojaloop_perf.render_aws.topology import SWITCH_NAMESPACE
from mojaloop_perf.scenario.security import Security

# The hub's FSPIOP-Source in 17.1.0 (mojaloop/helm mojaloop/values.yaml `CONFIG.hub_participant.name`,
# given to every service's config): its public key is `Hub.pem` for the SDKs' validators.
HUB_NAME = "Hub"
# Our objects. On the switch cluster, in the switch namespace:
SWITCH_TLS_SECRET = "mlperf-switch-tls"  # kubernetes.io/tls: the FSPIOP hosts' server cert
SWITCH_CLIENT_CA_SECRET = "mlperf-switch-client-ca"  # ca.crt: verifies the DFSPs' client certs
HUB_JWS_SECRET = "mlperf-hub-jws"  # private.key: signs the hub's own callbacks
JWS_KEY = "private.key"
# On each DFSP's cluster, in its simulator's namespace:
JWS_PUBLIC_KEYS = "mlperf-jws-public-keys"


def dfsp_tls_secret(dfsp_id: str) -> str:
    return f"mlperf-{dfsp_id}-tls"


def dfsp_jws_secret(dfsp_id: str) -> str:
    return f"mlperf-{dfsp_id}-jws"


# FSPIOP host → values path of the sub-chart whose Ingress serves it (17.1.0 layout).
FSPIOP_INGRESSES: dict[str, tuple[str, ...]] = {
    ALS_HOST: ("account-lookup-service", "account-lookup-service"),
    QUOTES_HOST: ("quoting-service", "quoting-service"),
    TRANSFERS_HOST: ("ml-api-adapter", "ml-api-adapter-service"),
}
# The services that send the hub's own FSPIOP messages (callbacks and errors) and can sign them.
HUB_SIGNERS: tuple[tuple[str, ...], ...] = (
    ("account-lookup-service", "account-lookup-service"),
    ("quoting-service", "quoting-service-handler"),
    ("ml-api-adapter", "ml-api-adapter-handler-notification"),
)
# The services whose 17.1.0 values carry `config.api_type` (the quoting-service handler's and
# central-ledger's read windows show none).
API_TYPE_SERVICES: tuple[tuple[str, ...], ...] = (
    ("account-lookup-service", "account-lookup-service"),
    ("quoting-service", "quoting-service"),
    ("ml-api-adapter", "ml-api-adapter-service"),
    ("ml-api-adapter", "ml-api-adapter-handler-notification"),
)
# ingress-nginx: require a client certificate signed by the CA in the Secret, the CA itself
# being the only issuer (depth 1).
NGINX = "nginx.ingress.kubernetes.io"
MUTUAL_TLS_ANNOTATIONS: dict[str, str] = {
    f"{NGINX}/auth-tls-verify-client": "on",
    f"{NGINX}/auth-tls-secret": f"{SWITCH_NAMESPACE}/{SWITCH_CLIENT_CA_SECRET}",
    f"{NGINX}/auth-tls-verify-depth": "1",
}
# The SDK's certificate files under /secrets/ (mojaloop-simulator values.yaml IN_*/OUT_* paths).
SDK_TLS_FILES = (
    "inbound-cacert.pem",
    "inbound-cert.pem",
    "inbound-key.pem",
    "outbound-cacert.pem",
    "outbound-cert.pem",
    "outbound-key.pem",
)
ILP_VERSION_ISO = "4"


def switch_values(security: Security) -> dict[str, Any]:
    """What the posture adds to the mojaloop release's values (empty for plaintext FSPIOP)."""
    values: dict[str, Any] = {}
    if security.tls.enabled:
        for host, path in FSPIOP_INGRESSES.items():
            ingress: dict[str, Any] = {
                "extraTls": [{"hosts": [host], "secretName": SWITCH_TLS_SECRET}],
            }
            if security.tls.mutual:
                ingress["annotations"] = dict(MUTUAL_TLS_ANNOTATIONS)
            merge(values, {"ingress": ingress}, path)
    # Without jws.sign the chart's default stays, as the published campaigns ran it: 17.1.0's
    # hub signs its own callbacks with the example key its values ship, and nobody checks.
    if security.jws.sign:
        for path in HUB_SIGNERS:
            endpoint = {
                "jwsSign": True,
                "jwsSigningKeySecret": {"name": HUB_JWS_SECRET, "key": JWS_KEY},
            }
            merge(values, {"config": {"endpointSecurity": endpoint}}, path)
    if security.api == "iso20022":
        for path in API_TYPE_SERVICES:
            merge(values, {"config": {"api_type": security.api}}, path)
    return values


def scheme_adapter_values(security: Security, dfsp_id: str) -> dict[str, Any]:
    """What the posture adds to `simulators.<id>.config.schemeAdapter` (empty for plaintext)."""
    env: dict[str, Any] = {}
    secrets: dict[str, Any] = {}
    if security.tls.enabled:
        env["OUTBOUND_MUTUAL_TLS_ENABLED"] = True
        secrets["tlsSecretName"] = dfsp_tls_secret(dfsp_id)
    if security.jws.sign:
        env["JWS_SIGN"] = True
        env["JWS_SIGN_PUT_PARTIES"] = security.jws.put_parties
        secrets.setdefault("jws", {})["privateKeySecret"] = {
            "name": dfsp_jws_secret(dfsp_id),
            "key": JWS_KEY,
        }
    if security.jws.validate:
        env["VALIDATE_INBOUND_JWS"] = True
        env["VALIDATE_INBOUND_PUT_PARTIES_JWS"] = security.jws.put_parties
        jws = secrets.setdefault("jws", {})
        jws["publicKeyConfigMapName"] = JWS_PUBLIC_KEYS
        jws["pubKeyConfigMapName"] = JWS_PUBLIC_KEYS
    if security.api == "iso20022":
        env["API_TYPE"] = security.api
        env["ILP_VERSION"] = ILP_VERSION_ISO
    values: dict[str, Any] = {}
    if env:
        values["env"] = env
    if secrets:
        values["secrets"] = secrets
    return values


def merge(base: dict[str, Any], extra: Mapping[str, Any], path: tuple[str, ...] = ()) -> None:
    """Deep-merge `extra` into `base` at `path` (maps merged key by key, the rest replaced)."""
    node = base
    for key in path:
        node = node.setdefault(key, {})
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(node.get(key), dict):
            merge(node[key], value)
        else:
            node[key] = copy.deepcopy(value)
