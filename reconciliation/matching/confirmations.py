"""Payment confirmations ↔ outbound debits, in one batch per window.

Candidates come from indexed queries (amount IN (...) and a value-date range per chunk of
confirmations sorted by execution date), are scored by `scoring.score_debit`, and ranked. A
confident best candidate is confirmed (and attached at the end of the window); otherwise the
top three are proposed for review. A debit two confirmations both claim confidently goes to
review for both.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from dataclasses import field

from django.db.models import Q

from reconciliation.fx import RateBook
from reconciliation.fx import convert_at
from reconciliation.matching.invoices import SETTLED_STATUSES
from reconciliation.matching.invoices import InvoiceDirectory
from reconciliation.matching.persist import MatchWriter
from reconciliation.matching.persist import chunks
from reconciliation.matching.persist import load_proposals
from reconciliation.matching.persist import transaction_of
from reconciliation.matching.persist import transaction_side
from reconciliation.matching.scoring import HUNDRED
from reconciliation.matching.scoring import BankLine
from reconciliation.matching.scoring import MatchPolicy
from reconciliation.matching.scoring import PaymentOrder
from reconciliation.matching.scoring import Ranking
from reconciliation.matching.scoring import ScoredCandidate
from reconciliation.matching.scoring import rank
from reconciliation.matching.scoring import resolve_conflicts
from reconciliation.matching.scoring import score_debit
from reconciliation.matching.sources import Context
from reconciliation.matching.sources import DebitsByAmount
from reconciliation.matching.sources import VendorDirectory
from reconciliation.matching.sources import lines_in_amount_range
from reconciliation.matching.sources import payment_documents_without
from reconciliation.matching.sources import payment_order_from
from reconciliation.matching.sources import window_around
from reconciliation.models import Match
from reconciliation.models import MatchKind
from reconciliation.models import MatchStatus
from reconciliation.models import Side
from reconciliation.vendors.identity import OwnNames

logger = logging.getLogger("reconciliation.matching")

#: Confirmations matched per candidate query (sorted by date, so a chunk spans a few weeks).
CHUNK_SIZE = 400


@dataclass
class ConfirmationOutcome:
    considered: int = 0
    confirmed: int = 0
    proposed: int = 0
    unmatched_document_ids: list[int] = field(default_factory=list)
    unreadable_document_ids: list[int] = field(default_factory=list)
    #: document id → (transaction id, invoice id or None) for the confirmations confirmed now.
    confirmed_pairs: dict[int, tuple[int, int | None]] = field(default_factory=dict)
    orders: dict[int, PaymentOrder] = field(default_factory=dict)
    #: document id → every debit that fitted it (confirmed or proposed) in this window.
    candidate_ids: dict[int, set[int]] = field(default_factory=dict)


def open_confirmations(workspace_id: int) -> list[tuple[int, dict[str, object]]]:
    """Parsed payment confirmations that still need a debit: not confirmed or attached and
    not flagged as a double charge. One a reviewer answered "none of these" stays open: the
    debits they turned down are never proposed again, a debit that arrives later still is."""
    answered = Match.objects.for_workspace(workspace_id).filter(
        Q(kind=MatchKind.CONFIRMATION_DEBIT, status__in=SETTLED_STATUSES)
        | Q(kind=MatchKind.DOUBLE_CHARGE),
        document__isnull=False,
    )
    # Wire notices are either our bank's confirmation of a transfer we made or a customer's
    # advice of money sent to us; `match_confirmations` tells them apart.
    return list(payment_documents_without(workspace_id, answered).values_list("pk", "extraction"))


def match_confirmations(
    context: Context,
    *,
    invoices: InvoiceDirectory,
    settled: dict[int, tuple[int, int | None, int | None]],
) -> ConfirmationOutcome:
    workspace_id, home_currency = context.workspace_id, context.home_currency
    policy, vendors, rates = context.policy, context.vendors, context.rates
    outcome = ConfirmationOutcome()
    orders = _readable_orders(workspace_id, home_currency, vendors, outcome)
    outcome.considered = len(orders)
    outcome.orders = {order.document_id: order for order in orders}
    if not orders:
        return outcome
    rejected = _rejected_pairs(workspace_id, [order.document_id for order in orders])
    rankings: dict[int, Ranking] = {}
    lines_by_id: dict[int, BankLine] = {}
    for offset in range(0, len(orders), CHUNK_SIZE):
        chunk = orders[offset : offset + CHUNK_SIZE]
        candidates = _candidate_lines(workspace_id, chunk, home_currency, policy, vendors, rates)
        taken = _taken(
            workspace_id, {line.transaction_id for lines in candidates.values() for line in lines}
        )
        for order in chunk:
            lines = [
                line
                for line in candidates.get(order.document_id, ())
                if line.transaction_id not in taken
                and (order.document_id, line.transaction_id) not in rejected
            ]
            lines_by_id.update((line.transaction_id, line) for line in lines)
            scored = [
                candidate
                for line in lines
                if (
                    candidate := score_debit(
                        order,
                        line,
                        policy=policy,
                        rate=rates.rate(order.currency, line.currency, order.execution_date),
                    )
                )
                is not None
            ]
            rankings[order.document_id] = rank(scored, policy)
            outcome.candidate_ids[order.document_id] = {c.transaction_id for c in scored}
    confident = resolve_conflicts(rankings, policy)
    _persist(
        workspace_id=workspace_id,
        rankings=rankings,
        confident=confident,
        orders=outcome.orders,
        lines=lines_by_id,
        invoices=invoices,
        settled=settled,
        outcome=outcome,
    )
    return outcome


def _readable_orders(
    workspace_id: int, home_currency: str, vendors: VendorDirectory, outcome: ConfirmationOutcome
) -> list[PaymentOrder]:
    """The open confirmations as orders, by execution date (the unreadable ones reported)."""
    orders: list[PaymentOrder] = []
    ourselves = OwnNames.of(workspace_id)
    for document_id, extraction in open_confirmations(workspace_id):
        order = payment_order_from(
            document_id,
            extraction if isinstance(extraction, dict) else None,
            vendors=vendors,
            default_currency=home_currency,
        )
        if isinstance(order, str):
            logger.info("document %s cannot be matched: %s", document_id, order)
            outcome.unreadable_document_ids.append(document_id)
            continue
        if not order.vendor_ids and ourselves.is_us(order.beneficiary_name):
            continue  # money sent to us: a customer's advice, matched against credits
        orders.append(order)
    return sorted(orders, key=lambda order: (order.execution_date, order.document_id))


def _candidate_lines(
    workspace_id: int,
    chunk: list[PaymentOrder],
    home_currency: str,
    policy: MatchPolicy,
    vendors: VendorDirectory,
    rates: RateBook,
) -> dict[int, list[BankLine]]:
    """Per document, the debits whose amount may be its amount (exact, local or converted)."""
    debits = DebitsByAmount.load(
        workspace_id=workspace_id,
        amounts=[order.amount for order in chunk],
        foreign=[(o.currency, o.amount) for o in chunk if o.currency != home_currency],
        start=window_around(chunk[0].execution_date, before=policy.days_before, after=0)[0],
        end=window_around(chunk[-1].execution_date, before=0, after=policy.days_after)[1],
        vendors=vendors,
    )
    candidates: dict[int, list[BankLine]] = {}
    for order in chunk:
        first, last = window_around(
            order.execution_date, before=policy.days_before, after=policy.days_after
        )
        found = debits.fitting(order.amount, order.currency, first, last)
        rate = rates.rate(order.currency, home_currency, order.execution_date)
        if order.currency != home_currency and rate is not None:
            converted = convert_at(order.amount, rate, home_currency)
            slack = converted * policy.fx_tolerance_percent / HUNDRED
            for line in lines_in_amount_range(
                workspace_id=workspace_id,
                side=Side.DEBIT,
                currency=home_currency,
                low=converted - slack,
                high=converted + slack,
                start=first,
                end=last,
                vendors=vendors,
            ):
                found.setdefault(line.transaction_id, line)
        candidates[order.document_id] = list(found.values())
    return candidates


def _taken(workspace_id: int, transaction_ids: set[int]) -> set[int]:
    """Debits already confirmed (or attached) for another confirmation."""
    taken: set[int] = set()
    for chunk in chunks(transaction_ids):
        taken |= set(
            Match.objects.for_workspace(workspace_id)
            .filter(
                kind=MatchKind.CONFIRMATION_DEBIT,
                status__in=(MatchStatus.CONFIRMED, MatchStatus.ATTACHED),
                transaction_id__in=chunk,
            )
            .values_list("transaction_id", flat=True)
        )
    return taken


def _rejected_pairs(workspace_id: int, document_ids: list[int]) -> set[tuple[int, int]]:
    """(document, transaction) pairs a reviewer said are not the same payment."""
    pairs: set[tuple[int, int]] = set()
    for chunk in chunks(document_ids):
        pairs |= {
            (document_id, transaction_id)
            for document_id, transaction_id in Match.objects.for_workspace(workspace_id)
            .filter(
                kind=MatchKind.CONFIRMATION_DEBIT,
                status=MatchStatus.REJECTED,
                document_id__in=chunk,
            )
            .values_list("document_id", "transaction_id")
            if transaction_id is not None
        }
    return pairs


def _persist(
    *,
    workspace_id: int,
    rankings: dict[int, Ranking],
    confident: dict[int, int],
    orders: dict[int, PaymentOrder],
    lines: dict[int, BankLine],
    invoices: InvoiceDirectory,
    settled: dict[int, tuple[int, int | None, int | None]],
    outcome: ConfirmationOutcome,
) -> None:
    proposals = Match.objects.for_workspace(workspace_id).filter(kind=MatchKind.CONFIRMATION_DEBIT)
    writer = MatchWriter(
        load_proposals(proposals, "document", rankings, lambda m: m.transaction_id or 0)
    )
    for document_id in sorted(rankings):
        is_confident = document_id in confident

        def invoice_of(candidate: ScoredCandidate, document_id: int = document_id) -> int | None:
            return _paid_invoice(
                orders[document_id], lines[candidate.transaction_id], invoices, settled, outcome
            )

        kept = writer.keep_ranking(
            document_id,
            rankings[document_id],
            confident=is_confident,
            key_of=transaction_of,
            fields={
                "workspace_id": workspace_id,
                "kind": MatchKind.CONFIRMATION_DEBIT,
                "document_id": document_id,
            },
            side_of=transaction_side,
            invoice_of=invoice_of if is_confident else _no_invoice,
        )
        if not kept:
            outcome.unmatched_document_ids.append(document_id)
            logger.info("document %s: no debit fits", document_id)
        elif is_confident:
            outcome.confirmed += 1
        else:
            outcome.proposed += 1
    writer.save(owners=rankings)


def _no_invoice(candidate: ScoredCandidate) -> None:
    return None


def _paid_invoice(
    order: PaymentOrder,
    line: BankLine,
    invoices: InvoiceDirectory,
    settled: dict[int, tuple[int, int | None, int | None]],
    outcome: ConfirmationOutcome,
) -> int | None:
    """The invoice a confirmed payment settles (when one is named and not settled yet)."""
    paid = invoices.paid_by(order, line.reference)
    invoice_id: int | None = None
    # Not settled yet, or settled by this very debit (the invoice was linked to it straight
    # from the bank): the confirmation is the paperwork of that same payment.
    if (
        paid is not None
        and settled.get(paid.id, (0, line.transaction_id))[1] == line.transaction_id
    ):
        invoice_id = paid.id
        settled[paid.id] = (0, line.transaction_id, order.document_id)
    outcome.confirmed_pairs[order.document_id] = (line.transaction_id, invoice_id)
    logger.info(
        "document %s ↔ transaction %s confirmed (invoice %s)",
        order.document_id,
        line.transaction_id,
        invoice_id,
    )
    return invoice_id
