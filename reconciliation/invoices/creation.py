"""From a read document to a routed Invoice: vendor, learned mapping, enrichment, forwarded
copies, currency conversion, score and route — in that order, in one transaction."""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q

from reconciliation import fx
from reconciliation import learning
from reconciliation.extraction.types import ExtractedField
from reconciliation.extraction.types import Extraction
from reconciliation.invoices.routing import route_invoice
from reconciliation.invoices.scoring import score_invoice
from reconciliation.models import Document
from reconciliation.models import DocumentKind
from reconciliation.models import Invoice
from reconciliation.models import Workspace
from reconciliation.models import idempotency_key_for
from reconciliation.posting import revisions
from reconciliation.text.names import normalize_counterparty
from reconciliation.text.references import normalize_reference
from reconciliation.vendors.enrichment import enrich_fields
from reconciliation.vendors.identity import OwnNames
from reconciliation.vendors.resolution import VendorResolution
from reconciliation.vendors.resolution import resolve_vendor

logger = logging.getLogger(__name__)

#: Two invoices of one vendor with the same amount this close together look like a repeat.
SUSPECT_WINDOW = timedelta(days=3)


@transaction.atomic
def create_invoice_from(*, document: Document, extraction: Extraction) -> Invoice | None:
    """Create, score and route the document's Invoice. A forwarded copy of an invoice Well
    already has (same supplier, number and total) becomes a `duplicate` document instead, and
    None is returned: one invoice is never posted twice because it arrived twice."""
    # One invoice at a time per workspace: two copies of one invoice read by two workers at
    # once must see each other, or both would be posted.
    workspace = Workspace.objects.select_for_update().get(pk=document.workspace_id)
    extraction = _without_own_name(extraction, OwnNames.of(workspace.pk))
    resolution = resolve_vendor(workspace=workspace, extraction=extraction)
    enriched = enrich_fields(
        vendor=resolution.vendor, fields=_with_learned_mapping(resolution, extraction)
    )
    columns = enriched.invoice_columns()
    normalized_number = normalize_reference(columns.get("number") or "")[:100]

    original = _copy_of(document, resolution.vendor, normalized_number, columns)
    reminder = original is not None and is_payment_reminder(extraction)
    if original is not None and not reminder:
        _set_aside_as_copy(document, original)
        return None

    invoice = Invoice(
        workspace=workspace,
        document=document,
        vendor=resolution.vendor,
        is_credit_note=document.kind == DocumentKind.CREDIT_NOTE,
        idempotency_key=idempotency_key_for(workspace.pk, document.pk, document.content_hash),
        fields=enriched.to_invoice_fields(),
        normalized_number=normalized_number,
        **columns,
    )
    fx.convert_invoice(invoice)
    if reminder and original is not None:
        # A reminder repeats an invoice Well already has: never posted on its own. If the
        # first one is paid, matching turns this into a double charge to refuse.
        invoice.hold(f"Payment reminder for invoice {original.number}, already received.")
    else:
        revisions.flag_if_revised(invoice)  # never uploaded silently as a second Qonto entry
    invoice.save()
    score = score_invoice(
        invoice=invoice,
        extraction=extraction,
        resolution=resolution,
        enrichment=enriched,
        duplicate_suspected=_looks_repeated(invoice),
    )
    route_invoice(invoice=invoice, score=score)
    return invoice


def _with_learned_mapping(
    resolution: VendorResolution, extraction: Extraction
) -> dict[str, ExtractedField]:
    """The extracted fields, corrected by the layout learned for an already known vendor."""
    if resolution.vendor is None or resolution.created:
        return extraction.fields
    learned = learning.apply_learned_mapping(
        vendor=resolution.vendor, words=extraction.words, page_sizes=extraction.page_sizes
    )
    return _drop_stale_net(
        learning.combine_with_learned(extracted=extraction.fields, learned=learned).fields
    )


def _copy_of(
    document: Document, vendor: Any, normalized_number: str, columns: dict[str, Any]
) -> Invoice | None:
    """The invoice this document is a forwarded copy of, if any."""
    if document.is_not_duplicate:
        return None  # a person said it is not a duplicate
    original = _forwarded_original(document, vendor, normalized_number, columns)
    if original is not None and revisions.revises(original, columns):
        return None  # a new version of a posted invoice, not a copy: flagged by the caller
    return original


def _set_aside_as_copy(document: Document, original: Invoice) -> None:
    document.mark_as_duplicate_of(
        original.document,
        f"Same supplier, invoice number {original.number} and total as "
        f"“{original.document.original_name}”: a forwarded copy, not a new invoice.",
    )
    document.save(update_fields=["status", "duplicate_of", "status_reason"])


#: Words that make a document a reminder / second request rather than a copy of an invoice.
REMINDER_WORDS = re.compile(
    r"\b(?:payment\s+reminder|reminder|second\s+request|overdue\s+notice|rappel|relance|"
    r"mahnung|zahlungserinnerung|herinnering|aanmaning|betalingsherinnering|recordatorio|"
    r"requerimiento\s+de\s+pago|sollecito|promemoria\s+di\s+pagamento)\b",
    re.IGNORECASE,
)


def _drop_stale_net(fields: dict[str, ExtractedField]) -> dict[str, ExtractedField]:
    """The page's net was read as the one that adds up with the generic reading of the total;
    when the vendor's learned layout corrected the total or the tax, that net no longer
    belongs with them and is dropped rather than flagged as a mismatch."""
    net, total, tax = (fields.get(n) for n in ("net_amount", "total_amount", "tax_amount"))
    if net is None or total is None or tax is None:
        return fields
    if "learned" not in (total.source, tax.source):
        return fields
    try:
        adds_up = Decimal(str(net.value)) + Decimal(str(tax.value)) == Decimal(str(total.value))
    except ArithmeticError:
        adds_up = False
    return fields if adds_up else {k: v for k, v in fields.items() if k != "net_amount"}


def _without_own_name(extraction: Extraction, ourselves: OwnNames) -> Extraction:
    """A supplier name or VAT id that is our own company's is the buyer block read by mistake:
    drop it, so the vendor is found by the identifiers that remain, or a person names it."""
    dropped = []
    supplier = extraction.fields.get("supplier_name")
    if supplier is not None and ourselves.is_us(normalize_counterparty(str(supplier.value))):
        dropped.append("supplier_name")
    vat_id = extraction.fields.get("supplier_vat_id")
    if vat_id is not None and ourselves.is_our_vat_id(str(vat_id.value)):
        dropped.append("supplier_vat_id")
    if not dropped:
        return extraction
    fields = {name: field for name, field in extraction.fields.items() if name not in dropped}
    return replace(
        extraction,
        fields=fields,
        warnings=[*extraction.warnings, f"Our own company's {', '.join(dropped)} was read."],
    )


def is_payment_reminder(extraction: Extraction) -> bool:
    """Whether the first page calls itself a reminder (any of the supported languages)."""
    first_page = " ".join(word.text for word in extraction.words if word.page == 1)
    return bool(REMINDER_WORDS.search(first_page))


def _forwarded_original(
    document: Document, vendor: Any, normalized_number: str, columns: dict[str, Any]
) -> Invoice | None:
    total = columns.get("total_amount")
    if vendor is None or not normalized_number or total is None:
        return None
    return (
        Invoice.objects.for_workspace(document.workspace_id)
        .filter(vendor=vendor, normalized_number=normalized_number, total_amount=total)
        .exclude(document=document)
        .select_related("document")
        .order_by("pk")
        .first()
    )


def _looks_repeated(invoice: Invoice) -> bool:
    """Same vendor and number with another amount, or same amount a few days apart."""
    if invoice.vendor_id is None:
        return False
    siblings = (
        Invoice.objects.for_workspace(invoice.workspace_id)
        .filter(vendor_id=invoice.vendor_id)
        .exclude(pk=invoice.pk)
    )
    same_number = (
        Q(normalized_number=invoice.normalized_number)
        if invoice.normalized_number
        else Q(pk__in=[])
    )
    close_amount = Q(pk__in=[])
    if invoice.total_amount is not None and invoice.issue_date is not None:
        close_amount = Q(
            total_amount=Decimal(invoice.total_amount),
            issue_date__range=(
                invoice.issue_date - SUSPECT_WINDOW,
                invoice.issue_date + SUSPECT_WINDOW,
            ),
        )
    return siblings.filter(same_number | close_amount).exists()
