"""Validation of rendered Kubernetes objects before they reach a cluster.

Built-in kinds are checked with kubernetes-validate against the Kubernetes 1.32 schemas it ships,
in strict mode (an unknown field is an error); custom kinds against the schemas under
`mojaloop_perf/kube/schemas/` (the k6 Operator's TestRun, Calico's FelixConfiguration). Every problem is one line that names the
object and the field: `TestRun/k6-1000tps: spec.runnr: unknown field`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from functools import cache
from importlib import resources
from typing import Any

import jsonschema
import kubernetes_validate
import yaml

from mojaloop_perf.errors import UserError

KUBE_VERSION = "1.32.0"  # the MicroK8s channel of the AWS target
# Custom kinds the workspace renders: (apiVersion, kind) → schema file in mojaloop_perf/kube/schemas/.
CUSTOM_SCHEMAS = {
    ("k6.io/v1alpha1", "TestRun"): "testrun.k6.io-v1alpha1.schema.json",
    ("crd.projectcalico.org/v1", "FelixConfiguration"): (
        "felixconfiguration.crd.projectcalico.org-v1.schema.json"
    ),
}
# How many problems `check` spells out before "… and N more".
SHOWN = 3
VALUE_CHARS = 40


def load_documents(text: str) -> list[dict[str, Any]]:
    """The objects of a multi-document YAML text; empty documents (comments only) skipped."""
    try:
        documents = list(yaml.safe_load_all(text))
    except yaml.YAMLError as error:
        raise UserError(f"not valid YAML: {' '.join(str(error).split())}") from error
    objects = []
    for number, document in enumerate(documents, start=1):
        if document is None:
            continue
        if not isinstance(document, dict):
            raise UserError(
                f"YAML document {number} is a {type(document).__name__}, not a Kubernetes object"
            )
        objects.append(document)
    return objects


def problems(objects: Iterable[Mapping[str, Any]], kube_version: str = KUBE_VERSION) -> list[str]:
    """Every problem of every object, one line each; [] when all are valid."""
    found: list[str] = []
    for obj in objects:
        found.extend(_object_problems(obj, kube_version.removeprefix("v")))
    return found


def check(objects: Iterable[Mapping[str, Any]], source: str) -> None:
    """Raise UserError naming `source`, the first problems and their count, if there are any."""
    found = problems(objects)
    if not found:
        return
    shown = "; ".join(found[:SHOWN])
    more = f" (and {len(found) - SHOWN} more)" if len(found) > SHOWN else ""
    raise UserError(f"{source}: {len(found)} Kubernetes object problem(s): {shown}{more}")


def object_name(obj: Mapping[str, Any]) -> str:
    """`<kind>/<name>`, with `?` for what is missing."""
    return f"{obj.get('kind') or '?'}/{_name(obj) or '?'}"


def _name(obj: Mapping[str, Any]) -> Any:
    metadata = obj.get("metadata")
    return metadata.get("name") if isinstance(metadata, Mapping) else None


def _object_problems(obj: Mapping[str, Any], kube_version: str) -> list[str]:
    if not isinstance(obj, Mapping):
        return [f"?/?: not an object but a {type(obj).__name__}"]
    label = object_name(obj)
    api_version, kind = obj.get("apiVersion"), obj.get("kind")
    if not isinstance(api_version, str) or not isinstance(kind, str):
        return [f"{label}: apiVersion and kind must be strings"]
    schema_file = CUSTOM_SCHEMAS.get((api_version, kind))
    if schema_file is not None:
        validator = _custom_validator(schema_file)
        errors = sorted(validator.iter_errors(obj), key=lambda e: [str(p) for p in e.path])
        return [line for error in errors for line in _describe(label, error)]
    # Kubernetes' schemas leave metadata.name optional (generateName); `apply` needs it.
    found = [] if _name(obj) else [f"{label}: metadata.name: required field missing"]
    try:
        kubernetes_validate.validate(dict(obj), kube_version, strict=True)
    except kubernetes_validate.SchemaNotFoundError:
        return [f"{label}: no schema for {api_version}/{kind}"]
    except kubernetes_validate.ValidationError as error:
        # kubernetes-validate stops at the first error of an object.
        found += _describe(label, error)
    return found


@cache
def _custom_validator(schema_file: str) -> jsonschema.Draft202012Validator:
    text = (
        resources.files("mojaloop_perf.kube").joinpath("schemas").joinpath(schema_file).read_text()
    )
    return jsonschema.Draft202012Validator(json.loads(text))


def _describe(label: str, error: jsonschema.ValidationError) -> list[str]:
    """One compact line per problem of a jsonschema error: `<label>: <field path>: <what>`."""
    path = list(error.absolute_path)
    validator, expected, instance = error.validator, error.validator_value, error.instance
    if validator == "additionalProperties" and isinstance(instance, Mapping):
        known = set(error.schema.get("properties", {}))
        extra = sorted(str(key) for key in instance if key not in known)
        return [f"{label}: {_field([*path, key])}: unknown field" for key in extra]
    if validator == "required" and isinstance(instance, Mapping):
        missing = [key for key in expected if key not in instance]
        return [f"{label}: {_field([*path, key])}: required field missing" for key in missing]
    if validator == "type":
        what = (
            f"expected {' or '.join(_types(expected))}, got {_kind_of(instance)} {_short(instance)}"
        )
    elif validator in ("oneOf", "anyOf") and error.context:
        types = sorted(
            {t for e in error.context if e.validator == "type" for t in _types(e.validator_value)}
        )
        what = (
            f"expected {' or '.join(types)}, got {_kind_of(instance)} {_short(instance)}"
            if types
            else f"{_short(instance)} matches none of the allowed forms"
        )
    elif validator == "enum":
        what = f"{_short(instance)} is not one of {', '.join(map(json.dumps, expected))}"
    elif validator == "const":
        what = f"must be {json.dumps(expected)}, not {_short(instance)}"
    elif validator == "minProperties" and expected == 1:
        what = "must not be empty"
    else:
        what = " ".join(error.message.split())
        if len(what) > 120:
            what = what[:117] + "..."
    return [f"{label}: {_field(path)}: {what}"]


def _types(value: Any) -> list[str]:
    """The JSON types a `type` keyword allows, without null (Kubernetes' schemas allow null)."""
    return [t for t in ([value] if isinstance(value, str) else value) if t != "null"]


def _field(path: list[Any]) -> str:
    """spec.template.spec.containers[0].image; `(root)` for the object itself."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else str(part)
    return text or "(root)"


def _kind_of(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    return {str: "string", int: "integer", float: "number", list: "array", dict: "object"}.get(
        type(value), type(value).__name__
    )


def _short(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= VALUE_CHARS else text[: VALUE_CHARS - 3] + "..."
