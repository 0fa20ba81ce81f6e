"""Terraform for the AWS target: formatted, topology tested offline, shipped scenarios laid out
as sized, root module valid and planned offline (the last two only with a provider mirror).

Terraform runs only in temporary copies (no .terraform/, lock file, plan or state lands in the
repository), with an empty CLI configuration, no checkpoint calls and dummy AWS credentials.
"""

from __future__ import annotations

import collections
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from mojaloop_perf import render_aws
from mojaloop_perf.project import Project
from mojaloop_perf.scenario.load import load_scenario
from tests.conftest import REPO, committed_scenarios

ROOT = REPO / "infrastructure" / "provisioning" / "terraform"
TOPOLOGY = ROOT / "modules" / "topology"
TERRAFORM = shutil.which("terraform")
# Variables the workspace passes with -var; every other root variable is a rendered key.
RUNTIME_VARIABLES = {
    "ssh_public_key",
    "admin_cidr",
    "allow_open_ssh",
    "ami_id",
    "identity_file",
    "offline_plan",
}
TOPOLOGY_INPUTS = ("name", "node_groups", "dfsp_ids", "intra_cluster_ports")
SWITCH_GROUPS = ("generic", "kafka", "mysql", "monitoring")
SSH_PUBLIC_KEY = (
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHVbgTVR1yIhfM7Fvb0qBoDR0Qi4TuNKcfJ+9a6k2cUE test@mlperf"
)

needs_terraform = pytest.mark.skipif(
    TERRAFORM is None,
    reason="terraform is not on PATH (Terraform >= 1.6 is needed for these checks)",
)


def plugin_dir() -> Path | None:
    """The local provider mirror holding hashicorp/aws, or None."""
    configured = os.environ.get("MOJALOOP_PERF_TF_PLUGIN_DIR")
    path = Path(configured) if configured else Path("/opt/tf-plugins")
    return path if (path / "registry.terraform.io" / "hashicorp" / "aws").is_dir() else None


def needs_mirror() -> None:
    if plugin_dir() is None:
        pytest.skip(
            "no local mirror of the hashicorp/aws provider (set MOJALOOP_PERF_TF_PLUGIN_DIR or provide "
            "/opt/tf-plugins/registry.terraform.io/hashicorp/aws); the root module needs it "
            "offline for init, validate, plan and its mock-provider tests"
        )


@pytest.fixture(scope="module")
def tf_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A hermetic environment: no user CLI config or TF_VAR_*, dummy AWS credentials."""
    home = tmp_path_factory.mktemp("tf-home")
    (home / "terraformrc").write_text("")
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TF_", "AWS_")) or key == "AWS_CA_BUNDLE"
    }
    env.update(
        TF_CLI_CONFIG_FILE=str(home / "terraformrc"),
        TF_IN_AUTOMATION="1",
        TF_INPUT="0",
        CHECKPOINT_DISABLE="1",
        AWS_ACCESS_KEY_ID="mlperf-test",
        AWS_SECRET_ACCESS_KEY="mlperf-test",
        AWS_EC2_METADATA_DISABLED="true",
        AWS_CONFIG_FILE=str(home / "aws-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(home / "aws-credentials"),
    )
    return env


def terraform(
    env: dict[str, str], cwd: Path, *args: str, check: bool = True, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    assert TERRAFORM is not None
    result = subprocess.run(
        [TERRAFORM, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if check and result.returncode != 0:
        pytest.fail(
            f"terraform {' '.join(args)} failed ({result.returncode}) in {cwd}:\n"
            f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
        )
    return result


def copy_module(source: Path, target: Path) -> Path:
    """Copy a module without anything a local run may have left in the checkout."""
    shutil.copytree(
        source,
        target,
        ignore=shutil.ignore_patterns(
            ".terraform", ".terraform.lock.hcl", "*.tfstate*", "*.tfplan"
        ),
    )
    return target


def scenario_vars(name: str) -> dict[str, Any]:
    return render_aws.terraform_vars(load_scenario(Project(REPO), name))


@pytest.fixture(scope="module")
def topology(tf_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An initialised copy of the provider-free topology module."""
    if TERRAFORM is None:
        pytest.skip("terraform is not on PATH (Terraform >= 1.6 is needed for these checks)")
    module = copy_module(TOPOLOGY, tmp_path_factory.mktemp("topology") / "topology")
    terraform(tf_env, module, "init", "-input=false", "-no-color")
    return module


@pytest.fixture(scope="module")
def root_module(tf_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An initialised copy of the root module, provider from the local mirror, no backend."""
    if TERRAFORM is None:
        pytest.skip("terraform is not on PATH (Terraform >= 1.6 is needed for these checks)")
    needs_mirror()
    module = copy_module(ROOT, tmp_path_factory.mktemp("root") / "terraform")
    terraform(
        tf_env,
        module,
        "init",
        "-input=false",
        "-no-color",
        "-backend=false",
        f"-plugin-dir={plugin_dir()}",
    )
    return module


def declared_variables(module: Path) -> set[str]:
    return set(re.findall(r'(?m)^variable "([^"]+)"', (module / "variables.tf").read_text()))


# --- Static ------------------------------------------------------------------------------------


def test_root_variables_are_exactly_the_rendered_keys() -> None:
    """A rendered key Terraform does not declare would be only a warning: keep both in step."""
    rendered = set(scenario_vars("1000tps"))
    assert declared_variables(ROOT) - RUNTIME_VARIABLES == rendered
    assert declared_variables(TOPOLOGY) == set(TOPOLOGY_INPUTS)


def test_every_module_has_the_standard_files_and_no_backend() -> None:
    for module in (ROOT, TOPOLOGY):
        for name in ("main.tf", "variables.tf", "outputs.tf", "versions.tf"):
            assert (module / name).is_file(), f"{module.relative_to(REPO)}/{name} missing"
    code = "\n".join(path.read_text() for path in ROOT.rglob("*.tf"))
    assert not re.search(r'(?m)^\s*backend\s+"', code), "the workspace writes the backend config"
    assert "timestamp()" not in code, "tags and names must be stable"
    assert not re.search(
        r"(?m)^\s*(provider|resource|data)\s",
        "\n".join(path.read_text() for path in TOPOLOGY.glob("*.tf")),
    ), "the topology module stays provider-free"


def test_every_variable_and_output_is_described() -> None:
    for path in ROOT.rglob("*.tf"):
        text = path.read_text()
        for kind, name, body in re.findall(r'(?ms)^(variable|output) "([^"]+)" \{\n(.*?)^\}', text):
            assert re.search(r"(?m)^  description\s+=", body), f"{path.name}: {kind} {name}"


# --- Terraform ---------------------------------------------------------------------------------


@needs_terraform
def test_terraform_fmt(tf_env: dict[str, str]) -> None:
    infrastructure = REPO / "infrastructure"
    result = terraform(
        tf_env, REPO, "fmt", "-check", "-recursive", "-diff", str(infrastructure), check=False
    )
    assert result.returncode == 0, f"terraform fmt would change:\n{result.stdout}{result.stderr}"


@needs_terraform
def test_topology_module_tests_pass(tf_env: dict[str, str], topology: Path) -> None:
    result = terraform(tf_env, topology, "test", "-no-color")
    assert re.search(r"Success! \d+ passed, 0 failed", result.stdout), result.stdout


@needs_terraform
@pytest.mark.parametrize("scenario", committed_scenarios())
def test_shipped_scenario_layout(
    scenario: str, tf_env: dict[str, str], topology: Path, tmp_path: Path
) -> None:
    """The topology of each shipped scenario has the nodes, clusters and primaries it sizes."""
    variables = scenario_vars(scenario)
    var_file = tmp_path / "topology.tfvars.json"
    var_file.write_text(json.dumps({key: variables[key] for key in TOPOLOGY_INPUTS}))
    plan = tmp_path / "topology.tfplan"
    terraform(
        tf_env,
        topology,
        "plan",
        "-no-color",
        "-input=false",
        "-lock=false",
        f"-var-file={var_file}",
        f"-out={plan}",
    )
    shown = json.loads(terraform(tf_env, topology, "show", "-json", str(plan)).stdout)
    outputs = {key: value["value"] for key, value in shown["planned_values"]["outputs"].items()}
    nodes, clusters = outputs["nodes"], outputs["clusters"]
    groups = variables["node_groups"]
    name = variables["name"]

    counts = collections.Counter(node["group"] for node in nodes.values())
    assert counts == {group: spec["count"] for group, spec in groups.items() if spec["count"]}
    assert len(nodes) == sum(spec["count"] for spec in groups.values())
    for node_name, node in nodes.items():
        assert node["instance_type"] == groups[node["group"]]["instance_type"], node_name
        assert node["labels"] == groups[node["group"]]["labels"], node_name
        assert node["taints"] == groups[node["group"]]["taints"], node_name

    switch = [n for n, node in nodes.items() if node["group"] in SWITCH_GROUPS]
    assert all(nodes[n]["cluster"] == "switch" for n in switch)
    assert clusters["switch"]["kind"] == "switch"
    assert clusters["switch"]["primary"] == f"{name}-generic-0"
    assert sorted(clusters["switch"]["nodes"]) == sorted(switch)
    for dfsp_id in variables["dfsp_ids"]:
        node_name = f"{name}-{dfsp_id}"
        assert clusters[dfsp_id] == {"kind": "dfsp", "nodes": [node_name], "primary": node_name}
        assert nodes[node_name]["dfsp_id"] == dfsp_id
    assert clusters["k6"]["kind"] == "k6"
    assert clusters["k6"]["nodes"] == [f"{name}-k6-{i}" for i in range(groups["k6"]["count"])]
    assert len(clusters) == len(variables["dfsp_ids"]) + 2
    primaries = sorted(n for n, node in nodes.items() if node["primary"])
    assert primaries == sorted(cluster["primary"] for cluster in clusters.values())


@needs_terraform
def test_root_module_validates(tf_env: dict[str, str], root_module: Path) -> None:
    terraform(tf_env, root_module, "validate", "-no-color")


@needs_terraform
def test_root_module_mock_tests_pass(tf_env: dict[str, str], root_module: Path) -> None:
    """tests/outputs.tftest.hcl: inventory and ssh_config contract, toggles, refusals."""
    result = terraform(tf_env, root_module, "test", "-no-color", timeout=180)
    assert re.search(r"Success! \d+ passed, 0 failed", result.stdout), result.stdout


@needs_terraform
def test_root_module_plans_1000tps_offline(
    tf_env: dict[str, str], root_module: Path, tmp_path: Path
) -> None:
    """Planned with dummy credentials, a pinned AMI and the provider's offline toggles."""
    variables = scenario_vars("1000tps")
    var_file = tmp_path / "terraform.tfvars.json"
    var_file.write_text(json.dumps(variables))
    plan = tmp_path / "1000tps.tfplan"
    terraform(
        tf_env,
        root_module,
        "plan",
        "-no-color",
        "-input=false",
        "-lock=false",
        f"-state={tmp_path / 'terraform.tfstate'}",
        f"-var-file={var_file}",
        f"-var=ssh_public_key={SSH_PUBLIC_KEY}",
        "-var=admin_cidr=203.0.113.7/32",
        "-var=ami_id=ami-0123456789abcdef0",
        "-var=offline_plan=true",
        f"-out={plan}",
        timeout=180,
    )
    shown = json.loads(terraform(tf_env, root_module, "show", "-json", str(plan)).stdout)
    changes = [c for c in shown["resource_changes"] if c["mode"] == "managed"]
    assert all(c["change"]["actions"] == ["create"] for c in changes)
    counts = collections.Counter(c["type"] for c in changes)
    nodes = sum(group["count"] for group in variables["node_groups"].values())
    generic = variables["node_groups"]["generic"]["count"]
    listeners = len(variables["nlb"]["listeners"])
    assert nodes == 15
    assert counts["aws_instance"] == nodes + 1  # and the bastion
    assert counts["aws_lb"] == 1
    assert counts["aws_lb_listener"] == counts["aws_lb_target_group"] == listeners
    assert counts["aws_lb_target_group_attachment"] == listeners * generic
    assert counts["aws_placement_group"] == 1
    assert counts["aws_nat_gateway"] == counts["aws_eip"] == 1
    # Intra-cluster ports + SSH from the bastion + HTTP(S) between clusters + NLB NodePorts
    # + SSH to the bastion.
    rules = len(variables["intra_cluster_ports"]) + 1 + 2 + listeners + 1
    assert counts["aws_vpc_security_group_ingress_rule"] == rules
    instances = {
        c["index"]: c["change"]["after"]
        for c in changes
        if c["address"].startswith("aws_instance.node")
    }
    mysql = instances["mlperf-1000tps-mysql-0"]
    assert mysql["instance_type"] == "m7i.4xlarge"
    assert mysql["root_block_device"][0]["volume_type"] == "io2"
    assert mysql["root_block_device"][0]["iops"] == 16000
    assert all(
        i["placement_group"] == "mlperf-1000tps" and i["ebs_optimized"] for i in instances.values()
    )
    tags = instances["mlperf-1000tps-generic-0"]["tags_all"]
    assert tags["mlperf-scenario"] == "1000tps" and tags["mlperf-primary"] == "true"


def test_nothing_written_into_the_checkout() -> None:
    leftovers = [
        path.relative_to(REPO)
        for pattern in (".terraform", ".terraform.lock.hcl", "*.tfstate*", "*.tfplan")
        for path in ROOT.rglob(pattern)
    ]
    assert not leftovers, f"Terraform files in the checkout: {leftovers}"
