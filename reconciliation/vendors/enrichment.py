"""What Well already knows about a document's sender, checked against and added to what the
document says.

`reconciliation.invoices.creation` calls, after vendor resolution and the learned mapping::

    enriched = enrich_fields(vendor=resolution.vendor, fields=fields)
    invoice.fields = enriched.to_invoice_fields()  # + the typed columns: enriched.invoice_columns()
    invoice.ledger_account = enriched.ledger_account
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import models

from reconciliation.extraction.types import ExtractedField
from reconciliation.extraction.types import value_to_json
from reconciliation.models import Invoice
from reconciliation.models import InvoiceStatus
from reconciliation.models import Vendor
from reconciliation.models import VendorStatus
from reconciliation.text.domains import normalize_domain
from reconciliation.text.folding import fold
from reconciliation.text.identifiers import compact_vat_id
from reconciliation.text.identifiers import iban_key
from reconciliation.text.names import name_similarity
from reconciliation.text.names import normalize_name
from reconciliation.text.percents import whole_percent
from reconciliation.vendors.resolution import FUZZY_CUTOFF
from reconciliation.vendors.resolution import vendor_names

#: Confidence of a value taken from the vendor record: reviewed vendors are trusted more.
VENDOR_CONFIDENCE_ACTIVE = 0.95
VENDOR_CONFIDENCE_NEW = 0.6
#: A document value that contradicts the vendor's history keeps this share of its confidence.
CONFLICT_FACTOR = 0.6
POSTED_LIKE = (InvoiceStatus.APPROVED, InvoiceStatus.POSTING, InvoiceStatus.POSTED)
#: The Invoice column holding each extraction field.
INVOICE_COLUMNS: dict[str, str] = {
    "supplier_name": "supplier_name",
    "supplier_vat_id": "supplier_vat_id",
    "supplier_iban": "supplier_iban",
    "supplier_domain": "supplier_domain",
    "invoice_number": "number",
    "issue_date": "issue_date",
    "due_date": "due_date",
    "total_amount": "total_amount",
    "tax_amount": "tax_amount",
    "net_amount": "net_amount",
    "currency": "currency",
    "ledger_account": "ledger_account",
}
_TEXT_LIMITS = {"supplier_vat_id": 32, "supplier_iban": 34, "supplier_domain": 253, "number": 100}


@dataclass(frozen=True)
class FieldConflict:
    field: str
    document_value: str
    vendor_value: str
    message: str

    def to_json(self) -> dict[str, str]:
        return {
            "field": self.field,
            "document_value": self.document_value,
            "vendor_value": self.vendor_value,
            "message": self.message,
        }


@dataclass(frozen=True)
class EnrichmentResult:
    fields: dict[str, ExtractedField]
    origins: dict[str, str] = field(default_factory=dict)  # field -> where the value came from
    enriched: tuple[str, ...] = ()  # filled or replaced from the vendor's history
    confirmed: tuple[str, ...] = ()  # read from the document and agreeing with the history
    conflicts: tuple[FieldConflict, ...] = ()
    ledger_account: str = ""
    ledger_account_origin: str = ""

    def invoice_columns(self) -> dict[str, Any]:
        """The typed Invoice columns (amounts unsigned Decimal, dates, texts cut to size)."""
        columns: dict[str, Any] = {}
        for name, extracted in self.fields.items():
            column = INVOICE_COLUMNS.get(name)
            if column is None:
                continue
            value: Any = extracted.value
            if name in ("total_amount", "tax_amount", "net_amount"):
                value = abs(value) if isinstance(value, Decimal) else None
            elif name in ("issue_date", "due_date"):
                value = value if isinstance(value, date) else None
            elif name == "currency":
                value = str(value).upper()[:3]
            else:
                value = str(value)[: _TEXT_LIMITS.get(column, 300)]
            columns[column] = value
        if self.ledger_account:
            columns["ledger_account"] = self.ledger_account[:32]
        return columns

    def to_invoice_fields(self) -> dict[str, dict[str, Any]]:
        """`Invoice.fields`: {name: {value, confidence, source, evidence, origin}}."""
        out: dict[str, dict[str, Any]] = {}
        for name, extracted in self.fields.items():
            evidence = None
            if extracted.evidence is not None:
                bbox = extracted.evidence.bbox
                evidence = {
                    "page": extracted.evidence.page,
                    "bbox": [round(v, 2) for v in bbox] if bbox else None,
                    "text": extracted.evidence.text,
                }
            out[name] = {
                "value": value_to_json(name, extracted.value),
                "confidence": round(extracted.confidence, 4),
                "source": extracted.source,
                "evidence": evidence,
                "origin": self.origins.get(name, ""),
            }
        if self.ledger_account:
            out["ledger_account"] = {
                "value": self.ledger_account,
                "confidence": None,
                "source": "enriched",
                "evidence": None,
                "origin": self.ledger_account_origin,
            }
        return out


def vendor_confidence(vendor: Vendor) -> float:
    return (
        VENDOR_CONFIDENCE_ACTIVE if vendor.status == VendorStatus.ACTIVE else VENDOR_CONFIDENCE_NEW
    )


def _vendor_values(vendor: Vendor) -> dict[str, str]:
    ibans = [str(i) for i in vendor.ibans or [] if i]
    return {
        "supplier_name": vendor.legal_name or vendor.name,
        "supplier_vat_id": vendor.vat_id,
        "supplier_iban": ibans[0] if ibans else "",
        "supplier_domain": vendor.domain,
    }


def _agrees(field_name: str, document_value: str, vendor: Vendor, vendor_value: str) -> bool:
    if field_name == "supplier_name":
        normalized = normalize_name(document_value)
        return any(name_similarity(normalized, n) >= FUZZY_CUTOFF for n in vendor_names(vendor))
    if field_name == "supplier_vat_id":
        return compact_vat_id(document_value) == compact_vat_id(vendor_value)
    if field_name == "supplier_iban":
        known = {iban_key(str(i)) for i in vendor.ibans or []}
        return iban_key(document_value) in known
    if field_name == "supplier_domain":
        return normalize_domain(document_value) == normalize_domain(vendor_value)
    return fold(document_value) == fold(vendor_value)


_LABELS = {
    "supplier_name": "supplier name",
    "supplier_vat_id": "VAT id",
    "supplier_iban": "IBAN",
    "supplier_domain": "domain",
}


def enrich_fields(*, vendor: Vendor | None, fields: dict[str, ExtractedField]) -> EnrichmentResult:
    """Fill what the document lacks from the vendor's history; check what it has against it.

    A value from the vendor never replaces a document value of higher confidence. A VAT id,
    IBAN or domain that contradicts the vendor's is a conflict: listed for the reviewer and
    the value kept (or replaced, if weaker) with lowered confidence.
    """
    if vendor is None:
        return EnrichmentResult(fields=dict(fields))
    out = dict(fields)
    origins: dict[str, str] = {}
    enriched: list[str] = []
    confirmed: list[str] = []
    conflicts: list[FieldConflict] = []
    record = _VendorRecord(vendor)
    for name, vendor_value in _vendor_values(vendor).items():
        if not vendor_value:
            continue
        outcome = _enrich_one(name, out.get(name), vendor_value, record)
        out[name] = outcome.value
        origins[name] = outcome.origin
        if outcome.enriched:
            enriched.append(name)
        if outcome.confirmed:
            confirmed.append(name)
        if outcome.conflict is not None:
            conflicts.append(outcome.conflict)
    account, account_origin = ledger_account_for(vendor)
    return EnrichmentResult(
        fields=out,
        origins=origins,
        enriched=tuple(enriched),
        confirmed=tuple(confirmed),
        conflicts=tuple(conflicts),
        ledger_account=account,
        ledger_account_origin=account_origin,
    )


@dataclass(frozen=True)
class _VendorRecord:
    """The vendor a document is checked against, how much its values are trusted, and how
    the reasons name it."""

    vendor: Vendor

    @property
    def trust(self) -> float:
        return vendor_confidence(self.vendor)

    def __str__(self) -> str:
        # By its name alone: the reviewer reads this note; the record's id is nobody's word.
        return f"vendor record “{self.vendor.name}”"


@dataclass(frozen=True)
class _Outcome:
    """What enrichment made of one field."""

    value: ExtractedField
    origin: str
    enriched: bool = False  # the value now comes from the vendor's history
    confirmed: bool = False  # the document's value agrees with the history
    conflict: FieldConflict | None = None


def _enrich_one(
    name: str, current: ExtractedField | None, vendor_value: str, record: _VendorRecord
) -> _Outcome:
    trust = record.trust
    if current is None or not str(current.value).strip():
        filled = ExtractedField(name, vendor_value, trust, "enriched", None)
        return _Outcome(filled, f"Filled from the {record}.", enriched=True)
    if _agrees(name, str(current.value), record.vendor, vendor_value):
        if trust > current.confidence:
            current = ExtractedField(name, current.value, trust, current.source, current.evidence)
        return _Outcome(
            current, f"Read from the document; agrees with the {record}.", confirmed=True
        )
    return _disagreement(name, current, vendor_value, record)


def _disagreement(
    name: str, current: ExtractedField, vendor_value: str, record: _VendorRecord
) -> _Outcome:
    """The document and the vendor's history differ: an identifier (VAT id, IBAN, domain)
    is a conflict and loses confidence; a differently written name is not."""
    document_value = str(current.value)
    is_identifier = name != "supplier_name"
    factor = CONFLICT_FACTOR if is_identifier else 1.0
    conflict = None
    if is_identifier:
        conflict = FieldConflict(
            field=name,
            document_value=document_value,
            vendor_value=vendor_value,
            message=(
                f"The document's {_LABELS[name]} {document_value} differs from the "
                f"{record}: {vendor_value}."
            ),
        )
    if current.confidence >= record.trust:
        kept = ExtractedField(
            name, current.value, current.confidence * factor, current.source, current.evidence
        )
        origin = "Read from the document" + (
            f"; conflicts with the {record}." if is_identifier else "."
        )
        return _Outcome(kept, origin, conflict=conflict)
    replaced = ExtractedField(name, vendor_value, record.trust * factor, "enriched", None)
    origin = (
        f"Replaced from the {record}: the document's “{document_value}” was read with "
        f"lower confidence ({whole_percent(current.confidence)})."
    )
    return _Outcome(replaced, origin, enriched=True, conflict=conflict)


def accounts_by_use(workspace_id: Any, vendor: Any) -> models.QuerySet[Any, Any]:
    """The accounts of the vendor's approved or posted invoices, most used first (ties: the
    lowest account number), with their count `n`; `vendor` may be an ``OuterRef`` (the vendor
    list annotates each row with the first)."""
    return (
        Invoice.objects.filter(workspace_id=workspace_id, vendor=vendor, status__in=POSTED_LIKE)
        .exclude(ledger_account="")
        .values("ledger_account")
        .annotate(n=models.Count("id"))
        .order_by("-n", "ledger_account")
    )


def ledger_account_for(vendor: Vendor) -> tuple[str, str]:
    """The account most used on the vendor's approved or posted invoices (ties: the lowest
    account number), else the vendor's own default. Returns (account, origin)."""
    top = accounts_by_use(vendor.workspace_id, vendor).first()
    if top is not None:
        count = top["n"]
        plural = "s" if count != 1 else ""
        return (
            str(top["ledger_account"]),
            f"Most used account on {count} approved invoice{plural} of “{vendor.name}”.",
        )
    if vendor.ledger_account:
        return vendor.ledger_account, f"Default account of the vendor “{vendor.name}”."
    return "", ""
