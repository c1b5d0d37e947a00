"""Invoices waiting in review that the bank already shows paid (a confirmed or attached
invoice ↔ debit match): the queue's Due column keeps the date they were due and says when the
bank paid them, never that they are late, and the review screen says who was paid and how
much, so nobody pays them twice."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import AbstractUser
from django.urls import reverse

from reconciliation.models import Invoice
from reconciliation.models import MatchKind
from reconciliation.models import MatchStatus
from reconciliation.models import Workspace
from tests.factories import make_document
from tests.factories import make_invoice
from tests.factories import make_match
from tests.factories import make_transaction
from tests.helpers import column_cells
from tests.helpers import logged_in_client
from tests.helpers import page_queries

pytestmark = pytest.mark.django_db

QUEUE = "/admin/review/"
LATE = date(2026, 9, 3)


def _paid(workspace: Workspace, name: str, status: str = MatchStatus.CONFIRMED) -> Invoice:
    invoice = make_invoice(
        workspace,
        document=make_document(workspace, original_name=name),
        due_date=LATE,
        total_amount=Decimal("985.00"),
    )
    debit = make_transaction(
        workspace,
        counterparty_name="Northwind Traders",
        amount=Decimal("985.00"),
        value_date=date(2026, 9, 4),
    )
    make_match(
        workspace, kind=MatchKind.INVOICE_DEBIT, status=status, invoice=invoice, transaction=debit
    )
    return invoice


def test_the_queue_says_paid_not_late_for_what_the_bank_paid(
    workspace: Workspace, reviewer: AbstractUser
) -> None:
    _paid(workspace, "confirmed.pdf")
    _paid(workspace, "attached.pdf", MatchStatus.ATTACHED)
    proposed = _paid(workspace, "proposed.pdf", MatchStatus.PROPOSED)  # not known to be paid
    body = logged_in_client(reviewer).get(QUEUE).content.decode()
    cells = column_cells(body, "due")
    # The date it was due (the column's, and its order) and that the bank paid it, not late.
    assert cells.count("03 Sep (paid 04 Sep)") == 2
    paid = '<span title="The bank shows it paid on 4 Sep 2026; nothing to pay.">'
    assert body.count(paid) == 2
    assert len([c for c in cells if c.startswith("03 Sep (") and c.endswith(" d late)")]) == 1
    assert proposed.status == "needs_review"


def test_the_paid_dates_cost_one_query_whatever_the_rows(
    workspace: Workspace, reviewer: AbstractUser
) -> None:
    client = logged_in_client(reviewer)
    for n in range(2):
        _paid(workspace, f"few-{n}.pdf")
    few = page_queries(client, f"{QUEUE}?all=")
    for n in range(15):
        _paid(workspace, f"many-{n}.pdf")
    assert page_queries(client, f"{QUEUE}?all=") == few


def test_the_review_screen_says_the_bank_paid_it(
    workspace: Workspace, reviewer: AbstractUser
) -> None:
    invoice = _paid(workspace, "paid.pdf")
    screen = reverse("admin:reconciliation-review-document", args=[invoice.document_id])
    body = logged_in_client(reviewer).get(screen).content.decode()
    sentence = "The bank shows it paid on 4 Sep 2026 (Northwind Traders, −985.00 EUR)"
    assert body.count(sentence) == 2  # beside the due date, and in "Why it is here"


def test_the_review_screen_is_silent_about_an_unpaid_invoice(
    workspace: Workspace, reviewer: AbstractUser
) -> None:
    invoice = _paid(workspace, "proposed.pdf", MatchStatus.PROPOSED)
    screen = reverse("admin:reconciliation-review-document", args=[invoice.document_id])
    body = logged_in_client(reviewer).get(screen).content.decode()
    assert "The bank shows it paid" not in body
