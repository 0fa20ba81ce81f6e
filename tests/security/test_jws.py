"""FSPIOP-Signature in Python: header shape, which requests, refusals, JavaScript JSON.

The same behaviour against the SDK's own signer and validator: tests/contract/test_jws_contract.py.
"""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from mojaloop_perf.errors import UserError
from mojaloop_perf.security import jws, pki
from mojaloop_perf.security.js import js_number

DATE = "Tue, 01 Jan 2030 00:00:00 GMT"
QUOTE = {
    "quoteId": "7c23e80c-d078-4077-8263-2c047876fcf6",
    "amount": {"currency": "XXX", "amount": "10"},
}


@pytest.fixture(scope="module")
def material(tmp_path_factory: pytest.TempPathFactory) -> pki.Pki:
    return pki.generate(
        tmp_path_factory.mktemp("jws") / "pki", ["payerfsp", "payeefsp"], hosts=["localhost"]
    )


@pytest.fixture(scope="module")
def validator(material: pki.Pki) -> jws.Validator:
    return jws.Validator(jws.load_public_keys(material, material.names))


def request_headers(source: str = "payerfsp", destination: str | None = "payeefsp") -> dict:
    headers = {
        "content-type": "application/vnd.interoperability.quotes+json;version=1.0",
        "date": DATE,
        "fspiop-source": source,
    }
    if destination:
        headers["fspiop-destination"] = destination
    return headers


def signed(material: pki.Pki, body: bytes, **options: str | None) -> dict[str, str]:
    headers = request_headers(**options)  # type: ignore[arg-type]
    signer = jws.load_signer(material, headers["fspiop-source"])
    added = signer.headers(
        method="post", uri="http://switch:3000/quotes", headers=headers, body=body
    )
    return {**headers, **added}


def decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def test_signature_header_and_protected_header_as_the_sdk_writes_them(material: pki.Pki) -> None:
    body = jws.dumps(QUOTE)
    headers = signed(material, body)
    assert headers["fspiop-uri"] == "/quotes" and headers["fspiop-http-method"] == "POST"
    signature = json.loads(headers["fspiop-signature"])
    assert list(signature) == ["signature", "protectedHeader"]
    assert headers["fspiop-signature"].startswith('{"signature":"')
    protected = json.loads(decode(signature["protectedHeader"]))
    assert list(protected.items()) == [
        ("alg", "RS256"),
        ("FSPIOP-URI", "/quotes"),
        ("FSPIOP-HTTP-Method", "POST"),
        ("FSPIOP-Source", "payerfsp"),
        ("FSPIOP-Destination", "payeefsp"),
        ("Date", DATE),
    ]
    again = signed(material, body)
    assert again["fspiop-signature"] == headers["fspiop-signature"]  # RS256 is deterministic


def test_optional_fields_are_left_out_when_the_request_lacks_them(material: pki.Pki) -> None:
    signer = jws.load_signer(material, "payerfsp")
    added = signer.headers(method="PUT", uri="/transfers/1", headers={}, body=b"{}")
    protected = json.loads(decode(json.loads(added["fspiop-signature"])["protectedHeader"]))
    assert list(protected) == ["alg", "FSPIOP-URI", "FSPIOP-HTTP-Method"]


def test_a_signed_request_validates_and_tampering_is_refused(
    material: pki.Pki, validator: jws.Validator
) -> None:
    body = jws.dumps(QUOTE)
    headers = signed(material, body)
    validator.validate(method="POST", uri="/quotes", headers=headers, body=body)
    validator.validate(method="POST", uri="/quotes", headers=headers, body=json.loads(body))
    refusals = {
        "invalid signature": (headers, body.replace(b'"10"', b'"11"')),
        "FSPIOP-URI HTTP request header value: /quotes/1 does not match protected header value: /quotes": (
            {**headers, "fspiop-uri": "/quotes/1"},
            body,
        ),
        "JWS public key for 'nofsp' not available. Unable to verify JWS. "
        'Only have keys for: ["payerfsp","payeefsp","switch"]': (
            {**headers, "fspiop-source": "nofsp"},
            body,
        ),
        f"HTTP date header: x does not match protected header Date value: {DATE}": (
            {**headers, "date": "x"},
            body,
        ),
    }
    for message, (changed, changed_body) in refusals.items():
        with pytest.raises(jws.JwsError) as raised:
            validator.validate(method="POST", uri="/quotes", headers=changed, body=changed_body)
        assert str(raised.value) == message
    # Signed with the payee's key, sent as the payer's:
    with pytest.raises(jws.JwsError, match=r"^invalid signature$"):
        wrong = signed(material, body, source="payeefsp")
        validator.validate(
            method="POST", uri="/", headers={**wrong, "fspiop-source": "payerfsp"}, body=body
        )
    unsigned = {k: v for k, v in headers.items() if k != "fspiop-signature"}
    with pytest.raises(jws.JwsError, match=r"^fspiop-uri, fspiop-http-method and fspiop-signature"):
        validator.validate(method="POST", uri="/quotes", headers=unsigned, body=body)


def test_the_payload_is_the_body_as_json_stringify_rebuilds_it(
    material: pki.Pki, validator: jws.Validator
) -> None:
    spaced = json.dumps(QUOTE).encode()  # Python's separators: not what JSON.stringify writes
    headers = signed(material, spaced)
    with pytest.raises(jws.JwsError, match=r"^invalid signature$"):
        validator.validate(method="POST", uri="/quotes", headers=headers, body=spaced)
    compact_headers = signed(material, jws.dumps(QUOTE))
    validator.validate(method="POST", uri="/quotes", headers=compact_headers, body=spaced)


def test_a_top_level_exp_is_read_as_a_jwt_claim(
    material: pki.Pki, validator: jws.Validator
) -> None:
    for claims, message in (
        ({"exp": 1}, "jwt expired"),
        ({"exp": "soon"}, "invalid exp value"),
        ({"nbf": time.time() + 3600}, "jwt not active"),
    ):
        body = jws.dumps({**QUOTE, **claims})
        with pytest.raises(jws.JwsError, match=f"^{message}$"):
            validator.validate(
                method="POST", uri="/quotes", headers=signed(material, body), body=body
            )


def test_es256_when_the_pem_says_ec(tmp_path: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    signer = jws.Signer(pem)
    assert signer.alg == "ES256" and "BEGIN" not in repr(signer)
    headers = {"fspiop-source": "ecfsp"}
    body = jws.dumps(QUOTE)
    headers |= signer.headers(method="POST", uri="/quotes", headers=headers, body=body)
    jws.Validator({"ecfsp": public}).validate(
        method="POST", uri="/quotes", headers=headers, body=body
    )
    pkcs8 = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(jws.JwsError, match="signs RS256 unless"):
        jws.Signer(pkcs8)  # the SDK would sign RS256 with an EC key: refused here up front


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("http://switch:3000/quotes", "/quotes"),
        ("http://switch/transfers/8a1f/error", "/transfers/8a1f/error"),
        ("https://als/parties/MSISDN/27710000001", "/parties/MSISDN/27710000001"),
        ("http://h/participants/MSISDN/1/sub", "/participants/MSISDN/1/sub"),
        ("/fxQuotes/1", "/fxQuotes/1"),
        ("http://h/unknown", "//h/unknown"),
        ("http://h/", "/"),
        ("quotes", None),
        ("http://h/quotes\n", None),
    ],
)
def test_fspiop_uri_follows_the_signers_regex(uri: str, expected: str | None) -> None:
    assert jws.fspiop_uri(uri) == expected


def test_which_requests_are_signed_and_validated() -> None:
    cases = [
        ("POST", "/quotes", False, True, True),
        ("PUT", "/transfers/1", False, True, True),
        ("PATCH", "/transfers/1", False, True, True),
        ("GET", "/parties/MSISDN/1", True, False, False),
        ("PUT", "/parties/MSISDN/1", False, False, False),
        ("PUT", "/parties/MSISDN/1", True, True, True),
        ("PUT", "/parties/MSISDN/1/error", False, False, False),
        ("PUT", "/participants/MSISDN/1", False, True, True),
    ]
    for method, path, put_parties, signs, validates in cases:
        assert jws.needs_signature(method, path, put_parties=put_parties) is signs, (method, path)
        assert jws.needs_validation(method, path, put_parties=put_parties) is validates


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (1.0, "1"),
        (-0.0, "0"),
        (0.1, "0.1"),
        (1e21, "1e+21"),
        (1e20, "100000000000000000000"),
        (123456789012345680000.0, "123456789012345680000"),
        (1e-7, "1e-7"),
        (0.000001, "0.000001"),
        (1.5e300, "1.5e+300"),
        (-2.5e-10, "-2.5e-10"),
    ],
)
def test_numbers_print_as_javascript_prints_them(value: float, text: str) -> None:
    assert js_number(value) == text


def test_dumps_orders_index_keys_first_and_escapes_as_json_stringify() -> None:
    value = {"b": 1, "2": True, "10": None, "01": "é\u2028\x01", "1": [1.5, "\ud800"]}
    assert jws.dumps(value) == (
        '{"1":[1.5,"\\ud800"],"2":true,"10":null,"b":1,"01":"é\u2028\\u0001"}'.encode()
    )


def test_keys_missing_from_the_pki_are_one_line(material: pki.Pki, tmp_path: Path) -> None:
    with pytest.raises(UserError, match="no PKI material for 'nofsp'"):
        jws.load_public_keys(material, ["nofsp"])
    empty = pki.Pki(tmp_path)
    with pytest.raises(UserError, match="cannot read the JWS key of payerfsp"):
        jws.load_signer(empty, "payerfsp")


def test_signing_and_validating_are_fast(material: pki.Pki, validator: jws.Validator) -> None:
    """A lab hop signs and checks every request: a few hundred microseconds, not milliseconds."""
    signer = jws.load_signer(material, "payerfsp")
    body = jws.dumps({**QUOTE, "note": "x" * 1000})
    headers = request_headers()
    started = time.perf_counter()
    for _ in range(50):
        added = signer.headers(method="POST", uri="/quotes", headers=headers, body=body)
        validator.validate(method="POST", uri="/quotes", headers=headers | added, body=body)
    per_request = (time.perf_counter() - started) / 50
    assert per_request < 0.02, f"{per_request * 1e3:.1f} ms per sign+validate"
