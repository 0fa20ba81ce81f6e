"""Checks of the admin API's request bodies; each fails with FSPIOP 3100 naming the field (HTTP 400)."""

from __future__ import annotations

import re
from typing import Any

from mojaloop_perf.lab.errors import validation_error

CURRENCY_RE = re.compile(r"[A-Z]{3}")

JsonObject = dict[str, Any]


def obj(value: Any, path: str) -> JsonObject:
    """``value`` if it is a JSON object."""
    if not isinstance(value, dict):
        raise validation_error(
            path, "must be a JSON object" if value is not None else "is required"
        )
    return value


def child(parent: JsonObject, key: str, path: str) -> JsonObject:
    """The object at ``parent[key]``."""
    return obj(parent.get(key), join(path, key))


def join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def string(
    parent: JsonObject,
    key: str,
    path: str,
    *,
    pattern: re.Pattern[str] | None = None,
    what: str = "",
    optional: bool = False,
) -> str:
    """The non-empty string at ``parent[key]`` (``""`` when optional and absent)."""
    value = parent.get(key)
    name = join(path, key)
    if value is None:
        if optional:
            return ""
        raise validation_error(name, "is required")
    if not isinstance(value, str):
        raise validation_error(name, "must be a string")
    if not value:
        raise validation_error(name, "must not be empty")
    if pattern is not None and pattern.fullmatch(value) is None:
        raise validation_error(name, what or f"must match {pattern.pattern}")
    return value
