"""Double charges: a payment request for an invoice a matched debit already settled is held,
shown to a reviewer, refused in one click or released with "not a duplicate"."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import AbstractUser

from reconciliation.matching import dismiss_double_charge
from reconciliation.matching import match_window
from reconciliation.matching import refuse_double_charge
from reconciliation.models import Connection
from reconciliation.models import Decision
from reconciliation.models import DecisionAction
from reconciliation.models import IllegalTransitionError
from reconciliation.models import Invoice
from reconciliation.models import InvoiceStatus
from reconciliation.models import Match
from reconciliation.models import MatchKind
from reconciliation.models import MatchStatus
from reconciliation.models import Transaction
from reconciliation.models import Vendor
from reconciliation.models import Workspace
from tests.factories import make_bank_detail_change
from tests.factories import make_invoice
from tests.factories import make_transaction
from tests.factories import make_user
from tests.test_matching_confirmations import ACME_IBAN
from tests.test_matching_confirmations import TODAY
from tests.test_matching_confirmations import acme_debit
from tests.test_matching_confirmations import payment_document

pytestmark = pytest.mark.django_db
pytest_plugins = ["tests.plugins.matching"]


def settled_invoice(
    workspace: Workspace, bank: Connection, acme: Vendor
) -> tuple[Invoice, Transaction]:
    """An invoice posted on 1 November, paid on the 3rd by a debit naming its number."""
    invoice = make_invoice(
        workspace,
        vendor=acme,
        supplier_name="ACME Supplies GmbH",
        number="INV-2026-0042",
        issue_date=date(2026, 11, 1),
        total_amount=Decimal("1250.00"),
        status=InvoiceStatus.POSTED,
    )
    paid = acme_debit(workspace, bank, reference="Facture INV-2026-0042")
    return invoice, paid


def links(match: Match) -> tuple[int | None, int | None, int | None, int | None]:
    """What ``match`` links: its document, invoice, settled invoice and debit (ids)."""
    return (match.document_id, match.invoice_id, match.settled_invoice_id, match.transaction_id)


def reminder(workspace: Workspace, acme: Vendor, **fields: object) -> Invoice:
    fields.setdefault("number", "INV-2026-0042")
    fields.setdefault("issue_date", date(2026, 11, 20))
    fields.setdefault("total_amount", Decimal("1250.00"))
    return make_invoice(
        workspace, vendor=acme, supplier_name="Acme Supplies", status=InvoiceStatus.NEEDS_REVIEW,
        **fields,
    )  # fmt: skip


def test_a_debit_naming_the_invoice_settles_it(
    workspace: Workspace, bank: Connection, acme: Vendor
) -> None:
    invoice, paid = settled_invoice(workspace, bank, acme)

    report = match_window(workspace_id=workspace.pk, today=TODAY)

    link = Match.objects.get(kind=MatchKind.INVOICE_DEBIT)
    assert (link.invoice_id, link.transaction_id, link.status) == (
        invoice.pk,
        paid.pk,
        MatchStatus.CONFIRMED,
    )
    assert report.invoices_settled == 1


@pytest.mark.postgres
def test_reminder_with_the_same_number_is_held_as_a_double_charge(
    workspace: Workspace, bank: Connection, acme: Vendor
) -> None:
    invoice, paid = settled_invoice(workspace, bank, acme)
    repeat = reminder(workspace, acme)

    report = match_window(workspace_id=workspace.pk, today=TODAY)

    flagged = Match.objects.get(kind=MatchKind.DOUBLE_CHARGE)
    assert links(flagged) == (repeat.document_id, repeat.pk, invoice.pk, paid.pk)
    assert (flagged.status, flagged.score) == (MatchStatus.PROPOSED, Decimal(100))
    assert flagged.reasons == [
        "same issuer and invoice number INV-2026-0042 as an invoice already settled by a "
        "matched debit"
    ]
    repeat.refresh_from_db()
    assert (repeat.is_held, repeat.hold_reason) == (
        True,
        "Possible double charge of invoice INV-2026-0042",
    )
    assert not Invoice.objects.due_for_posting().filter(pk=repeat.pk).exists()
    assert (report.double_charges, report.held_invoice_ids) == (1, [repeat.pk])
    hold = Decision.objects.get(action=DecisionAction.HOLD)
    assert (hold.actor_id, hold.invoice_id, hold.match_id) == (None, repeat.pk, flagged.pk)
    assert list(Match.objects.for_review().values_list("pk", flat=True)) == [flagged.pk]


def test_approved_repeat_goes_back_to_review(
    workspace: Workspace, bank: Connection, acme: Vendor
) -> None:
    settled_invoice(workspace, bank, acme)
    repeat = reminder(workspace, acme)
    Invoice.objects.filter(pk=repeat.pk).update(status=InvoiceStatus.APPROVED)

    match_window(workspace_id=workspace.pk, today=TODAY)

    repeat.refresh_from_db()
    assert (repeat.status, repeat.is_held) == (InvoiceStatus.NEEDS_REVIEW, True)


def test_new_invoice_with_same_amount_and_close_date_is_flagged(
    workspace: Workspace, bank: Connection, acme: Vendor
) -> None:
    invoice, _ = settled_invoice(workspace, bank, acme)
    repeat = reminder(workspace, acme, number="INV-2026-0057", issue_date=date(2026, 11, 8))

    match_window(workspace_id=workspace.pk, today=TODAY)

    flagged = Match.objects.get(kind=MatchKind.DOUBLE_CHARGE)
    assert (flagged.invoice_id, flagged.settled_invoice_id, flagged.score) == (
        repeat.pk,
        invoice.pk,
        Decimal(85),
    )
    assert flagged.reasons == [
        "same issuer and amount 1,250.00 EUR as invoice INV-2026-0042, 7 days apart, already "
        "settled by a matched debit"
    ]


@pytest.mark.parametrize(
    ("number", "issue_date", "amount"),
    [
        pytest.param("INV-2026-0099", date(2026, 12, 1), Decimal("1250.00"), id="next_month_case"),
        pytest.param(
            "INV-2026-0099", date(2026, 11, 5), Decimal("1249.00"), id="other_amount_case"
        ),
    ],
)
def test_other_invoices_of_the_vendor_are_not_flagged(
    workspace: Workspace,
    bank: Connection,
    acme: Vendor,
    number: str,
    issue_date: date,
    amount: Decimal,
) -> None:
    settled_invoice(workspace, bank, acme)
    other = reminder(workspace, acme, number=number, issue_date=issue_date, total_amount=amount)

    match_window(workspace_id=workspace.pk, today=TODAY)

    assert not Match.objects.filter(kind=MatchKind.DOUBLE_CHARGE).exists()
    other.refresh_from_db()
    assert other.is_held is False


def test_invoice_settled_through_its_payment_confirmation(
    workspace: Workspace, bank: Connection, acme: Vendor
) -> None:
    invoice = make_invoice(
        workspace, vendor=acme, number="F-77", total_amount=Decimal("310.00"),
        issue_date=date(2026, 11, 1), status=InvoiceStatus.POSTED,
    )  # fmt: skip
    confirmation = payment_document(
        workspace, amount="310.00", currency="EUR", execution_date="2026-11-04",
        beneficiary_name="Acme Supplies", beneficiary_iban=ACME_IBAN, reference="F-77",
    )  # fmt: skip
    paid = make_transaction(
        workspace, bank, amount=Decimal("310.00"), counterparty_iban=ACME_IBAN,
        reference="", value_date=date(2026, 11, 4),
    )  # fmt: skip
    repeat = reminder(workspace, acme, number="F 77", total_amount=Decimal("310.00"))

    match_window(workspace_id=workspace.pk, today=TODAY)

    paying = Match.objects.get(kind=MatchKind.CONFIRMATION_DEBIT)
    assert links(paying) == (confirmation.pk, invoice.pk, None, paid.pk)
    flagged = Match.objects.get(kind=MatchKind.DOUBLE_CHARGE)
    assert links(flagged) == (repeat.document_id, repeat.pk, invoice.pk, paid.pk)


def test_second_confirmation_of_a_settled_invoice_is_flagged(
    workspace: Workspace, bank: Connection, acme: Vendor
) -> None:
    invoice, paid = settled_invoice(workspace, bank, acme)
    second = payment_document(
        workspace, amount="1250.00", currency="EUR", execution_date="2026-11-24",
        beneficiary_name="ACME Supplies GmbH", beneficiary_iban=ACME_IBAN,
        reference="INV-2026-0042",
    )  # fmt: skip

    match_window(workspace_id=workspace.pk, today=TODAY)

    flagged = Match.objects.get(kind=MatchKind.DOUBLE_CHARGE)
    assert links(flagged) == (second.pk, None, invoice.pk, paid.pk)
    assert flagged.reasons == [
        "a second payment of invoice INV-2026-0042, already settled by a matched debit"
    ]


def test_confirmation_of_the_same_debit_is_not_a_double_charge(
    workspace: Workspace, bank: Connection, acme: Vendor
) -> None:
    settled_invoice(workspace, bank, acme)
    payment_document(
        workspace, amount="1250.00", currency="EUR", execution_date="2026-11-03",
        beneficiary_name="ACME Supplies GmbH", beneficiary_iban=ACME_IBAN,
        reference="INV-2026-0042",
    )  # fmt: skip

    match_window(workspace_id=workspace.pk, today=TODAY)

    assert not Match.objects.filter(kind=MatchKind.DOUBLE_CHARGE).exists()


@pytest.fixture
def user(workspace: Workspace) -> AbstractUser:
    """The reviewer who decides the held reminder."""
    return make_user(workspace=workspace)


@pytest.fixture
def held(workspace: Workspace, bank: Connection, acme: Vendor) -> tuple[Invoice, Match]:
    """A reminder of a settled invoice, held by the window: the reminder and its flag."""
    settled_invoice(workspace, bank, acme)
    repeat = reminder(workspace, acme)
    match_window(workspace_id=workspace.pk, today=TODAY)
    return repeat, Match.objects.get(kind=MatchKind.DOUBLE_CHARGE)


def a_revision_of_the_posted_invoice(repeat: Invoice) -> None:
    """The held reminder turns out to revise the invoice already posted."""
    original = Invoice.objects.get(status=InvoiceStatus.POSTED)
    Invoice.objects.filter(pk=repeat.pk).update(revision_of=original)


@pytest.mark.postgres
def test_refuse_records_who_and_when_and_refuses_the_invoice(
    user: AbstractUser, held: tuple[Invoice, Match]
) -> None:
    repeat, flagged = held

    refused = refuse_double_charge(match=flagged, user=user)

    assert (refused.status, refused.decided_by_id) == (MatchStatus.REFUSED, user.pk)
    assert refused.decided_at is not None
    repeat.refresh_from_db()
    assert (repeat.status, repeat.is_held, repeat.decided_by_id) == (
        InvoiceStatus.REFUSED,
        True,
        user.pk,
    )
    decision = Decision.objects.get(action=DecisionAction.REFUSE)
    assert (decision.actor_id, decision.invoice_id, decision.match_id, decision.reason) == (
        user.pk,
        repeat.pk,
        flagged.pk,
        "Double charge of invoice INV-2026-0042, already paid.",
    )
    assert (decision.before["invoice_status"], decision.after["status"]) == (
        InvoiceStatus.NEEDS_REVIEW,
        MatchStatus.REFUSED,
    )
    # What became of the invoice is recorded too, not only what it was.
    assert (decision.after["invoice_status"], decision.after["is_held"]) == (
        InvoiceStatus.REFUSED,
        True,
    )


def test_not_a_duplicate_releases_the_hold_and_is_not_flagged_again(
    workspace: Workspace, user: AbstractUser, held: tuple[Invoice, Match]
) -> None:
    repeat, flagged = held

    dismissed = dismiss_double_charge(match=flagged, user=user)
    match_window(workspace_id=workspace.pk, today=TODAY)

    assert (dismissed.status, dismissed.decided_by_id) == (MatchStatus.DISMISSED, user.pk)
    repeat.refresh_from_db()
    assert (repeat.is_held, repeat.hold_reason, repeat.can_approve) == (False, "", True)
    assert Match.objects.filter(kind=MatchKind.DOUBLE_CHARGE).count() == 1
    decision = Decision.objects.get(action=DecisionAction.NOT_DUPLICATE)
    assert (decision.actor_id, decision.invoice_id, decision.after["is_held"]) == (
        user.pk,
        repeat.pk,
        False,
    )


def test_refusing_twice_is_refused(user: AbstractUser, held: tuple[Invoice, Match]) -> None:
    _, flagged = held
    refuse_double_charge(match=flagged, user=user)

    with pytest.raises(IllegalTransitionError):
        dismiss_double_charge(match=flagged, user=user)

    assert Decision.objects.filter(action=DecisionAction.NOT_DUPLICATE).count() == 0


def test_not_a_duplicate_keeps_the_hold_of_a_revision_nobody_decided(
    user: AbstractUser, held: tuple[Invoice, Match]
) -> None:
    repeat, flagged = held
    a_revision_of_the_posted_invoice(repeat)

    dismiss_double_charge(match=flagged, user=user)

    repeat.refresh_from_db()
    assert (repeat.is_held, repeat.can_approve) == (True, False)
    assert repeat.hold_reason == (
        "Revised after posting: invoice INV-2026-0042 is already in Qonto; refuse this "
        "version or post it as its own entry."
    )
    decision = Decision.objects.get(action=DecisionAction.NOT_DUPLICATE)
    assert decision.after["is_held"] is True


def test_not_a_duplicate_releases_a_revision_a_person_chose_to_post(
    workspace: Workspace, user: AbstractUser, held: tuple[Invoice, Match]
) -> None:
    repeat, flagged = held
    a_revision_of_the_posted_invoice(repeat)
    Decision.record(
        workspace=workspace.pk,
        action=DecisionAction.POST_ANYWAY,
        actor=user,
        invoice=repeat,
        document=repeat.document_id,
        before={},
        after={},
        reason="Posted as its own entry.",
    )

    dismiss_double_charge(match=flagged, user=user)

    repeat.refresh_from_db()
    assert (repeat.is_held, repeat.hold_reason) == (False, "")


def test_not_a_duplicate_keeps_the_hold_of_an_open_bank_detail_change(
    workspace: Workspace, acme: Vendor, user: AbstractUser, held: tuple[Invoice, Match]
) -> None:
    repeat, flagged = held
    make_bank_detail_change(
        repeat, acme, ACME_IBAN, "New IBAN DE89370400440532013000 for ACME Supplies GmbH."
    )

    dismiss_double_charge(match=flagged, user=user)

    repeat.refresh_from_db()
    assert (repeat.is_held, repeat.can_approve) == (True, False)
    assert repeat.hold_reason == "New IBAN DE89370400440532013000 for ACME Supplies GmbH."
