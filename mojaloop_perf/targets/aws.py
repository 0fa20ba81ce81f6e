"""The AWS target: Terraform builds the machines, Ansible makes them MicroK8s clusters.

provision: preflight → render → a per-scenario copy of the Terraform root module (its own
state, plan and backend) → init → plan → apply (only with --yes) → inventory and ssh_config from
Terraform's outputs → the playbooks in order. destroy: terraform destroy (only with --yes).
Every command goes through the runner, so `--dry-run` prints the whole plan without AWS
credentials. deploy, seed, smoke and test on AWS live in aws_deploy, aws_seed and aws_test_stage;
aws_deployed says whether the clusters run the scenario on disk, and what they run.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

from mojaloop_perf import render_aws, values_check
from mojaloop_perf.errors import UserError
from mojaloop_perf.fsutil import read_json, write_files, write_json_atomic, write_text_atomic
from mojaloop_perf.runner import Command
from mojaloop_perf.targets.base import StageContext

TERRAFORM_SOURCE = Path("infrastructure/provisioning/terraform")
ANSIBLE_DIR = Path("infrastructure/kubernetes/ansible")
PLAYBOOKS = (
    "prepare-nodes.yml",
    "microk8s.yml",
    "switch-cluster.yml",
    "node-labels.yml",
    "fetch-cluster-configs.yml",
    "dfsp-hosts.yml",
)
TOOLS = ("terraform", "ansible-playbook", "kubectl", "helm", "ssh")
TERRAFORM_TIMEOUT_S = 3600
PLAYBOOK_TIMEOUT_S = 3600


def _paths(ctx: StageContext) -> dict[str, Path]:
    state = ctx.state_dir
    return {
        "rendered": state / "rendered",
        "workdir": state / "terraform",
        "inventory": state / "inventory.ini",
        "ssh_config": state / "ssh_config",
        "kubeconfigs": state / "kubeconfigs",
        "outputs": state / "terraform-outputs.json",
    }


def rendered_dir(ctx: StageContext) -> Path:
    """Where provision and `invoke render` write the scenario's rendered inputs."""
    return _paths(ctx)["rendered"]


def tool(name: str, path: str | None = None) -> str | None:
    """Where a tool is: the workspace's own (beside Python, e.g. the pinned ansible-playbook),
    else on PATH; None when it is nowhere."""
    beside = Path(sys.executable).parent / name
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which(name, path=path)


# preflight ------------------------------------------------------------------------------------


def preflight_problems(environ: dict[str, str] | None = None) -> list[str]:
    """What is missing to run against AWS, each with what to do; empty when ready."""
    env = os.environ if environ is None else environ
    problems = [
        f"{name} not found on PATH: install it"
        for name in TOOLS
        if tool(name, env.get("PATH")) is None
    ]
    if not (
        env.get("AWS_PROFILE")
        or (env.get("AWS_ACCESS_KEY_ID") and env.get("AWS_SECRET_ACCESS_KEY"))
    ):
        problems.append(
            "no AWS credentials: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
        )
    key = ssh_key(env)
    if not Path(f"{key}.pub").is_file():
        problems.append(
            f"no SSH public key {key}.pub: create one (ssh-keygen -t ed25519) or set MOJALOOP_PERF_SSH_KEY"
        )
    if not env.get("MOJALOOP_PERF_ADMIN_CIDR"):
        problems.append(
            "MOJALOOP_PERF_ADMIN_CIDR is not set: the CIDR allowed to SSH to the bastion, e.g. 203.0.113.7/32"
        )
    return problems


def ssh_key(env: dict[str, str] | os._Environ[str]) -> Path:
    return Path(
        env.get("MOJALOOP_PERF_SSH_KEY") or Path.home() / ".ssh" / "id_ed25519"
    ).expanduser()


def preflight(ctx: StageContext) -> None:
    problems = preflight_problems()
    if not problems:
        return
    if ctx.dry_run:
        for problem in problems:
            ctx.echo(f"[dry-run] preflight would stop here: {problem}")
        return
    raise UserError(f"preflight: {'; '.join(problems)}")


# terraform ------------------------------------------------------------------------------------


def _terraform(ctx: StageContext, *args: str, stdout_only: bool = False) -> Command:
    workdir = _paths(ctx)["workdir"]
    return Command(
        ("terraform", f"-chdir={workdir}", *args),
        env={"TF_IN_AUTOMATION": "1"},
        timeout_s=TERRAFORM_TIMEOUT_S,
        stdout_only=stdout_only,
    )


def backend_config(ctx: StageContext, environ: dict[str, str] | None = None) -> dict[str, Any]:
    """Terraform's backend for this scenario: a local state file in its run-state folder, or
    S3 with DynamoDB locking when MOJALOOP_PERF_TF_S3_BUCKET is set."""
    env = os.environ if environ is None else environ
    bucket = env.get("MOJALOOP_PERF_TF_S3_BUCKET")
    if not bucket:
        return {"terraform": {"backend": {"local": {"path": "terraform.tfstate"}}}}
    s3: dict[str, Any] = {
        "bucket": bucket,
        "key": f"mojaloop_perf/{ctx.scenario.name}/terraform.tfstate",
        "region": env.get("MOJALOOP_PERF_TF_S3_REGION") or ctx.scenario.infrastructure.region,
        "encrypt": True,
    }
    if env.get("MOJALOOP_PERF_TF_DYNAMODB_TABLE"):
        s3["dynamodb_table"] = env["MOJALOOP_PERF_TF_DYNAMODB_TABLE"]
    return {"terraform": {"backend": {"s3": s3}}}


def runtime_vars(ctx: StageContext) -> dict[str, Any]:
    """Variables known only at run time, from the operator's environment (never committed)."""
    key = ssh_key(os.environ)
    public = Path(f"{key}.pub")
    return {
        "ssh_public_key": public.read_text().strip() if public.is_file() else "",
        "admin_cidr": os.environ.get("MOJALOOP_PERF_ADMIN_CIDR", ""),
        "identity_file": str(key),
    }


def _prepare_workdir(ctx: StageContext) -> None:
    """Copy the root module into the scenario's run-state folder, beside its own state."""
    source = ctx.project.root / TERRAFORM_SOURCE
    workdir = _paths(ctx)["workdir"]
    if ctx.dry_run:
        ctx.echo(f"[dry-run] copy {TERRAFORM_SOURCE}/ to {ctx.project.relative(workdir)}/")
        ctx.echo(
            f"[dry-run] write backend.tf.json: {json.dumps(backend_config(ctx), sort_keys=True)}"
        )
        ctx.echo(
            "[dry-run] write runtime.auto.tfvars.json (ssh_public_key, admin_cidr, identity_file)"
        )
        return
    if not source.is_dir():
        raise UserError(f"{TERRAFORM_SOURCE}/ not found in this checkout")
    workdir.mkdir(parents=True, exist_ok=True)
    for stale in [*workdir.glob("*.tf"), *workdir.glob("*.tftpl")]:
        stale.unlink()
    shutil.copytree(
        source,
        workdir,
        dirs_exist_ok=True,
        ignore=shutil.ignore_patterns(".terraform*", "*.tfstate*", "tests"),
    )
    write_json_atomic(workdir / "backend.tf.json", backend_config(ctx))
    write_json_atomic(workdir / "runtime.auto.tfvars.json", runtime_vars(ctx))
    os.chmod(workdir / "runtime.auto.tfvars.json", 0o600)


# provision ------------------------------------------------------------------------------------


def provision(ctx: StageContext) -> None:
    paths = _paths(ctx)
    preflight(ctx)
    files = render_aws.render_all(ctx.scenario)
    # The same check as `invoke render`: no values key that its chart does not read.
    for line in values_check.render_check(ctx.project, files):
        ctx.echo(f"provision: {line}")
    if ctx.dry_run:
        for relative in files:
            ctx.echo(f"[dry-run] write {ctx.project.relative(paths['rendered'] / relative)}")
    else:
        write_files(files, paths["rendered"])
    _prepare_workdir(ctx)
    tfvars = paths["rendered"] / "terraform.tfvars.json"
    plan_file = "tfplan"
    run_checked(ctx, _terraform(ctx, "init", "-input=false", "-reconfigure"))
    # A fresh plan every time: a saved plan goes stale as soon as anything changes.
    run_checked(
        ctx, _terraform(ctx, "plan", "-input=false", f"-var-file={tfvars}", f"-out={plan_file}")
    )
    if not ctx.assume_yes and not ctx.dry_run:
        ctx.echo(
            "provision: plan above; nothing created. Run again with --yes to apply it "
            "(creates AWS resources that cost money until `invoke destroy --target aws --yes`)"
        )
        return
    if ctx.dry_run and not ctx.assume_yes:
        ctx.echo("[dry-run] the commands below run only with --yes")
    run_checked(ctx, _terraform(ctx, "apply", "-input=false", plan_file))
    _write_access_files(ctx)
    for playbook in PLAYBOOKS:
        run_checked(ctx, playbook_command(ctx, playbook))
    if not ctx.dry_run:
        ctx.state.mark("provisioned", digest=ctx.scenario.digest)
        ctx.echo(
            f"provision: clusters ready; kubeconfigs in {ctx.project.relative(paths['kubeconfigs'])}/"
        )


def _write_access_files(ctx: StageContext) -> None:
    """inventory.ini and ssh_config from Terraform's outputs, for Ansible and for people."""
    paths = _paths(ctx)
    completed = run_checked(
        ctx, _terraform(ctx, "output", "-json", stdout_only=True), quiet_output=True
    )
    if completed.dry_run:
        ctx.echo(
            f"[dry-run] write {ctx.project.relative(paths['inventory'])} and ssh_config from the outputs"
        )
        return
    try:
        outputs = json.loads(completed.output)
        inventory = outputs["ansible_inventory"]["value"]
        ssh_config = outputs["ssh_config"]["value"]
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise UserError(
            f"terraform output -json: no ansible_inventory/ssh_config outputs ({exc})"
        ) from exc
    write_json_atomic(paths["outputs"], outputs)
    write_text_atomic(paths["inventory"], inventory)
    write_text_atomic(paths["ssh_config"], ssh_config)
    paths["kubeconfigs"].mkdir(parents=True, exist_ok=True)


def playbook_command(ctx: StageContext, playbook: str, group_vars: Path | None = None) -> Command:
    """ansible-playbook of `playbook` with the rendered group vars (or `group_vars`: the deploy
    stage's copy bound to Terraform's outputs)."""
    paths = _paths(ctx)
    ansible = ctx.project.root / ANSIBLE_DIR
    return Command(
        (
            tool("ansible-playbook") or "ansible-playbook",
            "-i",
            str(paths["inventory"]),
            "-e",
            f"@{group_vars or paths['rendered'] / 'ansible' / 'group_vars' / 'all.json'}",
            "-e",
            f"mlperf_kubeconfig_dir={paths['kubeconfigs']}",
            str(ansible / "playbooks" / playbook),
        ),
        env={
            "ANSIBLE_CONFIG": str(ansible / "ansible.cfg"),
            # Added to Ansible's own SSH options (ControlPersist…), not replacing them.
            "ANSIBLE_SSH_COMMON_ARGS": f"-F {paths['ssh_config']}",
        },
        timeout_s=PLAYBOOK_TIMEOUT_S,
    )


def run_checked(ctx: StageContext, command: Command, *, quiet_output: bool = False):
    sink = (lambda _line: None) if quiet_output else (lambda line: ctx.echo(f"  {line}"))
    completed = ctx.runner.run(command, on_line=sink)
    if completed.returncode != 0:
        raise UserError(
            f"{' '.join(command.argv[:2])} … failed with exit code {completed.returncode}; see its output above"
        )
    return completed


# destroy and status ---------------------------------------------------------


def destroy(ctx: StageContext) -> None:
    paths = _paths(ctx)
    if not ctx.dry_run and not (paths["workdir"] / "backend.tf.json").exists():
        ctx.echo(f"destroy: nothing provisioned on AWS for scenario {ctx.scenario.name}")
        return
    if not ctx.assume_yes and not ctx.dry_run:
        raise UserError(
            f"destroy deletes every AWS resource of scenario {ctx.scenario.name}: "
            f"run {ctx.invoke_hint('destroy')} --yes to confirm"
        )
    preflight(ctx)
    if (ctx.state_dir / "tunnel.sock").exists():
        from mojaloop_perf.targets import aws_access

        # A tunnel left behind by an interrupted stage: close it before its bastion goes.
        ctx.runner.run(aws_access.close_command(ctx), on_line=lambda _line: None)
    tfvars = paths["rendered"] / "terraform.tfvars.json"
    run_checked(
        ctx, _terraform(ctx, "destroy", "-input=false", "-auto-approve", f"-var-file={tfvars}")
    )
    if not ctx.dry_run:
        ctx.state.clear("provisioned", "deployed", "seeded")
        for stale in (paths["inventory"], paths["ssh_config"], paths["outputs"]):
            stale.unlink(missing_ok=True)
        ctx.echo(
            f"destroy: AWS resources of scenario {ctx.scenario.name} deleted; results untouched"
        )


def status(ctx: StageContext) -> None:
    paths = _paths(ctx)
    provisioned = ctx.state.get("provisioned")
    ctx.echo(f"scenario {ctx.scenario.name} on target aws (digest {ctx.scenario.digest})")
    ctx.echo(f"  provisioned: {'yes, ' + provisioned['at'] if provisioned else 'no'}")
    if paths["outputs"].exists():
        outputs = read_json(paths["outputs"])
        ctx.echo(f"  bastion:     {outputs.get('bastion_public_ip', {}).get('value')}")
        ctx.echo(f"  nodes:       {len(outputs.get('nodes', {}).get('value') or {})}")
