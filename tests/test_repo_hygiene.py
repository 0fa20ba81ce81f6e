"""No secret or generated state is ever committed, and .gitignore covers where they are written."""

from __future__ import annotations

import re
import subprocess

import pytest

from tests.conftest import REPO

SECRET_LIKE = re.compile(
    r"(\.tfstate(\.backup)?$|\.tfplan$|(^|/)tfplan$|\.pem$|\.key$|(^|/)\.env$|(^|/)id_(rsa|ed25519|ecdsa)"
    r"|(^|/)kubeconfig[^/]*$|(^|/)\.terraform/|(^|/)\.workspace/|(^|/)\.venv/|(^|/)\.nox/|runtime\.auto\.tfvars\.json$)"
)


def git(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True)


@pytest.fixture(scope="module")
def tracked() -> list[str]:
    listed = git("ls-files")
    if listed.returncode != 0:
        pytest.skip("not a git work tree")
    return listed.stdout.splitlines()


def test_no_tracked_file_looks_like_a_secret_or_state(tracked: list[str]) -> None:
    assert [path for path in tracked if SECRET_LIKE.search(path)] == []


def test_no_tracked_file_holds_a_private_key(tracked: list[str]) -> None:
    found = git("grep", "-l", "-E", "-e", r"-----BEGIN ([A-Z]+ )?PRIVATE KEY-----")
    assert found.stdout.split() == []


@pytest.mark.parametrize(
    "path",
    [
        ".workspace/1000tps/aws/terraform/terraform.tfstate",
        ".workspace/1000tps/aws/terraform/tfplan",
        ".workspace/1000tps/aws/terraform/runtime.auto.tfvars.json",
        ".workspace/1000tps/aws/kubeconfigs/kubeconfig-switch.yaml",
        ".workspace/1000tps/aws/ssh_config",
        "infrastructure/provisioning/terraform/terraform.tfstate",
        "infrastructure/provisioning/terraform/.terraform/providers/x",
        "kubeconfig-switch.yaml",
        "id_ed25519",
        ".env",
        "certs/server.pem",
        "jws/private.key",
        "performance-tests/results/local/runs/20260101T000000Z/summary.json",
    ],
)
def test_gitignore_covers_secrets_and_state(path: str) -> None:
    assert git("check-ignore", "-q", "--no-index", path).returncode == 0, f"{path} is not ignored"
