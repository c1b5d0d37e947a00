"""What the review screen shows: fields with confidence and evidence, page images, conflicts,
routing reasons, match candidates, double charges and the decision history."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from decimal import Decimal
from decimal import InvalidOperation
from typing import TYPE_CHECKING
from typing import Any

from django.db.models import Q
from django.urls import reverse
from django.utils.formats import date_format

from reconciliation import review
from reconciliation.admin.bank_details import held_for_bank_details
from reconciliation.admin.decision_display import Change
from reconciliation.admin.decision_display import actor_label
from reconciliation.admin.decision_display import decision_changes
from reconciliation.admin.decision_display import field_label
from reconciliation.extraction.types import DATE_FIELDS
from reconciliation.extraction.types import PAYMENT_FIELDS
from reconciliation.invoices import reasons
from reconciliation.invoices.scoring import KIND_LABEL
from reconciliation.invoices.scoring import stored_kind_detail
from reconciliation.matching.invoices import SETTLED_STATUSES
from reconciliation.models import Decision
from reconciliation.models import Document
from reconciliation.models import Invoice
from reconciliation.models import InvoiceStatus
from reconciliation.models import Match
from reconciliation.models import MatchKind
from reconciliation.models import MatchStatus
from reconciliation.models import Transaction
from reconciliation.models.banking import signed_money
from reconciliation.money import format_money
from reconciliation.money import is_known_currency
from reconciliation.text.percents import match_reason
from reconciliation.text.percents import whole_percent
from reconciliation.text.percents import with_percents
from reconciliation.web import rendering
from reconciliation.web.dates import iso_day

if TYPE_CHECKING:
    from django import forms

#: A4 in points, for documents whose engine did not report page sizes.
DEFAULT_PAGE_SIZE = (595.0, 842.0)
SOURCE_LABELS: dict[str, str] = {
    "xml": "e-invoice XML",
    "text": "read from the text",
    "learned": "vendor's learned layout",
    "enriched": "enriched",
    "reviewer": "corrected by a reviewer",
}
HISTORY_LIMIT = 100


@dataclass(frozen=True)
class PageView:
    number: int
    url: str
    width_points: float
    height_points: float
    pixel_width: int
    pixel_height: int


@dataclass(frozen=True)
class FieldView:
    name: str
    label: str
    value: str
    input: forms.BoundField | None
    confidence: Decimal | None  # percent
    band: str  # high | medium | low | none
    source: str
    source_label: str
    origin: str
    is_enriched: bool
    evidence_page: int | None
    evidence_box: str  # "x0 top x1 bottom" in PDF points, origin top-left; "" when unknown
    evidence_text: str
    conflict: str


@dataclass(frozen=True)
class HistoryEntry:
    decision: Decision
    actor: str
    changes: list[Change] = field(default_factory=list)
    reason: str = ""  # the decision's reason as shown (`with_percents`)


@dataclass(frozen=True)
class CandidateView:
    """A proposed match and its reasons as shown (`match_reason`)."""

    match: Match
    reasons: list[str]


def review_context(
    *,
    document: Document,
    invoice: Invoice | None,
    form: forms.Form | None,
    can_edit: bool,
) -> dict[str, Any]:
    workspace = document.workspace
    conflicts = _conflicts(invoice)
    fields = fields_of(document, invoice, form, conflicts)
    refusal = rendering.render_refusal(document)
    double_charge = review.proposed_double_charge(document)
    return {
        "document": document,
        "invoice": invoice,
        "workspace": workspace,
        "form": form,
        "can_edit": can_edit,
        "fields": fields,
        "first_input": next((f.input.auto_id for f in fields if f.input is not None), ""),
        "pages": pages_of(document),
        "more_pages": max(0, int(document.page_count or 0) - rendering.MAX_RENDER_PAGES),
        "render_refusal": refusal.reason if refusal else "",
        "conflicts": [c["message"] for c in conflicts],
        **why_it_is_here(invoice),
        "components": _components(invoice),
        "confidence_band": _band(
            invoice.confidence if invoice else None,
            (workspace.review_threshold, workspace.auto_post_threshold),
            scale=Decimal(1),
        ),
        "double_charge": double_charge,
        "paid_by_bank": _paid_sentence(invoice),
        "candidates": [
            CandidateView(match, [match_reason(str(reason)) for reason in match.reasons or []])
            for match in Match.objects.filter(
                document=document, kind__in=review.CANDIDATE_KINDS, status=MatchStatus.PROPOSED
            )
            .select_related("transaction", "receivable", "invoice")
            .order_by("rank", "-score", "pk")[:10]
        ],
        "history": history_of(document, invoice),
        **decisions_open(invoice, double_charge=double_charge, can_edit=can_edit),
        **held_for_bank_details(invoice),
    }


def paid_debits(invoice_ids: list[int]) -> dict[int, Transaction]:
    """Per invoice of `invoice_ids`: the debit that paid it (a confirmed or attached invoice ↔
    debit match), the earliest when several did. One query, whatever the number of invoices."""
    if not invoice_ids:
        return {}
    matches = (
        Match.objects.filter(
            invoice_id__in=invoice_ids,
            kind=MatchKind.INVOICE_DEBIT,
            status__in=SETTLED_STATUSES,  # the bank paid it: confirmed, or attached
            transaction__isnull=False,
        )
        .select_related("transaction")
        .order_by("transaction__value_date", "pk")
    )
    paid: dict[int, Transaction] = {}
    for match in matches:
        assert match.invoice_id is not None  # filtered on it
        assert match.transaction is not None
        paid.setdefault(match.invoice_id, match.transaction)
    return paid


def _paid_sentence(invoice: Invoice | None) -> str:
    """ "The bank shows it paid on 4 Sep 2026 (Northwind, −985.00 EUR)." or ""."""
    debit = paid_debits([invoice.pk]).get(invoice.pk) if invoice is not None else None
    if debit is None:
        return ""
    day = date_format(debit.value_date, "j M Y") if debit.value_date else "an unknown date"
    amount = signed_money(debit.amount, debit.currency, debit.side)
    by = ", ".join(part for part in (debit.counterparty_name, amount) if part)
    return f"The bank shows it paid on {day} ({by}); it need not be paid again."


def routing_reasons_now(invoice: Invoice) -> list[str]:
    """The routing sentences stored when the invoice was routed, the vendor-in-training one
    with the vendor's count as it is now: each review moves the count, and the queue's vendor
    column shows the live one. The causes first (rows routed before routing ordered them
    stored "reaches the auto-post threshold" ahead of what sent the invoice to a person)."""
    vendor = invoice.vendor
    out = []
    for text in invoice.routing_reasons or []:
        if vendor is not None and reasons.code_of(str(text)) == "vendor_in_training":
            text = reasons.sentence(
                "vendor_in_training", vendor=vendor.name, progress=vendor.training_progress
            ).text
        out.append(str(text))
    return reasons.causes_first(out)


#: The queue's Why column: a few words per cause, from the values of its sentence, and the
#: figure that says how far off it is (never cut: the words are); a code without one reads as
#: its label, a sentence no template fits as itself. The confidence has its own column beside
#: it, so "Below 85 %" names only the threshold it missed.
SHORT_FORMS: dict[str, tuple[str, str]] = {
    "vendor_in_training": ("In training", "{progress}"),
    "below_auto_post_threshold": ("Below", "{threshold}"),
    "below_review_threshold": ("Below review", "{threshold}"),
    "field_below_threshold": ("{field}", "{confidence}"),
    "routing_rule": ("Rule “{rule}”", ""),
    "currency_unknown": ("Unknown currency", "{currency}"),
    "no_debit_found": ("No debit in", "{days} d"),
}


@dataclass(frozen=True)
class ShortReason:
    """A reason in a few words and the figure that goes with them ("Below", "85 %")."""

    words: str
    figure: str = ""

    def __str__(self) -> str:
        return f"{self.words} {self.figure}" if self.figure else self.words


def short_reason(text: str) -> ShortReason:
    """A reason as the queue's narrow Why column shows it: "In training 4/10", "Below 85 %",
    "Double charge"; the whole sentence is on hover."""
    code = reasons.code_of(text)
    if code == reasons.OTHER:
        return ShortReason(with_percents(text))
    values = reasons.values_of(code, text)
    if code in SHORT_FORMS and values is not None:
        shown = {name: with_percents(value) for name, value in values.items()}
        words, figure = SHORT_FORMS[code]
        return ShortReason(words.format(**shown), figure.format(**shown))
    return ShortReason(reasons.label(code))


def why_here(invoice: Invoice) -> list[str]:
    """ "Why it is here", in the order it is read: the hold first ("Held out of posting: …"),
    then what sends the invoice to a person, then the context (a threshold the score
    reached). Where the score lost its points is the confidence panel's ("How the confidence
    was computed"), not repeated here."""
    held = []
    if invoice.is_held:
        held = [f"Held out of posting: {invoice.hold_reason}".strip().rstrip(":")]
    routed = [
        text
        for text in routing_reasons_now(invoice)
        if reasons.code_of(text) not in reasons.DETAIL_CODES
    ]
    return [with_percents(text) for text in held + routed]


def why_it_is_here(invoice: Invoice | None) -> dict[str, Any]:
    """The compact band under the title: the causes (`why_here`), what only a person may
    approve and must review (each once: routing may have listed it already), the conflicts
    with the vendor's record; the bank's payment after them, a note, not a cause."""
    if invoice is None:
        return {"routing_reasons": [], "must_review": [], "blocking": []}
    causes = why_here(invoice)
    stated = {text.removeprefix("Held: ") for text in causes}
    score = _components_json(invoice)

    def unstated(key: str) -> list[str]:
        listed = [with_percents(str(item)) for item in score.get(key) or []]
        return [text for text in dict.fromkeys(listed) if text not in stated]

    return {
        "routing_reasons": causes,
        "must_review": unstated("must_review"),
        "blocking": unstated("blocking"),
    }


def decisions_open(
    invoice: Invoice | None, *, double_charge: Match | None, can_edit: bool
) -> dict[str, Any]:
    """Which decisions the screen offers (and who refused a refused invoice). A double charge
    (matched after payment, or caught by the gate before posting) is refused from its own
    panel, beside "Not a duplicate": one refusal on the screen, not a second "Refuse…"."""
    refused = invoice is not None and invoice.status == InvoiceStatus.REFUSED
    return {
        "can_approve": bool(invoice is not None and can_edit and invoice.can_approve),
        "can_reopen": bool(can_edit and refused),
        "refused_by": review.refused_by(invoice) if invoice is not None and refused else "",
        "can_refuse": bool(
            can_edit
            and double_charge is None
            and invoice is not None
            and invoice.can_refuse
            and not refused
        ),
    }


def fields_of(
    document: Document,
    invoice: Invoice | None,
    form: forms.Form | None,
    conflicts: list[dict[str, str]],
) -> list[FieldView]:
    """The invoice's review fields (with their inputs), or a payment document's read fields
    (its amount in the currency's minor units)."""
    workspace = document.workspace
    thresholds = (workspace.review_threshold, workspace.auto_post_threshold)
    if invoice is not None:
        by_field = {c["field"]: c["message"] for c in conflicts if c.get("field")}
        values = review.current_values(invoice)
        return [
            _field_view(
                name,
                entry=(invoice.fields or {}).get(name) or {},
                value=values[name],
                bound=form[name] if form is not None else None,
                thresholds=thresholds,
                conflict=by_field.get(name, ""),
            )
            for name in review.REVIEW_FIELDS
        ]
    extracted = (document.extraction or {}).get("fields") or {}
    read = {name: (extracted.get(name) or {}).get("value") for name in PAYMENT_FIELDS}
    return [
        _field_view(
            name,
            entry=extracted.get(name) or {},
            value=_payment_value(name, read),
            bound=None,
            thresholds=thresholds,
            conflict="",
        )
        for name in PAYMENT_FIELDS
    ]


def _payment_value(name: str, read: dict[str, Any]) -> Any:
    value = read.get(name)
    if name in DATE_FIELDS and value not in (None, ""):
        day = iso_day(value)
        return date_format(day, "DATE_FORMAT") if day is not None else value
    currency = str(read.get("currency") or "")
    if name != "amount" or value in (None, "") or not is_known_currency(currency):
        return value
    try:
        return format_money(Decimal(str(value)), currency)
    except InvalidOperation:
        return value


def pages_of(document: Document) -> list[PageView]:
    count = rendering.renderable_page_count(document)
    sizes = (document.extraction or {}).get("page_sizes") or []
    pages = []
    for number in range(1, count + 1):
        width, height = DEFAULT_PAGE_SIZE
        if number <= len(sizes):
            try:
                width, height = float(sizes[number - 1][0]), float(sizes[number - 1][1])
            except (TypeError, ValueError, IndexError):
                width, height = DEFAULT_PAGE_SIZE
        if width <= 0 or height <= 0:
            width, height = DEFAULT_PAGE_SIZE
        pages.append(
            PageView(
                number=number,
                url=reverse("admin:reconciliation-review-page", args=[document.pk, number]),
                width_points=width,
                height_points=height,
                pixel_width=round(width * rendering.RENDER_SCALE),
                pixel_height=round(height * rendering.RENDER_SCALE),
            )
        )
    return pages


def _band(value: Any, thresholds: tuple[Decimal, Decimal], *, scale: Decimal) -> str:
    if value is None:
        return "none"
    try:
        percent = Decimal(str(value)) * scale
    except InvalidOperation:
        return "none"
    low, high = thresholds
    if percent >= high:
        return "high"
    if percent >= low:
        return "medium"
    return "low"


def _field_view(
    name: str,
    *,
    entry: dict[str, Any],
    value: Any,
    bound: forms.BoundField | None,
    thresholds: tuple[Decimal, Decimal],
    conflict: str,
) -> FieldView:
    raw_confidence = entry.get("confidence")
    confidence: Decimal | None = None
    if raw_confidence is not None:
        try:
            confidence = (Decimal(str(raw_confidence)) * 100).quantize(Decimal(1))
        except InvalidOperation:
            confidence = None
    evidence = entry.get("evidence") or {}
    box = evidence.get("bbox") if isinstance(evidence, dict) else None
    page = evidence.get("page") if isinstance(evidence, dict) else None
    evidence_box = ""
    if isinstance(box, list | tuple) and len(box) == 4 and isinstance(page, int):
        try:
            evidence_box = " ".join(f"{float(v):.2f}" for v in box)
        except (TypeError, ValueError):
            evidence_box = ""
    source = str(entry.get("source") or "")
    origin = str(entry.get("origin") or "")
    return FieldView(
        name=name,
        label=field_label(name),
        value="" if value is None else str(value),
        input=bound,
        confidence=confidence,
        band=_band(confidence, thresholds, scale=Decimal(1)),
        source=source,
        source_label=SOURCE_LABELS.get(source, source),
        origin=origin,
        is_enriched=source == "enriched",
        evidence_page=page if evidence_box else None,
        evidence_box=evidence_box,
        evidence_text=str(evidence.get("text") or "") if isinstance(evidence, dict) else "",
        conflict=conflict,
    )


@dataclass(frozen=True)
class ComponentView:
    label: str
    value: str  # the input as a percentage ("" when it has none)
    factor: str  # what it multiplied the score by ("×0.85")
    points: str  # points of the 100 it cost ("7.7")
    detail: str
    is_costly: bool


def _components_json(invoice: Invoice | None) -> dict[str, Any]:
    data = invoice.confidence_components if invoice is not None else None
    return data if isinstance(data, dict) else {}


def _conflicts(invoice: Invoice | None) -> list[dict[str, str]]:
    """Conflicts with the vendor's record: scoring stores them as `conflict:<field>`
    components; an older shape kept them in a `conflicts` list."""
    data = _components_json(invoice)
    out: list[dict[str, str]] = []
    for item in data.get("components") or []:
        key = str(item.get("key", "")) if isinstance(item, dict) else ""
        if key.startswith("conflict:"):
            name = key.split(":", 1)[1]
            message = with_percents(str(item.get("detail") or item.get("label") or key))
            out.append({"field": name if name != "vendor" else "", "message": message})
    for item in data.get("conflicts") or []:
        if isinstance(item, dict):
            message = with_percents(str(item.get("message")))
            out.append({"field": str(item.get("field", "")), "message": message})
        else:
            out.append({"field": "", "message": with_percents(str(item))})
    return out


def _components(invoice: Invoice | None) -> list[ComponentView]:
    """The score's components, costliest first, as the reviewer reads them."""
    rows = []
    for item in _components_json(invoice).get("components") or []:
        if not isinstance(item, dict):
            continue
        points = _number(item.get("points"))
        factor = _number(item.get("factor"))
        value = _number(item.get("value"))
        label = str(item.get("label") or item.get("key") or "")
        detail = with_percents(str(item.get("detail") or ""))
        if item.get("key") == "kind":  # stored before it named the kind in words
            label, detail = KIND_LABEL, stored_kind_detail(detail)
        rows.append(
            (
                -(points or 0.0),
                ComponentView(
                    label=label,
                    value=whole_percent(value) if value is not None else "",
                    factor=f"×{factor:.2f}" if factor is not None and factor != 1.0 else "",
                    points=f"{points:.1f}" if points else "",
                    detail=detail,
                    is_costly=bool(points and points >= 0.5),
                ),
            )
        )
    rows.sort(key=lambda row: row[0])
    return [view for _, view in rows]


def _number(value: Any) -> float | None:
    try:
        return float(value) if value is not None and value != "" else None
    except (TypeError, ValueError):
        return None


def history_of(document: Document, invoice: Invoice | None) -> list[HistoryEntry]:
    """Every decision about the document or its invoice, newest first, with before → after."""
    condition = Q(document=document)
    if invoice is not None:
        condition |= Q(invoice=invoice)
    decisions = (
        Decision.objects.filter(condition, workspace_id=document.workspace_id)
        .select_related("actor", "match")
        .order_by("-created_at", "-id")[:HISTORY_LIMIT]
    )
    entries = []
    for decision in decisions:
        actor = actor_label(decision.actor)
        currency = invoice.currency if invoice is not None else ""
        rows = decision_changes(decision, currency=currency)
        entries.append(HistoryEntry(decision, actor, rows, with_percents(decision.reason or "")))
    return entries
