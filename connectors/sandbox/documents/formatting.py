"""How numbers, money, dates and identifiers are printed in each supported language."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from connectors.sandbox.documents.model import DateStyle
from connectors.sandbox.documents.model import MoneyStyle
from connectors.sandbox.documents.model import Party
from connectors.sandbox.documents.model import to_cents

LANGUAGES: tuple[str, ...] = ("en", "fr", "de", "nl", "es", "it")

MONTHS: dict[str, tuple[str, ...]] = {
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
    "fr": (
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ),
    "de": (
        "Januar",
        "Februar",
        "März",
        "April",
        "Mai",
        "Juni",
        "Juli",
        "August",
        "September",
        "Oktober",
        "November",
        "Dezember",
    ),
    "nl": (
        "januari",
        "februari",
        "maart",
        "april",
        "mei",
        "juni",
        "juli",
        "augustus",
        "september",
        "oktober",
        "november",
        "december",
    ),
    "es": (
        "enero",
        "febrero",
        "marzo",
        "abril",
        "mayo",
        "junio",
        "julio",
        "agosto",
        "septiembre",
        "octubre",
        "noviembre",
        "diciembre",
    ),
    "it": (
        "gennaio",
        "febbraio",
        "marzo",
        "aprile",
        "maggio",
        "giugno",
        "luglio",
        "agosto",
        "settembre",
        "ottobre",
        "novembre",
        "dicembre",
    ),
}

# (thousands separator, decimal separator)
_SEPARATORS: dict[str, tuple[str, str]] = {
    "en": (",", "."),
    "fr": (" ", ","),
    "de": (".", ","),
    "nl": (".", ","),
    "es": (".", ","),
    "it": (".", ","),
}
SYMBOLS: dict[str, str] = {"EUR": "€", "USD": "$", "GBP": "£"}
# Where the currency goes in each language: before ("€ 1.234,56") or after ("1.234,56 €").
_SYMBOL_FIRST = frozenset({"en", "nl", "it"})
_CODE_FIRST = frozenset({"en", "nl", "it"})

COUNTRY_NAMES: dict[str, dict[str, str]] = {
    "en": {
        "FR": "France",
        "DE": "Germany",
        "NL": "The Netherlands",
        "ES": "Spain",
        "IT": "Italy",
        "GB": "United Kingdom",
        "BE": "Belgium",
        "US": "USA",
    },
    "fr": {
        "FR": "France",
        "DE": "Allemagne",
        "NL": "Pays-Bas",
        "ES": "Espagne",
        "IT": "Italie",
        "GB": "Royaume-Uni",
        "BE": "Belgique",
        "US": "États-Unis",
    },
    "de": {
        "FR": "Frankreich",
        "DE": "Deutschland",
        "NL": "Niederlande",
        "ES": "Spanien",
        "IT": "Italien",
        "GB": "Vereinigtes Königreich",
        "BE": "Belgien",
        "US": "USA",
    },
    "nl": {
        "FR": "Frankrijk",
        "DE": "Duitsland",
        "NL": "Nederland",
        "ES": "Spanje",
        "IT": "Italië",
        "GB": "Verenigd Koninkrijk",
        "BE": "België",
        "US": "VS",
    },
    "es": {
        "FR": "Francia",
        "DE": "Alemania",
        "NL": "Países Bajos",
        "ES": "España",
        "IT": "Italia",
        "GB": "Reino Unido",
        "BE": "Bélgica",
        "US": "EE. UU.",
    },
    "it": {
        "FR": "Francia",
        "DE": "Germania",
        "NL": "Paesi Bassi",
        "ES": "Spagna",
        "IT": "Italia",
        "GB": "Regno Unito",
        "BE": "Belgio",
        "US": "USA",
    },
}


def format_number(value: Decimal, language: str, *, places: int = 2) -> str:
    """1234.5 → "1,234.50" (en), "1 234,50" (fr), "1.234,50" (de, nl, es, it)."""
    thousands, decimal_mark = _SEPARATORS[language]
    quantum = Decimal(1).scaleb(-places)
    text = f"{abs(value.quantize(quantum)):,.{places}f}"
    whole, _, fraction = text.partition(".")
    whole = whole.replace(",", thousands)
    sign = "-" if value < 0 else ""
    return f"{sign}{whole}{decimal_mark}{fraction}" if places else f"{sign}{whole}"


def format_money(value: Decimal, currency: str, language: str, style: MoneyStyle) -> str:
    """Amount with its currency as a local invoice prints it.

    en "€1,234.56" / "EUR 1,234.56"; fr "1 234,56 €"; de "1.234,56 EUR"; nl, it "€ 1.234,56".
    """
    amount = to_cents(value)
    number = format_number(abs(amount), language)
    sign = "-" if amount < 0 else ""
    symbol = SYMBOLS.get(currency) if style == "symbol" else None
    if symbol is not None:
        if language == "en":
            return f"{sign}{symbol}{number}"
        if language in _SYMBOL_FIRST:
            return f"{symbol} {sign}{number}"
        return f"{sign}{number} {symbol}"
    if language in _CODE_FIRST:
        return f"{currency} {sign}{number}"
    return f"{sign}{number} {currency}"


def currency_mark(currency: str, style: MoneyStyle) -> str:
    """What stands for the currency on the page ("€" or "EUR")."""
    if style == "symbol" and currency in SYMBOLS:
        return SYMBOLS[currency]
    return currency


def format_percent(rate: Decimal, language: str) -> str:
    """20 → "20%" (en), "20 %" (fr, de), "5,5%" (es, it, nl)."""
    places = 0 if rate == rate.to_integral_value() else 1
    number = format_number(rate, language, places=places)
    return f"{number} %" if language in {"fr", "de"} else f"{number}%"


def format_date(value: date, language: str, style: DateStyle) -> str:
    """05.03.2024 (de), 05-03-2024 (nl), 05/03/2024; 5 March 2024, 5. März 2024,
    5 de marzo de 2024; us_long "March 5, 2024"; iso "2024-03-05"."""
    if style == "iso":
        return value.isoformat()
    if style == "numeric":
        separator = {"de": ".", "nl": "-"}.get(language, "/")
        return f"{value.day:02d}{separator}{value.month:02d}{separator}{value.year}"
    month = MONTHS[language][value.month - 1]
    if style == "us_long" and language == "en":
        return f"{month} {value.day}, {value.year}"
    if language == "de":
        return f"{value.day}. {month} {value.year}"
    if language == "es":
        return f"{value.day} de {month} de {value.year}"
    return f"{value.day} {month} {value.year}"


def format_iban(iban: str) -> str:
    """Groups of four, as every bank prints it."""
    compact = iban.replace(" ", "")
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))


def format_vat_id(vat_id: str, spaced: bool) -> str:
    """Compact "FR40303265045", or the spaced form some letterheads use ("FR 40 303265045")."""
    if not spaced:
        return vat_id
    prefix, rest = vat_id[:2], vat_id[2:]
    if prefix == "FR":
        return f"FR {rest[:2]} {rest[2:]}"
    return f"{prefix} {rest}"


def city_line(party: Party) -> str:
    """ "75010 Paris", but "San Francisco, CA 94105" and "London EC1M 5RJ"."""
    if party.country == "US":
        return f"{party.city}, {party.postcode}"
    if party.country == "GB":
        return f"{party.city} {party.postcode}"
    return f"{party.postcode} {party.city}"


def country_name(country: str, language: str) -> str:
    return COUNTRY_NAMES[language].get(country, country)
