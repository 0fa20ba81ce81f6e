"""Semantic checks a JSON Schema cannot express: cross-references, sums and overlaps."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

WEIGHT_TOLERANCE = 1e-6


@dataclass(frozen=True)
class Problem:
    """One failed check: the component whose file to fix, the key path and what is wrong."""

    component: str
    key_path: str
    message: str


def errors(config: Mapping[str, Any]) -> Iterator[Problem]:
    """Every problem in a merged, schema-valid config, in a stable order."""
    yield from _unique_dfsps(config["dfsp"])
    yield from _disjoint_msisdns(config["dfsp"])
    yield from _pairs(config["k6"], config["dfsp"])
    yield from _vus(config["k6"])


def _unique_dfsps(dfsp: Mapping[str, Any]) -> Iterator[Problem]:
    seen: set[str] = set()
    for i, entry in enumerate(dfsp["dfsps"]):
        if entry["id"] in seen:
            yield Problem("dfsp", f"dfsps[{i}].id", f"{entry['id']!r} is declared twice")
        seen.add(entry["id"])


def _disjoint_msisdns(dfsp: Mapping[str, Any]) -> Iterator[Problem]:
    spans = []
    for i, entry in enumerate(dfsp["dfsps"]):
        first = int(entry["msisdn"]["start"])
        spans.append((first, first + entry["msisdn"]["count"] - 1, i, entry["id"]))
    spans.sort()
    for (_, last, _, owner), (first, _, j, other) in itertools.pairwise(spans):
        if first <= last:
            yield Problem(
                "dfsp",
                f"dfsps[{j}].msisdn",
                f"range of {other} overlaps the range of {owner}; MSISDN ranges must be disjoint",
            )


def _pairs(k6: Mapping[str, Any], dfsp: Mapping[str, Any]) -> Iterator[Problem]:
    roles = {entry["id"]: entry["role"] for entry in dfsp["dfsps"]}
    for i, pair in enumerate(k6["pairs"]):
        for end, role in (("source", "payer"), ("dest", "payee")):
            name = pair[end]
            if name not in roles:
                known = ", ".join(roles)
                yield Problem(
                    "k6", f"pairs[{i}].{end}", f"{name!r} is not a declared DFSP ({known})"
                )
            elif roles[name] != role:
                yield Problem(
                    "k6", f"pairs[{i}].{end}", f"{name!r} has role {roles[name]}, not {role}"
                )
        if pair["source"] == pair["dest"]:
            yield Problem("k6", f"pairs[{i}]", "source and dest are the same DFSP")
    total = sum(pair["weight"] for pair in k6["pairs"])
    if abs(total - 1.0) > WEIGHT_TOLERANCE:
        yield Problem("k6", "pairs", f"weights sum to {total:g}, not 1")


def _vus(k6: Mapping[str, Any]) -> Iterator[Problem]:
    if k6["max_vus"] < k6["pre_allocated_vus"]:
        yield Problem(
            "k6",
            "max_vus",
            f"{k6['max_vus']} is less than pre_allocated_vus ({k6['pre_allocated_vus']})",
        )
