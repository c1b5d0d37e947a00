"""Money is a Decimal plus an ISO 4217 currency; this module is the one place that knows how."""

from __future__ import annotations

from contextvars import ContextVar
from decimal import ROUND_HALF_EVEN
from decimal import Decimal
from functools import cache
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils import numberformat
from django.utils.formats import get_format
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


#: The reader's language for number separators, set per request (web.number_locale).
number_locale: ContextVar[str] = ContextVar("number_locale", default="")


def format_money(amount: Decimal | None, currency: str | None, *, locale: str = "") -> str:
    """An amount for people: the currency's ISO 4217 minor units (2 for EUR, 0 for JPY, 3 for
    KWD) and the separators of `locale` (the reader's language; the site's by default)."""
    if amount is None:
        return "—"
    code = (currency or "").upper()
    value = quantize(amount, code) if code else amount
    places = currency_exponent(code) if code else max(0, -int(value.as_tuple().exponent))
    language = locale or number_locale.get() or settings.LANGUAGE_CODE
    return f"{_grouped(value, places, language)} {code}".strip()


@cache
def _separators(language: str) -> tuple[str, Any, str]:
    """(decimal separator, grouping, thousands separator) of `language`'s number format."""
    return (
        str(get_format("DECIMAL_SEPARATOR", language, use_l10n=True)),
        get_format("NUMBER_GROUPING", language, use_l10n=True),
        str(get_format("THOUSAND_SEPARATOR", language, use_l10n=True)),
    )


@receiver(setting_changed)
def _forget_separators(*, setting: str, **kwargs: Any) -> None:
    if setting in {"FORMAT_MODULE_PATH", "LANGUAGE_CODE", "USE_THOUSAND_SEPARATOR"} or (
        setting.endswith(("_SEPARATOR", "_GROUPING"))
    ):
        _separators.cache_clear()


def _grouped(value: Decimal, places: int, language: str) -> str:
    """`value` with `places` decimals in the separators of `language`. Groups of three (most
    locales) are written by Python's own formatter: the matcher writes this for every candidate
    it scores, and Django's general formatter costs five times as much."""
    decimal_separator, grouping, thousand_separator = _separators(language)
    if value.is_zero():
        value = abs(value)  # no "-0" for an amount rounded to nothing
    if grouping == 3:
        text = format(value, f",.{places}f")
        return text.translate({ord(","): thousand_separator, ord("."): decimal_separator})
    return numberformat.format(
        value,
        decimal_separator,
        decimal_pos=places,
        grouping=grouping,
        thousand_sep=thousand_separator,
        force_grouping=True,
        use_l10n=True,
    )


def convert(amount: Decimal, rate: Decimal, to_currency: str) -> Decimal:
    return quantize(amount * rate, to_currency)


#: Amount columns whose currency is not the row's `currency` column.
_CURRENCY_OF_AMOUNT = {
    "converted_amount": "home_currency",
    "local_amount": "local_currency",
    "matched_amount": "matched_currency",
}


def currency_field_of(amount_field: str) -> str:
    """The column holding the currency of a money column (`currency` unless named otherwise)."""
    return _CURRENCY_OF_AMOUNT.get(amount_field, "currency")


def quantize_known(amount: Decimal | None, currency: str | None) -> Decimal | None:
    """`quantize` when the currency is known; an amount without one is left as stored."""
    if amount is None or not is_known_currency(currency):
        return amount
    return quantize(amount, str(currency))


def spreadsheet_format(currency: str) -> str:
    """The spreadsheet number format of an amount in ``currency``: grouped, with the currency's
    minor units ("#,##0.00" for EUR, "#,##0" for JPY, "#,##0.000" for KWD)."""
    places = currency_exponent(currency.upper())
    return "#,##0." + "0" * places if places else "#,##0"


def format_rate(rate: Decimal | None) -> str:
    """An exchange rate at full precision without trailing zeros ("1.0000000000" -> "1")."""
    if rate is None:
        return "—"
    text = f"{rate:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
