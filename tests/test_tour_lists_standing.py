"""What the new-user tour read wrong on two lists: the Documents list counted a year's "Waiting"
for an invoice posted long ago and said "Parsed" of every document; the Matches list's first
column repeated the kind, status and score the other columns show."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reconciliation.models import DocumentKind
from reconciliation.models import Role
from reconciliation.models import Workspace
from tests.factories import make_document
from tests.factories import make_match
from tests.factories import make_transaction
from tests.factories import make_user
from tests.factories import one_document_of_each_standing
from tests.helpers import column_headers
from tests.helpers import documents_list_rows
from tests.helpers import logged_in_client
from tests.helpers import sort_link

pytestmark = pytest.mark.django_db

DOCUMENTS = reverse("admin:reconciliation_document_changelist")
MATCHES = reverse("admin:reconciliation_match_changelist")


def _client(workspace: Workspace) -> Client:
    return logged_in_client(make_user(workspace=workspace, role=Role.REVIEWER))


def _names(page: str) -> list[str]:
    return re.findall(r'class="field-original_name"><a [^>]*>(.*?)</a>', page)


def test_the_documents_list_says_where_each_document_stands(workspace: Workspace) -> None:
    one_document_of_each_standing(workspace)
    rows = documents_list_rows(_client(workspace).get(DOCUMENTS).content.decode())
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
    one_document_of_each_standing(workspace)
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
    one_document_of_each_standing(workspace)
    one_document_of_each_standing(
        workspace
    )  # every standing twice (names repeat: only the count matters here)
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
