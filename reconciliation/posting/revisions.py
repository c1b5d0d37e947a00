"""A new version of an invoice already posted: same supplier and invoice number as one Qonto
already has from Well, other content (another total, due date, ...). It is never uploaded as a
second entry on its own: it is flagged "revised after posting" with its differences from the
posted version, held out of posting, and a person decides (refuse it, or post it as its own
entry)."""

from __future__ import annotations

from typing import TYPE_CHECKING
from typing import Any

from django.db import transaction

from reconciliation.models import IllegalTransitionError
from reconciliation.models import Invoice
from reconciliation.models import InvoiceStatus
from reconciliation.posting.fieldmap import Difference
from reconciliation.posting.fieldmap import differences
from reconciliation.posting.fieldmap import invoice_values
from reconciliation.posting.linking import approve_anyway

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser
    from django.contrib.auth.models import AnonymousUser

REVISED_AFTER_POSTING = "Revised after posting"


def posted_original(invoice: Invoice) -> Invoice | None:
    """The posted invoice of the same supplier (vendor) with the same invoice number."""
    if invoice.vendor_id is None or not invoice.normalized_number:
        return None
    return (
        Invoice.objects.for_workspace(invoice.workspace_id)
        .filter(
            vendor_id=invoice.vendor_id,
            normalized_number=invoice.normalized_number,
            status=InvoiceStatus.POSTED,
        )
        .exclude(pk=invoice.pk)
        .order_by("pk")
        .first()
    )


def revises(original: Invoice, columns: dict[str, Any]) -> bool:
    """Whether values read from a new document differ from a posted invoice's (a forwarded copy
    does not)."""
    if original.status != InvoiceStatus.POSTED:
        return False
    new = {name: columns.get(name) for name in invoice_values(original)}
    return bool(_read_on_both_sides(invoice_values(original), new))


def _read_on_both_sides(old: dict[str, Any], new: dict[str, Any]) -> list[Difference]:
    """Differences between two readings of one invoice; a value missing on either side is no
    evidence of a new version (the second reading may simply have missed it)."""
    return [
        difference
        for difference in differences(old, new)
        if old.get(difference.field) not in (None, "")
        and new.get(difference.field) not in (None, "")
    ]


def flag_if_revised(invoice: Invoice) -> bool:
    """Hold a new invoice that revises a posted one, with its differences (not saved here)."""
    original = posted_original(invoice)
    if original is None:
        return False
    found = _read_on_both_sides(invoice_values(original), invoice_values(invoice))
    if not found:
        return False
    invoice.revision_of = original
    invoice.revision_differences = [
        {"field": d.field, "label": d.label, "posted": d.well, "new": d.other} for d in found
    ]
    changed = ", ".join(f"{d.label.lower()} {d.well} → {d.other}" for d in found)
    invoice.hold(
        f"{REVISED_AFTER_POSTING}: invoice {original.number} is already in Qonto; this version "
        f"differs ({changed})."
    )
    return True


def post_revision_as_new(
    *, invoice_id: int, user: AbstractBaseUser | AnonymousUser | None
) -> Invoice:
    """A person decided the revision is its own invoice: released and approved for the next
    posting window, recorded."""
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice_id)
        if invoice.revision_of_id is None or not invoice.is_held:
            raise IllegalTransitionError("invoice", invoice.status, "posted as a new entry")
        before = {"status": invoice.status, "is_held": True, "hold_reason": invoice.hold_reason}
        invoice.release_hold()
        approve_anyway(
            invoice,
            user,
            note="revised after posting: posted as its own entry",
            before=before,
            after={"is_held": False},
            reason=f"A person decided this revision of invoice #{invoice.revision_of_id} is "
            "uploaded to Qonto as its own entry.",
        )
    return invoice
