"""The scheduler's minute: queue the polls that are due and the windows nobody closed, and give
back work whose worker died."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from datetime import timedelta

from django.db.models import Count
from django.db.models import OuterRef
from django.db.models import Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from reconciliation import parsing
from reconciliation import posting
from reconciliation.intake import folder_polls
from reconciliation.intake.claims import SYNCABLE
from reconciliation.models import Connection
from reconciliation.models import SyncKind
from reconciliation.models import SyncRun
from reconciliation.queue import enqueue
from reconciliation.window import WINDOW_LEASE
from reconciliation.window import window_open_expression


@dataclass
class DispatchReport:
    polls_queued: list[int] = field(default_factory=list)
    windows_queued: list[int] = field(default_factory=list)


def dispatch_due_work() -> DispatchReport:
    """Every minute: queue the polls that are due, and window closings nobody triggered.

    Two queries whatever the number of workspaces and connections (plus one enqueue per piece
    of work that is due): the rules are evaluated on annotated rows, not row by row."""
    now = timezone.now()
    report = DispatchReport(polls_queued=_due_polls(now), windows_queued=_due_windows(now))
    for connection_id in report.polls_queued:
        enqueue("reconciliation.tasks.sync_file_connection", connection_id)
    for workspace_id in report.windows_queued:
        enqueue("reconciliation.tasks.close_window", workspace_id)
    return report


def _due_polls(now: datetime) -> list[int]:
    recent = (
        SyncRun.objects.filter(
            connection=OuterRef("pk"), kind=SyncKind.FILES, started_at__gt=now - timedelta(hours=1)
        )
        .order_by()
        .values("connection")
        .annotate(n=Count("pk"))
        .values("n")
    )
    rows = (
        Connection.objects.file_sources()
        .filter(status__in=SYNCABLE)
        .annotate(recent=Coalesce(Subquery(recent), 0))
        .order_by("pk")
        .values_list(
            "pk",
            "last_sync_started_at",
            "recent",
            "workspace__poll_interval_minutes",
            "workspace__max_syncs_per_hour",
        )
    )
    return [
        pk
        for pk, last, count, interval, cap in rows
        if folder_polls.poll_is_due(
            last_started=last, interval_minutes=interval, syncs_last_hour=count, cap=cap, now=now
        )
    ]


def _due_windows(now: datetime) -> list[int]:
    last_window = (
        SyncRun.objects.filter(workspace_id=OuterRef("workspace_id"), kind=SyncKind.POSTING)
        .order_by("-started_at")
        .values("started_at")[:1]
    )
    rows = (
        Connection.objects.banks()
        .active()
        .annotate(
            last_window=Subquery(last_window),
            open=window_open_expression(OuterRef("workspace_id")),
        )
        .order_by("workspace_id")
        .values_list("workspace_id", "last_window", "open", "workspace__poll_interval_minutes")
    )
    # A dict keeps the order and answers "already due?" at once: with a list that test made
    # this loop quadratic (4.7 s of Python at 10,000 workspaces, bench-admin).
    due: dict[int, None] = {}
    for workspace_id, last, is_open, interval in rows:
        if is_open or workspace_id in due:
            continue
        if last is None or last + timedelta(minutes=interval) <= now:
            due[workspace_id] = None
    return list(due)


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
