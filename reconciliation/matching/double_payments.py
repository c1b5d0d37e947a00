"""Double payments: the money left twice for one invoice.

An invoice a debit already paid (linked straight from the bank or through a confirmation) may
be paid again: a second debit to the same supplier, of the same amount (in the account or the
original currency), with the same or a similar reference — naming the invoice, or repeating the
first debit's reference — within the invoice's payment window. It is flagged as a *possible
double payment* (``double_payment``, first in the review queue, with both debits and the invoice
side by side); a person answers "refund requested" or "not a duplicate". The first link stays:
the flag never makes it ambiguous.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal

from reconciliation.matching.invoice_debits import Settled, claim_of, payment_window
from reconciliation.matching.invoices import SETTLED_STATUSES, InvoiceDirectory
from reconciliation.matching.persist import chunks
from reconciliation.matching.scoring import (
    HUNDRED,
    BankLine,
    InvoiceClaim,
    counterparty_points,
)
from reconciliation.matching.sources import (
    LINE_FIELDS,
    Context,
    DebitsByAmount,
    bank_line,
    lines_in_amount_range,
)
from reconciliation.models import Match, MatchKind, MatchStatus, Side, Transaction
from reconciliation.money import format_money
from reconciliation.text.references import compare_references, remittance_reference

logger = logging.getLogger("reconciliation.matching")

DOUBLE_PAYMENT_SCORE = Decimal(100)
SIMILAR_REFERENCE_SCORE = Decimal(90)


@dataclass
class DoublePaymentOutcome:
    flagged: int = 0


@dataclass(frozen=True)
class Paid:
    """A settled invoice and the debit that paid it first."""

    claim: InvoiceClaim
    document_id: int
    first: BankLine


def detect_double_payments(
    context: Context, *, invoices: InvoiceDirectory, settled: Settled
) -> DoublePaymentOutcome:
    outcome = DoublePaymentOutcome()
    paid = _paid_invoices(context, invoices, settled)
    if not paid:
        return outcome
    linked = _linked_debits(context.workspace_id)
    known = set(
        Match.objects.for_workspace(context.workspace_id)
        .filter(kind=MatchKind.DOUBLE_PAYMENT)
        .values_list("invoice_id", "transaction_id")
    )
    flags: list[Match] = []
    for offset in range(0, len(paid), 300):
        chunk = paid[offset : offset + 300]
        for item, line, score, reason in _second_debits(context, chunk, linked):
            if (item.claim.invoice_id, line.transaction_id) in known:
                continue
            known.add((item.claim.invoice_id, line.transaction_id))
            flags.append(_flag(context.workspace_id, item, line, score, reason))
    Match.objects.bulk_create(flags, batch_size=500)
    outcome.flagged = len(flags)
    return outcome


def _paid_invoices(context: Context, invoices: InvoiceDirectory, settled: Settled) -> list[Paid]:
    firsts = {tx: None for _, tx, _ in settled.values() if tx is not None}
    lines = _lines_by_id(context, firsts)
    paid = []
    for invoice_id, (_, transaction_id, _) in settled.items():
        facts = invoices.facts.get(invoice_id)
        first = lines.get(transaction_id or 0)
        claim = claim_of(facts, context.vendors) if facts is not None else None
        if claim is not None and first is not None and facts is not None:
            paid.append(Paid(claim, facts.document_id, first))
    paid.sort(key=lambda item: (item.claim.issue_date, item.claim.invoice_id))
    return paid


def _lines_by_id(context: Context, transaction_ids: dict[int, None]) -> dict[int, BankLine]:
    found: dict[int, BankLine] = {}
    for chunk in chunks(transaction_ids):
        for row in (
            Transaction.objects.for_workspace(context.workspace_id)
            .filter(pk__in=chunk, value_date__isnull=False)
            .values_list(*LINE_FIELDS)
        ):
            line = bank_line(row, context.vendors)
            found[line.transaction_id] = line
    return found


def _linked_debits(workspace_id: int) -> set[int]:
    """Debits some paperwork already explains (a confirmation, an invoice): never a repeat."""
    return set(
        Match.objects.for_workspace(workspace_id)
        .filter(
            kind__in=(MatchKind.CONFIRMATION_DEBIT, MatchKind.INVOICE_DEBIT),
            status__in=SETTLED_STATUSES,
            transaction__isnull=False,
        )
        .values_list("transaction_id", flat=True)
    )


def _second_debits(
    context: Context, chunk: list[Paid], linked: set[int]
) -> list[tuple[Paid, BankLine, Decimal, str]]:
    debits = DebitsByAmount.load(
        workspace_id=context.workspace_id,
        amounts=[item.claim.amount for item in chunk],
        foreign=[(item.claim.currency, item.claim.amount) for item in chunk],
        start=payment_window(chunk[0].claim)[0],
        end=payment_window(chunk[-1].claim)[1],
        vendors=context.vendors,
    )
    found = []
    for item in chunk:
        claim = item.claim
        lines = [
            line
            for line in debits.fitting(
                claim.amount, claim.currency, *payment_window(claim)
            ).values()
            if line.currency == claim.currency or line.local_currency == claim.currency
        ]
        if item.first.currency != claim.currency:
            lines += _converted_like(context, item)
        for line in lines:
            if line.transaction_id in linked or line.transaction_id == item.first.transaction_id:
                continue
            verdict = _repeats(item, line)
            if verdict is not None:
                found.append((item, line, *verdict))
    return found


def _converted_like(context: Context, item: Paid) -> list[BankLine]:
    """A foreign invoice paid again in the account currency without its original amount:
    the day's rate moved, so the debit is within the FX tolerance of the first one."""
    slack = item.first.amount * context.policy.fx_tolerance_percent / HUNDRED
    return list(
        lines_in_amount_range(
            workspace_id=context.workspace_id,
            side=Side.DEBIT,
            currency=item.first.currency,
            low=item.first.amount - slack,
            high=item.first.amount + slack,
            start=payment_window(item.claim)[0],
            end=payment_window(item.claim)[1],
            vendors=context.vendors,
        )
    )


def _repeats(item: Paid, line: BankLine) -> tuple[Decimal, str] | None:
    """Whether ``line`` (in the invoice's payment window) pays ``item``'s invoice a second
    time: its supplier, and a reference naming the invoice or repeating the first debit's."""
    claim = item.claim
    same_supplier = _same_party(claim, line) or _same_party_as(item.first, line)
    if not same_supplier:
        return None
    first_key = remittance_reference(item.first.reference).normalized
    if compare_references(claim.number, line.reference) == "exact" or (
        first_key and remittance_reference(line.reference).normalized == first_key
    ):
        score = DOUBLE_PAYMENT_SCORE
    elif compare_references(claim.number, line.reference) is not None:
        score = SIMILAR_REFERENCE_SCORE
    else:
        return None
    money = format_money(claim.amount, claim.currency)
    return score, (
        f"a second debit of {money} on {line.value_date:%Y-%m-%d} to the supplier of invoice "
        f"{claim.number or claim.invoice_id}, already paid by the debit of "
        f"{item.first.value_date:%Y-%m-%d} (transaction {item.first.transaction_id}); "
        f"reference {line.reference!r}"
    )


def _same_party(claim: InvoiceClaim, line: BankLine) -> bool:
    points, _ = counterparty_points(
        name=claim.name, iban=claim.iban, vendor_ids=claim.vendor_ids, line=line, weight=Decimal(1)
    )
    return points >= Decimal("0.8")


def _same_party_as(first: BankLine, line: BankLine) -> bool:
    if first.counterparty_iban and line.counterparty_iban:
        return first.counterparty_iban == line.counterparty_iban
    return bool(first.counterparty) and first.counterparty == line.counterparty


def _flag(workspace_id: int, item: Paid, line: BankLine, score: Decimal, reason: str) -> Match:
    logger.info(
        "possible double payment of invoice %s: transaction %s (%s)",
        item.claim.invoice_id,
        line.transaction_id,
        reason,
    )
    return Match(
        workspace_id=workspace_id,
        kind=MatchKind.DOUBLE_PAYMENT,
        status=MatchStatus.PROPOSED,
        invoice_id=item.claim.invoice_id,
        settled_invoice_id=item.claim.invoice_id,
        document_id=item.document_id,
        transaction_id=line.transaction_id,
        score=score,
        reasons=[reason],
        amount_basis="source" if line.currency == item.claim.currency else "local",
        matched_amount=item.claim.amount,
        matched_currency=item.claim.currency,
    )
