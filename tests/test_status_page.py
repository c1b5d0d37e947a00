"""The integration status page: per workspace health, queues, errors by cause, rejected invoices
with a one-click Retry (POST, CSRF, reviewers and admins of that workspace only), Reconnect."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.db import connection as database
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from reconciliation.models import ConnectionStatus
from reconciliation.models import Decision
from reconciliation.models import DecisionAction
from reconciliation.models import Invoice
from reconciliation.models import InvoiceStatus
from reconciliation.models import PostAttempt
from reconciliation.models import PostOutcome
from reconciliation.models import Provider
from reconciliation.models import Role
from reconciliation.models import SyncStatus
from reconciliation.models import Workspace
from tests.factories import make_connection
from tests.factories import make_invoice
from tests.factories import make_sync_run
from tests.factories import make_workspace
from tests.helpers import client_for

pytestmark = pytest.mark.django_db

PAGE = "admin:reconciliation-integration-status"


def rejected_invoice(workspace: Workspace, **fields: object) -> Invoice:
    invoice = make_invoice(
        workspace,
        status=InvoiceStatus.REJECTED,
        last_error_code="invalid",
        last_error="File content type must be one of PDF, JPEG or PNG",
        **fields,
    )
    attempt = PostAttempt.objects.create(
        workspace=workspace,
        invoice=invoice,
        batch_id=uuid.uuid4(),
        idempotency_key=invoice.idempotency_key,
    )
    attempt.finish(
        outcome=PostOutcome.REJECTED,
        http_status=200,
        error_code="invalid",
        error_pointer=f"/supplier_invoices/idempotency_key/{invoice.idempotency_key}/file",
        error_detail="File content type must be one of PDF, JPEG or PNG",
        trace_id="trace-abc123",
    )
    return invoice


def test_page_shows_health_queues_errors_and_rejections(workspace: Workspace) -> None:
    qonto = make_connection(workspace, Provider.QONTO, account_label="Qonto · Acme")
    qonto.last_post_at = timezone.now()
    qonto.save()
    make_connection(workspace, Provider.DROPBOX, account_label="Dropbox · Acme")
    invoice = rejected_invoice(workspace, supplier_name="Papeterie Martin")
    make_invoice(workspace, status=InvoiceStatus.APPROVED)
    make_invoice(workspace, status=InvoiceStatus.APPROVED)
    for _ in range(3):
        attempt = PostAttempt.objects.create(
            workspace=workspace,
            invoice=invoice,
            batch_id=uuid.uuid4(),
            idempotency_key=invoice.idempotency_key,
        )
        attempt.finish(outcome=PostOutcome.TRANSIENT, http_status=429, error_code="rate_limited")
    client = client_for(workspace, Role.REVIEWER)

    response = client.get(reverse(PAGE))

    assert response.status_code == 200
    [status] = response.context["workspaces"]
    assert [item.connection.account_label for item in status.connections] == [
        "Dropbox · Acme",
        "Qonto · Acme",
    ]
    assert status.queues["approved"] == 2
    assert status.queues["rejected"] == 1
    causes = {(group.cause, group.count) for group in status.errors}
    assert causes == {
        ("Qonto asked Well to slow down (HTTP 429)", 3),
        ("Rejected by Qonto (invalid)", 1),
    }
    [listed] = status.rejected
    assert listed.pk == invoice.pk
    assert listed.qonto_trace_id == "trace-abc123"
    assert listed.qonto_pointer.endswith("/file")
    html = response.content.decode()
    assert "Papeterie Martin" in html
    assert "File content type must be one of PDF, JPEG or PNG" in html
    assert reverse("admin:reconciliation-posting-retry", args=[invoice.pk]) in html


def test_other_workspaces_stay_invisible(workspace: Workspace) -> None:
    other = make_workspace("Secret SARL")
    make_connection(other, Provider.QONTO, account_label="Qonto · Secret")
    rejected_invoice(other, supplier_name="Hidden Supplier")
    client = client_for(workspace, Role.ADMIN)

    response = client.get(reverse(PAGE))

    html = response.content.decode()
    assert [status.workspace for status in response.context["workspaces"]] == [workspace]
    assert "Secret" not in html
    assert "Hidden Supplier" not in html


def test_auditors_see_no_retry_button(workspace: Workspace) -> None:
    invoice = rejected_invoice(workspace)
    client = client_for(workspace, Role.AUDITOR)

    response = client.get(reverse(PAGE))

    assert reverse("admin:reconciliation-posting-retry", args=[invoice.pk]) not in (
        response.content.decode()
    )


@pytest.mark.parametrize(
    ("role", "can_reconnect"),
    [
        pytest.param(Role.ADMIN, True, id="admin_case"),
        pytest.param(Role.REVIEWER, False, id="reviewer_case"),
    ],
)
def test_reconnect_button_when_qonto_needs_reauth(
    workspace: Workspace, role: Role, can_reconnect: bool
) -> None:
    make_connection(
        workspace,
        Provider.QONTO,
        status=ConnectionStatus.NEEDS_REAUTH,
        last_error="Posting to Qonto stopped: unauthorized",
    )
    client = client_for(workspace, role)

    html = client.get(reverse(PAGE)).content.decode()

    start = reverse("well-connect-start", args=[workspace.pk, Provider.QONTO])
    assert (start in html) is can_reconnect
    assert ("must reconnect it" in html) is not can_reconnect
    assert "Posting to Qonto stopped: unauthorized" in html


def test_sync_failures_are_grouped_too(workspace: Workspace) -> None:
    dropbox = make_connection(workspace, Provider.DROPBOX)
    for minutes in (1, 2):
        make_sync_run(
            workspace,
            dropbox,
            minutes_ago=minutes,
            status=SyncStatus.FAILED,
            error="dropbox: server error (HTTP 503)\nmore detail",
        )
    client = client_for(workspace, Role.REVIEWER)

    [status] = client.get(reverse(PAGE)).context["workspaces"]

    assert [(g.source, g.cause, g.count) for g in status.errors] == [
        ("files", "dropbox: server error (HTTP 503)", 2)
    ]


def test_retry_puts_the_invoice_back_in_the_outbox(workspace: Workspace) -> None:
    invoice = rejected_invoice(workspace)
    client = client_for(workspace, Role.REVIEWER)

    response = client.post(reverse("admin:reconciliation-posting-retry", args=[invoice.pk]))

    assert response.status_code == 302
    assert response["Location"] == reverse(PAGE) + f"#workspace-{workspace.pk}"
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.APPROVED
    assert Invoice.objects.due_for_posting().filter(pk=invoice.pk).exists()
    decision = Decision.objects.get(invoice=invoice)
    assert decision.action == DecisionAction.RETRY
    assert decision.before["status"] == InvoiceStatus.REJECTED
    assert decision.before["last_error_code"] == "invalid"
    assert decision.after == {"status": InvoiceStatus.APPROVED}


def test_retry_of_a_failed_invoice_skips_its_wait(workspace: Workspace) -> None:
    invoice = make_invoice(
        workspace,
        status=InvoiceStatus.FAILED,
        last_error="server error",
        next_attempt_at=timezone.now() + timedelta(hours=1),
    )
    client = client_for(workspace, Role.ADMIN)

    client.post(reverse("admin:reconciliation-posting-retry", args=[invoice.pk]))

    invoice.refresh_from_db()
    assert (invoice.status, invoice.next_attempt_at) == (InvoiceStatus.APPROVED, None)


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        pytest.param("auditor", 403, id="auditor_case"),
        pytest.param("other_workspace", 404, id="other_workspace_case"),
        pytest.param("get", 405, id="get_case"),
        pytest.param("no_csrf_token", 403, id="csrf_case"),
    ],
)
def test_retry_is_refused(workspace: Workspace, setup: str, expected: int) -> None:
    invoice = rejected_invoice(workspace)
    url = reverse("admin:reconciliation-posting-retry", args=[invoice.pk])
    if setup == "auditor":
        response = client_for(workspace, Role.AUDITOR).post(url)
    elif setup == "other_workspace":
        response = client_for(make_workspace("Other"), Role.ADMIN).post(url)
    elif setup == "get":
        response = client_for(workspace, Role.REVIEWER).get(url)
    else:
        response = client_for(workspace, Role.REVIEWER, csrf=True).post(url)

    assert response.status_code == expected
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.REJECTED
    assert not Decision.objects.filter(invoice=invoice).exists()


def test_retry_of_an_invoice_already_back_in_the_outbox_changes_nothing(
    workspace: Workspace,
) -> None:
    invoice = make_invoice(workspace, status=InvoiceStatus.APPROVED)
    client = client_for(workspace, Role.REVIEWER)

    response = client.post(
        reverse("admin:reconciliation-posting-retry", args=[invoice.pk]), follow=True
    )

    assert "nothing to retry" in response.content.decode()
    assert not Decision.objects.filter(invoice=invoice).exists()


def test_page_cost_does_not_grow_with_rejections(workspace: Workspace) -> None:
    make_connection(workspace, Provider.QONTO)
    client = client_for(workspace, Role.REVIEWER)
    rejected_invoice(workspace)
    with CaptureQueriesContext(database) as few:
        client.get(reverse(PAGE))
    for _ in range(15):
        rejected_invoice(workspace)
    with CaptureQueriesContext(database) as many:
        client.get(reverse(PAGE))

    assert len(many.captured_queries) == len(few.captured_queries)
