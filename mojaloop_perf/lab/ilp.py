"""ILP v1 packets, fulfilments and conditions, built exactly as the SDK scheme adapter builds them.

The payee's SDK (@mojaloop/sdk-standard-components ``src/lib/ilp/IlpV1.js`` and ``IlpBase.js``)
makes, for each quote it answers:

- the **transaction object** ``{quoteId, transactionId, transactionType, payee, payer,
  expiration, amount, note?}``: the first five from the quote request, ``expiration`` and
  ``amount`` (the ``transferAmount``) and ``note`` from the payee's quote response (which has
  no note, so neither has the packet), serialised as compact JSON in the order above;
- the **packet**: an ILP v1 *payment* in OER, base64url without padding::

      0x01                            type: ILP payment
      var-length octet string wrapping:
          UInt64 big-endian           amount in minor units (see ``ilp_amount``)
          var-length octet string     account g.<fspId>.<idType>.<id>[.<subId>], lowercased
          var-length octet string     data: ASCII of base64url(the transaction object's JSON)
          0x00                        extensions: none

  (a var-length prefix is one byte below 128, else ``0x80|n`` and n big-endian length bytes);
- the **fulfilment**: base64url(HMAC-SHA256(key = ASCII of base64(the ILP secret), message =
  ASCII of the packet string)), 43 characters; the **condition**: base64url(SHA-256(the 32
  fulfilment bytes)).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple

from mojaloop_perf.lab.currencies import CURRENCY_DECIMALS

PAYMENT_TYPE = 1
UINT64 = 2**64
_CONDITION_RE = re.compile(r"[A-Za-z0-9_-]{43}")
_LEADING_INT = re.compile(r"[\t\n\v\f\r \xa0\ufeff]*([+-]?)([0-9]+)")


class IlpError(ValueError):
    """A packet, amount or fulfilment that cannot be encoded or decoded."""


class DecodedPacket(NamedTuple):
    """What an ILP v1 payment packet carries."""

    amount: int  # minor units of the transaction's currency
    account: str
    transaction: dict[str, Any]


def b64url_encode(raw: bytes) -> str:
    """base64url without padding."""
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Decode base64url or base64, padded or not (as Node's Buffer.from(x, 'base64') does)."""
    cleaned = text.strip().rstrip("=").replace("+", "-").replace("/", "_")
    try:
        return base64.b64decode(cleaned + "=" * (-len(cleaned) % 4), altchars=b"-_", validate=True)
    except ValueError as exc:
        raise IlpError(f"not base64url: {exc}") from None


def currency_decimals(currency: str) -> int:
    """Minor-unit digits of ``currency``; IlpError when the SDK's table does not have it."""
    try:
        return CURRENCY_DECIMALS[currency]
    except KeyError:
        raise IlpError(f"No decimal place data available for currency {currency}") from None


def ilp_amount(amount: str, currency: str) -> int:
    """The packet's amount, as the SDK computes it from a Mojaloop amount string.

    The SDK shifts the decimal amount by the currency's digits (BigNumber), prints it (BigNumber
    switches to exponent notation from 1e21 on) and reads that text with ``Long.fromString``
    (unsigned): eight characters at a time, each read by ``parseInt`` (leading digits only, else
    0), wrapping at 2^64. So a fraction left after shifting is cut off, and huge amounts wrap,
    without an error: the lab reproduces that rather than refusing what the SDK accepts.
    """
    digits = currency_decimals(currency)
    try:
        value = Decimal(amount).scaleb(digits)
    except (InvalidOperation, TypeError):
        raise IlpError(f"amount {amount!r} is not a decimal number") from None
    if not value.is_finite():
        raise IlpError(f"amount {amount!r} is not a finite number")
    return _long_from_string(_bignumber_text(value))


def _bignumber_text(value: Decimal) -> str:
    """BigNumber's toString(): plain below 1e21, else ``<d>.<ddd>e+<n>``."""
    value = value.normalize()
    if value.is_zero():
        return "0"
    if value.adjusted() >= 21 or value.adjusted() <= -7:
        sign, coefficient, _ = value.as_tuple()
        text = "".join(map(str, coefficient))
        mantissa = text[0] + (f".{text[1:]}" if len(text) > 1 else "")
        power = value.adjusted()
        return f"{'-' if sign else ''}{mantissa}e{'+' if power >= 0 else '-'}{abs(power)}"
    return format(value, "f")


def _long_from_string(text: str) -> int:
    """long.js ``fromString(text, unsigned=true)`` as used by ilp-packet v1."""
    if text.startswith("-"):
        return (-_long_from_string(text[1:])) % UINT64
    if "-" in text:
        raise IlpError(f"amount {text!r} has an interior hyphen")
    result = 0
    for i in range(0, len(text), 8):
        chunk = text[i : i + 8]
        match = _LEADING_INT.match(chunk)
        part = int(match[1] + match[2]) if match else 0
        result = (result * 10 ** len(chunk) + part) % UINT64
    return result


def encode_length(length: int) -> bytes:
    """OER length prefix."""
    if length < 0:
        raise IlpError("negative length")
    if length < 128:
        return bytes((length,))
    raw = length.to_bytes((length.bit_length() + 7) // 8, "big")
    if len(raw) > 127:
        raise IlpError("length too large")
    return bytes((0x80 | len(raw),)) + raw


def encode_var_octets(data: bytes) -> bytes:
    """OER variable-length octet string: length prefix, then the bytes."""
    return encode_length(len(data)) + data


def serialize_payment(amount: int, account: str, data: bytes) -> bytes:
    """Raw ILP v1 payment packet."""
    if not 0 <= amount < UINT64:
        raise IlpError(f"amount {amount} does not fit an unsigned 64-bit integer")
    content = (
        amount.to_bytes(8, "big")
        + encode_var_octets(_node_ascii(account))
        + encode_var_octets(data)
        + b"\x00"
    )
    return bytes((PAYMENT_TYPE,)) + encode_var_octets(content)


class _Reader:
    def __init__(self, raw: bytes) -> None:
        self.raw = raw
        self.pos = 0

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.raw):
            raise IlpError("packet is truncated")
        chunk = self.raw[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def length(self) -> int:
        first = self.take(1)[0]
        if first < 0x80:
            return first
        n = first & 0x7F
        if n == 0 or n > 8:
            raise IlpError(f"unsupported length-of-length {n}")
        return int.from_bytes(self.take(n), "big")

    def var_octets(self) -> bytes:
        return self.take(self.length())

    def done(self) -> None:
        if self.pos != len(self.raw):
            raise IlpError(f"{len(self.raw) - self.pos} unexpected trailing bytes")


def deserialize_payment(raw: bytes) -> tuple[int, str, bytes]:
    """Raw ILP v1 payment packet → (amount, account, data)."""
    outer = _Reader(raw)
    packet_type = outer.take(1)[0]
    if packet_type != PAYMENT_TYPE:
        raise IlpError(f"packet type {packet_type} is not an ILP payment ({PAYMENT_TYPE})")
    content = outer.var_octets()
    outer.done()
    inner = _Reader(content)
    amount = int.from_bytes(inner.take(8), "big")
    try:
        account = inner.var_octets().decode("ascii")
    except UnicodeDecodeError:
        raise IlpError("account is not ASCII") from None
    data = inner.var_octets()
    if inner.take(1) != b"\x00":
        raise IlpError("packets with extensions are not supported")
    inner.done()
    return amount, account, data


def _node_ascii(text: str) -> bytes:
    """Node's ``Buffer.from(text, 'ascii')``: the low byte of each UTF-16 code unit."""
    return text.encode("utf-16-le", "surrogatepass")[::2]


def ilp_address(party: Mapping[str, Any]) -> str:
    """``g.<fspId>.<idType>.<id>[.<subId>]`` from a Mojaloop party, as the SDK writes it.

    A party without an fspId gets ``undefined`` there, as JavaScript's template string does.
    """
    info = party.get("partyIdInfo")
    if not isinstance(info, Mapping):
        raise IlpError("ILP party does not contain required partyIdInfo object")
    fsp_id = info.get("fspId")
    address = (
        f"g.{'undefined' if fsp_id is None else fsp_id}"
        f".{str(info['partyIdType']).lower()}.{str(info['partyIdentifier']).lower()}"
    )
    sub_id = info.get("partySubIdOrType")
    return f"{address}.{sub_id.lower()}" if sub_id else address


def transaction_object(
    quote_request: Mapping[str, Any], quote_response: Mapping[str, Any]
) -> dict[str, Any]:
    """The transaction object the SDK puts in the packet (sdk-standard-components src/lib/dto.js)."""
    transaction = {
        "quoteId": quote_request.get("quoteId"),
        "transactionId": quote_request.get("transactionId"),
        "transactionType": quote_request.get("transactionType"),
        "payee": quote_request.get("payee"),
        "payer": quote_request.get("payer"),
        "expiration": quote_response.get("expiration"),
        "amount": quote_response.get("transferAmount"),
    }
    if quote_response.get("note"):
        transaction["note"] = quote_response["note"]
    return {key: value for key, value in transaction.items() if value is not None}


def encode_packet(transaction: Mapping[str, Any]) -> str:
    """base64url ILP packet of a transaction object: the payee's account, the amount in units."""
    money = transaction["amount"]
    amount = ilp_amount(money["amount"], money["currency"])
    account = ilp_address(transaction["payee"])
    text = json.dumps(transaction, separators=(",", ":"), ensure_ascii=False)
    try:
        data = b64url_encode(text.encode("utf-8")).encode("ascii")
    except UnicodeEncodeError:
        raise IlpError("the transaction object is not valid Unicode") from None
    return b64url_encode(serialize_payment(amount, account, data))


def decode_packet(packet: str) -> DecodedPacket:
    """base64url ILP packet → amount (minor units), account and transaction object."""
    amount, account, data = deserialize_payment(b64url_decode(packet))
    try:
        transaction = json.loads(b64url_decode(data.decode("ascii")))
    except (UnicodeDecodeError, ValueError):
        raise IlpError("packet data is not base64url-encoded JSON") from None
    if not isinstance(transaction, dict):
        raise IlpError("packet data is not a JSON object")
    return DecodedPacket(amount, account, transaction)


def fulfilment(secret: str, packet: str) -> str:
    """The fulfilment of a packet for a DFSP's ILP secret, 43 characters (IlpV1.calculateFulfil)."""
    key = base64.b64encode(secret.encode("utf-8"))
    return b64url_encode(hmac.digest(key, _node_ascii(packet), "sha256"))


def condition_for(fulfilment_b64: str) -> str:
    """base64url(SHA-256(fulfilment bytes)); IlpError unless the fulfilment is 32 bytes."""
    preimage = b64url_decode(fulfilment_b64)
    if len(preimage) != 32:
        raise IlpError("Interledger preimages must be exactly 32 bytes")
    return b64url_encode(hashlib.sha256(preimage).digest())


def is_valid_condition_string(value: object) -> bool:
    """True for a 43-character base64url string (the shape of a condition or fulfilment)."""
    return isinstance(value, str) and _CONDITION_RE.fullmatch(value) is not None
