"""The Matches list and a match's page, polished after the new-user tour at 1440 x 900: a cut
paperwork name shows its ellipsis inside its cell (its end kept, whole in the tooltip), a bank
line with no reference has no dangling "·", the Kind column and its filter use the same words,
a credit-note refund's page says what it is, a bulk "Refund requested" that answered nothing
says so, and the review queue's flags of money gone are badges alike."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import AbstractUser
from django.urls import reverse
from playwright.sync_api import Browser
from pytest_django.live_server_helper import LiveServer

from reconciliation.admin.cells import clipped_ends
from reconciliation.admin.matches import dotted
from reconciliation.models import Decision
from reconciliation.models import DecisionAction
from reconciliation.models import Match
from reconciliation.models import MatchKind
from reconciliation.models import MatchStatus
from reconciliation.models import Role
from reconciliation.models import Workspace
from tests.factories import CONFIRMATION_NAMES
from tests.factories import make_document
from tests.factories import make_double_payment
from tests.factories import make_invoice
from tests.factories import make_match
from tests.factories import make_paid_refused
from tests.factories import make_receivable
from tests.factories import make_transaction
from tests.factories import make_user
from tests.factories import make_workspace
from tests.factories import remittance_named_like_a_confirmation
from tests.factories import two_payment_confirmations
from tests.helpers import logged_in_client
from tests.plugins.browser import ROW_LINES
from tests.plugins.browser import list_overflow
from tests.plugins.browser import signed_in_list
from tests.test_tour_matches_rows import MATCHES
from tests.test_tour_matches_rows import PAPERWORK_SHOWN

pytestmark = pytest.mark.django_db


# --- 1. a cut paperwork name ends its ellipsis inside its cell -------------------------------


def test_a_long_name_keeps_its_end_apart_and_is_whole_in_its_tooltip() -> None:
    html = str(clipped_ends(CONFIRMATION_NAMES[0]))
    assert html == (
        f'<span class="well-ends" title="{CONFIRMATION_NAMES[0]}">'
        '<span class="well-clip">Payment_confirmation_Papeterie_Generale_</span>'
        '<span class="well-ends-tail">2026-11-04.pdf</span></span>'
    )
    receivable = str(clipped_ends("Receivable INV-2026-0042-GRAND-OUEST"))
    assert '<span class="well-ends-tail">0042-GRAND-OUEST</span>' in receivable
    # What the column shows whole is one clip, as any other.
    assert str(clipped_ends("confirmation.pdf")) == (
        '<span class="well-clip" title="confirmation.pdf">confirmation.pdf</span>'
    )


@pytest.mark.browser
def test_a_cut_paperwork_name_shows_its_ellipsis_inside_its_cell(
    live_server: LiveServer, browser: Browser, workspace: Workspace
) -> None:
    """The tour's list (superuser, two workspaces): the clip once reached 414 px past a 144 px
    cell, its ellipsis out of sight ("Payment_confirmation_", "Receivable INV-2026-0")."""
    make_workspace("Second workspace")
    two_payment_confirmations(workspace)
    for reference in ("INV-2026-0042-GRAND-OUEST", "INV-2026-0043-GRAND-OUEST"):
        make_match(
            workspace,
            kind=MatchKind.CREDIT_RECEIVABLE,
            receivable=make_receivable(workspace, reference=reference),
            transaction=make_transaction(workspace, value_date=date(2026, 11, 6)),
        )
    remittance_named_like_a_confirmation(workspace)
    page = signed_in_list(browser, live_server.url, make_user("root", superuser=True), MATCHES)
    try:
        cells = page.evaluate(
            "() => [...document.querySelectorAll('#result_list th.field-paperwork')].map(cell"
            " => { const box = cell.getBoundingClientRect(),"
            " named = cell.querySelector('[title]'), clip = cell.querySelector('.well-clip');"
            " return {title: named.title, inside: [...cell.querySelectorAll('span')].every("
            "  span => span.getBoundingClientRect().right <= box.right + 0.5),"
            " cut: clip.scrollWidth > clip.clientWidth,"
            " ellipsis: getComputedStyle(clip).textOverflow}; })"
        )
        shown = page.evaluate(PAPERWORK_SHOWN)
        assert max(page.evaluate(ROW_LINES)) <= 2
        assert list_overflow(page) <= 0
    finally:
        page.context.close()
    assert len(cells) == 5
    # Every name's box (so its ellipsis) ends inside its cell; the long ones are cut, whole in
    # their tooltips.
    assert [cell["inside"] for cell in cells] == [True] * 5
    assert {cell["ellipsis"] for cell in cells} == {"ellipsis"}
    assert sorted(cell["title"] for cell in cells if cell["cut"]) == sorted(
        [
            *CONFIRMATION_NAMES,
            CONFIRMATION_NAMES[0].replace("Payment", "Remit"),
            "Receivable INV-2026-0042-GRAND-OUEST",
            "Receivable INV-2026-0043-GRAND-OUEST",
        ]
    )
    # Each shown name is its start and its end, told apart from the others without the tooltip.
    assert len(set(shown)) == 5, shown
    assert sorted(text[-14:] for text in shown if text.startswith("Payment_")) == [
        "2026-11-04.pdf",
        "2026-11-18.pdf",
    ]
    assert sorted(text[-16:] for text in shown if text.startswith("Rec")) == [
        "0042-GRAND-OUEST",
        "0043-GRAND-OUEST",
    ]


# --- 2. a "·" joins the parts that are there ------------------------------------------------


def test_dotted_joins_only_the_parts_there() -> None:
    assert dotted("Northwind Analytics Inc.", "SEPA 0457") == "Northwind Analytics Inc. · SEPA 0457"
    assert dotted("Northwind Analytics Inc.", "") == "Northwind Analytics Inc."
    assert dotted(None, "R-12", "") == "R-12"
    assert dotted("", None) == "—"


def _paid_refused_without_reference(workspace: Workspace) -> int:
    flag = make_paid_refused(
        workspace, "R-12", day=date(2026, 10, 12), supplier_name="Northwind Analytics Inc."
    )
    assert flag.transaction is not None
    flag.transaction.counterparty_name = "Northwind Analytics Inc."
    flag.transaction.reference = ""
    flag.transaction.save()
    return flag.pk


def test_a_debit_without_a_reference_has_no_dangling_separator(workspace: Workspace) -> None:
    flag = _paid_refused_without_reference(workspace)
    client = logged_in_client(make_user(superuser=True))
    page = client.get(reverse("admin:reconciliation_match_change", args=[flag])).content.decode()
    rows = dict(re.findall(r"<tr><th>(\w+)</th><td>([^<]*)</td>", page))
    assert rows == {
        "Invoice": "R-12 · Northwind Analytics Inc.",
        "Debit": "Northwind Analytics Inc.",
    }
    assert " ·<" not in page
    assert "· <" not in page


def test_the_queue_s_debit_without_a_reference_has_no_dangling_separator(
    workspace: Workspace, reviewer: AbstractUser
) -> None:
    _paid_refused_without_reference(workspace)
    body = logged_in_client(reviewer).get(reverse("admin:reconciliation-review")).content.decode()
    assert "<div data-debit>Paid by: 12 Oct 2026 · 119.00 EUR</div>" in body


# --- 6. every flag of money gone is a badge --------------------------------------------------


def test_the_money_flags_are_badges_alike(workspace: Workspace, reviewer: AbstractUser) -> None:
    make_double_payment(
        workspace,
        "2026-0457",
        days=(date(2026, 11, 15), date(2026, 11, 19)),
        total_amount=Decimal("985.00"),
    )
    make_paid_refused(workspace, "R-12", day=date(2026, 10, 12))
    body = logged_in_client(reviewer).get(reverse("admin:reconciliation-review")).content.decode()
    titles = re.findall(r'<td><a href="[^"]+" class="([^"]+)">([^<]+)</a></td>', body)
    assert titles == [
        ("well-flag well-flag-double", "Possible double payment"),
        ("well-flag well-flag-paid-refused", "Refused, but paid"),
    ]


# --- 3. the Kind column and its filter say the same words ------------------------------------


def test_the_kind_column_uses_its_filter_s_words(workspace: Workspace) -> None:
    """Each kind a row can show, the credit-note refund too: the filter choice a user picks
    reads as the Kind cell of the rows it lists."""
    for kind in (MatchKind.CONFIRMATION_DEBIT, MatchKind.REMITTANCE_CREDIT):
        make_match(workspace, kind=kind, document=make_document(workspace))
    make_match(
        workspace,
        kind=MatchKind.CREDIT_RECEIVABLE,
        receivable=make_receivable(workspace),
        transaction=make_transaction(workspace),
    )
    make_match(
        workspace,
        kind=MatchKind.CREDIT_RECEIVABLE,
        invoice=make_invoice(workspace, number="CN-7"),
        transaction=make_transaction(workspace),
    )
    client = logged_in_client(make_user(superuser=True))
    page = client.get(MATCHES).content.decode()
    choices = dict(re.findall(r'<a href="\?kind__exact=([a-z_]+)">([^<]+)</a>', page))
    assert choices["confirmation_debit"] == "Confirmation ↔ debit"
    assert choices["remittance_credit"] == "Remittance ↔ credit"
    assert choices["credit_note_refund"] == "Credit-note refund"
    for value, label in choices.items():
        cells = re.findall(
            r'<td class="field-match_kind">([^<]*)</td>',
            client.get(f"{MATCHES}?kind__exact={value}").content.decode(),
        )
        assert set(cells) <= {label}, (value, cells)
        assert bool(cells) == (
            value
            in {
                "confirmation_debit",
                "remittance_credit",
                "credit_receivable",
                "credit_note_refund",
            }
        )


# --- 4. a credit-note refund's page says what it is ------------------------------------------


def _labels(page: str) -> list[str]:
    return re.findall(r"<label[^>]*>([^<]*):</label>", page)


def test_a_credit_note_refund_page_is_titled_by_its_kind_and_names_the_credit_note(
    workspace: Workspace,
) -> None:
    credit_note = make_invoice(workspace, number="CN-7", supplier_name="Hotel Spree")
    refund = make_match(
        workspace,
        kind=MatchKind.CREDIT_RECEIVABLE,
        invoice=credit_note,
        transaction=make_transaction(workspace),
    )
    client = logged_in_client(make_user(superuser=True))
    page = client.get(reverse("admin:reconciliation_match_change", args=[refund.pk]))
    body = page.content.decode()

    assert re.findall(r"<h1>(.*?)</h1>", body) == ["Credit-note refund"]
    assert re.findall(r"<h2>(.*?)</h2>", body)[0] == "Credit note CN-7"
    assert "Change match" not in body
    labels = _labels(body)
    assert "Credit note" in labels
    assert "Invoice" not in labels
    link = reverse("admin:reconciliation_invoice_change", args=[credit_note.pk])
    assert f'<a href="{link}">{credit_note}</a>' in body
    # Still saved as before (the page's form has no field for the credit note).
    assert page.context["adminform"].form.fields.keys().isdisjoint({"invoice", "credit_note"})


def test_every_match_page_is_titled_by_its_kind(workspace: Workspace) -> None:
    confirmation = make_match(
        workspace,
        document=make_document(workspace, original_name="confirmation.pdf"),
        transaction=make_transaction(workspace),
    )
    client = logged_in_client(make_user(superuser=True))
    body = client.get(
        reverse("admin:reconciliation_match_change", args=[confirmation.pk])
    ).content.decode()
    assert re.findall(r"<h1>(.*?)</h1>", body) == ["Confirmation ↔ debit"]
    assert re.findall(r"<h2>(.*?)</h2>", body)[0] == "confirmation.pdf"
    assert "Invoice" in _labels(body)


# --- 5. a bulk "Refund requested" that answered none says so ---------------------------------


def test_refund_requested_in_bulk_that_answered_none_says_so_plainly(
    workspace: Workspace,
) -> None:
    reviewer = make_user(workspace=workspace, role=Role.REVIEWER)
    flags = [
        make_double_payment(workspace, f"INV-{n}", days=(date(2026, 11, 4), date(2026, 11, 8)))
        for n in range(3)
    ]
    Match.objects.filter(pk__in=[flag.pk for flag in flags]).update(status=MatchStatus.DISMISSED)
    response = logged_in_client(reviewer).post(
        MATCHES,
        {"action": "refund_selected", "_selected_action": [flag.pk for flag in flags]},
        follow=True,
    )
    shown = [(m.level_tag, str(m)) for m in response.context["messages"]]
    assert shown == [
        (
            "warning",
            "No refund requested: the 3 selected rows are not open possible double payments "
            "you may answer.",
        )
    ]
    assert not Decision.objects.filter(action=DecisionAction.REFUND_REQUESTED).exists()
