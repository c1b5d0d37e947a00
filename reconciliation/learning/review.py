"""A reviewer's corrections and approvals: stored, audited, learned, counted."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from datetime import date
from decimal import Decimal
from decimal import InvalidOperation
from typing import TYPE_CHECKING
from typing import Any

from django.db import models
from django.db import transaction

from reconciliation.extraction.types import AMOUNT_FIELDS
from reconciliation.extraction.types import DATE_FIELDS
from reconciliation.extraction.types import FIELD_LABELS
from reconciliation.extraction.types import Evidence
from reconciliation.extraction.types import FieldValue
from reconciliation.extraction.types import Word
from reconciliation.extraction.types import value_to_json
from reconciliation.learning.layout import values_equal
from reconciliation.learning.layout import words_from_json
from reconciliation.learning.rules import LEARNABLE_FIELDS
from reconciliation.learning.rules import learn_from_correction
from reconciliation.learning.rules import record_stats
from reconciliation.models import Decision
from reconciliation.models import DecisionAction
from reconciliation.models import Invoice
from reconciliation.models import Vendor
from reconciliation.models import VendorStatus
from reconciliation.models.vendor import VendorReview
from reconciliation.money import is_known_currency
from reconciliation.text.domains import is_shared_domain
from reconciliation.text.domains import normalize_domain
from reconciliation.text.domains import normalize_host
from reconciliation.text.identifiers import compact_identifier
from reconciliation.text.identifiers import compact_vat_id
from reconciliation.text.identifiers import normalize_iban
from reconciliation.text.identifiers import normalize_vat_id
from reconciliation.text.names import normalize_name
from reconciliation.text.references import normalize_reference
from reconciliation.vendors.enrichment import INVOICE_COLUMNS
from reconciliation.vendors.keys import index_vendor

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


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
            Invoice.objects.select_for_update(of=("self",))
            .select_related("document", "vendor")
            .get(pk=invoice.pk)
        )
        vendor = invoice.vendor
        edits = _Edits(
            invoice=invoice,
            fields_json={k: dict(v) for k, v in (invoice.fields or {}).items()},
            layout=_document_layout(invoice),
        )
        for name, value in parsed.items():
            _apply_correction(edits, name, value, who)
        confirmed = _confirm_fields(edits) if approve else []
        if vendor is not None and edits.stats:
            record_stats(vendor, edits.stats)
        invoice.fields = edits.fields_json
        vendor_updates = _record_edit(edits, user)
        counted = False
        if approve:
            counted, adopted = _approve(edits, user, confirmed)
            vendor_updates = {**vendor_updates, **adopted}
        invoice.save()
    reviewed = 0
    if vendor is not None:
        vendor.refresh_from_db()
        reviewed = vendor.documents_reviewed
    return ReviewResult(
        invoice=invoice,
        corrected=tuple(sorted(edits.after)),
        confirmed=tuple(confirmed),
        learned=tuple(sorted(set(edits.learned))),
        counted=counted,
        documents_reviewed=reviewed,
        vendor_updates=vendor_updates,
    )


@dataclass
class _Edits:
    """What one review changes on one locked invoice, gathered field by field."""

    invoice: Invoice
    fields_json: dict[str, Any]
    layout: tuple[list[Word], list[tuple[float, float]]]
    before: dict[str, Any] = field(default_factory=dict)
    after: dict[str, Any] = field(default_factory=dict)
    learned: list[str] = field(default_factory=list)
    stats: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def vendor(self) -> Vendor | None:
        return self.invoice.vendor


def _stored_value(invoice: Invoice, name: str, entry: dict[str, Any]) -> Any:
    old = entry.get("value")
    if old is None and name in INVOICE_COLUMNS:
        column_value = getattr(invoice, INVOICE_COLUMNS[name])
        old = value_to_json(name, column_value) if column_value not in (None, "") else None
    return old


def _apply_correction(edits: _Edits, name: str, value: FieldValue | None, who: str) -> None:
    """One corrected field: kept as the reviewer's value (fields JSON and column), learned
    from the document's words, and counted against a learned mapping that got it wrong."""
    invoice = edits.invoice
    entry = edits.fields_json.get(name) or {}
    old = _stored_value(invoice, name, entry)
    new = value_to_json(name, value) if value is not None else None
    if old is None and new is None:
        return
    if old is not None and new is not None and values_equal(name, old, new):
        return
    edits.before[name], edits.after[name] = old, new
    if entry.get("source") == "learned":
        edits.stats.setdefault(name, {})["corrected"] = 1
    evidence = None
    words, page_sizes = edits.layout
    if edits.vendor is not None and new is not None and words:
        found = learn_from_correction(
            vendor=edits.vendor,
            document_words=words,
            page_sizes=page_sizes,
            field=name,
            corrected_value=new,
        )
        if found is not None:
            edits.learned.append(name)
            evidence = found.evidence
    edits.fields_json[name] = {
        "value": new,
        "confidence": 1.0,
        "source": "reviewer",
        "evidence": _evidence_to_json(evidence),
        "origin": f"Corrected by {who}.",
    }
    column = INVOICE_COLUMNS.get(name)
    if column:
        setattr(invoice, column, value if value is not None else _column_default(invoice, column))
        if column == "number":
            # Matching and duplicate checks read the normalised number.
            invoice.normalized_number = normalize_reference(invoice.number)[:100]


def _confirm_fields(edits: _Edits) -> list[str]:
    """Approving vouches for the fields the reviewer left alone: each is learned where the
    vendor's mapping did not already find it."""
    vendor = edits.vendor
    words, page_sizes = edits.layout
    confirmed: list[str] = []
    for name in LEARNABLE_FIELDS:
        entry = edits.fields_json.get(name) or {}
        if name in edits.after or not entry.get("value"):
            continue
        confirmed.append(name)
        if entry.get("source") == "learned":
            edits.stats.setdefault(name, {})["confirmed"] = 1
        if vendor is None or not words:
            continue
        if name in (vendor.learned_mapping or {}) and entry.get("source") == "learned":
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
            edits.learned.append(name)
    return confirmed


def _record_edit(edits: _Edits, user: AbstractBaseUser | None) -> dict[str, Any]:
    """The "edit" Decision, after the vendor record took the corrected identity."""
    if not edits.after:
        return {}
    invoice, vendor = edits.invoice, edits.vendor
    vendor_updates: dict[str, Any] = {}
    if vendor is not None:
        vendor_updates = _correct_identity(vendor, edits.before, edits.after)
    Decision.record_for_invoice(
        invoice,
        DecisionAction.EDIT,
        actor=user,
        vendor=vendor,
        before=edits.before,
        after={**edits.after, "vendor": vendor_updates} if vendor_updates else edits.after,
        reason=f"Corrected {', '.join(FIELD_LABELS.get(n, n) for n in sorted(edits.after))}.",
    )
    return vendor_updates


def _approve(
    edits: _Edits, user: AbstractBaseUser | None, confirmed: list[str]
) -> tuple[bool, dict[str, Any]]:
    """Approve, count the document toward the vendor's training once, let the vendor adopt
    the identity the invoice vouches for, and write the "approve" Decision."""
    invoice, vendor = edits.invoice, edits.vendor
    previous_status = invoice.status
    invoice.approve(user, reason="Approved after review")
    counted = False
    adopted: dict[str, Any] = {}
    if vendor is not None:
        _review, counted = VendorReview.objects.get_or_create(
            invoice=invoice,
            defaults={
                "workspace_id": invoice.workspace_id,
                "vendor": vendor,
                "reviewer_id": user.pk if user is not None else None,
                "corrected_fields": sorted(edits.after),
                "confirmed_fields": confirmed,
                "learned_fields": sorted(set(edits.learned)),
            },
        )
        if counted:
            Vendor.objects.filter(pk=vendor.pk).update(
                documents_reviewed=models.F("documents_reviewed") + 1
            )
        adopted = _adopt_identity(vendor, invoice)
    Decision.record_for_invoice(
        invoice,
        DecisionAction.APPROVE,
        actor=user,
        vendor=vendor,
        before={"status": previous_status},
        after={"status": invoice.status, "vendor": adopted},
        reason="Approved after review",
    )
    return counted, adopted


def _correct_identity(
    vendor: Vendor, before: dict[str, Any], after: dict[str, Any]
) -> dict[str, Any]:
    """A corrected VAT id, IBAN, domain or name that the vendor record had taken from this
    document's wrong reading (often the buyer's VAT id) is corrected on the vendor too."""
    locked = Vendor.objects.select_for_update().get(pk=vendor.pk)
    updates: dict[str, Any] = {}
    old_vat, new_vat = before.get("supplier_vat_id"), after.get("supplier_vat_id")
    if old_vat and locked.vat_id and compact_vat_id(locked.vat_id) == compact_vat_id(old_vat):
        vat = normalize_vat_id(new_vat) or ""
        taken = bool(vat) and (
            Vendor.objects.usable()
            .for_workspace(locked.workspace_id)
            .filter(vat_id=vat)
            .exclude(pk=locked.pk)
            .exists()
        )
        locked.vat_id = "" if taken else vat
        updates["vat_id"] = locked.vat_id
    old_iban, new_iban = before.get("supplier_iban"), after.get("supplier_iban")
    if old_iban:
        wrong = normalize_iban(old_iban) or compact_identifier(old_iban)
        ibans = [str(i) for i in locked.ibans or [] if (normalize_iban(str(i)) or i) != wrong]
        if len(ibans) != len(locked.ibans or []):
            right = normalize_iban(new_iban)
            locked.ibans = [*ibans, right] if right and right not in ibans else ibans
            updates["ibans"] = locked.ibans
    old_domain, new_domain = before.get("supplier_domain"), after.get("supplier_domain")
    if old_domain and locked.domain and normalize_domain(old_domain) == locked.domain:
        domain = normalize_domain(new_domain)
        locked.domain = domain if domain and not is_shared_domain(domain) else ""
        updates["domain"] = locked.domain
    old_name, new_name = before.get("supplier_name"), after.get("supplier_name")
    if old_name and new_name and normalize_name(locked.name) == normalize_name(old_name):
        locked.name = str(new_name)[:300]
        updates["name"] = locked.name
    if updates:
        locked.save()
        index_vendor(vendor=locked)
        vendor.refresh_from_db()
    return updates


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
    if domain and not locked.domain and not is_shared_domain(domain):
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
        vendor.refresh_from_db()
    return updates
