"""Per-vendor learned mapping: "tune on the first ten".

When a reviewer corrects (or confirms) a field, Well stores for that vendor *how to find it*
on the vendor's layout: the label printed next to the value (its folded text), where the
value sits relative to that label (right of it or below it, as a share of the page size),
how many words it spans, and its format (date order, decimal mark, the shape of an invoice
number). On the vendor's next documents the mapping is tried first; a value it finds and that
parses raises that field's confidence, and when it finds nothing the generic extractor's
value stands. A vendor is "in training" until ten of its documents were reviewed.

Who calls what
--------------
* Parsing, after `enrichment.resolve_vendor` found a vendor::

      learned = apply_learned_mapping(vendor=v, words=extraction.words,
                                      page_sizes=extraction.page_sizes)
      combined = combine_with_learned(extracted=extraction.fields, learned=learned)
      # combined.fields go on to enrichment.enrich_fields

* The review screen, when a reviewer saves a document (instead of calling
  `invoice.approve()` itself)::

      record_review(invoice=invoice, user=request.user,
                    corrections={"invoice_number": "INV-0042", "issue_date": "2026-03-05"},
                    approve=True)

  Corrections are strings as typed (dates ISO, amounts with "." as decimal mark). It writes
  the corrected values on the invoice (fields JSON and columns) with an "edit" Decision,
  learns each corrected and confirmed field from the document's words, counts the document
  toward the vendor's training once, and with `approve=True` approves the invoice (an
  "approve" Decision) and activates a new vendor.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, Literal

from django.db import models, transaction
from django.utils import timezone

from reconciliation.enrichment import INVOICE_COLUMNS, index_vendor
from reconciliation.extraction.amounts import currency_in, find_amounts
from reconciliation.extraction.dates import find_dates
from reconciliation.extraction.types import (
    AMOUNT_FIELDS,
    DATE_FIELDS,
    INVOICE_FIELDS,
    Evidence,
    ExtractedField,
    FieldValue,
    Word,
    value_to_json,
)
from reconciliation.models import Decision, DecisionAction, Invoice, Vendor, VendorStatus
from reconciliation.models.vendor import VendorReview
from reconciliation.money import is_known_currency
from reconciliation.normalize import (
    compact_identifier,
    compact_vat_id,
    fold,
    normalize_domain,
    normalize_host,
    normalize_iban,
    normalize_vat_id,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

logger = logging.getLogger(__name__)

Relation = Literal["right", "below", "position", "constant"]

#: Fields a mapping can be learned for: the invoice fields the engine extracts.
LEARNABLE_FIELDS: tuple[str, ...] = INVOICE_FIELDS
MAX_VALUE_WORDS = 8
MAX_LABEL_WORDS = 4
# Confidence of a value the mapping found: from 0.85 (a mapping nobody confirmed yet,
# Laplace-smoothed at 0.91) up to 0.97 as reviewers confirm it.
LEARNED_BASE = 0.85
LEARNED_SPAN = 0.12
# When the mapping and the generic extractor disagree, the winner keeps this share.
DISAGREEMENT_FACTOR = 0.6
# A value found by position only (no label) is weaker evidence than a labelled one.
POSITION_PENALTY = 0.08
# How far (share of the page) a label-less value may have moved and still be read there.
POSITION_TOLERANCE = 0.015
# How far (share of the page width) a value may sit from where the rule expects it.
MAX_OFFSET = 0.25
AGREEMENT_CAP = 0.99
_CURRENCY_SYMBOL = re.compile(r"^(?:US\$|€|\$|£|₹|¥|zł|Kč|Fr\.|Rs\.?)$")
_EDGE_PUNCTUATION = " \t:;,#*()[]'\"“”«»"
_PERCENT = re.compile(r"^[+-]?\d+(?:[.,]\d+)?\s?%$")


# --- geometry --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Line:
    page: int
    words: tuple[Word, ...]  # left to right

    @property
    def top(self) -> float:
        return min(w.top for w in self.words)

    @property
    def bottom(self) -> float:
        return max(w.bottom for w in self.words)


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


def _page_size(page_sizes: list[tuple[float, float]], page: int) -> tuple[float, float]:
    if 1 <= page <= len(page_sizes):
        width, height = page_sizes[page - 1]
        if width > 0 and height > 0:
            return width, height
    return 595.0, 842.0  # A4 in points, when the engine did not say


def _bbox(words: tuple[Word, ...] | list[Word]) -> tuple[float, float, float, float]:
    return (
        min(w.x0 for w in words),
        min(w.top for w in words),
        max(w.x1 for w in words),
        max(w.bottom for w in words),
    )


def _text(words: tuple[Word, ...] | list[Word]) -> str:
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


def _plain(text: str) -> str:
    return re.sub(r"\s+", " ", fold(text)).strip(_EDGE_PUNCTUATION + ".")


def shape_of(text: str) -> str:
    """The format of an identifier with run lengths dropped: "INV-2024-0012" -> "A-9-9"."""
    out: list[str] = []
    for char in text.strip():
        kind = "9" if char.isdigit() else "A" if char.isalpha() else char
        if not out or out[-1] != kind or kind not in "9A":
            out.append(kind)
    return "".join(out)


def _is_currency_token(token: str) -> bool:
    token = token.strip(_EDGE_PUNCTUATION + ".")
    if _CURRENCY_SYMBOL.match(token):
        return True
    return len(token) == 3 and token.isupper() and is_known_currency(token)


def _strip_currency(text: str) -> str:
    kept = [token for token in text.split() if not _is_currency_token(token)]
    return " ".join(kept).strip(_EDGE_PUNCTUATION)


def _covers(start: int, end: int, text: str) -> bool:
    core = text.strip(_EDGE_PUNCTUATION + ".")
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
        if len(currencies) == 1 and len(text.strip(_EDGE_PUNCTUATION + ".")) <= 4:
            return Reading(currencies[0][0])
        return None
    if field_name == "supplier_vat_id":
        number = compact_vat_id(text.strip(_EDGE_PUNCTUATION))
        if normalize_vat_id(number) or re.fullmatch(r"[A-Z]{2}[0-9A-Z]{8,13}", number):
            return Reading(number)
        return None
    if field_name == "supplier_iban":
        iban = normalize_iban(text)
        return Reading(iban) if iban else None
    if field_name == "supplier_domain":
        host = normalize_host(text.strip(_EDGE_PUNCTUATION))
        return Reading(host) if host else None
    value = text.strip(_EDGE_PUNCTUATION)
    if field_name != "supplier_name":
        value = value.rstrip(".")
    return Reading(value) if value and any(ch.isalnum() for ch in value) else None


def _mark_of(printed: str) -> str | None:
    match = re.search(r"([.,])\d{1,2}$", printed.strip())
    return match.group(1) if match else None


def values_equal(field_name: str, left: FieldValue | str, right: FieldValue | str) -> bool:
    """Two values of one field mean the same (typed comparison, printed forms forgiven)."""
    if field_name in DATE_FIELDS:
        return _as_date(left) == _as_date(right) is not None or _as_date(left) == _as_date(right)
    if field_name in AMOUNT_FIELDS:
        a, b = _as_decimal(left), _as_decimal(right)
        return a is not None and b is not None and abs(a) == abs(b)
    if field_name in ("supplier_vat_id", "supplier_iban", "invoice_number", "currency"):
        return compact_identifier(str(left)) == compact_identifier(str(right))
    if field_name == "supplier_domain":
        return normalize_domain(str(left)) == normalize_domain(str(right))
    return _plain(str(left)) == _plain(str(right))


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


# --- learning --------------------------------------------------------------------------------


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
    return _plain(_text(words))


@dataclass(frozen=True)
class LearnedField:
    field: str
    rule: dict[str, Any]
    evidence: Evidence


def find_value_spans(field_name: str, lines: list[Line], target: FieldValue | str) -> list[Span]:
    """Every place on the page where `target` is printed, as the shortest word runs."""
    spans: list[Span] = []
    for line in lines:
        count = len(line.words)
        for start in range(count):
            for end in range(start + 1, min(count, start + MAX_VALUE_WORDS) + 1):
                reading = _reading_of(field_name, _text(line.words[start:end]), target)
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


def _has_letters(word: Word) -> bool:
    return any(ch.isalpha() for ch in word.text)


def _is_decoration(word: Word, *, keep_currency: bool = False) -> bool:
    """Words printed between a label and its value: punctuation, a currency, a rate."""
    text = word.text.strip(_EDGE_PUNCTUATION)
    if not any(ch.isalnum() for ch in text) or _PERCENT.match(text):
        return True
    return not keep_currency and _is_currency_token(text)


def _is_label_word(word: Word) -> bool:
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
        if _is_decoration(last):
            after_percent = last.text.strip() == "%"
            before.pop()
        elif after_percent and re.fullmatch(r"\d+(?:[.,]\d+)?", last.text):
            before.pop()  # "20 %": the rate printed apart from its sign
            after_percent = False
        else:
            break
    if not before or not _is_label_word(before[-1]):
        return None
    label = [before.pop()]
    while before and len(label) < MAX_LABEL_WORDS:
        candidate = before[-1]
        gap = label[0].x0 - candidate.x1
        height = label[0].bottom - label[0].top
        if gap > max(6.0, 1.2 * height) or not _is_label_word(candidate):
            break
        if candidate.text.rstrip().endswith(":"):
            break  # the end of the previous label on the line
        label.insert(0, before.pop())
    return tuple(label)


def _label_above(span: Span, lines: list[Line]) -> tuple[Word, ...] | None:
    x0, top, x1, bottom = _bbox(span.words)
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
    if not all(_is_label_word(w) or _is_decoration(w) for w in words):
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


def _pick_span(field_name: str, spans: list[Span], lines: list[Line], width: float) -> Span:
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


def learn_rule(
    *,
    field_name: str,
    words: list[Word],
    page_sizes: list[tuple[float, float]],
    value: FieldValue | str,
    hint: Evidence | None = None,
) -> LearnedField | None:
    """How to find `value` of `field_name` on this layout, or None if it is not printed."""
    lines = build_lines(words)
    if field_name in CONSTANT_FIELDS:
        return _learn_constant(field_name, lines, page_sizes, value_to_json(field_name, value))
    spans = find_value_spans(field_name, lines, value)
    if not spans:
        return None
    if hint is not None and hint.bbox is not None:
        hinted = [
            s for s in spans if s.line.page == hint.page and _overlaps(_bbox(s.words), hint.bbox)
        ]
        spans = hinted or spans
    width, height = _page_size(page_sizes, spans[0].line.page)
    span = _pick_span(field_name, spans, lines, width)
    width, height = _page_size(page_sizes, span.line.page)
    label = find_label(span, lines, width)
    if label is None and field_name in AMOUNT_FIELDS:
        return None  # an unlabelled number: its place alone would read any amount there
    x0, top, x1, bottom = _bbox(span.words)
    printed = _text(span.words)
    rule: dict[str, Any] = {
        "relation": label.relation if label else "position",
        "label": label.text if label else "",
        "label_words": len(label.words) if label else 0,
        "page": span.line.page,
        "last_page": span.line.page == len(page_sizes) and len(page_sizes) > 1,
        "x": round(x0 / width, 4),
        "y": round(top / height, 4),
        "value_width": round((x1 - x0) / width, 4),
        "words": span.end - span.start,
        "example": printed,
        "shape": shape_of(printed) if field_name == "invoice_number" else "",
        "learned_at": timezone.now().isoformat(),
    }
    if label is not None:
        lx0, ltop, lx1, _ = _bbox(label.words)
        anchor = lx1 if label.relation == "right" else lx0
        rule["dx"] = round((x0 - anchor) / width, 4)
        rule["dy"] = round((top - ltop) / height, 4)
        # Where the label itself sits: picks the right one when it is printed twice
        # ("VAT number" of the seller and of the buyer).
        rule["label_x"] = round(lx0 / width, 4)
        rule["label_y"] = round(ltop / height, 4)
    if span.reading.month_first is not None:
        rule["month_first"] = span.reading.month_first
    if span.reading.decimal_mark is not None:
        rule["decimal_mark"] = span.reading.decimal_mark
    evidence = Evidence(page=span.line.page, bbox=(x0, top, x1, bottom), text=printed)
    return LearnedField(field=field_name, rule=rule, evidence=evidence)


#: Fields that do not change from one invoice of a vendor to the next: the mapping
#: remembers how they are printed and looks for that text anywhere on the page.
CONSTANT_FIELDS = frozenset(
    {"supplier_name", "supplier_vat_id", "supplier_iban", "supplier_domain", "currency"}
)


def _currency_words(lines: list[Line], code: str) -> list[tuple[Line, int, str]]:
    """Words that print `code` ("€", "EUR", "$429.12"): (line, index, the currency mark)."""
    found: list[tuple[Line, int, str]] = []
    for line in lines:
        for index, word in enumerate(line.words):
            for found_code, start, end in currency_in(word.text):
                if found_code == code:
                    found.append((line, index, word.text[start:end]))
                    break
    return found


def _learn_constant(
    field_name: str, lines: list[Line], page_sizes: list[tuple[float, float]], value: str
) -> LearnedField | None:
    if field_name == "currency":
        marks = _currency_words(lines, value.upper())
        if not marks:
            return None
        line, index, token = marks[0]
        words: tuple[Word, ...] = (line.words[index],)
        printed = token
    else:
        spans = find_value_spans(field_name, lines, value)
        if not spans:
            return None
        words = spans[0].words
        line = spans[0].line
        printed = _text(words)
    width, height = _page_size(page_sizes, line.page)
    x0, top, x1, bottom = _bbox(words)
    rule: dict[str, Any] = {
        "relation": "constant",
        "value": value.upper() if field_name == "currency" else value,
        "token": printed,
        "page": line.page,
        "x": round(x0 / width, 4),
        "y": round(top / height, 4),
        "words": len(words),
        "example": printed,
        "learned_at": timezone.now().isoformat(),
    }
    evidence = Evidence(page=line.page, bbox=(x0, top, x1, bottom), text=_text(words))
    return LearnedField(field=field_name, rule=rule, evidence=evidence)


def _apply_constant(
    field_name: str, rule: dict[str, Any], lines: list[Line]
) -> tuple[Reading, tuple[Word, ...]] | None:
    value = str(rule.get("value", ""))
    if not value:
        return None
    if field_name == "currency":
        token = str(rule.get("token", ""))
        for line, index, mark in _currency_words(lines, value):
            if mark == token:
                return Reading(value), (line.words[index],)
        return None
    spans = find_value_spans(field_name, lines, value)
    if not spans:
        return None
    x, y = float(rule.get("x", 0)), float(rule.get("y", 0))
    span = min(
        spans,
        key=lambda s: (
            s.line.page != int(rule.get("page", 1)),
            abs(s.line.top / 842 - y) + abs(s.words[0].x0 / 595 - x),
        ),
    )
    return Reading(value), span.words


def _overlaps(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return min(a[2], b[2]) > max(a[0], b[0]) and min(a[3], b[3]) > max(a[1], b[1])


def learn_from_correction(
    *,
    vendor: Vendor,
    document_words: list[Word],
    page_sizes: list[tuple[float, float]],
    field: str,
    corrected_value: str,
    hint: Evidence | None = None,
) -> LearnedField | None:
    """Store on the vendor how to find `field` (label, relative position, format), learned
    from where `corrected_value` is printed in the document's words. Returns what was
    learned, or None when the value is not printed (nothing changes then)."""
    if field not in LEARNABLE_FIELDS:
        return None
    learned = learn_rule(
        field_name=field,
        words=document_words,
        page_sizes=page_sizes,
        value=corrected_value,
        hint=hint,
    )
    if learned is None:
        logger.info("nothing learned: %s of vendor %s is not printed", field, vendor.pk)
        return None
    with transaction.atomic():
        locked = Vendor.objects.select_for_update().get(pk=vendor.pk)
        mapping = dict(locked.learned_mapping or {})
        previous = mapping.get(field) or {}
        learned.rule["samples"] = int(previous.get("samples", 0)) + 1
        mapping[field] = learned.rule
        locked.learned_mapping = mapping
        locked.save(update_fields=["learned_mapping"])
    vendor.learned_mapping = mapping
    return learned


# --- applying --------------------------------------------------------------------------------


def learned_confidence(stats: dict[str, Any]) -> float:
    confirmed = int(stats.get("confirmed", 0))
    corrected = int(stats.get("corrected", 0))
    reliability = (confirmed + 1) / (confirmed + corrected + 2)
    return round(LEARNED_BASE + LEARNED_SPAN * reliability, 4)


def _find_label_runs(
    lines: list[Line], label: str, count: int, page: int | None
) -> list[tuple[Line, int, int]]:
    runs: list[tuple[Line, int, int]] = []
    for line in lines:
        if page is not None and line.page != page:
            continue
        for start in range(len(line.words) - count + 1):
            if label_text(line.words[start : start + count]) != label:
                continue
            if (
                count < MAX_LABEL_WORDS
                and start > 0
                and _extends_label(line.words[start - 1], line.words[start])
            ):
                continue  # "date" inside "Order date": a longer, different label
            runs.append((line, start, start + count))
    return runs


def _extends_label(before: Word, first: Word) -> bool:
    """`before` would have been read as part of the label that starts at `first`."""
    gap = first.x0 - before.x1
    height = first.bottom - first.top
    return (
        gap <= max(6.0, 1.2 * height)
        and _is_label_word(before)
        and not before.text.rstrip().endswith(":")
    )


def _read_window(
    field_name: str, words: tuple[Word, ...], rule: dict[str, Any]
) -> tuple[Reading, tuple[Word, ...]] | None:
    """The best reading of a run starting at words[0]: the learned word count first."""
    expected = int(rule.get("words", 1))
    sizes = [expected, *[n for n in range(1, MAX_VALUE_WORDS + 1) if n != expected]]
    for size in sizes:
        if size > len(words):
            continue
        window = words[:size]
        reading = read_value(
            field_name,
            _text(window),
            month_first=rule.get("month_first"),
            decimal_mark=rule.get("decimal_mark"),
        )
        if reading is None and field_name in ("supplier_iban", "supplier_vat_id"):
            reading = read_value(field_name, _text(window).replace(" ", ""))
        if reading is None:
            continue
        shape = rule.get("shape")
        if field_name == "invoice_number" and shape and shape_of(str(reading.value)) != shape:
            continue
        return reading, window
    return None


def _group_start(line: Line, index: int) -> int:
    """Step left over thousands groups printed as separate words ("3" "313,86")."""
    while index > 0:
        previous, word = line.words[index - 1], line.words[index]
        height = word.bottom - word.top
        if not re.fullmatch(r"[-−]?\d{1,3}", previous.text) or word.x0 - previous.x1 > 0.6 * height:
            break
        index -= 1
    return index


@dataclass(frozen=True)
class _Spot:
    """Where a value should start (and, for right-aligned amounts, end) on one line."""

    line: Line
    first: int  # index of the first word that may belong to the value
    x0: float
    x1: float
    penalty: float  # how far the anchor itself moved from where it was learned


def _spots(
    field_name: str, rule: dict[str, Any], lines: list[Line], page_sizes: list[tuple[float, float]]
) -> list[_Spot]:
    relation = rule.get("relation", "position")
    page = int(rule.get("page", 1))
    if rule.get("last_page") and page_sizes:
        page = len(page_sizes)
    spots: list[_Spot] = []
    if relation in ("right", "below"):
        count = int(rule.get("label_words", 1)) or 1
        for line, start, end in _find_label_runs(lines, str(rule.get("label", "")), count, None):
            width, height = _page_size(page_sizes, line.page)
            lx0, ltop, lx1, _ = _bbox(line.words[start:end])
            penalty = abs(lx0 / width - float(rule.get("label_x", lx0 / width))) + abs(
                ltop / height - float(rule.get("label_y", ltop / height))
            )
            penalty += 0.5 * (line.page != page)
            value_width = float(rule.get("value_width", 0)) * width
            if relation == "right":
                x0 = lx1 + float(rule.get("dx", 0)) * width
                spots.append(_Spot(line, end, x0, x0 + value_width, penalty))
                continue
            x0 = lx0 + float(rule.get("dx", 0)) * width
            expected_top = ltop + float(rule.get("dy", 0)) * height
            for below in lines:
                if (
                    below.page == line.page
                    and below.top > line.top + 1
                    and abs(below.top - expected_top) <= 0.02 * height + 6
                ):
                    vertical = abs(below.top - expected_top) / height
                    spots.append(_Spot(below, 0, x0, x0 + value_width, penalty + vertical))
        return spots
    width, height = _page_size(page_sizes, page)
    x0 = float(rule.get("x", 0)) * width
    expected_top = float(rule.get("y", 0)) * height
    value_width = float(rule.get("value_width", 0)) * width
    for line in lines:
        if line.page == page and abs(line.top - expected_top) <= POSITION_TOLERANCE * height:
            vertical = abs(line.top - expected_top) / height
            spots.append(_Spot(line, 0, x0, x0 + value_width, vertical))
    return spots


def _apply_rule(
    field_name: str,
    rule: dict[str, Any],
    lines: list[Line],
    page_sizes: list[tuple[float, float]],
) -> tuple[Reading, tuple[Word, ...]] | None:
    """Read the value the rule points at: of every reading near an anchor, the one closest
    to where the value was learned (amounts by their right edge: columns are right-aligned)."""
    if rule.get("relation") == "constant":
        return _apply_constant(field_name, rule, lines)
    keep_currency = field_name == "currency"
    is_amount = field_name in AMOUNT_FIELDS
    best: tuple[float, Reading, tuple[Word, ...]] | None = None
    for spot in _spots(field_name, rule, lines, page_sizes):
        width, _ = _page_size(page_sizes, spot.line.page)
        for index in range(spot.first, len(spot.line.words)):
            word = spot.line.words[index]
            if _is_decoration(word, keep_currency=keep_currency):
                continue
            found: tuple[Reading, tuple[Word, ...]] | None
            if is_amount:
                if _continues_group(spot.line, index):
                    continue  # "8" of "8 261,96": read with the rest of the number
                start = max(_group_start(spot.line, index), spot.first)
                window = spot.line.words[start : index + 1]
                reading = read_value(
                    field_name, _text(window), decimal_mark=rule.get("decimal_mark")
                )
                found = (reading, window) if reading is not None else None
            else:
                found = _read_window(field_name, spot.line.words[index:], rule)
            if found is None:
                continue
            reading_found, window_found = found
            if is_amount and rule.get("value_width"):
                offset = abs(window_found[-1].x1 - spot.x1)
            else:
                offset = abs(window_found[0].x0 - spot.x0)
            if offset > MAX_OFFSET * width:
                continue
            distance = offset / width + spot.penalty
            if best is None or distance < best[0]:
                best = (distance, reading_found, window_found)
    return (best[1], best[2]) if best is not None else None


def _continues_group(line: Line, index: int) -> bool:
    if index + 1 >= len(line.words):
        return False
    word, following = line.words[index], line.words[index + 1]
    height = word.bottom - word.top
    return bool(re.fullmatch(r"[-−]?\d{1,3}", word.text)) and (
        bool(re.fullmatch(r"\d{3}(?:[.,]\d{1,2})?", following.text))
        and following.x0 - word.x1 <= 0.6 * height
    )


def apply_learned_mapping(
    *, vendor: Vendor, words: list[Word], page_sizes: list[tuple[float, float]]
) -> dict[str, ExtractedField]:
    """Read this document with the vendor's learned mapping. Returns the fields it found
    (source "learned", with evidence); records per field that the mapping was tried and
    whether it hit."""
    mapping: dict[str, Any] = dict(vendor.learned_mapping or {})
    if not mapping or not words:
        return {}
    lines = build_lines(words)
    found: dict[str, ExtractedField] = {}
    outcomes: dict[str, bool] = {}
    stats: dict[str, Any] = vendor.mapping_stats or {}
    for field_name, rule in sorted(mapping.items()):
        if field_name not in LEARNABLE_FIELDS or not isinstance(rule, dict):
            continue
        result = _apply_rule(field_name, rule, lines, page_sizes)
        outcomes[field_name] = result is not None
        if result is None:
            continue
        reading, window = result
        found[field_name] = ExtractedField(
            name=field_name,
            value=reading.value,
            confidence=learned_confidence(stats.get(field_name, {}))
            - (POSITION_PENALTY if rule.get("relation") == "position" else 0.0),
            source="learned",
            evidence=Evidence(page=window[0].page, bbox=_bbox(window), text=_text(window)),
        )
    _record_stats(vendor, {name: {"tried": 1, "hits": int(hit)} for name, hit in outcomes.items()})
    return found


def _record_stats(vendor: Vendor, deltas: dict[str, dict[str, int]]) -> None:
    if not deltas:
        return
    with transaction.atomic():
        locked = Vendor.objects.select_for_update().get(pk=vendor.pk)
        stats: dict[str, Any] = {name: dict(v) for name, v in (locked.mapping_stats or {}).items()}
        for name, delta in deltas.items():
            entry = stats.setdefault(name, {})
            for key, count in delta.items():
                entry[key] = int(entry.get(key, 0)) + count
        locked.mapping_stats = stats
        locked.save(update_fields=["mapping_stats"])
    vendor.mapping_stats = stats


@dataclass(frozen=True)
class CombinedFields:
    fields: dict[str, ExtractedField]
    agreed: tuple[str, ...] = ()  # the mapping and the generic extractor read the same value
    learned_only: tuple[str, ...] = ()  # only the mapping found a value
    disagreed: tuple[str, ...] = ()  # they read different values (confidence lowered)


def combine_with_learned(
    *, extracted: dict[str, ExtractedField], learned: dict[str, ExtractedField]
) -> CombinedFields:
    """Merge the learned reading into the generic one. Agreement raises confidence (two
    independent ways found the same value); disagreement keeps the stronger reading at a
    lowered confidence, so the document goes to a reviewer. Embedded XML is exact and wins."""
    out = dict(extracted)
    agreed: list[str] = []
    only: list[str] = []
    disagreed: list[str] = []
    for name, mine in learned.items():
        generic = extracted.get(name)
        if generic is None:
            out[name] = mine
            only.append(name)
            continue
        if generic.source == "xml":
            continue
        if values_equal(name, generic.value, mine.value):
            high = max(generic.confidence, mine.confidence)
            raised = 1 - (1 - generic.confidence) * (1 - mine.confidence) * 2
            confidence = min(AGREEMENT_CAP, max(high, raised))
            out[name] = ExtractedField(
                name,
                generic.value,
                round(confidence, 4),
                "learned",
                generic.evidence or mine.evidence,
            )
            agreed.append(name)
            continue
        winner = mine if mine.confidence >= generic.confidence else generic
        out[name] = ExtractedField(
            name,
            winner.value,
            round(winner.confidence * DISAGREEMENT_FACTOR, 4),
            winner.source,
            winner.evidence,
        )
        disagreed.append(name)
    return CombinedFields(
        fields=out, agreed=tuple(agreed), learned_only=tuple(only), disagreed=tuple(disagreed)
    )


# --- reviews ---------------------------------------------------------------------------------


class CorrectionError(ValueError):
    """A reviewer's value that cannot be stored for its field (bad date, amount, currency)."""


@dataclass(frozen=True)
class ReviewResult:
    invoice: Invoice
    corrected: tuple[str, ...]
    confirmed: tuple[str, ...]
    learned: tuple[str, ...]
    counted: bool  # this review counted toward the vendor's ten training documents
    documents_reviewed: int
    vendor_updates: dict[str, Any] = field(default_factory=dict)


def parse_correction(field_name: str, raw: str) -> FieldValue | None:
    """A reviewer's typed value as the field's type; "" clears the field."""
    text = (raw or "").strip()
    if not text:
        return None
    if field_name in DATE_FIELDS:
        try:
            return date.fromisoformat(text)
        except ValueError as exc:
            raise CorrectionError(f"{field_name}: {text!r} is not a date (YYYY-MM-DD).") from exc
    if field_name in AMOUNT_FIELDS:
        number = text.replace(" ", "").replace("\u00a0", "")
        if "," in number and "." not in number:
            number = number.replace(",", ".")
        try:
            return Decimal(number.replace(",", ""))
        except InvalidOperation as exc:
            raise CorrectionError(f"{field_name}: {text!r} is not an amount.") from exc
    if field_name == "currency":
        if not is_known_currency(text):
            raise CorrectionError(f"currency: {text!r} is not an ISO 4217 code.")
        return text.upper()
    if field_name == "supplier_vat_id":
        return compact_vat_id(text)
    if field_name == "supplier_iban":
        return compact_identifier(text)
    if field_name == "supplier_domain":
        return normalize_host(text) or text.lower()
    if field_name not in INVOICE_COLUMNS:
        raise CorrectionError(f"{field_name!r} is not a field a reviewer can correct.")
    return text


def _document_layout(invoice: Invoice) -> tuple[list[Word], list[tuple[float, float]]]:
    document = invoice.document
    extraction = document.extraction or {}
    words = words_from_json(document.words or extraction.get("words") or [])
    sizes = [(float(w), float(h)) for w, h in extraction.get("page_sizes") or []]
    return words, sizes


def _evidence_from_json(raw: Any) -> Evidence | None:
    if not isinstance(raw, dict) or not raw.get("bbox"):
        return None
    x0, top, x1, bottom = (float(v) for v in raw["bbox"])
    return Evidence(
        page=int(raw.get("page") or 1), bbox=(x0, top, x1, bottom), text=str(raw.get("text", ""))
    )


def _evidence_to_json(evidence: Evidence | None) -> dict[str, Any] | None:
    if evidence is None:
        return None
    return {
        "page": evidence.page,
        "bbox": [round(v, 2) for v in evidence.bbox] if evidence.bbox else None,
        "text": evidence.text,
    }


def _column_default(invoice: Invoice, column: str) -> Any:
    return "" if isinstance(invoice._meta.get_field(column), models.CharField) else None


def record_review(
    *,
    invoice: Invoice,
    user: AbstractBaseUser | None,
    corrections: dict[str, str],
    approve: bool,
) -> ReviewResult:
    """A reviewer looked at the invoice: store their corrections, learn from them, count the
    document toward the vendor's training and, with `approve`, approve it.

    Raises CorrectionError for a value that does not fit its field, and
    IllegalTransitionError (from the model) when the invoice cannot be approved.
    """
    parsed = {name: parse_correction(name, raw) for name, raw in corrections.items()}
    who = getattr(user, "username", "") or "a reviewer"
    with transaction.atomic():
        invoice = (
            Invoice.objects.select_for_update()
            .select_related("document", "vendor")
            .get(pk=invoice.pk)
        )
        vendor = invoice.vendor
        fields_json: dict[str, Any] = {k: dict(v) for k, v in (invoice.fields or {}).items()}
        words, page_sizes = _document_layout(invoice)
        before: dict[str, Any] = {}
        after: dict[str, Any] = {}
        learned: list[str] = []
        stats: dict[str, dict[str, int]] = {}
        for name, value in parsed.items():
            entry = fields_json.get(name) or {}
            old = entry.get("value")
            if old is None and name in INVOICE_COLUMNS:
                column_value = getattr(invoice, INVOICE_COLUMNS[name])
                old = value_to_json(name, column_value) if column_value not in (None, "") else None
            new = value_to_json(name, value) if value is not None else None
            if old is not None and new is not None and values_equal(name, old, new):
                continue
            if old is None and new is None:
                continue
            before[name], after[name] = old, new
            if entry.get("source") == "learned":
                stats.setdefault(name, {})["corrected"] = 1
            evidence = None
            if vendor is not None and new is not None and words:
                found = learn_from_correction(
                    vendor=vendor,
                    document_words=words,
                    page_sizes=page_sizes,
                    field=name,
                    corrected_value=new,
                )
                if found is not None:
                    learned.append(name)
                    evidence = found.evidence
            fields_json[name] = {
                "value": new,
                "confidence": 1.0,
                "source": "reviewer",
                "evidence": _evidence_to_json(evidence),
                "origin": f"Corrected by {who}.",
            }
            column = INVOICE_COLUMNS.get(name)
            if column:
                setattr(
                    invoice,
                    column,
                    value if value is not None else _column_default(invoice, column),
                )
        confirmed: list[str] = []
        if approve:
            for name in LEARNABLE_FIELDS:
                entry = fields_json.get(name) or {}
                if name in after or not entry.get("value"):
                    continue
                confirmed.append(name)
                if entry.get("source") == "learned":
                    stats.setdefault(name, {})["confirmed"] = 1
                mapping = vendor.learned_mapping if vendor is not None else {}
                if vendor is None or not words:
                    continue
                if name in (mapping or {}) and entry.get("source") == "learned":
                    continue  # the mapping found it and was right: nothing new to learn
                found = learn_from_correction(
                    vendor=vendor,
                    document_words=words,
                    page_sizes=page_sizes,
                    field=name,
                    corrected_value=str(entry["value"]),
                    hint=_evidence_from_json(entry.get("evidence")),
                )
                if found is not None:
                    learned.append(name)
        if vendor is not None and stats:
            _record_stats(vendor, stats)
        invoice.fields = fields_json
        if after:
            Decision.objects.create(
                workspace_id=invoice.workspace_id,
                action=DecisionAction.EDIT,
                actor_id=user.pk if user is not None else None,
                invoice=invoice,
                document_id=invoice.document_id,
                vendor=vendor,
                before=before,
                after=after,
                reason=f"Corrected {', '.join(sorted(after))}.",
            )
        counted = False
        vendor_updates: dict[str, Any] = {}
        if approve:
            previous_status = invoice.status
            invoice.approve(user, reason="Approved after review")
            if vendor is not None:
                _review, counted = VendorReview.objects.get_or_create(
                    invoice=invoice,
                    defaults={
                        "workspace_id": invoice.workspace_id,
                        "vendor": vendor,
                        "reviewer_id": user.pk if user is not None else None,
                        "corrected_fields": sorted(after),
                        "confirmed_fields": confirmed,
                        "learned_fields": sorted(set(learned)),
                    },
                )
                if counted:
                    Vendor.objects.filter(pk=vendor.pk).update(
                        documents_reviewed=models.F("documents_reviewed") + 1
                    )
                vendor_updates = _adopt_identity(vendor, invoice)
            Decision.objects.create(
                workspace_id=invoice.workspace_id,
                action=DecisionAction.APPROVE,
                actor_id=user.pk if user is not None else None,
                invoice=invoice,
                document_id=invoice.document_id,
                vendor=vendor,
                before={"status": previous_status},
                after={"status": invoice.status, "vendor": vendor_updates},
                reason="Approved after review",
            )
        invoice.save()
    reviewed = 0
    if vendor is not None:
        vendor.refresh_from_db()
        reviewed = vendor.documents_reviewed
    return ReviewResult(
        invoice=invoice,
        corrected=tuple(sorted(after)),
        confirmed=tuple(confirmed),
        learned=tuple(sorted(set(learned))),
        counted=counted,
        documents_reviewed=reviewed,
        vendor_updates=vendor_updates,
    )


def _adopt_identity(vendor: Vendor, invoice: Invoice) -> dict[str, Any]:
    """An approved invoice vouches for its supplier: a new vendor becomes active and gets
    the VAT id, domain and IBAN it lacked (an IBAN is added to the known ones)."""
    locked = Vendor.objects.select_for_update().get(pk=vendor.pk)
    updates: dict[str, Any] = {}
    if locked.status == VendorStatus.NEEDS_REVIEW:
        locked.mark_as_active()
        updates["status"] = VendorStatus.ACTIVE.value
    vat = normalize_vat_id(invoice.supplier_vat_id)
    if vat and not locked.vat_id:
        taken = (
            Vendor.objects.usable()
            .for_workspace(locked.workspace_id)
            .filter(vat_id=vat)
            .exclude(pk=locked.pk)
            .exists()
        )
        if not taken:
            locked.vat_id = vat
            updates["vat_id"] = vat
    domain = normalize_domain(invoice.supplier_domain)
    if domain and not locked.domain:
        from reconciliation.normalize import is_shared_domain

        if not is_shared_domain(domain):
            locked.domain = domain
            updates["domain"] = domain
    iban = normalize_iban(invoice.supplier_iban)
    known = {normalize_iban(str(i)) or str(i) for i in locked.ibans or []}
    if iban and iban not in known:
        locked.ibans = [*(locked.ibans or []), iban]
        updates["ibans"] = [iban]
    if updates:
        locked.save()
        index_vendor(vendor=locked)
    vendor.status = locked.status
    return updates
