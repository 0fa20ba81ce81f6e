"""Seed on AWS: onboard the scenario's DFSPs on the switch and their parties on the simulators.

The plan (aws_seed_plan) is run phase by phase (aws_seed_run) through the SSH tunnels
(aws_seed_addresses); `verify` then resolves one sample MSISDN per DFSP through the SDK
outbound API, and `seed_stage` is `invoke seed --target aws`.
"""

from __future__ import annotations

import http.client
from typing import Any

from mojaloop_perf import seed
from mojaloop_perf.errors import UserError
from mojaloop_perf.runner import HttpCall, Runner
from mojaloop_perf.scenario.model import Scenario
from mojaloop_perf.smoke import describe_answer, dig, reason
from mojaloop_perf.targets.aws_seed_addresses import SwitchAccess, switch_access
from mojaloop_perf.targets.aws_seed_plan import seed_phases
from mojaloop_perf.targets.aws_seed_run import Context, calls_phrase, run_seed

VERIFY_WORKERS = 8


def verify(runner: Runner, access: SwitchAccess, scenario: Scenario) -> None:
    """One sample lookup per DFSP through the asking DFSP's SDK outbound API (in parallel).

    UserError naming the DFSP, the MSISDN and the answer when one does not resolve to its owner.
    """
    lookups = seed.sample_lookups(scenario)
    calls = [
        HttpCall(
            "GET",
            f"{access.outbound_url(lookup.via)}/parties/MSISDN/{lookup.msisdn}",
            timeout_s=scenario.load.http_timeout_s,
            headers=access.simulator_headers(lookup.via),
        )
        for lookup in lookups
    ]
    if runner.dry_run:
        runner.echo(f"[dry-run] seed: sample lookups: {calls_phrase(len(calls))}")
    try:
        answers = runner.http_many(calls, workers=VERIFY_WORKERS)
    except (OSError, http.client.HTTPException) as exc:
        raise UserError(
            f"seed: sample lookups: a simulator's outbound API is not reachable through its "
            f"tunnel ({reason(exc)})"
        ) from None
    for lookup, answer in zip(lookups, answers, strict=True):
        if answer is None:
            continue
        found = dig(answer.body, "party", "body", "partyIdInfo", "fspId")
        if answer.status != 200 or found != lookup.owner:
            got = f"fspId {found}" if answer.status == 200 else describe_answer(answer)
            raise UserError(
                f"seed: lookup of MSISDN {lookup.msisdn} (held by {lookup.owner}) via "
                f"{lookup.via} gave {got}, expected {lookup.owner}"
            )


def seed_all(ctx: Context, scenario: Scenario, access: SwitchAccess, *, workers: int = 16) -> None:
    """The whole AWS seed: every phase, then the sample lookups, then one summary line."""
    tallies = run_seed(ctx, seed_phases(scenario, access), workers=workers)
    verify(ctx.runner, access, scenario)
    if ctx.runner.dry_run:
        return
    n = len(scenario.dfsps)
    parties = [tallies[f"parties {d.id}"] for d in scenario.dfsps]
    msisdns = tallies["oracle MSISDNs"]
    ctx.echo(
        f"seed: {n} participants ({tallies['participants'].new} new), "
        f"{msisdns.new + msisdns.there} MSISDNs in the oracle ({msisdns.new} new), "
        f"{sum(p.new + p.there for p in parties)} simulator parties "
        f"({sum(p.new for p in parties)} new); sample lookup verified for {n} DFSPs"
    )


def seed_stage(ctx: Any) -> None:
    """`invoke seed --target aws`: onboard, register, verify, through the tunnel."""
    from mojaloop_perf.targets import aws, aws_access, aws_deployed

    aws_deployed.require_deployed(ctx, "seed")
    aws.preflight(ctx)
    with aws_access.tunnel(ctx) as ports:
        seed_all(ctx, ctx.scenario, switch_access(ports))
    if not ctx.dry_run:
        ctx.state.mark("seeded", digest=ctx.scenario.digest)
