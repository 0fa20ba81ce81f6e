"""The local target: the lab as a background process on loopback, and the real k6 against it.

provision renders the lab config and topology into the run-state folder; deploy generates the
run's keys and certificates when the security posture needs them (`local.hops: http` only) and
starts the lab; seed onboards participants and MSISDN ranges through its admin API; test
(local_test_stage.py) runs k6 and writes a run folder; destroy stops the lab. Each stage is idempotent
and refuses to run before the stage it needs.
"""

from __future__ import annotations

import json
from typing import Any

from mojaloop_perf import k6, render, seed
from mojaloop_perf.errors import UserError
from mojaloop_perf.fsutil import read_json, write_json_atomic
from mojaloop_perf.results import record
from mojaloop_perf.results.runs import list_runs
from mojaloop_perf.runner import HttpCall
from mojaloop_perf.scenario.model import Scenario
from mojaloop_perf.security import pki
from mojaloop_perf.smoke import dig
from mojaloop_perf.targets import local_lab
from mojaloop_perf.targets.base import StageContext

LAB_CONFIG = "lab.json"
TOPOLOGY = "topology.json"
LAB_LOG = "lab.log"


def _admin_url(ctx: StageContext) -> str:
    return render.lab_admin_url(ctx.scenario)


def rendered_files(scenario: Scenario) -> dict[str, Any]:
    """The local target's tool inputs: the lab's config, the topology and k6's environment."""
    urls = render.local_outbound_urls(scenario)
    return {
        LAB_CONFIG: render.lab_config(scenario),
        TOPOLOGY: {"admin_url": render.lab_admin_url(scenario), "dfsps": urls},
        "k6.env.json": {"MOJALOOP_PERF_CONFIG": k6.config_env(render.k6_config(scenario, urls))},
    }


# provision ------------------------------------------------------------------------------------


def provision(ctx: StageContext) -> None:
    rendered = rendered_files(ctx.scenario)
    lab, topology = rendered[LAB_CONFIG], rendered[TOPOLOGY]
    files = {ctx.state_dir / LAB_CONFIG: lab, ctx.state_dir / TOPOLOGY: topology}
    if ctx.dry_run:
        for path, content in files.items():
            ctx.echo(f"[dry-run] write {ctx.project.relative(path)}:")
            ctx.echo(json.dumps(content, indent=2, sort_keys=True))
        return
    done = ctx.state.get("provisioned")
    if done and done.get("digest") == ctx.scenario.digest and all(p.exists() for p in files):
        ctx.echo(f"provision: up to date ({ctx.project.relative(ctx.state_dir)}), nothing to do")
        return
    for path, content in files.items():
        write_json_atomic(path, content)
    ctx.state.mark("provisioned", digest=ctx.scenario.digest, lab_hash=lab["config_hash"])
    ctx.echo(f"provision: lab admin API {topology['admin_url']}")
    for dfsp_id, url in topology["dfsps"].items():
        ctx.echo(f"  {dfsp_id:<8} {url}")
    ctx.echo(f"provision: run state in {ctx.project.relative(ctx.state_dir)}")


def _require_provisioned(ctx: StageContext, stage: str) -> dict[str, Any]:
    done = ctx.state.get("provisioned")
    lab_path = ctx.state_dir / LAB_CONFIG
    if not done or not lab_path.exists():
        raise UserError(f"{stage} needs provision first: run {ctx.invoke_hint('provision')}")
    if done.get("digest") != ctx.scenario.digest:
        raise UserError(
            f"scenario {ctx.scenario.name} changed since it was provisioned: "
            f"run {ctx.invoke_hint('provision')} again"
        )
    return read_json(lab_path)


# deploy ---------------------------------------------------------------------------------------


def _pki_args(ctx: StageContext) -> dict[str, Any]:
    scenario = ctx.scenario
    hosts = list(dict.fromkeys([scenario.local.host, "localhost", "127.0.0.1"]))
    return {
        "participants": [d.id for d in scenario.dfsps],
        "hosts": hosts,
        "key_bits": scenario.security.pki.key_bits,
        "validity_days": scenario.security.pki.validity_days,
    }


def _ensure_pki(ctx: StageContext) -> None:
    """The run's CA, certificates and JWS keys beside lab.json, when the posture needs them."""
    if ctx.scenario.local.hops != "http" or not ctx.scenario.security.needs_pki:
        return
    directory = ctx.state_dir / render.LAB_PKI_DIR
    args = _pki_args(ctx)
    if ctx.dry_run:
        for line in pki.plan(directory, **args):
            ctx.echo(f"[dry-run] pki: {line}")
        return
    pki.generate(directory, **args)
    ctx.echo(
        f"deploy: keys and certificates in {ctx.project.relative(directory)} "
        f"(RSA {args['key_bits']}, valid {args['validity_days']} days, "
        f"posture {ctx.scenario.security.posture})"
    )


def deploy(ctx: StageContext) -> None:
    if ctx.dry_run:
        lab = render.lab_config(ctx.scenario)
        _ensure_pki(ctx)
        ctx.runner.spawn(local_lab.spawn_lab(ctx.state_dir / LAB_CONFIG, ctx.state_dir / LAB_LOG))
        ctx.runner.http(HttpCall("GET", f"{_admin_url(ctx)}/health"), quiet=False)
        ctx.echo(f"[dry-run] wait until /health reports config_hash {lab['config_hash']}")
        return
    lab = _require_provisioned(ctx, "deploy")
    admin_url = _admin_url(ctx)
    running = _running_lab(ctx)
    if running is not None:
        pid, answer = running
        if answer is not None and answer.get("config_hash") == lab["config_hash"]:
            ctx.echo(f"deploy: lab already running (pid {pid}) with this config, nothing to do")
            return
        ctx.echo(f"deploy: lab (pid {pid}) runs another config; restarting it")
        local_lab.stop(pid)
        ctx.state.clear("deployed", "seeded")

    busy = local_lab.busy_port(lab["host"], render.local_ports(ctx.scenario))
    if busy is not None:
        port, what = busy
        raise UserError(
            f"port {port} ({what}) on {lab['host']} is already in use by another process: "
            f"free it, or set base_port in {_local_override_hint(ctx)}"
        )
    _ensure_pki(ctx)
    log_path = ctx.state_dir / LAB_LOG
    pid = ctx.runner.spawn(local_lab.spawn_lab(ctx.state_dir / LAB_CONFIG, log_path))
    assert pid is not None
    answer = local_lab.wait_healthy(
        admin_url, pid, lab["config_hash"], ctx.scenario.local.startup_timeout_s, log_path, ctx.echo
    )
    ctx.state.mark(
        "deployed", pid=pid, config_hash=lab["config_hash"], lab_started_at=answer.get("started_at")
    )
    ctx.state.clear("seeded")
    ctx.echo(f"deploy: lab running (pid {pid}), log {ctx.project.relative(log_path)}")


def _running_lab(ctx: StageContext) -> tuple[int, dict[str, Any] | None] | None:
    """(pid, health) of the lab this scenario started, when it is still running."""
    deployed = ctx.state.get("deployed")
    if not deployed:
        return None
    pid = int(deployed["pid"])
    if not local_lab.is_lab_process(pid):
        ctx.state.clear("deployed", "seeded")
        return None
    answer = local_lab.health(_admin_url(ctx))
    if answer is not None and answer.get("pid") != pid:
        answer = None
    return pid, answer


def require_deployed(ctx: StageContext, stage: str) -> dict[str, Any]:
    lab = _require_provisioned(ctx, stage)
    running = _running_lab(ctx)
    if running is None:
        raise UserError(
            f"{stage} needs deploy first: the lab is not running; run {ctx.invoke_hint('deploy')}"
        )
    pid, answer = running
    if answer is None:
        raise UserError(
            f"the lab (pid {pid}) does not answer {_admin_url(ctx)}/health: "
            f"run {ctx.invoke_hint('destroy')} and {ctx.invoke_hint('deploy')}"
        )
    if answer.get("config_hash") != lab["config_hash"]:
        raise UserError(f"the lab runs an older config: run {ctx.invoke_hint('deploy')} again")
    return answer


def _local_override_hint(ctx: StageContext) -> str:
    return ctx.project.relative(ctx.scenario.directory / "overrides" / "local.yaml")


# seed -----------------------------------------------------------------------------------------


def seed_lab(ctx: StageContext) -> None:
    admin_url = _admin_url(ctx)
    if not ctx.dry_run:
        require_deployed(ctx, "seed")
    created = {"participants": 0, "ranges": 0}
    for participant in seed.participants(ctx.scenario):
        body = {"currency": participant["currency"], "ndc": participant["ndc"]}
        url = f"{admin_url}/admin/participants/{participant['fspId']}"
        created["participants"] += _admin_put(ctx, url, body)
    for entry in seed.msisdn_ranges(ctx.scenario):
        body = {"start": entry["start"], "count": entry["count"]}
        url = f"{admin_url}/admin/participants/{entry['fspId']}/msisdns"
        created["ranges"] += _admin_put(ctx, url, body)
    urls = render.local_outbound_urls(ctx.scenario)
    for lookup in seed.sample_lookups(ctx.scenario):
        call = HttpCall("GET", f"{urls[lookup.via]}/parties/MSISDN/{lookup.msisdn}")
        response = ctx.runner.http(call, quiet=not ctx.dry_run)
        if response is None:
            continue
        found = (
            dig(response.body, "party", "body", "partyIdInfo", "fspId")
            if response.status == 200
            else None
        )
        if found != lookup.owner:
            raise UserError(
                f"seed: lookup of MSISDN {lookup.msisdn} via {lookup.via} gave "
                f"{found or f'HTTP {response.status}'}, expected {lookup.owner}"
            )
    if ctx.dry_run:
        return
    health = local_lab.health(admin_url) or {}
    ctx.state.mark("seeded", digest=ctx.scenario.digest, lab_started_at=health.get("started_at"))
    n = len(ctx.scenario.dfsps)
    msisdns = sum(d.msisdns.count for d in ctx.scenario.dfsps)
    ctx.echo(
        f"seed: {n} participants ({created['participants']} new), {n} MSISDN ranges "
        f"({created['ranges']} new, {msisdns} MSISDNs); sample lookup verified for {n} DFSPs"
    )


def smoke(ctx: StageContext) -> None:
    """One transfer end to end through the first payer's outbound API of the lab."""
    from mojaloop_perf import smoke as smoke_test

    if not ctx.dry_run:
        answer = require_deployed(ctx, "smoke")
        seeded = ctx.state.get("seeded")
        if not seeded or seeded.get("lab_started_at") != answer.get("started_at"):
            raise UserError(f"smoke needs seed first: run {ctx.invoke_hint('seed')}")
    smoke_test.smoke(ctx.runner, ctx.echo, ctx.scenario, render.local_outbound_urls(ctx.scenario))


def _admin_put(ctx: StageContext, url: str, body: dict[str, Any]) -> int:
    """PUT to the admin API; 1 when it created something, 0 when it was already there."""
    response = ctx.runner.http(HttpCall("PUT", url, body), quiet=not ctx.dry_run)
    if response is None:
        return 0
    if response.status in (200, 201):
        return int(response.status == 201)
    info = response.body.get("errorInformation", {}) if isinstance(response.body, dict) else {}
    detail = info.get("errorDescription") or response.body
    raise UserError(f"seed: PUT {url} failed with HTTP {response.status}: {detail}")


# test -----------------------------------------------------------------------------------------


def destroy(ctx: StageContext) -> None:
    deployed = ctx.state.get("deployed")
    pid = int(deployed["pid"]) if deployed else None
    if ctx.dry_run:
        ctx.echo(
            f"[dry-run] stop the lab (pid {pid or 'none'}) and clear {ctx.project.relative(ctx.state_dir)}"
        )
        return
    if pid is not None and local_lab.is_lab_process(pid):
        local_lab.stop(pid)
        ctx.echo(f"destroy: stopped the lab (pid {pid})")
    else:
        ctx.echo("destroy: no lab running for this scenario")
    ctx.state.clear("deployed", "seeded", "provisioned")
    ctx.echo(
        f"destroy: results under {ctx.project.relative(ctx.project.runs_dir(ctx.scenario.name))} are untouched"
    )


def status(ctx: StageContext) -> None:
    state = ctx.state.read()
    ctx.echo(f"scenario {ctx.scenario.name} on target {ctx.target} (digest {ctx.scenario.digest})")
    provisioned = state.get("provisioned")
    if provisioned is None:
        ctx.echo("  provisioned: no")
    else:
        stale = (
            "" if provisioned.get("digest") == ctx.scenario.digest else " (scenario changed since)"
        )
        ctx.echo(f"  provisioned: yes, {provisioned['at']}{stale}")
    running = _running_lab(ctx)
    if running is None:
        ctx.echo("  deployed:    no")
    else:
        pid, answer = running
        health = "healthy" if answer else "not answering"
        ctx.echo(f"  deployed:    yes, lab pid {pid}, {health}, {_admin_url(ctx)}")
    seeded = ctx.state.get("seeded")
    live = running is not None and running[1] is not None
    if seeded and live and seeded.get("lab_started_at") == running[1].get("started_at"):
        ctx.echo(f"  seeded:      yes, {seeded['at']}")
    else:
        ctx.echo("  seeded:      no")
    runs = list_runs(ctx.project.runs_dir(ctx.scenario.name))
    ctx.echo(
        f"  runs:        {len(runs)} in {ctx.project.relative(ctx.project.runs_dir(ctx.scenario.name))}"
    )
    for run in runs[-5:]:
        ctx.echo(f"    {record.one_line(run)}")
