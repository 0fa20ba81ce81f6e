"""Minor-unit digits per currency, the table the SDK scales ILP amounts with.

The same entries as @mojaloop/sdk-standard-components ``src/lib/ilp/currency.json`` (ISO 4217,
plus XTS and XXX at 4): the SDK refuses a currency that is not in it, and so does the lab. The
contract tests compare this table with the package's.
"""

from __future__ import annotations

_NO_DECIMALS = (
    "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI",
    "VND", "VUV", "XAF", "XOF", "XPF",
)  # fmt: skip
_TWO_DECIMALS = (
    "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD",
    "BDT", "BGN", "BMD", "BND", "BOB", "BOV", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD",
    "CAD", "CDF", "CHE", "CHF", "CHW", "CNY", "COP", "COU", "CRC", "CUC", "CUP", "CVE",
    "CZK", "DKK", "DOP", "DZD", "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP", "GEL",
    "GHS", "GIP", "GMD", "GTQ", "GYD", "HKD", "HNL", "HRK", "HTG", "HUF", "IDR", "ILS",
    "INR", "IRR", "JMD", "KES", "KGS", "KHR", "KPW", "KYD", "KZT", "LAK", "LBP", "LKR",
    "LRD", "LSL", "MAD", "MDL", "MGA", "MKD", "MMK", "MNT", "MOP", "MRU", "MUR", "MVR",
    "MWK", "MXN", "MXV", "MYR", "MZN", "NAD", "NGN", "NIO", "NOK", "NPR", "NZD", "PAB",
    "PEN", "PGK", "PHP", "PKR", "PLN", "QAR", "RON", "RSD", "RUB", "SAR", "SBD", "SCR",
    "SDG", "SEK", "SGD", "SHP", "SLL", "SOS", "SRD", "SSP", "STN", "SVC", "SYP", "SZL",
    "THB", "TJS", "TMT", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH", "USD", "USN", "UYU",
    "UZS", "VES", "WST", "XCD", "YER", "ZAR", "ZMW", "ZWL",
)  # fmt: skip
_THREE_DECIMALS = (
    "BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND",
)  # fmt: skip
_FOUR_DECIMALS = (
    "CLF", "UYW", "XTS", "XXX",
)  # fmt: skip

CURRENCY_DECIMALS: dict[str, int] = {
    **dict.fromkeys(_NO_DECIMALS, 0),
    **dict.fromkeys(_TWO_DECIMALS, 2),
    **dict.fromkeys(_THREE_DECIMALS, 3),
    **dict.fromkeys(_FOUR_DECIMALS, 4),
}
