"""No silent keys: every key of a rendered values file is in the chart's values or read by it.

`probe` checks one values file against one chart; `releases` checks every release a scenario
renders for the AWS target against the upstream charts on this machine.
"""

from __future__ import annotations

from mojaloop_perf.values_check.probe import Check, silent_keys
from mojaloop_perf.values_check.releases import (
    AWS_SCENARIOS,
    ReleaseCheck,
    check_releases,
    main,
    render_check,
)

__all__ = [
    "AWS_SCENARIOS",
    "Check",
    "ReleaseCheck",
    "check_releases",
    "main",
    "render_check",
    "silent_keys",
]
