"""Targets implement the same stages; `stage_function` picks one by target and stage name."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mojaloop_perf import render_aws, values_check
from mojaloop_perf.errors import UserError
from mojaloop_perf.project import Project
from mojaloop_perf.scenario.model import Scenario
from mojaloop_perf.targets import (
    aws,
    aws_deploy,
    aws_seed,
    aws_smoke,
    aws_test_stage,
    local,
    local_test_stage,
)
from mojaloop_perf.targets.base import StageContext

TARGETS: dict[str, dict[str, Callable[[StageContext], Any]]] = {
    "local": {
        "provision": local.provision,
        "deploy": local.deploy,
        "seed": local.seed_lab,
        "smoke": local.smoke,
        "test": local_test_stage.test,
        "destroy": local.destroy,
        "status": local.status,
    },
    "aws": {
        "provision": aws.provision,
        "deploy": aws_deploy.deploy,
        "seed": aws_seed.seed_stage,
        "smoke": aws_smoke.smoke_stage,
        "test": aws_test_stage.test,
        "destroy": aws.destroy,
        "status": aws.status,
    },
}


RENDERERS: dict[str, Callable[[Scenario], dict[str, Any]]] = {
    "local": local.rendered_files,
    "aws": render_aws.render_all,
}


# What `render` checks before it writes (lines to show; UserError on a finding), per target.
RENDER_CHECKS: dict[str, Callable[[Project, dict[str, Any]], list[str]]] = {
    "aws": values_check.render_check,
}


def check_target(target: str) -> None:
    if target not in TARGETS:
        raise UserError(f"--target: unknown target {target!r} (choose {', '.join(TARGETS)})")


def stage_function(target: str, stage: str) -> Callable[[StageContext], Any]:
    check_target(target)
    return TARGETS[target][stage]
