"""Posting approved invoices to Qonto when a sync window closes: the outbox.

An ``approved`` invoice *is* the outbox entry. ``post_approved`` claims a chunk of them with a
lease, writes (and commits) one ``PostAttempt`` per invoice, calls
``POST /v2/supplier_invoices/bulk`` and completes each attempt from Qonto's answer, mapped back
by idempotency key. Nothing is lost and nothing is posted twice because:

- every invoice carries a stable idempotency key (workspace + document + content hash) and a
  file name that embeds our document id, both sent on every try;
- an attempt whose outcome is unknown (timeout after sending, dropped connection, 5xx, an answer
  we could not read, a worker killed mid-call) is resolved by listing Qonto's supplier invoices
  before the invoice is sent again: the reference leaves the lifetime of bulk idempotency keys
  undocumented (qonto.md §7, §12), so the key alone is not trusted;
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
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import socket
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import connection as database
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from connectors.config import QontoConfig
from connectors.errors import (
    AuthError,
    ConfigurationError,
    NotFoundError,
    PermanentError,
    ProtocolError,
    TransientError,
)
from connectors.http import RetryPolicy, backoff_delay
from connectors.qonto import (
    BulkItem,
    BulkItemResult,
    BulkLimitError,
    BulkResult,
    QontoClient,
    SupplierInvoice,
    plan_batches,
)
from connectors.qonto.bulk import check_item, encode_bulk_body
from connectors.qonto.client import LOOKUP_CLOCK_SLACK
from reconciliation import fx
from reconciliation.connections import (
    ConnectionTokenSource,
    ConnectionUnavailableError,
    mark_needs_reauth,
)
from reconciliation.models import (
    FILE_PROVIDERS,
    AppendOnlyError,
    Connection,
    Decision,
    DecisionAction,
    Document,
    Invoice,
    InvoiceStatus,
    PostAttempt,
    PostOutcome,
    SyncKind,
    SyncRun,
    Workspace,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import User

logger = logging.getLogger(__name__)

BULK_ENDPOINT = "POST /v2/supplier_invoices/bulk"
LOOKUP_ENDPOINT = "GET /v2/supplier_invoices"
#: Invoices claimed at a time: one full request, so two workers share a window's work.
CLAIM_SIZE = 20
#: A failed invoice waits at least this long, so the window that failed it does not retry it.
NEXT_WINDOW_DELAY = timedelta(minutes=1)
#: A folder sync still "running" after this long has died with its worker; it no longer blocks.
STALE_SYNC_AFTER = timedelta(hours=1)
#: Safety stop for one window: chunks claimed by one worker.
MAX_CHUNKS_PER_WINDOW = 10_000
DEFAULT_RETRY_BUDGET_SECONDS = 60.0

_SETTLE_FIELDS = [
    "status",
    "qonto_id",
    "posted_at",
    "lease_owner",
    "lease_until",
    "last_error",
    "last_error_code",
    "next_attempt_at",
    "updated_at",
]
_DEFINITIVE_OUTCOMES = frozenset(
    {
        PostOutcome.POSTED,
        PostOutcome.REJECTED,
        PostOutcome.TRANSIENT,
        PostOutcome.AUTH,
        # Not LOCAL: a local refusal made no look-up, so an earlier unknown outcome still stands.
    }
)
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


# --- Results -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RetryBudget:
    """How hard one window tries before leaving an invoice ``failed`` for the next window.

    ``seconds`` caps the time spent waiting between rounds of one chunk; a ``Retry-After`` longer
    than what is left fails the chunk at once instead of blocking the worker."""

    max_rounds: int = 4
    base_delay: float = 1.0
    max_delay: float = 30.0
    seconds: float = DEFAULT_RETRY_BUDGET_SECONDS


@dataclass(frozen=True)
class PostingReport:
    workspace_id: int
    worker_id: str
    #: Why nothing was attempted ("" when the window ran).
    skipped: str = ""
    claimed: int = 0
    posted: int = 0
    #: Of ``posted``: found on Qonto by a look-up after an unknown outcome, not re-sent.
    resolved_by_lookup: int = 0
    rejected: int = 0
    failed: int = 0
    #: Claims handed back to the outbox (authorisation lost, worker stopping).
    released: int = 0
    #: Claims another worker or the sweeper took over meanwhile.
    lost_leases: int = 0
    requests: int = 0
    lookups: int = 0
    auth_stopped: bool = False
    #: One line per problem, for the window's run and the logs.
    errors: tuple[str, ...] = ()


@dataclass(frozen=True)
class RetryResult:
    invoice_id: int
    previous_status: str
    status: str


@dataclass
class _Tally:
    claimed: int = 0
    posted: int = 0
    resolved_by_lookup: int = 0
    rejected: int = 0
    failed: int = 0
    released: int = 0
    lost_leases: int = 0
    requests: int = 0
    lookups: int = 0
    auth_stopped: bool = False
    stop_reason: str = ""
    #: "rejected by Qonto (invalid)" → count, for the report's error lines.
    causes: dict[str, int] = field(default_factory=dict)


@dataclass
class _Window:
    workspace: Workspace
    connection: Connection
    worker_id: str
    client: QontoClient
    lease: timedelta
    budget: RetryBudget
    sleep: Callable[[float], None]
    tally: _Tally = field(default_factory=_Tally)


@dataclass
class _Entry:
    """One claimed invoice on its way through the rounds of a window."""

    invoice: Invoice
    item: BulkItem
    #: Start of the earliest attempt whose outcome is unknown: look Qonto up before re-sending.
    unknown_since: datetime | None = None
    attempt: PostAttempt | None = None
    #: Settled (posted, rejected, failed) or taken over by another worker: nothing more to do.
    done: bool = False
    last_code: str = ""
    last_error: str = ""
    retry_after: float | None = None

    @property
    def key(self) -> str:
        return self.item.idempotency_key


@dataclass(frozen=True)
class _Refusal:
    code: str
    detail: str


@dataclass
class _Settlement:
    entry: _Entry
    #: How to finish the entry's attempt (None: no attempt is open).
    outcome: PostOutcome | None
    details: dict[str, Any]
    #: The invoice transition to apply under the row lock (None: leave the invoice claimed).
    move: Callable[[Invoice], None] | None
    counter: str = ""
    #: For the report: "rejected by Qonto (invalid)", "failed, retried next window (http_503)".
    cause: str = ""


class _AuthStopError(Exception):
    """Qonto refused our authorisation: stop posting for this workspace now."""


class _WindowStopError(Exception):
    """Every further call would fail the same way (our own configuration): end the window."""


# --- Public API ----------------------------------------------------------------------------------


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
    workspace is running. Call it outside any transaction: each attempt row must be committed
    before its request leaves. Returns what happened; every invoice it claimed ends ``posted``,
    ``rejected`` or ``failed`` (with a reason and a retry time), or back in the outbox.
    """
    worker = (worker_id or default_worker_id())[:64]
    if not getattr(settings, "QONTO_ENABLED", True):
        return PostingReport(workspace_id, worker, skipped="Qonto is turned off (QONTO_ENABLED).")
    workspace = Workspace.objects.get(pk=workspace_id)
    banks = Connection.objects.for_workspace(workspace).banks().order_by("pk")
    qonto = banks.active().first() or banks.first()
    if qonto is None:
        return PostingReport(workspace_id, worker, skipped="The workspace has no Qonto connection.")
    if not qonto.is_active:
        return PostingReport(
            workspace_id,
            worker,
            skipped=f"The Qonto connection is {qonto.get_status_display().lower()}.",
        )
    running = running_file_syncs(workspace_id)
    if running:
        return PostingReport(
            workspace_id,
            worker,
            skipped=f"A folder sync is running (since {running[0].started_at:%H:%M:%S} UTC); "
            "posting waits for the window to close.",
        )
    if not Invoice.objects.for_workspace(workspace).due_for_posting().exists():
        return PostingReport(workspace_id, worker)

    lease = timedelta(seconds=int(settings.WELL_POST_LEASE_SECONDS))
    window = _Window(
        workspace=workspace,
        connection=qonto,
        worker_id=worker,
        client=_client_for(qonto, lease),
        lease=lease,
        budget=_bounded(budget or default_budget(), lease),
        sleep=time.sleep,
    )
    try:
        _drain(window)
    except BaseException as error:
        # Hand back what is safe to hand back now; anything left is swept when its lease ends.
        _release_held_quietly(window, f"The posting worker stopped: {error!r}")
        raise
    tally = window.tally
    if tally.posted:
        Connection.objects.filter(pk=qonto.pk).update(last_post_at=timezone.now())
    return PostingReport(
        workspace_id=workspace_id,
        worker_id=worker,
        claimed=tally.claimed,
        posted=tally.posted,
        resolved_by_lookup=tally.resolved_by_lookup,
        rejected=tally.rejected,
        failed=tally.failed,
        released=tally.released,
        lost_leases=tally.lost_leases,
        requests=tally.requests,
        lookups=tally.lookups,
        auth_stopped=tally.auth_stopped,
        errors=_error_lines(tally),
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
        if _release(
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
        Decision.objects.create(
            workspace_id=invoice.workspace_id,
            action=DecisionAction.RETRY,
            actor=user,
            invoice=invoice,
            before=before,
            after={"status": invoice.status},
            reason="Posting to Qonto retried from the integration status page.",
        )
    return RetryResult(invoice_id=invoice_id, previous_status=previous, status=invoice.status)


def upload_file_name(document: Document, idempotency_key: str) -> str:
    """The file name sent to Qonto: the original name made safe, plus our document id and the
    start of the idempotency key, so a look-up by file name finds exactly this upload (and not
    one from another Well installation sharing the Qonto organisation)."""
    original = PurePosixPath(document.original_name or "invoice.pdf")
    suffix = original.suffix.lower() if original.suffix else ".pdf"
    stem = _UNSAFE_NAME.sub("-", original.stem).strip("-.") or "invoice"
    tag = _UNSAFE_NAME.sub("", idempotency_key)[:8]
    return f"{stem[:80]}.well-{document.pk}-{tag}{_UNSAFE_NAME.sub('', suffix)[:10]}"


def default_budget() -> RetryBudget:
    seconds = float(
        getattr(settings, "WELL_POST_RETRY_BUDGET_SECONDS", DEFAULT_RETRY_BUDGET_SECONDS)
    )
    return RetryBudget(seconds=seconds)


# --- The window ----------------------------------------------------------------------------------


def _bounded(budget: RetryBudget, lease: timedelta) -> RetryBudget:
    """A chunk's waits must fit in its lease (which is renewed before each call)."""
    ceiling = lease.total_seconds() / 3
    if budget.seconds <= ceiling:
        return budget
    return RetryBudget(budget.max_rounds, budget.base_delay, budget.max_delay, ceiling)


def _client_for(connection: Connection, lease: timedelta) -> QontoClient:
    # The client's own retries (429 and connect failures on the upload, anything on reads) stay
    # short: a whole call, retries included, must end well inside the lease renewed before it.
    policy = RetryPolicy(
        max_attempts=3,
        base_delay=0.5,
        max_delay=5.0,
        budget=min(20.0, lease.total_seconds() / 6),
    )
    return QontoClient(
        QontoConfig.from_settings(), ConnectionTokenSource(connection.pk), retry=policy
    )


def _drain(window: _Window) -> None:
    for _ in range(MAX_CHUNKS_PER_WINDOW):
        claimed = _claim(window, CLAIM_SIZE)
        if not claimed:
            return
        window.tally.claimed += len(claimed)
        try:
            entries = _prepare(window, claimed)
            _post_chunk(window, entries)
        except _AuthStopError as stop:
            reason = str(stop)
            window.tally.auth_stopped = True
            window.tally.stop_reason = f"Qonto refused the authorisation: {reason}"
            window.tally.released += _release_held(
                window, code="auth", detail=f"Posting stopped: {reason}"
            )
            mark_needs_reauth(window.connection.pk, f"Posting to Qonto stopped: {reason}")
            return
        except _WindowStopError as stop:
            window.tally.stop_reason = str(stop)
            window.tally.released += _release_held(window, code="stopped", detail=str(stop))
            return


def _claim(window: _Window, limit: int) -> list[Invoice]:
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


def _prepare(window: _Window, invoices: list[Invoice]) -> list[_Entry]:
    """Convert amounts, read each file and check it against Qonto's limits; refuse locally what
    Qonto would refuse, and note which invoices must be looked up before they are sent."""
    documents = Document.objects.in_bulk([invoice.document_id for invoice in invoices])
    unknown = _unknown_since([invoice.pk for invoice in invoices])
    entries: list[_Entry] = []
    for invoice in invoices:
        fx.convert_invoice(invoice, home_currency=window.workspace.home_currency)
        invoice.save(update_fields=[*fx.FX_FIELDS, "updated_at"])
        prepared = _bulk_item(invoice, documents[invoice.document_id])
        if isinstance(prepared, _Refusal):
            _refuse_locally(window, invoice, prepared)
            continue
        entries.append(
            _Entry(invoice=invoice, item=prepared, unknown_since=unknown.get(invoice.pk))
        )
    return entries


def _bulk_item(invoice: Invoice, document: Document) -> BulkItem | _Refusal:
    name = upload_file_name(document, invoice.idempotency_key)
    if not document.file or not document.file.name:
        return _Refusal(
            "file_missing", f"{document.original_name}: Well holds no copy of this file."
        )
    try:
        with document.file.storage.open(document.file.name, "rb") as handle:
            content = handle.read()
    except OSError as error:
        return _Refusal(
            "file_missing", f"{document.original_name} could not be read from storage: {error}"
        )
    item = BulkItem(
        idempotency_key=invoice.idempotency_key,
        filename=name,
        content=content,
        content_type=document.mime_type or "application/pdf",
    )
    try:
        check_item(item)
    except BulkLimitError as error:
        return _Refusal(error.code or "invalid", f"Not sent to Qonto: {error.message}")
    if document.content_hash and hashlib.sha256(content).hexdigest() != document.content_hash:
        return _Refusal(
            "file_changed",
            f"Not sent to Qonto: the stored copy of {document.original_name} no longer matches "
            "the file that was read and reviewed (SHA-256 differs).",
        )
    return item


def _unknown_since(invoice_ids: Sequence[int]) -> dict[int, datetime]:
    """Per invoice, the start of the earliest attempt with an unknown outcome that no later
    attempt settled. Every send is preceded by a look-up of earlier unknowns, so an attempt
    with a definitive answer closes everything before it. Attempts left in flight by a dead
    worker are closed as unknown here."""
    leftovers = list(PostAttempt.objects.filter(invoice_id__in=invoice_ids).in_flight())
    for attempt in leftovers:
        with contextlib.suppress(AppendOnlyError):  # closed meanwhile: fine either way
            attempt.finish(
                outcome=PostOutcome.UNKNOWN,
                error_code="left_in_flight",
                error_detail="This attempt never finished; Qonto is checked before re-sending.",
            )
    since: dict[int, datetime] = {}
    attempts = (
        PostAttempt.objects.filter(invoice_id__in=invoice_ids)
        .order_by("invoice_id", "started_at", "pk")
        .values_list("invoice_id", "outcome", "started_at")
    )
    for invoice_id, outcome, started_at in attempts:
        if outcome in _DEFINITIVE_OUTCOMES:
            since.pop(invoice_id, None)
        elif outcome == PostOutcome.UNKNOWN:
            since.setdefault(invoice_id, started_at)
    return since


def _post_chunk(window: _Window, entries: list[_Entry]) -> None:
    """Rounds: look up unknown outcomes, send what is safe to send, wait, repeat what failed
    transiently; whatever is left when the budget is spent is ``failed`` for the next window."""
    pending = entries
    slept = 0.0
    round_number = 0
    while pending:
        round_number += 1
        pending = _renew_leases(window, pending)
        retry: list[_Entry] = []
        needs_lookup = [entry for entry in pending if entry.unknown_since is not None]
        if needs_lookup:
            retry.extend(_resolve_unknown(window, needs_lookup))
        sendable = [
            entry
            for entry in pending
            if not entry.done and entry.unknown_since is None and entry not in retry
        ]
        for batch in _batches(window, sendable):
            # Each call gets a full lease: a chunk split into several requests stays covered.
            held = _renew_leases(window, batch)
            if held:
                retry.extend(_send_batch(window, held, round_number))
        retry = [entry for entry in retry if not entry.done]
        if not retry:
            return
        delay = _retry_delay(window.budget, round_number, retry)
        if round_number >= window.budget.max_rounds or slept + delay > window.budget.seconds:
            _fail(window, retry)
            return
        logger.info(
            "posting: %d invoice(s) of workspace %s retried in %.1f s (round %d)",
            len(retry),
            window.workspace.pk,
            delay,
            round_number,
        )
        window.sleep(delay)
        slept += delay
        pending = retry


def _retry_delay(budget: RetryBudget, round_number: int, retry: Sequence[_Entry]) -> float:
    """Qonto's Retry-After when it gave one (the longest of the chunk), else full-jitter
    exponential backoff."""
    asked = [entry.retry_after for entry in retry if entry.retry_after is not None]
    if asked:
        return max(asked)
    policy = RetryPolicy(
        max_attempts=budget.max_rounds, base_delay=budget.base_delay, max_delay=budget.max_delay
    )
    return backoff_delay(round_number, policy)


def _renew_leases(window: _Window, entries: list[_Entry]) -> list[_Entry]:
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


def _batches(window: _Window, entries: Sequence[_Entry]) -> list[list[_Entry]]:
    """Requests of ≤ 20 files and ≤ 15 MB, checked against the exact encoded size."""
    if not entries:
        return []
    by_key = {entry.key: entry for entry in entries}
    plan = plan_batches(entry.item for entry in entries)
    for item, error in plan.refused:  # already checked in _prepare; kept for safety
        _refuse_locally(
            window,
            by_key[item.idempotency_key].invoice,
            _Refusal(error.code or "invalid", error.message),
        )
    batches: list[list[_Entry]] = []
    queue = [[by_key[item.idempotency_key] for item in batch] for batch in plan.batches]
    while queue:
        batch = queue.pop(0)
        try:
            encode_bulk_body([entry.item for entry in batch])
        except BulkLimitError as error:
            if error.code == "request_too_large" and len(batch) > 1:
                middle = len(batch) // 2
                queue[:0] = [batch[:middle], batch[middle:]]
                continue
            raise
        batches.append(batch)
    return batches


# --- One request ---------------------------------------------------------------------------------


def _send_batch(window: _Window, batch: list[_Entry], round_number: int) -> list[_Entry]:
    """Write the attempts, call Qonto, apply the answer. Returns the entries to try again."""
    batch_id = uuid.uuid4()
    batch_bytes = sum(entry.item.size for entry in batch)
    with transaction.atomic():
        for entry in batch:
            entry.attempt = _new_attempt(
                window,
                entry.invoice,
                batch_id=batch_id,
                summary={
                    "operation": "upload",
                    "endpoint": BULK_ENDPOINT,
                    "file_name": entry.item.filename,
                    "content_type": entry.item.content_type,
                    "size": entry.item.size,
                    "batch_size": len(batch),
                    "batch_bytes": batch_bytes,
                    "round": round_number,
                    "worker": window.worker_id,
                },
            )
    window.tally.requests += 1
    try:
        result = window.client.bulk_create_supplier_invoices([entry.item for entry in batch])
    except (AuthError, ConnectionUnavailableError) as error:
        status = error.status if isinstance(error, AuthError) else None
        code = (error.code if isinstance(error, AuthError) else None) or "unauthorized"
        _settle(
            window,
            [
                _Settlement(
                    entry,
                    PostOutcome.AUTH,
                    {
                        "http_status": status,
                        "error_code": code,
                        "error_detail": str(error),
                        "trace_id": getattr(error, "request_id", None) or "",
                    },
                    None,
                )
                for entry in batch
            ],
        )
        raise _AuthStopError(str(error)) from error
    except BulkLimitError as error:
        refusal = _Refusal(error.code or "invalid", f"Not sent to Qonto: {error.message}")
        _settle(window, [_local_settlement(entry, refusal) for entry in batch])
        return []
    except (TransientError, ProtocolError) as error:
        return _after_failed_call(window, batch, error)
    except PermanentError as error:
        if isinstance(error, ConfigurationError | NotFoundError) or error.status is None:
            _after_failed_call(window, batch, error)
            _fail(window, batch)
            raise _WindowStopError(
                f"Posting stopped: the Qonto endpoint or Well's settings are wrong: {error}"
            ) from error
        _settle(window, [_whole_request_rejection(entry, error) for entry in batch])
        return []
    return _apply_result(window, batch, result)


def _after_failed_call(
    window: _Window, batch: list[_Entry], error: TransientError | ProtocolError | PermanentError
) -> list[_Entry]:
    """No usable answer. If the request may have reached Qonto, the outcome is unknown and the
    invoices are looked up before they are sent again."""
    unknown = isinstance(error, ProtocolError) or (
        isinstance(error, TransientError) and error.outcome_unknown
    )
    code = _failure_code(error)
    settlements = [
        _Settlement(
            entry,
            PostOutcome.UNKNOWN if unknown else PostOutcome.TRANSIENT,
            {
                "http_status": error.status,
                "error_code": code,
                "error_detail": str(error),
                "trace_id": error.request_id or "",
            },
            None,
        )
        for entry in batch
    ]
    _settle(window, settlements)
    for entry in batch:
        entry.last_code = code
        entry.last_error = str(error)
        entry.retry_after = error.retry_after if isinstance(error, TransientError) else None
        if unknown and entry.attempt is not None:
            entry.unknown_since = entry.attempt.started_at
    return list(batch)


def _apply_result(window: _Window, batch: list[_Entry], result: BulkResult) -> list[_Entry]:
    trace_id = result.request_id or ""
    settlements: list[_Settlement] = []
    retry: list[_Entry] = []
    for entry in batch:
        item = result.items.get(entry.key)
        status = item.status if item is not None else "unknown"
        common: dict[str, Any] = {
            "http_status": result.status,
            "trace_id": trace_id,
            "item_result": _item_json(item),
        }
        if status == "created" and item is not None and item.invoice is not None:
            settlements.append(_posted_settlement(entry, item.invoice.id, common))
        elif status == "rejected" and item is not None:
            error = next(error for error in item.errors if not error.is_retryable)
            code = error.code or "invalid"
            detail = error.detail or "Qonto refused this file."
            settlements.append(
                _Settlement(
                    entry,
                    PostOutcome.REJECTED,
                    {
                        **common,
                        "error_code": code,
                        "error_pointer": error.pointer or "",
                        "error_detail": detail,
                    },
                    _rejecting(code, detail),
                    "rejected",
                    f"rejected by Qonto ({code})",
                )
            )
        elif status == "retryable" and item is not None:
            error = item.errors[0]
            entry.last_code = error.code or "internal_server_error"
            entry.last_error = f"Qonto could not process the file: {error.detail or error.code}"
            entry.retry_after = None
            settlements.append(
                _Settlement(
                    entry,
                    PostOutcome.TRANSIENT,
                    {
                        **common,
                        "error_code": entry.last_code,
                        "error_pointer": error.pointer or "",
                        "error_detail": entry.last_error,
                    },
                    None,
                )
            )
            retry.append(entry)
        else:
            entry.last_code = "outcome_unknown"
            entry.last_error = "Qonto's answer neither listed this file as created nor as failed."
            entry.retry_after = None
            settlements.append(
                _Settlement(
                    entry,
                    PostOutcome.UNKNOWN,
                    {**common, "error_code": entry.last_code, "error_detail": entry.last_error},
                    None,
                )
            )
            retry.append(entry)
    _settle(window, _guard_qonto_ids(window, settlements))
    for entry in retry:
        if entry.last_code == "outcome_unknown" and entry.attempt is not None:
            entry.unknown_since = entry.attempt.started_at
    return retry


def _resolve_unknown(window: _Window, entries: list[_Entry]) -> list[_Entry]:
    """Look the invoices up on Qonto; mark the ones found as posted (not re-sent) and clear the
    others for sending. Returns the entries that could not be checked."""
    earliest = min(entry.unknown_since for entry in entries if entry.unknown_since is not None)
    start = min(earliest - LOOKUP_CLOCK_SLACK, timezone.now())
    by_key = {entry.key: entry for entry in entries}
    by_name = {entry.item.filename: entry.key for entry in entries}
    found: dict[str, SupplierInvoice] = {}
    window.tally.lookups += 1
    try:
        for candidate in window.client.list_supplier_invoices(created_at_from=start):
            key = (
                candidate.idempotency_key
                if candidate.idempotency_key in by_key
                else by_name.get(candidate.file_name or "")
            )
            if key is None:
                continue
            if key in found:
                logger.error(
                    "posting: Qonto holds more than one supplier invoice for %s (%s, %s)",
                    by_key[key].item.filename,
                    found[key].id,
                    candidate.id,
                )
                continue
            found[key] = candidate
    except (AuthError, ConnectionUnavailableError) as error:
        raise _AuthStopError(str(error)) from error
    except (TransientError, ProtocolError, PermanentError) as error:
        for entry in entries:
            entry.last_code = "lookup_failed"
            entry.last_error = (
                f"Could not check Qonto for an earlier attempt before sending again: {error}"
            )
            entry.retry_after = error.retry_after if isinstance(error, TransientError) else None
        return entries
    settlements: list[_Settlement] = []
    if found:
        with transaction.atomic():
            for key, supplier_invoice in found.items():
                entry = by_key[key]
                entry.attempt = _new_attempt(
                    window,
                    entry.invoice,
                    batch_id=uuid.uuid4(),
                    summary={
                        "operation": "lookup",
                        "endpoint": LOOKUP_ENDPOINT,
                        "file_name": entry.item.filename,
                        "created_at_from": start.isoformat(),
                        "worker": window.worker_id,
                    },
                )
                settlements.append(
                    _posted_settlement(
                        entry,
                        supplier_invoice.id,
                        {
                            "http_status": 200,
                            "item_result": {
                                "status": "found",
                                "resolved_by": "lookup",
                                "qonto_id": supplier_invoice.id,
                                "file_name": supplier_invoice.file_name,
                                "created_at": supplier_invoice.created_at.isoformat()
                                if supplier_invoice.created_at
                                else None,
                            },
                        },
                        counter="resolved_by_lookup",
                    )
                )
        _settle(window, _guard_qonto_ids(window, settlements))
    for entry in entries:
        if entry.key not in found:
            entry.unknown_since = None
    return []


# --- Settling ------------------------------------------------------------------------------------


def _new_attempt(
    window: _Window, invoice: Invoice, *, batch_id: uuid.UUID, summary: dict[str, Any]
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


def _rejecting(code: str, detail: str) -> Callable[[Invoice], None]:
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


def _posted_settlement(
    entry: _Entry, qonto_id: str, details: dict[str, Any], counter: str = ""
) -> _Settlement:
    return _Settlement(
        entry,
        PostOutcome.POSTED,
        {**details, "qonto_id": qonto_id},
        _posting(qonto_id),
        counter or "posted",
    )


def _local_settlement(entry: _Entry, refusal: _Refusal) -> _Settlement:
    return _Settlement(
        entry,
        PostOutcome.LOCAL,
        {"error_code": refusal.code, "error_detail": refusal.detail},
        _rejecting(refusal.code, refusal.detail),
        "rejected",
        f"refused before sending ({refusal.code})",
    )


def _whole_request_rejection(entry: _Entry, error: PermanentError) -> _Settlement:
    code = error.code or f"http_{error.status}"
    detail = error.detail or error.message
    return _Settlement(
        entry,
        PostOutcome.REJECTED,
        {
            "http_status": error.status,
            "error_code": code,
            "error_pointer": error.pointer or "",
            "error_detail": detail,
            "trace_id": error.trace_id or "",
        },
        _rejecting(code, detail),
        "rejected",
        f"rejected by Qonto ({code})",
    )


def _guard_qonto_ids(window: _Window, settlements: list[_Settlement]) -> list[_Settlement]:
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
        settlement.move = _rejecting("qonto_id_taken", detail)
        settlement.counter = "rejected"
        settlement.cause = "rejected: Qonto id already linked (qonto_id_taken)"
    return settlements


def _settle(window: _Window, settlements: Iterable[_Settlement]) -> None:
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
            if invoice is None or not _holds(window, invoice):
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
            if settlement.counter:
                setattr(
                    window.tally, settlement.counter, getattr(window.tally, settlement.counter) + 1
                )
                if settlement.counter == "resolved_by_lookup":
                    window.tally.posted += 1
            if settlement.cause:
                causes = window.tally.causes
                causes[settlement.cause] = causes.get(settlement.cause, 0) + 1


def _holds(window: _Window, invoice: Invoice) -> bool:
    return invoice.status == InvoiceStatus.POSTING and invoice.lease_owner == window.worker_id


def _refuse_locally(window: _Window, invoice: Invoice, refusal: _Refusal) -> None:
    with transaction.atomic():
        attempt = _new_attempt(
            window,
            invoice,
            batch_id=uuid.uuid4(),
            summary={"operation": "refused locally", "worker": window.worker_id},
        )
        entry = _Entry(
            invoice=invoice,
            item=BulkItem(invoice.idempotency_key, "", b""),
            attempt=attempt,
        )
        _settle(window, [_local_settlement(entry, refusal)])


def _fail(window: _Window, entries: Sequence[_Entry]) -> None:
    """The window's budget is spent: ``failed``, retried by the next window (not before
    Qonto's Retry-After)."""
    now = timezone.now()
    settlements = [
        _Settlement(
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
    _settle(window, settlements)


def _release(
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


def _release_held(window: _Window, *, code: str, detail: str) -> int:
    held = Invoice.objects.filter(
        workspace=window.workspace, status=InvoiceStatus.POSTING, lease_owner=window.worker_id
    ).values_list("pk", flat=True)
    return sum(
        _release(pk, owner=window.worker_id, expired_before=None, code=code, detail=detail)
        for pk in list(held)
    )


def _release_held_quietly(window: _Window, detail: str) -> None:
    try:
        window.tally.released += _release_held(window, code="worker_stopped", detail=detail[:2000])
    except Exception:
        logger.exception("posting: could not hand claims back; the sweeper will")


def _error_lines(tally: _Tally) -> tuple[str, ...]:
    lines = [tally.stop_reason] if tally.stop_reason else []
    for cause, count in sorted(tally.causes.items()):
        lines.append(f"{count} invoice(s) {cause}")
    return tuple(lines)


# --- Small helpers -------------------------------------------------------------------------------


def _failure_code(error: TransientError | ProtocolError | PermanentError) -> str:
    if isinstance(error, ProtocolError):
        return "protocol_error"
    if isinstance(error, PermanentError):
        if error.code:
            return error.code
        return f"http_{error.status}" if error.status is not None else "configuration"
    if error.status == 429:
        return "rate_limited"
    if error.status is not None:
        return f"http_{error.status}"
    return "no_answer" if error.outcome_unknown else "no_connection"


def _item_json(item: BulkItemResult | None) -> dict[str, Any]:
    if item is None:
        return {"status": "missing"}
    return {
        "status": item.status,
        "file_name": item.filename,
        "qonto_id": item.invoice.id if item.invoice is not None else None,
        "errors": [
            {"code": error.code, "detail": error.detail, "pointer": error.pointer}
            for error in item.errors
        ],
    }
