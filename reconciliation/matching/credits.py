"""Inbound credits ↔ receivables (and suppliers' credit notes refunded to us).

The reference leads: every open receivable's reference is indexed, and a credit's remittance
text is searched for it (exact, abbreviated, truncated — see `reconciliation.text.references`).
When no reference names anything, an amount equal to what is due from a recognisable
counterparty may still settle it. A confident match records the payment on the receivable
(partial payments leave the rest due); anything ambiguous goes to review with its candidates.

Work is incremental: a window looks at credits synced since the last matching run, plus every
credit still waiting for review; when receivables were added since, all credits that could pay
them (from the earliest open issue date on) are looked at again.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from datetime import date
from datetime import datetime
from datetime import timedelta
from decimal import Decimal
from typing import Literal

from django.db import transaction as db_transaction
from django.db.models import Q

from reconciliation.fx import RateBook
from reconciliation.matching.persist import MatchWriter
from reconciliation.matching.persist import chunks
from reconciliation.matching.persist import load_proposals
from reconciliation.matching.scoring import BankLine
from reconciliation.matching.scoring import MatchPolicy
from reconciliation.matching.scoring import Ranking
from reconciliation.matching.scoring import ReceivableTarget
from reconciliation.matching.scoring import ScoredCandidate
from reconciliation.matching.scoring import rank
from reconciliation.matching.scoring import score_credit
from reconciliation.matching.sources import LINE_FIELDS
from reconciliation.matching.sources import Context
from reconciliation.matching.sources import bank_line
from reconciliation.models import Invoice
from reconciliation.models import InvoiceStatus
from reconciliation.models import Match
from reconciliation.models import MatchKind
from reconciliation.models import MatchStatus
from reconciliation.models import Receivable
from reconciliation.models import ReceivableStatus
from reconciliation.models import Side
from reconciliation.models import Transaction
from reconciliation.models import TransactionStatus
from reconciliation.text.identifiers import compact_iban
from reconciliation.text.names import normalize_counterparty
from reconciliation.text.references import Hit
from reconciliation.text.references import ReferenceIndex

logger = logging.getLogger("reconciliation.matching")

TargetKey = tuple[Literal["receivable", "credit_note"], int]
#: A customer may pay this long before the receivable's issue date (prepayments).
PREPAYMENT_DAYS = 30
UNDATED_LOOKBACK = timedelta(days=400)


@dataclass
class CreditOutcome:
    considered: int = 0
    confirmed: int = 0
    proposed: int = 0
    unmatched: int = 0
    receivables_paid: int = 0
    partial_payments: int = 0


@dataclass
class Targets:
    """Open receivables and unrefunded credit notes, by reference and by amount due."""

    items: dict[TargetKey, ReceivableTarget] = field(default_factory=dict)
    references: ReferenceIndex[TargetKey] = field(default_factory=ReferenceIndex)
    by_amount: dict[tuple[str, Decimal], set[TargetKey]] = field(
        default_factory=lambda: defaultdict(set)
    )
    earliest: date | None = None
    #: A receivable without an issue date may be paid by any credit of `UNDATED_LOOKBACK`.
    has_undated: bool = False

    def add(self, target: ReceivableTarget) -> None:
        key: TargetKey = (target.kind, target.id)
        self.items[key] = target
        # A customer may pay by any reference printed on it: its number, RF or +++…+++.
        for reference in (target.reference, *target.other_references):
            self.references.add(reference, key)
        self.by_amount[(target.currency, target.amount_due)].add(key)
        if target.issue_date is None:
            self.has_undated = True
        elif self.earliest is None or target.issue_date < self.earliest:
            self.earliest = target.issue_date

    def record(self, key: TargetKey, received: Decimal) -> None:
        """Lower what is due after a payment, so a later credit in the window sees the rest."""
        target = self.items[key]
        self.by_amount[(target.currency, target.amount_due)].discard(key)
        updated = replace(target, amount_due=max(Decimal(0), target.amount_due - received))
        self.items[key] = updated
        if updated.amount_due > 0:
            self.by_amount[(updated.currency, updated.amount_due)].add(key)

    @classmethod
    def load(cls, workspace_id: int) -> Targets:
        targets = cls()
        targets._load_receivables(workspace_id)
        targets._load_credit_notes(workspace_id)
        return targets

    def _load_receivables(self, workspace_id: int) -> None:
        for pk, reference, others, name, iban, amount, paid, currency, issued, due in (
            Receivable.objects.for_workspace(workspace_id)
            .open()
            .values_list(
                "id",
                "reference",
                "other_references",
                "customer_name",
                "customer_iban",
                "amount",
                "amount_paid",
                "currency",
                "issue_date",
                "due_date",
            )
        ):
            self.add(
                ReceivableTarget(
                    kind="receivable",
                    id=pk,
                    reference=reference,
                    other_references=tuple(str(other) for other in others or () if other),
                    amount_due=amount - paid,
                    currency=currency.upper(),
                    name=normalize_counterparty(name),
                    iban=compact_iban(iban),
                    issue_date=issued,
                    due_date=due,
                )
            )

    def _load_credit_notes(self, workspace_id: int) -> None:
        """Our suppliers' credit notes not refunded yet: their refund is a credit."""
        refunded = Match.objects.for_workspace(workspace_id).filter(
            kind=MatchKind.CREDIT_RECEIVABLE,
            status__in=(MatchStatus.CONFIRMED, MatchStatus.ATTACHED),
            invoice__isnull=False,
        )
        for pk, number, name, iban, amount, currency, issued, due in (
            Invoice.objects.for_workspace(workspace_id)
            .filter(is_credit_note=True, total_amount__isnull=False)
            .exclude(status=InvoiceStatus.REFUSED)
            .exclude(number="")
            .exclude(pk__in=refunded.values("invoice_id"))
            .values_list(
                "id",
                "number",
                "supplier_name",
                "supplier_iban",
                "total_amount",
                "currency",
                "issue_date",
                "due_date",
            )
        ):
            self.add(
                ReceivableTarget(
                    kind="credit_note",
                    id=pk,
                    reference=number,
                    amount_due=abs(amount),
                    currency=(currency or "EUR").upper(),
                    name=normalize_counterparty(name),
                    iban=compact_iban(iban),
                    issue_date=issued,
                    due_date=due,
                )
            )


def credits_to_match(
    workspace_id: int, *, targets: Targets, since: datetime | None, today: date
) -> list[tuple[object, ...]]:
    """Credits worth a look (see the module docstring), oldest first."""
    if not targets.items:
        return []
    settled = Match.objects.for_workspace(workspace_id).filter(
        kind=MatchKind.CREDIT_RECEIVABLE,
        status__in=(MatchStatus.CONFIRMED, MatchStatus.ATTACHED, MatchStatus.REJECTED),
    )
    credits = Transaction.objects.for_workspace(workspace_id).filter(
        side=Side.CREDIT, status=TransactionStatus.COMPLETED, value_date__isnull=False
    )
    start = (targets.earliest or today) - timedelta(days=PREPAYMENT_DAYS)
    if targets.has_undated:
        start = min(start, today - UNDATED_LOOKBACK)
    waiting = Match.objects.for_workspace(workspace_id).filter(
        kind=MatchKind.CREDIT_RECEIVABLE, status=MatchStatus.PROPOSED
    )
    new_targets = (
        since is None
        or Receivable.objects.for_workspace(workspace_id).filter(created_at__gte=since).exists()
        or Invoice.objects.for_workspace(workspace_id)
        .filter(is_credit_note=True, created_at__gte=since)
        .exists()
    )
    if new_targets:
        chosen = credits.filter(value_date__gte=start)
    else:
        assert since is not None
        chosen = credits.filter(
            Q(synced_at__gte=since) | Q(pk__in=waiting.values("transaction_id")),
            value_date__gte=start,
        )
    return list(
        chosen.exclude(pk__in=settled.values("transaction_id"))
        .order_by("value_date", "id")
        .values_list(*LINE_FIELDS)
    )


def match_credits(context: Context, *, today: date, since: datetime | None) -> CreditOutcome:
    workspace_id, policy, vendors = context.workspace_id, context.policy, context.vendors
    rates = context.rates
    outcome = CreditOutcome()
    targets = Targets.load(workspace_id)
    rows = credits_to_match(workspace_id, targets=targets, since=since, today=today)
    outcome.considered = len(rows)
    decided: list[tuple[BankLine, Ranking, bool]] = []
    found = [
        (line, targets.references.find_all(line.reference))
        for line in (bank_line(row, vendors) for row in rows)
    ]
    # Credits a reference ties to a receivable go first: a same-amount credit without one
    # must not take the receivable from its own payment arriving a day later.
    found.sort(key=lambda pair: not pair[1])
    for line, hits in found:
        ranking = _rank_credit(line, hits, targets, policy=policy, rates=rates)
        confident = ranking.is_confident and ranking.best is not None
        if confident and ranking.best is not None:
            key = _key_of(ranking.best)
            targets.record(key, ranking.best.amount.matched_amount)
        decided.append((line, ranking, confident))
    _persist(workspace_id, decided, targets, outcome)
    return outcome


def _rank_credit(
    line: BankLine,
    hits: list[tuple[Hit, TargetKey]],
    targets: Targets,
    *,
    policy: MatchPolicy,
    rates: RateBook,
) -> Ranking:
    scored: list[ScoredCandidate] = []
    if hits:
        for hit, key in hits:
            target = targets.items[key]
            rate = rates.rate(line.currency, target.currency, line.value_date)
            candidate = score_credit(
                line, target, tier=hit.tier, policy=policy, rate=rate, named=hit.reference.raw
            )
            if candidate is not None:
                scored.append(candidate)
    else:
        keys = set(targets.by_amount.get((line.currency, line.amount), ()))
        if line.local_amount is not None:
            keys |= targets.by_amount.get((line.local_currency, line.local_amount), set())
        for key in sorted(keys):
            target = targets.items[key]
            rate = rates.rate(line.currency, target.currency, line.value_date)
            candidate = score_credit(line, target, tier=None, policy=policy, rate=rate)
            if candidate is not None:
                scored.append(candidate)
    return rank(scored, policy)


def _key_of(candidate: ScoredCandidate) -> TargetKey:
    if candidate.target_kind == "credit_note":
        return ("credit_note", candidate.target_id)
    return ("receivable", candidate.target_id)


def _persist(
    workspace_id: int,
    decided: list[tuple[BankLine, Ranking, bool]],
    targets: Targets,
    outcome: CreditOutcome,
) -> None:
    proposals = Match.objects.for_workspace(workspace_id).filter(kind=MatchKind.CREDIT_RECEIVABLE)
    writer = MatchWriter(
        load_proposals(
            proposals, "transaction", [line.transaction_id for line, _, _ in decided], _match_key
        )
    )
    payments: list[tuple[int, Decimal | None]] = []
    for line, ranking, confident in decided:
        kept = writer.keep_ranking(
            line.transaction_id,
            ranking,
            confident=confident,
            key_of=_key_of,
            fields={
                "workspace_id": workspace_id,
                "kind": MatchKind.CREDIT_RECEIVABLE,
                "transaction_id": line.transaction_id,
            },
            side_of=_target_side,
        )
        if confident and kept and kept[0].target_kind == "receivable":
            payments.append((kept[0].target_id, _payment_of(kept[0])))
        if confident:
            outcome.confirmed += 1
        elif kept:
            outcome.proposed += 1
        else:
            outcome.unmatched += 1
    with db_transaction.atomic():
        writer.save(owners=[line.transaction_id for line, _, _ in decided])
        _record_payments(workspace_id, payments, outcome)


def _match_key(match: Match) -> TargetKey:
    if match.receivable_id is not None:
        return ("receivable", match.receivable_id)
    return ("credit_note", match.invoice_id or 0)


def _target_side(candidate: ScoredCandidate) -> dict[str, int | None]:
    kind, target_id = _key_of(candidate)
    return {
        "receivable_id": target_id if kind == "receivable" else None,
        "invoice_id": target_id if kind == "credit_note" else None,
    }


def _payment_of(candidate: ScoredCandidate) -> Decimal | None:
    """What a confident credit pays on its receivable. A converted amount within the FX
    tolerance pays what is due, not a rounding error's worth less: None stands for "the whole
    amount due"."""
    if candidate.amount.basis == "converted" and candidate.amount.distance < 1:
        return None
    return candidate.amount.matched_amount


def _record_payments(
    workspace_id: int, payments: list[tuple[int, Decimal | None]], outcome: CreditOutcome
) -> None:
    """Apply the payments to freshly locked receivables (amount_paid moves by the amount, so a
    concurrent edit of another field is never overwritten)."""
    if not payments:
        return
    receivables: dict[int, Receivable] = {}
    for chunk in chunks(receivable_id for receivable_id, _ in payments):
        receivables.update(
            (receivable.pk, receivable)
            for receivable in Receivable.objects.for_workspace(workspace_id)
            .select_for_update()
            .filter(pk__in=chunk)
        )
    for receivable_id, amount in payments:
        receivable = receivables[receivable_id]
        receivable.record_payment(receivable.amount_due if amount is None else amount)
    for receivable in receivables.values():
        receivable.save(update_fields=["amount_paid", "status"])
        if receivable.status == ReceivableStatus.PAID:
            outcome.receivables_paid += 1
        elif receivable.status == ReceivableStatus.PARTIALLY_PAID:
            outcome.partial_payments += 1
