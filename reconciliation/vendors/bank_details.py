"""Bank-detail drift: an invoice asking to be paid to an IBAN its vendor never used.

The vendor's known IBANs are its `VendorBankAccount` rows (and those of vendors merged into
it). When an invoice is routed:

- no IBAN on the invoice, or no vendor: nothing to check;
- the vendor has no known IBAN yet (a new vendor, or one whose earlier invoices never printed
  an IBAN): the invoice's IBAN is its first, recorded as known ("first", nobody confirmed it)
  and not held — there is nothing it could differ from. The history says so;
- a known IBAN: its "last seen" moves on;
- any other IBAN: the invoice is *held* with a fraud warning (``iban_changed``, or
  ``iban_bank_changed`` when its country or bank code differs from every known IBAN's),
  whatever its confidence and the routing rules, and the workspace's administrators are
  e-mailed once (`reconciliation.invoices.alerts`).

Four-eyes: a held invoice is released by two confirmations from two different people. The
first confirmation records who vouched for the new bank details; the second must come from
someone else (a self-approval is refused with `FourEyesError`); it makes the IBAN known for the
vendor (confirmed by the second person, with the first one kept on the change) and approves
the invoice for the next posting window. A refused invoice keeps its change open: reopened,
it still needs the two confirmations. An IBAN a reviewer corrects meanwhile (a misread) is
checked again at the next confirmation: a known one counts as the first confirmation (by
whoever confirms the correction) and the hold stays until a second person confirms it; another
new one restarts the two confirmations for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from typing import Literal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from reconciliation.invoices.reasons import Reason
from reconciliation.invoices.reasons import sentence
from reconciliation.models import BankAccountOrigin
from reconciliation.models import BankChangeStatus
from reconciliation.models import BankDetailChange
from reconciliation.models import Decision
from reconciliation.models import DecisionAction
from reconciliation.models import Invoice
from reconciliation.models import InvoiceStatus
from reconciliation.models import Vendor
from reconciliation.models import VendorBankAccount
from reconciliation.text.identifiers import iban_bank
from reconciliation.text.identifiers import iban_key

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

Verdict = Literal["none", "first", "known", "changed"]


class FourEyesError(Exception):
    """The confirmation cannot be taken by this person, or not now."""


@dataclass(frozen=True)
class BankCheck:
    verdict: Verdict
    iban: str = ""
    known: tuple[str, ...] = ()
    reason: Reason | None = None


@dataclass(frozen=True)
class Confirmation:
    invoice_id: int
    status: str  # the change's status after this confirmation
    message: str


def known_accounts(vendor: Vendor) -> list[VendorBankAccount]:
    """The vendor's known IBANs, those of the vendors merged into it included."""
    return list(
        VendorBankAccount.objects.for_workspace(vendor.workspace_id)
        .filter(Q(vendor=vendor) | Q(vendor__merged_into=vendor))
        .order_by("first_seen_at", "pk")
    )


def check_bank_details(invoice: Invoice) -> BankCheck:
    """Whether the invoice's IBAN is its vendor's first, a known one, or a change."""
    iban = iban_key(invoice.supplier_iban)
    vendor = invoice.vendor
    if not iban or vendor is None:
        return BankCheck("none")
    accounts = known_accounts(vendor)
    known = tuple(account.iban for account in accounts)
    if not accounts:
        return BankCheck("first", iban)
    if iban in known:
        return BankCheck("known", iban, known)
    shown = ", ".join(known)
    bank = iban_bank(iban)
    banks = {(account.country, account.bank_code) for account in accounts}
    if bank.country and (bank.country, bank.bank_code) not in banks:
        before = sorted({f"{c} {b}".strip() for c, b in banks})
        change = f"bank {', '.join(before)} → {bank.country} {bank.bank_code}".strip()
        return BankCheck(
            "changed",
            iban,
            known,
            sentence(
                "iban_bank_changed", iban=iban, vendor=vendor.name, known=shown, change=change
            ),
        )
    return BankCheck(
        "changed", iban, known, sentence("iban_changed", iban=iban, vendor=vendor.name, known=shown)
    )


def apply_bank_check(invoice: Invoice) -> BankCheck:
    """Record what the check found: a first or known IBAN in the vendor's history, or a hold
    with its `BankDetailChange` (once per invoice; the alert is sent after commit). The invoice
    is changed in memory (``hold``); the caller saves it."""
    check = check_bank_details(invoice)
    if check.verdict == "none" or invoice.vendor is None:
        return check
    now = timezone.now()
    if check.verdict == "known":
        VendorBankAccount.objects.for_workspace(invoice.workspace_id).filter(
            Q(vendor=invoice.vendor) | Q(vendor__merged_into=invoice.vendor), iban=check.iban
        ).update(last_seen_at=now)
        return check
    if check.verdict == "first":
        _remember(invoice.vendor, check.iban, BankAccountOrigin.FIRST, invoice, None)
        return check
    assert check.reason is not None
    existing = BankDetailChange.objects.filter(invoice_id=invoice.pk).first()
    if existing is not None and existing.status == BankChangeStatus.REFUSED:
        return check
    if existing is None:
        existing = BankDetailChange.objects.create(
            workspace_id=invoice.workspace_id,
            invoice=invoice,
            vendor=invoice.vendor,
            iban=check.iban,
            known_ibans=list(check.known),
            code=check.reason.code,
            reason=check.reason.text,
        )
    if existing.alerted_at is None and existing.is_open:
        _alert_after_commit(existing.pk)
    if existing.is_open and invoice.status not in (InvoiceStatus.POSTED, InvoiceStatus.POSTING):
        invoice.hold(check.reason.text)
    return check


def _alert_after_commit(change_id: int) -> None:
    from reconciliation.invoices.alerts import alert_bank_detail_change

    transaction.on_commit(lambda: alert_bank_detail_change(change_id))


def _remember(
    vendor: Vendor,
    iban: str,
    origin: BankAccountOrigin,
    invoice: Invoice | None,
    user: AbstractBaseUser | None,
) -> VendorBankAccount:
    now = timezone.now()
    bank = iban_bank(iban)
    account, created = VendorBankAccount.objects.get_or_create(
        vendor=vendor,
        iban=iban,
        defaults={
            "workspace_id": vendor.workspace_id,
            "country": bank.country,
            "bank_code": bank.bank_code,
            "origin": origin,
            "first_seen_at": now,
            "last_seen_at": now,
            "first_invoice": invoice,
            "confirmed_by_id": user.pk if user is not None else None,
            "confirmed_at": now if user is not None else None,
        },
    )
    if not created:
        account.last_seen_at = now
        if user is not None and account.confirmed_by_id is None:
            account.confirmed_by = user  # type: ignore[assignment]
            account.confirmed_at = now
            account.origin = origin
        account.save(update_fields=["last_seen_at", "confirmed_by", "confirmed_at", "origin"])
    return account


def confirm_bank_details(*, invoice_id: int, user: AbstractBaseUser) -> Confirmation:
    """One of the two confirmations of an invoice held for new bank details. The first
    records who vouched for them; the second, by someone else, makes the IBAN known for the
    vendor, releases the hold and approves the invoice. Raises FourEyesError otherwise."""
    with transaction.atomic():
        invoice = (
            Invoice.objects.select_for_update(of=("self",))
            .select_related("vendor")
            .get(pk=invoice_id)
        )
        change = BankDetailChange.objects.select_for_update().filter(invoice_id=invoice.pk).first()
        if change is None or not change.is_open:
            raise FourEyesError("This invoice is not waiting for a bank-detail confirmation.")
        if iban_key(invoice.supplier_iban) != change.iban:
            return _corrected(invoice, change, user)
        if change.status == BankChangeStatus.PENDING:
            change.confirm_once(user)
            change.save(update_fields=["status", "first_confirmed_by", "first_confirmed_at"])
            _record(invoice, user, change, "First confirmation of the new bank details")
            return Confirmation(
                invoice.pk,
                change.status,
                f"Confirmed once. A second person must confirm {change.iban} before the "
                "invoice can be posted.",
            )
        if change.first_confirmed_by_id == user.pk:
            raise FourEyesError(
                "Four-eyes: you gave the first confirmation of these bank details; another "
                "person must give the second."
            )
        return _second_confirmation(invoice, change, user)


def _corrected(invoice: Invoice, change: BankDetailChange, user: AbstractBaseUser) -> Confirmation:
    """A reviewer corrected the IBAN since the invoice was held (a misread). The PDF Qonto
    receives still prints the suspicious IBAN, so a correction never closes the change by
    itself: a known IBAN counts as this person's first confirmation and the hold stays until
    someone else confirms; another new one restarts the two confirmations, for that IBAN."""
    check = check_bank_details(invoice)
    before: dict[str, object] = {"iban": change.iban, "bank_details": change.status}
    if check.verdict != "changed" or check.reason is None:
        change.iban = check.iban or iban_key(invoice.supplier_iban)
        change.status = BankChangeStatus.PENDING
        change.confirm_once(user)
        change.save(update_fields=["iban", "status", "first_confirmed_by", "first_confirmed_at"])
        _record(
            invoice,
            user,
            change,
            "IBAN corrected to a known one; first confirmation by the person who corrected it",
            before,
        )
        return Confirmation(
            invoice.pk,
            change.status,
            f"The IBAN was corrected to {change.iban}, one the vendor is known to use. "
            "A second person must confirm the correction before the invoice can be posted.",
        )
    change.iban, change.known_ibans = check.iban, list(check.known)
    change.code, change.reason = check.reason.code, check.reason.text
    change.status, change.first_confirmed_by, change.first_confirmed_at = (
        BankChangeStatus.PENDING,
        None,
        None,
    )
    change.save()
    invoice.hold(check.reason.text)
    invoice.save(update_fields=["is_held", "hold_reason", "status", "updated_at"])
    _record(
        invoice, user, change, "IBAN corrected to another new one; confirmations restart", before
    )
    return Confirmation(
        invoice.pk,
        change.status,
        f"The IBAN was corrected to {check.iban}, also new for "
        "this vendor: two people must confirm it.",
    )


def _second_confirmation(
    invoice: Invoice, change: BankDetailChange, user: AbstractBaseUser
) -> Confirmation:
    change.confirm_twice(user)
    change.save(update_fields=["status", "confirmed_by", "confirmed_at"])
    _remember(change.vendor, change.iban, BankAccountOrigin.CONFIRMED, invoice, user)
    before = {"status": invoice.status, "is_held": invoice.is_held}
    invoice.release_hold()
    message = f"Bank details {change.iban} confirmed by two people; now known for the vendor."
    if invoice.can_approve:
        invoice.approve(user, "bank details confirmed by two people")
        message += " The invoice is approved for the next posting window."
    invoice.save()
    _record(invoice, user, change, "Second confirmation of the new bank details", before)
    return Confirmation(invoice.pk, change.status, message)


def _record(
    invoice: Invoice,
    user: AbstractBaseUser,
    change: BankDetailChange,
    what: str,
    before: dict[str, object] | None = None,
) -> None:
    Decision.record_for_invoice(
        invoice,
        DecisionAction.APPROVE,
        actor=user,
        vendor=change.vendor_id,
        before=before or {"bank_details": BankChangeStatus.PENDING},
        after={
            "bank_details": change.status,
            "iban": change.iban,
            "first_confirmed_by": change.first_confirmed_by_id,
            "confirmed_by": change.confirmed_by_id,
            "status": invoice.status,
            "is_held": invoice.is_held,
        },
        reason=f"{what} ({change.iban}, code {change.code}).",
    )


def open_change(invoice_id: int) -> BankDetailChange | None:
    return BankDetailChange.objects.open().filter(invoice_id=invoice_id).first()
