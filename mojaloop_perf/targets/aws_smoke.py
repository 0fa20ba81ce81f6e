"""`invoke smoke --target aws`: one transfer through the first payer's SDK, through the tunnels."""

from __future__ import annotations

from typing import Any

from mojaloop_perf.errors import UserError
from mojaloop_perf.targets.aws_seed_addresses import switch_access


def smoke_stage(ctx: Any) -> None:
    """`invoke smoke --target aws`: one transfer through the first payer's SDK."""
    from mojaloop_perf import smoke as smoke_test
    from mojaloop_perf.targets import aws, aws_access, aws_deployed

    aws_deployed.require_deployed(ctx, "smoke")
    if not ctx.dry_run and not ctx.state.get("seeded"):
        raise UserError(f"smoke needs seed first: run {ctx.invoke_hint('seed')}")
    aws.preflight(ctx)
    with aws_access.tunnel(ctx) as ports:
        access = switch_access(ports)
        smoke_test.smoke(
            ctx.runner, ctx.echo, ctx.scenario, access.outbound_url, access.simulator_headers
        )
