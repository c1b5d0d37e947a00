"""Double charges: a payment request for an invoice that a matched debit already settled.

A request is a new supplier invoice (or a reminder, which is an invoice with the same number)
or a second payment confirmation. It repeats a settled invoice when it comes from the same
issuer with the same invoice number, or with the same amount and a close date. The request is
linked to the settled invoice by a ``double_charge`` match, its invoice is held out of posting,
and a reviewer refuses it in one click or overrides with "not a duplicate".
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from decimal import Decimal

from django.db import transaction as db_transaction

from reconciliation.matching.confirmations import ConfirmationOutcome
from reconciliation.matching.invoices import OPEN_INVOICE_STATUSES
from reconciliation.matching.invoices import InvoiceDirectory
from reconciliation.matching.invoices import InvoiceFacts
from reconciliation.matching.invoices import party_keys
from reconciliation.models import Decision
from reconciliation.models import DecisionAction
from reconciliation.models import Invoice
from reconciliation.models import Match
from reconciliation.models import MatchKind
from reconciliation.models import MatchStatus
from reconciliation.money import format_money

logger = logging.getLogger("reconciliation.matching")

#: Same issuer and amount within this many days (and a different or no number) is a repeat.
CLOSE_DATE_DAYS = 10
SAME_NUMBER_SCORE = Decimal(100)
SAME_AMOUNT_SCORE = Decimal(85)


@dataclass
class DoubleChargeOutcome:
    flagged: int = 0
    held_invoice_ids: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class Repeat:
    settled: InvoiceFacts
    score: Decimal
    reason: str


def find_repeat(
    *,
    keys: tuple[str, ...],
    number: str,
    amount: Decimal | None,
    currency: str,
    on: date | None,
    settled: dict[int, tuple[int, int | None, int | None]],
    invoices: InvoiceDirectory,
    exclude_invoice_id: int | None = None,
) -> Repeat | None:
    """The settled invoice a request repeats, if any (same number first, then amount + date)."""
    if number:
        for key in keys:
            for facts in invoices.by_number.get((key, number), ()):
                if facts.id in settled and facts.id != exclude_invoice_id:
                    return Repeat(
                        facts,
                        SAME_NUMBER_SCORE,
                        f"same issuer and invoice number {facts.number} as an invoice already "
                        "settled by a matched debit",
                    )
    if amount is None or on is None:
        return None
    for key in keys:
        for facts in invoices.by_amount.get((key, currency, amount), ()):
            if facts.id not in settled or facts.id == exclude_invoice_id:
                continue
            if facts.issue_date is None or abs((facts.issue_date - on).days) > CLOSE_DATE_DAYS:
                continue
            return Repeat(
                facts,
                SAME_AMOUNT_SCORE,
                f"same issuer and amount {format_money(amount, currency)} as invoice "
                f"{facts.number or facts.id}, {abs((facts.issue_date - on).days)} days apart, "
                "already settled by a matched debit",
            )
    return None


def detect_double_charges(
    *,
    workspace_id: int,
    invoices: InvoiceDirectory,
    settled: dict[int, tuple[int, int | None, int | None]],
    confirmations: ConfirmationOutcome,
) -> DoubleChargeOutcome:
    """New invoices and this window's payment confirmations that repeat a settled invoice."""
    outcome = DoubleChargeOutcome()
    already = set(
        Match.objects.for_workspace(workspace_id)
        .filter(kind=MatchKind.DOUBLE_CHARGE, invoice__isnull=False)
        .values_list("invoice_id", flat=True)
    )
    open_ids = set(
        Invoice.objects.for_workspace(workspace_id)
        .filter(status__in=OPEN_INVOICE_STATUSES, is_credit_note=False)
        .values_list("id", flat=True)
    )
    for invoice_id in sorted(open_ids):
        facts = invoices.facts.get(invoice_id)
        if facts is None or invoice_id in settled or invoice_id in already:
            continue
        found = find_repeat(
            keys=facts.keys,
            number=facts.normalized_number,
            amount=facts.amount,
            currency=facts.currency,
            on=facts.issue_date,
            settled=settled,
            invoices=invoices,
            exclude_invoice_id=invoice_id,
        )
        if found is None:
            continue
        _flag_invoice(workspace_id, facts, found, settled)
        outcome.flagged += 1
        outcome.held_invoice_ids.append(invoice_id)
    _flag_confirmations(workspace_id, invoices, settled, confirmations, outcome)
    return outcome


def _flag_confirmations(
    workspace_id: int,
    invoices: InvoiceDirectory,
    settled: dict[int, tuple[int, int | None, int | None]],
    confirmations: ConfirmationOutcome,
    outcome: DoubleChargeOutcome,
) -> None:
    """A second payment confirmation for an invoice a debit already settled."""
    candidate_ids = confirmations.candidate_ids
    flagged_documents = set(
        Match.objects.for_workspace(workspace_id)
        .filter(kind=MatchKind.DOUBLE_CHARGE, document__isnull=False)
        .values_list("document_id", flat=True)
    )
    for document_id, order in sorted(confirmations.orders.items()):
        if document_id in flagged_documents:
            continue
        paid = invoices.paid_by(order)
        keys = party_keys(order.vendor_ids, order.beneficiary_name)
        repeat: Repeat | None = None
        if paid is not None and paid.id in settled and settled[paid.id][2] != document_id:
            repeat = Repeat(
                paid,
                SAME_NUMBER_SCORE,
                f"a second payment of invoice {paid.number or paid.id}, already settled by a "
                "matched debit",
            )
        elif paid is None:
            repeat = find_repeat(
                keys=keys,
                number="",
                amount=order.amount,
                currency=order.currency,
                on=order.execution_date,
                settled=settled,
                invoices=invoices,
            )
            if repeat is not None and settled[repeat.settled.id][2] == document_id:
                repeat = None
        if repeat is None or settled[repeat.settled.id][1] in candidate_ids.get(document_id, ()):
            # The debit that settled the invoice is this confirmation's own: the same payment.
            continue
        _flag_confirmation(
            workspace_id,
            document_id,
            confirmations.confirmed_pairs.get(document_id),
            repeat,
            settled,
        )
        outcome.flagged += 1


def _flag_invoice(
    workspace_id: int,
    facts: InvoiceFacts,
    repeat: Repeat,
    settled: dict[int, tuple[int, int | None, int | None]],
) -> None:
    _, transaction_id, _ = settled[repeat.settled.id]
    logger.info("invoice %s repeats invoice %s: %s", facts.id, repeat.settled.id, repeat.reason)
    with db_transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=facts.id, workspace_id=workspace_id)
        if invoice.status not in OPEN_INVOICE_STATUSES:
            return
        match = Match.objects.create(
            workspace_id=workspace_id,
            kind=MatchKind.DOUBLE_CHARGE,
            status=MatchStatus.PROPOSED,
            invoice_id=facts.id,
            document_id=facts.document_id,
            settled_invoice_id=repeat.settled.id,
            transaction_id=transaction_id,
            score=repeat.score,
            reasons=[repeat.reason],
            amount_basis="source",
            matched_amount=facts.amount,
            matched_currency=facts.currency,
        )
        before = {"status": invoice.status, "is_held": invoice.is_held}
        invoice.hold(
            f"Possible double charge of invoice {repeat.settled.number or repeat.settled.id}"
        )
        invoice.save(update_fields=["is_held", "hold_reason", "status", "updated_at"])
        Decision.record_for_invoice(
            invoice,
            DecisionAction.HOLD,
            actor=None,
            match=match,
            before=before,
            after={"status": invoice.status, "is_held": True},
            reason=repeat.reason,
        )


def _flag_confirmation(
    workspace_id: int,
    document_id: int,
    confirmed: tuple[int, int | None] | None,
    repeat: Repeat,
    settled: dict[int, tuple[int, int | None, int | None]],
) -> None:
    _, transaction_id, _ = settled[repeat.settled.id]
    logger.info("document %s repeats invoice %s: %s", document_id, repeat.settled.id, repeat.reason)
    reasons = [repeat.reason]
    if confirmed is not None:
        reasons.append(f"this confirmation's own debit is transaction {confirmed[0]}")
    with db_transaction.atomic():
        match = Match.objects.create(
            workspace_id=workspace_id,
            kind=MatchKind.DOUBLE_CHARGE,
            status=MatchStatus.PROPOSED,
            document_id=document_id,
            settled_invoice_id=repeat.settled.id,
            transaction_id=transaction_id,
            score=repeat.score,
            reasons=reasons,
        )
        Decision.record_for_match(match, DecisionAction.HOLD, actor=None, reason=repeat.reason)
