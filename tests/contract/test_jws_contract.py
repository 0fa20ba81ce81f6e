"""FSPIOP-Signature against the SDK's own JWS signer and validator (jws_check.js).

@mojaloop/sdk-standard-components 19.18.8 as pinned in package.json: what Python signs the SDK
accepts and signs identically, what the SDK signs Python accepts, and every tampering is refused
by both with the same message.
"""

from __future__ import annotations

import base64
import json
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from mojaloop_perf.security import jws, pki
from mojaloop_perf.security.js import js_parse
from tests.contract import sdk

SCRIPT = Path(__file__).resolve().parent / "jws_check.js"
DATE = "Wed, 01 Jan 2031 10:00:00 GMT"
ID = "5a2ad5dc-4ab1-4a22-8c5b-62f75252a8d5"
MONEY = {"currency": "XXX", "amount": "100"}

Node = Callable[[dict[str, Any]], dict[str, Any]]


@pytest.fixture(scope="module")
def node() -> Iterator[Node]:
    """One node process for the module; one JSON line per request and per answer."""
    missing = sdk.missing_piece()
    if missing:
        raise sdk.ContractSetupError(f"{missing}: {sdk.INSTALL}")
    process = subprocess.Popen(
        ["node", str(SCRIPT)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=SCRIPT.parent,
    )
    requests, answers = process.stdin, process.stdout
    assert requests and answers

    def call(request: dict[str, Any]) -> dict[str, Any]:
        requests.write(json.dumps(request) + "\n")
        requests.flush()
        line = answers.readline()
        if not line:
            raise RuntimeError(f"jws_check.js exited {process.wait(10)}")
        return json.loads(line)

    yield call
    requests.close()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture(scope="module")
def material(tmp_path_factory: pytest.TempPathFactory) -> pki.Pki:
    folder = tmp_path_factory.mktemp("jws-contract") / "pki"
    return pki.generate(folder, ["payerfsp", "payeefsp"], hosts=["localhost"])


@pytest.fixture(scope="module")
def public_pems(material: pki.Pki) -> dict[str, str]:
    return {n: k.decode() for n, k in jws.load_public_keys(material, material.names).items()}


# (method, uri the sender calls, source, destination, body): the requests a transfer makes.
REQUESTS = [
    (
        "POST",
        "http://switch:3000/quotes",
        "payerfsp",
        "payeefsp",
        {"quoteId": ID, "transactionId": ID, "amountType": "SEND", "amount": MONEY},
    ),
    (
        "PUT",
        f"http://switch:3000/quotes/{ID}",
        "payeefsp",
        "payerfsp",
        {"transferAmount": MONEY, "expiration": "2031-01-01T10:01:00.000Z", "ilpPacket": "AYIB"},
    ),
    (
        "POST",
        "http://switch:3000/transfers",
        "payerfsp",
        "payeefsp",
        {"transferId": ID, "amount": MONEY},
    ),
    (
        "PUT",
        f"http://switch:3000/transfers/{ID}",
        "payeefsp",
        "payerfsp",
        {"fulfilment": "WLctttbu2HvTsa1XWvUoGRcQozHsqeu9Ahl2JW9Bsu8", "transferState": "COMMITTED"},
    ),
    (
        "PATCH",
        f"https://payeefsp:4000/transfers/{ID}",
        pki.HUB,
        "payeefsp",
        {"completedTimestamp": "2031-01-01T10:00:01.000Z", "transferState": "COMMITTED"},
    ),
    (
        "PUT",
        f"https://payerfsp:4000/transfers/{ID}/error",
        pki.HUB,
        "payerfsp",
        {"errorInformation": {"errorCode": "3100", "errorDescription": "Généric ✓ error"}},
    ),
    (
        "PUT",
        "http://switch:3000/parties/MSISDN/27710000001",
        "payeefsp",
        "payerfsp",
        {"party": {"partyIdInfo": {"partyIdType": "MSISDN", "partyIdentifier": "27710000001"}}},
    ),
]
IDS = [f"{method} {uri.split('/', 3)[3]}" for method, uri, *_ in REQUESTS]


def base_headers(source: str, destination: str | None) -> dict[str, str]:
    headers = {
        "content-type": "application/vnd.interoperability.transfers+json;version=1.1",
        "date": DATE,
        "fspiop-source": source,
    }
    if destination:
        headers["fspiop-destination"] = destination
    return headers


def python_signed(
    material: pki.Pki, method: str, uri: str, source: str, destination: str | None, body: bytes
) -> dict[str, str]:
    headers = base_headers(source, destination)
    signer = jws.load_signer(material, source)
    return headers | signer.headers(method=method, uri=uri, headers=headers, body=body)


@pytest.mark.parametrize("request_", REQUESTS, ids=IDS)
def test_python_signs_byte_for_byte_as_the_sdk(
    node: Node, material: pki.Pki, request_: tuple
) -> None:
    method, uri, source, destination, payload = request_
    body = jws.dumps(payload)
    ours = python_signed(material, method, uri, source, destination, body)
    key = material.jws_private(source).read_text()
    common = {"op": "sign", "key": key, "method": method, "uri": uri}
    for sent in (body.decode(), payload):  # a string body as is, an object JSON.stringify'd
        theirs = node({**common, "headers": base_headers(source, destination), "body": sent})
        assert theirs["ok"], theirs
        assert theirs["headers"] == ours
        assert theirs["body"] == body.decode()


@pytest.mark.parametrize("request_", REQUESTS, ids=IDS)
def test_each_side_accepts_what_the_other_signs(
    node: Node, material: pki.Pki, public_pems: dict[str, str], request_: tuple
) -> None:
    method, uri, source, destination, payload = request_
    body = jws.dumps(payload)
    ours = python_signed(material, method, uri, source, destination, body)
    assert node(
        {"op": "validate", "keys": public_pems, "headers": ours, "body": body.decode()}
    ) == {"ok": True}
    key = material.jws_private(source).read_text()
    headers = base_headers(source, destination)
    theirs = node(
        {
            "op": "sign",
            "key": key,
            "method": method,
            "uri": uri,
            "headers": headers,
            "body": payload,
        }
    )
    validator = jws.Validator(jws.load_public_keys(material, material.names))
    validator.validate(
        method=method, uri=uri, headers=theirs["headers"], body=theirs["body"].encode()
    )


def signature_parts(headers: dict[str, str]) -> tuple[str, str]:
    fields = json.loads(headers["fspiop-signature"])
    return fields["protectedHeader"], fields["signature"]


def with_signature(headers: dict[str, str], protected: str, signature: str) -> dict[str, str]:
    value = json.dumps(
        {"signature": signature, "protectedHeader": protected}, separators=(",", ":")
    )
    return {**headers, "fspiop-signature": value}


def b64url(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).rstrip(b"=").decode()


def tamperings(material: pki.Pki) -> dict[str, tuple[dict[str, str], bytes]]:
    """name -> (headers, body) of a POST /quotes, each changed one way after signing."""
    body = jws.dumps({"quoteId": ID, "amount": MONEY})
    good = python_signed(
        material, "POST", "http://switch:3000/quotes", "payerfsp", "payeefsp", body
    )
    protected, signature = signature_parts(good)
    by_payee = python_signed(material, "POST", "/quotes", "payeefsp", "payeefsp", body)
    no_destination = python_signed(material, "POST", "/quotes", "payerfsp", None, body)
    expiring = jws.dumps({"quoteId": ID, "exp": 1})
    claims = python_signed(material, "POST", "/quotes", "payerfsp", "payeefsp", expiring)
    without = lambda name: {k: v for k, v in good.items() if k != name}  # noqa: E731
    forged = b64url('{"alg":"HS256","FSPIOP-URI":"/quotes"}')
    return {
        "untouched": (good, body),
        "same JSON, other spacing": (good, json.dumps(json.loads(body), indent=1).encode()),
        "body changed": (good, body.replace(b'"100"', b'"101"')),
        "body keys reordered": (good, jws.dumps({"amount": MONEY, "quoteId": ID})),
        "empty body": (good, b""),
        "body not an object": (good, b"100"),
        "FSPIOP-Source of the payee": ({**good, "fspiop-source": "payeefsp"}, body),
        "FSPIOP-Source unknown": ({**good, "fspiop-source": "nofsp"}, body),
        "FSPIOP-Source missing": (without("fspiop-source"), body),
        "FSPIOP-URI changed": ({**good, "fspiop-uri": f"/quotes/{ID}"}, body),
        "FSPIOP-HTTP-Method changed": ({**good, "fspiop-http-method": "PUT"}, body),
        "FSPIOP-HTTP-Method missing": (without("fspiop-http-method"), body),
        "signature missing": (without("fspiop-signature"), body),
        "signed with the payee's key": ({**by_payee, "fspiop-source": "payerfsp"}, body),
        "Date changed": ({**good, "date": "Thu, 02 Jan 2031 10:00:00 GMT"}, body),
        "Date missing": (without("date"), body),
        "FSPIOP-Destination changed": ({**good, "fspiop-destination": "pinkfsp"}, body),
        "FSPIOP-Destination missing": (without("fspiop-destination"), body),
        "FSPIOP-Destination added": ({**no_destination, "fspiop-destination": "payeefsp"}, body),
        "signature emptied": (with_signature(good, protected, ""), body),
        "signature of another request": (
            with_signature(good, signature_parts(by_payee)[0], signature),
            body,
        ),
        "protected header with a dot": (with_signature(good, protected + ".x", signature), body),
        "protected header not JSON": (with_signature(good, "abc", signature), body),
        "algorithm HS256": (with_signature(good, forged, signature), body),
        "signature header null": ({**good, "fspiop-signature": "null"}, body),
        "signature header not JSON": ({**good, "fspiop-signature": "{signature"}, body),
        "body with an expired exp": (claims, expiring),
    }


def test_both_validators_judge_every_tampering_alike(
    node: Node, material: pki.Pki, public_pems: dict[str, str]
) -> None:
    validator = jws.Validator(jws.load_public_keys(material, material.names))
    verdicts: dict[str, tuple[str, str]] = {}
    for name, (headers, body) in tamperings(material).items():
        theirs = node(
            {"op": "validate", "keys": public_pems, "headers": headers, "body": body.decode()}
        )
        try:
            validator.validate(method="POST", uri="/quotes", headers=headers, body=body)
            ours = "accepted"
        except jws.JwsError as error:
            ours = str(error)
        if theirs.get("name") == "SyntaxError" and "not valid JSON" in ours:
            theirs["error"] = ours  # V8's wording of a JSON.parse error is not reproduced
        verdicts[name] = (ours, "accepted" if theirs["ok"] else theirs["error"])
    assert {name: ours for name, (ours, theirs) in verdicts.items() if ours != theirs} == {}
    accepted = {name for name, (ours, _) in verdicts.items() if ours == "accepted"}
    assert accepted == {"untouched", "same JSON, other spacing"}
    assert verdicts["body changed"][0] == "invalid signature"
    assert verdicts["FSPIOP-URI changed"][0].startswith("FSPIOP-URI HTTP request header value:")
    assert verdicts["body with an expired exp"][0] == "jwt expired"


def test_a_refusal_is_answered_as_the_inbound_server_answers_it(node: Node) -> None:
    theirs = node({"op": "refusal"})
    assert (jws.REFUSAL_STATUS, jws.refusal_body()) == (theirs["status"], theirs["body"])


def test_signer_refusals_match(node: Node, material: pki.Pki) -> None:
    key = material.jws_private("payerfsp").read_text()
    signer = jws.Signer(key.encode())
    for uri, body in (("http://switch/quotes", ""), ("quotes", "{}")):
        theirs = node(
            {"op": "sign", "key": key, "method": "POST", "uri": uri, "headers": {}, "body": body}
        )
        with pytest.raises(jws.JwsError) as raised:
            signer.headers(method="POST", uri=uri, headers={}, body=body.encode())
        assert str(raised.value) == theirs["error"]


def test_es256_interoperates(node: Node) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,  # "BEGIN EC PRIVATE KEY": the SDK's cue
        serialization.NoEncryption(),
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    headers = base_headers("ecfsp", "payeefsp")
    body = jws.dumps({"transferId": ID})
    ours = headers | jws.Signer(pem).headers(
        method="POST", uri="/transfers", headers=headers, body=body
    )
    keys = {"ecfsp": public.decode()}
    assert node({"op": "validate", "keys": keys, "headers": ours, "body": body.decode()})["ok"]
    request = {"op": "sign", "key": pem.decode(), "method": "POST", "uri": "/transfers"}
    theirs = node({**request, "headers": headers, "body": body.decode()})
    jws.Validator({"ecfsp": public}).validate(
        method="POST", uri="/transfers", headers=theirs["headers"], body=body
    )


JSON_TEXTS = [
    '{"b":1,"a":2}',
    '{"10":1,"2":2,"x":3,"01":4,"4294967295":5,"4294967294":6}',
    '{"n":[1.0,1e21,1e20,1e-7,0.000001,-0,123456789012345678901,0.1,1.7976931348623157e308,1e400]}',
    '{"s":"\\u00e9\\u2028\\u0001\\ud83d\\ude00\\ud800\\"\\\\/\\b\\f\\n\\r\\t"}',
    '{"a":1,"a":2,"b":{"c":[true,false,null,{}],"d":[]}}',
    '  [ {"__proto__": 1} ]  ',
]


def test_the_payload_is_rebuilt_as_json_stringify_does(node: Node) -> None:
    for text in JSON_TEXTS:
        theirs = node({"op": "stringify", "text": text})
        assert jws.dumps(js_parse(text)).decode() == theirs["json"], text
