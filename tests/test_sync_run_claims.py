"""A running SyncRun is the lock of its kind of work in a workspace, until its lease runs out; a
finished run keeps its counts, details and the first 4,000 characters of its error."""

from __future__ import annotations

from datetime import timedelta

import pytest

from reconciliation.models import Provider
from reconciliation.models import SyncKind
from reconciliation.models import SyncRun
from reconciliation.models import SyncStatus
from reconciliation.models import Workspace
from reconciliation.window import close_window
from tests.factories import make_connection
from tests.factories import make_sync_run
from tests.factories import make_workspace

pytestmark = pytest.mark.django_db

LEASE = timedelta(minutes=20)


@pytest.mark.parametrize(
    ("kind", "status", "minutes_ago", "other_workspace", "holds"),
    [
        pytest.param(SyncKind.POSTING, SyncStatus.RUNNING, 1, False, True, id="fresh_run"),
        pytest.param(SyncKind.POSTING, SyncStatus.RUNNING, 21, False, False, id="dead_run"),
        pytest.param(SyncKind.POSTING, SyncStatus.SUCCEEDED, 1, False, False, id="finished"),
        pytest.param(SyncKind.MATCHING, SyncStatus.RUNNING, 1, False, False, id="other_kind"),
        pytest.param(SyncKind.POSTING, SyncStatus.RUNNING, 1, True, False, id="other_workspace"),
    ],
)
def test_a_run_holds_its_workspace_while_running_within_its_lease(
    workspace: Workspace,
    kind: SyncKind,
    status: SyncStatus,
    minutes_ago: float,
    other_workspace: bool,
    holds: bool,
) -> None:
    owner = make_workspace() if other_workspace else workspace
    make_sync_run(owner, kind=kind, status=status, minutes_ago=minutes_ago)

    running = SyncRun.objects.still_running(workspace.pk, SyncKind.POSTING, lease=LEASE)

    assert running.exists() is holds


def test_a_window_is_not_closed_twice_at_once(workspace: Workspace) -> None:
    bank = make_connection(workspace, Provider.QONTO)
    make_sync_run(workspace, bank, kind=SyncKind.POSTING, minutes_ago=1)

    report = close_window(workspace_id=workspace.pk)

    assert report.status == "busy"
    assert SyncRun.objects.filter(kind=SyncKind.POSTING).count() == 1


def test_a_finished_run_keeps_its_counts_and_the_start_of_its_error(workspace: Workspace) -> None:
    run = make_sync_run(workspace, kind=SyncKind.TRANSACTIONS)

    run.finish_with_counts(
        SyncStatus.PARTIAL, seen=7, changed=5, failed=2, details={"pages": 3}, error="x" * 4500
    )
    run.save()

    run.refresh_from_db()
    assert (run.status, run.items_seen, run.items_changed, run.items_failed) == (
        SyncStatus.PARTIAL,
        7,
        5,
        2,
    )
    assert run.details == {"pages": 3}
    assert run.error == "x" * 4000
    assert run.finished_at is not None
