"""The admin home dashboard: exact figures per workspace, SVG charts, constant query cost."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import datetime
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import AbstractUser
from django.test import RequestFactory
from django.urls import reverse

from reconciliation.admin import dashboard
from reconciliation.models import Connection
from reconciliation.models import ConnectionStatus
from reconciliation.models import Document
from reconciliation.models import DocumentKind
from reconciliation.models import DocumentStatus
from reconciliation.models import Invoice
from reconciliation.models import InvoiceStatus
from reconciliation.models import PostAttempt
from reconciliation.models import PostOutcome
from reconciliation.models import Provider
from reconciliation.models import Role
from reconciliation.models import SyncKind
from reconciliation.models import SyncRun
from reconciliation.models import Workspace
from tests.factories import make_connection
from tests.factories import make_document
from tests.factories import make_invoice
from tests.factories import make_user
from tests.factories import make_workspace
from tests.helpers import logged_in_client
from tests.helpers import page_queries

pytestmark = pytest.mark.django_db

#: A Wednesday: the week started on Monday 23 November (Europe/Paris).
NOW = datetime.fromisoformat("2026-11-25T12:00:00+00:00")


@pytest.fixture
def frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def _invoice(
    workspace: Workspace, *, age: timedelta = timedelta(hours=2), **fields: Any
) -> Invoice:
    invoice = make_invoice(workspace, **fields)
    when = NOW - age
    Invoice.objects.filter(pk=invoice.pk).update(created_at=when)
    Document.objects.filter(pk=invoice.document_id).update(received_at=when)
    return invoice


def _scenario(workspace: Workspace) -> AbstractUser:
    reviewer = make_user(workspace=workspace, role=Role.REVIEWER)
    _invoice(workspace, confidence=Decimal("72.50"))
    _invoice(workspace, age=timedelta(days=10), confidence=Decimal("61.00"))
    _invoice(workspace, status=InvoiceStatus.APPROVED, confidence=Decimal("91.00"))
    _invoice(
        workspace, status=InvoiceStatus.POSTED, confidence=Decimal("88.00"), age=timedelta(days=1)
    )
    _invoice(
        workspace,
        status=InvoiceStatus.APPROVED,
        decided_by=reviewer,
        decided_at=NOW,
        confidence=Decimal("66.00"),
    )
    refused = _invoice(workspace, status=InvoiceStatus.REFUSED, confidence=Decimal("40.00"))
    make_document(workspace, status=DocumentStatus.FAILED, original_name="broken.pdf")
    make_document(workspace, kind=DocumentKind.PAYMENT_CONFIRMATION, original_name="transfer.pdf")
    for outcome, code in [
        (PostOutcome.REJECTED, "invalid"),
        (PostOutcome.REJECTED, "invalid"),
        (PostOutcome.TRANSIENT, ""),
        (PostOutcome.POSTED, ""),
    ]:
        PostAttempt.objects.create(
            workspace=workspace,
            invoice=refused,
            batch_id=uuid.uuid4(),
            idempotency_key=refused.idempotency_key,
            outcome=outcome,
            error_code=code,
        )
    dropbox = make_connection(workspace, account_label="Team Dropbox")
    make_connection(
        workspace, Provider.QONTO, status=ConnectionStatus.NEEDS_REAUTH, account_label="Main bank"
    )
    SyncRun.objects.create(
        workspace=workspace,
        connection=dropbox,
        kind=SyncKind.FILES,
        files_seen=120,
        started_at=NOW - timedelta(hours=3),
    )
    # The poll stored these: six of them since the run started three hours ago.
    Document.objects.filter(workspace=workspace).update(connection=dropbox)
    return reviewer


def test_figures_of_a_workspace(workspace: Workspace, frozen: None) -> None:
    reviewer = _scenario(workspace)
    request = RequestFactory().get("/admin/")
    request.user = reviewer  # type: ignore[assignment]
    [board] = dashboard.build_dashboards(request)
    assert board.pipeline == [
        ("Needs review", 1),
        ("Approved, waiting", 2),
        ("Posted", 1),
        ("Refused", 1),
        ("Payment documents", 1),
        ("Unreadable", 1),
    ]
    assert (board.routed_week, board.auto_week, board.auto_post_rate) == (5, 2, Decimal("40.0"))
    assert (board.backlog, board.oldest_label) == (2, "10 days")
    assert board.backlog_ages == [("< 1 day", 1), ("1–3 days", 0), ("3–7 days", 0), ("> 7 days", 1)]
    assert board.histogram == [
        ("0–10", 0),
        ("10–20", 0),
        ("20–30", 0),
        ("30–40", 0),
        ("40–50", 1),
        ("50–60", 0),
        ("60–70", 2),
        ("70–80", 1),
        ("80–90", 1),
        ("90–100", 1),
    ]
    assert board.failures == [("Rejected by Qonto: invalid", 2), ("Transient failure (retried)", 1)]
    assert [(c.provider, c.status) for c in board.connections] == [
        ("dropbox", "active"),
        ("qonto", "needs_reauth"),
    ]
    assert [(p.run.kind, p.documents_stored) for p in board.running] == [("files", 6)]
    assert board.reading == 0
    by_day = dict(board.volume)
    assert len(board.volume) == dashboard.VOLUME_DAYS
    assert (
        by_day[NOW.date()],
        by_day[NOW.date() - timedelta(days=1)],
        by_day[NOW.date() - timedelta(days=10)],
    ) == (6, 1, 1)


def test_the_auto_post_rate_reads_as_well_writes_percentages(workspace: Workspace) -> None:
    board = dashboard.WorkspaceDashboard(workspace, "", routed_week=3, auto_week=2)
    none_routed = dashboard.WorkspaceDashboard(workspace, "")
    assert (board.auto_post_percent, none_routed.auto_post_percent) == ("66.67 %", "—")


def test_home_page_shows_the_dashboard_first(workspace: Workspace, frozen: None) -> None:
    reviewer = _scenario(workspace)
    body = logged_in_client(reviewer).get("/admin/").content.decode()
    review_link = body.index("data-well-review-link")
    assert review_link < body.index('id="well-ws-')
    assert "Review queue — 2 waiting" in body
    assert '<span class="well-figure" data-figure="backlog">2</span>' in body
    assert '<span class="well-figure" data-figure="auto_post_rate">40 %</span>' in body
    assert "oldest waiting 10 days" in body
    assert len(re.findall(r'<svg class="well-chart" role="img"', body)) == 5
    assert "<title>Rejected by Qonto: invalid: 2</title>" in body
    assert 'class="well-connection-needs_reauth"' in body
    assert 'data-progress-url="/admin/dashboard/progress/"' in body
    assert '<span data-run-field="documents_stored">6</span> documents stored so far' in body
    assert '<script src="/static/well/dashboard.js" defer></script>' in body
    assert "<script>" not in body  # CSP: no inline script


def test_progress_feed_reports_running_syncs(workspace: Workspace, frozen: None) -> None:
    reviewer = _scenario(workspace)
    dropbox = Connection.objects.get(workspace=workspace, provider=Provider.DROPBOX)
    make_document(workspace, status=DocumentStatus.NEW, connection=dropbox)
    answer = logged_in_client(reviewer).get("/admin/dashboard/progress/").json()
    assert [
        (r["kind"], r["documents_stored"], r["files_seen"], r["workspace"]) for r in answer["runs"]
    ] == [("Folder poll", 7, 120, workspace.pk)]
    assert answer["reading"] == {str(workspace.pk): 1}


def test_empty_workspace_says_nothing_yet(workspace: Workspace) -> None:
    reviewer = make_user(workspace=workspace, role=Role.AUDITOR)
    body = logged_in_client(reviewer).get("/admin/").content.decode()
    assert (
        '<h3>Post failures by cause (30 days)</h3><p class="well-chart-empty">Nothing yet.</p>'
    ) in body
    assert "(30 days): nothing yet" not in body  # the box's title is not repeated
    assert '<span class="well-figure" data-figure="auto_post_rate">—</span>' in body


def _fill(workspace: Workspace, count: int) -> None:
    for index in range(count):
        _invoice(
            workspace,
            status=InvoiceStatus.NEEDS_REVIEW if index % 2 else InvoiceStatus.APPROVED,
            confidence=Decimal(index % 100),
            age=timedelta(hours=index),
        )


def test_dashboard_costs_the_same_for_one_small_or_three_large_workspaces(frozen: None) -> None:
    first = make_workspace()
    user = make_user(workspace=first, role=Role.REVIEWER)
    client = logged_in_client(user)
    _fill(first, 10)
    small = page_queries(client, "/admin/")
    for _ in range(2):
        other = make_workspace()
        other.memberships.create(user_id=user.pk, role=Role.AUDITOR)
        _fill(other, 60)
    _fill(first, 60)
    large = page_queries(client, "/admin/")
    assert large == small


def test_every_stuck_list_is_reachable_with_its_count(workspace: Workspace, frozen: None) -> None:
    reviewer = _scenario(workspace)
    _invoice(workspace, status=InvoiceStatus.FAILED)
    _invoice(workspace, status=InvoiceStatus.REJECTED)
    _invoice(workspace, status=InvoiceStatus.REJECTED)
    make_document(
        workspace,
        kind=DocumentKind.WIRE_NOTICE,
        review_reason="No debit found within 7 days.",
    )
    request = RequestFactory().get("/admin/")
    request.user = reviewer  # type: ignore[assignment]
    [board] = dashboard.build_dashboards(request)
    status_page = reverse("admin:reconciliation-integration-status")
    assert [(item.key, item.count, item.url) for item in board.stuck] == [
        ("unreadable", 1, "/admin/reconciliation/document/?stuck=unreadable"),
        ("failed_posts", 1, f"{status_page}#failed-{workspace.pk}"),
        ("rejected", 2, f"{status_page}#rejected-{workspace.pk}"),
        ("waiting_for_debit", 1, "/admin/reconciliation/document/?stuck=waiting_for_debit"),
        ("nothing_fits", 1, "/admin/reconciliation/document/?stuck=nothing_fits"),
        ("needs_reauth", 1, "/admin/reconciliation/connection/?status__exact=needs_reauth"),
    ]
    assert not board.nothing_stuck
    client = logged_in_client(reviewer)
    body = client.get("/admin/").content.decode()
    assert "nothing stuck" not in body
    for item in board.stuck:
        assert f'<a href="{item.url}" data-stuck-list="{item.key}">' in body
        page, _, anchor = item.url.partition("#")
        listing = client.get(page)
        assert listing.status_code == 200
        if anchor:  # a section of the integration status page, where Retry is
            assert f'id="{anchor}"' in listing.content.decode()
        else:
            assert listing.context["cl"].result_count == item.count


def test_nothing_stuck_only_when_every_list_is_empty(workspace: Workspace) -> None:
    reviewer = make_user(workspace=workspace, role=Role.REVIEWER)
    make_invoice(workspace, status=InvoiceStatus.POSTED)
    body = logged_in_client(reviewer).get("/admin/").content.decode()
    assert "nothing stuck" in body
    make_document(workspace, status=DocumentStatus.FAILED)
    body = logged_in_client(reviewer).get("/admin/").content.decode()
    assert "nothing stuck" not in body
    assert 'data-stuck-list="unreadable"' in body


def test_stuck_links_keep_to_their_workspace(workspace: Workspace) -> None:
    reviewer = make_user(workspace=workspace, role=Role.REVIEWER)
    other = make_workspace("Other SAS")
    other.memberships.create(user_id=reviewer.pk, role=Role.REVIEWER)
    make_document(workspace, status=DocumentStatus.FAILED)
    make_document(other, status=DocumentStatus.FAILED)
    make_document(other, status=DocumentStatus.FAILED)
    request = RequestFactory().get("/admin/")
    request.user = reviewer  # type: ignore[assignment]
    client = logged_in_client(reviewer)
    for board in dashboard.build_dashboards(request):
        [unreadable] = [item for item in board.stuck if item.key == "unreadable"]
        assert unreadable.url.endswith(f"&workspace={board.workspace.pk}")
        listing = client.get(unreadable.url)
        assert listing.context["cl"].result_count == unreadable.count
        assert unreadable.count == (1 if board.workspace == workspace else 2)
