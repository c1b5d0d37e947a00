"""Posting approved invoices to Qonto when a sync window closes: the outbox.

An ``approved`` invoice *is* the outbox entry. ``post_approved`` claims a chunk of them with a
lease, writes (and commits) one ``PostAttempt`` per invoice, calls
``POST /v2/supplier_invoices/bulk`` and completes each attempt from Qonto's answer, mapped back
by idempotency key. Nothing is lost and nothing is posted twice because:

- every invoice carries a stable idempotency key (workspace + document + content hash) and a
  file name that embeds our document id, both sent on every try;
- Qonto replays a key's success for 30 minutes only and never an error, so an invoice sent
  before (an error answer, a lost answer, a worker killed mid-call, a key that may have expired)
  is looked up among Qonto's supplier invoices before it is sent again; only a 429 or a
  connection never opened (nothing processed) is re-sent without a look-up;
- a claim is a lease, renewed before every call; a lease that runs out (a dead worker) is
  returned to the outbox by ``release_expired_leases``, whose in-flight attempts become
  ``unknown`` and are therefore looked up first;
- the invoice row is locked while an answer is applied, and only the lease holder applies it.

Failures: 5xx, timeouts, dropped connections and 429 are retried inside the window with
exponential backoff and jitter (``Retry-After`` honoured) within a bounded budget, then the
invoice is ``failed`` and retried in the next window. 401 / revoked consent marks the
connection ``needs_reauth`` (the owner is e-mailed), stops posting for the workspace at once and
returns every claim to the outbox. Validation refusals (a whole-request 4xx, or a per-item
``invalid``/``required``) make the invoice ``rejected`` with Qonto's code, message and pointer;
the status page offers a one-click retry. Files Qonto would refuse for size are refused here,
before any call.

Before anything is sent, the window mirrors Qonto's supplier invoices
(reconciliation.intake.supplier_invoices), reads back what Qonto understood of the invoices
already posted (``readback``), and probes each invoice never sent against the entries Qonto
already has from other routes (``probe`` scores, ``linking`` links or sends to review).

Layout: the entry points and the report are here; ``state`` holds what a window carries,
``rounds`` drains the outbox chunk by chunk, ``leases`` claims, renews and releases,
``batches`` builds the files and requests, ``sending`` makes one request and reads its answer,
``lookup`` looks before re-sending, ``settling`` writes attempts and moves invoices,
``fieldmap`` is the one comparison of two readings of an invoice, ``revisions`` holds a new
version of an invoice already posted.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from connectors.errors import AuthError
from connectors.errors import ConnectorError
from reconciliation.connections.tokens import ConnectionUnavailableError
from reconciliation.connections.tokens import mark_needs_reauth
from reconciliation.intake.supplier_invoices import refresh_supplier_invoices
from reconciliation.models import FILE_PROVIDERS
from reconciliation.models import Connection
from reconciliation.models import Decision
from reconciliation.models import DecisionAction
from reconciliation.models import Invoice
from reconciliation.models import InvoiceStatus
from reconciliation.models import SyncKind
from reconciliation.models import SyncRun
from reconciliation.models import Workspace
from reconciliation.posting.batches import upload_file_name
from reconciliation.posting.leases import release
from reconciliation.posting.leases import release_held_quietly
from reconciliation.posting.lookup import LOOKUP_ENDPOINT
from reconciliation.posting.readback import ReadbackReport
from reconciliation.posting.readback import read_back
from reconciliation.posting.rounds import CLAIM_SIZE
from reconciliation.posting.rounds import MAX_CHUNKS_PER_WINDOW
from reconciliation.posting.rounds import bounded
from reconciliation.posting.rounds import client_for
from reconciliation.posting.rounds import drain
from reconciliation.posting.sending import BULK_ENDPOINT
from reconciliation.posting.settling import NEXT_WINDOW_DELAY
from reconciliation.posting.state import DEFAULT_RETRY_BUDGET_SECONDS
from reconciliation.posting.state import RetryBudget
from reconciliation.posting.state import Tally
from reconciliation.posting.state import Window
from reconciliation.posting.state import WindowCounts

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# The names reconciliation.posting had as a single module, all still importable from here.
__all__ = [
    "BULK_ENDPOINT",
    "CLAIM_SIZE",
    "DEFAULT_RETRY_BUDGET_SECONDS",
    "LOOKUP_ENDPOINT",
    "MAX_CHUNKS_PER_WINDOW",
    "NEXT_WINDOW_DELAY",
    "STALE_SYNC_AFTER",
    "PostingReport",
    "RetryBudget",
    "RetryResult",
    "default_budget",
    "default_worker_id",
    "post_approved",
    "release_expired_leases",
    "retry_invoice",
    "running_file_syncs",
    "upload_file_name",
]

logger = logging.getLogger(__name__)

#: A folder sync still "running" after this long has died with its worker; it no longer blocks.
STALE_SYNC_AFTER = timedelta(hours=1)


@dataclass
class PostingReport(WindowCounts):
    workspace_id: int
    worker_id: str
    #: Why nothing was attempted ("" when the window ran).
    skipped: str = ""
    #: Posted invoices compared with Qonto's reading of their PDF, and how many differ.
    read_back: int = 0
    differs_from_qonto: int = 0
    #: Why Qonto's supplier invoices could not be listed ("" when they were).
    mirror_error: str = ""
    #: One line per problem, for the window's run and the logs.
    errors: tuple[str, ...] = ()


@dataclass(frozen=True)
class RetryResult:
    invoice_id: int
    previous_status: str
    status: str


def default_worker_id() -> str:
    return f"{socket.gethostname()[:32]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def running_file_syncs(workspace_id: int) -> list[SyncRun]:
    """Folder polls of the workspace that are running now (and recent enough to be alive)."""
    return list(
        SyncRun.objects.for_workspace(workspace_id)
        .running()
        .filter(
            kind=SyncKind.FILES,
            connection__provider__in=FILE_PROVIDERS,
            started_at__gte=timezone.now() - STALE_SYNC_AFTER,
        )
        .order_by("started_at")
    )


def post_approved(
    *,
    workspace_id: int,
    worker_id: str | None = None,
    budget: RetryBudget | None = None,
) -> PostingReport:
    """Post the workspace's outbox (approved invoices, and failed ones whose wait is over) to
    Qonto. Called when a sync window closes; any number of workers may run it at once.

    Does nothing unless the workspace's Qonto connection is active and no folder sync of the
    workspace is running. First brings the mirror of Qonto's supplier invoices up to date and
    reads back what Qonto understood of the invoices already posted; then each invoice never
    sent is probed against that mirror (linked, sent to review, or uploaded). Call it outside
    any transaction: each attempt row must be committed before its request leaves. Every
    invoice it claimed ends ``posted``, ``rejected``, ``failed`` (with a reason and a retry
    time), back in review (the probe), or back in the outbox.
    """
    worker = (worker_id or default_worker_id())[:64]
    opened = _open_window(workspace_id, worker, budget)
    if isinstance(opened, str):
        return PostingReport(workspace_id, worker, skipped=opened)
    window = opened
    _refresh_mirror(window)
    if window.tally.auth_stopped:
        return _report(window, ReadbackReport())
    readback = read_back(window.workspace)
    if not Invoice.objects.for_workspace(window.workspace).due_for_posting().exists():
        return _report(window, readback)
    try:
        drain(window)
    except BaseException as error:
        # Hand back what is safe to hand back now; anything left is swept when its lease ends.
        release_held_quietly(window, f"The posting worker stopped: {error!r}")
        raise
    if window.tally.posted or window.tally.linked:
        Connection.objects.filter(pk=window.connection.pk).update(last_post_at=timezone.now())
    return _report(window, readback)


def _open_window(workspace_id: int, worker: str, budget: RetryBudget | None) -> Window | str:
    """The window's Qonto connection and client, or why nothing is posted now."""
    if not getattr(settings, "QONTO_ENABLED", True):
        return "Qonto is turned off (QONTO_ENABLED)."
    workspace = Workspace.objects.get(pk=workspace_id)
    banks = Connection.objects.for_workspace(workspace).banks().order_by("pk")
    qonto = banks.active().first() or banks.first()
    if qonto is None:
        return "The workspace has no Qonto connection."
    if not qonto.is_active:
        return f"The Qonto connection is {qonto.get_status_display().lower()}."
    running = running_file_syncs(workspace_id)
    if running:
        return (
            f"A folder sync is running (since {running[0].started_at:%H:%M:%S} UTC); "
            "posting waits for the window to close."
        )
    lease = timedelta(seconds=int(settings.WELL_POST_LEASE_SECONDS))
    return Window(
        workspace=workspace,
        connection=qonto,
        worker_id=worker,
        client=client_for(qonto, lease),
        lease=lease,
        budget=bounded(budget or default_budget(), lease),
        sleep=time.sleep,
    )


def _refresh_mirror(window: Window) -> None:
    """Qonto's supplier invoices, for the probe and the read-back. Without them the window
    still posts what was probed before; what was never probed waits for the next window."""
    try:
        refresh_supplier_invoices(window.connection, window.client)
    except (AuthError, ConnectionUnavailableError) as error:
        window.tally.auth_stopped = True
        window.tally.stop_reason = f"Qonto refused the authorisation: {error}"
        mark_needs_reauth(window.connection.pk, f"Posting to Qonto stopped: {error}")
    except ConnectorError as error:
        window.mirror_error = str(error)
        logger.warning("posting: Qonto's supplier invoices could not be listed: %s", error)


def _report(window: Window, readback: ReadbackReport) -> PostingReport:
    tally = window.tally
    return PostingReport(
        workspace_id=window.workspace.pk,
        worker_id=window.worker_id,
        **tally.counts(),
        read_back=readback.compared,
        differs_from_qonto=readback.differing,
        mirror_error=window.mirror_error,
        errors=_error_lines(tally)
        + (
            (f"Qonto's supplier invoices could not be listed: {window.mirror_error}",)
            if window.mirror_error
            else ()
        ),
    )


def release_expired_leases() -> int:
    """The sweeper: return invoices whose posting lease ran out (their worker died or hung) to
    the outbox. Their in-flight attempts are closed as ``unknown``, so the next window looks the
    invoice up on Qonto before sending it again. Returns how many were released."""
    now = timezone.now()
    expired = Invoice.objects.filter(
        Q(lease_until__lt=now) | Q(lease_until__isnull=True), status=InvoiceStatus.POSTING
    ).values_list("pk", flat=True)
    released = 0
    for invoice_id in list(expired[:10_000]):
        if release(
            invoice_id,
            owner=None,
            expired_before=now,
            code="lease_expired",
            detail="The posting worker's lease ran out before this attempt finished; Qonto is "
            "checked for the invoice before it is sent again.",
        ):
            released += 1
    if released:
        logger.warning("posting: released %d invoice(s) whose lease expired", released)
    return released


def retry_invoice(*, invoice_id: int, user: User | None) -> RetryResult:
    """One-click retry of a rejected (or failed) invoice: back into the outbox for the next
    window, recorded as a decision. The caller checks the user may act on this workspace."""
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice_id)
        previous = invoice.status
        before = {
            "status": previous,
            "last_error_code": invoice.last_error_code,
            "last_error": invoice.last_error,
        }
        invoice.retry_posting(user)
        invoice.save(
            update_fields=[
                "status",
                "decided_by",
                "decided_at",
                "decision_reason",
                "next_attempt_at",
                "updated_at",
            ]
        )
        Decision.record(
            workspace=invoice.workspace_id,
            action=DecisionAction.RETRY,
            actor=user,
            invoice=invoice,
            before=before,
            after={"status": invoice.status},
            reason="Posting to Qonto retried from the integration status page.",
        )
    return RetryResult(invoice_id=invoice_id, previous_status=previous, status=invoice.status)


def default_budget() -> RetryBudget:
    seconds = float(
        getattr(settings, "WELL_POST_RETRY_BUDGET_SECONDS", DEFAULT_RETRY_BUDGET_SECONDS)
    )
    return RetryBudget(seconds=seconds)


def _error_lines(tally: Tally) -> tuple[str, ...]:
    lines = [tally.stop_reason] if tally.stop_reason else []
    for cause, count in sorted(tally.causes.items()):
        lines.append(f"{count} invoice(s) {cause}")
    return tuple(lines)
