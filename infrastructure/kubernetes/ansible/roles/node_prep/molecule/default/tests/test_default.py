"""node_prep converged in the bookworm chroot: packages, modules file, sysctl, limits, systemd."""

import json
from pathlib import Path

import pytest

# The same sample of rendered vars converge.yml reads.
RENDERED = json.loads(
    (Path(__file__).resolve().parents[5] / "tests/inventory/group_vars/all.json").read_text()
)


def test_packages_are_installed(host):
    status = host.check_output(
        "dpkg-query -W -f '${Package} ${db:Status-Abbrev}\\n' ca-certificates curl jq conntrack procps"
    )
    installed = {line.split()[0] for line in status.splitlines() if line.split()[1] == "ii"}
    assert installed == {"ca-certificates", "curl", "jq", "conntrack", "procps"}


def test_kernel_modules_load_at_boot(host):
    conf = host.file("/etc/modules-load.d/90-mlperf.conf")
    assert conf.mode == 0o644
    lines = [line for line in conf.content_string.splitlines() if not line.startswith("#")]
    assert lines == ["br_netfilter", "overlay", "nf_conntrack"]


def test_sysctl_file_holds_every_rendered_parameter(host):
    conf = host.file("/etc/sysctl.d/90-mlperf.conf")
    assert conf.user == "root" and conf.mode == 0o644
    written = dict(
        (part.strip() for part in line.split("=", 1))
        for line in conf.content_string.splitlines()
        if line and not line.startswith("#")
    )
    assert written == RENDERED["mlperf_sysctl"]


@pytest.mark.parametrize("kind", ["soft", "hard"])
def test_nofile_limits(host, kind):
    content = host.file("/etc/security/limits.d/90-mlperf.conf").content_string
    entries = [line.split() for line in content.splitlines() if line and not line.startswith("#")]
    assert ["*", kind, "nofile", str(RENDERED["mlperf_limit_nofile"])] in entries


def test_systemd_default_limit_nofile(host):
    dropin = host.file("/etc/systemd/system.conf.d/90-mlperf.conf")
    assert "[Manager]" in dropin.content_string
    assert f"DefaultLimitNOFILE={RENDERED['mlperf_limit_nofile']}" in dropin.content_string
