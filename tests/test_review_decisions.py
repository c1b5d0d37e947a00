"""The review domain functions on their own: queue neighbours, what counts as a correction,
and the decisions that must be refused with a reason."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from reconciliation import review
from reconciliation.models import Decision
from reconciliation.models import DecisionAction
from reconciliation.models import InvoiceStatus
from reconciliation.models import Role
from reconciliation.models import Workspace
from tests.factories import make_document
from tests.factories import make_invoice
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("_case", "ids", "current", "expected"),
    [
        ("middle", [4, 7, 9], 7, review.Neighbours(4, 9, 2, 3)),
        ("first", [4, 7, 9], 4, review.Neighbours(None, 7, 1, 3)),
        ("last", [4, 7, 9], 9, review.Neighbours(7, None, 3, 3)),
        ("decided_goes_to_the_first", [4, 7, 9], 5, review.Neighbours(None, 4, None, 3)),
        ("empty_queue", [], 5, review.Neighbours(None, None, None, 0)),
    ],
)
def test_neighbours(_case: str, ids: list[int], current: int, expected: review.Neighbours) -> None:
    assert review.neighbours(ids, current) == expected


def test_only_changed_values_are_corrections(workspace: Workspace) -> None:
    invoice = make_invoice(
        workspace,
        number="INV-1",
        total_amount=Decimal("119.000"),
        currency="EUR",
        issue_date=date(2026, 11, 2),
        supplier_iban="",
    )
    typed = {
        "invoice_number": "INV-1",
        "total_amount": Decimal("119.00"),
        "currency": "eur",
        "issue_date": date(2026, 11, 3),
        "supplier_iban": "",
        "tax_amount": None,
        "supplier_name": "",
    }
    assert review.corrections_from(invoice, typed) == {
        "issue_date": "2026-11-03",
        "tax_amount": "",
        "supplier_name": "",
    }


def test_held_invoice_cannot_be_approved(workspace: Workspace) -> None:
    invoice = make_invoice(workspace)
    invoice.hold("Possible double charge of invoice INV-7")
    invoice.save()
    user = make_user(workspace=workspace, role=Role.REVIEWER)
    with pytest.raises(review.ReviewError, match="held out of posting"):
        review.save_review(invoice=invoice, user=user, corrections={}, approve=True)
    with pytest.raises(review.ReviewError, match="held out of posting"):
        review.approve_invoice(invoice=invoice, user=user)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.NEEDS_REVIEW
    assert not Decision.objects.exists()


def test_a_bad_correction_is_a_review_error(workspace: Workspace) -> None:
    invoice = make_invoice(workspace)
    user = make_user(workspace=workspace, role=Role.REVIEWER)
    with pytest.raises(review.ReviewError, match="not an ISO 4217 code"):
        review.save_review(
            invoice=invoice, user=user, corrections={"currency": "XYZ"}, approve=False
        )
    assert not Decision.objects.exists()


def test_nothing_changed_writes_nothing(workspace: Workspace) -> None:
    invoice = make_invoice(workspace)
    user = make_user(workspace=workspace, role=Role.REVIEWER)
    result = review.save_review(invoice=invoice, user=user, corrections={}, approve=False)
    assert (result.status, result.corrected, result.message) == (
        InvoiceStatus.NEEDS_REVIEW,
        (),
        "Nothing was changed.",
    )
    assert not Decision.objects.exists()


@pytest.mark.parametrize(
    ("_case", "status", "reason", "message"),
    [
        ("no_reason", InvoiceStatus.NEEDS_REVIEW, " ", "Say why the invoice is refused."),
        (
            "posted",
            InvoiceStatus.POSTED,
            "too late",
            "An invoice that is posted to Qonto cannot be refused.",
        ),
        (
            "refused",
            InvoiceStatus.REFUSED,
            "again",
            "An invoice that is refused cannot be refused.",
        ),
    ],
)
def test_refusals_that_are_refused(
    workspace: Workspace, _case: str, status: str, reason: str, message: str
) -> None:
    invoice = make_invoice(workspace, status=status)
    user = make_user(workspace=workspace, role=Role.REVIEWER)
    with pytest.raises(review.ReviewError) as error:
        review.refuse_invoice(invoice=invoice, user=user, reason=reason)
    assert str(error.value) == message
    assert not Decision.objects.exists()


def test_bulk_skips_say_why(workspace: Workspace) -> None:
    user = make_user(workspace=workspace, role=Role.REVIEWER)
    waiting = make_invoice(workspace)
    approved = make_invoice(workspace, status=InvoiceStatus.APPROVED)
    refused = make_invoice(workspace, status=InvoiceStatus.REFUSED)
    confirmation = make_document(workspace)
    documents = [waiting.document, approved.document, refused.document, confirmation]
    result = review.approve_documents(documents=documents, user=user)
    assert result.done == [waiting.document_id]
    assert result.skipped == {
        approved.document_id: "already approved",
        refused.document_id: "already refused",
        confirmation.pk: "without an invoice (open them to pick a payment match)",
    }
    assert result.summary == (
        "1 already approved; 1 already refused; "
        "1 without an invoice (open them to pick a payment match)"
    )
    assert list(Decision.objects.values_list("action", "invoice_id")) == [
        (DecisionAction.APPROVE, waiting.pk)
    ]
