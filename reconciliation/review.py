"""Review decisions: what a reviewer does to a document of the review queue.

The queue holds a workspace's documents that need a person: invoices routed to review, double
charges held out of posting, and payment confirmations whose debit was not certain. Each
decision here changes the rows through the models' transitions and leaves a `Decision` row
(who, when, the values before and after), so the history panel and the audit export can
replay it.

Corrections and approvals made on the review screen go through
`reconciliation.learning.record_review`, which writes the corrected values, teaches the
vendor's learned mapping and counts the document toward the vendor's training. Bulk approvals
from the list do not teach the mapping: nobody looked at the fields one by one.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING
from typing import Any

from django.db import transaction
from django.db.models import Count
from django.db.models import Exists
from django.db.models import F
from django.db.models import IntegerField
from django.db.models import OrderBy
from django.db.models import OuterRef
from django.db.models import QuerySet
from django.db.models import Subquery
from django.db.models import Value
from django.db.models.functions import Coalesce

from reconciliation.extraction.types import HEADER_FIELDS
from reconciliation.models import Decision
from reconciliation.models import DecisionAction
from reconciliation.models import Document
from reconciliation.models import DocumentStatus
from reconciliation.models import IllegalTransitionError
from reconciliation.models import Invoice
from reconciliation.models import InvoiceStatus
from reconciliation.models import Match
from reconciliation.models import MatchKind
from reconciliation.models import MatchStatus
from reconciliation.queue import enqueue

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

logger = logging.getLogger(__name__)

#: The invoice fields a reviewer sees and may correct, in screen order (extraction names).
REVIEW_FIELDS: tuple[str, ...] = (
    *HEADER_FIELDS,
    "net_amount",
    "tax_amount",
    "total_amount",
    "currency",
    "ledger_account",
)
#: Invoice column holding each review field (the extraction calls the number invoice_number).
FIELD_COLUMNS: dict[str, str] = {name: name for name in REVIEW_FIELDS} | {
    "invoice_number": "number"
}
#: Payment matches a reviewer settles by picking a candidate (or none), as matching defines.
CANDIDATE_KINDS = (MatchKind.CONFIRMATION_DEBIT,)
#: Refusing needs a reason a colleague (or an auditor) can understand later.
MIN_REASON_LENGTH = 3


class ReviewError(Exception):
    """A decision that cannot be taken on this document in its current state."""


@dataclass(frozen=True)
class ReviewResult:
    invoice_id: int
    status: str
    corrected: tuple[str, ...] = ()
    message: str = ""


@dataclass
class BulkResult:
    """What a bulk decision did: ids done, and for each id skipped the sentence saying why."""

    done: list[int] = field(default_factory=list)
    skipped: dict[int, str] = field(default_factory=dict)

    @property
    def summary(self) -> str:
        reasons: dict[str, int] = {}
        for reason in self.skipped.values():
            reasons[reason] = reasons.get(reason, 0) + 1
        return "; ".join(f"{count} {reason}" for reason, count in sorted(reasons.items()))


# --- the queue -----------------------------------------------------------------------------


def queue_documents(
    documents: QuerySet[Document], workspace_ids: Collection[int] | None = None
) -> QuerySet[Document]:
    """The documents of `documents` that need a reviewer, annotated for the queue's columns.

    `workspace_ids` (the reader's workspaces; None for every workspace) narrows the queue's id
    sets before they meet `documents`, so their cost follows the reader's workspaces, not the
    number of tenants on the server.

    Annotations: `is_double_charge` (a proposed double-charge match) and `open_candidates`
    (proposed payment matches to pick from). Documents Well sent to review without an invoice
    (a payment with no debit, an advice nothing fits) carry their `review_reason`.
    """
    double_charges = Match.objects.filter(
        document=OuterRef("pk"), kind=MatchKind.DOUBLE_CHARGE, status=MatchStatus.PROPOSED
    )
    candidates = (
        Match.objects.filter(
            document=OuterRef("pk"), kind__in=CANDIDATE_KINDS, status=MatchStatus.PROPOSED
        )
        .order_by()
        .values("document")
        .annotate(count=Count("pk"))
        .values("count")
    )
    # The queue as a union of small indexed id sets, not a test of every document: at 100,000
    # documents a workspace, ORing the correlated count over each row took seconds.
    scope = {} if workspace_ids is None else {"workspace_id__in": list(workspace_ids)}
    in_queue = (
        Invoice.objects.filter(status=InvoiceStatus.NEEDS_REVIEW, **scope)
        .order_by()
        .values("document_id")
        .union(
            Match.objects.filter(
                status=MatchStatus.PROPOSED,
                kind__in=(MatchKind.DOUBLE_CHARGE, *CANDIDATE_KINDS),
                document__isnull=False,
                **scope,
            )
            .order_by()
            .values("document_id"),
            Document.objects.filter(**scope).exclude(review_reason="").order_by().values("pk"),
        )
    )
    return (
        documents.filter(pk__in=in_queue)
        .annotate(
            is_double_charge=Exists(double_charges),
            open_candidates=Coalesce(Subquery(candidates, output_field=IntegerField()), Value(0)),
        )
        .select_related("workspace", "invoice", "invoice__vendor")
    )


#: Double charges first, then the earliest due date (unknown last), then the oldest document.
QUEUE_ORDERING: tuple[OrderBy, ...] = (
    F("is_double_charge").desc(),
    F("invoice__due_date").asc(nulls_last=True),
    F("received_at").asc(),
    F("pk").asc(),
)


@dataclass(frozen=True)
class Neighbours:
    previous_id: int | None
    next_id: int | None
    position: int | None  # 1-based place of the current document in the queue, if it is there
    total: int


def neighbours(ordered_ids: Sequence[int], current_id: int) -> Neighbours:
    """The documents before and after `current_id` in the queue order ("save and next").

    A document no longer in the queue (just decided) has no position; its next is then the
    first document of the queue."""
    total = len(ordered_ids)
    try:
        index = list(ordered_ids).index(current_id)
    except ValueError:
        return Neighbours(None, ordered_ids[0] if ordered_ids else None, None, total)
    previous_id = ordered_ids[index - 1] if index > 0 else None
    next_id = ordered_ids[index + 1] if index + 1 < total else None
    return Neighbours(previous_id, next_id, index + 1, total)


# --- one document --------------------------------------------------------------------------


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else str(value)
    return str(value).strip()


def _same(field_name: str, current: Any, typed: Any) -> bool:
    if isinstance(current, Decimal) or isinstance(typed, Decimal):
        if current is None or typed is None:
            return current is None and typed is None
        return Decimal(current) == Decimal(typed)
    if field_name == "currency":
        return _as_text(current).upper() == _as_text(typed).upper()
    return _as_text(current) == _as_text(typed)


def current_values(invoice: Invoice) -> dict[str, Any]:
    """The invoice's values for the review fields, read from its columns."""
    return {name: getattr(invoice, column) for name, column in FIELD_COLUMNS.items()}


def corrections_from(invoice: Invoice, typed: dict[str, Any]) -> dict[str, str]:
    """The fields whose typed value differs from the invoice's, as `record_review` takes
    them: strings, dates ISO, amounts with "." as the decimal mark, currency upper-case."""
    corrections: dict[str, str] = {}
    values = current_values(invoice)
    for name in REVIEW_FIELDS:
        if name not in typed:
            continue
        value = typed[name]
        if _same(name, values[name], value):
            continue
        text = _as_text(value)
        corrections[name] = text.upper() if name == "currency" else text
    return corrections


def save_review(
    *,
    invoice: Invoice,
    user: AbstractBaseUser,
    corrections: dict[str, str],
    approve: bool,
) -> ReviewResult:
    """Record what the reviewer corrected (and approve when asked); the vendor learns from it.

    Raises ReviewError when approval is asked of an invoice that cannot be approved (held as
    a double charge, already approved or posted)."""
    from reconciliation.learning import CorrectionError
    from reconciliation.learning import record_review

    if approve and not invoice.can_approve:
        raise ReviewError(_cannot_approve(invoice))
    if not approve and not corrections:
        return ReviewResult(invoice.pk, invoice.status, (), "Nothing was changed.")
    if invoice.status in (InvoiceStatus.POSTING, InvoiceStatus.POSTED):
        raise ReviewError("This invoice is already on its way to Qonto; it cannot be changed.")
    try:
        record_review(invoice=invoice, user=user, corrections=dict(corrections), approve=approve)
    except CorrectionError as error:
        raise ReviewError(str(error)) from error
    invoice.refresh_from_db()
    corrected = tuple(sorted(corrections))
    if approve:
        message = "Approved; it will be posted to Qonto when the current sync window closes."
    else:
        message = f"Saved {len(corrected)} correction{'s' if len(corrected) != 1 else ''}."
    return ReviewResult(invoice.pk, invoice.status, corrected, message)


def _status_words(invoice: Invoice) -> str:
    """The status label inside a sentence ("posted to Qonto", not "Posted to Qonto")."""
    label = str(invoice.get_status_display())
    return label[:1].lower() + label[1:]


def _cannot_approve(invoice: Invoice) -> str:
    if invoice.is_held:
        return f"It is held out of posting ({invoice.hold_reason}); decide on that first."
    if invoice.status == InvoiceStatus.APPROVED:
        return "It is already approved."
    return f"An invoice that is {_status_words(invoice)} cannot be approved."


def _reason_given(reason: str, ask: str) -> str:
    """The reason without surrounding blanks; ReviewError(ask) when it is too short to say
    anything."""
    reason = reason.strip()
    if len(reason) < MIN_REASON_LENGTH:
        raise ReviewError(ask)
    return reason


def _record_on_invoice(
    locked: Invoice,
    action: DecisionAction,
    user: AbstractBaseUser,
    before: dict[str, Any],
    reason: str,
) -> None:
    """A person's decision on one invoice, in its history and its document's and vendor's."""
    Decision.record_for_invoice(
        locked,
        action,
        actor=user,
        vendor=locked.vendor_id,
        before=before,
        after={"status": locked.status},
        reason=reason,
    )


def approve_invoice(*, invoice: Invoice, user: AbstractBaseUser) -> ReviewResult:
    """Approve as it stands (bulk approval): the invoice joins the next posting window."""
    with transaction.atomic():
        locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if not locked.can_approve:
            raise ReviewError(_cannot_approve(locked))
        before = {"status": locked.status}
        locked.approve(user, "approved from the review list")
        locked.save()
        _record_on_invoice(locked, DecisionAction.APPROVE, user, before, locked.decision_reason)
    return ReviewResult(locked.pk, locked.status, (), "Approved.")


def refuse_invoice(*, invoice: Invoice, user: AbstractBaseUser, reason: str) -> ReviewResult:
    """Refuse the invoice with the reviewer's reason; it will not be posted."""
    reason = _reason_given(reason, "Say why the invoice is refused.")
    with transaction.atomic():
        locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if not locked.can_refuse or locked.status == InvoiceStatus.REFUSED:
            raise ReviewError(f"An invoice that is {_status_words(locked)} cannot be refused.")
        before = {"status": locked.status}
        locked.refuse(user, reason)
        locked.save()
        _record_on_invoice(locked, DecisionAction.REFUSE, user, before, reason)
    invoice.refresh_from_db()
    return ReviewResult(locked.pk, locked.status, (), "Refused.")


def reopen_invoice(*, invoice: Invoice, user: AbstractBaseUser, reason: str) -> ReviewResult:
    """Send a refused invoice back to the review queue, whoever refused it (the threshold or a
    person). The reason is required and leads the invoice's reasons in the queue."""
    from reconciliation.matching.review import reopen_double_charges

    reason = _reason_given(reason, "Say why the invoice is reopened.")
    with transaction.atomic():
        locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if locked.status != InvoiceStatus.REFUSED:
            raise ReviewError(
                f"Only a refused invoice can be reopened; this one is {_status_words(locked)}."
            )
        before = {
            "status": locked.status,
            "refused_by": refused_by(locked),
            "decision_reason": locked.decision_reason,
        }
        locked.reopen(user, reason)
        who = user.get_username() or "a reviewer"
        locked.routing_reasons = [f"Reopened by {who}: {reason}", *(locked.routing_reasons or [])]
        reopen_double_charges(invoice=locked, user=user)
        locked.save()
        _record_on_invoice(locked, DecisionAction.REOPEN, user, before, reason)
    invoice.refresh_from_db()
    return ReviewResult(locked.pk, locked.status, (), "Reopened; it is back in the review queue.")


def refused_by(invoice: Invoice) -> str:
    """Who refused a refused invoice: "threshold" (Well, below the review threshold or by a
    routing rule) or "person"."""
    return "person" if invoice.decided_by_id is not None else "threshold"


def reopen_invoices(
    *, invoices: Iterable[Invoice], user: AbstractBaseUser, reason: str
) -> BulkResult:
    """Reopen many refused invoices with one reason (a sweep of those the threshold refused);
    ids in the result are invoices, and those not refused are skipped."""
    _reason_given(reason, "Say why the invoices are reopened.")
    result = BulkResult()
    for invoice in invoices:
        try:
            reopen_invoice(invoice=invoice, user=user, reason=reason)
        except (ReviewError, IllegalTransitionError):
            result.skipped[invoice.pk] = f"not refused ({_status_words(invoice)})"
        else:
            result.done.append(invoice.pk)
    return result


def proposed_double_charge(document: Document) -> Match | None:
    return (
        Match.objects.filter(
            document=document, kind=MatchKind.DOUBLE_CHARGE, status=MatchStatus.PROPOSED
        )
        .select_related("settled_invoice", "transaction")
        .order_by("pk")
        .first()
    )


def refuse_document(*, document: Document, user: AbstractBaseUser, reason: str) -> str:
    """Refuse what the document asks: a double charge through matching's one-click refusal,
    otherwise its invoice. Returns the sentence to show."""
    from reconciliation import matching

    double_charge = proposed_double_charge(document)
    if double_charge is not None:
        matching.refuse_double_charge(match=double_charge, user=user, reason=reason)
        return "Double charge refused; it will not be paid or posted."
    invoice = Invoice.objects.filter(document=document).first()
    if invoice is None:
        raise ReviewError("This document has no invoice to refuse.")
    return refuse_invoice(invoice=invoice, user=user, reason=reason).message


# --- documents with no invoice to decide ---------------------------------------------------


def _record_on_document(
    locked: Document,
    action: DecisionAction,
    user: AbstractBaseUser,
    before: dict[str, Any],
    reason: str,
    after: dict[str, Any] | None = None,
) -> None:
    """A person's decision on a document with no invoice to decide, in its history; `after`
    is its new status unless said otherwise."""
    Decision.record(
        workspace=locked.workspace_id,
        action=action,
        actor=user,
        document=locked,
        before=before,
        after={"status": locked.status} if after is None else after,
        reason=reason,
    )


def _send_to_reader(locked: Document, also_changed: list[str]) -> None:
    """Store the document made ready to be read afresh (its status, reason, failure code and
    attempts reset, and `also_changed`) and queue the read."""
    fields = ["status", "status_reason", "failure_code", "parse_attempts", *also_changed]
    locked.save(update_fields=fields)
    enqueue("reconciliation.tasks.parse_document", locked.pk)


def read_again(*, document: Document, user: AbstractBaseUser) -> str:
    """Send an unreadable document back to the reader (after a limit was raised or the reader
    upgraded): it is read with a fresh count of attempts. Returns the sentence to show."""
    with transaction.atomic():
        locked = Document.objects.select_for_update().get(pk=document.pk)
        if not locked.can_read_again:
            raise ReviewError("Only an unreadable document whose file is stored can be read again.")
        before = Decision.values_of(locked, ("status", "failure_code", "status_reason"))
        locked.read_again()
        was = before["status_reason"] or before["failure_code"]
        reason = f"Read again; it was: {was}"
        _send_to_reader(locked, [])
        _record_on_document(locked, DecisionAction.READ_AGAIN, user, before, reason)
    return "Queued to be read again; it shows up here once it was read."


def not_a_duplicate(*, document: Document, user: AbstractBaseUser) -> str:
    """A person's override of "duplicate": the document is read as one of its own (its invoice
    goes through scoring and routing like any other). Returns the sentence to show."""
    with transaction.atomic():
        locked = Document.objects.select_for_update().get(pk=document.pk)
        if locked.status != DocumentStatus.DUPLICATE:
            raise ReviewError("Only a document set aside as a duplicate can be marked otherwise.")
        if not locked.file:
            raise ReviewError("Its stored file is missing; sync the folder again.")
        before = Decision.values_of(locked, ("status", "duplicate_of", "status_reason"))
        locked.mark_as_not_duplicate()
        reason = "Not a duplicate: read as a document of its own."
        _send_to_reader(locked, ["is_not_duplicate", "duplicate_of"])
        after = {"status": locked.status, "is_not_duplicate": True}
        _record_on_document(locked, DecisionAction.NOT_DUPLICATE, user, before, reason, after)
    return "Marked as not a duplicate; it is being read as a document of its own."


def set_aside(*, document: Document, user: AbstractBaseUser, reason: str) -> str:
    """A person looked at a document Well sent to review without an invoice (a payment with no
    debit, an advice nothing fits) and says nothing more is to be done."""
    reason = _reason_given(reason, "Say why nothing more is to be done (a few words).")
    with transaction.atomic():
        locked = Document.objects.select_for_update().get(pk=document.pk)
        if not locked.review_reason:
            raise ReviewError("This document is not waiting for a person.")
        before = {"review_reason": locked.review_reason}
        locked.clear_review()
        locked.save(update_fields=["review_reason"])
        after = {"review_reason": ""}
        _record_on_document(locked, DecisionAction.SET_ASIDE, user, before, reason, after)
    return "Set aside; it left the queue."


# --- many documents ------------------------------------------------------------------------


def _invoices_of(documents: Iterable[Document]) -> tuple[dict[int, Invoice], BulkResult]:
    ids = [d.pk for d in documents]
    by_document = {
        i.document_id: i for i in Invoice.objects.filter(document_id__in=ids).order_by("pk")
    }
    result = BulkResult()
    for document_id in ids:
        if document_id not in by_document:
            result.skipped[document_id] = "without an invoice (open them to pick a payment match)"
    return by_document, result


def approve_documents(*, documents: Iterable[Document], user: AbstractBaseUser) -> BulkResult:
    """Approve the invoices of many documents as they stand; ids in the result are documents.
    Held (double charge), approved or posted invoices are skipped with the reason."""
    by_document, result = _invoices_of(documents)
    for document_id, invoice in by_document.items():
        try:
            approve_invoice(invoice=invoice, user=user)
        except (ReviewError, IllegalTransitionError) as error:
            result.skipped[document_id] = _short(error, invoice)
        else:
            result.done.append(document_id)
    return result


def refuse_documents(
    *, documents: Iterable[Document], user: AbstractBaseUser, reason: str
) -> BulkResult:
    """Refuse many documents with one reason (double charges through matching)."""
    reason = _reason_given(reason, "Say why the documents are refused.")
    documents = list(documents)
    by_document, result = _invoices_of(documents)
    for document in documents:
        invoice = by_document.get(document.pk)
        try:
            refuse_document(document=document, user=user, reason=reason)
        except (ReviewError, IllegalTransitionError) as error:
            result.skipped[document.pk] = _short(error, invoice)
        else:
            result.skipped.pop(document.pk, None)
            result.done.append(document.pk)
    return result


def _short(error: Exception, invoice: Invoice | None) -> str:
    """Why one document of a bulk decision was skipped, in a few words that group well."""
    if invoice is None:
        return "without an invoice (open them to pick a payment match)"
    if invoice.is_held:
        return "held out of posting (decide on each one)"
    if invoice.status == InvoiceStatus.APPROVED:
        return "already approved"
    if invoice.status == InvoiceStatus.REFUSED:
        return "already refused"
    logger.info("bulk decision skipped invoice %s: %s", invoice.pk, error)
    return _status_words(invoice)
