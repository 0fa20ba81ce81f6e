"""dfsp_hosts converged in the bookworm chroot as the k6 primary: /etc/hosts and the CoreDNS patch."""

import json
import re
from pathlib import Path

import yaml

RENDERED = json.loads(
    (Path(__file__).resolve().parents[5] / "tests/inventory/group_vars/all.json").read_text()
)
KNOWN = {h["hostname"]: h["ip"] for h in RENDERED["mlperf_dfsp_hosts"] if h["ip"]}
UNKNOWN = [h["hostname"] for h in RENDERED["mlperf_dfsp_hosts"] if not h["ip"]]


def test_sample_has_known_and_unknown_addresses():
    assert len(KNOWN) == 7 and UNKNOWN == ["sim-fsp208.local"]


def test_etc_hosts_has_one_entry_per_known_simulator(host):
    content = host.file("/etc/hosts").content_string
    begin = "# BEGIN mlperf DFSP simulators (managed by Ansible)"
    end = "# END mlperf DFSP simulators (managed by Ansible)"
    assert content.count(begin) == 1 and content.count(end) == 1
    block = content.split(begin)[1].split(end)[0]
    entries = dict(reversed(line.split()) for line in block.strip().splitlines())
    assert entries == KNOWN
    # The node's own lines stay.
    assert content.startswith("127.0.0.1 localhost\n")


def test_etc_hosts_skips_unknown_addresses(host):
    content = host.file("/etc/hosts").content_string
    for name in UNKNOWN:
        assert name not in content


def test_coredns_patch_is_a_configmap_merge_patch_with_a_hosts_block(host):
    patch_file = host.file("/etc/mojaloop_perf/coredns-patch.yaml")
    assert patch_file.mode == 0o644
    patch = yaml.safe_load(patch_file.content_string)
    assert list(patch) == ["data"] and list(patch["data"]) == ["Corefile"]
    corefile = patch["data"]["Corefile"]
    hosts_block = re.search(r"^ {4}hosts \{\n(.*?)^ {4}\}$", corefile, re.S | re.M)
    assert hosts_block, corefile
    lines = [line.split() for line in hosts_block.group(1).strip().splitlines()]
    assert {name: ip for ip, name in lines[:-2]} == KNOWN
    assert lines[-2:] == [["ttl", "60"], ["fallthrough"]]
    # The rest is the dns addon's Corefile: the cluster zone and the upstream resolvers.
    assert "kubernetes cluster.local in-addr.arpa ip6.arpa {" in corefile
    assert "forward . /etc/resolv.conf" in corefile
    # hosts answers before the kubernetes plugin and falls through for every other name.
    assert corefile.index("hosts {") < corefile.index("kubernetes cluster.local")
