"""ILP v1 packet encoding, fulfilments and conditions."""

from __future__ import annotations

import base64
import hashlib

import pytest

from mojaloop_perf.lab import ilp


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize(
    ("length", "expected"),
    [
        (0, b"\x00"),
        (127, b"\x7f"),
        (128, b"\x81\x80"),
        (255, b"\x81\xff"),
        (256, b"\x82\x01\x00"),
        (300, b"\x82\x01\x2c"),
        (65536, b"\x83\x01\x00\x00"),
    ],
)
def test_length_prefix(length: int, expected: bytes) -> None:
    assert ilp.encode_length(length) == expected


def test_payment_packet_matches_the_ilp_packet_reference_vector() -> None:
    # The example of ilp-packet's README (serializeIlpPayment, ILP v1).
    raw = ilp.serialize_payment(123000000, "g.us.nexus.bob", bytes.fromhex("041041"))
    assert raw.hex() == "011c000000000754d4c00e672e75732e6e657875732e626f620304104100"
    assert ilp.deserialize_payment(raw) == (123000000, "g.us.nexus.bob", b"\x04\x10\x41")


TRANSACTION_JSON = (
    '{"quoteId":"q1","transactionId":"t1","transactionType":{"scenario":"TRANSFER",'
    '"initiator":"PAYER","initiatorType":"CONSUMER"},"payee":{"partyIdInfo":'
    '{"partyIdType":"MSISDN","partyIdentifier":"256","fspId":"fsp202"}},"payer":'
    '{"partyIdInfo":{"partyIdType":"MSISDN","partyIdentifier":"255","fspId":"fsp201"}},'
    '"expiration":"2024-01-01T00:00:00.000Z","amount":{"currency":"XXX","amount":"1.5"}}'
)
TRANSACTION = {
    "quoteId": "q1",
    "transactionId": "t1",
    "transactionType": {"scenario": "TRANSFER", "initiator": "PAYER", "initiatorType": "CONSUMER"},
    "payee": {
        "partyIdInfo": {"partyIdType": "MSISDN", "partyIdentifier": "256", "fspId": "fsp202"}
    },
    "payer": {
        "partyIdInfo": {"partyIdType": "MSISDN", "partyIdentifier": "255", "fspId": "fsp201"}
    },
    "expiration": "2024-01-01T00:00:00.000Z",
    "amount": {"currency": "XXX", "amount": "1.5"},
}


def test_packet_known_answer_derived_by_hand() -> None:
    data = b64url(TRANSACTION_JSON.encode()).encode()
    assert len(data) == 519  # 389 JSON bytes → 519 base64url characters
    expected = (
        b"\x01"  # ILP payment
        + b"\x82\x02\x27"  # content: 8 + (1 + 19) + (3 + 519) + 1 = 551 = 0x227 bytes
        + bytes.fromhex("0000000000003a98")  # 1.5 XXX at 4 decimals = 15000
        + b"\x13g.fsp202.msisdn.256"  # 19-byte account
        + b"\x82\x02\x07"  # 519 = 0x207 bytes of data
        + data
        + b"\x00"  # no extensions
    )
    packet = ilp.encode_packet(TRANSACTION)
    assert packet == b64url(expected)
    assert "=" not in packet and "+" not in packet and "/" not in packet


def test_decode_round_trip() -> None:
    transaction = dict(TRANSACTION, note="café ☕")
    decoded = ilp.decode_packet(ilp.encode_packet(transaction))
    assert decoded.amount == 15000
    assert decoded.account == "g.fsp202.msisdn.256"
    assert decoded.transaction == transaction
    assert list(decoded.transaction) == list(transaction)  # key order survives


def test_decode_accepts_padded_standard_base64() -> None:
    packet = ilp.encode_packet(TRANSACTION)
    raw = ilp.b64url_decode(packet)
    assert ilp.decode_packet(base64.b64encode(raw).decode()).transaction == TRANSACTION


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (bytes.fromhex("0c03000000"), "not an ILP payment"),
        (bytes.fromhex("011c0000"), "truncated"),
        (ilp.serialize_payment(1, "g.a", b"") + b"\x00", "trailing"),
    ],
)
def test_decode_rejects_malformed_packets(raw: bytes, message: str) -> None:
    with pytest.raises(ilp.IlpError, match=message):
        ilp.decode_packet(b64url(raw))


def test_decode_rejects_non_base64() -> None:
    with pytest.raises(ilp.IlpError):
        ilp.decode_packet("not*base64")


@pytest.mark.parametrize(
    ("amount", "currency", "units"),
    [
        ("10.25", "USD", 1025),
        ("10.25", "XXX", 102500),  # XXX: 4 decimals in the SDK's table
        ("100", "JPY", 100),
        ("1.005", "KWD", 1005),
        ("0", "USD", 0),
        # What the SDK does with what does not fit (BigNumber text read by Long.fromString):
        ("1.001", "USD", 100),  # "100.1": parseInt stops at the point
        ("1.5", "JPY", 1),
        # "9.999999999999999999999e+21" read 8 characters at a time: "9.999999" → 9,
        # "99999999", "9999999e" → 9999999, "+21" → 21; modulo 2^64.
        (
            "999999999999999999.9999",
            "XXX",
            (((9 * 10**8 + 99999999) * 10**8 + 9999999) * 10**3 + 21) % 2**64,
        ),
        ("184467440737095516.16", "USD", 0),  # exactly 2^64 wraps to 0
    ],
)
def test_amount_in_units_as_the_sdk_computes_it(amount: str, currency: str, units: int) -> None:
    assert ilp.ilp_amount(amount, currency) == units


@pytest.mark.parametrize(("amount", "currency"), [("7.5", "ZZZ"), ("1", "SLE"), ("abc", "USD")])
def test_amount_refused_for_currencies_outside_the_table_and_non_numbers(
    amount: str, currency: str
) -> None:
    with pytest.raises(ilp.IlpError):
        ilp.ilp_amount(amount, currency)


def test_ilp_address_lowercases_type_and_identifier() -> None:
    party = {"partyIdInfo": {"partyIdType": "ACCOUNT_ID", "partyIdentifier": "AbC", "fspId": "F1"}}
    assert ilp.ilp_address(party) == "g.F1.account_id.abc"
    party["partyIdInfo"]["partySubIdOrType"] = "SUB"
    assert ilp.ilp_address(party) == "g.F1.account_id.abc.sub"
    del party["partyIdInfo"]["fspId"]  # JavaScript's template string says so
    assert ilp.ilp_address(party) == "g.undefined.account_id.abc.sub"


def test_condition_of_zero_preimage_is_known_sha256() -> None:
    sha256_of_32_zeros = "66687aadf862bd776c8fc18b8e9f8e20089714856ee233b3902a591d0d5f2925"
    assert ilp.condition_for(b64url(bytes(32))) == b64url(bytes.fromhex(sha256_of_32_zeros))


def test_fulfilment_and_condition_relation_and_lengths() -> None:
    packet = ilp.encode_packet(TRANSACTION)
    fulfilment = ilp.fulfilment("s" * 32, packet)
    condition = ilp.condition_for(fulfilment)
    assert len(fulfilment) == len(condition) == 43
    assert ilp.is_valid_condition_string(fulfilment) and ilp.is_valid_condition_string(condition)
    assert condition == b64url(hashlib.sha256(ilp.b64url_decode(fulfilment)).digest())
    assert ilp.fulfilment("t" * 32, packet) != fulfilment  # the secret matters
    assert ilp.fulfilment("s" * 32, packet + "A") != fulfilment  # so does the packet


def test_condition_for_requires_a_32_byte_preimage() -> None:
    with pytest.raises(ilp.IlpError, match="32 bytes"):
        ilp.condition_for(b64url(bytes(31)))


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("A" * 43, True),
        ("aZ09-_" + "x" * 37, True),
        ("A" * 42, False),
        ("A" * 44, False),
        ("A" * 42 + "+", False),
        ("A" * 42 + "=", False),
        ("A" * 43 + "\n", False),
        (None, False),
    ],
)
def test_is_valid_condition_string(value: object, valid: bool) -> None:
    assert ilp.is_valid_condition_string(value) is valid
