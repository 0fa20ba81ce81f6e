"""Reading a schema-valid component into typed objects, and what those objects share.

A decoder reads its component through a `Node`: a key the model reads but the config lacks (a
key renamed in the schema and not in its decoder) stops the load with one line that names the
component, the key path and the decoder to update, instead of a `KeyError` later at render time.
Free-form parts (a service's whole config file, Kubernetes resources, labels) stay mappings, made
read-only by `frozen`; `thawed` turns them back into plain dicts and lists for an output file.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields
from types import MappingProxyType
from typing import Any, TypeVar

from mojaloop_perf.errors import UserError

T = TypeVar("T")
# Kubernetes requests and limits of one pod: {"requests": {"cpu": "250m", ...}, "limits": ...}.
Resources = Mapping[str, Mapping[str, str]]


class Node:
    """One mapping of component `component` at key path `where`, read key by key by the module
    `decoder` (its dotted name, as in `Node("backend", config, __name__)`)."""

    def __init__(self, component: str, data: Any, decoder: str, where: str = "") -> None:
        self.component, self.decoder, self.where = component, decoder, where
        if not isinstance(data, Mapping):
            raise self._error(where, _kind_problem("a mapping", data))
        self._data = data

    def __getitem__(self, key: str) -> Any:
        if key not in self._data:
            raise self._error(
                self._path(key),
                "the scenario model reads this key and the schema-valid config has none",
            )
        return self._data[key]

    def __contains__(self, key: str) -> bool:
        return key in self._data

    def decode(self, cls: type[T], **given: Any) -> T:
        """An instance of dataclass `cls`: each field as `given`, else the key of its name."""
        return cls(
            **{f.name: given[f.name] if f.name in given else self[f.name] for f in fields(cls)}
        )

    def get(self, key: str, default: Any = None) -> Any:
        """An optional key's value (the schema does not require it)."""
        return self._data.get(key, default)

    def node(self, key: str) -> Node:
        """The mapping at `key`, to read further."""
        return Node(self.component, self[key], self.decoder, self._path(key))

    def nodes(self, key: str) -> list[Node]:
        """Each mapping of the list at `key`."""
        items = self[key]
        if not isinstance(items, list):
            raise self._error(self._path(key), _kind_problem("a list", items))
        return [
            Node(self.component, item, self.decoder, f"{self._path(key)}[{i}]")
            for i, item in enumerate(items)
        ]

    def entries(self) -> Iterator[tuple[str, Node]]:
        """(key, mapping) of a mapping whose values are mappings, in the config's order."""
        for key in self._data:
            yield key, self.node(key)

    def mapping(self, key: str) -> Mapping[str, Any]:
        """The free-form mapping at `key`, read-only."""
        value = self[key]
        if not isinstance(value, Mapping):
            raise self._error(self._path(key), _kind_problem("a mapping", value))
        return frozen(value)

    def optional_mapping(self, key: str) -> Mapping[str, Any] | None:
        """The free-form mapping at `key`, read-only; None when the optional key is not set."""
        return self.mapping(key) if key in self._data else None

    def _path(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def _error(self, path: str, problem: str) -> UserError:
        return UserError(
            f"{self.component}: {path or '(top level)'}: {problem}: update "
            f"{self.decoder.replace('.', '/')}.py to the component's schema "
            f"(mojaloop_perf/scenario/schemas/{self.component}.schema.json)"
        )


def _kind_problem(wanted: str, found: Any) -> str:
    return f"the scenario model reads {wanted} here and the config has a {type(found).__name__}"


@dataclass(frozen=True)
class Chart:
    """A pinned Helm chart: its repository URL, name and version."""

    repository: str
    name: str
    version: str

    def as_dict(self) -> dict[str, str]:
        return {"repository": self.repository, "name": self.name, "version": self.version}


@dataclass(frozen=True)
class Toggle:
    """A part of a chart that the scenario switches on or off."""

    enabled: bool


def frozen(value: Any) -> Any:
    """`value` with every mapping read-only and every list a tuple."""
    if isinstance(value, Mapping):
        return MappingProxyType({key: frozen(item) for key, item in value.items()})
    if isinstance(value, list | tuple):
        return tuple(frozen(item) for item in value)
    return value


def thawed(value: Any) -> Any:
    """A `frozen` value as plain dicts and lists again, for a file (JSON, YAML)."""
    if isinstance(value, Mapping):
        return {key: thawed(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [thawed(item) for item in value]
    return value
