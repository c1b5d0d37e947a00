"""What a reviewer decides about matches. Each entry point checks the transition, changes the
rows under a lock, and writes one `Decision` (who, when, before → after)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING
from typing import Any

from django.db import transaction as db_transaction
from django.utils import timezone

from reconciliation import fx
from reconciliation.matching.batch import MATCH_LEASE
from reconciliation.matching.invoices import InvoiceDirectory
from reconciliation.matching.invoices import settled_invoices
from reconciliation.matching.persist import match_summary
from reconciliation.matching.sources import VendorDirectory
from reconciliation.matching.sources import payment_order_from
from reconciliation.models import Decision
from reconciliation.models import DecisionAction
from reconciliation.models import Document
from reconciliation.models import IllegalTransitionError
from reconciliation.models import Invoice
from reconciliation.models import Match
from reconciliation.models import MatchKind
from reconciliation.models import MatchStatus
from reconciliation.models import Receivable
from reconciliation.models import SyncKind
from reconciliation.models import SyncRun
from reconciliation.models import Transaction
from reconciliation.models import Workspace

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

logger = logging.getLogger("reconciliation.matching")

PICKABLE_KINDS = (
    MatchKind.CONFIRMATION_DEBIT,
    MatchKind.INVOICE_DEBIT,
    MatchKind.CREDIT_RECEIVABLE,
)


#: What a person's decision changes on an invoice (its transition methods set these).
INVOICE_DECISION_FIELDS = ["status", "decided_by", "decided_at", "decision_reason", "updated_at"]


class MatchConflictError(Exception):
    """The pick would give one bank line to two pieces of paperwork, or matching is running."""


@dataclass(frozen=True)
class PickResult:
    match: Match
    rejected_match_ids: tuple[int, ...]
    invoice_id: int | None


@dataclass(frozen=True)
class RejectResult:
    rejected_match_ids: tuple[int, ...]


def hold_workspace(workspace_id: int) -> None:
    """Decide under the workspace's row lock, and never while a matching run is writing: its
    rankings were computed before this decision and would overwrite it. `match_window` claims
    its run under the same lock, so the two can never interleave."""
    Workspace.objects.select_for_update().get(pk=workspace_id)
    if SyncRun.objects.still_running(workspace_id, SyncKind.MATCHING, lease=MATCH_LEASE).exists():
        raise MatchConflictError(
            "Matching is running for this workspace right now; try again in a few seconds."
        )


def pick_candidate(*, match: Match, user: AbstractBaseUser | None) -> PickResult:
    """The reviewer says "this one": confirm it, reject its competitors. A confirmation is
    then attached at the end of the window; a credit records the payment on its receivable."""
    if match.kind not in PICKABLE_KINDS:
        raise IllegalTransitionError("match", match.kind, "picked")
    with db_transaction.atomic():
        hold_workspace(match.workspace_id)
        locked = Match.objects.select_for_update().get(pk=match.pk)
        if locked.status != MatchStatus.PROPOSED:
            # Another reviewer decided meanwhile (a stale page): never confirm a second debit.
            raise IllegalTransitionError("match", locked.status, MatchStatus.CONFIRMED)
        before = match_summary(locked)
        siblings = _competitors(locked)
        _refuse_taken(locked)
        rejected: list[int] = []
        for sibling in siblings:
            sibling.reject(user)
            sibling.save(update_fields=["status", "decided_by", "decided_at"])
            rejected.append(sibling.pk)
        locked.confirm(user)
        locked.rank = 1
        invoice_id = _settled_invoice_for(locked)
        locked.invoice_id = (
            invoice_id if locked.kind == MatchKind.CONFIRMATION_DEBIT else locked.invoice_id
        )
        locked.save(update_fields=["status", "decided_by", "decided_at", "rank", "invoice"])
        if locked.invoice_id is not None:  # a paid foreign invoice: what its debit took
            fx.store_paid_conversions(
                workspace_id=locked.workspace_id, invoice_ids=[locked.invoice_id]
            )
        if locked.kind == MatchKind.CREDIT_RECEIVABLE and locked.receivable_id is not None:
            receivable = Receivable.objects.select_for_update().get(pk=locked.receivable_id or 0)
            receivable.record_payment(locked.matched_amount or _credit_amount(locked))
            receivable.save(update_fields=["amount_paid", "status"])
        Decision.record_for_match(
            locked,
            DecisionAction.PICK_MATCH,
            actor=user,
            before=before,
            after={**match_summary(locked), "rejected": rejected},
        )
    logger.info("match %s picked by %s; rejected %s", locked.pk, user, rejected)
    match.refresh_from_db()
    return PickResult(match=match, rejected_match_ids=tuple(rejected), invoice_id=invoice_id)


def _competitors(match: Match) -> list[Match]:
    others = Match.objects.select_for_update().filter(
        workspace_id=match.workspace_id, kind=match.kind, status=MatchStatus.PROPOSED
    )
    if match.kind == MatchKind.CONFIRMATION_DEBIT:
        others = others.filter(document=match.document_id)
    elif match.kind == MatchKind.INVOICE_DEBIT:
        others = others.filter(invoice=match.invoice_id)
    else:
        others = others.filter(transaction=match.transaction_id)
    return list(others.exclude(pk=match.pk).order_by("rank", "id"))


def _refuse_taken(match: Match) -> None:
    """One bank line pays one piece of paperwork of each kind."""
    clash = Match.objects.filter(
        workspace_id=match.workspace_id,
        kind=match.kind,
        transaction=match.transaction_id,
        status__in=(MatchStatus.CONFIRMED, MatchStatus.ATTACHED),
    ).exclude(pk=match.pk)
    other = clash.values_list("document_id", "receivable_id").first()
    if other is not None:
        raise MatchConflictError(
            f"This transaction is already matched (document {other[0]}, receivable {other[1]})."
        )


def _settled_invoice_for(match: Match) -> int | None:
    """The invoice a picked confirmation pays, when unambiguous and not settled already."""
    if match.kind != MatchKind.CONFIRMATION_DEBIT or match.document_id is None:
        return None
    document = Document.objects.get(pk=match.document_id or 0)
    workspace = Workspace.objects.get(pk=match.workspace_id)
    order = payment_order_from(
        document.pk,
        document.extraction if isinstance(document.extraction, dict) else None,
        vendors=VendorDirectory.load(match.workspace_id),
        default_currency=workspace.home_currency,
    )
    if isinstance(order, str):
        return None
    line_reference = (
        Transaction.objects.filter(pk=match.transaction_id or 0)
        .values_list("reference", flat=True)
        .first()
        or ""
    )
    directory = InvoiceDirectory.load(match.workspace_id, today=timezone.now().date())
    paid = directory.paid_by(order, line_reference)
    if paid is None or paid.id in settled_invoices(match.workspace_id):
        return None
    return paid.id


def _credit_amount(match: Match) -> Any:
    amount = (
        Transaction.objects.filter(pk=match.transaction_id or 0)
        .values_list("amount", flat=True)
        .first()
    )
    if amount is None:
        raise IllegalTransitionError("match", match.status, "picked without an amount")
    return amount


def _reject_proposals(
    workspace_id: int,
    user: AbstractBaseUser | None,
    *,
    kind: MatchKind,
    owner: dict[str, Any],
    about: dict[str, Any],
    reason: str,
) -> RejectResult:
    """Reject every proposal of ``kind`` for one owner (a document, an invoice or a credit);
    the matcher does not propose them again (it skips rejected pairs)."""
    with db_transaction.atomic():
        hold_workspace(workspace_id)
        proposals = list(
            Match.objects.select_for_update()
            .filter(workspace_id=workspace_id, kind=kind, status=MatchStatus.PROPOSED, **owner)
            .order_by("rank", "id")
        )
        for proposal in proposals:
            proposal.reject(user)
            proposal.save(update_fields=["status", "decided_by", "decided_at"])
        rejected = tuple(p.pk for p in proposals)
        before = {key: value for key, value in about.items() if key == "transaction"}
        Decision.record(
            workspace=workspace_id,
            action=DecisionAction.REJECT_MATCHES,
            actor=user,
            match=proposals[0] if proposals and "match" in about else None,
            invoice=about.get("invoice"),
            document=about.get("document"),
            before={**before, "proposed": list(rejected)},
            after={"rejected": list(rejected)},
            reason=reason,
        )
    return RejectResult(rejected)


def reject_all(
    *, document: Document, user: AbstractBaseUser | None, reason: str = ""
) -> RejectResult:
    """The reviewer says "none of these": every proposed debit of this confirmation is
    rejected, and the matcher stops proposing for it."""
    return _reject_proposals(
        document.workspace_id,
        user,
        kind=MatchKind.CONFIRMATION_DEBIT,
        owner={"document": document},
        about={"document": document},
        reason=reason or "No debit on the bank account is this payment.",
    )


def reject_invoice_candidates(
    *, invoice: Invoice, user: AbstractBaseUser | None, reason: str = ""
) -> RejectResult:
    """ "None of these" for an invoice: none of the proposed debits paid it, and they are not
    proposed again."""
    return _reject_proposals(
        invoice.workspace_id,
        user,
        kind=MatchKind.INVOICE_DEBIT,
        owner={"invoice": invoice},
        about={"invoice": invoice, "document": invoice.document_id},
        reason=reason or "No debit on the bank account paid this invoice.",
    )


def reject_credit_candidates(
    *, transaction: Transaction, user: AbstractBaseUser | None, reason: str = ""
) -> RejectResult:
    """ "None of these" for an inbound credit: its proposed receivables are rejected and it is
    not proposed again."""
    return _reject_proposals(
        transaction.workspace_id,
        user,
        kind=MatchKind.CREDIT_RECEIVABLE,
        owner={"transaction": transaction},
        about={"transaction": transaction.qonto_id, "match": True},
        reason=reason or "This credit pays none of the proposed receivables.",
    )


def refuse_double_charge(*, match: Match, user: AbstractBaseUser | None, reason: str = "") -> Match:
    """One click: the request is a double charge. Its invoice is refused (it stays held, so
    nothing posts it), and who refused it when is recorded."""
    if match.kind != MatchKind.DOUBLE_CHARGE:
        raise IllegalTransitionError("match", match.kind, MatchStatus.REFUSED)
    with db_transaction.atomic():
        hold_workspace(match.workspace_id)
        locked = Match.objects.select_for_update().get(pk=match.pk)
        before = match_summary(locked)
        locked.refuse(user)
        locked.save(update_fields=["status", "decided_by", "decided_at"])
        text = reason or _double_charge_text(locked)
        invoice_before: dict[str, Any] = {}
        invoice_after: dict[str, Any] = {}
        if locked.invoice_id is not None:
            invoice = Invoice.objects.select_for_update().get(pk=locked.invoice_id or 0)
            invoice_before = {"invoice_status": invoice.status, "is_held": invoice.is_held}
            if invoice.can_refuse:
                invoice.refuse(user, text)
                invoice.save(update_fields=INVOICE_DECISION_FIELDS)
            invoice_after = {"invoice_status": invoice.status, "is_held": invoice.is_held}
        Decision.record_for_match(
            locked,
            DecisionAction.REFUSE,
            actor=user,
            before={**before, **invoice_before},
            after={**match_summary(locked), **invoice_after},
            reason=text,
        )
    match.refresh_from_db()
    return match


def dismiss_double_charge(
    *, match: Match, user: AbstractBaseUser | None, reason: str = ""
) -> Match:
    """ "Not a duplicate": the hold is released (unless another suspicion still holds the
    invoice) and the invoice goes on through review as usual."""
    if match.kind != MatchKind.DOUBLE_CHARGE:
        raise IllegalTransitionError("match", match.kind, MatchStatus.DISMISSED)
    with db_transaction.atomic():
        hold_workspace(match.workspace_id)
        locked = Match.objects.select_for_update().get(pk=match.pk)
        before = match_summary(locked)
        locked.dismiss(user)
        locked.save(update_fields=["status", "decided_by", "decided_at"])
        invoice_after: dict[str, Any] = {}
        if locked.invoice_id is not None:
            invoice = Invoice.objects.select_for_update().get(pk=locked.invoice_id or 0)
            standing = other_hold_reason(invoice, answered=locked)
            if standing is None:
                invoice.release_hold()
            elif invoice.is_held:
                # The hold now says why it still stands, not the suspicion just answered.
                invoice.hold_reason = standing[:300]
            invoice.save(update_fields=["is_held", "hold_reason", "updated_at"])
            invoice_after = {"is_held": invoice.is_held}
        Decision.record_for_match(
            locked,
            DecisionAction.NOT_DUPLICATE,
            actor=user,
            before=before,
            after={**match_summary(locked), **invoice_after},
            reason=reason or "Marked not a duplicate.",
        )
    match.refresh_from_db()
    return match


def reopen_double_charges(*, invoice: Invoice, user: AbstractBaseUser | None) -> list[int]:
    """A refused invoice is reopened: the double charges refused with it are asked again
    (proposed), so "Not a duplicate" and "Refuse" are offered once more, and the invoice stays
    held until a person answers. Called inside the reopen's transaction; each one recorded."""
    reopened: list[int] = []
    refused = Match.objects.select_for_update().filter(
        invoice=invoice, kind=MatchKind.DOUBLE_CHARGE, status=MatchStatus.REFUSED
    )
    for match in refused.order_by("pk"):
        before = match_summary(match)
        match.ask_again()
        match.save(update_fields=["status", "decided_by", "decided_at"])
        Decision.record_for_invoice(
            invoice,
            DecisionAction.REOPEN,
            actor=user,
            match=match,
            before=before,
            after=match_summary(match),
            reason="Invoice reopened: the double charge is to be answered again.",
        )
        reopened.append(match.pk)
        if not invoice.is_held:
            invoice.hold(str(match.reasons[0]) if match.reasons else _double_charge_text(match))
    return reopened


def other_hold_reason(invoice: Invoice, *, answered: Match) -> str | None:
    """Why the invoice stays held once the double charge `answered` is dismissed: another
    suspected double charge, bank details waiting for two confirmations, or a revision of a
    posted invoice nobody decided to post as its own entry yet. None: nothing else holds it."""
    from reconciliation.posting.revisions import REVISED_AFTER_POSTING
    from reconciliation.vendors.bank_details import open_change

    other = (
        Match.objects.filter(
            kind=MatchKind.DOUBLE_CHARGE, invoice=invoice, status=MatchStatus.PROPOSED
        )
        .exclude(pk=answered.pk)
        .first()
    )
    if other is not None:
        return str(other.reasons[0]) if other.reasons else invoice.hold_reason
    change = open_change(invoice.pk)
    if change is not None:
        return change.reason
    if invoice.revision_of_id is not None and not _revision_decided(invoice):
        original = Invoice.objects.filter(pk=invoice.revision_of_id).values_list(
            "number", flat=True
        )
        return (
            f"{REVISED_AFTER_POSTING}: invoice {original.first() or invoice.revision_of_id} is "
            "already in Qonto; refuse this version or post it as its own entry."
        )
    return None


def _revision_decided(invoice: Invoice) -> bool:
    """Whether a person decided this revision goes to Qonto as its own entry (the only
    decision that uploads an invoice Qonto may already have)."""
    return Decision.objects.filter(invoice=invoice, action=DecisionAction.POST_ANYWAY).exists()


def _double_charge_text(match: Match) -> str:
    settled = (
        Invoice.objects.filter(pk=match.settled_invoice_id).values_list("number", flat=True).first()
        if match.settled_invoice_id
        else None
    )
    return f"Double charge of invoice {settled or match.settled_invoice_id}, already paid."


__all__ = [
    "MatchConflictError",
    "PickResult",
    "RejectResult",
    "dismiss_double_charge",
    "pick_candidate",
    "refuse_double_charge",
    "reject_all",
    "reject_credit_candidates",
    "reject_invoice_candidates",
    "reopen_double_charges",
]
