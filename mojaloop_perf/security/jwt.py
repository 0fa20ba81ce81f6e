"""jsonwebtoken 9's verify() as jwsValidator.js calls it: {algorithms: ["RS256", "ES256"]}.

Reference: auth0/node-jsonwebtoken v9.0.3 verify.js and lib/validateAsymmetricKey.js, over
jws 4.0.1 (lib/verify-stream.js: the token regex, the header decoded as 'binary').
"""

from __future__ import annotations

import math
import re
import time
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from mojaloop_perf.security.js import UNDEFINED, b64decode, js_parse, truthy

ALGORITHMS = ("RS256", "ES256")  # jwsValidator.js SIGNATURE_ALGORITHMS
_JWS = re.compile(r"[a-zA-Z0-9\-_]+?\.[a-zA-Z0-9\-_]+?\.([a-zA-Z0-9\-_]+)?\Z")
_RSA_ALGS = "RS256, PS256, RS384, PS384, RS512, PS512"


class JwsError(ValueError):
    """A request the SDK's JWS signer or validator refuses; the message is the SDK's."""


def _decoded_header(token: str) -> Any:
    """jws.decode's header: JSON of the latin-1 decoded first part, or UNDEFINED if none."""
    if not _JWS.match(token):
        return UNDEFINED
    raw = b64decode(token.split(".", 1)[0]).decode("latin-1")
    try:
        header = js_parse(raw)
    except (ValueError, RecursionError):
        return UNDEFINED
    return header if truthy(header) else UNDEFINED


def verify(token: str, key: Any, claims: Any) -> dict:
    """jsonwebtoken 9 verify(token, key, {algorithms: RS256/ES256}); the decoded header."""
    parts = token.split(".")
    if len(parts) != 3:
        raise JwsError("jwt malformed")
    header = _decoded_header(token)
    if header is UNDEFINED:
        raise JwsError("invalid token")
    if parts[2].strip() == "":
        raise JwsError("jwt signature is required")
    alg = header.get("alg", UNDEFINED) if isinstance(header, dict) else UNDEFINED
    if not isinstance(alg, str) or alg not in ALGORITHMS:
        raise JwsError("invalid algorithm")
    if key is None:
        raise JwsError(f"secretOrPublicKey must be an asymmetric key when using {alg}")
    _check_key_type(alg, key)
    signing_input = f"{parts[0]}.{parts[1]}".encode("ascii")
    signature = b64decode(parts[2])
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, signing_input, padding.PKCS1v15(), hashes.SHA256())
        else:
            if len(signature) != 64:
                raise JwsError(f'"ES256" signatures must be "64" bytes, saw "{len(signature)}"')
            der = encode_dss_signature(
                int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
            )
            key.verify(der, signing_input, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise JwsError("invalid signature") from None
    _check_time_claims(claims)  # the payload, decoded, is the body the token was made of
    return header


def _check_key_type(alg: str, key: Any) -> None:
    """jsonwebtoken lib/validateAsymmetricKey.js."""
    if isinstance(key, rsa.RSAPublicKey):
        if alg != "RS256":
            raise JwsError(f'"alg" parameter for "rsa" key type must be one of: {_RSA_ALGS}.')
    elif isinstance(key, ec.EllipticCurvePublicKey):
        if alg != "ES256":
            raise JwsError('"alg" parameter for "ec" key type must be one of: ES256, ES384, ES512.')
        if not isinstance(key.curve, ec.SECP256R1):
            raise JwsError('"alg" parameter "ES256" requires curve "prime256v1".')
    else:
        raise JwsError(f'Unknown key type "{type(key).__name__}".')


def _check_time_claims(claims: Any) -> None:
    """jsonwebtoken reads a body's top-level nbf and exp as JWT claims."""
    if not isinstance(claims, dict):
        return
    now = math.floor(time.time())
    for name, refuse in (("nbf", lambda v: v > now), ("exp", lambda v: now >= v)):
        if name not in claims:
            continue
        value = claims[name]
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise JwsError(f"invalid {name} value")
        if refuse(value):
            raise JwsError("jwt not active" if name == "nbf" else "jwt expired")
