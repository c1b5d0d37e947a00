"""Claims are leases: claiming a chunk of the outbox for one worker, renewing the leases before
every call, and handing invoices back to the outbox (their in-flight attempts closed as
``unknown``, so they are looked up before they are sent again)."""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import connection as database
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from reconciliation.models import Invoice
from reconciliation.models import InvoiceStatus
from reconciliation.models import PostAttempt
from reconciliation.models import PostOutcome
from reconciliation.posting.state import Entry
from reconciliation.posting.state import Window

logger = logging.getLogger("reconciliation.posting")


def claim(window: Window, limit: int) -> list[Invoice]:
    """Claim up to ``limit`` due invoices for this worker. With row locks (PostgreSQL) the rows
    are locked and skipped by other workers; without (SQLite) each row is claimed by a
    conditional UPDATE whose row count says whether this worker won it."""
    now = timezone.now()
    until = now + window.lease
    due = Invoice.objects.for_workspace(window.workspace).due_for_posting().order_by("pk")
    if database.features.has_select_for_update_skip_locked:
        with transaction.atomic():
            invoices = list(due.select_for_update(skip_locked=True, of=("self",))[:limit])
            for invoice in invoices:
                invoice.mark_as_posting(window.worker_id, until)
                invoice.save(update_fields=["status", "lease_owner", "lease_until", "updated_at"])
        return invoices
    claimed: list[Invoice] = []
    for invoice in list(due[:limit]):
        invoice.mark_as_posting(window.worker_id, until)
        won = (
            Invoice.objects.due_for_posting()
            .filter(pk=invoice.pk)
            .update(
                status=invoice.status,
                lease_owner=window.worker_id,
                lease_until=until,
                updated_at=now,
            )
        )
        if won == 1:
            claimed.append(invoice)
    return claimed


def renew_leases(window: Window, entries: list[Entry]) -> list[Entry]:
    """Extend this worker's leases before a call; drop the invoices it no longer holds."""
    ids = [entry.invoice.pk for entry in entries]
    mine = Invoice.objects.filter(
        pk__in=ids, status=InvoiceStatus.POSTING, lease_owner=window.worker_id
    )
    mine.update(lease_until=timezone.now() + window.lease)
    held = set(mine.values_list("pk", flat=True))
    lost = [entry for entry in entries if entry.invoice.pk not in held]
    for entry in lost:
        entry.done = True
    if lost:
        window.tally.lost_leases += len(lost)
        logger.warning(
            "posting: worker %s lost the lease of invoice(s) %s; another worker has them",
            window.worker_id,
            [entry.invoice.pk for entry in lost],
        )
    return [entry for entry in entries if entry.invoice.pk in held]


def holds(window: Window, invoice: Invoice) -> bool:
    return invoice.status == InvoiceStatus.POSTING and invoice.lease_owner == window.worker_id


def locked_if_held(window: Window, invoice: Invoice) -> Invoice | None:
    """The invoice locked (inside the caller's transaction), if this worker still holds it;
    otherwise None, counted as a lost lease."""
    locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if not holds(window, locked):
        window.tally.lost_leases += 1
        return None
    return locked


def release(
    invoice_id: int,
    *,
    owner: str | None,
    expired_before: datetime | None,
    code: str,
    detail: str,
) -> bool:
    """Back to the outbox, closing its in-flight attempts as ``unknown``."""
    with transaction.atomic():
        claimed = Invoice.objects.select_for_update().filter(
            pk=invoice_id, status=InvoiceStatus.POSTING
        )
        if owner is not None:
            claimed = claimed.filter(lease_owner=owner)
        if expired_before is not None:
            claimed = claimed.filter(
                Q(lease_until__lt=expired_before) | Q(lease_until__isnull=True)
            )
        invoice = claimed.first()
        if invoice is None:
            return False
        for attempt in PostAttempt.objects.filter(invoice_id=invoice_id).in_flight():
            attempt.finish(outcome=PostOutcome.UNKNOWN, error_code=code, error_detail=detail)
        invoice.release_to_outbox()
        invoice.save(update_fields=["status", "lease_owner", "lease_until", "updated_at"])
    return True


def release_held(window: Window, *, code: str, detail: str) -> int:
    held = Invoice.objects.filter(
        workspace=window.workspace, status=InvoiceStatus.POSTING, lease_owner=window.worker_id
    ).values_list("pk", flat=True)
    return sum(
        release(pk, owner=window.worker_id, expired_before=None, code=code, detail=detail)
        for pk in list(held)
    )


def release_held_quietly(window: Window, detail: str) -> None:
    try:
        window.tally.released += release_held(window, code="worker_stopped", detail=detail[:2000])
    except Exception:
        logger.exception("posting: could not hand claims back; the sweeper will")
