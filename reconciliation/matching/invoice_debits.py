"""Invoices paid straight from the bank: invoice ↔ debit, in one batch per window.

An invoice's debit is looked for among the debits of its amount — in the account currency, in
Qonto's local (original) currency, or converted with the one FX rule (`reconciliation.fx`)
within the workspace's tolerance — from a few days before its issue date to
`INVOICE_PAYMENT_DAYS` after. Candidates are scored by `scoring.score_invoice_debit` (amount,
reference harmonised as for credits, counterparty, date) and ranked: a confident best is linked
(``invoice_debit``, confirmed), otherwise the top candidates go to review. A debit two invoices
both claim confidently goes to review for both.

Two or more debits that fit one invoice — its supplier, its amount, a reference naming it or
repeating the payment's (`repeats.repeat_score`) — are one payment and its repeats, not
rivals: the clear winner by score is linked (the earliest among equals) and the others are
handed to the double-payment check (`SettlementOutcome.repeats`). When none of them reaches
the threshold, the earliest is proposed for review with the others, and they are flagged all
the same (`SettlementOutcome.proposed_repeats`): the money left twice whichever one a person
confirms. Unless one of them may as well pay another open invoice of the supplier ("INV-10"
for INV-101 and INV-102): then the candidates go to review, and nothing is flagged.

Refused and reviewed invoices are matched too: the link is read-only (nothing is posted or
changed on the invoice). A refused invoice the bank shows as paid is put in front of a person
(`PAID_REFUSED`, "refused, but paid on 12 Oct").
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import timedelta

from reconciliation.matching.invoices import InvoiceDirectory
from reconciliation.matching.invoices import InvoiceFacts
from reconciliation.matching.persist import MatchWriter
from reconciliation.matching.persist import chunks
from reconciliation.matching.persist import load_proposals
from reconciliation.matching.persist import transaction_of
from reconciliation.matching.persist import transaction_side
from reconciliation.matching.repeats import OpenInvoices
from reconciliation.matching.repeats import repeat_score
from reconciliation.matching.scoring import HUNDRED
from reconciliation.matching.scoring import BankLine
from reconciliation.matching.scoring import InvoiceClaim
from reconciliation.matching.scoring import MatchPolicy
from reconciliation.matching.scoring import Ranking
from reconciliation.matching.scoring import RepeatTest
from reconciliation.matching.scoring import ScoredCandidate
from reconciliation.matching.scoring import payment_window
from reconciliation.matching.scoring import rank
from reconciliation.matching.scoring import resolve_conflicts
from reconciliation.matching.scoring import score_invoice_debit
from reconciliation.matching.sources import Context
from reconciliation.matching.sources import DebitsByAmount
from reconciliation.matching.sources import VendorDirectory
from reconciliation.matching.sources import lines_in_amount_range
from reconciliation.models import InvoiceStatus
from reconciliation.models import Match
from reconciliation.models import MatchKind
from reconciliation.models import MatchStatus
from reconciliation.models import Side
from reconciliation.models import Transaction

logger = logging.getLogger("reconciliation.matching")

#: Invoices matched per candidate query (sorted by issue date).
CHUNK_SIZE = 300

Settled = dict[int, tuple[int, int | None, int | None]]


@dataclass
class SettlementOutcome:
    linked: int = 0
    proposed: int = 0
    #: Refused invoices found paid in this window (each put in front of a person).
    paid_refused: int = 0
    #: By invoice linked in this window, the other debits that paid it again.
    repeats: dict[int, list[BankLine]] = field(default_factory=dict)
    #: By invoice proposed for review, the earliest candidate and the debits repeating it.
    proposed_repeats: dict[int, tuple[BankLine, list[BankLine]]] = field(default_factory=dict)


def claim_of(facts: InvoiceFacts, vendors: VendorDirectory) -> InvoiceClaim | None:
    if facts.amount is None or facts.amount <= 0 or facts.issue_date is None:
        return None
    vendor_ids = {facts.vendor_id} if facts.vendor_id else set()
    vendor_ids |= vendors.vendors_of(name=facts.name, iban=facts.iban)
    return InvoiceClaim(
        invoice_id=facts.id,
        number=facts.number,
        amount=facts.amount,
        currency=facts.currency,
        issue_date=facts.issue_date,
        name=facts.name,
        iban=facts.iban,
        vendor_ids=frozenset(vendor_ids),
    )


def open_invoices(
    invoices: InvoiceDirectory, settled: Settled, vendors: VendorDirectory
) -> OpenInvoices:
    """The invoices no debit settled yet (held ones too): a debit may pay one of them. Read
    when first asked, from ``settled`` as it is then."""
    return OpenInvoices(
        lambda: (
            claim
            for facts in invoices.facts.values()
            if facts.id not in settled
            for claim in (claim_of(facts, vendors),)
            if claim is not None
        )
    )


def link_invoices_to_debits(
    context: Context, *, invoices: InvoiceDirectory, settled: Settled
) -> SettlementOutcome:
    """Link the invoices not settled yet to the debits that paid them (see the module)."""
    outcome = SettlementOutcome()
    claims = sorted(
        (
            claim
            for facts in invoices.facts.values()
            if facts.id not in settled and not facts.is_held
            for claim in (claim_of(facts, context.vendors),)
            if claim is not None
        ),
        key=lambda claim: (claim.issue_date, claim.invoice_id),
    )
    if not claims:
        return outcome
    # A debit that already paid an invoice pays no other (one debit, one invoice).
    taken = {transaction_id for _, transaction_id, _ in settled.values() if transaction_id}
    rejected = _rejected_pairs(context.workspace_id)
    lines: dict[int, BankLine] = {}
    repeats = _repeat_test(
        {claim.invoice_id: claim for claim in claims},
        lines,
        open_invoices(invoices, settled, context.vendors),
        context.policy,
    )
    rankings: dict[int, Ranking] = {}
    for offset in range(0, len(claims), CHUNK_SIZE):
        chunk = claims[offset : offset + CHUNK_SIZE]
        candidates = _candidate_lines(context, chunk)
        for claim in chunk:
            fitting = candidates[claim.invoice_id]
            lines.update((line.transaction_id, line) for line in fitting)
            scored = _score(context, claim, fitting, taken, rejected)
            rankings[claim.invoice_id] = rank(scored, context.policy, repeats=repeats)
    confident = resolve_conflicts(rankings, context.policy, repeats=repeats, paperwork="invoices")
    _persist(context, rankings, confident, invoices, settled, outcome)
    for invoice_id, ranking in rankings.items():
        if not ranking.repeats or ranking.best is None:
            continue
        again = [lines[c.transaction_id] for c in ranking.repeats]
        if invoice_id in confident:
            outcome.repeats[invoice_id] = again
        elif not ranking.is_confident:
            outcome.proposed_repeats[invoice_id] = (lines[ranking.best.transaction_id], again)
    return outcome


def _repeat_test(
    claims: dict[int, InvoiceClaim],
    lines: dict[int, BankLine],
    others: OpenInvoices,
    policy: MatchPolicy,
) -> RepeatTest:
    """`rank`'s question, answered by the double-payment rule: is ``other`` a repeat of the
    ``payment`` of the same invoice?"""

    def is_repeat(payment: ScoredCandidate, other: ScoredCandidate) -> bool:
        claim = claims[payment.target_id]
        first, line = lines[payment.transaction_id], lines[other.transaction_id]
        return repeat_score(claim, first, line, others, policy) is not None

    return is_repeat


def _score(
    context: Context,
    claim: InvoiceClaim,
    lines: Iterable[BankLine],
    taken: set[int],
    rejected: set[tuple[int, int]],
) -> list[ScoredCandidate]:
    scored = []
    for line in lines:
        if line.transaction_id in taken or (claim.invoice_id, line.transaction_id) in rejected:
            continue
        rate = context.rates.rate(claim.currency, line.currency, line.value_date)
        candidate = score_invoice_debit(claim, line, policy=context.policy, rate=rate)
        if candidate is not None:
            scored.append(candidate)
    return scored


def _candidate_lines(context: Context, chunk: list[InvoiceClaim]) -> dict[int, list[BankLine]]:
    """Per invoice, the debits whose amount may be its amount (exact, local or converted)."""
    debits = DebitsByAmount.load(
        workspace_id=context.workspace_id,
        amounts=[claim.amount for claim in chunk],
        foreign=[(c.currency, c.amount) for c in chunk if c.currency != context.home_currency],
        start=payment_window(chunk[0])[0],
        end=payment_window(chunk[-1])[1],
        vendors=context.vendors,
    )
    candidates: dict[int, list[BankLine]] = {}
    for claim in chunk:
        found = debits.fitting(claim.amount, claim.currency, *payment_window(claim))
        if claim.currency != context.home_currency:
            for line in _converted_lines(context, claim):
                found.setdefault(line.transaction_id, line)
        candidates[claim.invoice_id] = list(found.values())
    return candidates


def _converted_lines(context: Context, claim: InvoiceClaim) -> Iterable[BankLine]:
    """Home-currency debits within the FX tolerance of the invoice's amount converted at any
    rate of its payment window (each candidate is then scored at the rate of its own date)."""
    first, last = payment_window(claim)
    rates = [
        rate
        for offset in range(0, (last - first).days + 1, 7)
        if (
            rate := context.rates.rate(
                claim.currency, context.home_currency, first + timedelta(days=offset)
            )
        )
        is not None
    ]
    if not rates:
        return ()
    slack = context.policy.fx_tolerance_percent / HUNDRED
    return lines_in_amount_range(
        workspace_id=context.workspace_id,
        side=Side.DEBIT,
        currency=context.home_currency,
        low=claim.amount * min(rates) * (1 - slack),
        high=claim.amount * max(rates) * (1 + slack),
        start=first,
        end=last,
        vendors=context.vendors,
    )


def _rejected_pairs(workspace_id: int) -> set[tuple[int, int]]:
    """(invoice, transaction) pairs a reviewer said are not the same payment."""
    return {
        (invoice_id, transaction_id)
        for invoice_id, transaction_id in Match.objects.for_workspace(workspace_id)
        .filter(kind=MatchKind.INVOICE_DEBIT, status=MatchStatus.REJECTED)
        .values_list("invoice_id", "transaction_id")
        if invoice_id is not None and transaction_id is not None
    }


def _persist(
    context: Context,
    rankings: dict[int, Ranking],
    confident: dict[int, int],
    invoices: InvoiceDirectory,
    settled: Settled,
    outcome: SettlementOutcome,
) -> None:
    proposals = Match.objects.for_workspace(context.workspace_id).filter(
        kind=MatchKind.INVOICE_DEBIT
    )
    writer = MatchWriter(
        load_proposals(proposals, "invoice", rankings, lambda m: m.transaction_id or 0)
    )
    for invoice_id in sorted(rankings):
        facts = invoices.facts[invoice_id]
        kept = writer.keep_ranking(
            invoice_id,
            rankings[invoice_id],
            confident=invoice_id in confident,
            key_of=transaction_of,
            fields={
                "workspace_id": context.workspace_id,
                "kind": MatchKind.INVOICE_DEBIT,
                "invoice_id": facts.id,
                "document_id": facts.document_id,
            },
            side_of=transaction_side,
        )
        if invoice_id in confident and kept:
            settled[invoice_id] = (0, kept[0].transaction_id, facts.document_id)
            outcome.linked += 1
        elif kept:
            outcome.proposed += 1
    writer.save(owners=rankings)


def surface_paid_refused(workspace_id: int, invoices: InvoiceDirectory, settled: Settled) -> int:
    """Put every refused invoice a debit paid in front of a person, once: "refused, but paid
    on 12 Oct". The payment link itself stays (read-only); nothing is posted."""
    refused = {
        invoice_id: transaction_id
        for invoice_id, (_, transaction_id, _) in settled.items()
        if transaction_id is not None
        and (facts := invoices.facts.get(invoice_id)) is not None
        and facts.status == InvoiceStatus.REFUSED
    }
    if not refused:
        return 0
    known = set(
        Match.objects.for_workspace(workspace_id)
        .filter(kind=MatchKind.PAID_REFUSED, invoice_id__in=list(refused))
        .values_list("invoice_id", flat=True)
    )
    paid_on = _value_dates(workspace_id, refused.values())
    flags = []
    for invoice_id, transaction_id in sorted(refused.items()):
        if invoice_id in known:
            continue
        facts = invoices.facts[invoice_id]
        day = paid_on.get(transaction_id)
        text = f"refused, but paid on {day.day} {day:%b %Y}" if day else "refused, but paid"
        logger.info("invoice %s: %s (transaction %s)", invoice_id, text, transaction_id)
        flags.append(
            Match(
                workspace_id=workspace_id,
                kind=MatchKind.PAID_REFUSED,
                status=MatchStatus.PROPOSED,
                invoice_id=invoice_id,
                document_id=facts.document_id,
                transaction_id=transaction_id,
                score=HUNDRED,
                reasons=[f"Invoice {facts.number or facts.id} was {text}."],
                amount_basis="source",
                matched_amount=facts.amount,
                matched_currency=facts.currency,
            )
        )
    Match.objects.bulk_create(flags, batch_size=500)
    return len(flags)


def _value_dates(workspace_id: int, transaction_ids: Iterable[int]) -> dict[int, date]:
    found: dict[int, date] = {}
    for chunk in chunks(transaction_ids):
        for pk, value_date in (
            Transaction.objects.for_workspace(workspace_id)
            .filter(pk__in=chunk)
            .values_list("id", "value_date")
        ):
            if value_date is not None:
                found[pk] = value_date
    return found
