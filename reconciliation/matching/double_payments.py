"""Double payments: the money left twice for one invoice.

An invoice a debit already paid (linked straight from the bank or through a confirmation) may
be paid again: a second debit to the same supplier, of the same amount (in the account or the
original currency), with the same or a similar reference, within the invoice's payment window
(`repeats.repeat_verdict`, the one rule). It is flagged as a *possible double payment*
(``double_payment``, first in the review queue, with both debits and the invoice side by side);
a person answers "refund requested" or "not a duplicate". The first link stays: the flag never
makes it ambiguous. A debit whose reference may as well name another open invoice of the
supplier is not flagged: it may be that invoice's payment.

When two debits already fit an invoice not settled yet, the invoice ranking links the payment
and hands the others over (`SettlementOutcome.repeats`): they are flagged here, whichever
amounts the day's rates made of them. When the ranking only proposes the earliest for review
(`SettlementOutcome.proposed_repeats`), the others are flagged too: whichever one a person
confirms, the money left twice.

Work is incremental: only an invoice settled since the last window, or a debit synced since
then, can make a new double payment, so a window looks at those pairs only (the first window
at every settled invoice).
"""

from __future__ import annotations

import bisect
import logging
from collections import defaultdict
from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import datetime
from decimal import Decimal

from django.db.models import Q

from reconciliation.matching.invoice_debits import Settled
from reconciliation.matching.invoice_debits import claim_of
from reconciliation.matching.invoice_debits import open_invoices
from reconciliation.matching.invoices import SETTLED_STATUSES
from reconciliation.matching.invoices import SETTLING_KINDS
from reconciliation.matching.invoices import InvoiceDirectory
from reconciliation.matching.persist import chunks
from reconciliation.matching.persist import decide_match
from reconciliation.matching.repeats import OpenInvoices
from reconciliation.matching.repeats import repeat_verdict
from reconciliation.matching.repeats import repeat_window
from reconciliation.matching.repeats import same_party
from reconciliation.matching.scoring import HUNDRED
from reconciliation.matching.scoring import BankLine
from reconciliation.matching.scoring import InvoiceClaim
from reconciliation.matching.scoring import MatchPolicy
from reconciliation.matching.sources import LINE_FIELDS
from reconciliation.matching.sources import MATCHABLE_STATUSES
from reconciliation.matching.sources import Context
from reconciliation.matching.sources import DebitsByAmount
from reconciliation.matching.sources import bank_line
from reconciliation.matching.sources import lines_in_amount_range
from reconciliation.models import DecisionAction
from reconciliation.models import Match
from reconciliation.models import MatchKind
from reconciliation.models import MatchStatus
from reconciliation.models import Side
from reconciliation.models import Transaction

logger = logging.getLogger("reconciliation.matching")


@dataclass
class DoublePaymentOutcome:
    flagged: int = 0
    #: Open flags whose debit now pays some paperwork (see `_withdraw_explained`).
    withdrawn: int = 0


@dataclass(frozen=True)
class Paid:
    """A settled invoice and the debit that paid it first."""

    claim: InvoiceClaim
    document_id: int
    first: BankLine
    #: The first debit is only proposed for review, not linked yet.
    proposed: bool = False

    @property
    def window(self) -> tuple[date, date]:
        return repeat_window(self.claim, self.first.value_date)


@dataclass(frozen=True)
class _Scope:
    """What every verdict of a window reads: the debits some paperwork already explains
    (never a repeat), the invoices still open (a debit may pay one of them instead), and the
    repeats the invoice ranking found, by invoice."""

    linked: set[int]
    open_invoices: OpenInvoices
    ranked: Mapping[int, Sequence[BankLine]]
    policy: MatchPolicy


def detect_double_payments(
    context: Context,
    *,
    invoices: InvoiceDirectory,
    settled: Settled,
    since: datetime | None,
    checked_until: datetime | None = None,
    repeats: Mapping[int, Sequence[BankLine]] | None = None,
    proposed: Mapping[int, tuple[BankLine, Sequence[BankLine]]] | None = None,
) -> DoublePaymentOutcome:
    """Flag the second debits of settled invoices; with ``since`` (the last successful
    window's start) only pairs where the debit was synced since then or the invoice settled
    after ``checked_until`` (that window's end: what it settled, it checked). ``repeats``:
    the debits the invoice ranking took for repeats of the payment it linked, by invoice;
    ``proposed``: those of the earliest debit it proposed for review, by invoice."""
    outcome = DoublePaymentOutcome()
    outcome.withdrawn = _withdraw_explained(context.workspace_id)
    paid = _paid_invoices(context, invoices, settled)
    if not paid and not proposed:
        return outcome
    scope = _Scope(
        _linked_debits(context.workspace_id),
        open_invoices(invoices, settled, context.vendors),
        repeats or {},
        context.policy,
    )
    found = _proposed_repeats(context, invoices, proposed or {}, scope)
    if since is None:
        fresh, old = paid, []
    else:
        newly = _settled_since(context.workspace_id, since, checked_until or since) | {
            invoice_id for invoice_id, (match_id, _, _) in settled.items() if not match_id
        }
        fresh = [item for item in paid if item.claim.invoice_id in newly]
        old = [item for item in paid if item.claim.invoice_id not in newly]
    for offset in range(0, len(fresh), 300):
        found += _second_debits(context, fresh[offset : offset + 300], scope)
    if old:
        found += _new_second_debits(context, old, scope, since)
    outcome.flagged = _save_flags(context.workspace_id, found)
    return outcome


def _proposed_repeats(
    context: Context,
    invoices: InvoiceDirectory,
    proposed: Mapping[int, tuple[BankLine, Sequence[BankLine]]],
    scope: _Scope,
) -> list[tuple[Paid, BankLine, Decimal, str]]:
    """The repeats of the earliest debit the ranking proposed for an invoice (see the module;
    `scoring.rank` keeps only debits whose references name the invoice)."""
    found = []
    for invoice_id, (first, lines) in proposed.items():
        facts = invoices.facts[invoice_id]
        claim = claim_of(facts, context.vendors)
        # Not linked, the first debit is the supplier's payment only if it went to the supplier.
        if claim is not None and same_party(claim, first):
            found += _verdicts(Paid(claim, facts.document_id, first, proposed=True), lines, scope)
    return found


def _withdraw_explained(workspace_id: int) -> int:
    """An open flag whose debit now pays some paperwork — a person confirmed it as the
    payment, or the invoice it paid arrived since (a subscription's next month) — was money
    spent once: Well withdraws it ("not a duplicate"), with a decision naming what it pays."""
    withdrawn = 0
    for flag in Match.objects.for_workspace(workspace_id).filter(
        kind=MatchKind.DOUBLE_PAYMENT, status=MatchStatus.PROPOSED
    ):
        paid = _what_it_pays(flag)
        if paid is None:
            continue
        reason = f"Withdrawn by Well: the debit now pays {paid}, so it was not paid twice."
        decide_match(
            flag, lambda m: m.dismiss(None), DecisionAction.NOT_DUPLICATE, actor=None, reason=reason
        )
        logger.info("double-payment flag %s withdrawn: its debit pays %s", flag.pk, paid)
        withdrawn += 1
    return withdrawn


def _what_it_pays(flag: Match) -> str | None:
    """The paperwork a confirmed link says the flag's debit pays (None: none)."""
    paying = (
        Match.objects.filter(
            workspace_id=flag.workspace_id,
            kind__in=(MatchKind.CONFIRMATION_DEBIT, MatchKind.INVOICE_DEBIT),
            status__in=SETTLED_STATUSES,
            transaction_id=flag.transaction_id or 0,
        )
        .values_list("invoice__number", "document__original_name")
        .first()
    )
    if paying is None:
        return None
    number, name = paying
    return f"invoice {number}" if number else name or "other paperwork"


def _save_flags(workspace_id: int, found: list[tuple[Paid, BankLine, Decimal, str]]) -> int:
    known = set(
        Match.objects.for_workspace(workspace_id)
        .filter(kind=MatchKind.DOUBLE_PAYMENT)
        .values_list("invoice_id", "transaction_id")
    )
    flags: list[Match] = []
    for item, line, score, reason in found:
        if (item.claim.invoice_id, line.transaction_id) in known:
            continue
        known.add((item.claim.invoice_id, line.transaction_id))
        flags.append(_flag(workspace_id, item, line, score, reason))
    Match.objects.bulk_create(flags, batch_size=500)
    return len(flags)


def _settled_since(workspace_id: int, since: datetime, checked_until: datetime) -> set[int]:
    """Invoices settled after the last successful window ended (by a run that failed, say),
    or by a person since it started."""
    return set(
        Match.objects.for_workspace(workspace_id)
        .filter(kind__in=SETTLING_KINDS, status__in=SETTLED_STATUSES, invoice__isnull=False)
        .filter(
            Q(decided_at__gte=checked_until) | Q(decided_by__isnull=False, decided_at__gte=since)
        )
        .values_list("invoice_id", flat=True)
    )


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
    context: Context, chunk: list[Paid], scope: _Scope
) -> list[tuple[Paid, BankLine, Decimal, str]]:
    debits = DebitsByAmount.load(
        workspace_id=context.workspace_id,
        amounts=[item.claim.amount for item in chunk],
        foreign=[(item.claim.currency, item.claim.amount) for item in chunk],
        start=min(item.window[0] for item in chunk),
        end=max(item.window[1] for item in chunk),
        vendors=context.vendors,
    )
    found = []
    for item in chunk:
        claim = item.claim
        lines = list(debits.fitting(claim.amount, claim.currency, *item.window).values())
        if item.first.currency != claim.currency:
            lines += _converted_like(context, item)
        lines += scope.ranked.get(claim.invoice_id, ())
        found += _verdicts(item, lines, scope)
    return found


def _verdicts(
    item: Paid, lines: Iterable[BankLine], scope: _Scope
) -> list[tuple[Paid, BankLine, Decimal, str]]:
    found = []
    seen = {item.first.transaction_id}
    for line in lines:
        if line.transaction_id in scope.linked or line.transaction_id in seen:
            continue
        seen.add(line.transaction_id)
        verdict = repeat_verdict(
            item.claim,
            item.first,
            line,
            scope.open_invoices,
            scope.policy,
            first_proposed=item.proposed,
        )
        if verdict is not None:
            found.append((item, line, *verdict))
    return found


@dataclass
class _NewDebits:
    """The debits synced since the last window, by the amounts a repeat may carry."""

    by_amount: dict[tuple[str, Decimal], list[BankLine]] = field(
        default_factory=lambda: defaultdict(list)
    )
    by_currency: dict[str, list[tuple[Decimal, int, BankLine]]] = field(
        default_factory=lambda: defaultdict(list)
    )

    @classmethod
    def load(cls, context: Context, since: datetime) -> _NewDebits:
        book = cls()
        rows = (
            Transaction.objects.for_workspace(context.workspace_id)
            .filter(
                side=Side.DEBIT,
                synced_at__gte=since,
                status__in=MATCHABLE_STATUSES,
                value_date__isnull=False,
            )
            .order_by()
            .values_list(*LINE_FIELDS)
        )
        for row in rows:
            line = bank_line(row, context.vendors)
            book.by_amount[(line.currency, line.amount)].append(line)
            if line.local_amount is not None and line.local_currency != line.currency:
                book.by_amount[(line.local_currency, line.local_amount)].append(line)
            book.by_currency[line.currency].append((line.amount, line.transaction_id, line))
        for lines in book.by_currency.values():
            lines.sort(key=lambda entry: entry[:2])
        return book

    def fitting(self, context: Context, item: Paid) -> list[BankLine]:
        """New debits of the invoice's amount (account or local currency) in its payment
        window, and for a foreign invoice those within the FX tolerance of its first debit."""
        claim, first = item.claim, item.first
        same = self.by_amount.get((claim.currency, claim.amount), ())
        lines = {line.transaction_id: line for line in same}
        if first.currency != claim.currency:
            slack = first.amount * context.policy.fx_tolerance_percent / HUNDRED
            ordered = self.by_currency.get(first.currency, [])
            low = bisect.bisect_left(ordered, (first.amount - slack, 0))
            for amount, transaction_id, line in ordered[low:]:
                if amount > first.amount + slack:
                    break
                lines.setdefault(transaction_id, line)
        start, end = item.window
        return [line for line in lines.values() if start <= line.value_date <= end]


def _new_second_debits(
    context: Context, paid: list[Paid], scope: _Scope, since: datetime | None
) -> list[tuple[Paid, BankLine, Decimal, str]]:
    """The repeats among the debits synced since the last window, of invoices settled
    before it."""
    assert since is not None
    debits = _NewDebits.load(context, since)
    if not debits.by_currency:
        return []
    found = []
    for item in paid:
        found += _verdicts(item, debits.fitting(context, item), scope)
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
            start=item.window[0],
            end=item.window[1],
            vendors=context.vendors,
        )
    )


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
