"""The SDK scheme adapter's outbound request validation, applied to the lab's requests.

The rules are the SDK's own: the request schemas of the outbound API
(``sdk_outbound_requests.json``, exported from ``@mojaloop/api-snippets`` — the version the SDK
runs — by ``tests/contract/export_sdk_schemas.js`` and checked against it in CI) and the way the
SDK applies them (mojaloop/sdk-scheme-adapter, ``modules/api-svc/src/lib/validate.js`` and
``OutboundServer/index.js``):

- the body is parsed only when its content type is JSON (koa-body; text/* becomes a string,
  anything else is no body at all), and a JSON body must start with ``{`` or ``[`` (co-body,
  strict); a body that does not parse is swallowed by the SDK's catch-all error handler, and
  Koa answers ``404 Not Found``;
- the path must match one of the spec's paths (else 400 ``Couldn't match path …``), with a
  method the spec allows there (else 400 ``Method … not supported …``);
- Ajv 8 with ``allErrors`` and ``coerceTypes``: a number or boolean where a string is expected
  is turned into that string (and sent on that way), ``null`` into ``""``.

A rejected request is answered 400 ``{"message", "statusCode": 400}``
(``OutboundServer/middlewares.js``). The lab's message names the field; the SDK's is Ajv's bare
message (or a dump of all errors for a missing property).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any

SCHEMAS = "sdk_outbound_requests.json"
JSON_TYPES = (
    "application/json",
    "application/json-patch+json",
    "application/vnd.api+json",
    "application/csp-report",
    "application/reports+json",
)
_STRICT_JSON_START = re.compile(r"^[\x20\x09\x0a\x0d]*[\[{]")
_PARAM = re.compile(r"\{([^{}]+)\}")
_NOT_SET = object()


class Unparsable(Exception):
    """A JSON body the SDK's body parser throws on: the SDK answers Koa's 404 Not Found."""


class Invalid(Exception):
    """A request the SDK's validator rejects: 400 with this message."""


@dataclass(frozen=True)
class Operation:
    """One operation of the outbound spec: method, path template, its matcher and schemas."""

    method: str
    path: str
    matcher: re.Pattern[str]
    params: tuple[str, ...]
    param_schema: dict[str, Any]
    body_schema: dict[str, Any] | None


@dataclass(frozen=True)
class Request:
    """A request that passed validation: its operation, path parameters and (coerced) body."""

    operation: Operation
    params: dict[str, str]
    body: Any


def _matcher(path: str) -> tuple[re.Pattern[str], tuple[str, ...]]:
    pattern = _PARAM.sub("([^{}/]+)", re.escape(path).replace(r"\{", "{").replace(r"\}", "}"))
    return re.compile(f"^{pattern}$"), tuple(_PARAM.findall(path))


@dataclass(frozen=True)
class Spec:
    """The spec's paths in its order (matcher, template, methods) and the operations served."""

    paths: tuple[tuple[re.Pattern[str], str, tuple[str, ...]], ...]
    operations: dict[tuple[str, str], Operation]


@cache
def spec() -> Spec:
    """The outbound spec, read and compiled once."""
    data = json.loads(resources.files("mojaloop_perf.lab").joinpath(SCHEMAS).read_text("utf-8"))
    operations = {}
    for entry in data["operations"]:
        matcher, params = _matcher(entry["path"])
        operation = Operation(
            entry["method"],
            entry["path"],
            matcher,
            params,
            entry["params"].get("path", {}),
            entry.get("body"),
        )
        operations[(operation.method, operation.path)] = operation
    paths = tuple(
        (_matcher(template)[0], template, tuple(methods))
        for template, methods in data["paths"].items()
    )
    return Spec(paths, operations)


def match_path(path: str) -> tuple[str, tuple[str, ...]] | None:
    """(spec path, methods) of the first spec path ``path`` matches, as the SDK scans them."""
    for matcher, template, methods in spec().paths:
        if matcher.match(path):
            return template, methods
    return None


def parse_body(content_type: str | None, raw: bytes) -> Any:
    """The body as the SDK's parser sees it: JSON, a string (text/*), or _NOT_SET (no body)."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if not raw:
        return _NOT_SET  # no body: koa-body parses nothing (type-is sees no body)
    if media in JSON_TYPES:
        text = raw.decode("utf-8", errors="replace")
        if not _STRICT_JSON_START.match(text):
            raise Unparsable("only JSON objects and arrays are accepted")
        try:
            return json.loads(text, parse_constant=_no_constant)
        except ValueError as exc:
            raise Unparsable(str(exc)) from None
    if media.startswith("text/"):
        return raw.decode("utf-8", errors="replace")
    return _NOT_SET


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def validate(method: str, path: str, content_type: str | None, raw: bytes) -> Request:
    """The validated request, or Invalid / Unparsable / LookupError (not an operation of the lab)."""
    body = parse_body(content_type, raw) if method in ("POST", "PUT", "PATCH") else _NOT_SET
    found = match_path(path)
    if found is None:
        raise Invalid(f"Couldn't match path {path}")
    template, methods = found
    if method not in methods:
        raise Invalid(f"Method {method} not supported for path {path}")
    operation = spec().operations.get((method, template))
    if operation is None:
        raise LookupError(f"{method} {template}")
    values = operation.matcher.match(path).groups()  # type: ignore[union-attr]
    params = dict(zip(operation.params, values, strict=True))
    errors: list[str] = []
    check(operation.param_schema, params, "/path", errors)
    if operation.body_schema is not None:
        if body is _NOT_SET:
            if operation.body_schema.get("required"):
                errors.append(" must have required property 'body'")
        else:
            holder = {"body": body}
            check(operation.body_schema, body, "/body", errors, holder, "body")
            body = holder["body"]
    if errors:
        raise Invalid(errors[0].strip())
    return Request(operation, params, None if body is _NOT_SET else body)


# -- Ajv 8 semantics for the keywords the outbound schemas use --------------------------------


def check(
    schema: dict[str, Any],
    value: Any,
    where: str,
    errors: list[str],
    parent: dict[str, Any] | list[Any] | None = None,
    key: str | int | None = None,
) -> None:
    """Append ``"<instancePath> <message>"`` for every violation; coerce scalars in place."""
    kind = schema.get("type")
    if kind is not None:
        value, ok = _coerce(kind, value)
        if not ok:
            errors.append(f"{where} must be {kind}")
            return
        if parent is not None and key is not None:
            parent[key] = value  # type: ignore[index]
    for sub in schema.get("allOf", ()):
        check(sub, value, where, errors, parent, key)
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{where} must be equal to one of the allowed values")
    if isinstance(value, str):
        _check_string(schema, value, where, errors)
    elif isinstance(value, dict):
        for name in schema.get("required", ()):
            if name not in value:
                errors.append(f"{where} must have required property '{name}'")
        for name, sub in schema.get("properties", {}).items():
            if name in value:
                check(sub, value[name], f"{where}/{name}", errors, value, name)
    elif isinstance(value, list):
        if "minItems" in schema and len(value) < schema["minItems"]:
            errors.append(f"{where} must NOT have fewer than {schema['minItems']} items")
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            errors.append(f"{where} must NOT have more than {schema['maxItems']} items")
        if isinstance(schema.get("items"), dict):
            for i, item in enumerate(value):
                check(schema["items"], item, f"{where}/{i}", errors, value, i)


def _check_string(schema: dict[str, Any], value: str, where: str, errors: list[str]) -> None:
    if "minLength" in schema and len(value) < schema["minLength"]:
        errors.append(f"{where} must NOT have fewer than {schema['minLength']} characters")
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        errors.append(f"{where} must NOT have more than {schema['maxLength']} characters")
    if "pattern" in schema and not _regex(schema["pattern"]).search(value):
        errors.append(f'{where} must match pattern "{schema["pattern"]}"')


def _coerce(kind: str, value: Any) -> tuple[Any, bool]:
    """(value, True) when it is of ``kind`` or Ajv's coerceTypes turns it into one."""
    if kind == "object":
        return value, isinstance(value, dict)
    if kind == "array":
        return value, isinstance(value, list)
    if kind == "string":
        if isinstance(value, str):
            return value, True
        if isinstance(value, bool):
            return ("true" if value else "false"), True
        if isinstance(value, int | float):
            return js_number(value), True
        if value is None:
            return "", True
        return value, False
    if kind == "boolean":
        return value, isinstance(value, bool)
    if kind in ("number", "integer"):
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return value, ok and (kind == "number" or float(value).is_integer())
    return value, True


def js_number(value: float) -> str:
    """``String(n)`` of a JSON number as JavaScript parses and prints it (a double)."""
    number = float(value)
    if number == 0:
        return "0"
    digits = Decimal(repr(number)).normalize()
    if 1e-7 <= abs(number) < 1e21:
        return format(digits, "f")
    sign, coefficient, exponent = digits.as_tuple()
    mantissa = "".join(map(str, coefficient))
    power = exponent + len(mantissa) - 1  # type: ignore[operator]
    text = mantissa[0] + (f".{mantissa[1:]}" if len(mantissa) > 1 else "")
    return f"{'-' if sign else ''}{text}e{'+' if power >= 0 else '-'}{abs(power)}"


@cache
def _regex(pattern: str) -> Any:
    """A JavaScript ``u``-mode pattern in Python: ``$`` is the very end, ``\\d`` is ASCII."""
    translated = re.sub(r"(?<!\\)\$", r"\\Z", pattern)
    try:
        return re.compile(translated, re.ASCII)
    except re.error:
        import regex  # Unicode property escapes (\p{L}) in the name patterns

        return regex.compile(translated, regex.VERSION1)
