"""Learning a field's rule from where its value is printed, and reading the next document
of the vendor with the rules learned so far."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from reconciliation.extraction.amounts import currency_in
from reconciliation.extraction.types import AMOUNT_FIELDS
from reconciliation.extraction.types import INVOICE_FIELDS
from reconciliation.extraction.types import Evidence
from reconciliation.extraction.types import ExtractedField
from reconciliation.extraction.types import FieldValue
from reconciliation.extraction.types import Word
from reconciliation.extraction.types import value_to_json
from reconciliation.learning.layout import MAX_LABEL_WORDS
from reconciliation.learning.layout import MAX_VALUE_WORDS
from reconciliation.learning.layout import Line
from reconciliation.learning.layout import Reading
from reconciliation.learning.layout import Span
from reconciliation.learning.layout import bbox_of
from reconciliation.learning.layout import build_lines
from reconciliation.learning.layout import find_label
from reconciliation.learning.layout import find_value_spans
from reconciliation.learning.layout import is_decoration
from reconciliation.learning.layout import is_label_word
from reconciliation.learning.layout import label_text
from reconciliation.learning.layout import page_size
from reconciliation.learning.layout import pick_span
from reconciliation.learning.layout import read_value
from reconciliation.learning.layout import shape_of
from reconciliation.learning.layout import text_of
from reconciliation.learning.layout import values_equal
from reconciliation.models import Vendor

logger = logging.getLogger(__name__)

#: Fields a mapping can be learned for: the invoice fields the engine extracts.
LEARNABLE_FIELDS: tuple[str, ...] = INVOICE_FIELDS
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


@dataclass(frozen=True)
class LearnedField:
    field: str
    rule: dict[str, Any]
    evidence: Evidence


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
            s for s in spans if s.line.page == hint.page and _overlaps(bbox_of(s.words), hint.bbox)
        ]
        spans = hinted or spans
    width, height = page_size(page_sizes, spans[0].line.page)
    span = pick_span(field_name, spans, lines, width)
    width, height = page_size(page_sizes, span.line.page)
    label = find_label(span, lines, width)
    if label is None and field_name in AMOUNT_FIELDS:
        return None  # an unlabelled number: its place alone would read any amount there
    x0, top, x1, bottom = bbox_of(span.words)
    printed = text_of(span.words)
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
        lx0, ltop, lx1, _ = bbox_of(label.words)
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
        printed = text_of(words)
    width, height = page_size(page_sizes, line.page)
    x0, top, x1, bottom = bbox_of(words)
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
    evidence = Evidence(page=line.page, bbox=(x0, top, x1, bottom), text=text_of(words))
    return LearnedField(field=field_name, rule=rule, evidence=evidence)


def _apply_constant(
    field_name: str,
    rule: dict[str, Any],
    lines: list[Line],
    page_sizes: list[tuple[float, float]],
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

    def distance(span: Span) -> tuple[bool, float]:
        width, height = page_size(page_sizes, span.line.page)
        moved = abs(span.line.top / height - y) + abs(span.words[0].x0 / width - x)
        return span.line.page != int(rule.get("page", 1)), moved

    return Reading(value), min(spans, key=distance).words


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
        and is_label_word(before)
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
            text_of(window),
            month_first=rule.get("month_first"),
            decimal_mark=rule.get("decimal_mark"),
        )
        if reading is None and field_name in ("supplier_iban", "supplier_vat_id"):
            reading = read_value(field_name, text_of(window).replace(" ", ""))
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
            width, height = page_size(page_sizes, line.page)
            lx0, ltop, lx1, _ = bbox_of(line.words[start:end])
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
    width, height = page_size(page_sizes, page)
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
        return _apply_constant(field_name, rule, lines, page_sizes)
    keep_currency = field_name == "currency"
    is_amount = field_name in AMOUNT_FIELDS
    best: tuple[float, Reading, tuple[Word, ...]] | None = None
    for spot in _spots(field_name, rule, lines, page_sizes):
        width, _ = page_size(page_sizes, spot.line.page)
        for index in range(spot.first, len(spot.line.words)):
            word = spot.line.words[index]
            if is_decoration(word, keep_currency=keep_currency):
                continue
            found: tuple[Reading, tuple[Word, ...]] | None
            if is_amount:
                if _continues_group(spot.line, index):
                    continue  # "8" of "8 261,96": read with the rest of the number
                start = max(_group_start(spot.line, index), spot.first)
                window = spot.line.words[start : index + 1]
                reading = read_value(
                    field_name, text_of(window), decimal_mark=rule.get("decimal_mark")
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
            evidence=Evidence(page=window[0].page, bbox=bbox_of(window), text=text_of(window)),
        )
    record_stats(vendor, {name: {"tried": 1, "hits": int(hit)} for name, hit in outcomes.items()})
    return found


def record_stats(vendor: Vendor, deltas: dict[str, dict[str, int]]) -> None:
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
