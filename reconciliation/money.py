"""Money is a Decimal plus an ISO 4217 currency; this module is the one place that knows how."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal
from functools import cache

from django.core.exceptions import ValidationError
from iso4217 import Currency

#: Precision of every money column. Three places so KWD/BHD/TND amounts are exact too.
MONEY_MAX_DIGITS = 18
MONEY_DECIMAL_PLACES = 3
RATE_MAX_DIGITS = 20
RATE_DECIMAL_PLACES = 10


@cache
def currency_exponent(code: str) -> int:
    """Number of minor-unit digits (EUR 2, JPY 0, KWD 3)."""
    try:
        exponent = Currency(code.upper()).exponent
    except ValueError:
        return 2
    return int(exponent) if exponent is not None else 2


def is_known_currency(code: str | None) -> bool:
    if not code or len(code) != 3:
        return False
    try:
        Currency(code.upper())
    except ValueError:
        return False
    return True


def validate_currency(code: str) -> None:
    if not is_known_currency(code):
        raise ValidationError(f"{code!r} is not an ISO 4217 currency code.")


def quantize(amount: Decimal, currency: str) -> Decimal:
    """Round to the currency's minor unit (banker's rounding, as accounting systems do)."""
    exponent = currency_exponent(currency)
    return amount.quantize(Decimal(1).scaleb(-exponent), rounding=ROUND_HALF_EVEN)


def format_money(amount: Decimal | None, currency: str | None) -> str:
    if amount is None:
        return "—"
    code = (currency or "").upper()
    value = quantize(amount, code) if code else amount
    return f"{value:,} {code}".strip()


def convert(amount: Decimal, rate: Decimal, to_currency: str) -> Decimal:
    return quantize(amount * rate, to_currency)
