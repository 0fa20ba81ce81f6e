"""The AWS target: Terraform, Ansible, Helm and the k6 Operator. Not built yet."""

from __future__ import annotations

from mlperf.errors import UserError
from mlperf.targets.base import StageContext


def not_yet_implemented(ctx: StageContext) -> None:
    raise UserError("--target aws: not yet implemented; use --target local (the default)")
