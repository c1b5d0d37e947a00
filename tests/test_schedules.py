"""Periodic work is declared in code; `sync_schedules` makes the database agree, idempotently."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_q.models import Schedule

from reconciliation.dispatch import DispatchReport
from reconciliation.dispatch import dispatch_due_work
from reconciliation.models import DocumentStatus
from reconciliation.models import Provider
from reconciliation.models import SyncKind
from reconciliation.models import SyncStatus
from reconciliation.models import Workspace
from reconciliation.schedules import SCHEDULES
from tests.factories import make_connection
from tests.factories import make_document
from tests.factories import make_sync_run
from tests.factories import make_workspace

pytestmark = pytest.mark.django_db


def _schedules() -> dict[str, tuple[str, int | None]]:
    return {s.name: (s.func, s.minutes) for s in Schedule.objects.order_by("name")}


def test_sync_schedules_creates_updates_and_removes_by_name() -> None:
    call_command("sync_schedules", stdout=StringIO())
    expected = {spec.name: (spec.func, spec.minutes) for spec in SCHEDULES}
    assert _schedules() == expected
    Schedule.objects.filter(name="well:sweep").update(minutes=99, func="somewhere.else")
    Schedule.objects.create(name="well:retired", func="reconciliation.tasks.gone", minutes=5)
    Schedule.objects.create(name="someone-elses", func="their.task", minutes=5)
    out = StringIO()
    call_command("sync_schedules", stdout=out)
    assert _schedules() == {**expected, "someone-elses": ("their.task", 5)}
    assert "schedule well:retired: removed" in out.getvalue()
    call_command("sync_schedules", stdout=StringIO())
    assert Schedule.objects.count() == len(expected) + 1


def test_dispatch_queues_the_polls_that_are_due(
    workspace: Workspace, django_capture_on_commit_callbacks: Any
) -> None:
    due = make_connection(workspace, Provider.DROPBOX, watched_folder="/due")
    recent = make_connection(
        workspace,
        Provider.DROPBOX,
        watched_folder="/recent",
        last_sync_started_at=timezone.now() - timedelta(minutes=5),
    )
    capped = make_connection(workspace, Provider.APIDECK, watched_folder="root")
    for minutes in (55, 45, 35, 25):
        make_sync_run(workspace, capped, minutes_ago=minutes, status=SyncStatus.SUCCEEDED)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        report = dispatch_due_work()
    assert report.polls_queued == [due.pk]
    assert recent.pk not in report.polls_queued
    assert len(queued) == 1


def _seed_workspaces(count: int) -> None:
    for index in range(count):
        workspace = make_workspace(f"Dispatch {index}")
        make_connection(workspace, Provider.DROPBOX, watched_folder=f"/w{index}")
        make_connection(workspace, Provider.QONTO)
        make_sync_run(workspace, kind=SyncKind.POSTING, status=SyncStatus.SUCCEEDED, minutes_ago=1)


def _dispatch_queries(django_capture_on_commit_callbacks: Any) -> tuple[int, DispatchReport]:
    with (
        django_capture_on_commit_callbacks(execute=False),
        CaptureQueriesContext(connection) as queries,
    ):
        report = dispatch_due_work()
    return len(queries), report


def test_dispatch_costs_the_same_queries_for_one_or_thirty_workspaces(
    django_capture_on_commit_callbacks: Any,
) -> None:
    _seed_workspaces(1)
    few, report = _dispatch_queries(django_capture_on_commit_callbacks)
    assert len(report.polls_queued) == 1
    assert report.windows_queued == []
    _seed_workspaces(29)
    many, report = _dispatch_queries(django_capture_on_commit_callbacks)
    assert len(report.polls_queued) == 30
    assert report.windows_queued == []
    # Two reads; the enqueues wait for the commit and cost nothing here.
    assert (few, many) == (2, 2)


def test_dispatch_queues_a_window_only_where_it_is_due_and_closed(
    workspace: Workspace, django_capture_on_commit_callbacks: Any
) -> None:
    make_connection(workspace, Provider.QONTO)
    busy = make_workspace("Still reading")
    make_connection(busy, Provider.QONTO)
    make_document(busy, status=DocumentStatus.NEW)
    with django_capture_on_commit_callbacks(execute=False):
        report = dispatch_due_work()
    assert report.windows_queued == [workspace.pk]
