"""A new version of an invoice already posted (same supplier and number, other content) is
flagged "revised after posting" with its differences and held for a person; a forwarded copy
of a posted invoice stays a duplicate document."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from reconciliation.extraction.types import ExtractedField
from reconciliation.extraction.types import Extraction
from reconciliation.invoices.creation import create_invoice_from
from reconciliation.models import Decision
from reconciliation.models import DecisionAction
from reconciliation.models import DocumentStatus
from reconciliation.models import IllegalTransitionError
from reconciliation.models import Invoice
from reconciliation.models import InvoiceStatus
from reconciliation.models import Workspace
from reconciliation.posting.revisions import post_revision_as_new
from tests.factories import make_document
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def read(**overrides: object) -> Extraction:
    values: dict[str, object] = {
        "supplier_name": "Acme Supplies GmbH",
        "invoice_number": "A-17",
        "issue_date": date(2026, 3, 5),
        "due_date": date(2026, 4, 4),
        "total_amount": Decimal("119.00"),
        "tax_amount": Decimal("19.00"),
        "net_amount": Decimal("100.00"),
        "currency": "EUR",
        "supplier_vat_id": "DE136695976",
    }
    values.update(overrides)
    return Extraction(
        kind="invoice",
        kind_confidence=1.0,
        fields={name: ExtractedField(name, value, 1.0, "text") for name, value in values.items()},  # type: ignore[arg-type]
        page_count=1,
        has_text_layer=True,
        language="de",
        source="text",
    )


def posted_invoice(workspace: Workspace) -> Invoice:
    invoice = create_invoice_from(document=make_document(workspace), extraction=read())
    assert invoice is not None
    Invoice.objects.filter(pk=invoice.pk).update(
        status=InvoiceStatus.POSTED, qonto_id="q-posted", qonto_origin="uploaded"
    )
    invoice.refresh_from_db()
    return invoice


def test_a_new_total_for_a_posted_number_is_held_as_revised(workspace: Workspace) -> None:
    posted = posted_invoice(workspace)

    revised = create_invoice_from(
        document=make_document(workspace), extraction=read(total_amount=Decimal("129.00"))
    )

    assert revised is not None
    assert revised.revision_of == posted
    assert revised.revision_differences == [
        {"field": "total_amount", "label": "Total amount", "posted": "119.00", "new": "129.00"}
    ]
    assert revised.is_held
    assert revised.status == InvoiceStatus.NEEDS_REVIEW
    assert revised.hold_reason == (
        "Revised after posting: invoice A-17 is already in Qonto; this version differs "
        "(total amount 119.00 → 129.00)."
    )
    assert not Invoice.objects.due_for_posting().filter(pk=revised.pk).exists()


def test_same_total_other_due_date_is_a_revision_not_a_copy(workspace: Workspace) -> None:
    posted = posted_invoice(workspace)
    document = make_document(workspace)

    revised = create_invoice_from(document=document, extraction=read(due_date=date(2026, 5, 4)))

    assert revised is not None
    assert revised.revision_of == posted
    assert [d["field"] for d in revised.revision_differences] == ["due_date"]
    document.refresh_from_db()
    assert document.status != DocumentStatus.DUPLICATE


def test_a_forwarded_copy_of_a_posted_invoice_stays_a_duplicate(workspace: Workspace) -> None:
    posted_invoice(workspace)
    document = make_document(workspace)

    assert create_invoice_from(document=document, extraction=read(tax_amount=None)) is None

    document.refresh_from_db()
    assert document.status == DocumentStatus.DUPLICATE


def test_a_person_posts_the_revision_as_its_own_entry(workspace: Workspace) -> None:
    posted_invoice(workspace)
    revised = create_invoice_from(
        document=make_document(workspace), extraction=read(total_amount=Decimal("129.00"))
    )
    assert revised is not None
    reviewer = make_user("rita", workspace=workspace)

    post_revision_as_new(invoice_id=revised.pk, user=reviewer)

    revised.refresh_from_db()
    assert (revised.status, revised.is_held) == (InvoiceStatus.APPROVED, False)
    decision = Decision.objects.get(invoice=revised, action=DecisionAction.POST_ANYWAY)
    assert decision.actor == reviewer
    with pytest.raises(IllegalTransitionError):
        post_revision_as_new(invoice_id=revised.pk, user=reviewer)
