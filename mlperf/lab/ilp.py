"""ILP v1 packets, fulfilments and conditions, as Mojaloop's sdk-standard-components make them.

Packet: an ILP v1 *payment* packet in OER, serialised and then base64url encoded without padding::

    0x01                              type: ILP payment
    var-length octet string wrapping:
        UInt64 big-endian             amount, in minor units of the currency (see CURRENCY_DECIMALS)
        var-length octet string       account, g.<payee fspId>.<idType lowercased>.<id lowercased>
        var-length octet string       data, ASCII of base64url(compact JSON transaction object)
        0x00                          extensions: none

A var-length prefix is one byte when the length is < 128, else 0x80|n followed by the length as n
big-endian bytes.

fulfilment = base64url(HMAC-SHA256(key=secret, msg=ASCII of the base64url packet)), 43 characters.
condition = base64url(SHA-256(the 32 raw fulfilment bytes)), 43 characters.

The SDK keys its HMAC with the ASCII of base64(secret string); here the key is the secret bytes as
given, so pass ``base64.b64encode(secret.encode())`` to reproduce an SDK fulfilment exactly.
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

PAYMENT_TYPE = 1
UINT64_MAX = 2**64 - 1

# Minor-unit digits per ISO 4217 (the non-2 entries of the SDK's currency table), plus XXX.
# XXX ("no currency", Mojaloop's test code) has no minor unit in ISO 4217 and is absent from the
# SDK's table; the lab uses 4, the most decimals a Mojaloop amount may carry. Anything else: 2.
DEFAULT_DECIMALS = 2
_ZERO_DECIMALS = (
    "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG",
    "RWF", "UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF",
)  # fmt: skip
_THREE_DECIMALS = ("BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND")
CURRENCY_DECIMALS: dict[str, int] = {
    **dict.fromkeys(_ZERO_DECIMALS, 0),
    **dict.fromkeys(_THREE_DECIMALS, 3),
    **dict.fromkeys(("CLF", "UYW", "XXX"), 4),
}

_CONDITION_RE = re.compile(r"[A-Za-z0-9_-]{43}")


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
    """Minor-unit digits used to scale amounts of ``currency`` (DEFAULT_DECIMALS when unknown)."""
    return CURRENCY_DECIMALS.get(currency, DEFAULT_DECIMALS)


def amount_to_units(amount: str, currency: str) -> int:
    """``"12.34"`` → 1234 for a 2-decimal currency; IlpError when it does not fit a UInt64."""
    try:
        value = Decimal(amount)
    except (InvalidOperation, TypeError):
        raise IlpError(f"amount {amount!r} is not a decimal number") from None
    if not value.is_finite() or value < 0:
        raise IlpError(f"amount {amount!r} must be a non-negative number")
    scaled = value.scaleb(currency_decimals(currency))
    if scaled != scaled.to_integral_value():
        raise IlpError(
            f"amount {amount!r} has more than {currency_decimals(currency)} decimals for {currency}"
        )
    units = int(scaled)
    if units > UINT64_MAX:
        raise IlpError(f"amount {amount!r} does not fit an unsigned 64-bit integer")
    return units


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
    if not 0 <= amount <= UINT64_MAX:
        raise IlpError(f"amount {amount} does not fit an unsigned 64-bit integer")
    content = (
        amount.to_bytes(8, "big")
        + encode_var_octets(account.encode("ascii"))
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


def ilp_address(party: Mapping[str, Any], default_fsp_id: str | None = None) -> str:
    """``g.<fspId>.<idType>.<id>[.<subId>]``, lowercased as the SDK does, from a Mojaloop party."""
    info = party["partyIdInfo"]
    fsp_id = info.get("fspId") or default_fsp_id
    address = f"g.{fsp_id}.{info['partyIdType'].lower()}.{info['partyIdentifier'].lower()}"
    sub_id = info.get("partySubIdOrType")
    return f"{address}.{sub_id.lower()}" if sub_id else address


def encode_packet(
    transaction: Mapping[str, Any], *, account: str | None = None, amount: int | None = None
) -> str:
    """base64url ILP packet for a Mojaloop transaction object.

    The transaction object is ``{quoteId, transactionId, transactionType, payee, payer,
    expiration, amount, note?}``; by default the packet's account is the payee's ILP address and
    its amount is ``transaction["amount"]`` scaled to minor units.
    """
    if amount is None:
        money = transaction["amount"]
        amount = amount_to_units(money["amount"], money["currency"])
    if account is None:
        account = ilp_address(transaction["payee"])
    text = json.dumps(transaction, separators=(",", ":"), ensure_ascii=False)
    data = b64url_encode(text.encode("utf-8")).encode("ascii")
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


def fulfilment(secret: bytes, packet: str) -> str:
    """base64url(HMAC-SHA256(secret, packet string)): the 32-byte preimage, 43 characters."""
    return b64url_encode(hmac.digest(secret, packet.encode("ascii"), "sha256"))


def condition_for(fulfilment_b64: str) -> str:
    """base64url(SHA-256(fulfilment bytes)); IlpError unless the fulfilment is 32 bytes."""
    preimage = b64url_decode(fulfilment_b64)
    if len(preimage) != 32:
        raise IlpError("Interledger preimages must be exactly 32 bytes")
    return b64url_encode(hashlib.sha256(preimage).digest())


def is_valid_condition_string(value: object) -> bool:
    """True for a 43-character base64url string (the shape of a condition or fulfilment)."""
    return isinstance(value, str) and _CONDITION_RE.fullmatch(value) is not None
