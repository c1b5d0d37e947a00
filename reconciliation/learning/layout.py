"""The page as the learned mapping sees it: visual lines of words, values read the way a
field is printed (dates, amounts, identifiers), and the label next to a value."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from decimal import InvalidOperation
from typing import Any
from typing import Literal

from reconciliation.extraction.amounts import currency_in
from reconciliation.extraction.amounts import find_amounts
from reconciliation.extraction.dates import find_dates
from reconciliation.extraction.types import AMOUNT_FIELDS
from reconciliation.extraction.types import DATE_FIELDS
from reconciliation.extraction.types import FieldValue
from reconciliation.extraction.types import Word
from reconciliation.extraction.types import WordRow
from reconciliation.money import is_known_currency
from reconciliation.text.domains import normalize_domain
from reconciliation.text.domains import normalize_host
from reconciliation.text.folding import fold
from reconciliation.text.identifiers import compact_identifier
from reconciliation.text.identifiers import compact_vat_id
from reconciliation.text.identifiers import normalize_iban
from reconciliation.text.identifiers import normalize_vat_id

Relation = Literal["right", "below", "position", "constant"]

MAX_VALUE_WORDS = 8
MAX_LABEL_WORDS = 4
_CURRENCY_SYMBOL = re.compile(r"^(?:US\$|€|\$|£|₹|¥|zł|Kč|Fr\.|Rs\.?)$")
EDGE_PUNCTUATION = " \t:;,#*()[]'\"“”«»"
_PERCENT = re.compile(r"^[+-]?\d+(?:[.,]\d+)?\s?%$")


# --- geometry --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Line(WordRow):
    page: int
    words: tuple[Word, ...]  # left to right


def build_lines(words: list[Word]) -> list[Line]:
    """Words grouped into visual lines (same page, overlapping vertically), top to bottom."""
    lines: list[Line] = []
    ordered = sorted(words, key=lambda w: (w.page, round(w.top, 1), w.x0))
    current: list[Word] = []
    for word in ordered:
        if current and (word.page != current[0].page or not _same_row(current, word)):
            lines.append(Line(current[0].page, tuple(sorted(current, key=lambda w: w.x0))))
            current = []
        current.append(word)
    if current:
        lines.append(Line(current[0].page, tuple(sorted(current, key=lambda w: w.x0))))
    return lines


def _same_row(row: list[Word], word: Word) -> bool:
    top = min(w.top for w in row)
    bottom = max(w.bottom for w in row)
    overlap = min(bottom, word.bottom) - max(top, word.top)
    height = min(bottom - top, word.bottom - word.top) or 1.0
    return overlap >= 0.5 * height


def page_size(page_sizes: list[tuple[float, float]], page: int) -> tuple[float, float]:
    if 1 <= page <= len(page_sizes):
        width, height = page_sizes[page - 1]
        if width > 0 and height > 0:
            return width, height
    return 595.0, 842.0  # A4 in points, when the engine did not say


def bbox_of(words: tuple[Word, ...] | list[Word]) -> tuple[float, float, float, float]:
    return (
        min(w.x0 for w in words),
        min(w.top for w in words),
        max(w.x1 for w in words),
        max(w.bottom for w in words),
    )


def text_of(words: tuple[Word, ...] | list[Word]) -> str:
    return " ".join(w.text for w in words)


def words_from_json(raw: list[Any]) -> list[Word]:
    """`Document.words` / `Extraction.to_json()["words"]` back into Word objects."""
    words: list[Word] = []
    for item in raw or []:
        if isinstance(item, dict):
            words.append(
                Word(
                    int(item["page"]),
                    str(item["text"]),
                    float(item["x0"]),
                    float(item["top"]),
                    float(item["x1"]),
                    float(item["bottom"]),
                )
            )
        else:
            page, text, x0, top, x1, bottom = item
            words.append(
                Word(int(page), str(text), float(x0), float(top), float(x1), float(bottom))
            )
    return words


# --- reading a value the way a field is written ------------------------------------------------


@dataclass(frozen=True)
class Reading:
    value: FieldValue
    month_first: bool | None = None
    decimal_mark: str | None = None


def plain(text: str) -> str:
    return re.sub(r"\s+", " ", fold(text)).strip(EDGE_PUNCTUATION + ".")


def shape_of(text: str) -> str:
    """The format of an identifier with run lengths dropped: "INV-2024-0012" -> "A-9-9"."""
    out: list[str] = []
    for char in text.strip():
        kind = "9" if char.isdigit() else "A" if char.isalpha() else char
        if not out or out[-1] != kind or kind not in "9A":
            out.append(kind)
    return "".join(out)


def _is_currency_token(token: str) -> bool:
    token = token.strip(EDGE_PUNCTUATION + ".")
    if _CURRENCY_SYMBOL.match(token):
        return True
    return len(token) == 3 and token.isupper() and is_known_currency(token)


def _strip_currency(text: str) -> str:
    kept = [token for token in text.split() if not _is_currency_token(token)]
    return " ".join(kept).strip(EDGE_PUNCTUATION)


def _covers(start: int, end: int, text: str) -> bool:
    core = text.strip(EDGE_PUNCTUATION + ".")
    offset = text.find(core) if core else 0
    return start <= offset + 1 and end >= offset + len(core) - 1


def read_value(
    field_name: str, text: str, *, month_first: bool | None = None, decimal_mark: str | None = None
) -> Reading | None:
    """Read `text` (a few words) as a value of `field_name`, or None if it is not one."""
    text = text.strip()
    if not text:
        return None
    if field_name in DATE_FIELDS:
        readings = [month_first] if month_first is not None else [False, True]
        for order in readings:
            for found in find_dates(text, month_first=bool(order)):
                if _covers(found.start, found.end, text):
                    return Reading(
                        found.value, month_first=bool(order) if found.ambiguous else None
                    )
        return None
    if field_name in AMOUNT_FIELDS:
        stripped = _strip_currency(text)
        mark = decimal_mark if decimal_mark in (",", ".") else None
        for amount in find_amounts(stripped, mark):  # type: ignore[arg-type]
            if _covers(amount.start, amount.end, stripped):
                return Reading(abs(amount.value), decimal_mark=_mark_of(amount.text))
        return None
    if field_name == "currency":
        currencies = currency_in(text)
        if len(currencies) == 1 and len(text.strip(EDGE_PUNCTUATION + ".")) <= 4:
            return Reading(currencies[0][0])
        return None
    if field_name == "supplier_vat_id":
        number = compact_vat_id(text.strip(EDGE_PUNCTUATION))
        if normalize_vat_id(number) or re.fullmatch(r"[A-Z]{2}[0-9A-Z]{8,13}", number):
            return Reading(number)
        return None
    if field_name == "supplier_iban":
        iban = normalize_iban(text)
        return Reading(iban) if iban else None
    if field_name == "supplier_domain":
        host = normalize_host(text.strip(EDGE_PUNCTUATION))
        return Reading(host) if host else None
    value = text.strip(EDGE_PUNCTUATION)
    if field_name != "supplier_name":
        value = value.rstrip(".")
    return Reading(value) if value and any(ch.isalnum() for ch in value) else None


def _mark_of(printed: str) -> str | None:
    match = re.search(r"([.,])\d{1,2}$", printed.strip())
    return match.group(1) if match else None


def values_equal(field_name: str, left: FieldValue | str, right: FieldValue | str) -> bool:
    """Two values of one field mean the same (typed comparison, printed forms forgiven)."""
    if field_name in DATE_FIELDS:
        day = _as_date(left)
        return day is not None and day == _as_date(right)
    if field_name in AMOUNT_FIELDS:
        a, b = _as_decimal(left), _as_decimal(right)
        return a is not None and b is not None and abs(a) == abs(b)
    if field_name in ("supplier_vat_id", "supplier_iban", "invoice_number", "currency"):
        return compact_identifier(str(left)) == compact_identifier(str(right))
    if field_name == "supplier_domain":
        return normalize_domain(str(left)) == normalize_domain(str(right))
    return plain(str(left)) == plain(str(right))


def _as_date(value: FieldValue | str) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        return None


def _as_decimal(value: FieldValue | str) -> Decimal | None:
    if isinstance(value, Decimal):
        return value
    try:
        return Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None


# --- where a value is printed, and its label ----------------------------------------------


@dataclass(frozen=True)
class Span:
    line: Line
    start: int  # index of the first value word in line.words
    end: int  # index after the last one
    reading: Reading

    @property
    def words(self) -> tuple[Word, ...]:
        return self.line.words[self.start : self.end]


@dataclass(frozen=True)
class Label:
    relation: Relation
    words: tuple[Word, ...]

    @property
    def text(self) -> str:
        return label_text(self.words)


def label_text(words: tuple[Word, ...] | list[Word]) -> str:
    return plain(text_of(words))


def find_value_spans(field_name: str, lines: list[Line], target: FieldValue | str) -> list[Span]:
    """Every place on the page where `target` is printed, as the shortest word runs."""
    spans: list[Span] = []
    for line in lines:
        count = len(line.words)
        for start in range(count):
            for end in range(start + 1, min(count, start + MAX_VALUE_WORDS) + 1):
                reading = _reading_of(field_name, text_of(line.words[start:end]), target)
                if reading is not None:
                    spans.append(Span(line, start, end, reading))
                    break  # the shortest run from this start word
    return _shortest_first(spans)


def _reading_of(field_name: str, text: str, target: FieldValue | str) -> Reading | None:
    """`text` read as `target`, trying both date orders ("04/05/2024" may be either)."""
    orders: list[bool | None] = [False, True] if field_name in DATE_FIELDS else [None]
    for order in orders:
        reading = read_value(field_name, text, month_first=order)
        if reading is None and field_name in ("supplier_iban", "supplier_vat_id"):
            reading = read_value(field_name, text.replace(" ", ""))
        if reading is not None and values_equal(field_name, reading.value, target):
            return reading
    return None


def _shortest_first(spans: list[Span]) -> list[Span]:
    """Drop runs that contain another matching run (keep "119,00", not "119,00 EUR")."""
    kept: list[Span] = []
    for span in spans:
        inside = any(
            other is not span
            and other.line is span.line
            and span.start <= other.start
            and other.end <= span.end
            and (other.end - other.start) < (span.end - span.start)
            for other in spans
        )
        if not inside:
            kept.append(span)
    return kept


def is_decoration(word: Word, *, keep_currency: bool = False) -> bool:
    """Words printed between a label and its value: punctuation, a currency, a rate."""
    text = word.text.strip(EDGE_PUNCTUATION)
    if not any(ch.isalnum() for ch in text) or _PERCENT.match(text):
        return True
    return not keep_currency and _is_currency_token(text)


def is_label_word(word: Word) -> bool:
    """Labels are words, not values: more letters than digits ("Nr.", not "A-2024/503")."""
    letters = sum(ch.isalpha() for ch in word.text)
    digits = sum(ch.isdigit() for ch in word.text)
    return letters > 0 and letters > digits


def find_label(span: Span, lines: list[Line], page_width: float) -> Label | None:
    """The label of a value: the words just left of it on its line, else the words just
    above it. Decorations (":", "€", "EUR") between label and value are skipped."""
    left = _label_left(span)
    if left is not None and (
        left[-1].text.rstrip().endswith(":") or span.words[0].x0 - left[-1].x1 <= 0.3 * page_width
    ):
        return Label("right", left)
    above = _label_above(span, lines)
    if above is not None:
        return Label("below", above)
    if left is not None:
        return Label("right", left)
    return None


def _label_left(span: Span) -> tuple[Word, ...] | None:
    before = list(span.line.words[: span.start])
    after_percent = False
    while before:
        last = before[-1]
        if is_decoration(last):
            after_percent = last.text.strip() == "%"
            before.pop()
        elif after_percent and re.fullmatch(r"\d+(?:[.,]\d+)?", last.text):
            before.pop()  # "20 %": the rate printed apart from its sign
            after_percent = False
        else:
            break
    if not before or not is_label_word(before[-1]):
        return None
    label = [before.pop()]
    while before and len(label) < MAX_LABEL_WORDS:
        candidate = before[-1]
        gap = label[0].x0 - candidate.x1
        height = label[0].bottom - label[0].top
        if gap > max(6.0, 1.2 * height) or not is_label_word(candidate):
            break
        if candidate.text.rstrip().endswith(":"):
            break  # the end of the previous label on the line
        label.insert(0, before.pop())
    return tuple(label)


def _label_above(span: Span, lines: list[Line]) -> tuple[Word, ...] | None:
    x0, top, x1, bottom = bbox_of(span.words)
    height = bottom - top
    above = [
        line
        for line in lines
        if line.page == span.line.page
        and line.bottom <= top + 1
        and top - line.bottom <= 3 * height
    ]
    if not above:
        return None
    nearest = max(above, key=lambda line: line.bottom)
    overlapping = [
        index
        for index, word in enumerate(nearest.words)
        if min(word.x1, x1) - max(word.x0, x0) > -0.5 * height
    ]
    if not overlapping:
        return None
    words = nearest.words[overlapping[0] : overlapping[-1] + 1][:MAX_LABEL_WORDS]
    if not all(is_label_word(w) or is_decoration(w) for w in words):
        return None
    return tuple(words)


def _field_lexicon(field_name: str) -> re.Pattern[str] | None:
    """The extractor's multilingual label terms for a field, when it has some."""
    from reconciliation.extraction import labels

    names = {
        "invoice_number": ("INVOICE_NUMBER_STRONG", "INVOICE_NUMBER_WEAK"),
        "issue_date": ("ISSUE_DATE", "GENERIC_DATE"),
        "due_date": ("DUE_DATE",),
        "supplier_vat_id": ("VAT_LABEL",),
        "supplier_iban": ("IBAN_LABEL",),
        "currency": ("CURRENCY_LABEL",),
    }.get(field_name, ())
    patterns = [getattr(labels, name, None) for name in names]
    found = [p.pattern for p in patterns if isinstance(p, re.Pattern)]
    if field_name == "total_amount":
        found.append(_TOTAL_TERMS)
    if field_name == "tax_amount":
        found.append(_TAX_TERMS)
    return re.compile("|".join(f"(?:{p})" for p in found)) if found else None


_TOTAL_TERMS = (
    r"(?<![a-z])(?:total|gesamt\w*|\w*summe|\w*betrag|montant|net\s*a\s*payer|ttc|totaal|"
    r"te\s*betalen|importe|totale|amount\s*due|balance\s*due|please\s*pay|a\s*payer)(?![a-z])"
)
_TAX_TERMS = r"(?<![a-z])(?:vat|tax|mwst|ust|umsatzsteuer|tva|btw|iva|gst)(?![a-z])"


def pick_span(field_name: str, spans: list[Span], lines: list[Line], width: float) -> Span:
    """Prefer an occurrence whose label reads like the field's label, then a labelled one;
    amounts are the last one (totals close the page), everything else the first."""
    lexicon = _field_lexicon(field_name)

    def rank(span: Span) -> tuple[int, int, float]:
        label = find_label(span, lines, width)
        labelled = 2 if label is not None and label.relation == "right" else 1 if label else 0
        fits = int(label is not None and lexicon is not None and bool(lexicon.search(label.text)))
        order = span.line.page * 10_000 + span.line.top
        return (fits, labelled, order if field_name in AMOUNT_FIELDS else -order)

    return max(spans, key=rank)
