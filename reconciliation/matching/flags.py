"""One-click answers to the flags the matcher raises about money already gone.

- A *possible double payment* (a second debit for an invoice already paid): "refund requested"
  (the supplier is asked for the money back; the flag is closed as refused) or "not a
  duplicate" (the second debit paid something else).
- A *refused invoice the bank shows as paid*: "reopen" (the invoice goes back to review, it may
  be real after all) or "keep refused" (noted; the payment link stays, read-only).

Each answer is taken under the workspace's lock (never while a window is writing) and writes one
`Decision` (a reopening records the invoice's status before and after besides the flag's).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.db import transaction as db_transaction
from django.db.models import Case
from django.db.models import When

from reconciliation.matching.persist import Moved
from reconciliation.matching.persist import decide_match
from reconciliation.matching.review import INVOICE_DECISION_FIELDS
from reconciliation.matching.review import hold_workspace
from reconciliation.models import DecisionAction
from reconciliation.models import IllegalTransitionError
from reconciliation.models import Invoice
from reconciliation.models import InvoiceStatus
from reconciliation.models import Match
from reconciliation.models import MatchKind
from reconciliation.models import MatchStatus

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


def _decide(
    match: Match,
    kind: MatchKind,
    change: Callable[[Match], Moved | None],
    *,
    action: DecisionAction,
    reason: str,
    user: AbstractBaseUser | None,
) -> Match:
    if match.kind != kind:
        raise IllegalTransitionError("match", match.kind, action)
    with db_transaction.atomic():
        hold_workspace(match.workspace_id)
        locked = Match.objects.select_for_update().get(pk=match.pk)
        if locked.status != MatchStatus.PROPOSED:
            raise IllegalTransitionError("match", locked.status, action)
        decide_match(locked, change, action, actor=user, reason=reason)
    match.refresh_from_db()
    return match


def request_refund(*, match: Match, user: AbstractBaseUser | None, reason: str = "") -> Match:
    """The second debit was a double payment: a refund is requested from the supplier."""
    text = reason or f"Refund requested: {(match.reasons or ['double payment'])[0]}"
    return _decide(
        match,
        MatchKind.DOUBLE_PAYMENT,
        lambda locked: locked.refuse(user),
        action=DecisionAction.REFUND_REQUESTED,
        reason=text,
        user=user,
    )


def dismiss_double_payment(
    *, match: Match, user: AbstractBaseUser | None, reason: str = ""
) -> Match:
    """ "Not a duplicate": the second debit paid something else."""
    return _decide(
        match,
        MatchKind.DOUBLE_PAYMENT,
        lambda locked: locked.dismiss(user),
        action=DecisionAction.NOT_DUPLICATE,
        reason=reason or "Marked not a duplicate: the second debit paid something else.",
        user=user,
    )


def keep_refused(*, match: Match, user: AbstractBaseUser | None, reason: str = "") -> Match:
    """Noted: the invoice stays refused although it was paid (the link stays, read-only)."""
    return _decide(
        match,
        MatchKind.PAID_REFUSED,
        lambda locked: locked.confirm(user),
        action=DecisionAction.REFUSE,
        reason=reason or "Kept refused although the bank shows it paid.",
        user=user,
    )


def reopen_paid_refused(*, match: Match, user: AbstractBaseUser | None, reason: str = "") -> Match:
    """The invoice was paid, so it may be real after all: back to review."""
    text = reason or "Reopened: the bank shows it paid."

    def change(locked: Match) -> Moved:
        locked.confirm(user)
        invoice = Invoice.objects.select_for_update().get(pk=locked.invoice_id or 0)
        before = {"invoice_status": invoice.status}
        if invoice.can_move_to(InvoiceStatus.NEEDS_REVIEW):
            invoice.reopen(user, text)
            invoice.save(update_fields=INVOICE_DECISION_FIELDS)
        # The decision says the invoice went back to review.
        return before, {"invoice_status": invoice.status}

    return _decide(
        match,
        MatchKind.PAID_REFUSED,
        change,
        action=DecisionAction.REOPEN,
        reason=text,
        user=user,
    )


#: The matches that tie a debit to the invoice it paid (a possible double payment repeats one).
_PAYMENTS = (MatchKind.INVOICE_DEBIT, MatchKind.CONFIRMATION_DEBIT)
_PAYING = (MatchStatus.CONFIRMED, MatchStatus.ATTACHED, MatchStatus.PROPOSED)


def first_debits(flags: Iterable[Match]) -> dict[int, Match]:
    """{possible double payment's id: the debit it repeats}, in one query: the debit linked to
    its invoice other than its own — the one that paid it, else the one proposed first."""
    doubles = [m for m in flags if m.kind == MatchKind.DOUBLE_PAYMENT and m.invoice_id]
    if not doubles:
        return {}
    payments: dict[int, list[Match]] = defaultdict(list)
    for payment in (
        Match.objects.filter(
            kind__in=_PAYMENTS,
            invoice_id__in={m.invoice_id for m in doubles},
            status__in=_PAYING,
            transaction__isnull=False,
        )
        .select_related("transaction")
        .order_by(Case(When(status=MatchStatus.PROPOSED, then=1), default=0), "rank", "id")
    ):
        payments[payment.invoice_id or 0].append(payment)
    found: dict[int, Match] = {}
    for flag in doubles:
        mine = payments[flag.invoice_id or 0]
        first = next((p for p in mine if p.transaction_id != flag.transaction_id), None)
        if first is not None:
            found[flag.pk] = first
    return found


def first_debit_label(first: Match) -> str:
    """How a possible double payment's first debit is named beside it."""
    if first.status == MatchStatus.PROPOSED:
        return "First debit (proposed)"
    return "First debit (paid it)"
