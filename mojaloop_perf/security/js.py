"""JavaScript semantics the SDK's JWS checks depend on: JSON.parse/JSON.stringify, String(),
truthiness, and Node's base64 and 'binary' Buffer conversions.

The SDK's validator never sees the bytes that were sent: it re-serialises the parsed body with
JSON.stringify, and it compares header values with `!==` and shows them with template literals.
Matching it byte for byte and message for message needs these, not Python's json defaults.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from collections.abc import Callable, Iterable
from decimal import Decimal
from json.encoder import encode_basestring
from typing import Any

_ARRAY_INDEX = re.compile(r"(?:0|[1-9][0-9]*)\Z")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
UNDEFINED: Any = object()  # JavaScript's `undefined`: an absent header or field


def js_number(value: float) -> str:
    """Number::toString (ECMA-262) of a double: shortest round-trip digits, JS's notation."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "0"
    sign, digits, exponent = Decimal(repr(float(value))).as_tuple()
    text = "".join(map(str, digits)).rstrip("0")
    exponent = int(exponent) + len(digits) - len(text)
    k, n = len(text), len(text) + exponent
    prefix = "-" if sign else ""
    if k <= n <= 21:
        return prefix + text + "0" * (n - k)
    if 0 < n <= 21:
        return prefix + text[:n] + "." + text[n:]
    if -6 < n <= 0:
        return prefix + "0." + "0" * -n + text
    e = n - 1
    mantissa = text if k == 1 else text[0] + "." + text[1:]
    return f"{prefix}{mantissa}e{'+' if e >= 0 else '-'}{abs(e)}"


def _js_keys(obj: dict) -> Iterable[str]:
    """Property order of a JavaScript object: array indices ascending, then insertion order."""
    if not any(key[:1].isdigit() for key in obj):
        return obj
    indices = {k for k in obj if _ARRAY_INDEX.match(k) and int(k) < 2**32 - 1}
    return [*sorted(indices, key=int), *(k for k in obj if k not in indices)]


def _emit(value: Any, out: Callable[[str], Any]) -> None:
    if isinstance(value, str):
        out(encode_basestring(value))
    elif value is None:
        out("null")
    elif value is True or value is False:
        out("true" if value else "false")
    elif isinstance(value, int | float):
        try:
            number = float(value)
        except OverflowError:  # an int beyond any double: JavaScript's Infinity
            number = math.inf
        out(js_number(number) if math.isfinite(number) else "null")
    elif isinstance(value, dict):
        out("{")
        for i, key in enumerate(_js_keys(value)):
            out(("," if i else "") + encode_basestring(key) + ":")
            _emit(value[key], out)
        out("}")
    elif isinstance(value, list | tuple):
        out("[")
        for i, item in enumerate(value):
            if i:
                out(",")
            _emit(item, out)
        out("]")
    else:
        raise TypeError(f"cannot serialise {type(value).__name__} as JSON")


def js_json(value: Any) -> str:
    """JSON.stringify(value) (as fast-safe-stringify gives it for plain data)."""
    parts: list[str] = []
    _emit(value, parts.append)
    text = "".join(parts)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # well-formed JSON.stringify escapes lone surrogates
        text = _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    return text


def dumps(value: Any) -> bytes:
    """`value` as JSON.stringify writes it, UTF-8: the body bytes a signer should send."""
    return js_json(value).encode("utf-8")


def js_string(value: Any) -> str:
    """String(value), as a template literal shows it."""
    if value is UNDEFINED:
        return "undefined"
    if isinstance(value, str):
        return value
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, int | float):
        return js_number(float(value))
    if isinstance(value, list):
        return ",".join("" if v is None or v is UNDEFINED else js_string(v) for v in value)
    return "[object Object]"


def truthy(value: Any) -> bool:
    if value is UNDEFINED or value is None or value is False:
        return False
    if isinstance(value, str):
        return value != ""
    if isinstance(value, int | float):
        return value != 0 and not math.isnan(value)
    return True


def _reject_constant(name: str) -> Any:
    raise ValueError(f"Unexpected token '{name[0]}', \"{name}\" is not valid JSON")


def js_parse(text: str) -> Any:
    """JSON.parse(text): numbers are doubles, NaN/Infinity are not JSON."""
    return json.loads(text, parse_int=float, parse_constant=_reject_constant)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64decode(text: str) -> bytes:
    """Node's lenient base64 decoding of url-safe text (a dangling 6 bits are dropped)."""
    text = text.rstrip("=")
    if len(text) % 4 == 1:
        text = text[:-1]
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return b""


def latin1(text: str) -> bytes:
    """Buffer.from(text, 'binary'): the low byte of each UTF-16 code unit."""
    return text.encode("utf-16-le", "surrogatepass")[::2]
