"""Settling: attempt rows, and applying an outcome to an invoice under its row lock, only where
this worker still holds the lease."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Sequence
from datetime import datetime
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from connectors.errors import PermanentError
from connectors.qonto import BulkItem
from reconciliation.models import AppendOnlyError
from reconciliation.models import Decision
from reconciliation.models import DecisionAction
from reconciliation.models import Invoice
from reconciliation.models import InvoiceStatus
from reconciliation.models import PostAttempt
from reconciliation.models import PostOutcome
from reconciliation.posting.leases import holds
from reconciliation.posting.state import Entry
from reconciliation.posting.state import Refusal
from reconciliation.posting.state import Settlement
from reconciliation.posting.state import Window

logger = logging.getLogger("reconciliation.posting")

#: A failed invoice waits at least this long, so the window that failed it does not retry it.
NEXT_WINDOW_DELAY = timedelta(minutes=1)

_SETTLE_FIELDS = [
    "status",
    "qonto_id",
    "qonto_origin",
    "posted_at",
    "lease_owner",
    "lease_until",
    "last_error",
    "last_error_code",
    "next_attempt_at",
    "updated_at",
]


def new_attempt(
    window: Window, invoice: Invoice, *, batch_id: uuid.UUID, summary: dict[str, Any]
) -> PostAttempt:
    invoice.post_attempts += 1
    Invoice.objects.filter(pk=invoice.pk).update(post_attempts=invoice.post_attempts)
    return PostAttempt.objects.create(
        workspace_id=invoice.workspace_id,
        invoice=invoice,
        connection=window.connection,
        batch_id=batch_id,
        attempt_number=invoice.post_attempts,
        idempotency_key=invoice.idempotency_key,
        request_summary=summary,
    )


def rejecting(code: str, detail: str) -> Callable[[Invoice], None]:
    def move(invoice: Invoice) -> None:
        invoice.mark_as_rejected(code, detail)

    return move


def _failing(code: str, detail: str, retry_at: datetime) -> Callable[[Invoice], None]:
    def move(invoice: Invoice) -> None:
        invoice.mark_as_failed(detail, retry_at)
        invoice.last_error_code = code[:100]

    return move


def _posting(qonto_id: str) -> Callable[[Invoice], None]:
    def move(invoice: Invoice) -> None:
        invoice.mark_as_posted(qonto_id)

    return move


def posted_settlement(
    entry: Entry, qonto_id: str, details: dict[str, Any], counter: str = ""
) -> Settlement:
    return Settlement(
        entry,
        PostOutcome.POSTED,
        {**details, "qonto_id": qonto_id},
        _posting(qonto_id),
        counter or "posted",
    )


def local_settlement(entry: Entry, refusal: Refusal) -> Settlement:
    return Settlement(
        entry,
        PostOutcome.LOCAL,
        {"error_code": refusal.code, "error_detail": refusal.detail},
        rejecting(refusal.code, refusal.detail),
        "rejected",
        f"refused before sending ({refusal.code})",
    )


def whole_request_rejection(entry: Entry, error: PermanentError) -> Settlement:
    code = error.code or f"http_{error.status}"
    detail = error.detail or error.message
    return Settlement(
        entry,
        PostOutcome.REJECTED,
        {
            "http_status": error.status,
            "error_code": code,
            "error_pointer": error.pointer or "",
            "error_detail": detail,
            "trace_id": error.trace_id or "",
        },
        rejecting(code, detail),
        "rejected",
        f"rejected by Qonto ({code})",
    )


def guard_qonto_ids(window: Window, settlements: list[Settlement]) -> list[Settlement]:
    """A Qonto id already held by another of our invoices would break the one-to-one link (and
    the unique constraint): such an answer is put in front of a human instead."""
    wanted = {
        str(item.details["qonto_id"]): item
        for item in settlements
        if item.outcome == PostOutcome.POSTED
    }
    if not wanted:
        return settlements
    taken = dict(
        Invoice.objects.for_workspace(window.workspace)
        .filter(qonto_id__in=list(wanted))
        .exclude(pk__in=[item.entry.invoice.pk for item in settlements])
        .values_list("qonto_id", "pk")
    )
    for qonto_id, other in taken.items():
        settlement = wanted[qonto_id]
        detail = (
            f"Qonto answered with supplier invoice {qonto_id}, which Well already links to "
            f"invoice #{other}; check both in Qonto before retrying."
        )
        settlement.details = {
            **settlement.details,
            "error_code": "qonto_id_taken",
            "error_detail": detail,
        }
        settlement.move = rejecting("qonto_id_taken", detail)
        settlement.counter = "rejected"
        settlement.cause = "rejected: Qonto id already linked (qonto_id_taken)"
    return settlements


def settle(window: Window, settlements: Iterable[Settlement]) -> None:
    """Finish attempts and move invoices under their row locks, only where this worker still
    holds the lease (the sweeper or another worker may have taken an invoice over)."""
    pending = list(settlements)
    if not pending:
        return
    with transaction.atomic():
        locked = Invoice.objects.select_for_update().in_bulk(
            [settlement.entry.invoice.pk for settlement in pending]
        )
        for settlement in pending:
            entry = settlement.entry
            if settlement.outcome is not None and entry.attempt is not None:
                try:
                    entry.attempt.finish(outcome=settlement.outcome, **settlement.details)
                except AppendOnlyError:
                    logger.warning(
                        "posting: attempt %s was closed by the sweeper before its answer (%s) came",
                        entry.attempt.pk,
                        settlement.outcome,
                    )
            invoice = locked.get(entry.invoice.pk)
            if invoice is None or not holds(window, invoice):
                if not entry.done:
                    entry.done = True
                    window.tally.lost_leases += 1
                continue
            entry.invoice = invoice
            if settlement.move is None:
                continue
            entry.done = True
            settlement.move(invoice)
            invoice.save(update_fields=_SETTLE_FIELDS)
            if invoice.status == InvoiceStatus.POSTED:
                record_posting(invoice, entry.item.filename)
            if settlement.counter:
                setattr(
                    window.tally, settlement.counter, getattr(window.tally, settlement.counter) + 1
                )
                if settlement.counter == "resolved_by_lookup":
                    window.tally.posted += 1
            if settlement.cause:
                window.tally.add_cause(settlement.cause)


def record_posting(invoice: Invoice, file_name: str) -> None:
    """The posting decision says what reached the bank: the PDF, which Qonto reads itself."""
    Decision.record_for_invoice(
        invoice,
        DecisionAction.POST,
        actor=None,
        after={"status": invoice.status, "qonto_id": invoice.qonto_id, "file_name": file_name},
        reason=f"Qonto received the PDF ({file_name}) and reads it itself: the reviewed values, "
        "the enrichment and the ledger account are not sent. Well compares Qonto's reading "
        "with the reviewed values once Qonto has read it.",
    )


def refuse_locally(window: Window, invoice: Invoice, refusal: Refusal) -> None:
    with transaction.atomic():
        attempt = new_attempt(
            window,
            invoice,
            batch_id=uuid.uuid4(),
            summary={"operation": "refused locally", "worker": window.worker_id},
        )
        entry = Entry(
            invoice=invoice,
            item=BulkItem(invoice.idempotency_key, "", b""),
            attempt=attempt,
        )
        settle(window, [local_settlement(entry, refusal)])


def fail(window: Window, entries: Sequence[Entry]) -> None:
    """The window's budget is spent: ``failed``, retried by the next window (not before
    Qonto's Retry-After)."""
    now = timezone.now()
    settlements = [
        Settlement(
            entry,
            None,
            {},
            _failing(
                entry.last_code or "transient",
                entry.last_error or "Qonto did not answer in time.",
                now + max(NEXT_WINDOW_DELAY, timedelta(seconds=entry.retry_after or 0)),
            ),
            "failed",
            f"failed, retried next window ({entry.last_code or 'transient'})",
        )
        for entry in entries
    ]
    settle(window, settlements)
