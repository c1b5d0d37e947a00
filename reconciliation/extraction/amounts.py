"""Money as printed in Europe, the UK, the US, Switzerland and India, read into Decimal."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from decimal import InvalidOperation
from typing import Literal

DecimalMark = Literal[",", "."]

# Currency symbols and the ISO codes they stand for. "$" is USD unless a code says otherwise.
CURRENCY_SYMBOLS: dict[str, str] = {
    "€": "EUR",
    "$": "USD",
    "US$": "USD",
    "£": "GBP",
    "₹": "INR",
    "¥": "JPY",
    "zł": "PLN",
    "Kč": "CZK",
    "kr": "SEK",
    "Fr.": "CHF",
    "CHF": "CHF",
    "Rs.": "INR",
    "Rs": "INR",
}
CURRENCY_CODES = frozenset(
    [
        "EUR",
        "USD",
        "GBP",
        "CHF",
        "INR",
        "JPY",
        "PLN",
        "CZK",
        "SEK",
        "DKK",
        "NOK",
        "HUF",
        "RON",
        "BGN",
        "CAD",
        "AUD",
        "NZD",
        "CNY",
        "HKD",
        "SGD",
        "AED",
        "ZAR",
        "BRL",
        "MXN",
        "TRY",
        "ILS",
    ]
)
CURRENCY_NAMES: dict[str, str] = {
    "euro": "EUR",
    "euros": "EUR",
    "us dollars": "USD",
    "dollars": "USD",
    "pounds sterling": "GBP",
    "schweizer franken": "CHF",
    "rupees": "INR",
}

# A number as printed: optional sign, digits with thousands groups (. , ' or, in a second
# pass, a space) and an optional decimal part. A currency code may be glued to either side.
_BEFORE = r"(?:(?<=EUR)|(?<=USD)|(?<=GBP)|(?<=CHF)|(?<=INR)|(?<![\w.,/-]))"
_AFTER = r"(?!(?!EUR|USD|GBP|CHF|INR)[\w/]|[.,]\d|\s?%)"
_NUMBER = (
    r"\d{1,2}(?:,\d{2})+,\d{3}(?:\.\d{1,2})?"  # Indian grouping: 1,23,456.78
    r"|\d{1,3}(?:[.,'’]\d{3})+(?:[.,]\d{1,4})?"
    r"|\d+(?:[.,]\d{1,4})?"
)
AMOUNT_PATTERN = re.compile(
    _BEFORE + r"(?P<sign>[-−–+]\s?)?(?P<num>" + _NUMBER + r")(?P<trail>-(?!\d))?" + _AFTER
)
SPACED_PATTERN = re.compile(
    _BEFORE
    + r"(?P<sign>[-−–+]\s?)?(?P<num>\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?:[.,]\d{1,2})?)"
    + r"(?P<trail>-(?!\d))?"
    + _AFTER
)


@dataclass(frozen=True)
class Amount:
    value: Decimal
    start: int
    end: int
    text: str
    has_decimals: bool  # printed with a decimal part: looks like money
    ambiguous: bool  # a single separator followed by three digits
    spaced: bool = False  # grouped with spaces: may also be two numbers

    @property
    def is_money(self) -> bool:
        """Two decimals, as totals are printed (unit prices often carry four)."""
        return self.has_decimals and self.value.as_tuple().exponent == -2


def parse_number(text: str, mark: DecimalMark | None = None) -> tuple[Decimal, bool, bool] | None:
    """Read one printed number. Returns (value, has_decimals, ambiguous) or None.

    ``mark`` is the document's decimal mark when known; it only settles "1.234" / "1,234".
    """
    s = text.replace("\u00a0", " ").replace("\u202f", " ").replace("’", "'").strip()
    negative = False
    if s[:1] in "-−–":
        negative = True
        s = s[1:].strip()
    elif s[:1] == "+":
        s = s[1:].strip()
    if s.endswith("-"):
        negative = True
        s = s[:-1]
    s = s.replace("'", "").replace(" ", "")
    if not s or not s[0].isdigit():
        return None
    dots, commas = s.count("."), s.count(",")
    ambiguous = False
    decimal_sep: str | None
    if dots and commas:
        decimal_sep = "." if s.rfind(".") > s.rfind(",") else ","
        other = "," if decimal_sep == "." else "."
        if s.count(decimal_sep) > 1 or s.rfind(other) > s.rfind(decimal_sep):
            return None
    elif dots or commas:
        sep = "." if dots else ","
        tail = len(s) - s.rfind(sep) - 1
        if s.count(sep) > 1:
            decimal_sep = None  # 1.234.567: grouping only
        elif tail == 3:
            ambiguous = True
            decimal_sep = sep if mark == sep else None
        else:
            decimal_sep = sep
    else:
        decimal_sep = None
    if decimal_sep is None:
        digits = s.replace(".", "").replace(",", "")
        has_decimals = False
    else:
        head, _, tail_digits = s.rpartition(decimal_sep)
        digits = head.replace(".", "").replace(",", "") + "." + tail_digits
        has_decimals = True
    try:
        value = Decimal(digits)
    except InvalidOperation:
        return None
    return (-value if negative else value), has_decimals, ambiguous


def find_amounts(text: str, mark: DecimalMark | None = None) -> list[Amount]:
    """Every number in ``text`` that can be read as an amount, left to right.

    "1 234,56" is read both as one amount and as "1" and "234,56": a space is a thousands
    separator in French but also separates a quantity from a price, so callers weigh both.
    """
    found: list[Amount] = []
    for pattern, spaced in ((AMOUNT_PATTERN, False), (SPACED_PATTERN, True)):
        for m in pattern.finditer(text):
            raw = m.group(0)
            parsed = parse_number(raw, mark)
            if parsed is None:
                continue
            value, has_decimals, ambiguous = parsed
            found.append(
                Amount(value, m.start(), m.end(), raw.strip(), has_decimals, ambiguous, spaced)
            )
    if mark is not None:
        # Two columns printed without a gap: "163,16183,14" is 163,16 and 183,14.
        glued = _GLUED_COMMA if mark == "," else _GLUED_DOT
        for m in glued.finditer(text):
            for group in (1, 2):
                parsed = parse_number(m.group(group), mark)
                if parsed is not None:
                    value, has_decimals, ambiguous = parsed
                    found.append(
                        Amount(value, m.start(group), m.end(group), m.group(group), True, False)
                    )
    found.sort(key=lambda a: (a.start, -a.end))
    return found


_GLUED_COMMA = re.compile(
    r"(?<![\d.,])(\d{1,3}(?:\.\d{3})*,\d{2})(\d{1,3}(?:\.\d{3})*,\d{2})(?![\d,])"
)
_GLUED_DOT = re.compile(
    r"(?<![\d.,])(\d{1,3}(?:,\d{3})*\.\d{2})(\d{1,3}(?:,\d{3})*\.\d{2})(?![\d.])"
)


def guess_decimal_mark(texts: list[str]) -> DecimalMark | None:
    """The mark most numbers with exactly two decimals use ("12,50" vs "12.50")."""
    comma = dot = 0
    for text in texts:
        comma += len(re.findall(r"(?<![\d.,])\d+(?:[. ']\d{3})*,\d{2}(?![\d,.])", text))
        dot += len(re.findall(r"(?<![\d.,])\d+(?:[, ']\d{3})*\.\d{2}(?![\d,.])", text))
    if comma > dot:
        return ","
    if dot > comma:
        return "."
    return None


def currency_in(text: str) -> list[tuple[str, int, int]]:
    """ISO codes, symbols and names for currencies in ``text``: (code, start, end)."""
    found: list[tuple[str, int, int]] = []
    for m in re.finditer(r"(?<![A-Za-z])([A-Z]{3})(?![A-Za-z])", text):
        if m.group(1) in CURRENCY_CODES:
            found.append((m.group(1), m.start(), m.end()))
    for m in re.finditer(r"US\$|€|\$|£|₹|¥|(?<![A-Za-z])(?:zł|Kč|Rs\.?)(?![A-Za-z])", text):
        found.append((CURRENCY_SYMBOLS[m.group(0)], m.start(), m.end()))
    lower = text.lower()
    for name, code in CURRENCY_NAMES.items():
        for m in re.finditer(r"(?<![a-z])" + re.escape(name) + r"(?![a-z])", lower):
            found.append((code, m.start(), m.end()))
    return found
