"""Read-back: what Qonto understood of each posted invoice, compared with what was reviewed.

Qonto receives only the PDF and reads it itself, later. Once its reading is in the mirror of
supplier invoices (refreshed by a later posting window: ``analyzed_at`` set), each posted
invoice is compared with it over the field map (reconciliation.posting.fieldmap) and the
outcome is stored on the invoice: ``qonto_agrees`` (True / False; None until Qonto has read
it), ``qonto_readback`` (Qonto's values, the differences side by side) and
``qonto_checked_at``. Well stays the record of truth; a difference is shown, never copied
back. When Qonto's entry changes later (a person corrects it in Qonto), it is compared again.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import F
from django.db.models import OuterRef
from django.db.models import Q
from django.db.models import Subquery

from reconciliation.models import Invoice
from reconciliation.models import InvoiceStatus
from reconciliation.models import QontoSupplierInvoice
from reconciliation.models import Workspace
from reconciliation.posting.fieldmap import compared_fields
from reconciliation.posting.fieldmap import differences
from reconciliation.posting.fieldmap import display
from reconciliation.posting.fieldmap import invoice_values
from reconciliation.posting.fieldmap import qonto_values

#: Invoices compared per window (the rest wait for the next one).
MAX_PER_WINDOW = 1_000


@dataclass(frozen=True)
class ReadbackReport:
    compared: int = 0
    differing: int = 0


def read_back(workspace: Workspace | int) -> ReadbackReport:
    """Compare every posted invoice whose Qonto reading is new since its last comparison."""
    entries = QontoSupplierInvoice.objects.filter(
        workspace_id=OuterRef("workspace_id"), qonto_id=OuterRef("qonto_id")
    )
    due = (
        Invoice.objects.for_workspace(workspace)
        .filter(status=InvoiceStatus.POSTED)
        .exclude(qonto_id="")
        .annotate(
            read_at=Subquery(entries.values("analyzed_at")[:1]),
            mirrored_at=Subquery(entries.values("synced_at")[:1]),
        )
        .filter(read_at__isnull=False)
        .filter(Q(qonto_checked_at__isnull=True) | Q(qonto_checked_at__lt=F("mirrored_at")))
        .order_by("pk")
        .values_list("pk", flat=True)[:MAX_PER_WINDOW]
    )
    compared = differing = 0
    for invoice_id in list(due):
        agrees = compare_with_qonto(invoice_id)
        if agrees is None:
            continue
        compared += 1
        differing += int(not agrees)
    return ReadbackReport(compared, differing)


def compare_with_qonto(invoice_id: int) -> bool | None:
    """Compare one posted invoice with its mirrored Qonto entry; None if Qonto has not read it."""
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice_id)
        entry = (
            QontoSupplierInvoice.objects.for_workspace(invoice.workspace_id)
            .filter(qonto_id=invoice.qonto_id, analyzed_at__isnull=False)
            .first()
        )
        if entry is None or not invoice.qonto_id:
            return None
        theirs = qonto_values(entry)
        found = differences(invoice_values(invoice), theirs)
        invoice.record_readback(
            {
                "qonto_id": entry.qonto_id,
                "analyzed_at": entry.analyzed_at.isoformat() if entry.analyzed_at else None,
                "qonto": {name: display(value) for name, value in theirs.items()},
                "compared": compared_fields(theirs),
                "differences": [difference.to_json() for difference in found],
            },
            agrees=not found,
        )
        invoice.save(
            update_fields=["qonto_readback", "qonto_agrees", "qonto_checked_at", "updated_at"]
        )
    return not found
