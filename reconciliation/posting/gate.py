"""The gate before posting: has this invoice been paid, or received, already?

Each claimed invoice never sent (no upload that may have reached Qonto:
`reconciliation.posting.lookup.sent_before`) is checked, before the probe and the upload,
against:

- the workspace's *executed* Qonto debits (``completed``) to the same beneficiary — the
  invoice's IBAN or one its vendor is known to use, or a counterparty named like the supplier
  (90 % alike) — for the same amount, in the account currency or in the source currency
  (Qonto's ``local_amount`` / ``local_currency``), dated within the workspace's match window
  around the invoice: from ``match_days_before`` days before its issue date to
  ``match_days_after`` days after its due date (or issue date). Only a debit nothing explains
  counts (paid by hand): one Well's matcher already linked to an invoice or a confirmation —
  this invoice's own known payment included — or flagged as this invoice's possible double
  payment (a person sees it beside the invoice already) is not a hit;
- every other supplier invoice of the workspace (refused ones aside) with the same normalised
  number and the same amount and currency, from the same supplier under any spelling: the same
  vendor (or one merged into it), VAT id, IBAN, or a name 80 % alike. An invoice not yet posted
  is a hit only for the later of the two, so two copies never hold each other.

A hit holds the invoice as a *possible double payment* (``possible_double_payment``): it goes
back to the review queue, first, with a ``double_charge`` match naming the debit or the
invoice beside it — the existing double-charge panel, where one click refuses it
(`reconciliation.matching.refuse_double_charge`) or releases it (`release`). A released hit is
a dismissed match: the invoice is not gated again for the same debit or invoice. A hit still
proposed is no answer: if something else lifted the hold, the next window raises it again.

An invoice whose bank details wait for their four-eyes confirmation is never posted either:
the gate sends it back to review (a hold another answer released by mistake comes back).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Q

from reconciliation.invoices.reasons import Reason
from reconciliation.invoices.reasons import code_of
from reconciliation.invoices.reasons import sentence
from reconciliation.models import BankDetailChange
from reconciliation.models import Decision
from reconciliation.models import DecisionAction
from reconciliation.models import Invoice
from reconciliation.models import InvoiceStatus
from reconciliation.models import Match
from reconciliation.models import MatchKind
from reconciliation.models import MatchStatus
from reconciliation.models import Side
from reconciliation.models import Transaction
from reconciliation.models import TransactionStatus
from reconciliation.models import Workspace
from reconciliation.money import format_money
from reconciliation.posting.leases import locked_if_held
from reconciliation.posting.lookup import sent_before
from reconciliation.posting.state import Window
from reconciliation.text.identifiers import compact_vat_id
from reconciliation.text.identifiers import iban_key
from reconciliation.text.names import counterparty_similarity
from reconciliation.text.names import name_similarity
from reconciliation.text.names import normalize_counterparty
from reconciliation.text.names import normalize_name
from reconciliation.vendors.bank_details import known_accounts
from reconciliation.vendors.bank_details import open_change

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

logger = logging.getLogger("reconciliation.posting")

BENEFICIARY_SIMILARITY = 0.9
SUPPLIER_SIMILARITY = 0.8
GATE_SCORE = Decimal(100)
_SETTLED = (MatchStatus.CONFIRMED, MatchStatus.ATTACHED)
#: A person's answers to a double-charge flag: not a duplicate, or refused.
_ANSWERED = (MatchStatus.DISMISSED, MatchStatus.REFUSED)


@dataclass(frozen=True)
class GateHit:
    reason: Reason
    transaction: Transaction | None = None
    invoice: Invoice | None = None
    amount_basis: str = "source"


def gate_chunk(window: Window, invoices: list[Invoice]) -> list[Invoice]:
    """The claimed invoices that may go on to the probe and the upload; the others are held
    for a person (a possible double payment) or sent back to review (bank details)."""
    going: list[Invoice] = []
    sent = sent_before([invoice.pk for invoice in invoices])
    for invoice in invoices:
        change = open_change(invoice.pk)
        if change is not None:
            _back_to_review(window, invoice, change)
            continue
        hit = find_hit(window.workspace, invoice) if invoice.pk not in sent else None
        if hit is None:
            going.append(invoice)
        else:
            _hold(window, invoice, hit)
    return going


def find_hit(workspace: Workspace, invoice: Invoice) -> GateHit | None:
    """The debit that already paid the invoice, else the invoice it repeats, else None."""
    if invoice.total_amount is None or invoice.is_credit_note:
        return None
    released = _released(invoice)
    return _paying_debit(workspace, invoice, released) or _same_invoice(
        workspace, invoice, released
    )


def _released(invoice: Invoice) -> set[tuple[str, int]]:
    """The hits a person already answered for this invoice (released or refused). A hit still
    proposed is not an answer: a hold lifted some other way is raised again."""
    answered = Match.objects.filter(
        invoice=invoice, kind=MatchKind.DOUBLE_CHARGE, status__in=_ANSWERED
    ).values_list("transaction_id", "settled_invoice_id")
    found: set[tuple[str, int]] = set()
    for transaction_id, settled_id in answered:
        if transaction_id is not None:
            found.add(("debit", transaction_id))
        if settled_id is not None:
            found.add(("invoice", settled_id))
    return found


def match_window(workspace: Workspace, invoice: Invoice) -> tuple[date, date] | None:
    start = invoice.issue_date or invoice.due_date
    if start is None:
        return None
    end = max(start, invoice.due_date or start)
    return (
        start - timedelta(days=workspace.match_days_before),
        end + timedelta(days=workspace.match_days_after),
    )


def _paying_debit(
    workspace: Workspace, invoice: Invoice, released: set[tuple[str, int]]
) -> GateHit | None:
    window = match_window(workspace, invoice)
    amount = Decimal(invoice.total_amount or 0).copy_abs()
    currency = (invoice.currency or workspace.home_currency).upper()
    if window is None or not amount:
        return None
    # A debit Well's matcher already linked to paperwork is explained: another invoice's
    # payment, or this invoice's own known payment (then the invoice is settled, and Qonto's
    # matcher attaches it to that debit once it is posted). Only a payment nothing explains —
    # made by hand — can be paid a second time through Qonto's list of invoices to pay.
    explained = Match.objects.for_workspace(workspace).filter(
        Q(kind__in=(MatchKind.INVOICE_DEBIT, MatchKind.CONFIRMATION_DEBIT), status__in=_SETTLED)
        # A debit the matcher flagged as this invoice's possible double payment is already in
        # front of a person, beside the invoice: not a second hold for the same money.
        | Q(kind=MatchKind.DOUBLE_PAYMENT, invoice=invoice),
        transaction__isnull=False,
    )
    debits = (
        Transaction.objects.for_workspace(workspace)
        .filter(side=Side.DEBIT, status=TransactionStatus.COMPLETED)
        .filter(value_date__range=window)
        .filter(
            Q(amount=amount, currency=currency) | Q(local_amount=amount, local_currency=currency)
        )
        .exclude(pk__in=explained.values("transaction_id"))
        .order_by("value_date", "pk")
    )
    ibans = _beneficiary_ibans(invoice)
    names = _supplier_names(invoice)
    for debit in debits:
        if ("debit", debit.pk) in released:
            continue
        by_iban = bool(debit.counterparty_iban) and iban_key(debit.counterparty_iban) in ibans
        counterparty = debit.normalized_counterparty or normalize_counterparty(
            debit.counterparty_name
        )
        by_name = any(
            counterparty_similarity(name, counterparty) >= BENEFICIARY_SIMILARITY for name in names
        )
        if by_iban or by_name:
            return _debit_hit(invoice, debit, amount, currency, by_iban)
    return None


def _debit_hit(
    invoice: Invoice, debit: Transaction, amount: Decimal, currency: str, by_iban: bool
) -> GateHit:
    basis = "source" if debit.currency == currency and debit.amount == amount else "local"
    paid = format_money(debit.amount, debit.currency)
    if basis == "local":
        paid += f" ({format_money(amount, currency)})"
    who = f"IBAN {debit.counterparty_iban}" if by_iban else f"“{debit.counterparty_name}”"
    what = (
        f"the bank already paid {paid} to {who} on {debit.value_date:%Y-%m-%d} (transaction "
        f"{debit.qonto_id}, reference {debit.reference or '—'!s}) — invoice "
        f"{invoice.number or invoice.pk} may have been paid by hand."
    )
    return GateHit(
        sentence("possible_double_payment", what=what), transaction=debit, amount_basis=basis
    )


def _beneficiary_ibans(invoice: Invoice) -> set[str]:
    ibans = {iban_key(invoice.supplier_iban)} - {""}
    if invoice.vendor is not None:
        ibans |= {account.iban for account in known_accounts(invoice.vendor)}
        ibans |= {iban_key(str(i)) for i in invoice.vendor.ibans or [] if i}
    return ibans


def _supplier_names(invoice: Invoice) -> list[str]:
    names = [invoice.supplier_name]
    if invoice.vendor is not None:
        names += [invoice.vendor.name, invoice.vendor.legal_name]
        names += [str(alias) for alias in invoice.vendor.aliases or []]
    return sorted({normalize_counterparty(name) for name in names if name} - {""})


def _same_invoice(
    workspace: Workspace, invoice: Invoice, released: set[tuple[str, int]]
) -> GateHit | None:
    if not invoice.normalized_number:
        return None
    others = (
        Invoice.objects.for_workspace(workspace)
        .filter(
            normalized_number=invoice.normalized_number,
            total_amount=invoice.total_amount,
            currency=invoice.currency,
            is_credit_note=False,
        )
        .exclude(pk=invoice.pk)
        .exclude(status=InvoiceStatus.REFUSED)
        .filter(Q(status=InvoiceStatus.POSTED) | Q(pk__lt=invoice.pk))
        .select_related("vendor")
        .order_by("pk")
    )
    for other in others:
        if ("invoice", other.pk) in released or not _same_supplier(invoice, other):
            continue
        money = format_money(invoice.total_amount, invoice.currency)
        status = str(other.get_status_display())
        what = (
            f"invoice {other.number} of {money} from “{other.supplier_name}” is already in Well "
            f"({status[:1].lower()}{status[1:]}); this one repeats its number and amount."
        )
        return GateHit(sentence("possible_double_payment", what=what), invoice=other)
    return None


def _same_supplier(invoice: Invoice, other: Invoice) -> bool:
    if invoice.vendor_id is not None and invoice.vendor_id in (
        other.vendor_id,
        getattr(other.vendor, "merged_into_id", None),
    ):
        return True
    if other.vendor is not None and other.vendor.merged_into_id == invoice.vendor_id:
        return True
    vat = compact_vat_id(invoice.supplier_vat_id)
    if vat and vat == compact_vat_id(other.supplier_vat_id):
        return True
    iban = iban_key(invoice.supplier_iban)
    if iban and iban == iban_key(other.supplier_iban):
        return True
    similarity = name_similarity(
        normalize_name(invoice.supplier_name), normalize_name(other.supplier_name)
    )
    return similarity >= SUPPLIER_SIMILARITY


# --- acting on a hit ------------------------------------------------------------------------


def _hold(window: Window, invoice: Invoice, hit: GateHit) -> None:
    if _hold_in_window(window, invoice, hit.reason.text, code=hit.reason.code, hit=hit):
        logger.info("posting gate: invoice %s held: %s", invoice.pk, hit.reason.text)
        window.tally.add_cause("held before posting (possible_double_payment)")


def _back_to_review(window: Window, invoice: Invoice, change: BankDetailChange) -> None:
    _hold_in_window(
        window,
        invoice,
        change.reason,
        code=change.code,
        why=f"Not posted: its bank details wait for two confirmations. {change.reason}",
    )


def _hold_in_window(
    window: Window,
    invoice: Invoice,
    shown: str,
    *,
    code: str,
    why: str = "",
    hit: GateHit | None = None,
) -> bool:
    """Hold a claimed invoice for a person (`shown` on its page; `why` recorded, `shown` when
    empty), with the double-charge flag of a gate hit. False when the lease was lost."""
    with transaction.atomic():
        locked = locked_if_held(window, invoice)
        if locked is None:
            return False
        locked.probe_to_review([shown])
        locked.hold(shown)
        locked.save()
        Decision.record_for_invoice(
            locked,
            DecisionAction.HOLD,
            actor=None,
            match=None if hit is None else _hit_match(locked, hit),
            before={"status": InvoiceStatus.POSTING},
            after={"status": locked.status, "is_held": True, "code": code},
            reason=why or shown,
        )
    window.tally.probe_review += 1
    return True


def _hit_match(invoice: Invoice, hit: GateHit) -> Match:
    """The flag for the hit: the one still proposed from an earlier hold (lifted some other
    way, so unanswered) is raised again as it is, never doubled."""
    proposed = Match.objects.filter(
        invoice=invoice,
        kind=MatchKind.DOUBLE_CHARGE,
        status=MatchStatus.PROPOSED,
        transaction=hit.transaction,
        settled_invoice=hit.invoice,
    ).first()
    if proposed is not None:
        return proposed
    return Match.objects.create(
        workspace_id=invoice.workspace_id,
        kind=MatchKind.DOUBLE_CHARGE,
        status=MatchStatus.PROPOSED,
        invoice=invoice,
        document_id=invoice.document_id,
        transaction=hit.transaction,
        settled_invoice=hit.invoice,
        score=GATE_SCORE,
        reasons=[hit.reason.text],
        amount_basis=hit.amount_basis,
        matched_amount=invoice.total_amount,
        matched_currency=invoice.currency,
    )


def is_gate_hit(match: Match) -> bool:
    """Whether a double-charge match was raised by this gate (its reason's code)."""
    return bool(match.reasons) and code_of(str(match.reasons[0])) == "possible_double_payment"


def release(*, match: Match, user: AbstractBaseUser) -> Invoice:
    """One click: not a double payment. The hit is dismissed (so never raised again), the hold
    released unless something else holds the invoice, and the invoice — approved before the
    gate stopped it — goes back to the outbox. Both steps are recorded."""
    from reconciliation.matching import dismiss_double_charge
    from reconciliation.review import approve_invoice

    dismiss_double_charge(
        match=match,
        user=user,
        reason="Released: not a double payment (checked by a person before posting).",
    )
    invoice = Invoice.objects.get(pk=match.invoice_id or 0)
    if invoice.can_approve and open_change(invoice.pk) is None:
        approve_invoice(invoice=invoice, user=user)
        invoice.refresh_from_db()
    return invoice
