"""Customer remittance advices: a customer's notice of money sent *to us*.

An advice names a receivable (by any of its references, harmonised as for credits by
`reconciliation.text.references`) and an amount; the credit that brought the money is the
inbound bank line of that amount in the workspace's date window, preferring the one already
matched to the receivable. Advice, credit and receivable are linked by one `remittance_credit`
match, shown on the receivable. The payment itself is recorded on the receivable by the credit
matching (`credits.py`), never twice. An advice nothing fits goes to review with the reason once
its date window has passed (a credit may still be on its way until then).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from decimal import Decimal

from django.db import transaction as db_transaction

from reconciliation.matching.scoring import PaymentOrder
from reconciliation.matching.sources import VendorDirectory
from reconciliation.matching.sources import payment_documents_without
from reconciliation.matching.sources import payment_order_from
from reconciliation.matching.sources import window_around
from reconciliation.models import Decision
from reconciliation.models import DecisionAction
from reconciliation.models import Document
from reconciliation.models import Match
from reconciliation.models import MatchKind
from reconciliation.models import MatchStatus
from reconciliation.models import Receivable
from reconciliation.models import Side
from reconciliation.models import Transaction
from reconciliation.models import TransactionStatus
from reconciliation.models import Workspace
from reconciliation.money import format_money
from reconciliation.text.references import ReferenceIndex
from reconciliation.vendors.identity import OwnNames

logger = logging.getLogger("reconciliation.matching")

#: Bank lines that carry money (a declined or reversed credit brought none).
MONEY_STATUSES = (TransactionStatus.PENDING, TransactionStatus.COMPLETED)
LINKED_STATUSES = (MatchStatus.PROPOSED, MatchStatus.CONFIRMED, MatchStatus.ATTACHED)


@dataclass
class RemittanceOutcome:
    considered: int = 0
    linked: int = 0
    sent_to_review: list[int] = field(default_factory=list)


def is_money_to_us(order: PaymentOrder, ourselves: OwnNames) -> bool:
    """An advice whose beneficiary is our company (and no known supplier) announces money
    received; the same rule makes the confirmation matcher leave it alone."""
    return not order.vendor_ids and ourselves.is_us(order.beneficiary_name)


def open_advices(workspace_id: int) -> list[Document]:
    """Parsed payment documents not linked to a credit yet (also those waiting for a person:
    a credit found later still links them)."""
    linked = Match.objects.for_workspace(workspace_id).filter(
        kind=MatchKind.REMITTANCE_CREDIT, status__in=LINKED_STATUSES
    )
    return list(payment_documents_without(workspace_id, linked))


def match_remittances(*, workspace_id: int, today: date) -> RemittanceOutcome:
    """Link each customer advice to its receivable and credit; past its window, an advice
    nothing fits goes to review with the reason."""
    workspace = Workspace.objects.get(pk=workspace_id)
    ourselves = OwnNames.of(workspace_id)
    vendors = VendorDirectory.load(workspace_id)
    outcome = RemittanceOutcome()
    receivables = _receivable_index(workspace_id)
    for document in open_advices(workspace_id):
        order = payment_order_from(
            document.pk,
            document.extraction if isinstance(document.extraction, dict) else None,
            vendors=vendors,
            default_currency=workspace.home_currency.upper(),
        )
        if isinstance(order, str) or not is_money_to_us(order, ourselves):
            continue
        outcome.considered += 1
        receivable = _receivable_named(receivables, order)
        credit = _credit_for(workspace, order, receivable) if receivable is not None else None
        if receivable is not None and credit is not None:
            _link(document, order, receivable, credit)
            outcome.linked += 1
            continue
        _, last_day = window_around(
            order.execution_date, before=0, after=workspace.match_days_after
        )
        if today > last_day:
            send_to_review(document, _why_nothing_fits(order, receivable, workspace))
            outcome.sent_to_review.append(document.pk)
    return outcome


def _receivable_index(workspace_id: int) -> ReferenceIndex[int]:
    index: ReferenceIndex[int] = ReferenceIndex()
    for pk, reference, others in Receivable.objects.for_workspace(workspace_id).values_list(
        "pk", "reference", "other_references"
    ):
        index.add(reference, pk)
        for other in others or []:
            index.add(str(other), pk)
    return index


def _receivable_named(index: ReferenceIndex[int], order: PaymentOrder) -> Receivable | None:
    """The one receivable the advice's reference names (an ambiguous reference names none)."""
    ids = {pk for _, pk in index.find(order.reference)}
    if len(ids) != 1:
        return None
    return Receivable.objects.filter(pk=ids.pop()).first()


def _credit_for(
    workspace: Workspace, order: PaymentOrder, receivable: Receivable
) -> Transaction | None:
    """The inbound line of the advice's amount in its window: the one already matched to the
    receivable when there is one, otherwise the only candidate (two equal credits are left to
    a person)."""
    first, last = window_around(
        order.execution_date, before=workspace.match_days_before, after=workspace.match_days_after
    )
    candidates = list(
        Transaction.objects.for_workspace(workspace.pk)
        .filter(
            side=Side.CREDIT,
            status__in=MONEY_STATUSES,
            amount=order.amount,
            currency=order.currency,
            value_date__range=(first, last),
        )
        .exclude(matches__kind=MatchKind.REMITTANCE_CREDIT, matches__status__in=LINKED_STATUSES)
        .order_by("value_date", "pk")
    )
    paying = [
        credit
        for credit in candidates
        if credit.matches.filter(
            kind=MatchKind.CREDIT_RECEIVABLE,
            receivable=receivable,
            status__in=(MatchStatus.CONFIRMED, MatchStatus.ATTACHED),
        ).exists()
    ]
    if len(paying) == 1:
        return paying[0]
    return candidates[0] if len(candidates) == 1 else None


def _link(
    document: Document, order: PaymentOrder, receivable: Receivable, credit: Transaction
) -> None:
    with db_transaction.atomic():
        match = Match.objects.create(
            workspace_id=document.workspace_id,
            kind=MatchKind.REMITTANCE_CREDIT,
            status=MatchStatus.CONFIRMED,
            document=document,
            transaction=credit,
            receivable=receivable,
            score=Decimal(100),
            reasons=[
                f"The advice names {receivable.reference}",
                f"Same amount {format_money(order.amount, order.currency)}",
                f"Credited on {credit.value_date:%d %b %Y}" if credit.value_date else "Credited",
            ],
            matched_amount=order.amount,
            matched_currency=order.currency,
        )
        if document.review_reason:
            document.clear_review()
            document.save(update_fields=["review_reason"])
        Decision.record_for_match(
            match,
            DecisionAction.PICK_MATCH,
            actor=None,
            after={"receivable": receivable.reference, "transaction": credit.qonto_id},
            reason=f"Remittance advice linked to {receivable.reference} and its credit.",
        )
    logger.info("advice %s linked to receivable %s", document.pk, receivable.pk)


def _why_nothing_fits(
    order: PaymentOrder, receivable: Receivable | None, workspace: Workspace
) -> str:
    if receivable is None:
        return f"Customer remittance advice: no receivable has the reference “{order.reference}”."
    return (
        f"Customer remittance advice for {receivable.reference}: no credit of "
        f"{format_money(order.amount, order.currency)} found within "
        f"{workspace.match_days_after} days."
    )


def send_to_review(document: Document, reason: str) -> None:
    """Ask a person to look at a payment document nothing fits (once; recorded as Well's)."""
    with db_transaction.atomic():
        locked = Document.objects.select_for_update().get(pk=document.pk)
        if locked.review_reason:
            return
        locked.send_to_review(reason)
        locked.save(update_fields=["review_reason"])
        Decision.record(
            workspace=locked.workspace_id,
            action=DecisionAction.SEND_TO_REVIEW,
            actor=None,
            document=locked,
            after={"review_reason": reason},
            reason=reason,
        )
