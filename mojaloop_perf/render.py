"""Render: a validated scenario in, concrete tool inputs out. Pure: no files, no processes.

The same k6 config feeds the local k6 processes and (later) the k6 Operator TestRun; only the
DFSP outbound URLs differ between targets.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from mojaloop_perf.scenario.model import STEADY_SELECTOR, Scenario
from mojaloop_perf.seed import msisdn_ranges, participants

# `hops: http`: the switch's FSPIOP API on base_port + 50, the DFSPs' inbound APIs after it.
SWITCH_PORT_OFFSET = 50
# Where the networked lab finds the run's keys and certificates: relative to its config file.
LAB_PKI_DIR = "pki"


def local_outbound_urls(scenario: Scenario) -> dict[str, str]:
    """Each DFSP's outbound API base URL on the local lab: the n-th DFSP on base_port + n."""
    host, base = scenario.local.host, scenario.local.base_port
    return {
        dfsp.id: f"http://{host}:{base + n}/sim/{dfsp.id}/outbound"
        for n, dfsp in enumerate(scenario.dfsps, start=1)
    }


def lab_admin_url(scenario: Scenario) -> str:
    return f"http://{scenario.local.host}:{scenario.local.base_port}"


def local_ports(scenario: Scenario) -> list[tuple[int, str]]:
    """Every port the local lab listens on, with what listens there (for the busy-port check).

    The admin API on base_port and the n-th DFSP's outbound API on base_port + n; with
    `hops: http` also the switch's FSPIOP API on base_port + 50 and the n-th DFSP's FSPIOP
    inbound API on base_port + 50 + n.
    """
    base = scenario.local.base_port
    ports = [(base, "lab admin API")]
    ports += [(base + n, f"{d.id} outbound API") for n, d in enumerate(scenario.dfsps, start=1)]
    if scenario.local.hops == "http":
        ports.append((base + SWITCH_PORT_OFFSET, "switch FSPIOP API"))
        ports += [
            (base + SWITCH_PORT_OFFSET + n, f"{d.id} FSPIOP inbound API")
            for n, d in enumerate(scenario.dfsps, start=1)
        ]
    return ports


def lab_security(scenario: Scenario) -> dict[str, Any]:
    """The lab config's `security` block: the scenario's posture, keys in `pki/` beside it."""
    security = scenario.security
    block: dict[str, Any] = {
        "tls": security.tls.mode,
        "scope": security.tls.scope,
        "jws": {
            "sign": security.jws.sign,
            "validate": security.jws.validate,
            "put_parties": security.jws.put_parties,
        },
    }
    if security.needs_pki:
        block["pki_dir"] = LAB_PKI_DIR
    return block


def lab_config(scenario: Scenario) -> dict[str, Any]:
    """The lab's own config file (`python -m mojaloop_perf.lab --config`), with a hash of what it serves."""
    local = scenario.local
    config: dict[str, Any] = {
        "host": local.host,
        "admin_port": local.base_port,
        "latency_ms": dict(local.latency_ms),
        "timeout_s": local.sdk_timeout_s,
        "faults": local.faults,
        "dfsps": [
            {"fsp_id": dfsp.id, "port": local.base_port + n}
            for n, dfsp in enumerate(scenario.dfsps, start=1)
        ],
    }
    if local.hops == "http":
        config["hops"] = "http"
        config["switch_port"] = local.base_port + SWITCH_PORT_OFFSET
        for n, dfsp in enumerate(config["dfsps"], start=1):
            dfsp["inbound_port"] = local.base_port + SWITCH_PORT_OFFSET + n
        config["security"] = lab_security(scenario)
    # The hash covers the seed data too: the lab keeps what seed registers in memory, so a
    # changed participant or MSISDN range needs a fresh lab, not a second registration.
    hashed = {
        "lab": config,
        "participants": participants(scenario),
        "ranges": msisdn_ranges(scenario),
    }
    canonical = json.dumps(hashed, sort_keys=True, separators=(",", ":"))
    config["config_hash"] = hashlib.sha256(canonical.encode()).hexdigest()[:16]
    return config


def k6_config(scenario: Scenario, outbound_urls: Mapping[str, str]) -> dict[str, Any]:
    """The k6 script's MOJALOOP_PERF_CONFIG: load shape, pairs, the DFSPs they use, thresholds."""
    load = scenario.load
    used = sorted({p.source for p in load.pairs} | {p.dest for p in load.pairs})
    return {
        "tps": load.tps,
        "duration_s": load.duration_s,
        "warmup_s": load.warmup_s,
        "drain_s": load.drain_s,
        "pre_allocated_vus": load.pre_allocated_vus,
        "max_vus": load.max_vus,
        "currency": scenario.currency,
        "amount": load.amount,
        "http_timeout_s": load.http_timeout_s,
        "pairs": [{"source": p.source, "dest": p.dest, "weight": p.weight} for p in load.pairs],
        "dfsps": {
            dfsp_id: {
                "outbound_url": outbound_urls[dfsp_id],
                "msisdn_start": scenario.dfsp(dfsp_id).msisdns.start,
                "msisdn_count": scenario.dfsp(dfsp_id).msisdns.count,
            }
            for dfsp_id in used
        },
        "thresholds": k6_thresholds(scenario),
    }


def k6_thresholds(scenario: Scenario) -> dict[str, list[str]]:
    """The scenario's thresholds as k6 gets them: with `thresholds_window: steady` each one
    applies to its metric's steady-window sub-metric (the checks allow only untagged metrics of
    the script there, which tag every sample `steady:true|false`)."""
    load = scenario.load
    suffix = STEADY_SELECTOR if load.thresholds_window == "steady" else ""
    return {f"{metric}{suffix}": list(exprs) for metric, exprs in load.thresholds.items()}
