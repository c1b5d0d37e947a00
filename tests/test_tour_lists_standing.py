"""What the new-user tour read wrong on two lists: the Documents list counted a year's "Waiting"
for an invoice posted long ago and said "Parsed" of every document; the Matches list's first
column repeated the kind, status and score the other columns show."""

from __future__ import annotations

import re
from datetime import date
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page
from pytest_django.live_server_helper import LiveServer

from reconciliation.models import Document
from reconciliation.models import DocumentKind
from reconciliation.models import DocumentStatus
from reconciliation.models import InvoiceStatus
from reconciliation.models import Match
from reconciliation.models import MatchKind
from reconciliation.models import MatchStatus
from reconciliation.models import Role
from reconciliation.models import Workspace
from tests.factories import make_document
from tests.factories import make_invoice
from tests.factories import make_match
from tests.factories import make_transaction
from tests.factories import make_user
from tests.helpers import logged_in_client
from tests.plugins.browser import list_overflow
from tests.plugins.browser import open_list
from tests.test_tour_lists_layout import _fill as fill_the_tour_lists

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
        standing = re.search(r'<td class="field-standing">(.*?)</td>', row)
        age = re.search(r'<td class="field-age">(.*?)</td>', row)
        assert standing is not None, row
        assert age is not None, row
        rows[name.group(1)] = (standing.group(1), age.group(1))
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
    header = re.search(
        r'<th scope="col" class="sortable column-age">.*?href="(\?o=[^"]+)"', page, re.S
    )
    assert header is not None
    longest_first = _names(client.get(DOCUMENTS + header.group(1)).content.decode())
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
    reverse_order = header.group(1).replace("?o=", "?o=-", 1)
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
    columns = re.findall(r'<th scope="col" class="[^"]*column-([\w]+)', page)
    assert columns == [
        "paperwork",
        "match_kind",
        "match_status",
        "match_score",
        "value_date",
        "bank_line",
        "bank_amount",
        "amount_agreement",
        "decide",
    ]
    change = reverse("admin:reconciliation_match_change", args=[match.pk])
    assert re.findall(
        r'<th class="field-paperwork"><a href="([^"]+)"><span [^>]*>(.*?)</span></a></th>', page
    ) == [(change, "confirmation.pdf")]
    cells = re.findall(r'<t[dh] class="field-[^"]*">(.*?)</t[dh]>', page)
    # Only the row's checkbox names it "Payment confirmation ↔ debit (Proposed…, 60.00 %)".
    assert [cell for cell in cells if str(match) in cell] == []


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_matches_list_shows_kind_status_and_agreement_whole_at_1440_pixels(
    live_server: LiveServer, admin_page: Page, workspace: Workspace
) -> None:
    fill_the_tour_lists(workspace)
    # The longest words each column can hold: a refused double charge, a converted amount.
    Match.objects.update(amount_basis="converted")
    Match.objects.filter(kind=MatchKind.DOUBLE_CHARGE).update(status=MatchStatus.REFUSED)
    page = open_list(admin_page, f"{live_server.url}/admin/reconciliation/match/")
    cut = page.evaluate(
        "() => [...document.querySelectorAll("
        "'#result_list tbody td, #result_list tbody th, #result_list tbody .well-clip')]"
        ".filter(cell => cell.scrollWidth > cell.clientWidth + 1)"
        ".map(cell => cell.closest('td, th').className.split(' ')[0])"
    )
    # Only the long paperwork and bank line are cut, on one line, whole in their tooltips.
    assert sorted(set(cut)) == ["field-bank_line", "field-paperwork"]
    assert list_overflow(page) <= 0


#: How many lines each row of the list on the page takes: the most lines of text (or of
#: buttons) in any of its cells, told by the distinct tops of the cell's line boxes.
ROW_LINES = (
    "() => [...document.querySelectorAll('#result_list tbody tr')].map(row =>"
    " Math.max(...[...row.querySelectorAll('td, th')].map(cell => {"
    "  const range = document.createRange(); range.selectNodeContents(cell);"
    "  const tops = [...range.getClientRects()].filter(r => r.height > 0)"
    "   .map(r => Math.round(r.top));"
    "  return new Set(tops.map(top => tops.find(other => Math.abs(other - top) < 4))).size;"
    " })))"
)


def _paid_twice(workspace: Workspace) -> None:
    """A long-named confirmation proposed against two debits of one supplier, days apart."""
    name = "2026-11-confirmation-de-virement-papeterie-generale-grand-ouest-0001-copie.pdf"
    document = make_document(workspace, original_name=name, kind=DocumentKind.PAYMENT_CONFIRMATION)
    for day in (4, 18):
        debit = make_transaction(
            workspace,
            counterparty_name="Van Dijk Vertaalbureau en Consultancy B.V.",
            reference=f"SEPA 2026-0457 {day}",
            value_date=date(2026, 11, day),
        )
        make_match(workspace, document=document, transaction=debit)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_matches_list_tells_two_debits_apart_on_rows_of_one_or_two_lines(
    live_server: LiveServer, admin_page: Page, workspace: Workspace
) -> None:
    fill_the_tour_lists(workspace)
    _paid_twice(workspace)
    Match.objects.update(amount_basis="converted")
    page = open_list(admin_page, f"{live_server.url}/admin/reconciliation/match/")

    lines = page.evaluate(ROW_LINES)
    cells = page.evaluate(
        "() => [...document.querySelectorAll('#result_list tbody tr')].map(row =>"
        " [...row.querySelectorAll('td, th')].map(cell =>"
        "  [cell.textContent.trim(), cell.querySelector('[title]')?.title]))"
    )
    columns = page.evaluate(
        "() => [...document.querySelectorAll('#result_list thead th')]"
        ".map(th => th.textContent.trim())"
    )

    assert max(lines) <= 2, lines
    assert list_overflow(page) <= 0
    # The debits of one supplier, told apart by their day; the supplier's name whole on hover.
    date_at, bank_at = columns.index("Date"), columns.index("Bank line")
    theirs = [row for row in cells if row[bank_at][0].startswith("Van Dijk")]
    assert sorted(row[date_at][0] for row in theirs) == ["18 Nov 2026", "4 Nov 2026"]
    assert {row[bank_at][1] for row in theirs} == {"Van Dijk Vertaalbureau en Consultancy B.V."}
    # A long file name is cut on one line, whole in its tooltip, never broken mid-word.
    named = page.evaluate(
        "() => [...document.querySelectorAll('#result_list th.field-paperwork')].map(cell => {"
        " const clip = cell.querySelector('[title]');"
        " return [clip.title, clip.getClientRects().length,"
        "  clip.scrollWidth > clip.clientWidth]; })"
    )
    name = "2026-11-confirmation-de-virement-papeterie-generale-grand-ouest-0001-copie.pdf"
    assert [row for row in named if row[0] == name] == [[name, 1, True]] * 2
