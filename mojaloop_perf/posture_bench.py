"""Benchmark (`nox -s bench-posture`): what each security posture costs the local chain.

The `bench-posture` scenario runs for real once per posture, at the same fixed rate: the lab in
one process, then the switch and every DFSP as processes of their own exchanging FSPIOP over HTTP
in plain text, with TLS at the switch's edge, with mutual TLS at the edge and end to end, and
with mutual TLS end to end plus JWS on every request. Printed side by side: achieved TPS, e2e
p95, the lab's CPU per transaction (the lab process and its DFSP processes, read from /proc) and
k6's (the kernel's account of waited-for children). On one machine these figures say what the
posture costs this lab and the harness, not what it costs a real hub.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema

from mojaloop_perf.chain_cost import Figures, measure
from mojaloop_perf.errors import UserError
from mojaloop_perf.project import Project
from mojaloop_perf.scenario import checks, components
from mojaloop_perf.scenario.load import deep_merge, load_scenario
from mojaloop_perf.scenario.model import Scenario

SCENARIO = "bench-posture"


@dataclass(frozen=True)
class Posture:
    """One column of the comparison: a label and what it changes in the scenario."""

    label: str
    overrides: Mapping[str, Any]


def _posture(label: str, hops: str, **security: Any) -> Posture:
    return Posture(label, {"local": {"hops": hops}, "security": security})


_MUTUAL = {"mode": "mutual", "scope": "end_to_end"}
_JWS = {"sign": True, "validate": True, "put_parties": True}
POSTURES: tuple[Posture, ...] = (
    _posture("plaintext, one process", "in_process"),
    _posture("plaintext", "http"),
    _posture("tls at the edge", "http", tls={"mode": "tls", "scope": "edge"}),
    _posture("mtls at the edge", "http", tls={"mode": "mutual", "scope": "edge"}),
    _posture("mtls end to end", "http", tls=_MUTUAL),
    _posture("mtls end to end + jws", "http", tls=_MUTUAL, jws=_JWS),
)


def variant(base: Scenario, posture: Posture) -> Scenario:
    """`base` with the posture's overrides, validated as a scenario file would be."""
    config = deep_merge(base.config, posture.overrides)
    for name in posture.overrides:
        try:
            jsonschema.validate(config[name], components.schema(name))
        except jsonschema.ValidationError as error:
            raise UserError(f"posture {posture.label!r}: {name}: {error.message}") from None
    for result in checks.run(config, target="local"):
        if result.level == checks.ERROR:
            raise UserError(f"posture {posture.label!r}: {result.component}: {result.message}")
    return base.with_config(config)


def table(rows: Sequence[Figures], tps: float, transactions: int) -> str:
    header = ("posture", "achieved TPS", "e2e p95 ms", "lab CPU ms/tx", "k6 CPU ms/tx", "failed")
    lines = [
        f"bench-posture: {tps:g} TPS x {transactions} transactions per posture, "
        f"{os.cpu_count()} cores",
        f"{header[0]:<24} {header[1]:>12} {header[2]:>10} {header[3]:>13} "
        f"{header[4]:>12} {header[5]:>6}",
    ]
    lines += [
        f"{row.label:<24} {row.achieved_tps:>12.1f} {row.e2e_p95_ms:>10.1f} "
        f"{row.lab_cpu_ms:>13.2f} {row.k6_cpu_ms:>12.2f} {row.failed:>6}"
        for row in rows
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="the workspace checkout")
    args = parser.parse_args(argv)
    project = Project(args.root.resolve())
    try:
        base = load_scenario(project, SCENARIO)
        rows = []
        for posture in POSTURES:
            print(f"bench-posture: {posture.label} ...", flush=True)
            rows.append(measure(project, variant(base, posture), posture.label))
    except UserError as error:
        print(f"bench-posture: {error}", file=sys.stderr)
        return error.exit_code
    print(table(rows, base.load.tps, base.load.transactions), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
