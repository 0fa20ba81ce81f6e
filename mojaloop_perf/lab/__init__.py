"""The local lab: a stand-in Mojaloop switch and DFSP simulators for exercising k6 on loopback.

A test instrument, not a Mojaloop implementation; see docs/local-lab.md.
"""

from mojaloop_perf.lab.app import Lab, admin_app
from mojaloop_perf.lab.config import (
    ConfigError,
    DfspConfig,
    LabConfig,
    Latency,
    load_config,
    parse_config,
)
from mojaloop_perf.lab.outbound import outbound_app
from mojaloop_perf.lab.server import ListenError, RunningLab, run, serve, start_lab

__all__ = [
    "ConfigError",
    "DfspConfig",
    "Lab",
    "LabConfig",
    "Latency",
    "ListenError",
    "RunningLab",
    "admin_app",
    "load_config",
    "outbound_app",
    "parse_config",
    "run",
    "serve",
    "start_lab",
]
