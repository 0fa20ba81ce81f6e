"""The Ansible part of the AWS target (infrastructure/kubernetes/ansible/), checked offline.

- every playbook passes `ansible-playbook --syntax-check` against the sample inventory, and its
  host pattern selects the nodes the inventory contract says it should;
- ansible-lint passes with the production profile;
- the exact commands the MicroK8s roles run: each stage's real playbook runs against the sample
  inventory with every host on the local connection and the roles' dry-run switch on, so each
  command is echoed instead of run and every file task runs in check mode (nothing is installed
  or written, except the kubeconfigs the controller keeps, here under tmp_path). The JSON stdout
  callback gives the command lines; what the nodes would print is fed in as captured text.

The roles that converge without snapd (node_prep, dfsp_hosts) are also converged for real by
molecule in a debootstrap'd chroot, and site.yml runs there in check mode: see
infrastructure/kubernetes/ansible/README.md.
"""

from __future__ import annotations

import configparser
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from mojaloop_perf.targets import aws

REPO = Path(__file__).resolve().parents[2]
ANSIBLE_DIR = REPO / "infrastructure/kubernetes/ansible"
INVENTORY = ANSIBLE_DIR / "tests/inventory/hosts.ini"
SAMPLE_VARS = ANSIBLE_DIR / "tests/inventory/group_vars/all.json"
PLAYBOOKS = sorted(p.name for p in (ANSIBLE_DIR / "playbooks").glob("*.yml"))
SAMPLE = json.loads(SAMPLE_VARS.read_text())
DRY_RUN_SWITCHES = (
    "microk8s_dry_run",
    "microk8s_cluster_dry_run",
    "node_labels_dry_run",
    "kubeconfig_dry_run",
    "dfsp_hosts_dry_run",
)


def _tool(name: str) -> str:
    """A tool from the environment pytest runs in (the workspace venv), else from PATH."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed here (pip install -e '.[dev]' installs it)")
    return found


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    # The tools find each other (ansible-playbook, ansible-galaxy) beside the interpreter.
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["ANSIBLE_CONFIG"] = str(ANSIBLE_DIR / "ansible.cfg")
    env["ANSIBLE_NOCOLOR"] = "1"
    env.pop("ANSIBLE_SSH_ARGS", None)
    env.update(extra)
    return env


def _run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(args), cwd=ANSIBLE_DIR, env=_env(**env), capture_output=True, text=True, timeout=600
    )


def _inventory() -> dict[str, dict[str, str]]:
    """Host name -> its inline vars, read from the sample INI inventory."""
    hosts: dict[str, dict[str, str]] = {}
    for line in INVENTORY.read_text().splitlines():
        if not line.startswith("mlperf-"):
            continue
        name, *pairs = line.split()
        hosts.setdefault(name, {}).update(pair.split("=", 1) for pair in pairs)
    return hosts


HOSTS = _inventory()


def _host(suffix: str) -> str:
    return f"mlperf-1000tps-{suffix}"


# --- syntax, host patterns, lint -------------------------------------------------------------


@pytest.mark.parametrize("playbook", PLAYBOOKS)
def test_playbook_syntax(playbook: str) -> None:
    done = _run(
        _tool("ansible-playbook"), "--syntax-check", "-i", str(INVENTORY), f"playbooks/{playbook}"
    )
    assert done.returncode == 0, done.stdout + done.stderr


EXPECTED_HOSTS = {
    "prepare-nodes.yml": 15,  # 3 generic, kafka, mysql, monitoring, 8 DFSPs, k6
    "microk8s.yml": 15,
    "switch-cluster.yml": 6,  # 3 generic, kafka, mysql, monitoring
    "node-labels.yml": 15,
    "fetch-cluster-configs.yml": 10,  # one primary per cluster: switch, fsp201…fsp208, k6
    "dfsp-hosts.yml": 7,  # switch and k6 nodes
}


@pytest.mark.parametrize("playbook", sorted(EXPECTED_HOSTS))
def test_playbook_selects_the_contract_hosts(playbook: str) -> None:
    done = _run(
        _tool("ansible-playbook"), "--list-hosts", "-i", str(INVENTORY), f"playbooks/{playbook}"
    )
    assert done.returncode == 0, done.stdout + done.stderr
    hosts = [
        line.strip() for line in done.stdout.splitlines() if line.strip().startswith("mlperf-")
    ]
    assert len(hosts) == EXPECTED_HOSTS[playbook], done.stdout


def test_site_imports_every_stage_in_the_order_provision_runs_them() -> None:
    site = yaml.safe_load((ANSIBLE_DIR / "playbooks/site.yml").read_text())
    assert [entry["ansible.builtin.import_playbook"] for entry in site] == list(aws.PLAYBOOKS)


def test_ansible_lint_production_profile() -> None:
    done = _run(_tool("ansible-lint"), "--offline", "--nocolor")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Profile 'production' was required, and it passed" in done.stdout + done.stderr


def test_ansible_cfg_finds_the_roles_from_anywhere() -> None:
    cfg = configparser.ConfigParser()
    cfg.read(ANSIBLE_DIR / "ansible.cfg")
    roles = (ANSIBLE_DIR / cfg["defaults"]["roles_path"]).resolve()
    assert sorted(p.name for p in roles.iterdir()) == [
        "dfsp_hosts",
        "kubeconfig",
        "microk8s",
        "microk8s_cluster",
        "node_labels",
        "node_prep",
    ]


def test_sample_vars_are_what_the_renderer_writes() -> None:
    """The committed sample is the 1000tps render, with the DFSP IPs a later stage fills in."""
    from mojaloop_perf import render_aws
    from mojaloop_perf.project import Project
    from mojaloop_perf.scenario.load import load_scenario

    rendered = render_aws.ansible_vars(load_scenario(Project(REPO), "1000tps"))
    sample = json.loads(SAMPLE_VARS.read_text())
    for data in (rendered, sample):
        data.pop("mlperf_scenario_digest")
        for entry in data["mlperf_dfsp_hosts"]:
            entry.pop("ip")
    assert sample == rendered, (
        "tests/inventory/group_vars/all.json is stale: copy "
        ".workspace/1000tps/aws/rendered/ansible/group_vars/all.json (invoke render --scenario "
        "1000tps --target aws) and give fsp201…fsp207 an ip, leaving fsp208's null"
    )


# --- dry runs of the real playbooks ----------------------------------------------------------


def _dry_run(
    playbook: str, tmp_path: Path, *, limit: list[str] | None = None, **extra: Any
) -> dict[str, Any]:
    """Run a stage's playbook with every role in dry-run mode; the JSON callback's report."""
    extra_vars = {
        "ansible_connection": "local",
        "ansible_become": False,
        "ansible_python_interpreter": sys.executable,
        "mlperf_kubeconfig_dir": str(tmp_path / "kubeconfigs"),
        **dict.fromkeys(DRY_RUN_SWITCHES, True),
        **extra,
    }
    vars_file = tmp_path / f"{playbook}.vars.json"
    vars_file.write_text(json.dumps(extra_vars))
    done = _run(
        _tool("ansible-playbook"),
        "-i",
        str(INVENTORY),
        f"playbooks/{playbook}",
        "-e",
        f"@{SAMPLE_VARS}",
        "-e",
        f"@{vars_file}",
        *(["--limit", ",".join(limit)] if limit else []),
        ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    return json.loads(done.stdout)


def _results(report: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(host, task name, result) in run order, loop items flattened."""
    out = []
    for play in report["plays"]:
        for task in play["tasks"]:
            for host, result in task["hosts"].items():
                for item in result.get("results", [result]):
                    out.append((host, task["task"]["name"], item))
    return out


def _commands(report: dict[str, Any]) -> dict[str, list[str]]:
    """Host -> the command lines its tasks ran (delegated ones count for the host they ran for)."""
    commands: dict[str, list[str]] = {}
    for host, _, result in _results(report):
        argv = result.get("cmd")
        if isinstance(argv, list) and argv and argv[0] == "echo":
            commands.setdefault(host, []).append(" ".join(argv[1:]))
    return commands


def _diff_after(report: dict[str, Any], host: str, task_name: str) -> str:
    for result_host, name, result in _results(report):
        if result_host == host and name.endswith(task_name):
            diffs = result["diff"] if isinstance(result["diff"], list) else [result["diff"]]
            return "".join(d.get("after", "") for d in diffs)
    raise AssertionError(f"no result of {task_name!r} for {host}")


SNAP_LIST_1_31 = (
    "Name      Version  Rev   Tracking     Publisher   Notes\n"
    "microk8s  v1.31.9  7964  1.31/stable  canonical✓  classic\n"
)
SNAP_LIST_1_32 = (
    "Name      Version  Rev   Tracking     Publisher   Notes\n"
    "microk8s  v1.32.3  8148  1.32/stable  canonical✓  classic\n"
)
STATUS_SHORT = """microk8s is running
high-availability: no
  datastore master nodes: 127.0.0.1:19001
  datastore standby nodes: none
core/cert-manager: disabled
core/dns: enabled
core/ha-cluster: enabled
core/hostpath-storage: {hostpath}
core/ingress: {ingress}
core/metrics-server: {metrics}
core/storage: {storage}
"""
FRESH = [
    "snap list microk8s",
    "snap install microk8s --classic --channel=1.32/stable",
    "microk8s status --wait-ready --timeout 600",
]
ADDONS = [
    "microk8s status --format short",
    "microk8s enable dns",
    "microk8s enable storage",
    "microk8s enable ingress",
    "microk8s enable metrics-server",
]


def test_microk8s_fresh_nodes(tmp_path: Path) -> None:
    """Fresh nodes: install on the channel, wait; the cluster primaries enable the addons."""
    # One node of each kind (the machine running the tests has 2 CPUs: 15 hosts take long).
    some = [_host(s) for s in ("generic-0", "generic-1", "kafka-0", "fsp201", "k6-0")]
    report = _dry_run("microk8s.yml", tmp_path, limit=some)
    commands = _commands(report)
    primaries = {h for h, v in HOSTS.items() if v["mlperf_cluster_primary"] == "true"}
    assert sorted(commands) == sorted(some)
    for host, lines in commands.items():
        assert lines == (FRESH + ADDONS if host in primaries else FRESH), host
    launch = yaml.safe_load(
        _diff_after(
            report,
            _host("generic-0"),
            "Write the MicroK8s launch configuration with the pod and service CIDRs",
        )
    )
    assert launch == {
        "version": "0.1.0",
        "extraCNIEnv": {
            "IPv4_SUPPORT": True,
            "IPv4_CLUSTER_CIDR": SAMPLE["microk8s_pod_cidr"],
            "IPv4_SERVICE_CIDR": SAMPLE["microk8s_service_cidr"],
        },
        "extraSANs": ["10.96.0.1"],
    }


def test_microk8s_node_on_an_older_channel_with_some_addons(tmp_path: Path) -> None:
    outputs = {
        "snap_list": SNAP_LIST_1_31,
        "status": STATUS_SHORT.format(
            hostpath="enabled", ingress="disabled", metrics="disabled", storage="enabled"
        ),
    }
    report = _dry_run(
        "microk8s.yml", tmp_path, limit=[_host("generic-0")], microk8s_dry_run_outputs=outputs
    )
    assert _commands(report)[_host("generic-0")] == [
        "snap list microk8s",
        "snap refresh microk8s --channel=1.32/stable",
        "microk8s status --wait-ready --timeout 600",
        "microk8s status --format short",
        "microk8s enable ingress",
        "microk8s enable metrics-server",
    ]


def test_microk8s_node_already_done_changes_nothing(tmp_path: Path) -> None:
    outputs = {
        "snap_list": SNAP_LIST_1_32,
        "status": STATUS_SHORT.format(
            hostpath="enabled", ingress="enabled", metrics="enabled", storage="enabled"
        ),
    }
    report = _dry_run(
        "microk8s.yml",
        tmp_path,
        limit=[_host("generic-0"), _host("generic-1")],
        microk8s_dry_run_outputs=outputs,
    )
    commands = _commands(report)
    assert commands[_host("generic-0")] == [
        "snap list microk8s",
        "microk8s status --wait-ready --timeout 600",
        "microk8s status --format short",
    ]
    assert commands[_host("generic-1")] == [
        "snap list microk8s",
        "microk8s status --wait-ready --timeout 600",
    ]


NODES_JSONPATH = (
    'jsonpath={range .items[*]}{.metadata.name}{"\\t"}'
    '{.status.addresses[?(@.type=="InternalIP")].address}{"\\n"}{end}'
)


def _node_name(host: str) -> str:
    return "ip-" + HOSTS[host]["ansible_host"].replace(".", "-")


def _nodes_text(*hosts: str) -> str:
    return "".join(f"{_node_name(h)}\t{HOSTS[h]['ansible_host']}\n" for h in hosts)


def test_switch_cluster_joins_only_the_missing_nodes_as_full_members(tmp_path: Path) -> None:
    switch = [h for h, v in HOSTS.items() if v["mlperf_cluster"] == "switch"]
    primary, already = _host("generic-0"), _host("generic-1")
    outputs = {
        "nodes": _nodes_text(primary, already),
        # One line per address of the primary; the cluster address is not the first one.
        "add_node": (
            "microk8s join 172.17.0.1:25000/0123456789abcdef0123456789abcdef/5a1b2c3d4e5f\n"
            "microk8s join 10.20.1.10:25000/0123456789abcdef0123456789abcdef/5a1b2c3d4e5f\n"
        ),
        "nodes_after": _nodes_text(*switch),
    }
    report = _dry_run(
        "switch-cluster.yml",
        tmp_path,
        microk8s_cluster_dry_run_outputs=outputs,
        microk8s_cluster_hide_tokens=False,  # fake tokens: show the join commands
    )
    commands = _commands(report)
    read = f"microk8s kubectl get nodes --output {NODES_JSONPATH}"
    # The primary's reads run once (before and after the joins) and count for the first host.
    assert commands[primary] == [read, read]
    assert already not in commands
    joining = sorted(set(switch) - {primary, already})
    assert sorted(h for h in commands if h != primary) == joining
    for host in joining:
        assert commands[host] == [
            "microk8s add-node --token-ttl 900 --format short",
            "microk8s join 10.20.1.10:25000/0123456789abcdef0123456789abcdef/5a1b2c3d4e5f",
            "microk8s status --wait-ready --timeout 600",
        ], host


def test_switch_cluster_of_joined_nodes_changes_nothing(tmp_path: Path) -> None:
    switch = [h for h, v in HOSTS.items() if v["mlperf_cluster"] == "switch"]
    outputs = {"nodes": _nodes_text(*switch), "add_node": "", "nodes_after": _nodes_text(*switch)}
    report = _dry_run("switch-cluster.yml", tmp_path, microk8s_cluster_dry_run_outputs=outputs)
    assert set(_commands(report)) == {_host("generic-0")}
    assert all(h["changed"] == 0 and h["failures"] == 0 for h in report["stats"].values())


def _k8s_node(host: str, labels: dict[str, str], taints: list[dict[str, str]]) -> dict[str, Any]:
    return {
        "metadata": {"name": _node_name(host), "labels": {"kubernetes.io/os": "linux", **labels}},
        "spec": {"taints": taints} if taints else {},
        "status": {
            "addresses": [
                {"address": HOSTS[host]["ansible_host"], "type": "InternalIP"},
                {"address": _node_name(host), "type": "Hostname"},
            ]
        },
    }


def test_node_labels_sets_only_what_differs(tmp_path: Path) -> None:
    generic_labels = SAMPLE["mlperf_node_labels"]["generic"]
    almost = {k: v for k, v in generic_labels.items() if not k.endswith("QUOTING-SVC")}
    kafka_taint = {
        "key": "dedicated",
        "value": "kafka",
        "effect": "NoSchedule",
        "timeAdded": "2026-11-25T10:00:00Z",
    }
    current = {
        _host("generic-0"): (almost, []),
        _host("generic-2"): (generic_labels, []),
        _host("kafka-0"): ({"node-role": "kafka"}, [kafka_taint]),
        # A stale value is overwritten; a taint with another effect does not count.
        _host("mysql-0"): (
            {"node-role": "generic"},
            [{"key": "dedicated", "value": "mysql", "effect": "NoExecute"}],
        ),
    }
    nodes = [_k8s_node(host, *current.get(host, ({}, []))) for host in HOSTS]
    report = _dry_run(
        "node-labels.yml",
        tmp_path,
        node_labels_dry_run_outputs={"nodes": json.dumps({"items": nodes})},
    )
    commands = _commands(report)
    get = "microk8s kubectl get nodes --output json"

    def label(host: str, *pairs: str) -> str:
        return " ".join(["microk8s kubectl label node", _node_name(host), "--overwrite", *pairs])

    def taint(host: str, spec: str) -> str:
        return f"microk8s kubectl taint node {_node_name(host)} --overwrite {spec}"

    assert commands[_host("generic-0")] == [
        get,
        label(_host("generic-0"), "workload-class.mojaloop.io/QUOTING-SVC=true"),
    ]
    assert commands[_host("generic-1")] == [
        get,
        label(_host("generic-1"), *(f"{k}={v}" for k, v in generic_labels.items())),
    ]
    assert commands[_host("generic-2")] == [get]
    assert commands[_host("kafka-0")] == [get]
    assert commands[_host("mysql-0")] == [
        get,
        label(_host("mysql-0"), "node-role=mysql"),
        taint(_host("mysql-0"), "dedicated=mysql:NoSchedule"),
    ]
    assert commands[_host("monitoring-0")] == [
        get,
        label(_host("monitoring-0"), "node-role=monitoring"),
        taint(_host("monitoring-0"), "dedicated=monitoring:NoSchedule"),
    ]
    assert commands[_host("fsp201")] == [get, label(_host("fsp201"), "node-role=dfsp")]
    assert commands[_host("k6-0")] == [get, label(_host("k6-0"), "node-role=k6")]


KUBECONFIG = """apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: ZmFrZS1jYQ==
    server: https://172.31.7.9:16443
  name: microk8s-cluster
contexts:
- context:
    cluster: microk8s-cluster
    user: admin
  name: microk8s
current-context: microk8s
kind: Config
preferences: {}
users:
- name: admin
  user:
    client-certificate-data: ZmFrZS1jZXJ0
    client-key-data: ZmFrZS1rZXk=
"""


def test_kubeconfig_saves_one_private_file_per_cluster(tmp_path: Path) -> None:
    report = _dry_run(
        "fetch-cluster-configs.yml",
        tmp_path,
        kubeconfig_dry_run_outputs={"config": KUBECONFIG.rstrip("\n")},
    )
    primaries = {h: v for h, v in HOSTS.items() if v["mlperf_cluster_primary"] == "true"}
    # `microk8s config` ran on each primary, its output hidden.
    reads = [
        (h, r)
        for h, name, r in _results(report)
        if name.endswith("Read the cluster's kubeconfig from MicroK8s")
    ]
    assert sorted(h for h, _ in reads) == sorted(primaries)
    assert all(r.get("censored") and not r.get("failed") for _, r in reads)
    folder = tmp_path / "kubeconfigs"
    assert folder.stat().st_mode & 0o777 == 0o700
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        f"kubeconfig-{v['mlperf_cluster']}.yaml" for v in primaries.values()
    )
    for host in primaries.values():
        path = folder / f"kubeconfig-{host['mlperf_cluster']}.yaml"
        assert path.stat().st_mode & 0o777 == 0o600
        config = yaml.safe_load(path.read_text())
        assert config["clusters"][0]["cluster"]["server"] == f"https://{host['ansible_host']}:16443"
        assert config["users"] == yaml.safe_load(KUBECONFIG)["users"]
        assert path.read_text().endswith("\n")
    # The credentials never reach the output.
    assert "client-key-data" not in json.dumps(report)


def test_dfsp_hosts_patches_coredns_on_the_k6_and_switch_primaries_only_when_it_differs(
    tmp_path: Path,
) -> None:
    get = "microk8s kubectl --namespace kube-system get configmap coredns --output jsonpath={.data.Corefile}"
    patch = (
        "microk8s kubectl --namespace kube-system patch configmap coredns --type merge "
        "--patch-file /etc/mojaloop_perf/coredns-patch.yaml"
    )
    restart = "microk8s kubectl --namespace kube-system rollout restart deployment coredns"
    k6, switch = _host("k6-0"), _host("generic-0")

    report = _dry_run("dfsp-hosts.yml", tmp_path)
    assert _commands(report) == {k6: [get, patch, restart], switch: [get, patch, restart]}
    hosts_block = _diff_after(
        report, _host("generic-0"), "Write the DFSP simulator names into /etc/hosts"
    )
    known = {h["hostname"]: h["ip"] for h in SAMPLE["mlperf_dfsp_hosts"] if h["ip"]}
    for name, ip in known.items():
        assert f"\n{ip} {name}\n" in hosts_block
    assert "sim-fsp208.local" not in hosts_block
    wanted = yaml.safe_load(_diff_after(report, k6, "Write the CoreDNS ConfigMap patch"))["data"][
        "Corefile"
    ]
    for name, ip in known.items():
        assert f"      {ip} {name}\n" in wanted

    # The Corefile already has the entries: read, nothing else.
    report = _dry_run(
        "dfsp-hosts.yml", tmp_path, dfsp_hosts_dry_run_outputs={"corefile": wanted.rstrip("\n")}
    )
    assert _commands(report) == {k6: [get], switch: [get]}
