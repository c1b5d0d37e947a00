"""Document confidence: how sure Well is that an invoice was read right.

`score_invoice` turns what parsing, vendor resolution and enrichment found into one
confidence (0–100, Decimal, two places) made of named components, each with the factor it
multiplied the score by and the points it cost, stored in `invoice.confidence_components`
so the reviewer sees why. `reconciliation.invoices.routing` decides from it where the invoice
goes. `reconciliation.invoices.creation` calls, after `enrich_fields`::

    score = score_invoice(invoice=invoice, extraction=extraction, resolution=resolution,
                          enrichment=enriched, duplicate_suspected=False)
    decision = route_invoice(invoice=invoice, score=score)
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from datetime import timedelta
from decimal import ROUND_DOWN
from decimal import Decimal
from typing import Any
from typing import TypeVar

from django.utils import timezone

from reconciliation.extraction.types import ExtractedField
from reconciliation.extraction.types import Extraction
from reconciliation.models import DocumentKind
from reconciliation.models import Invoice
from reconciliation.money import format_money
from reconciliation.money import is_known_currency
from reconciliation.text.identifiers import is_valid_vat_id
from reconciliation.text.percents import whole_percent
from reconciliation.vendors.enrichment import EnrichmentResult
from reconciliation.vendors.resolution import MATCHED_BY_LABELS
from reconciliation.vendors.resolution import VendorResolution

_Value = TypeVar("_Value")

#: What Qonto needs to post a supplier invoice; each one is scored.
REQUIRED_FIELDS: tuple[str, ...] = (
    "supplier_name",
    "invoice_number",
    "issue_date",
    "total_amount",
    "currency",
)
FIELD_LABELS: dict[str, str] = {
    "supplier_name": "Supplier",
    "invoice_number": "Invoice number",
    "issue_date": "Issue date",
    "total_amount": "Total",
    "currency": "Currency",
    "supplier_vat_id": "VAT id",
    "supplier_iban": "IBAN",
    "supplier_domain": "Domain",
}
# A required field that was not read counts as this confidence in the fields' mean (and
# blocks approval): one missing field sends a document to review, three refuse it. A field
# read with less confidence counts the same: a doubtful value is no worse than none.
MISSING_FIELD_CONFIDENCE = 0.36
# Checks: the factor a failed check multiplies the score by.
TOTALS_MISMATCH_FACTOR = 0.7
DATE_IN_FUTURE_FACTOR = 0.75
DUE_BEFORE_ISSUE_FACTOR = 0.8
DATE_OLD_FACTOR = 0.9
VAT_INVALID_FACTOR = 0.9
UNKNOWN_CURRENCY_FACTOR = 0.5
# Vendor: from 0.85 (nobody we know) to 1.0 (found by a checksum-valid VAT id).
VENDOR_FLOOR = 0.85
CONFLICT_FACTOR = 0.85
DUPLICATE_FACTOR = 0.6
KIND_EXPONENT = 0.25
OLD_AFTER = timedelta(days=730)
FUTURE_TOLERANCE = timedelta(days=2)
DUE_WITHIN = timedelta(days=400)
MONEY_TOLERANCE = Decimal("0.02")
SCORE_VERSION = 1
CENT = Decimal("0.01")


@dataclass(frozen=True)
class ScoreComponent:
    key: str  # "fields", "field:total_amount", "check:totals", "vendor", "conflict:…", ...
    label: str
    value: float  # the input, in [0, 1]: a confidence, a strength, 1/0 for a check
    factor: float  # what it multiplied the score by (1.0: no effect)
    detail: str = ""
    points: float = 0.0  # points of the 100 this component cost

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "value": round(self.value, 4),
            "factor": round(self.factor, 4),
            "points": round(self.points, 2),
            "detail": self.detail,
        }


@dataclass(frozen=True)
class Score:
    value: Decimal  # 0.00–100.00
    components: tuple[ScoreComponent, ...] = ()
    blocking: tuple[str, ...] = ()  # why it may not be approved without a person
    must_review: tuple[str, ...] = ()  # why it goes to review whatever the score (scans)

    def weakest(self, count: int = 3) -> list[ScoreComponent]:
        costly = [c for c in self.components if c.points >= 0.5]
        return sorted(costly, key=lambda c: -c.points)[:count]

    def to_json(self) -> dict[str, Any]:
        return {
            "version": SCORE_VERSION,
            "score": str(self.value),
            "components": [c.to_json() for c in self.components],
            "blocking": list(self.blocking),
            "must_review": list(self.must_review),
        }

    @classmethod
    def from_invoice(cls, invoice: Invoice) -> Score:
        """The score stored on an invoice (for re-routing after a threshold change)."""
        data = invoice.confidence_components or {}
        components = tuple(
            ScoreComponent(
                key=str(c.get("key", "")),
                label=str(c.get("label", "")),
                value=float(c.get("value", 0)),
                factor=float(c.get("factor", 1)),
                detail=str(c.get("detail", "")),
                points=float(c.get("points", 0)),
            )
            for c in data.get("components", [])
        )
        value = invoice.confidence if invoice.confidence is not None else Decimal(0)
        return cls(
            value=Decimal(value).quantize(CENT),
            components=components,
            blocking=tuple(data.get("blocking", [])),
            must_review=tuple(data.get("must_review", [])),
        )


# --- scoring ---------------------------------------------------------------------------------


def _field_components(fields: dict[str, ExtractedField]) -> tuple[list[ScoreComponent], list[str]]:
    """The required fields: each contributes its confidence to the geometric mean of the
    five (factor confidence^(1/5)); a field not read counts as MISSING_FIELD_CONFIDENCE
    and blocks approval."""
    parts: list[ScoreComponent] = []
    blocking: list[str] = []
    share = 1.0 / len(REQUIRED_FIELDS)
    for name in REQUIRED_FIELDS:
        extracted = fields.get(name)
        label = FIELD_LABELS[name]
        if extracted is None or not str(extracted.value).strip():
            blocking.append(f"{label} not found.")
            parts.append(
                ScoreComponent(
                    f"field:{name}", label, 0.0, MISSING_FIELD_CONFIDENCE**share, "not found"
                )
            )
            continue
        confidence = 1.0 if extracted.source == "reviewer" else max(0.0, extracted.confidence)
        parts.append(
            ScoreComponent(
                f"field:{name}",
                label,
                confidence,
                max(confidence, MISSING_FIELD_CONFIDENCE) ** share,
                f"{whole_percent(confidence)}, read from "
                f"{_SOURCES.get(extracted.source, extracted.source)}",
            )
        )
    return parts, blocking


_SOURCES = {
    "xml": "the embedded XML",
    "text": "the text",
    "learned": "the vendor's learned layout",
    "enriched": "the vendor's history",
    "reviewer": "a reviewer",
}


def weakest_required_field(score: Score) -> tuple[str, float] | None:
    """The least sure required field that was read: (label, confidence)."""
    read = [
        (c.value, c.label)
        for c in score.components
        if c.key.startswith("field:") and c.detail != "not found"
    ]
    if not read:
        return None
    confidence, label = min(read)
    return label, confidence


def _read(
    fields: dict[str, ExtractedField],
    name: str,
    kind: type[_Value],
    parse: Callable[[str], _Value],
) -> _Value | None:
    """A field's value as `kind`, parsed from its text when it is not one already."""
    extracted = fields.get(name)
    if extracted is None:
        return None
    value = extracted.value
    if isinstance(value, kind):
        return value
    try:
        return parse(str(value))
    except (ArithmeticError, ValueError):
        return None


def _decimal(fields: dict[str, ExtractedField], name: str) -> Decimal | None:
    amount = _read(fields, name, Decimal, Decimal)
    return abs(amount) if amount is not None else None


def _date(fields: dict[str, ExtractedField], name: str) -> date | None:
    return _read(fields, name, date, date.fromisoformat)


def _check_totals(fields: dict[str, ExtractedField]) -> ScoreComponent:
    total = _decimal(fields, "total_amount")
    tax = _decimal(fields, "tax_amount")
    net = _decimal(fields, "net_amount")
    label = "Net + tax = total"
    if total is None or tax is None:
        return ScoreComponent("check:totals", label, 1.0, 1.0, "not checked (no total or tax)")
    if net is not None:
        # As the rest of the screens write amounts ("1,052.00 + 231.44 = 1,283.44").
        shown = f"{format_money(net, None)} + {format_money(tax, None)}"
        if abs(net + tax - total) <= MONEY_TOLERANCE:
            return ScoreComponent(
                "check:totals", label, 1.0, 1.0, f"{shown} = {format_money(total, None)}"
            )
        return ScoreComponent(
            "check:totals",
            label,
            0.0,
            TOTALS_MISMATCH_FACTOR,
            f"{shown} ≠ {format_money(total, None)}",
        )
    if tax > total:
        return ScoreComponent(
            "check:totals",
            label,
            0.0,
            TOTALS_MISMATCH_FACTOR,
            f"tax {format_money(tax, None)} exceeds total {format_money(total, None)}",
        )
    return ScoreComponent("check:totals", label, 1.0, 1.0, "tax below total (net not printed)")


def _check_dates(fields: dict[str, ExtractedField], today: date) -> ScoreComponent:
    issue = _date(fields, "issue_date")
    due = _date(fields, "due_date")
    label = "Dates plausible"
    if issue is None:
        return ScoreComponent("check:dates", label, 1.0, 1.0, "not checked (no issue date)")
    problems: list[str] = []
    factor = 1.0
    if issue > today + FUTURE_TOLERANCE:
        problems.append(f"issued in the future ({issue.isoformat()})")
        factor *= DATE_IN_FUTURE_FACTOR
    elif issue < today - OLD_AFTER:
        problems.append(f"issued more than two years ago ({issue.isoformat()})")
        factor *= DATE_OLD_FACTOR
    if due is not None and due < issue:
        problems.append(f"due {due.isoformat()} before issue {issue.isoformat()}")
        factor *= DUE_BEFORE_ISSUE_FACTOR
    elif due is not None and due > issue + DUE_WITHIN:
        problems.append(f"due more than 400 days after issue ({due.isoformat()})")
        factor *= DUE_BEFORE_ISSUE_FACTOR
    if problems:
        return ScoreComponent("check:dates", label, 0.0, factor, "; ".join(problems))
    return ScoreComponent("check:dates", label, 1.0, 1.0, "issue and due dates plausible")


def _check_vat(fields: dict[str, ExtractedField]) -> ScoreComponent:
    extracted = fields.get("supplier_vat_id")
    label = "VAT id valid"
    if extracted is None or not str(extracted.value).strip():
        return ScoreComponent("check:vat_id", label, 1.0, 1.0, "not checked (no VAT id)")
    if is_valid_vat_id(str(extracted.value)):
        return ScoreComponent("check:vat_id", label, 1.0, 1.0, f"{extracted.value} is valid")
    return ScoreComponent(
        "check:vat_id",
        label,
        0.0,
        VAT_INVALID_FACTOR,
        f"{extracted.value} fails the format or check digits",
    )


def _check_currency(fields: dict[str, ExtractedField]) -> tuple[ScoreComponent, list[str]]:
    extracted = fields.get("currency")
    label = "Currency known"
    if extracted is None or not str(extracted.value).strip():
        return ScoreComponent("check:currency", label, 1.0, 1.0, "not checked (no currency)"), []
    code = str(extracted.value).upper()
    if is_known_currency(code):
        return ScoreComponent("check:currency", label, 1.0, 1.0, f"{code} is ISO 4217"), []
    return (
        ScoreComponent(
            "check:currency", label, 0.0, UNKNOWN_CURRENCY_FACTOR, f"{code} is not ISO 4217"
        ),
        [f"Currency {code} is unknown."],
    )


def _vendor_component(resolution: VendorResolution) -> ScoreComponent:
    strength = max(0.0, min(1.0, resolution.strength))
    factor = VENDOR_FLOOR + (1 - VENDOR_FLOOR) * strength
    vendor = resolution.vendor
    if resolution.matched_by == "none":
        detail = "no supplier identified"
    elif resolution.matched_by == "new":
        detail = f"new vendor “{vendor.name if vendor else ''}”"
    else:
        key = MATCHED_BY_LABELS.get(resolution.matched_by, resolution.matched_by)
        detail = f"“{vendor.name if vendor else ''}” found by its {key}"
        if resolution.name_similarity is not None and resolution.matched_by == "name":
            detail += f" ({whole_percent(resolution.name_similarity)} alike)"
    return ScoreComponent("vendor", "Vendor identified", strength, factor, detail)


def score_invoice(
    *,
    invoice: Invoice,
    extraction: Extraction,
    resolution: VendorResolution,
    enrichment: EnrichmentResult,
    duplicate_suspected: bool,
) -> Score:
    """The document's confidence, 0–100, as the product of explained factors: required
    fields (mean, capped by the weakest), checks, vendor resolution strength, conflicts
    with the vendor's history, duplicate suspicion and how sure the classification is.
    Stores it on the invoice (`confidence`, `confidence_components`)."""
    fields = enrichment.fields
    components, blocking = _field_components(fields)
    must_review: list[str] = []
    received = invoice.document.received_at if invoice.document_id else None
    checks, check_blocking = _checks(fields, (received or timezone.now()).date())
    components += checks
    blocking += check_blocking
    components.append(_vendor_component(resolution))
    components += _conflict_components(resolution, enrichment)
    if duplicate_suspected:
        components.append(
            ScoreComponent(
                "duplicate",
                "Possible duplicate",
                0.0,
                DUPLICATE_FACTOR,
                "same supplier, number or amount as another document",
            )
        )
    if extraction.source != "xml":
        components.append(_kind_component(extraction))
    if not extraction.readable:  # a scan is OCR'd; this is one where OCR found no text
        must_review.append("No text layer: the document is a scan and needs a person.")
        blocking.append("No text layer.")
    score = _finish(components, blocking, must_review)
    invoice.confidence = score.value
    invoice.confidence_components = score.to_json()
    if invoice.pk:
        Invoice.objects.filter(pk=invoice.pk).update(
            confidence=invoice.confidence, confidence_components=invoice.confidence_components
        )
    return score


def _checks(
    fields: dict[str, ExtractedField], today: date
) -> tuple[list[ScoreComponent], list[str]]:
    """The plausibility checks (totals, dates, VAT id, currency) and what they block."""
    currency, blocking = _check_currency(fields)
    checks = [_check_totals(fields), _check_dates(fields, today), _check_vat(fields), currency]
    return checks, blocking


def _conflict_components(
    resolution: VendorResolution, enrichment: EnrichmentResult
) -> list[ScoreComponent]:
    """Other keys of the document pointing at another vendor, and fields that differ from
    the vendor's history: each one a factor."""
    components = [
        ScoreComponent("conflict:vendor", "Vendor conflict", 0.0, CONFLICT_FACTOR, message)
        for message in resolution.conflicts
    ]
    components += [
        ScoreComponent(
            f"conflict:{conflict.field}",
            f"{FIELD_LABELS.get(conflict.field, conflict.field)} differs from the vendor's",
            0.0,
            CONFLICT_FACTOR,
            conflict.message,
        )
        for conflict in enrichment.conflicts
    ]
    return components


#: The label of the "kind" component: how sure the reader is of the document's kind.
KIND_LABEL = "Document kind"
#: The detail the "kind" component was written with before it named the kind in words
#: ("credit_note (95%)"): its code, then its certainty.
_KIND_CODE_DETAIL = re.compile(r"(?P<code>[a-z_]+)(?P<rest> \(.*)", re.DOTALL)


def kind_detail(kind: str, confidence: float) -> str:
    """The kind the reader found, in words, and how sure it is: "credit note (95 %)"."""
    return f"{kind_in_words(kind)} ({whole_percent(confidence)})"


def kind_in_words(kind: str) -> str:
    """A document kind's label as a sentence names it ("credit_note" gives "credit note");
    an unknown code as it is."""
    if kind not in DocumentKind.values:
        return kind
    return str(DocumentKind(kind).label).lower()


def stored_kind_detail(detail: str) -> str:
    """A "kind" component's stored detail as `kind_detail` writes it now: the code an older
    one names ("credit_note (95%)") in words; a detail in words as it is."""
    found = _KIND_CODE_DETAIL.fullmatch(detail)
    if found is None or found["code"] not in DocumentKind.values:
        return detail
    return kind_in_words(found["code"]) + found["rest"]


def _kind_component(extraction: Extraction) -> ScoreComponent:
    """How sure the text reader is of the document's kind (XML says so itself)."""
    kind_factor = max(0.0, min(1.0, extraction.kind_confidence)) ** KIND_EXPONENT
    return ScoreComponent(
        "kind",
        KIND_LABEL,
        extraction.kind_confidence,
        kind_factor,
        kind_detail(extraction.kind, extraction.kind_confidence),
    )


def _finish(components: list[ScoreComponent], blocking: list[str], must_review: list[str]) -> Score:
    factors = [c for c in components if c.factor < 1.0]
    product = math.prod(c.factor for c in factors)
    raw = 100.0 * max(0.0, min(1.0, product))
    value = Decimal(str(raw)).quantize(CENT, rounding=ROUND_DOWN)
    # Points: the lost 100 − score shared out in proportion to each factor's log.
    logs = {id(c): -math.log(max(c.factor, 1e-9)) for c in factors}
    total_log = sum(logs.values())
    lost = 100.0 - float(value)
    final = tuple(
        ScoreComponent(
            c.key,
            c.label,
            c.value,
            c.factor,
            c.detail,
            round(lost * logs[id(c)] / total_log, 2) if id(c) in logs and total_log else 0.0,
        )
        for c in components
    )
    return Score(
        value=value, components=final, blocking=tuple(blocking), must_review=tuple(must_review)
    )
