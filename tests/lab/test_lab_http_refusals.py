"""What the networked lab refuses, and how: as ingress-nginx, the SDK's inbound server and the
switch services refuse it (docs/local-lab.md, "Refusals").

- the switch's edge in mutual TLS: no client certificate → HTTP 400 with nginx's page; one from
  another CA → the handshake fails (nginx would answer 400 after it); a DFSP's own passes;
- a DFSP's inbound API in mutual TLS end to end: no or an untrusted client certificate → the TLS
  handshake fails, no HTTP answer at all;
- JWS: a missing, tampered or wrongly keyed FSPIOP-Signature → 400 ``3105 Invalid signature`` at
  the receiving DFSP, which the switch relays to the payer as an error callback (quotes) or
  leaves unanswered (callbacks: the payer's SDK times out).
"""

from __future__ import annotations

import asyncio
import json
import shutil
import ssl
import uuid
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from mojaloop_perf.lab.errors import NoCallback, RemoteError
from mojaloop_perf.lab.net.hub import _undelivered
from mojaloop_perf.lab.net.wire import headers
from mojaloop_perf.lab.posture import LabJws, LabSecurity
from mojaloop_perf.security import jws, pki

PAYER, PAYEE = "fsp201", "fsp202"
INVALID_SIGNATURE = {
    "errorInformation": {"errorCode": "3105", "errorDescription": "Invalid signature"}
}


@pytest.fixture(scope="session")
def rogue_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same names, certified by another CA: nothing in it is trusted by the lab."""
    directory = tmp_path_factory.mktemp("rogue-pki") / "pki"
    pki.generate(directory, [PAYER, PAYEE, "fsp203"], hosts=["127.0.0.1", "localhost"])
    return directory


def client_ssl(ca_from: Path, cert_from: Path | None, name: str) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(pki.Pki(ca_from).ca_cert()))
    if cert_from is not None:
        cert, key = pki.Pki(cert_from).client(name)
        context.load_cert_chain(str(cert), str(key))
    return context


async def send(
    url: str, context: ssl.SSLContext | None, method: str, extra: dict[str, str], body: bytes
) -> tuple[int, str]:
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, url, data=body, headers=extra, ssl=context) as resp,
    ):
        return resp.status, await resp.text()


def quote_put(source: str, destination: str) -> tuple[str, dict[str, str], bytes]:
    path = f"/quotes/{uuid.uuid4()}"
    return path, headers("quotes", source, destination), json.dumps({"any": "thing"}).encode()


def test_the_switch_edge_refuses_as_ingress_nginx(
    lab_env: Any, pki_dir: Path, rogue_dir: Path
) -> None:
    security = LabSecurity("mutual", "edge", LabJws(), pki_dir)

    async def scenario() -> None:
        async with lab_env(hops="http", security=security) as client:
            base = f"https://127.0.0.1:{client.running.switch_port}"
            path, found, body = quote_put(PAYEE, PAYER)
            cases = {
                "none": client_ssl(pki_dir, None, PAYER),
                "own": client_ssl(pki_dir, pki_dir, PAYER),
            }
            answers = {
                case: await send(base + path, context, "PUT", found, body)
                for case, context in cases.items()
            }
            # Untrusted: refused in the handshake (nginx would answer 400 after it; see tls.py).
            with pytest.raises(aiohttp.ClientError):
                await send(base + path, client_ssl(pki_dir, rogue_dir, PAYER), "PUT", found, body)
        status, page = answers["none"]
        assert status == 400
        assert "<title>400 No required SSL certificate was sent</title>" in page
        assert "<center>No required SSL certificate was sent</center>" in page
        assert answers["own"][0] == 200  # the switch took the callback

    asyncio.run(scenario())


def test_a_dfsp_inbound_api_refuses_the_handshake_end_to_end(
    lab_env: Any, pki_dir: Path, rogue_dir: Path
) -> None:
    security = LabSecurity("mutual", "end_to_end", LabJws(), pki_dir)

    async def scenario() -> None:
        async with lab_env(hops="http", security=security) as client:
            base = f"https://127.0.0.1:{client.running.inbound_ports[PAYER]}"
            path, found, body = quote_put("switch", PAYER)
            for cert_from in (None, rogue_dir):
                with pytest.raises(aiohttp.ClientError):
                    await send(
                        base + path, client_ssl(pki_dir, cert_from, "switch"), "PUT", found, body
                    )
            status, _ = await send(
                base + path, client_ssl(pki_dir, pki_dir, "switch"), "PUT", found, body
            )
            assert status == 200
            with pytest.raises(aiohttp.ClientError):  # and no plain HTTP beside it
                await send(base.replace("https", "http") + path, None, "PUT", found, body)

    asyncio.run(scenario())


def test_a_dfsp_inbound_api_refuses_bad_signatures_as_the_sdk(lab_env: Any, pki_dir: Path) -> None:
    """Signed by the payer: passes; tampered, unsigned or signed by someone else: 400 3105."""
    security = LabSecurity("none", "edge", LabJws(sign=True, validate=True), pki_dir)
    material = pki.Pki(pki_dir)
    payer, payee = jws.load_signer(material, PAYER), jws.load_signer(material, PAYEE)

    def signed(signer: jws.Signer, body: bytes, source: str = PAYER) -> dict[str, str]:
        found = headers("quotes", source, PAYEE, request=True)
        found.update(signer.headers(method="POST", uri="/quotes", headers=found, body=body))
        return found

    async def scenario() -> dict[str, tuple[int, str]]:
        async with lab_env(hops="http", security=security) as client:
            url = f"http://127.0.0.1:{client.running.inbound_ports[PAYEE]}/quotes"
            body = jws.dumps({"quoteId": str(uuid.uuid4()), "transactionId": str(uuid.uuid4())})
            tampered = body.replace(b'"quoteId":"', b'"quoteId":"0')
            cases = {
                "signed": (signed(payer, body), body),
                "tampered": (signed(payer, body), tampered),
                "unsigned": (headers("quotes", PAYER, PAYEE, request=True), body),
                "wrong key": (signed(payee, body), body),
            }
            return {
                case: await send(url, None, "POST", found, data)
                for case, (found, data) in cases.items()
            }

    answers = asyncio.run(scenario())
    assert answers.pop("signed")[0] == 202
    for case, (status, text) in answers.items():
        assert (status, json.loads(text)) == (400, INVALID_SIGNATURE), case


def test_validating_without_signing_refuses_every_request_with_a_body(
    lab_env: Any, pki_dir: Path, make_quote_request: Any
) -> None:
    """Nobody signs, everybody validates: the payee refuses the quote request and the payer
    refuses the hub's error callback (unsigned too), so the quote times out; discovery (GET and,
    without put_parties, PUT /parties) is not validated and works. (The scenario checks refuse
    this posture for that reason.)"""
    security = LabSecurity("none", "edge", LabJws(sign=False, validate=True), pki_dir)

    async def scenario() -> tuple[Any, Any, dict[str, Any]]:
        async with lab_env(hops="http", security=security, timeout_s=0.5) as client:
            party = await client.outbound(PAYER, "GET", "/parties/MSISDN/25620200005")
            quote = await client.outbound(PAYER, "POST", "/quotes", make_quote_request())
            return party, quote, await client.ledger()

    party, (status, body), ledger = asyncio.run(scenario())
    assert party[0] == 200
    assert (status, body["message"]) == (500, "Timeout")
    assert ledger["quote"]["outcomes"] == {"timeout": 1}


def test_a_payer_keyed_wrongly_gets_its_quotes_refused(
    lab_env: Any, pki_dir: Path, tmp_path: Path, make_quote_request: Any
) -> None:
    """The payee holds another public key for the payer than the one it signs with: it refuses
    the quote request (400 3105) and the quoting service relays that to the payer as an error
    callback from the hub, signed with the hub's key (central-services-shared sendRequest)."""
    wrong = tmp_path / "pki"
    shutil.copytree(pki_dir, wrong)
    material = pki.Pki(wrong)
    material.jws_public(PAYER).write_bytes(material.jws_public("fsp203").read_bytes())
    security = LabSecurity("mutual", "end_to_end", LabJws(True, True, True), wrong)

    async def scenario() -> tuple[int, Any]:
        async with lab_env(hops="http", security=security) as client:
            return await client.outbound(PAYER, "POST", "/quotes", make_quote_request())

    status, body = asyncio.run(scenario())
    assert (status, body["quotes"]) == (200, INVALID_SIGNATURE)


def test_an_unsigned_put_parties_is_refused_and_the_payer_times_out(
    lab_env: Any, pki_dir: Path
) -> None:
    """With put_parties, the payer validates the payee's PUT /parties; unsigned, it refuses it:
    no callback reaches the payer's outbound request."""
    security = LabSecurity(
        "none", "edge", LabJws(sign=False, validate=True, put_parties=True), pki_dir
    )

    async def scenario() -> tuple[int, Any]:
        async with lab_env(hops="http", security=security, timeout_s=0.5) as client:
            return await client.outbound(PAYER, "GET", "/parties/MSISDN/25620200005")

    status, body = asyncio.run(scenario())
    assert (status, body["message"]) == (500, "Timeout")


def test_a_payee_that_does_not_take_a_request_is_handled_per_service() -> None:
    """Parties and quotes: an error callback with the payee's errorInformation, or 1001 when
    nothing answered; transfers: none (ml-api-adapter rethrows), so the payer times out."""
    refusal = json.dumps(INVALID_SIGNATURE).encode()
    quote = _undelivered("quote", 400, refusal)
    assert isinstance(quote, RemoteError) and quote.information() == INVALID_SIGNATURE
    party = _undelivered("discovery", 0, b"")
    assert party.information() == {  # type: ignore[attr-defined]
        "errorInformation": {
            "errorCode": "1001",
            "errorDescription": "Destination communication error - Failed to send HTTP request to host",
        }
    }
    assert isinstance(_undelivered("transfer", 400, refusal), NoCallback)
