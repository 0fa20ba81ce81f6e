"""Per-run keys and certificates: a CA, TLS server and client certificates, JWS key pairs.

Generated with the `cryptography` package into a git-ignored state folder:

    manifest.json              what the material was made for (names, hosts, key size, expiry;
                               never key bytes): it decides whether a later run reuses it
    ca.crt, ca.key             self-signed CA (CA:true, pathlen 0)
    <name>/server.crt|.key     serverAuth; SANs: `hosts` for the hub, localhost, 127.0.0.1 and
                               the fsp id (plus any `participant_hosts`) for a DFSP
    <name>/client.crt|.key     clientAuth; CN = name
    jws/<name>.key|.pub        RSA pair signing the FSPIOP requests <name> sends (PEM PKCS#8 and
                               SubjectPublicKeyInfo)

<name> is each DFSP's fsp id and HUB. Keys are 0600 in 0700 folders. A new set is written to a
temporary sibling folder and swapped in whole, so an interrupted run leaves either the old set or
none, never half of one.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID

from mojaloop_perf.errors import UserError
from mojaloop_perf.security import material

HUB = "switch"
MANIFEST = "manifest.json"
KEY_BITS = (2048, 3072, 4096)
MIN_REMAINING = timedelta(days=1)
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}\Z")
_RESERVED = {HUB, "jws"}
_DFSP_HOSTS = ("localhost", "127.0.0.1")


@dataclass(frozen=True)
class Pki:
    """Where one run's material is; paths only, so its repr never shows key bytes."""

    directory: Path
    participants: tuple[str, ...] = ()  # the DFSP fsp ids; HUB is always there too

    @classmethod
    def open(cls, directory: Path) -> Pki:
        """The material generate() wrote to `directory` (read from its manifest)."""
        manifest = _read_manifest(Path(directory))
        if manifest is None:
            raise UserError(
                f"{Path(directory) / MANIFEST}: no PKI material here (generate it first)"
            )
        return cls(Path(directory), tuple(manifest["participants"]))

    @property
    def names(self) -> tuple[str, ...]:
        return (*self.participants, HUB)

    def ca_cert(self) -> Path:
        return self.directory / "ca.crt"

    def ca_key(self) -> Path:
        return self.directory / "ca.key"

    def server(self, name: str) -> tuple[Path, Path]:
        folder = self._folder(name)
        return folder / "server.crt", folder / "server.key"

    def client(self, name: str) -> tuple[Path, Path]:
        folder = self._folder(name)
        return folder / "client.crt", folder / "client.key"

    def jws_private(self, name: str) -> Path:
        return self._folder(name).with_name("jws") / f"{name}.key"

    def jws_public(self, name: str) -> Path:
        return self._folder(name).with_name("jws") / f"{name}.pub"

    def manifest(self) -> Path:
        return self.directory / MANIFEST

    def files(self) -> list[Path]:
        """Every file generate() writes, manifest last."""
        found = [self.ca_cert(), self.ca_key()]
        for name in self.names:
            found += [*self.server(name), *self.client(name)]
            found += [self.jws_private(name), self.jws_public(name)]
        return [*found, self.manifest()]

    def _folder(self, name: str) -> Path:
        if self.participants and name not in self.names:
            raise UserError(
                f"no PKI material for {name!r} in {self.directory} (it has {', '.join(self.names)})"
            )
        return self.directory / name


@dataclass(frozen=True)
class _Spec:
    """What a set of material is made for; equal specs mean reusable material."""

    participants: tuple[str, ...]
    hosts: tuple[str, ...]
    participant_hosts: dict[str, tuple[str, ...]]
    key_bits: int
    validity_days: int

    def server_hosts(self, name: str) -> tuple[str, ...]:
        if name == HUB:
            return self.hosts
        return _unique((*_DFSP_HOSTS, name, *self.participant_hosts.get(name, ())))

    def describes(self, manifest: Mapping) -> bool:
        return (
            manifest.get("participants") == list(self.participants)
            and manifest.get("hosts") == list(self.hosts)
            and manifest.get("participant_hosts")
            == {name: list(hosts) for name, hosts in self.participant_hosts.items()}
            and manifest.get("key_bits") == self.key_bits
        )


def plan(
    directory: Path,
    participants: Sequence[str],
    *,
    hosts: Sequence[str],
    key_bits: int,
    validity_days: int,
    participant_hosts: Mapping[str, Sequence[str]] | None = None,
) -> list[str]:
    """One line per file pair generate() would write (or keep, when it would reuse); no key bytes."""
    spec = _spec(participants, hosts, key_bits, validity_days, participant_hosts)
    pki = Pki(Path(directory), spec.participants)
    verb = "keep" if _reusable(pki, spec) else "write"
    size = f"RSA {key_bits}"
    lines = [
        f"{verb} CA certificate and key ({size}, {validity_days} days) -> {pki.ca_cert()}, ca.key"
    ]
    for name in pki.names:
        cert, _ = pki.server(name)
        sans = ", ".join(spec.server_hosts(name))
        lines.append(f"{verb} {name} server certificate and key (SAN {sans}) -> {cert}, server.key")
        cert, _ = pki.client(name)
        lines.append(f"{verb} {name} client certificate and key (CN {name}) -> {cert}, client.key")
        lines.append(f"{verb} {name} JWS key pair ({size}) -> {pki.jws_private(name)}, {name}.pub")
    lines.append(f"{verb} manifest (names, hosts, key size, expiry) -> {pki.manifest()}")
    return lines


def generate(
    directory: Path,
    participants: Sequence[str],
    *,
    hosts: Sequence[str],
    key_bits: int = 2048,
    validity_days: int = 30,
    participant_hosts: Mapping[str, Sequence[str]] | None = None,
) -> Pki:
    """Material for `participants` and HUB in `directory`, reused when it still fits."""
    spec = _spec(participants, hosts, key_bits, validity_days, participant_hosts)
    directory = Path(directory)
    pki = Pki(directory, spec.participants)
    if _reusable(pki, spec):
        return pki
    directory.parent.mkdir(parents=True, exist_ok=True)
    _remove_leftovers(directory)
    staging = Path(tempfile.mkdtemp(dir=directory.parent, prefix=f".{directory.name}.tmp-"))
    try:
        _write(Pki(staging, spec.participants), spec)
        _swap_in(staging, directory)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return pki


def _spec(
    participants: Sequence[str],
    hosts: Sequence[str],
    key_bits: int,
    validity_days: int,
    participant_hosts: Mapping[str, Sequence[str]] | None,
) -> _Spec:
    if isinstance(participants, str) or isinstance(hosts, str):
        raise UserError("pki: participants and hosts are lists of names, not one string")
    names = tuple(participants)
    for name in names:
        if not _NAME.match(name):
            raise UserError(
                f"pki: participant {name!r} cannot name certificate files (letters, digits, '.', '_', '-'; at most 64)"
            )
        if name in _RESERVED:
            raise UserError(f"pki: participant name {name!r} is reserved (the hub is {HUB!r})")
    if len(set(names)) != len(names):
        raise UserError(f"pki: participants repeat a name: {', '.join(names)}")
    if key_bits not in KEY_BITS:
        raise UserError(f"pki: key_bits {key_bits} is not one of {', '.join(map(str, KEY_BITS))}")
    if not 1 <= validity_days <= 825:
        raise UserError(f"pki: validity_days {validity_days} is outside 1–825")
    extra = dict(participant_hosts or {})
    unknown = sorted(set(extra) - set(names))
    if unknown:
        raise UserError(f"pki: participant_hosts names unknown participants: {', '.join(unknown)}")
    all_hosts = [*hosts, *(h for values in extra.values() for h in values)]
    for host in all_hosts:
        material.general_name(host)
    if not hosts:
        raise UserError("pki: hosts is empty (the switch's server certificate needs a name)")
    return _Spec(
        participants=names,
        hosts=_unique(hosts),
        participant_hosts={name: _unique(extra[name]) for name in names if extra.get(name)},
        key_bits=key_bits,
        validity_days=validity_days,
    )


def _unique(values: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))


def _read_manifest(directory: Path) -> dict | None:
    try:
        data = json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _reusable(pki: Pki, spec: _Spec) -> bool:
    manifest = _read_manifest(pki.directory)
    if manifest is None or not spec.describes(manifest):
        return False
    try:
        not_after = datetime.fromisoformat(manifest["not_after"])
    except (KeyError, TypeError, ValueError):
        return False
    if not_after - datetime.now(UTC) <= MIN_REMAINING:
        return False
    return all(path.is_file() for path in pki.files())


def _remove_leftovers(directory: Path) -> None:
    """Staging and retired folders an interrupted run left beside `directory`."""
    for prefix in (f".{directory.name}.tmp-", f".{directory.name}.old-"):
        for stale in directory.parent.glob(f"{prefix}*"):
            shutil.rmtree(stale, ignore_errors=True)


def _swap_in(staging: Path, directory: Path) -> None:
    if directory.exists() or directory.is_symlink():
        retired = directory.parent / f".{directory.name}.old-{uuid.uuid4().hex[:8]}"
        os.rename(directory, retired)
        os.rename(staging, directory)
        shutil.rmtree(retired, ignore_errors=True)
    else:
        os.rename(staging, directory)


def _put(path: Path, content: bytes, *, secret: bool) -> None:
    path.parent.mkdir(mode=0o700, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600 if secret else 0o644)
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())


def _write(pki: Pki, spec: _Spec) -> None:
    """Every file of `pki` into its (empty, 0700) folder."""
    names = pki.names
    keys = iter(material.new_keys(1 + 3 * len(names), spec.key_bits))
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)  # clock skew
    end = start + timedelta(minutes=5) + timedelta(days=spec.validity_days)
    ca_key = next(keys)
    ca = material.ca_certificate(ca_key, start, end)
    _put(pki.ca_cert(), material.cert_pem(ca), secret=False)
    _put(pki.ca_key(), material.private_pem(ca_key), secret=True)
    for name in names:
        for (cert_path, key_path), hosts, usage in (
            (pki.server(name), spec.server_hosts(name), ExtendedKeyUsageOID.SERVER_AUTH),
            (pki.client(name), (name,), ExtendedKeyUsageOID.CLIENT_AUTH),
        ):
            key = next(keys)
            cert = material.leaf_certificate(ca, ca_key, key, name=name, hosts=hosts, usage=usage)
            _put(cert_path, material.cert_pem(cert), secret=False)
            _put(key_path, material.private_pem(key), secret=True)
        jws_key = next(keys)
        _put(pki.jws_private(name), material.private_pem(jws_key), secret=True)
        public = jws_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        _put(pki.jws_public(name), public, secret=False)
    manifest = {
        "participants": list(spec.participants),
        "hub": HUB,
        "hosts": list(spec.hosts),
        "participant_hosts": {name: list(h) for name, h in spec.participant_hosts.items()},
        "key_bits": spec.key_bits,
        "validity_days": spec.validity_days,
        "not_before": start.isoformat(),
        "not_after": ca.not_valid_after_utc.isoformat(),
    }
    _put(pki.manifest(), (json.dumps(manifest, indent=2) + "\n").encode(), secret=False)
