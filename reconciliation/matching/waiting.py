"""Payment confirmations and transfer notices still waiting for their debit.

The confirmation matcher tries every open confirmation again at each window, so a debit that
reaches the bank late is still found. Until then the document is listed as "waiting for its
debit" with its age; once the workspace's date window after its execution date has passed
with no debit, it goes to review with the reason "no debit found within N days". A reviewer
then picks what to do (set it aside, or wait: the matcher keeps trying, and a debit found
later takes it out of the queue).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import timedelta

from django.db.models import Exists
from django.db.models import OuterRef
from django.db.models import QuerySet

from reconciliation.matching.remittances import RemittanceOutcome
from reconciliation.matching.remittances import is_money_to_us
from reconciliation.matching.remittances import match_remittances
from reconciliation.matching.remittances import send_to_review
from reconciliation.matching.sources import VendorDirectory
from reconciliation.matching.sources import payment_order_from
from reconciliation.models import PAYMENT_KINDS
from reconciliation.models import Document
from reconciliation.models import DocumentStatus
from reconciliation.models import Match
from reconciliation.models import MatchKind
from reconciliation.models import MatchStatus
from reconciliation.models import Workspace
from reconciliation.vendors.identity import OwnNames

logger = logging.getLogger("reconciliation.matching")

#: Matches that give a payment document its bank line (or make it someone's decision).
LINKED = (MatchStatus.PROPOSED, MatchStatus.CONFIRMED, MatchStatus.ATTACHED)


def waiting_for_debit(documents: QuerySet[Document]) -> QuerySet[Document]:
    """Parsed payment documents with no debit yet: no match proposed or confirmed, not a
    double charge, not a customer's advice already linked (one answered "none of these" waits
    for another debit)."""
    linked = Match.objects.filter(document=OuterRef("pk"), status__in=LINKED)
    flagged = Match.objects.filter(document=OuterRef("pk"), kind=MatchKind.DOUBLE_CHARGE)
    return (
        documents.filter(kind__in=PAYMENT_KINDS, status=DocumentStatus.PARSED)
        .exclude(Exists(linked))
        .exclude(Exists(flagged))
    )


@dataclass
class WaitingOutcome:
    waiting: int = 0
    sent_to_review: list[int] = field(default_factory=list)
    back_from_review: list[int] = field(default_factory=list)


def follow_up_payments(
    *, workspace_id: int, today: date
) -> tuple[RemittanceOutcome, WaitingOutcome]:
    """The window's last matching step: customers' advices to their credits, then the payments
    still without a bank line past their window to review."""
    remittances = match_remittances(workspace_id=workspace_id, today=today)
    waiting = review_unmatched_payments(workspace_id=workspace_id, today=today)
    logger.info(
        "workspace %s: %s advices linked, %s payments waiting, %s sent to review",
        workspace_id,
        remittances.linked,
        waiting.waiting,
        len(remittances.sent_to_review) + len(waiting.sent_to_review),
    )
    return remittances, waiting


def review_unmatched_payments(*, workspace_id: int, today: date) -> WaitingOutcome:
    """Past the workspace's window, a payment with no debit goes to review with the reason;
    one that found its debit since leaves the queue."""
    workspace = Workspace.objects.get(pk=workspace_id)
    outcome = WaitingOutcome()
    outcome.back_from_review = _matched_since(workspace_id)
    ourselves = OwnNames.of(workspace_id)
    vendors = VendorDirectory.load(workspace_id)
    days = workspace.match_days_after
    waiting = waiting_for_debit(Document.objects.for_workspace(workspace_id)).filter(
        review_reason=""
    )
    for document in waiting.order_by("pk"):
        outcome.waiting += 1
        order = payment_order_from(
            document.pk,
            document.extraction if isinstance(document.extraction, dict) else None,
            vendors=vendors,
            default_currency=workspace.home_currency.upper(),
        )
        if not isinstance(order, str) and is_money_to_us(order, ourselves):
            continue  # a customer's advice: remittances.py looks for its credit
        since = order.execution_date if not isinstance(order, str) else None
        since = since or document.received_at.date()
        if today > since + timedelta(days=days):
            send_to_review(document, f"No debit found within {days} days.")
            outcome.sent_to_review.append(document.pk)
    return outcome


def _matched_since(workspace_id: int) -> list[int]:
    """Documents sent to review for want of a bank line that have one now."""
    linked = Match.objects.filter(document=OuterRef("pk"), status__in=LINKED)
    found = list(
        Document.objects.for_workspace(workspace_id)
        .exclude(review_reason="")
        .filter(Exists(linked))
    )
    for document in found:
        document.clear_review()
        document.save(update_fields=["review_reason"])
        logger.info("document %s found its bank line; it left the review queue", document.pk)
    return [document.pk for document in found]
