"""No secret or generated state is ever committed, and .gitignore covers where they are written.

Besides tracked files, untracked files git would offer to add (not ignored) are checked: a key
lying in the work tree is one `git add -A` away from a commit.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from mojaloop_perf.security import pki
from tests.conftest import REPO

SECRET_LIKE = re.compile(
    r"(\.tfstate(\.backup)?$|\.tfplan$|(^|/)tfplan$|\.(pem|key|crt|cer|der|csr|p12|pfx|jwk|jks)$"
    r"|(^|/)\.env$|(^|/)id_(rsa|ed25519|ecdsa)|(^|/)pki/"
    r"|(^|/)kubeconfig[^/]*$|(^|/)\.terraform/|(^|/)\.workspace/|(^|/)\.venv/|(^|/)\.nox/|runtime\.auto\.tfvars\.json$)"
)
# PEM blocks of private keys (PKCS#8, RSA, EC, OpenSSH, encrypted) and of certificates; POSIX ERE
# for git grep, the same text for Python's re.
PEM_SECRET = r"-----BEGIN ([A-Z0-9]+ )*(PRIVATE KEY|CERTIFICATE)-----"


def git(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)


def candidates(repo: Path) -> list[str] | None:
    """Tracked files and untracked ones that are not ignored; None outside a git work tree."""
    listed = git("ls-files", "--cached", "--others", "--exclude-standard", cwd=repo)
    return None if listed.returncode != 0 else sorted(set(listed.stdout.splitlines()))


def files_with_pem(repo: Path) -> list[str]:
    """Tracked or addable files holding a private key or a certificate in PEM form."""
    found = git("grep", "--untracked", "-l", "-I", "-E", "-e", PEM_SECRET, cwd=repo)
    if found.returncode not in (0, 1):
        raise RuntimeError(f"git grep failed: {found.stderr.strip()}")
    return found.stdout.split()


@pytest.fixture(scope="module")
def tracked() -> list[str]:
    listed = candidates(REPO)
    if listed is None:
        pytest.skip("not a git work tree")
    return listed


def test_no_tracked_file_looks_like_a_secret_or_state(tracked: list[str]) -> None:
    assert [path for path in tracked if SECRET_LIKE.search(path)] == []


def test_no_tracked_file_holds_a_private_key_or_certificate(tracked: list[str]) -> None:
    assert files_with_pem(REPO) == []


@pytest.fixture(scope="module")
def material(tmp_path_factory: pytest.TempPathFactory) -> pki.Pki:
    """What the run's PKI writes: every file type this hygiene must keep out of git."""
    folder = tmp_path_factory.mktemp("hygiene") / "pki"
    return pki.generate(folder, ["payerfsp"], hosts=["localhost"], validity_days=2)


def test_the_checks_catch_what_the_pki_writes(material: pki.Pki, tmp_path: Path) -> None:
    """A scratch repository holding the PKI's files, renamed and in the open: both checks fail."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path / "repo"
    repo.mkdir()
    assert git("init", "-q", cwd=repo).returncode == 0
    copies = {
        "ca.crt": material.ca_cert(),
        "notes/server.txt": material.server("payerfsp")[1],
        "notes/cert.txt": material.client("payerfsp")[0],
        "jws-payerfsp.key": material.jws_private("payerfsp"),
    }
    for name, source in copies.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, repo / name)
    assert sorted(files_with_pem(repo)) == sorted(copies)
    listed = candidates(repo)
    assert listed is not None
    assert [p for p in listed if SECRET_LIKE.search(p)] == ["ca.crt", "jws-payerfsp.key"]


def test_gitignore_covers_every_file_the_pki_writes(material: pki.Pki) -> None:
    written = [p.relative_to(material.directory).as_posix() for p in material.files()]
    assert "jws/payerfsp.pub" in written and "manifest.json" in written
    for relative in written:
        for path in (f".workspace/local/pki/{relative}", f"pki/{relative}"):
            assert git("check-ignore", "-q", "--no-index", path).returncode == 0, path
    for path in material.files():
        text = path.read_text()
        holds_key_or_cert = path.suffix in (".key", ".crt")
        assert bool(re.search(PEM_SECRET, text)) == holds_key_or_cert, path.name


@pytest.mark.parametrize(
    "path",
    [
        ".workspace/1000tps/aws/terraform/terraform.tfstate",
        ".workspace/1000tps/aws/terraform/tfplan",
        ".workspace/1000tps/aws/terraform/runtime.auto.tfvars.json",
        ".workspace/1000tps/aws/kubeconfigs/kubeconfig-switch.yaml",
        ".workspace/1000tps/aws/ssh_config",
        ".workspace/500tps-mtls-mesh/aws/pki/ca.key",
        "infrastructure/provisioning/terraform/terraform.tfstate",
        "infrastructure/provisioning/terraform/.terraform/providers/x",
        "kubeconfig-switch.yaml",
        "id_ed25519",
        ".env",
        "certs/server.pem",
        "certs/ca.crt",
        "certs/switch.cer",
        "certs/switch.der",
        "certs/payerfsp.csr",
        "tls/client.p12",
        "tls/client.pfx",
        "tls/truststore.jks",
        "jws/private.key",
        "jws/payerfsp.jwk",
        "performance-tests/results/500tps-mtls-mesh/pki/jws/payerfsp.pub",
        "pki/manifest.json",
        "performance-tests/results/local/runs/20260101T000000Z/summary.json",
    ],
)
def test_gitignore_covers_secrets_and_state(path: str) -> None:
    assert git("check-ignore", "-q", "--no-index", path).returncode == 0, f"{path} is not ignored"
