"""What the new-user tour read wrong on two lists: the Documents list counted a year's "Waiting"
for an invoice posted long ago and said "Parsed" of every document; the Matches list's first
column repeated the kind, status and score the other columns show."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from reconciliation.models import Document
from reconciliation.models import DocumentKind
from reconciliation.models import DocumentStatus
from reconciliation.models import InvoiceStatus
from reconciliation.models import MatchStatus
from reconciliation.models import Role
from reconciliation.models import Workspace
from tests.factories import make_document
from tests.factories import make_invoice
from tests.factories import make_match
from tests.factories import make_transaction
from tests.factories import make_user
from tests.helpers import column_cells
from tests.helpers import column_headers
from tests.helpers import logged_in_client
from tests.helpers import sort_link

pytestmark = pytest.mark.django_db

DOCUMENTS = reverse("admin:reconciliation_document_changelist")
MATCHES = reverse("admin:reconciliation_match_changelist")


def _client(workspace: Workspace) -> Client:
    return logged_in_client(make_user(workspace=workspace, role=Role.REVIEWER))


def _received(document: Document, days_ago: int) -> None:
    Document.objects.filter(pk=document.pk).update(
        received_at=timezone.now() - timedelta(days=days_ago, minutes=5)
    )


def _rows(page: str) -> dict[str, tuple[str, str]]:
    """Each listed document's name: (its Status cell, its Waiting cell)."""
    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", page, re.S):
        name = re.search(r'class="field-original_name"><a [^>]*>(.*?)</a>', row)
        if name is None:
            continue
        [standing] = column_cells(row, "standing")
        [age] = column_cells(row, "age")
        rows[name.group(1)] = (standing, age)
    return rows


def _names(page: str) -> list[str]:
    return re.findall(r'class="field-original_name"><a [^>]*>(.*?)</a>', page)


PAYMENT = DocumentKind.PAYMENT_CONFIRMATION
#: One document of each standing the list words: its name, days since it arrived (None: just
#: now), its fields, the status of its invoice (None: no invoice) and of its match (None: none).
DOCUMENTS_BY_STANDING: list[tuple[str, int | None, dict[str, Any], str | None, str | None]] = [
    ("posted.pdf", 395, {}, InvoiceStatus.POSTED, None),
    ("in-review.pdf", 3, {}, InvoiceStatus.NEEDS_REVIEW, None),
    ("refused.pdf", 40, {}, InvoiceStatus.REFUSED, None),
    ("approved.pdf", 1, {}, InvoiceStatus.APPROVED, None),
    ("newsletter.pdf", 200, {"kind": DocumentKind.OTHER}, None, None),
    ("ignored.pdf", 100, {"status": DocumentStatus.IGNORED}, None, None),
    ("duplicate.pdf", 90, {"status": DocumentStatus.DUPLICATE}, None, None),
    ("unreadable.pdf", 5, {"status": DocumentStatus.FAILED}, None, None),
    ("arriving.pdf", None, {"status": DocumentStatus.NEW}, None, None),
    ("payment-waiting.pdf", 6, {"kind": PAYMENT}, None, None),
    ("payment-matched.pdf", 30, {"kind": PAYMENT}, None, MatchStatus.CONFIRMED),
    ("payment-proposed.pdf", 4, {"kind": PAYMENT}, None, MatchStatus.PROPOSED),
    ("payment-no-debit.pdf", 20,
     {"kind": PAYMENT, "review_reason": "No debit found within 10 days."}, None, None),
]  # fmt: skip


def _documents(workspace: Workspace) -> None:
    """One document of each standing the list words (`DOCUMENTS_BY_STANDING`)."""
    for name, days_ago, fields, invoice_status, match_status in DOCUMENTS_BY_STANDING:
        document = make_document(workspace, original_name=name, **fields)
        if days_ago is not None:
            _received(document, days_ago)
        if invoice_status is not None:
            make_invoice(workspace, document=document, status=invoice_status)
        if match_status is not None:
            transaction = make_transaction(workspace)
            make_match(workspace, document=document, transaction=transaction, status=match_status)


def test_the_documents_list_says_where_each_document_stands(workspace: Workspace) -> None:
    _documents(workspace)
    rows = _rows(_client(workspace).get(DOCUMENTS).content.decode())
    assert rows == {
        "posted.pdf": ("Posted to Qonto", "—"),
        "in-review.pdf": ("Needs review", "3 d"),
        "refused.pdf": ("Refused", "—"),
        "approved.pdf": ("Approved — waiting for the posting window", "24 h"),
        "newsletter.pdf": ("Read — nothing to do", "—"),
        "ignored.pdf": ("Ignored", "—"),
        "duplicate.pdf": ("Duplicate", "—"),
        "unreadable.pdf": ("Unreadable", "5 d"),
        "arriving.pdf": ("Being read", "&lt; 1 h"),
        "payment-waiting.pdf": ("Waiting for its debit", "6 d"),
        "payment-matched.pdf": ("Matched to its bank line", "—"),
        "payment-proposed.pdf": ("Bank match to confirm", "4 d"),
        "payment-no-debit.pdf": ("Needs review", "20 d"),
    }


def test_sorting_by_waiting_puts_the_longest_wait_first_and_the_finished_last(
    workspace: Workspace,
) -> None:
    _documents(workspace)
    client = _client(workspace)
    page = client.get(DOCUMENTS).content.decode()
    by_waiting = sort_link(page, "age")
    longest_first = _names(client.get(DOCUMENTS + by_waiting).content.decode())
    waiting = [
        "payment-no-debit.pdf",
        "payment-waiting.pdf",
        "unreadable.pdf",
        "payment-proposed.pdf",
        "in-review.pdf",
        "approved.pdf",
        "arriving.pdf",
    ]
    finished = {
        "posted.pdf",
        "refused.pdf",
        "newsletter.pdf",
        "ignored.pdf",
        "duplicate.pdf",
        "payment-matched.pdf",
    }
    assert (longest_first[: len(waiting)], set(longest_first[len(waiting) :])) == (
        waiting,
        finished,
    )
    reverse_order = by_waiting.replace("?o=", "?o=-", 1)
    shortest_first = _names(client.get(DOCUMENTS + reverse_order).content.decode())
    assert (shortest_first[: len(waiting)], set(shortest_first[len(waiting) :])) == (
        waiting[::-1],
        finished,
    )


def test_the_documents_list_costs_the_same_queries_for_any_mix(workspace: Workspace) -> None:
    client = _client(workspace)
    make_document(workspace)
    with CaptureQueriesContext(connection) as few:
        assert client.get(DOCUMENTS).status_code == 200
    _documents(workspace)
    _documents(workspace)  # every standing twice (names repeat: only the count matters here)
    with CaptureQueriesContext(connection) as many:
        assert client.get(DOCUMENTS).status_code == 200
    assert len(many) == len(few)


def test_the_matches_list_opens_each_match_from_its_paperwork(workspace: Workspace) -> None:
    document = make_document(
        workspace, original_name="confirmation.pdf", kind=DocumentKind.PAYMENT_CONFIRMATION
    )
    match = make_match(workspace, document=document, transaction=make_transaction(workspace))
    page = _client(workspace).get(MATCHES).content.decode()
    # The paperwork first, then the kind, status and score in columns of their own.
    assert column_headers(page) == [
        "Paperwork",
        "Kind",
        "Status",
        "Score",
        "Date",
        "Bank line",
        "Amount",
        "Amount agreement",
        "Decide",
    ]
    change = reverse("admin:reconciliation_match_change", args=[match.pk])
    assert re.findall(
        r'<th class="field-paperwork"><a href="([^"]+)"><span [^>]*>(.*?)</span></a></th>', page
    ) == [(change, "confirmation.pdf")]
    cells = re.findall(r'<t[dh] class="field-[^"]*">(.*?)</t[dh]>', page)
    # Only the row's checkbox names it "Confirmation ↔ debit (Proposed…, 60.00 %)".
    assert [cell for cell in cells if str(match) in cell] == []
