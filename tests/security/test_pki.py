"""The run's PKI: chain, names, usages, file modes, reuse and regeneration, and a real TLS handshake."""

from __future__ import annotations

import ipaddress
import json
import random
import shutil
import socket
import ssl
import stat
import subprocess
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from cryptography.x509.verification import PolicyBuilder, Store, VerificationError

from mojaloop_perf.errors import UserError
from mojaloop_perf.security import material as material_module
from mojaloop_perf.security import pki

DFSPS = ["payerfsp", "payeefsp", "pinkbank"]
HOSTS = ["switch.mojaloop-perf.test", "localhost", "10.0.0.5"]


def cert(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def sans(certificate: x509.Certificate) -> list[str]:
    names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return [str(name.value) for name in names]


def eku(certificate: x509.Certificate) -> list[x509.ObjectIdentifier]:
    return list(certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value)


def make(folder: Path, participants: list[str] = DFSPS, **options: object) -> pki.Pki:
    settings = {"hosts": HOSTS, "key_bits": 2048, "validity_days": 30, **options}
    return pki.generate(folder, participants, **settings)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def material(tmp_path_factory: pytest.TempPathFactory) -> pki.Pki:
    return make(
        tmp_path_factory.mktemp("pki") / "pki", participant_hosts={"pinkbank": ["pink.example"]}
    )


@pytest.fixture(scope="module")
def key_cache() -> dict[int, list[rsa.RSAPrivateKey]]:
    return {}


@pytest.fixture
def fast_keys(
    monkeypatch: pytest.MonkeyPatch, key_cache: dict[int, list[rsa.RSAPrivateKey]]
) -> None:
    """Distinct real keys within a set, drawn from a cache shared by the tests of file handling."""

    def keys(count: int, bits: int) -> list[rsa.RSAPrivateKey]:
        cached = key_cache.setdefault(bits, [])
        while len(cached) < count:
            cached.append(rsa.generate_private_key(public_exponent=65537, key_size=bits))
        return random.sample(cached, count)

    monkeypatch.setattr(material_module, "new_keys", keys)


@pytest.fixture(scope="module")
def other_ca(tmp_path_factory: pytest.TempPathFactory) -> pki.Pki:
    return make(tmp_path_factory.mktemp("other") / "pki", ["payerfsp"])


def test_the_ca_is_a_self_signed_ca_that_signs_only_leaves(material: pki.Pki) -> None:
    ca = cert(material.ca_cert())
    assert ca.subject == ca.issuer
    ca.verify_directly_issued_by(ca)
    constraints = ca.extensions.get_extension_for_class(x509.BasicConstraints)
    assert constraints.critical and constraints.value.ca and constraints.value.path_length == 0
    usage = ca.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.key_cert_sign and usage.crl_sign and not usage.digital_signature
    key = serialization.load_pem_private_key(material.ca_key().read_bytes(), password=None)
    assert key.public_key().public_numbers() == ca.public_key().public_numbers()  # type: ignore[union-attr]


def test_every_leaf_verifies_against_the_ca_for_its_names(material: pki.Pki) -> None:
    store = Store([cert(material.ca_cert())])
    now = datetime.now(UTC)
    policy = PolicyBuilder().store(store).time(now)
    for name in material.names:
        server = cert(material.server(name)[0])
        for host in sans(server):
            try:
                subject = x509.IPAddress(ipaddress.ip_address(host))
            except ValueError:
                subject = x509.DNSName(host)
            chain = policy.build_server_verifier(subject).verify(server, [])
            assert chain[-1] == store_ca(material)
        client = policy.build_client_verifier().verify(cert(material.client(name)[0]), [])
        assert client.subjects is not None and x509.DNSName(name) in client.subjects
    switch = cert(material.server(pki.HUB)[0])
    with pytest.raises(VerificationError):
        policy.build_server_verifier(x509.DNSName("payerfsp")).verify(switch, [])


def store_ca(material: pki.Pki) -> x509.Certificate:
    return cert(material.ca_cert())


def test_a_certificate_of_another_run_does_not_verify(material: pki.Pki, other_ca: pki.Pki) -> None:
    policy = PolicyBuilder().store(Store([cert(material.ca_cert())]))
    with pytest.raises(VerificationError):
        policy.build_client_verifier().verify(cert(other_ca.client("payerfsp")[0]), [])


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl is not installed")
def test_openssl_verifies_purpose_by_purpose(material: pki.Pki) -> None:
    def verify(purpose: str, path: Path) -> subprocess.CompletedProcess[str]:
        command = ["openssl", "verify", "-CAfile", str(material.ca_cert()), "-purpose", purpose]
        return subprocess.run([*command, str(path)], capture_output=True, text=True)

    assert verify("sslserver", material.server("payerfsp")[0]).returncode == 0
    assert verify("sslclient", material.client("payerfsp")[0]).returncode == 0
    assert verify("sslclient", material.server("payerfsp")[0]).returncode != 0
    assert verify("sslserver", material.client("payerfsp")[0]).returncode != 0


def test_server_names_usages_and_common_names(material: pki.Pki) -> None:
    assert sans(cert(material.server(pki.HUB)[0])) == HOSTS
    assert sans(cert(material.server("payerfsp")[0])) == ["localhost", "127.0.0.1", "payerfsp"]
    assert sans(cert(material.server("pinkbank")[0]))[-1] == "pink.example"
    switch_san = cert(material.server(pki.HUB)[0]).extensions.get_extension_for_class(
        x509.SubjectAlternativeName
    )
    assert switch_san.value.get_values_for_type(x509.IPAddress) == [
        ipaddress.ip_address("10.0.0.5")
    ]
    for name in material.names:
        server, client = cert(material.server(name)[0]), cert(material.client(name)[0])
        assert eku(server) == [ExtendedKeyUsageOID.SERVER_AUTH]
        assert eku(client) == [ExtendedKeyUsageOID.CLIENT_AUTH]
        common_name = client.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
        assert common_name == name
        for leaf in (server, client):
            constraints = leaf.extensions.get_extension_for_class(x509.BasicConstraints).value
            usage = leaf.extensions.get_extension_for_class(x509.KeyUsage).value
            assert not constraints.ca and usage.digital_signature and not usage.key_cert_sign
            assert leaf.not_valid_after_utc - datetime.now(UTC) > timedelta(days=29)


def test_keys_have_the_asked_size_and_match(material: pki.Pki) -> None:
    for name in material.names:
        for cert_path, key_path in (material.server(name), material.client(name)):
            key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
            assert isinstance(key, rsa.RSAPrivateKey) and key.key_size == 2048
            assert key.public_key() == cert(cert_path).public_key()
        private = serialization.load_pem_private_key(
            material.jws_private(name).read_bytes(), password=None
        )
        public = serialization.load_pem_public_key(material.jws_public(name).read_bytes())
        assert isinstance(public, rsa.RSAPublicKey) and public.key_size == 2048
        assert private.public_key() == public
    jws_keys = {material.jws_public(name).read_bytes() for name in material.names}
    assert len(jws_keys) == len(material.names)  # one pair per participant, none shared


def test_keys_are_0600_in_0700_folders(material: pki.Pki) -> None:
    folders = {material.directory, *(p.parent for p in material.files())}
    assert {oct(stat.S_IMODE(f.stat().st_mode)) for f in folders} == {"0o700"}
    for path in material.files():
        mode = stat.S_IMODE(path.stat().st_mode)
        if path.suffix == ".key":
            assert mode == 0o600, path
        else:
            assert mode & 0o022 == 0, path


def test_manifest_and_repr_hold_no_key_material(material: pki.Pki) -> None:
    manifest = json.loads(material.manifest().read_text())
    assert manifest["participants"] == DFSPS and manifest["key_bits"] == 2048
    assert manifest["hosts"] == HOSTS
    assert (
        datetime.fromisoformat(manifest["not_after"])
        == cert(material.ca_cert()).not_valid_after_utc
    )
    for text in (material.manifest().read_text(), repr(material), str(material)):
        assert "BEGIN" not in text and "PRIVATE" not in text


def test_plan_names_each_file_writes_nothing_and_shows_no_key(tmp_path: Path) -> None:
    folder = tmp_path / "pki"
    lines = pki.plan(folder, DFSPS, hosts=HOSTS, key_bits=3072, validity_days=7)
    assert not folder.exists()
    assert len(lines) == 1 + 3 * (len(DFSPS) + 1) + 1
    assert all(line.startswith("write ") for line in lines)
    text = "\n".join(lines)
    for expected in ("ca.crt", "switch/server.crt", "payerfsp/client.crt", "jws/pinkbank.key"):
        assert f"{folder}/{expected}" in text
    assert (
        "SAN switch.mojaloop-perf.test, localhost, 10.0.0.5" in text and "RSA 3072, 7 days" in text
    )
    assert "BEGIN" not in text


def test_plan_says_keep_when_generate_would_reuse(material: pki.Pki) -> None:
    options = {"hosts": HOSTS, "key_bits": 2048, "validity_days": 30}
    extra = {"participant_hosts": {"pinkbank": ["pink.example"]}}
    kept = pki.plan(material.directory, DFSPS, **options, **extra)  # type: ignore[arg-type]
    assert all(line.startswith("keep ") for line in kept)
    changed = pki.plan(material.directory, DFSPS, **options)  # type: ignore[arg-type]
    assert all(line.startswith("write ") for line in changed)


@pytest.mark.usefixtures("fast_keys")
def test_generate_reuses_matching_material(tmp_path: Path) -> None:
    first = make(tmp_path / "pki", ["payerfsp"])
    before = {p: p.read_bytes() for p in first.files()}
    again = make(tmp_path / "pki", ["payerfsp"], validity_days=20)  # validity alone: still fits
    assert again == first
    assert {p: p.read_bytes() for p in again.files()} == before


@pytest.mark.usefixtures("fast_keys")
@pytest.mark.parametrize(
    ("change", "expected_names"),
    [
        ({"participants": ["payerfsp", "payeefsp"]}, {"payerfsp", "payeefsp", "switch"}),
        ({"participants": ["payeefsp"]}, {"payeefsp", "switch"}),
        ({"hosts": ["localhost"]}, {"payerfsp", "switch"}),
        ({"key_bits": 3072}, {"payerfsp", "switch"}),
    ],
)
def test_generate_regenerates_when_the_material_no_longer_fits(
    tmp_path: Path, change: dict, expected_names: set[str]
) -> None:
    settled = make(tmp_path / "pki", ["payerfsp"]).ca_cert().read_bytes()
    participants = change.pop("participants", ["payerfsp"])
    fresh = make(tmp_path / "pki", participants, **change)
    assert fresh.ca_cert().read_bytes() != settled
    folders = {p.name for p in fresh.directory.iterdir() if p.is_dir()} - {"jws"}
    assert folders == expected_names
    assert [p.name for p in tmp_path.iterdir()] == ["pki"]  # no staging or retired folder left


@pytest.mark.usefixtures("fast_keys")
def test_material_with_a_day_or_less_left_is_renewed(tmp_path: Path) -> None:
    short = make(tmp_path / "pki", ["payerfsp"], validity_days=1)
    old_ca = short.ca_cert().read_bytes()
    renewed = make(tmp_path / "pki", ["payerfsp"], validity_days=1)
    assert renewed.ca_cert().read_bytes() != old_ca
    assert cert(renewed.ca_cert()).not_valid_after_utc - datetime.now(UTC) <= timedelta(days=1)


@pytest.mark.usefixtures("fast_keys")
def test_an_interrupted_run_leaves_the_old_material_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = make(tmp_path / "pki", ["payerfsp"])
    before = {p: p.read_bytes() for p in first.files()}
    calls = 0
    original = material_module.leaf_certificate

    def failing_leaf(*args: object, **kwargs: object) -> x509.Certificate:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise KeyboardInterrupt
        return original(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(material_module, "leaf_certificate", failing_leaf)
    with pytest.raises(KeyboardInterrupt):
        make(tmp_path / "pki", ["payerfsp", "payeefsp"])
    assert {p: p.read_bytes() for p in first.files()} == before
    assert [p.name for p in tmp_path.iterdir()] == ["pki"]
    calls = 0
    with pytest.raises(KeyboardInterrupt):
        make(tmp_path / "fresh", ["payerfsp"])
    assert not (tmp_path / "fresh").exists()


@pytest.mark.parametrize(
    ("participants", "options", "message"),
    [
        (["switch"], {}, "participant name 'switch' is reserved"),
        (["jws"], {}, "participant name 'jws' is reserved"),
        (["../etc"], {}, "participant '../etc' cannot name certificate files"),
        (["payerfsp", "payerfsp"], {}, "participants repeat a name"),
        (["payerfsp"], {"key_bits": 1024}, "key_bits 1024 is not one of 2048, 3072, 4096"),
        (["payerfsp"], {"validity_days": 0}, "validity_days 0 is outside 1–825"),
        (
            ["payerfsp"],
            {"hosts": ["bad host"]},
            "host 'bad host' is neither an IP address nor a DNS name",
        ),
        (["payerfsp"], {"hosts": []}, "hosts is empty"),
        (["payerfsp"], {"participant_hosts": {"nofsp": ["x"]}}, "unknown participants: nofsp"),
    ],
)
def test_bad_input_is_one_line_naming_it(
    tmp_path: Path, participants: list[str], options: dict, message: str
) -> None:
    with pytest.raises(UserError, match=message) as raised:
        make(tmp_path / "pki", participants, **options)
    assert "\n" not in str(raised.value)
    assert not (tmp_path / "pki").exists()


def test_open_reads_the_manifest_and_refuses_unknown_names(
    material: pki.Pki, tmp_path: Path
) -> None:
    opened = pki.Pki.open(material.directory)
    assert opened == material
    with pytest.raises(UserError, match="no PKI material for 'nofsp'"):
        opened.client("nofsp")
    with pytest.raises(UserError, match="no PKI material here"):
        pki.Pki.open(tmp_path)


# --- a real handshake with Python's ssl module ----------------------------------------------


def serve_once(context: ssl.SSLContext) -> tuple[int, threading.Thread, dict]:
    """A TLS server on 127.0.0.1 that accepts one connection and records what happened."""
    listener = socket.create_server(("127.0.0.1", 0))
    outcome: dict = {}

    def run() -> None:
        with listener:
            conn, _ = listener.accept()
            try:
                with context.wrap_socket(conn, server_side=True) as tls:
                    outcome["peer"] = tls.getpeercert()
                    tls.sendall(b"hello")
            except (ssl.SSLError, OSError) as error:
                outcome["error"] = error

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return listener.getsockname()[1], thread, outcome


def server_context(material: pki.Pki) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*map(str, material.server("payerfsp")))
    context.load_verify_locations(cafile=str(material.ca_cert()))
    context.verify_mode = ssl.CERT_REQUIRED
    return context


def connect(port: int, context: ssl.SSLContext) -> bytes:
    with (
        socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname="localhost") as tls,
    ):
        return tls.recv(5)


def client_context(ca: pki.Pki, identity: tuple[Path, Path] | None) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=str(ca.ca_cert()))
    if identity:
        context.load_cert_chain(*map(str, identity))
    return context


def test_mutual_tls_accepts_the_client_certificate(material: pki.Pki) -> None:
    port, thread, outcome = serve_once(server_context(material))
    assert connect(port, client_context(material, material.client(pki.HUB))) == b"hello"
    thread.join(10)
    subject = dict(item[0] for item in outcome["peer"]["subject"])
    assert subject["commonName"] == pki.HUB


@pytest.mark.parametrize("identity", ["none", "other run"])
def test_mutual_tls_refuses_a_client_without_a_valid_certificate(
    material: pki.Pki, other_ca: pki.Pki, identity: str
) -> None:
    port, thread, outcome = serve_once(server_context(material))
    chain = other_ca.client("payerfsp") if identity == "other run" else None
    with pytest.raises((ssl.SSLError, ConnectionResetError, BrokenPipeError)):
        answer = connect(port, client_context(material, chain))
        if not answer:  # TLS 1.3: the refusal may arrive as a closed stream at the first read
            raise ConnectionResetError("closed")
    thread.join(10)
    assert isinstance(outcome.get("error"), ssl.SSLError)
    assert "peer" not in outcome
