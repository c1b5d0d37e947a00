"""Bank-detail drift: a new IBAN holds the invoice whatever its score, the admins hear of it
once, and two different people must confirm the new bank details."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import AbstractUser
from django.core import mail

from reconciliation.invoices.reasons import code_of
from reconciliation.invoices.routing import route_invoice
from reconciliation.invoices.scoring import Score
from reconciliation.models import BankAccountOrigin
from reconciliation.models import BankChangeStatus
from reconciliation.models import BankDetailChange
from reconciliation.models import Decision
from reconciliation.models import DecisionAction
from reconciliation.models import Invoice
from reconciliation.models import InvoiceStatus
from reconciliation.models import Role
from reconciliation.models import Vendor
from reconciliation.models import VendorBankAccount
from reconciliation.models import Workspace
from reconciliation.review import ReviewError
from reconciliation.review import approve_invoice
from reconciliation.vendors.bank_details import Confirmation
from reconciliation.vendors.bank_details import FourEyesError
from reconciliation.vendors.bank_details import confirm_bank_details
from tests.factories import make_routed_invoice
from tests.factories import make_trained_vendor
from tests.factories import make_user

pytestmark = pytest.mark.django_db

KNOWN = "DE89370400440532013000"
SAME_BANK = "DE75370400440532013001"  # same bank (37040044), another account
OTHER_BANK = "LT121000011101001000"


def trained_vendor(workspace: Workspace, *ibans: str) -> Vendor:
    return make_trained_vendor(workspace, "Acme Supplies GmbH", ibans=ibans)


def routed(workspace: Workspace, vendor: Vendor, iban: str, value: str = "97.00") -> Invoice:
    return make_routed_invoice(workspace, vendor, value, supplier_iban=iban)


@pytest.fixture
def held(workspace: Workspace) -> Invoice:
    """An invoice of a vendor known at one bank (KNOWN) asking to be paid at another: held."""
    return routed(workspace, trained_vendor(workspace, KNOWN), OTHER_BANK)


@pytest.fixture
def alice(workspace: Workspace) -> AbstractUser:
    """A reviewer of the workspace: one of the two people who confirm new bank details."""
    return make_user("alice", workspace=workspace, role=Role.REVIEWER)


@pytest.fixture
def bob(workspace: Workspace) -> AbstractUser:
    """An admin of the workspace, the other person: an admin's role lifts no hold alone."""
    return make_user("bob", workspace=workspace, role=Role.ADMIN)


def assert_confirmed_by_two(
    invoice: Invoice, second: Confirmation, first_by: AbstractUser, then_by: AbstractUser
) -> None:
    """``first_by`` then ``then_by`` confirmed the new bank details: the hold is lifted and the
    second person approved the invoice."""
    invoice.refresh_from_db()
    change = BankDetailChange.objects.get(invoice=invoice)
    assert second.status == BankChangeStatus.CONFIRMED
    assert (change.first_confirmed_by_id, change.confirmed_by_id) == (first_by.pk, then_by.pk)
    assert (invoice.status, invoice.is_held, invoice.decided_by_id) == (
        InvoiceStatus.APPROVED,
        False,
        then_by.pk,
    )


def assert_still_held(invoice: Invoice) -> None:
    invoice.refresh_from_db()
    assert (invoice.status, invoice.is_held) == (InvoiceStatus.NEEDS_REVIEW, True)
    assert not VendorBankAccount.objects.filter(iban=OTHER_BANK).exists()


def test_a_known_iban_auto_posts(workspace: Workspace) -> None:
    vendor = trained_vendor(workspace, KNOWN)

    invoice = routed(workspace, vendor, KNOWN)

    assert (invoice.status, invoice.is_held) == (InvoiceStatus.APPROVED, False)
    assert BankDetailChange.objects.count() == 0


def test_a_changed_iban_holds_an_invoice_that_would_otherwise_auto_post(
    workspace: Workspace,
) -> None:
    vendor = trained_vendor(workspace, KNOWN)

    invoice = routed(workspace, vendor, SAME_BANK, value="99.00")

    assert invoice.status == InvoiceStatus.NEEDS_REVIEW
    assert invoice.is_held is True
    assert code_of(invoice.hold_reason) == "iban_changed"
    assert invoice.hold_reason == (
        f"Possible payment fraud: the IBAN {SAME_BANK} differs from every IBAN "
        f"Acme Supplies GmbH used before ({KNOWN})."
    )
    route = Decision.objects.get(invoice=invoice, action=DecisionAction.ROUTE)
    assert route.after["reason_codes"] == ["iban_changed", "auto_post_threshold_reached"]
    change = BankDetailChange.objects.get(invoice=invoice)
    assert (change.status, change.iban, change.known_ibans) == (
        BankChangeStatus.PENDING,
        SAME_BANK,
        [KNOWN],
    )


def test_another_bank_is_flagged_as_a_bank_change(workspace: Workspace) -> None:
    vendor = trained_vendor(workspace, KNOWN)

    invoice = routed(workspace, vendor, OTHER_BANK)

    assert code_of(invoice.hold_reason) == "iban_bank_changed"
    assert invoice.hold_reason.endswith("; bank DE 37040044 → LT 10000.")


def test_a_routing_rule_cannot_release_a_bank_change(workspace: Workspace) -> None:
    from reconciliation.models import RoutingRule

    vendor = trained_vendor(workspace, KNOWN)
    RoutingRule.objects.create(
        workspace=workspace,
        name="Trust Acme",
        vendor=vendor,
        review_threshold=Decimal(0),
        auto_post_threshold=Decimal(0),
    )

    invoice = routed(workspace, vendor, OTHER_BANK)

    assert (invoice.status, invoice.is_held) == (InvoiceStatus.NEEDS_REVIEW, True)


def test_a_vendors_first_iban_is_recorded_not_held(workspace: Workspace) -> None:
    vendor = trained_vendor(workspace)

    invoice = routed(workspace, vendor, KNOWN)

    assert (invoice.status, invoice.is_held) == (InvoiceStatus.APPROVED, False)
    account = VendorBankAccount.objects.get(vendor=vendor)
    assert (account.iban, account.origin, account.first_invoice_id, account.confirmed_by_id) == (
        KNOWN,
        BankAccountOrigin.FIRST,
        invoice.pk,
        None,
    )


def test_the_admins_are_emailed_once_per_invoice(
    workspace: Workspace, django_capture_on_commit_callbacks: Any
) -> None:
    make_user("boss", workspace=workspace, role=Role.ADMIN)
    make_user("clerk", workspace=workspace, role=Role.REVIEWER)
    other = Workspace.objects.create(name="Other", slug="other-ws")
    outsider = make_user("outsider", workspace=other, role=Role.ADMIN)
    from reconciliation.models import Membership

    Membership.objects.create(workspace=workspace, user_id=outsider.pk, role=Role.REVIEWER)
    vendor = trained_vendor(workspace, KNOWN)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        invoice = routed(workspace, vendor, OTHER_BANK)
    with django_capture_on_commit_callbacks(execute=True):
        route_invoice(invoice=invoice, score=Score(value=Decimal("98.00")))

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["boss@example.com"]
    assert "new bank details" in mail.outbox[0].subject
    change = BankDetailChange.objects.get(invoice=invoice)
    assert change.alerted_to == ["boss@example.com"]


def test_the_four_eyes_rule_refuses_a_self_approval(held: Invoice, alice: AbstractUser) -> None:
    first = confirm_bank_details(invoice_id=held.pk, user=alice)
    with pytest.raises(FourEyesError, match="another person must give the second"):
        confirm_bank_details(invoice_id=held.pk, user=alice)

    assert first.status == BankChangeStatus.HALF_CONFIRMED
    assert_still_held(held)


def test_a_held_invoice_cannot_be_approved_around_the_confirmation(
    held: Invoice, bob: AbstractUser
) -> None:
    with pytest.raises(ReviewError, match="held out of posting"):
        approve_invoice(invoice=held, user=bob)


def test_a_second_person_confirms_and_the_iban_becomes_known(
    workspace: Workspace, held: Invoice, alice: AbstractUser, bob: AbstractUser
) -> None:
    confirm_bank_details(invoice_id=held.pk, user=alice)
    second = confirm_bank_details(invoice_id=held.pk, user=bob)

    assert_confirmed_by_two(held, second, alice, bob)
    account = VendorBankAccount.objects.get(vendor=held.vendor, iban=OTHER_BANK)
    assert (account.origin, account.confirmed_by_id) == (BankAccountOrigin.CONFIRMED, bob.pk)
    assert routed(workspace, held.vendor, OTHER_BANK).status == InvoiceStatus.APPROVED


def test_an_iban_corrected_to_a_known_one_keeps_the_hold_until_a_second_person(
    held: Invoice, alice: AbstractUser
) -> None:
    Invoice.objects.filter(pk=held.pk).update(supplier_iban=KNOWN)

    result = confirm_bank_details(invoice_id=held.pk, user=alice)

    change = BankDetailChange.objects.get(invoice=held)
    assert result.status == BankChangeStatus.HALF_CONFIRMED
    assert (change.iban, change.first_confirmed_by_id) == (KNOWN, alice.pk)
    assert_still_held(held)


def test_one_person_cannot_correct_the_iban_and_release_the_hold_alone(
    held: Invoice, alice: AbstractUser, bob: AbstractUser
) -> None:
    """Not even an admin: bob corrects and confirms, then can neither approve nor confirm."""
    Invoice.objects.filter(pk=held.pk).update(supplier_iban=KNOWN)
    confirm_bank_details(invoice_id=held.pk, user=bob)

    with pytest.raises(ReviewError, match="held out of posting"):
        approve_invoice(invoice=Invoice.objects.get(pk=held.pk), user=bob)
    with pytest.raises(FourEyesError, match="another person must give the second"):
        confirm_bank_details(invoice_id=held.pk, user=bob)
    second = confirm_bank_details(invoice_id=held.pk, user=alice)

    assert_confirmed_by_two(held, second, bob, alice)


def test_an_iban_corrected_to_another_new_one_restarts_the_confirmations(
    held: Invoice, alice: AbstractUser, bob: AbstractUser
) -> None:
    confirm_bank_details(invoice_id=held.pk, user=alice)
    Invoice.objects.filter(pk=held.pk).update(supplier_iban=SAME_BANK)

    result = confirm_bank_details(invoice_id=held.pk, user=bob)

    change = BankDetailChange.objects.get(invoice=held)
    held.refresh_from_db()
    assert (result.status, change.iban, change.code, change.first_confirmed_by_id) == (
        BankChangeStatus.PENDING,
        SAME_BANK,
        "iban_changed",
        None,
    )
    assert (held.is_held, code_of(held.hold_reason)) == (True, "iban_changed")
