"""The scheduler's minute: queue the polls that are due and the windows nobody closed, and give
back work whose worker died."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from django.utils import timezone

from reconciliation import parsing, posting
from reconciliation.intake import folder_polls
from reconciliation.models import Connection, SyncKind, SyncRun
from reconciliation.queue import enqueue
from reconciliation.window import WINDOW_LEASE, window_is_open


@dataclass
class DispatchReport:
    polls_queued: list[int] = field(default_factory=list)
    windows_queued: list[int] = field(default_factory=list)


def dispatch_due_work() -> DispatchReport:
    """Every minute: queue the polls that are due, and window closings nobody triggered."""
    report = DispatchReport()
    now = timezone.now()
    for connection in (
        Connection.objects.file_sources()
        .filter(status__in=folder_polls.SYNCABLE)
        .select_related("workspace")
    ):
        if folder_polls.is_due(connection, now):
            enqueue("reconciliation.tasks.sync_file_connection", connection.pk)
            report.polls_queued.append(connection.pk)
    for bank in Connection.objects.banks().active().select_related("workspace"):
        interval = timedelta(minutes=bank.workspace.poll_interval_minutes)
        last = (
            SyncRun.objects.filter(workspace_id=bank.workspace_id, kind=SyncKind.POSTING)
            .order_by("-started_at")
            .values_list("started_at", flat=True)
            .first()
        )
        if (last is None or last + interval <= now) and not window_is_open(bank.workspace_id):
            enqueue("reconciliation.tasks.close_window", bank.workspace_id)
            report.windows_queued.append(bank.workspace_id)
    return report


@dataclass
class SweepReport:
    invoices_released: int
    documents_requeued: int
    runs_expired: int


def sweep_stuck_work() -> SweepReport:
    """Give back work whose worker died: expired posting leases, stuck parses, stale runs."""
    return SweepReport(
        invoices_released=posting.release_expired_leases(),
        documents_requeued=parsing.requeue_stale(),
        runs_expired=folder_polls.expire_stale_runs()
        + folder_polls.expire_stale_runs(
            kinds=(SyncKind.POSTING,),
            older_than=WINDOW_LEASE,
            reason="The worker stopped before the window closed.",
        ),
    )
