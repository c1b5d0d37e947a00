"""The sync window: poll, parse, route — then, and only then, write to Qonto.

A workspace's window is *open* while a folder poll of one of its connections runs or while
documents it brought are still waiting to be read. When it closes, `close_window` mirrors the
bank transactions, matches, posts the approved invoices and attaches confirmed payment
confirmations. Writes to Qonto never happen mid-sync.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from dataclasses import field
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import BooleanField
from django.db.models import Exists
from django.db.models import ExpressionWrapper
from django.db.models import Q

from reconciliation import matching
from reconciliation import parsing
from reconciliation import posting
from reconciliation.intake import transaction_mirror
from reconciliation.models import Connection
from reconciliation.models import ConnectionStatus
from reconciliation.models import Document
from reconciliation.models import DocumentStatus
from reconciliation.models import SyncKind
from reconciliation.models import SyncRun
from reconciliation.models import SyncStatus
from reconciliation.models import Workspace
from reconciliation.models.audit import SyncTrigger
from reconciliation.queue import enqueue

logger = logging.getLogger(__name__)

#: How long a window-closing run may hold the workspace before another one may start.
WINDOW_LEASE = timedelta(minutes=20)


@dataclass
class WindowReport:
    workspace_id: int
    status: str  # closed | open | busy | no_bank
    transactions_synced: int = 0
    matches_confirmed: int = 0
    invoices_posted: int = 0
    invoices_failed: int = 0
    attachments: int = 0
    posting_details: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


def window_open_expression(workspace: Any) -> ExpressionWrapper[Q]:
    """True while a folder poll of the workspace runs or a document it brought is unread.

    `workspace` is a workspace id or an `OuterRef` to one, so the dispatcher asks the same
    question of every workspace in one query."""
    polling = SyncRun.objects.filter(
        workspace_id=workspace, kind=SyncKind.FILES, status=SyncStatus.RUNNING
    )
    reading = Document.objects.filter(
        workspace_id=workspace, status__in=(DocumentStatus.NEW, DocumentStatus.PARSING)
    )
    return ExpressionWrapper(Exists(polling) | Exists(reading), output_field=BooleanField())


def window_is_open(workspace_id: int) -> bool:
    return bool(
        Workspace.objects.filter(pk=workspace_id)
        .annotate(open=window_open_expression(workspace_id))
        .values_list("open", flat=True)
        .first()
    )


def read_document(*, document_id: int) -> list[parsing.ParseResult]:
    """Read one document, then its workspace's next waiting ones with the same reader
    (`parsing.read_on`); the task that read the last one of the window queues the window's
    closing. The first result is the document's own.

    A task that read nothing (its document was read on by another) queues nothing: whoever
    read the window's last document asks after its own reading, so one of them sees it closed
    — without this, every such task of a workspace whose reading was done queued a closing."""
    results = [parsing.parse_document(document_id=document_id)]
    workspace_id = (
        Document.objects.filter(pk=document_id).values_list("workspace_id", flat=True).first()
    )
    if workspace_id is not None:
        results += parsing.read_on(workspace_id=workspace_id)
        if any(result.outcome != "skipped" for result in results):
            close_window_when_done(workspace_id=workspace_id)
    return results


def close_window_when_done(*, workspace_id: int) -> bool:
    """Called after each document is read: the last one of the window queues the closing."""
    if window_is_open(workspace_id):
        return False
    enqueue("reconciliation.tasks.close_window", workspace_id)
    return True


def close_window(*, workspace_id: int, trigger: str = SyncTrigger.WINDOW) -> WindowReport:
    """Sync transactions, match, post, attach — once per window, one worker at a time.

    `trigger` is what closed it: the last document read (``window``), or a person's Sync now on
    the Qonto connection (``manual``); each run of the window says so."""
    report = WindowReport(workspace_id, "closed")
    if window_is_open(workspace_id):
        report.status = "open"
        return report
    bank = (
        Connection.objects.for_workspace(workspace_id)
        .banks()
        .filter(status=ConnectionStatus.ACTIVE)
        .first()
    )
    if bank is None:
        report.status = "no_bank"
        return report
    run = _claim_window(workspace_id, bank, trigger)
    if run is None:
        report.status = "busy"
        return report
    try:
        _run_window(workspace_id, bank, report, trigger)
    except Exception as error:
        logger.exception("closing the window of workspace %s failed", workspace_id)
        report.errors.append(f"{type(error).__name__}: {error}")
        raise
    finally:
        _record_run(run, report)
    return report


def _run_window(workspace_id: int, bank: Connection, report: WindowReport, trigger: str) -> None:
    """The window's four steps, in order: mirror, match, post, attach."""
    synced = transaction_mirror.sync_transactions(connection_id=bank.pk, trigger=trigger)
    report.transactions_synced = synced.created + synced.updated
    if synced.error:
        report.errors.append(synced.error)
    matched = matching.match_window(workspace_id=workspace_id, trigger=trigger)
    report.matches_confirmed = matched.confirmed
    posted = posting.post_approved(workspace_id=workspace_id)
    report.invoices_posted = posted.posted
    report.invoices_failed = posted.failed + posted.rejected
    report.posting_details = {
        "linked_to_qonto_entries": posted.linked,
        "sent_to_review_by_probe": posted.probe_review,
        "read_back": posted.read_back,
        "differs_from_qonto": posted.differs_from_qonto,
    }
    report.errors += list(posted.errors)
    attached = matching.attach_confirmed(workspace_id=workspace_id)
    report.attachments = attached.attached
    report.errors += attached.errors


def _record_run(run: SyncRun, report: WindowReport) -> None:
    run.finish_with_counts(
        SyncStatus.PARTIAL if report.errors else SyncStatus.SUCCEEDED,
        seen=report.invoices_posted + report.invoices_failed,
        changed=report.invoices_posted,
        failed=report.invoices_failed,
        details={
            "transactions_synced": report.transactions_synced,
            "matches_confirmed": report.matches_confirmed,
            "attachments": report.attachments,
            **report.posting_details,
        },
        error="\n".join(report.errors),
    )
    run.save()


def _claim_window(workspace_id: int, bank: Connection, trigger: str) -> SyncRun | None:
    """One closing per workspace at a time: the running SyncRun row is the lock."""
    with transaction.atomic():
        Workspace.objects.select_for_update().get(pk=workspace_id)
        if SyncRun.objects.still_running(
            workspace_id, SyncKind.POSTING, lease=WINDOW_LEASE
        ).exists():
            return None
        return SyncRun.objects.create(
            workspace_id=workspace_id, connection=bank, kind=SyncKind.POSTING, trigger=trigger
        )
