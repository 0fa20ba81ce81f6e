"""FSPIOP-Signature (JWS) made and checked exactly as Mojaloop's SDK does.

The reference is mojaloop/sdk-standard-components 19.18.8 (the version tests/contract pins):
src/lib/jws/jwsSigner.js, src/lib/jws/jwsValidator.js and, for which requests are signed,
src/lib/requests/baseRequests.js. The validator's token check is jsonwebtoken 9 (verify.js,
lib/validateAsymmetricKey.js) over jws 4; the inbound body is parsed as mojaloop/sdk-scheme-adapter
modules/api-svc/src/InboundServer/middlewares.js does (co-body, strict JSON).

What the SDK does, and this module with it:
- Signing needs a body. The protected header is, in this order: alg, FSPIOP-URI, FSPIOP-HTTP-Method,
  FSPIOP-Source (left out when the request has no such header), FSPIOP-Destination and Date (each
  only when the request has it). alg is ES256 when the key's PEM says "BEGIN EC ", RS256 otherwise.
  FSPIOP-URI is the request URI from its last "/<resource>" segment on (the signer's uriRegex).
  The payload is the body exactly as sent; the header is
  {"signature": <JWS signature>, "protectedHeader": <JWS protected header>}, both base64url.
- The validator re-serialises the parsed body (JSON.stringify) for the payload, so a signed body
  must be compact JavaScript JSON: `dumps()` writes that. It never looks at the request line:
  it compares the fspiop-uri, fspiop-http-method, fspiop-source, date and fspiop-destination
  headers with the protected header. Accepted algorithms: RS256 and ES256 (by key type).
- Which requests: every POST, PUT and PATCH with a body is signed, PUT /parties only with
  JWS_SIGN_PUT_PARTIES (`needs_signature`); the inbound server validates every request but GETs,
  and PUT /parties/… only with VALIDATE_INBOUND_PUT_PARTIES_JWS (`needs_validation`).
The inbound server answers any refusal 400 with the body `refusal_body()` (FSPIOP error 3105,
"Invalid signature"); the message only goes to its log. JwsError's message is the SDK's for the
same fault; for a malformed FSPIOP-Signature JSON only
the kind (a JSON syntax error) is the same, V8's wording is not reproduced.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from mojaloop_perf.errors import UserError
from mojaloop_perf.security.js import (
    UNDEFINED,
    b64url,
    dumps,
    js_json,
    js_parse,
    js_string,
    latin1,
    truthy,
)
from mojaloop_perf.security.jwt import ALGORITHMS, JwsError, verify

if TYPE_CHECKING:
    from mojaloop_perf.security.pki import Pki

__all__ = [
    "JwsError",
    "Signer",
    "Validator",
    "dumps",
    "fspiop_uri",
    "load_public_keys",
    "load_signer",
    "needs_signature",
    "needs_validation",
    "parse_body",
    "refusal_body",
]

# jwsSigner.js uriRegex: the resources a FSPIOP-URI may start with ("" too).
RESOURCES = (
    "participants",
    "parties",
    "quotes",
    "bulkQuotes",
    "transfers",
    "bulkTransfers",
    "transactionRequests",
    "thirdpartyRequests",
    "authorizations",
    "consents",
    "consentRequests",
    "fxQuotes",
    "fxTransfers",
)
_LINE_TERMINATORS = re.compile("[\n\r\u2028\u2029]")  # what JavaScript's `.` does not match
_STRICT_JSON = re.compile(r"[\x20\x09\x0a\x0d]*[\[{]")  # co-body's strictJSONReg
_REQUIRED = ("fspiop-uri", "fspiop-http-method", "fspiop-signature")
REFUSAL_STATUS = 400  # createJwsValidator: ReturnCodes.BADREQUEST


def refusal_body() -> dict[str, Any]:
    """What the scheme adapter answers a request its JWS validator refuses (errors/index.js
    MojaloopApiErrorCodes.INVALID_SIGNATURE, toApiErrorObject)."""
    return {"errorInformation": {"errorCode": "3105", "errorDescription": "Invalid signature"}}


def fspiop_uri(uri: str) -> str | None:
    """The FSPIOP-URI jwsSigner.js's uriRegex takes from a request URI, or None.

    The regex keeps the part from the right-most "/" followed by nothing, by another "/", by a
    resource name or by a resource name and "/": "http://h:4000/quotes/1" gives "/quotes/1".
    """
    if _LINE_TERMINATORS.search(uri):
        return None
    at = uri.rfind("/")
    while at >= 0:
        rest = uri[at + 1 :]
        if rest == "" or rest.startswith("/"):
            return uri[at:]
        if any(rest == r or rest.startswith(r + "/") for r in RESOURCES):
            return uri[at:]
        at = uri.rfind("/", 0, at)
    return None


def _resource(path: str) -> str:
    return path.lstrip("/").split("/", 1)[0].split("?", 1)[0]


def needs_signature(method: str, path: str, *, put_parties: bool) -> bool:
    """Does a signing SDK sign this request? (baseRequests.js: _post, _put, _patch do.)"""
    method = method.upper()
    if method == "PUT" and _resource(path) == "parties":
        return put_parties
    return method in ("POST", "PUT", "PATCH")


def needs_validation(method: str, path: str, *, put_parties: bool) -> bool:
    """Does the scheme adapter's inbound server validate this request? (createJwsValidator)"""
    method = method.upper()
    if not put_parties and method == "PUT" and path.startswith("/parties/"):
        return False
    return method != "GET"


# --- signing --------------------------------------------------------------------------------


class Signer:
    """Signs FSPIOP requests with one participant's private key (loaded once)."""

    def __init__(self, private_key_pem: bytes) -> None:
        pem = private_key_pem.encode() if isinstance(private_key_pem, str) else private_key_pem
        self.alg = "ES256" if b"BEGIN EC " in pem else "RS256"
        try:
            key = serialization.load_pem_private_key(pem, password=None)
        except (ValueError, TypeError) as error:
            raise JwsError(f"the signing key is not a PEM private key: {error}") from None
        if self.alg == "RS256" and not isinstance(key, rsa.RSAPrivateKey):
            raise JwsError(
                "the SDK signs RS256 unless the key's PEM says 'BEGIN EC ': use an RSA key"
            )
        if self.alg == "ES256" and not (
            isinstance(key, ec.EllipticCurvePrivateKey) and isinstance(key.curve, ec.SECP256R1)
        ):
            raise JwsError("ES256 needs a P-256 key")
        self._key = key

    def __repr__(self) -> str:
        return f"Signer(alg={self.alg!r})"

    def headers(
        self, *, method: str, uri: str, headers: Mapping[str, str], body: bytes | str
    ) -> dict[str, str]:
        """The headers jwsSigner.js sign() adds: fspiop-http-method, fspiop-uri, fspiop-signature.

        `headers` are the request's (any case); FSPIOP-Source, FSPIOP-Destination and Date go
        into the protected header from them. `body` is signed byte for byte.
        """
        payload = body.encode("utf-8") if isinstance(body, str) else bytes(body)
        if not payload:
            raise JwsError("Cannot sign with no body")
        path = fspiop_uri(uri)
        if path is None:
            raise JwsError(f"URI not valid for protected header: {uri}")
        lower = {name.lower(): value for name, value in headers.items()}
        http_method = method.upper()
        protected: dict[str, str] = {
            "alg": self.alg,
            "FSPIOP-URI": path,
            "FSPIOP-HTTP-Method": http_method,
        }
        if "fspiop-source" in lower:
            protected["FSPIOP-Source"] = lower["fspiop-source"]
        if lower.get("fspiop-destination"):
            protected["FSPIOP-Destination"] = lower["fspiop-destination"]
        if lower.get("date"):
            protected["Date"] = lower["date"]
        encoded = b64url(latin1(js_json(protected)))
        signing_input = f"{encoded}.{b64url(payload)}".encode("ascii")
        signature = b64url(self._sign(signing_input))
        return {
            "fspiop-http-method": http_method,
            "fspiop-uri": path,
            "fspiop-signature": f'{{"signature":"{signature}","protectedHeader":"{encoded}"}}',
        }

    def _sign(self, data: bytes) -> bytes:
        key = self._key
        if isinstance(key, rsa.RSAPrivateKey):
            return key.sign(data, padding.PKCS1v15(), hashes.SHA256())
        assert isinstance(key, ec.EllipticCurvePrivateKey)  # __init__ admits RSA or P-256 only
        r, s = decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")


# --- validation -----------------------------------------------------------------------------


def _public_key(pem: bytes | str) -> Any:
    """What Node's createPublicKey makes of a PEM: a public key, a certificate's, a private key's."""
    data = pem.encode() if isinstance(pem, str) else bytes(pem)
    loaders: list[Callable[[bytes], Any]] = [
        serialization.load_pem_public_key,
        lambda d: x509.load_pem_x509_certificate(d).public_key(),
        lambda d: serialization.load_pem_private_key(d, password=None).public_key(),
    ]
    for load in loaders:
        try:
            return load(data)
        except (ValueError, TypeError):
            continue
    return None  # Node falls back to a secret key, which no RS256/ES256 token verifies with


def parse_body(body: bytes | str) -> Any:
    """The body as the scheme adapter's inbound server parses it (co-body json, strict)."""
    text = body.decode("utf-8", errors="replace") if isinstance(body, bytes | bytearray) else body
    text = text.removeprefix("\ufeff")
    if not text:
        return {}
    if not _STRICT_JSON.match(text):
        raise JwsError("invalid JSON, only supports object and array")
    try:
        return js_parse(text)
    except (ValueError, RecursionError) as error:
        raise JwsError(f"the body is not JSON: {error}") from None


class Validator:
    """Checks FSPIOP-Signature against the sender's public key, as jwsValidator.js validate()."""

    def __init__(self, public_keys: Mapping[str, bytes]) -> None:
        self._names = list(public_keys)
        self._keys = {name: _public_key(pem) for name, pem in public_keys.items()}

    def __repr__(self) -> str:
        return f"Validator(keys for {', '.join(self._names)})"

    def validate(
        self, *, method: str, uri: str, headers: Mapping[str, str], body: bytes | str | Any
    ) -> None:
        """Raise JwsError unless the request's signature and protected header check out.

        `method` and `uri` are the request line's; like the SDK this compares only the fspiop-*
        headers with the protected header. `body` is the raw body (bytes/str) or, already
        parsed, the JSON value.
        """
        del method, uri  # the SDK's validator does not read the request line
        lower = {name.lower(): value for name, value in headers.items()}
        payload = parse_body(body) if isinstance(body, bytes | bytearray | str) else body
        if not truthy(payload):
            raise JwsError("Cannot validate JWS without a body")
        source = lower.get("fspiop-source", UNDEFINED)
        if not truthy(source):
            raise JwsError("FSPIOP-Source HTTP header not in request headers. Unable to verify JWS")
        if source not in self._keys:
            raise JwsError(
                f"JWS public key for '{source}' not available. Unable to verify JWS. "
                f"Only have keys for: {js_json(self._names)}"
            )
        if not all(truthy(lower.get(n, UNDEFINED)) for n in _REQUIRED):
            raise JwsError(
                "fspiop-uri, fspiop-http-method and fspiop-signature HTTP headers are all "
                f"required for JWS. Only got {js_json(lower)}"
            )
        token = self._token(lower["fspiop-signature"], payload)
        header = verify(token, self._keys[source], payload)
        _check_protected_header(lower, header)

    @staticmethod
    def _token(signature_header: str, payload: Any) -> str:
        try:
            signature_object = js_parse(signature_header)
        except ValueError as error:
            raise JwsError(f"{error} (fspiop-signature is not valid JSON)") from None
        if signature_object is None:
            raise JwsError(
                "Cannot destructure property 'protectedHeader' of 'signatureHeader' as it is null."
            )
        fields = signature_object if isinstance(signature_object, dict) else {}
        protected = js_string(fields.get("protectedHeader", UNDEFINED))
        signature = js_string(fields.get("signature", UNDEFINED))
        encoded_payload = b64url(dumps(payload))
        return f"{protected}.{encoded_payload}.{signature}"


def _check_protected_header(headers: Mapping[str, str], protected: dict) -> None:
    """jwsValidator.js _validateProtectedHeader, message for message."""

    def field(name: str) -> Any:
        return protected.get(name, UNDEFINED)

    def header(name: str) -> Any:
        return headers.get(name, UNDEFINED)

    def shown_protected() -> str:
        return js_json(protected)

    def shown_headers() -> str:
        return js_json(dict(headers))

    if not truthy(field("alg")):
        raise JwsError(
            f"Decoded protected header does not contain required alg element: {shown_protected()}"
        )
    if field("alg") not in ALGORITHMS:
        raise JwsError(
            f"Invalid protected header alg '{js_string(field('alg'))}' should be 'RS256 or ES256'"
        )
    for name, http in (
        ("FSPIOP-URI", "fspiop-uri"),
        ("FSPIOP-HTTP-Method", "fspiop-http-method"),
        ("FSPIOP-Source", "fspiop-source"),
    ):
        if not truthy(field(name)):
            raise JwsError(
                f"Decoded protected header does not contain required {name} element: {shown_protected()}"
            )
        if not truthy(header(http)):
            raise JwsError(f"{name} HTTP header not present in request headers: {shown_headers()}")
        if field(name) != header(http):
            raise JwsError(
                f"{name} HTTP request header value: {js_string(header(http))} does not match "
                f"protected header value: {js_string(field(name))}"
            )
    date, http_date = field("Date"), header("date")
    if truthy(date) and not truthy(http_date):
        raise JwsError(
            f"Date header is present in protected header but not in HTTP request: {shown_headers()}"
        )
    if truthy(date) and http_date != date:
        raise JwsError(
            f"HTTP date header: {js_string(http_date)} does not match protected header Date "
            f"value: {js_string(date)}"
        )
    destination, http_destination = field("FSPIOP-Destination"), header("fspiop-destination")
    if truthy(http_destination) and not truthy(destination):
        raise JwsError(
            "HTTP fspiop-destination header is present but is not present in protected header: "
            f"{shown_protected()}"
        )
    if truthy(destination) and not truthy(http_destination):
        raise JwsError(
            "FSPIOP-Destination header is present in protected header but not in HTTP request: "
            f"{shown_headers()}"
        )
    if truthy(http_destination) and http_destination != destination:
        raise JwsError(
            f"HTTP FSPIOP-Destination header: {js_string(http_destination)} does not match "
            f"protected header FSPIOP-Destination value: {js_string(destination)}"
        )


def load_public_keys(pki: Pki, names: Iterable[str]) -> dict[str, bytes]:
    """fsp id -> JWS public key PEM, for a Validator."""
    keys: dict[str, bytes] = {}
    for name in names:
        path = pki.jws_public(name)
        try:
            keys[name] = path.read_bytes()
        except OSError as error:
            raise UserError(
                f"{path}: cannot read the JWS public key of {name} ({error.strerror})"
            ) from None
    return keys


def load_signer(pki: Pki, name: str) -> Signer:
    """The Signer of participant `name` (its jws/<name>.key)."""
    path = pki.jws_private(name)
    try:
        return Signer(path.read_bytes())
    except OSError as error:
        raise UserError(f"{path}: cannot read the JWS key of {name} ({error.strerror})") from None
