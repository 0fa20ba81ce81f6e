"""Cheap request-body checks that fail with FSPIOP 3100 naming the field (HTTP 400)."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from mlperf.lab import ilp
from mlperf.lab.errors import validation_error

# Mojaloop API v1.1 Amount and Currency patterns.
AMOUNT_RE = re.compile(r"(0|[1-9][0-9]{0,17})(\.[0-9]{0,3}[1-9])?")
CURRENCY_RE = re.compile(r"[A-Z]{3}")
FSP_ID_RE = re.compile(r"[^\s/]{1,32}")
ILP_PACKET_RE = re.compile(r"[A-Za-z0-9_-]+={0,2}")
MAX_ILP_PACKET = 32768

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


def money(parent: JsonObject, key: str, path: str) -> JsonObject:
    """A Mojaloop Money object ``{currency, amount}`` with a positive amount that fits ILP."""
    value = child(parent, key, path)
    name = join(path, key)
    currency = string(value, "currency", name, pattern=CURRENCY_RE, what="must be 3 capitals")
    amount = string(
        value, "amount", name, pattern=AMOUNT_RE, what="must be a Mojaloop amount such as 100.25"
    )
    if Decimal(amount) == 0:
        raise validation_error(f"{name}.amount", "must be greater than 0")
    try:
        ilp.amount_to_units(amount, currency)
    except ilp.IlpError as exc:
        raise validation_error(f"{name}.amount", str(exc)) from None
    return value


def party_id_info(parent: JsonObject, key: str, path: str) -> JsonObject:
    """``parent[key].partyIdInfo`` with partyIdType and partyIdentifier (fspId optional)."""
    party = child(parent, key, path)
    info = child(party, "partyIdInfo", join(path, key))
    name = join(join(path, key), "partyIdInfo")
    string(info, "partyIdType", name)
    string(info, "partyIdentifier", name)
    string(info, "fspId", name, pattern=FSP_ID_RE, what="must be an fspId", optional=True)
    return info
