"""Invoices paid straight from the bank: both currencies, imperfect references, several
invoices that fit, refused invoices found paid, and double payments (whatever the bank kept of
the repeat's reference, in whichever window it arrives)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC
from datetime import date
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse
from time_machine import TimeMachineFixture

from reconciliation.matching import dismiss_double_payment
from reconciliation.matching import keep_refused
from reconciliation.matching import match_window
from reconciliation.matching import pick_candidate
from reconciliation.matching import reject_invoice_candidates
from reconciliation.matching import reopen_paid_refused
from reconciliation.matching import request_refund
from reconciliation.models import Connection
from reconciliation.models import Decision
from reconciliation.models import DecisionAction
from reconciliation.models import Invoice
from reconciliation.models import InvoiceStatus
from reconciliation.models import Match
from reconciliation.models import MatchKind
from reconciliation.models import MatchStatus
from reconciliation.models import Side
from reconciliation.models import Transaction
from reconciliation.models import Vendor
from reconciliation.models import Workspace
from tests.factories import make_exchange_rate
from tests.factories import make_invoice
from tests.factories import make_transaction
from tests.factories import make_user
from tests.factories import make_workspace
from tests.helpers import logged_in_client

pytestmark = pytest.mark.django_db
pytest_plugins = ["tests.plugins.matching"]

ACME_IBAN = "DE89370400440532013000"
BRIT_IBAN = "GB29NWBK60161331926819"
TODAY = date(2026, 12, 20)
CONFIRMED = MatchStatus.CONFIRMED


@pytest.fixture
def workspace(db: None) -> Workspace:
    return make_workspace("Buyer Company SAS")


def invoice(workspace: Workspace, **fields: Any) -> Invoice:
    fields.setdefault("supplier_name", "ACME Supplies GmbH")
    fields.setdefault("supplier_iban", ACME_IBAN)
    fields.setdefault("issue_date", date(2026, 11, 2))
    fields.setdefault("status", InvoiceStatus.POSTED)
    return make_invoice(workspace, **fields)


def debit(workspace: Workspace, bank: Connection, **fields: Any) -> Transaction:
    fields.setdefault("side", Side.DEBIT)
    fields.setdefault("counterparty_name", "ACME SUPPLIES")
    fields.setdefault("normalized_counterparty", "acme supplies")
    fields.setdefault("counterparty_iban", ACME_IBAN)
    fields.setdefault("local_currency", fields.get("currency", "EUR"))
    fields.setdefault("local_amount", fields.get("amount"))
    return make_transaction(workspace, bank, **fields)


def links() -> list[tuple[int | None, int | None, str, str]]:
    return [
        (m.invoice_id, m.transaction_id, m.status, m.amount_basis)
        for m in Match.objects.filter(kind=MatchKind.INVOICE_DEBIT).order_by("invoice_id", "rank")
    ]


def test_foreign_invoice_paid_from_the_eur_account_matches_on_the_local_amount(
    workspace: Workspace, bank: Connection
) -> None:
    bill = invoice(
        workspace,
        supplier_name="Brit Tools Ltd",
        supplier_iban=BRIT_IBAN,
        number="BT-10442",
        currency="GBP",
        total_amount=Decimal("840.00"),
    )
    paid = debit(
        workspace,
        bank,
        amount=Decimal("987.21"),
        currency="EUR",
        local_amount=Decimal("840.00"),
        local_currency="GBP",
        counterparty_name="BRIT TOOLS",
        normalized_counterparty="brit tools",
        counterparty_iban=BRIT_IBAN,
        reference="BT-10442",
        value_date=date(2026, 11, 20),
    )

    report = match_window(workspace_id=workspace.pk, today=TODAY)

    assert links() == [(bill.pk, paid.pk, MatchStatus.CONFIRMED, "local")]
    link = Match.objects.get(kind=MatchKind.INVOICE_DEBIT)
    assert (link.matched_amount, link.matched_currency) == (Decimal("840.000"), "GBP")
    assert report.invoices_settled == 1


@pytest.mark.parametrize(
    ("reference", "status"),
    [
        pytest.param("Rg. 2026/00417 Danke", CONFIRMED, id="words_around_and_leading_zeros"),
        pytest.param("ACME FACT 2026-417", CONFIRMED, id="other_prefix_without_zeros"),
        pytest.param("VIR SEPA INV-2026-0004", CONFIRMED, id="truncated_by_the_bank"),
        pytest.param("inv 417", CONFIRMED, id="abbreviated_to_the_last_number"),
        pytest.param("Rechnungsnr. INV2026000417", CONFIRMED, id="glued_prefix"),
        pytest.param("PO 88121", MatchStatus.PROPOSED, id="another_number_only_proposed"),
    ],
)
def test_an_imperfect_reference_on_the_debit_still_links_the_invoice(
    workspace: Workspace, bank: Connection, acme: Vendor, reference: str, status: str
) -> None:
    bill = invoice(workspace, vendor=acme, number="INV-2026-000417", total_amount=Decimal("1250"))
    other = invoice(workspace, vendor=acme, number="INV-2026-000391", total_amount=Decimal("99"))
    paid = debit(
        workspace,
        bank,
        amount=Decimal("1250.00"),
        reference=reference,
        value_date=date(2026, 11, 9),
    )

    match_window(workspace_id=workspace.pk, today=TODAY)

    assert links() == [(bill.pk, paid.pk, status, "source")]
    assert not Match.objects.filter(invoice=other).exists()


def two_fit_one_debit(
    workspace: Workspace, bank: Connection, acme: Vendor, numbers: tuple[str, str], reference: str
) -> tuple[Invoice, Invoice, Transaction]:
    """Two invoices of ACME's (``numbers``) of 300.00 each, and one debit of 300.00 to ACME on
    6 November with ``reference``."""
    first, second = (
        invoice(workspace, vendor=acme, number=number, total_amount=Decimal("300.00"))
        for number in numbers
    )
    paid = debit(
        workspace, bank, amount=Decimal("300.00"), reference=reference, value_date=date(2026, 11, 6)
    )
    return first, second, paid


def test_two_invoices_that_fit_one_debit_go_to_review_with_their_candidates(
    workspace: Workspace, bank: Connection, acme: Vendor
) -> None:
    first, second, paid = two_fit_one_debit(workspace, bank, acme, ("A-1", "A-2"), "")

    report = match_window(workspace_id=workspace.pk, today=TODAY)

    assert links() == [
        (first.pk, paid.pk, MatchStatus.PROPOSED, "source"),
        (second.pk, paid.pk, MatchStatus.PROPOSED, "source"),
    ]
    assert (report.invoices_settled, report.invoices_proposed) == (0, 2)
    reasons = Match.objects.get(invoice=first).reasons
    assert reasons[-1] == f"transaction {paid.pk} also fits invoices {second.pk}"


def test_the_reference_decides_between_two_invoices_of_the_same_amount(
    workspace: Workspace, bank: Connection, acme: Vendor
) -> None:
    first, second, paid = two_fit_one_debit(workspace, bank, acme, ("A-1001", "A-1002"), "A-1002")

    match_window(workspace_id=workspace.pk, today=TODAY)

    # The debit taken by A-1002 is not offered to A-1001.
    assert links() == [(second.pk, paid.pk, MatchStatus.CONFIRMED, "source")]
    assert not Match.objects.filter(invoice=first).exists()


def test_a_reviewer_picks_or_rejects_an_invoice_candidate(
    workspace: Workspace, bank: Connection, acme: Vendor
) -> None:
    first, second, paid = two_fit_one_debit(workspace, bank, acme, ("A-1", "A-2"), "")
    match_window(workspace_id=workspace.pk, today=TODAY)
    reviewer = make_user("rita", workspace=workspace)

    pick_candidate(match=Match.objects.get(invoice=second), user=reviewer)
    reject_invoice_candidates(invoice=first, user=reviewer)
    match_window(workspace_id=workspace.pk, today=TODAY)

    assert links() == [
        (first.pk, paid.pk, MatchStatus.REJECTED, "source"),
        (second.pk, paid.pk, MatchStatus.CONFIRMED, "source"),
    ]


def test_a_refused_invoice_paid_anyway_is_linked_read_only_and_surfaced(
    workspace: Workspace, bank: Connection, acme: Vendor
) -> None:
    bill = invoice(
        workspace,
        vendor=acme,
        number="INV-77",
        total_amount=Decimal("64.90"),
        status=InvoiceStatus.REFUSED,
    )
    paid = debit(
        workspace, bank, amount=Decimal("64.90"), reference="INV-77", value_date=date(2026, 10, 12)
    )
    bill.issue_date = date(2026, 10, 8)
    bill.save(update_fields=["issue_date"])

    first = match_window(workspace_id=workspace.pk, today=TODAY)
    second = match_window(workspace_id=workspace.pk, today=TODAY)

    assert links() == [(bill.pk, paid.pk, MatchStatus.CONFIRMED, "source")]
    flag = Match.objects.get(kind=MatchKind.PAID_REFUSED)
    assert (flag.invoice_id, flag.transaction_id, flag.status) == (
        bill.pk,
        paid.pk,
        MatchStatus.PROPOSED,
    )
    assert flag.reasons == ["Invoice INV-77 was refused, but paid on 12 Oct 2026."]
    assert (first.paid_refused, second.paid_refused) == (1, 0)
    bill.refresh_from_db()
    assert bill.status == InvoiceStatus.REFUSED


def test_a_refused_invoice_found_paid_is_reopened_or_kept_refused_in_one_click(
    workspace: Workspace, bank: Connection, acme: Vendor
) -> None:
    kept = invoice(workspace, vendor=acme, number="K-1", total_amount=Decimal("10.00"),
                   status=InvoiceStatus.REFUSED)  # fmt: skip
    reopened = invoice(workspace, vendor=acme, number="R-1", total_amount=Decimal("20.00"),
                       status=InvoiceStatus.REFUSED)  # fmt: skip
    debit(workspace, bank, amount=Decimal("10.00"), reference="K-1", value_date=date(2026, 11, 5))
    debit(workspace, bank, amount=Decimal("20.00"), reference="R-1", value_date=date(2026, 11, 5))
    match_window(workspace_id=workspace.pk, today=TODAY)
    reviewer = make_user("rita", workspace=workspace)

    keep_refused(match=Match.objects.get(kind=MatchKind.PAID_REFUSED, invoice=kept), user=reviewer)
    reopen_paid_refused(
        match=Match.objects.get(kind=MatchKind.PAID_REFUSED, invoice=reopened), user=reviewer
    )

    kept.refresh_from_db()
    reopened.refresh_from_db()
    assert (kept.status, reopened.status) == (InvoiceStatus.REFUSED, InvoiceStatus.NEEDS_REVIEW)
    assert list(
        Decision.objects.filter(match__kind=MatchKind.PAID_REFUSED)
        .order_by("id")
        .values_list("action", "invoice_id", "actor_id")
    ) == [
        (DecisionAction.REFUSE, kept.pk, reviewer.pk),
        (DecisionAction.REOPEN, reopened.pk, reviewer.pk),
    ]


def double_paid(
    workspace: Workspace, bank: Connection, acme: Vendor
) -> tuple[Invoice, Transaction, Transaction]:
    bill = invoice(workspace, vendor=acme, number="INV-2026-0042", total_amount=Decimal("1250"))
    first = debit(workspace, bank, amount=Decimal("1250.00"), reference="INV-2026-0042",
                  value_date=date(2026, 11, 5))  # fmt: skip
    again = debit(workspace, bank, amount=Decimal("1250.00"), reference="INV 2026 0042",
                  value_date=date(2026, 11, 19))  # fmt: skip
    return bill, first, again


def test_a_second_debit_for_a_paid_invoice_is_a_possible_double_payment(
    workspace: Workspace, bank: Connection, acme: Vendor
) -> None:
    bill, first, again = double_paid(workspace, bank, acme)

    report = match_window(workspace_id=workspace.pk, today=TODAY)
    match_window(workspace_id=workspace.pk, today=TODAY)

    assert links() == [(bill.pk, first.pk, MatchStatus.CONFIRMED, "source")]
    flag = Match.objects.get(kind=MatchKind.DOUBLE_PAYMENT)
    assert (flag.invoice_id, flag.transaction_id, flag.status, flag.score) == (
        bill.pk,
        again.pk,
        MatchStatus.PROPOSED,
        Decimal("100.00"),
    )
    assert flag.reasons == [
        "a second debit of 1,250.00 EUR on 19 Nov 2026 to the supplier of invoice INV-2026-0042, "
        "already paid by the debit of 5 Nov 2026; reference 'INV 2026 0042'"
    ]
    assert report.double_payments == 1
    assert Match.objects.for_review().first() == flag


def test_a_double_payment_answered_refund_requested_or_not_a_duplicate(
    workspace: Workspace, bank: Connection, acme: Vendor
) -> None:
    double_paid(workspace, bank, acme)
    other = invoice(workspace, vendor=acme, number="INV-2026-0050", total_amount=Decimal("80"))
    debit(workspace, bank, amount=Decimal("80.00"), reference="INV-2026-0050",
          value_date=date(2026, 11, 4))  # fmt: skip
    debit(workspace, bank, amount=Decimal("80.00"), reference="INV-2026-0050",
          value_date=date(2026, 11, 30))  # fmt: skip
    match_window(workspace_id=workspace.pk, today=TODAY)
    refund, dismiss = Match.objects.filter(kind=MatchKind.DOUBLE_PAYMENT).order_by("invoice_id")
    reviewer = make_user("rita", workspace=workspace)

    request_refund(match=refund, user=reviewer)
    dismiss_double_payment(match=dismiss, user=reviewer)

    refund.refresh_from_db()
    dismiss.refresh_from_db()
    assert (refund.status, dismiss.status, dismiss.invoice_id) == (
        MatchStatus.REFUSED,
        MatchStatus.DISMISSED,
        other.pk,
    )
    assert list(
        Decision.objects.filter(match__kind=MatchKind.DOUBLE_PAYMENT)
        .order_by("id")
        .values_list("action", "actor_id")
    ) == [
        (DecisionAction.REFUND_REQUESTED, reviewer.pk),
        (DecisionAction.NOT_DUPLICATE, reviewer.pk),
    ]
    assert Decision.objects.get(action=DecisionAction.REFUND_REQUESTED).reason.startswith(
        "Refund requested: a second debit of 1,250.00 EUR"
    )


def test_a_same_amount_debit_to_the_supplier_without_the_reference_is_no_double_payment(
    workspace: Workspace, bank: Connection, acme: Vendor
) -> None:
    bill = invoice(workspace, vendor=acme, number="INV-2026-0042", total_amount=Decimal("1250"))
    first = debit(workspace, bank, amount=Decimal("1250.00"), reference="INV-2026-0042",
                  value_date=date(2026, 11, 5))  # fmt: skip
    debit(workspace, bank, amount=Decimal("1250.00"), reference="Order 5531",
          value_date=date(2026, 12, 5))  # fmt: skip

    match_window(workspace_id=workspace.pk, today=TODAY)

    assert links() == [(bill.pk, first.pk, MatchStatus.CONFIRMED, "source")]
    assert not Match.objects.filter(kind=MatchKind.DOUBLE_PAYMENT).exists()


def test_a_foreign_invoice_paid_at_two_rates_with_two_reference_tiers_is_a_double_payment(
    workspace: Workspace, bank: Connection, acme: Vendor
) -> None:
    """Without Qonto's local amount the two EUR debits differ by the day's rate; the first
    names the invoice in full, the second by the start the bank kept, 3 points apart: no clear
    winner, so the earliest is the payment and the second its repeat, not a rival."""
    make_exchange_rate("USD", "EUR", "0.9135", date(2026, 10, 22))
    make_exchange_rate("USD", "EUR", "0.933", date(2026, 11, 6))
    bill = invoice(workspace, vendor=acme, number="NW-26-91893", currency="USD",
                   total_amount=Decimal("874.91"), issue_date=date(2026, 9, 10))  # fmt: skip
    first = debit(workspace, bank, amount=Decimal("814.50"), reference="Ft nw 26 91893",
                  value_date=date(2026, 10, 23))  # fmt: skip
    again = debit(workspace, bank, amount=Decimal("816.56"), reference="INV#NW-26-9",
                  value_date=date(2026, 11, 8))  # fmt: skip

    report = match_window(workspace_id=workspace.pk, today=TODAY)

    assert links() == [(bill.pk, first.pk, MatchStatus.CONFIRMED, "converted")]
    assert flags() == [(bill.pk, again.pk, Decimal("90.00"))]
    assert (report.invoices_settled, report.double_payments) == (1, 1)


def test_a_cut_reference_that_may_pay_the_next_open_invoice_goes_to_review_unflagged(
    workspace: Workspace, bank: Connection, acme: Vendor
) -> None:
    """Monthly INV-101 (paid in full on 6 Oct) and INV-102 (open), the same amount; two later
    debits read "INV-10", the start of both numbers: each may be INV-102's payment as well
    as a repeat of INV-101's, so neither is flagged and INV-102 goes to review with both."""
    october = invoice(workspace, vendor=acme, number="INV-101", total_amount=Decimal("300"),
                      issue_date=date(2026, 10, 2))  # fmt: skip
    november = invoice(workspace, vendor=acme, number="INV-102", total_amount=Decimal("300"),
                       issue_date=date(2026, 11, 2))  # fmt: skip
    paid = debit(workspace, bank, amount=Decimal("300.00"), reference="INV-101",
                 value_date=date(2026, 10, 6))  # fmt: skip
    cut = [
        debit(workspace, bank, amount=Decimal("300.00"), reference="INV-10", value_date=day)
        for day in (date(2026, 11, 6), date(2026, 11, 20))
    ]

    report = match_window(workspace_id=workspace.pk, today=TODAY)

    assert links() == [
        (october.pk, paid.pk, MatchStatus.CONFIRMED, "source"),
        (november.pk, cut[0].pk, MatchStatus.PROPOSED, "source"),
        (november.pk, cut[1].pk, MatchStatus.PROPOSED, "source"),
    ]
    assert flags() == []
    assert (report.invoices_settled, report.invoices_proposed) == (1, 1)


@pytest.mark.parametrize(
    ("iban", "status"),
    [
        pytest.param("", MatchStatus.CONFIRMED, id="no_iban_on_the_debit"),
        pytest.param("FR7630006000011234567890189", MatchStatus.PROPOSED, id="another_iban"),
    ],
)
def test_full_number_and_exact_amount_link_whatever_the_counterparty_name(
    workspace: Workspace, bank: Connection, iban: str, status: str
) -> None:
    """Paid through a provider ("PAYPAL EUROPE") or with the supplier misread on the invoice:
    the full number and the exact amount are enough, unless another IBAN contradicts them."""
    bill = invoice(workspace, supplier_name="mail.example.com", number="F2026-5078",
                   total_amount=Decimal("183.30"))  # fmt: skip
    paid = debit(workspace, bank, amount=Decimal("183.30"), reference="F2026-5078",
                 counterparty_name="PAYPAL EUROPE", normalized_counterparty="paypal europe",
                 counterparty_iban=iban, value_date=date(2026, 11, 12))  # fmt: skip

    match_window(workspace_id=workspace.pk, today=TODAY)

    assert links() == [(bill.pk, paid.pk, status, "source")]


def flags() -> list[tuple[int | None, int | None, Decimal]]:
    return list(
        Match.objects.filter(kind=MatchKind.DOUBLE_PAYMENT)
        .order_by("id")
        .values_list("invoice_id", "transaction_id", "score")
    )


def test_a_foreign_invoice_paid_twice_with_its_prefix_cut_short_is_linked_and_flagged(
    workspace: Workspace, bank: Connection, acme: Vendor
) -> None:
    """A GBP invoice paid twice from the EUR account, both debits reading "INV-01" (the start
    of INV-019006) without Qonto's local amount: the cut start is worth as much as no
    reference, not "another number", so the earliest is linked and the other flagged."""
    make_exchange_rate("GBP", "EUR", "1.1675", date(2026, 11, 6))
    bill = invoice(workspace, vendor=acme, number="INV-019006", currency="GBP",
                   total_amount=Decimal("14782.24"))  # fmt: skip
    first = debit(workspace, bank, amount=Decimal("17258.51"), reference="INV-01",
                  value_date=date(2026, 11, 9))  # fmt: skip
    again = debit(workspace, bank, amount=Decimal("17285.55"), reference="INV-01",
                  value_date=date(2026, 11, 30))  # fmt: skip

    match_window(workspace_id=workspace.pk, today=TODAY)

    assert links()[0] == (bill.pk, first.pk, MatchStatus.CONFIRMED, "converted")
    assert flags() == [(bill.pk, again.pk, Decimal("80.00"))]


def test_a_repeat_synced_in_a_later_window_is_flagged_then(
    workspace: Workspace, bank: Connection, acme: Vendor, time_machine: TimeMachineFixture
) -> None:
    time_machine.move_to(datetime(2026, 11, 27, 8, 0, tzinfo=UTC))
    bill = invoice(workspace, vendor=acme, number="INV-2026-0077", total_amount=Decimal("96"))
    first = debit(workspace, bank, amount=Decimal("96.00"), reference="INV-2026-0077",
                  value_date=date(2026, 11, 5))  # fmt: skip
    match_window(workspace_id=workspace.pk, today=TODAY)
    time_machine.move_to(datetime(2026, 11, 27, 8, 15, tzinfo=UTC))
    again = debit(workspace, bank, amount=Decimal("96.00"), reference="inv 2026 77",
                  value_date=date(2026, 11, 26))  # fmt: skip
    time_machine.move_to(datetime(2026, 11, 27, 8, 30, tzinfo=UTC))

    report = match_window(workspace_id=workspace.pk, today=TODAY)
    match_window(workspace_id=workspace.pk, today=TODAY)

    assert links() == [(bill.pk, first.pk, MatchStatus.CONFIRMED, "source")]
    assert flags() == [(bill.pk, again.pk, Decimal("100.00"))]
    assert report.double_payments == 1


def paid_late_twice(
    workspace: Workspace, bank: Connection, acme: Vendor, first_reference: str, again_reference: str
) -> tuple[Invoice, Transaction, Transaction]:
    """ACME's BT39217 of 2,210.90 issued on 1 September, and two debits of that amount weeks
    after its terms (5 and 11 November), with these references."""
    bill = invoice(workspace, vendor=acme, number="BT39217", total_amount=Decimal("2210.90"),
                   issue_date=date(2026, 9, 1))  # fmt: skip
    first = debit(workspace, bank, amount=Decimal("2210.90"), reference=first_reference,
                  value_date=date(2026, 11, 5))  # fmt: skip
    again = debit(workspace, bank, amount=Decimal("2210.90"), reference=again_reference,
                  value_date=date(2026, 11, 11))  # fmt: skip
    return bill, first, again


def test_two_late_debits_of_one_invoice_below_the_threshold_the_earliest_proposed_the_other_flagged(
    workspace: Workspace, bank: Connection, acme: Vendor
) -> None:
    """Both debits read "BT3" (the start of BT39217) and left weeks after the terms: neither
    reaches the threshold, so the earliest is proposed for review — and the second, repeating
    it, is flagged at once: whichever a person confirms, the money left twice."""
    bill, first, again = paid_late_twice(workspace, bank, acme, "BT3", "BT3")

    report = match_window(workspace_id=workspace.pk, today=TODAY)
    match_window(workspace_id=workspace.pk, today=TODAY)

    assert links() == [
        (bill.pk, first.pk, MatchStatus.PROPOSED, "source"),
        (bill.pk, again.pk, MatchStatus.PROPOSED, "source"),
    ]
    assert flags() == [(bill.pk, again.pk, Decimal("80.00"))]
    assert Match.objects.get(kind=MatchKind.DOUBLE_PAYMENT).reasons == [
        "a second debit of 2,210.90 EUR on 11 Nov 2026 to the supplier of invoice BT39217, "
        "which the proposed debit of 5 Nov 2026 may pay; reference 'BT3'"
    ]
    assert (report.invoices_proposed, report.double_payments) == (1, 1)
    flag = Match.objects.get(kind=MatchKind.DOUBLE_PAYMENT)
    reviewer = logged_in_client(make_user("rita", workspace=workspace))
    page = reviewer.get(reverse("admin:reconciliation_match_change", args=[flag.pk]))
    body = page.content.decode()
    assert "<th>First debit (proposed)</th><td>ACME SUPPLIES · BT3</td>" in body
    assert "<th>Second debit</th><td>ACME SUPPLIES · BT3</td>" in body


@pytest.mark.parametrize(
    ("first_reference", "second_reference"),
    [
        pytest.param("BT3", "Order 5531", id="the_second_names_another_number"),
        pytest.param("Order 5531", "BT3", id="the_earliest_names_another_number"),
        pytest.param("", "", id="neither_names_anything"),
    ],
)
def test_two_late_debits_not_tied_by_a_reference_are_no_repeats(
    workspace: Workspace,
    bank: Connection,
    acme: Vendor,
    first_reference: str,
    second_reference: str,
) -> None:
    """Below the threshold, two candidates go to review as before, nothing flagged, unless a
    reference ties both to the invoice: one naming another number is something else, and
    with no payment linked the same amount to the same supplier twice (a subscription's next
    month, say) is no double payment."""
    bill, _, _ = paid_late_twice(workspace, bank, acme, first_reference, second_reference)

    match_window(workspace_id=workspace.pk, today=TODAY)

    assert {status for invoice_id, _, status, _ in links() if invoice_id == bill.pk} == {
        MatchStatus.PROPOSED
    }
    assert flags() == []


@dataclass(frozen=True)
class PaidTwice:
    """An invoice of ACME's (``bill``: its number, total, …) and two debits to ACME (``debits``:
    amount, reference, value date, …); which of them is the payment (``linked``, with the
    amount basis) and how surely the other is a possible double payment (``score``; None: not
    flagged)."""

    bill: dict[str, Any]
    debits: tuple[dict[str, Any], dict[str, Any]]
    linked: int
    score: str | None
    basis: str = "source"


def paid(amount: str, reference: str, on: date, **fields: Any) -> dict[str, Any]:
    return {"amount": Decimal(amount), "reference": reference, "value_date": on, **fields}


PB7 = {"number": "PB71604", "total_amount": Decimal("318.40")}
RE = {"total_amount": Decimal("4620.42")}
LATE = {"number": "INV-2026-0311", "total_amount": Decimal("640"), "issue_date": date(2026, 7, 1)}
NOV = date(2026, 11, 1)


@pytest.mark.parametrize(
    "case",
    [
        # The first debit's reference was cut by the bank (91), the second names the invoice in
        # full (100): among equals the earliest is the payment, the exact one its repeat.
        pytest.param(PaidTwice({"number": "INV-2026-0042", "total_amount": Decimal("1250")},
                               (paid("1250.00", "INV 2026 004", NOV.replace(day=5)),
                                paid("1250.00", "INV-2026-0042", NOV.replace(day=19))),
                               0, "100.00"),
                     id="cut_then_named_in_full"),
        # The bank kept 3 characters of "PB71604": too short to name the invoice, so the first
        # debit is linked on its amount and IBAN; the same amount again a week later with the
        # same cut reference is weak evidence of a repeat, one that names no document no
        # evidence either way (still a possible double payment), one naming another number none.
        *(pytest.param(PaidTwice(PB7, (paid("318.40", "PB7", NOV.replace(day=6)),
                                       paid("318.40", again, NOV.replace(day=13))), 0, score),
                       id=f"cut_too_short_then_{name}")
          for again, score, name in (("PB7", "80.00", "the_same_cut"),
                                     ("PB8", "70.00", "a_number_too_short_to_name_anything"),
                                     ("", "70.00", "no_reference"),
                                     ("Order 5531", None, "another_number"))),
        # What the bank kept of the number starts with its prefix ("RE6" of "RE 63826") or ends
        # a longer text ("Kd-Nr 44812 / RE 4"): the start of the number, not another number.
        *(pytest.param(PaidTwice({**RE, "number": number},
                                 (paid("4620.42", cut, NOV.replace(day=9)),
                                  paid("4620.42", named, NOV.replace(day=30))), 1, "80.00"),
                       id=name)
          for number, cut, named, name in (
              ("RE 63826", "RE6", "INV#RE 63826", "prefix_and_one_digit"),
              ("RE 44354", "Kd-Nr 44812 / RE 4", "RE 44354", "cut_at_the_end_of_words"))),
        # Weak evidence counts once the invoice exists (issued 2 Nov): a same-amount debit with
        # a cut reference before is something else the supplier was paid; after it, a possible
        # double payment even though the clear winner, the one linked, came later.
        *(pytest.param(PaidTwice(PB7, (paid("318.40", "PB7 ACME", day),
                                       paid("318.40", "PB71604", NOV.replace(day=20))), 1, score),
                       id=name)
          for day, score, name in ((NOV, None, "cut_before_the_invoice_was_issued"),
                                   (NOV.replace(day=10), "80.00", "cut_once_issued"))),
        # The first debit carries Qonto's local amount (840.00 GBP), the second only the EUR the
        # day's rate made of it: the same amount in the invoice's currency, the same reference.
        pytest.param(PaidTwice({"number": "BT-10442", "currency": "GBP",
                                "total_amount": Decimal("840.00")},
                               (paid("987.21", "BT-10442", NOV.replace(day=9),
                                     local_amount=Decimal("840.00"), local_currency="GBP"),
                                paid("979.85", "BT-10442", NOV.replace(day=30))),
                               0, "100.00", "local"),
                     id="foreign_once_in_its_currency_then_converted"),
        # Issued 1 July, paid 20 October (111 days): a repeat 127 days after issue is outside
        # the invoice's payment window (120 days) but 16 days after the payment — a double
        # payment; 61 days after the payment it is no longer looked for.
        *(pytest.param(PaidTwice(LATE, (paid("640.00", "INV-2026-0311", date(2026, 10, 20)),
                                        paid("640.00", "INV-2026-0311", day)), 0, score),
                       id=name)
          for day, score, name in ((NOV.replace(day=5), "100.00", "paid_late_then_weeks_later"),
                                   (TODAY, None, "paid_late_then_61_days_later"))),
    ],
)  # fmt: skip
def test_an_invoice_paid_twice_links_one_debit_and_flags_the_other(
    workspace: Workspace, bank: Connection, acme: Vendor, case: PaidTwice
) -> None:
    bill = invoice(workspace, vendor=acme, **case.bill)
    debits = [debit(workspace, bank, **fields) for fields in case.debits]
    payment, other = debits[case.linked], debits[1 - case.linked]

    report = match_window(workspace_id=workspace.pk, today=TODAY)

    assert links() == [(bill.pk, payment.pk, CONFIRMED, case.basis)]
    assert flags() == ([(bill.pk, other.pk, Decimal(case.score))] if case.score else [])
    assert report.double_payments == int(case.score is not None)


def test_two_debits_to_someone_else_below_the_threshold_are_no_double_payment(
    workspace: Workspace, bank: Connection, acme: Vendor
) -> None:
    """Two monthly 49.00 debits to PayPal (another IBAN, another name) whose reference ends
    like the start of ACME's INV-2026-0042: candidates for review at most, never a double
    payment of ACME's invoice — the first of them never went to the supplier."""
    invoice(workspace, vendor=acme, number="INV-2026-0042", total_amount=Decimal("49.00"))
    for day in (date(2026, 11, 5), date(2026, 12, 5)):
        debit(workspace, bank, amount=Decimal("49.00"), reference="INV-20", value_date=day,
              counterparty_name="PAYPAL EUROPE", normalized_counterparty="paypal europe",
              counterparty_iban="LU89751000135104200E")  # fmt: skip

    match_window(workspace_id=workspace.pk, today=TODAY)

    assert flags() == []


def test_a_flag_on_the_debit_a_person_confirms_as_the_payment_is_withdrawn(
    workspace: Workspace, bank: Connection, acme: Vendor
) -> None:
    """Two "BT3" debits below the threshold: the earlier proposed, the later flagged. The
    reviewer confirms the later one as the payment: its flag is withdrawn by Well (a decision
    says what it pays) and the earlier debit becomes the one possible double payment."""
    bill = invoice(workspace, vendor=acme, number="BT39217", total_amount=Decimal("2210.90"),
                   issue_date=date(2026, 9, 1))  # fmt: skip
    earlier = debit(workspace, bank, amount=Decimal("2210.90"), reference="BT3",
                    value_date=date(2026, 11, 5))  # fmt: skip
    later = debit(workspace, bank, amount=Decimal("2210.90"), reference="BT3",
                  value_date=date(2026, 11, 11))  # fmt: skip
    match_window(workspace_id=workspace.pk, today=TODAY)
    candidate = Match.objects.get(kind=MatchKind.INVOICE_DEBIT, transaction=later)
    pick_candidate(match=candidate, user=make_user("rita", workspace=workspace))

    match_window(workspace_id=workspace.pk, today=TODAY)

    open_flags = Match.objects.filter(kind=MatchKind.DOUBLE_PAYMENT, status=MatchStatus.PROPOSED)
    assert list(open_flags.values_list("transaction_id", flat=True)) == [earlier.pk]
    withdrawn = Match.objects.get(kind=MatchKind.DOUBLE_PAYMENT, transaction=later)
    assert (withdrawn.status, withdrawn.decided_by) == (MatchStatus.DISMISSED, None)
    decision = Decision.objects.get(match=withdrawn, action=DecisionAction.NOT_DUPLICATE)
    assert (decision.actor, decision.invoice_id) == (None, bill.pk)
    assert decision.reason == (
        "Withdrawn by Well: the debit now pays invoice BT39217, so it was not paid twice."
    )
