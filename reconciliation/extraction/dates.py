"""Dates as printed in EN, FR, DE, NL, ES and IT: numeric and with month names."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from reconciliation.text.folding import fold_keeping_offsets as _fold

_MONTH_NAMES = {
    "en": "january february march april may june july august september october november december",
    "de": "januar februar märz april mai juni juli august september oktober november dezember",
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
    "nl": "januari februari maart april mei juni juli augustus september oktober november december",
    "es": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre "
    "diciembre",
    "it": "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre "
    "dicembre",
}


MONTHS: dict[str, int] = {}
for _names in _MONTH_NAMES.values():
    for _number, _name in enumerate(_names.split(), start=1):
        MONTHS[_fold(_name)] = _number
# Abbreviations, with and without a dot; only those that cannot be an ordinary word.
for _abbr, _number in {
    "jan": 1, "feb": 2, "febr": 2, "mar": 3, "mrz": 3, "apr": 4, "jun": 6, "jul": 7,
    "aug": 8, "sep": 9, "sept": 9, "oct": 10, "okt": 10, "nov": 11, "dec": 12, "dez": 12,
    "janv": 1, "fevr": 2, "avr": 4, "juil": 7, "ene": 1, "abr": 4, "ago": 8, "dic": 12,
    "gen": 1, "giu": 6, "lug": 7, "set": 9, "ott": 10, "mei": 5, "maa": 3, "mrt": 3,
    "maerz": 3,
}.items():  # fmt: skip
    MONTHS.setdefault(_abbr, _number)

_MONTH_ALT = "|".join(sorted((re.escape(m) for m in MONTHS), key=len, reverse=True))
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th|er|e|º|°)?\.?"
_YEAR = r"(?P<year>(?:19|20)\d{2})"
# "3 March 2024", "3. März 2024", "8 de marzo de 2024", "02 Juillet 2015", "1er mai 2024"
_DAY_MONTH_YEAR = re.compile(
    r"(?<![\w])"
    + _DAY
    + r"\s*(?:de\s+)?(?P<month>"
    + _MONTH_ALT
    + r")\.?,?\s*(?:de\s+|del\s+)?"
    + _YEAR
    + r"(?!\d)"
)
# "March 3, 2024", "Jan 1, 2022", "August 3 , 2014"
_MONTH_DAY_YEAR = re.compile(
    r"(?<![\w])(?P<month>" + _MONTH_ALT + r")\.?\s+" + _DAY + r"\s*,?\s*" + _YEAR + r"(?!\d)"
)
_NUMERIC = re.compile(
    r"(?<![\d.,/-])(?:"
    r"(?P<iso_y>(?:19|20)\d{2})-(?P<iso_m>[01]?\d)-(?P<iso_d>[0-3]?\d)"
    r"|(?P<a>[0-3]?\d)(?P<sep>[./-])(?P<b>[01]?\d)(?P=sep)(?P<y>(?:19|20)?\d{2})"
    r"|(?P<a2>[01]?\d)/(?P<b2>[0-3]?\d)/(?P<y2>(?:19|20)\d{2})"
    r")(?![\d]|[.,/-]\d)"
)


@dataclass(frozen=True)
class FoundDate:
    value: date
    start: int
    end: int
    text: str
    month_name: bool  # written with a month name: no day/month ambiguity
    ambiguous: bool  # numeric with both parts ≤ 12, read day first


def _make(year: int, month: int, day: int) -> date | None:
    if year < 100:
        year += 2000
    try:
        found = date(year, month, day)
    except ValueError:
        return None
    if not 1990 <= found.year <= 2100:
        return None
    return found


def find_dates(text: str, *, month_first: bool = False) -> list[FoundDate]:
    """Every date in ``text``. Numeric dates are read day first (Europe) unless
    ``month_first`` (US documents) or only one reading is a valid date."""
    found: list[FoundDate] = []
    source = _fold(text)  # one character for one: offsets in it are offsets in text
    for pattern in (_DAY_MONTH_YEAR, _MONTH_DAY_YEAR):
        for m in pattern.finditer(source):
            month = MONTHS.get(m.group("month").rstrip("."))
            if month is None:
                continue
            value = _make(int(m.group("year")), month, int(m.group("day")))
            if value is not None:
                found.append(
                    FoundDate(value, m.start(), m.end(), text[m.start() : m.end()], True, False)
                )
    for m in _NUMERIC.finditer(text):
        ambiguous = False
        if m.group("iso_y"):
            value = _make(int(m.group("iso_y")), int(m.group("iso_m")), int(m.group("iso_d")))
        else:
            if m.group("a") is not None:
                a, b, year_text = int(m.group("a")), int(m.group("b")), m.group("y")
            else:
                a, b, year_text = int(m.group("a2")), int(m.group("b2")), m.group("y2")
            first, second = (b, a) if month_first else (a, b)  # (day, month)
            value = _make(int(year_text), second, first)
            alternative = _make(int(year_text), first, second)
            if value is None:
                value = alternative
            elif alternative is not None and alternative != value and m.group("sep") != ".":
                # Dotted dates are day first everywhere; slashes and dashes are not.
                ambiguous = True
        if value is not None:
            found.append(FoundDate(value, m.start(), m.end(), m.group(0), False, ambiguous))
    found.sort(key=lambda d: d.start)
    return _without_overlaps(found)


def _without_overlaps(found: list[FoundDate]) -> list[FoundDate]:
    kept: list[FoundDate] = []
    for item in found:
        if kept and item.start < kept[-1].end:
            if (item.end - item.start) > (kept[-1].end - kept[-1].start):
                kept[-1] = item
            continue
        kept.append(item)
    return kept
