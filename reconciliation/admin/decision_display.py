"""A decision's before → after as finance people read it: one row per field, with the field's
label and its value formatted (money with its currency, dates, statuses, reason codes). The
review screen's history and the invoice page's decisions both show changes through here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from decimal import InvalidOperation
from typing import Any

from django.contrib import admin
from django.utils.dateformat import format as format_date

from reconciliation.extraction.types import FIELD_LABELS
from reconciliation.invoices.reasons import codes_causes_first
from reconciliation.invoices.reasons import label as reason_label
from reconciliation.invoices.reasons import stated_codes
from reconciliation.models import Decision
from reconciliation.models import DocumentStatus
from reconciliation.models import InvoiceStatus
from reconciliation.models import MatchKind
from reconciliation.models import MatchStatus
from reconciliation.models import VendorStatus
from reconciliation.models.banking import REFUSED_LABELS
from reconciliation.money import format_money
from reconciliation.money import is_known_currency
from reconciliation.web.dates import iso_day

#: The other keys decisions record.
CHANGE_LABELS: dict[str, str] = {
    **FIELD_LABELS,
    "status": "Status",
    "confidence": "Confidence",
    "rule": "Routing rule",
    "review_threshold": "Review threshold",
    "auto_post_threshold": "Auto-post threshold",
    "reason_codes": "Reasons",
    "qonto_id": "Qonto id",
    "file_name": "File sent to Qonto",
    "is_held": "Held out of posting",
    "vendor": "Vendor",
    "kind": "Kind",
    "score": "Score",
    "transaction": "Bank line",
    "match": "Match",
    "rejected": "Rejected",
    "proposed": "Proposed",
    "code": "Cause",
    "bank_details": "Bank details",
    "review_reason": "Review reason",
    "receivable": "Receivable",
}
#: How a match's amount agreed with the bank line (`matching.scoring.AmountBasis`); the words
#: fit debits and credits alike (the list's filter offers them for both).
AMOUNT_BASIS_LABELS: dict[str, str] = {
    "source": "Same amount as the bank line",
    "local": "Same as Qonto's local amount",
    "converted": "Converted at the exchange rate",
}
#: Fields only support needs: shown in a collapsed "Technical details" section.
TECHNICAL_FIELDS = ("idempotency_key",)
MONEY_KEYS = frozenset({"net_amount", "tax_amount", "total_amount", "amount"})
DATE_KEYS = frozenset({"issue_date", "due_date", "execution_date"})
PERCENT_KEYS = frozenset({"confidence", "review_threshold", "auto_post_threshold", "score"})
STATUS_LABELS: dict[str, str] = {
    **dict(MatchStatus.choices),
    **dict(InvoiceStatus.choices),
}
#: A decision about a document alone (read again, not a duplicate) records the document's
#: status: "failed" is an unreadable file there, not an invoice whose posting failed.
DOCUMENT_STATUS_LABELS: dict[str, str] = dict(DocumentStatus.choices)
#: A decision about a match records the match's status (and the invoice's, if at all, as
#: "invoice_status"): "rejected" is a proposal turned down there, not an invoice Qonto rejected.
MATCH_STATUS_LABELS: dict[str, str] = dict(MatchStatus.choices)
INVOICE_STATUS_LABELS: dict[str, str] = dict(InvoiceStatus.choices)
#: What an approval or a correction changed on the vendor record (recorded under "vendor"):
#: one row each, named as the vendor's own.
VENDOR_LABELS: dict[str, str] = {
    "status": "Vendor status",
    "name": "Vendor name",
    "vat_id": "Vendor VAT id",
    "domain": "Vendor domain",
    "ibans": "Vendor IBANs",
}
VENDOR_STATUS_LABELS: dict[str, str] = dict(VendorStatus.choices)


@dataclass(frozen=True)
class Change:
    key: str
    label: str
    before: str
    after: str


def field_label(name: str) -> str:
    return CHANGE_LABELS.get(name, name.replace("_", " ").capitalize())


def status_labels(decision: Decision) -> dict[str, str]:
    """The labels of the statuses `decision` records: a match's, a document's (a decision about
    the document alone), else an invoice's."""
    if decision.match_id is not None:
        # A flag's "refused" in its own words: a double payment's is "Refund requested".
        recorded = [notes for notes in (decision.after, decision.before) if isinstance(notes, dict)]
        kind = next((str(notes["kind"]) for notes in recorded if notes.get("kind")), "")
        if kind in REFUSED_LABELS:
            return {**MATCH_STATUS_LABELS, MatchStatus.REFUSED.value: REFUSED_LABELS[kind]}
        return MATCH_STATUS_LABELS
    if decision.document_id is not None and decision.invoice_id is None:
        return DOCUMENT_STATUS_LABELS
    return STATUS_LABELS


def decision_changes(decision: Decision, *, currency: str = "") -> list[Change]:
    """`changes` of one decision, its statuses read as the row it is about names them."""
    return changes(
        decision.before, decision.after, currency=currency, statuses=status_labels(decision)
    )


def changes(
    before: Any, after: Any, *, currency: str = "", statuses: dict[str, str] = STATUS_LABELS
) -> list[Change]:
    """The fields that differ between `before` and `after`, in the order they were recorded;
    a status by its label in `statuses` (see `status_labels`)."""
    before = before if isinstance(before, dict) else {}
    after = after if isinstance(after, dict) else {}
    currency = str(after.get("currency") or before.get("currency") or currency or "")
    out = []
    for key in [*before, *(k for k in after if k not in before)]:
        old, new = before.get(key), after.get(key)
        if old == new:
            continue
        if key == "reason_codes":
            approved = after.get("status") == InvoiceStatus.APPROVED
            old, new = _stated(old, approved=False), _stated(new, approved=approved)
        if key == "vendor" and isinstance(old or new, dict):
            out += _vendor_changes(old, new)
            continue
        out.append(
            Change(
                key,
                field_label(key),
                display_value(key, old, currency=currency, statuses=statuses),
                display_value(key, new, currency=currency, statuses=statuses),
            )
        )
    return out


def _vendor_changes(before: Any, after: Any) -> list[Change]:
    """What a decision changed on the vendor record, one row per field ("Vendor status: New —
    needs review → Active"), under the key "vendor" the decision recorded them in."""
    before = before if isinstance(before, dict) else {}
    after = after if isinstance(after, dict) else {}
    rows = []
    for name in [*before, *(k for k in after if k not in before)]:
        old, new = before.get(name), after.get(name)
        if name == "status" and old is None and new == VendorStatus.ACTIVE:
            # An approval makes a new vendor active; only a new one is recorded so.
            old = VendorStatus.NEEDS_REVIEW.value
        label = VENDOR_LABELS.get(name, f"Vendor {field_label(name).lower()}")
        rows.append(Change("vendor", label, _vendor_value(name, old), _vendor_value(name, new)))
    return rows


def _vendor_value(name: str, value: Any) -> str:
    if name == "status" and value:
        return VENDOR_STATUS_LABELS.get(str(value), str(value))
    return display_value(name, value)


def _stated(codes: Any, *, approved: bool) -> Any:
    """Recorded reason codes as the reasons of a decision: the causes first, and "reaches the
    auto-post threshold" only where Well approved the invoice itself (elsewhere the score was
    good enough and something else sent it to a person: context, not a reason)."""
    if not isinstance(codes, list):
        return codes
    return codes_causes_first(stated_codes([str(c) for c in codes], auto_approved=approved))


def display_value(
    key: str, value: Any, *, currency: str = "", statuses: dict[str, str] = STATUS_LABELS
) -> str:
    """One recorded value as people read it (a status by its label in `statuses`)."""
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if key == "reason_codes" and isinstance(value, list):
        return "; ".join(reason_label(str(code)) for code in value)
    if isinstance(value, dict):
        return ", ".join(
            f"{field_label(k)}: {display_value(k, v, currency=currency, statuses=statuses)}"
            for k, v in value.items()
        )
    if isinstance(value, list):
        return "; ".join(display_value(key, v, currency=currency, statuses=statuses) for v in value)
    return _scalar(key, value, currency, statuses)


def _scalar(key: str, value: Any, currency: str, statuses: dict[str, str]) -> str:
    text = str(value)
    if key == "status":
        return statuses.get(text, text)
    if key == "invoice_status":
        return INVOICE_STATUS_LABELS.get(text, text)
    if key == "kind":
        return dict(MatchKind.choices).get(text, text)
    if key in MONEY_KEYS and is_known_currency(currency):
        number = _decimal(value)
        return format_money(number, currency) if number is not None else text
    if key in PERCENT_KEYS:
        number = _decimal(value)
        return percent(number) if number is not None and number.is_finite() else text
    if key in DATE_KEYS:
        day = iso_day(value)
        return format_date(day, "j M Y") if day is not None else text
    if isinstance(value, float):
        return f"{value:.4g}"
    return text


def percent(value: Decimal | float | None) -> str:
    """A confidence or score (0–100) as the lists and pages show it: "94.80 %", "100 %" (as
    the review screen's ``floatformat:"-2"``)."""
    if value is None:
        return "—"
    number = Decimal(str(value)).quantize(Decimal("0.01"))
    if number == number.to_integral_value():
        return f"{number:.0f} %"
    return f"{number:f} %"


def percent_column(field: str, description: str) -> Any:
    """A list column showing the model's `field` (0–100) with `percent`, sorted by it."""

    @admin.display(description=description, ordering=field)
    def column(model_admin: Any, obj: Any) -> str:
        return percent(getattr(obj, field))

    return column


def _decimal(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def with_technical_section(fields: Sequence[Any]) -> list[tuple[str | None, dict[str, Any]]]:
    """Admin fieldsets: the page's fields, then the technical ones in a collapsed section."""
    technical = [name for name in fields if name in TECHNICAL_FIELDS]
    shown = [name for name in fields if name not in TECHNICAL_FIELDS]
    if not technical:
        return [(None, {"fields": shown})]
    return [
        (None, {"fields": shown}),
        ("Technical details", {"classes": ["collapse"], "fields": technical}),
    ]
