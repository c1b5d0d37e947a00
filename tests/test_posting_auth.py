"""401 and revoked consent: the connection needs re-authorisation, its owner is told once,
posting stops at once (no further call) and every claim goes back to the outbox."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail

from connectors.sandbox import QontoEmulator
from connectors.sandbox import Sandbox
from reconciliation.models import Connection
from reconciliation.models import ConnectionStatus
from reconciliation.models import Invoice
from reconciliation.models import InvoiceStatus
from reconciliation.models import PostAttempt
from reconciliation.models import PostOutcome
from reconciliation.models import Provider
from reconciliation.models import Role
from reconciliation.models import Workspace
from reconciliation.posting import PostingReport
from reconciliation.posting import post_approved
from tests.factories import make_user
from tests.posting_fixtures import BULK_PATH
from tests.posting_fixtures import LIST_PATH
from tests.posting_fixtures import lookup_requests
from tests.posting_fixtures import mirror_now
from tests.posting_fixtures import seed_invoices

pytestmark = pytest.mark.django_db


@pytest.fixture
def qonto(
    workspace: Workspace, sandbox_settings: Sandbox, connect_with_emulator_tokens: Any
) -> Connection:
    owner = make_user("owner", workspace=workspace, role=Role.ADMIN)
    connection: Connection = connect_with_emulator_tokens(
        workspace, Provider.QONTO, sandbox_settings.qonto, owner=owner
    )
    return connection


@pytest.fixture
def window_after_revocation(
    workspace: Workspace,
    qonto_emulator: QontoEmulator,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> Callable[[], PostingReport]:
    """Qonto's consent is revoked, then a posting window runs (its on-commit work done)."""

    def run() -> PostingReport:
        qonto_emulator.revoke_all_tokens()
        with django_capture_on_commit_callbacks(execute=True):
            return post_approved(workspace_id=workspace.pk, worker_id="worker-a")

    return run


@pytest.fixture
def approved_ids(workspace: Workspace, qonto: Connection) -> list[int]:
    """Twenty-five approved invoices waiting for ``qonto``: more than one window's batch."""
    return seed_invoices(workspace, 25)


def statuses(ids: list[int]) -> set[str]:
    return set(Invoice.objects.filter(pk__in=ids).values_list("status", flat=True))


def test_revoked_consent_stops_posting_and_tells_the_owner(
    qonto: Connection,
    qonto_emulator: QontoEmulator,
    window_after_revocation: Callable[[], PostingReport],
    approved_ids: list[int],
) -> None:

    report = window_after_revocation()

    assert report.auth_stopped
    assert (report.posted, report.requests, report.claimed, report.released) == (0, 0, 0, 0)
    assert report.errors[0].startswith("Qonto refused the authorisation")
    assert "invalid_grant" in report.errors[0]
    # The window's first call (the listing of Qonto's supplier invoices) is refused, then one
    # refresh (refused); nothing after that: no upload, no claim.
    assert [entry.status for entry in qonto_emulator.requests(path=LIST_PATH)] == [401]
    assert qonto_emulator.requests(path=BULK_PATH) == []
    assert len(qonto_emulator.requests(path="/oauth2/token")) == 1
    qonto.refresh_from_db()
    assert qonto.status == ConnectionStatus.NEEDS_REAUTH
    assert [message.to for message in mail.outbox] == [["owner@example.com"]]
    assert statuses(approved_ids) == {InvoiceStatus.APPROVED}
    assert not Invoice.objects.filter(pk__in=approved_ids).exclude(lease_owner="").exists()
    assert not PostAttempt.objects.filter(invoice_id__in=approved_ids).exists()


def test_authorisation_lost_mid_window_releases_the_claims(
    workspace: Workspace,
    qonto: Connection,
    qonto_emulator: QontoEmulator,
    window_after_revocation: Callable[[], PostingReport],
    approved_ids: list[int],
) -> None:
    mirror_now(workspace)

    report = window_after_revocation()

    assert report.auth_stopped
    assert (report.posted, report.requests, report.released) == (0, 1, 20)
    assert [entry.status for entry in qonto_emulator.requests(path=BULK_PATH)] == [401]
    qonto.refresh_from_db()
    assert qonto.status == ConnectionStatus.NEEDS_REAUTH
    attempts = PostAttempt.objects.filter(invoice_id__in=approved_ids)
    assert attempts.count() == 20
    assert set(attempts.values_list("outcome", flat=True)) == {PostOutcome.AUTH}
    assert "invalid_grant" in attempts.first().error_detail  # type: ignore[union-attr]
    assert not attempts.in_flight().exists()
    assert statuses(approved_ids) == {InvoiceStatus.APPROVED}


def test_no_call_at_all_once_the_connection_needs_reauth(
    workspace: Workspace,
    qonto: Connection,
    qonto_emulator: QontoEmulator,
    window_after_revocation: Callable[[], PostingReport],
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    seed_invoices(workspace, 3)
    window_after_revocation()
    qonto_emulator.clear_requests()

    with django_capture_on_commit_callbacks(execute=True):
        again = post_approved(workspace_id=workspace.pk, worker_id="worker-b")

    assert again.skipped == "The Qonto connection is needs re-authorisation."
    assert again.claimed == 0
    assert qonto_emulator.requests() == []
    assert len(mail.outbox) == 1


def test_after_reconnecting_the_released_invoices_post_without_lookup(
    workspace: Workspace,
    qonto: Connection,
    qonto_emulator: QontoEmulator,
    window_after_revocation: Callable[[], PostingReport],
) -> None:
    ids = seed_invoices(workspace, 2)
    mirror_now(workspace)  # so the upload, not the listing, meets the revoked consent
    window_after_revocation()
    # The owner reconnects: fresh tokens on the same connection.
    from connectors.oauth import TokenSet
    from reconciliation.connections.tokens import store_tokens

    payload = qonto_emulator.issue_token()
    qonto.refresh_from_db()
    store_tokens(
        qonto,
        TokenSet(
            access_token=payload["access_token"],
            refresh_token=payload["refresh_token"],
            expires_at=qonto.token_expires_at,  # type: ignore[arg-type]
        ),
    )
    qonto.mark_as_active()
    qonto.save()
    qonto_emulator.clear_requests()

    report = post_approved(workspace_id=workspace.pk, worker_id="worker-b")

    assert (report.posted, report.lookups) == (2, 0)
    assert lookup_requests(qonto_emulator) == []
    assert statuses(ids) == {InvoiceStatus.POSTED}


def test_a_single_401_is_cured_by_one_token_refresh(
    workspace: Workspace, qonto: Connection, qonto_emulator: QontoEmulator
) -> None:
    [pk] = seed_invoices(workspace, 1)
    qonto_emulator.inject_fault(BULK_PATH, {"status": 401}, method="POST")

    report = post_approved(workspace_id=workspace.pk, worker_id="worker-a")

    assert not report.auth_stopped
    assert Invoice.objects.get(pk=pk).status == InvoiceStatus.POSTED
    assert [entry.status for entry in qonto_emulator.requests(path=BULK_PATH)] == [401, 200]
    assert len(qonto_emulator.requests(path="/oauth2/token")) == 1
    qonto.refresh_from_db()
    assert qonto.status == ConnectionStatus.ACTIVE
    assert qonto_emulator.invoice_count_by_idempotency_key() == {
        Invoice.objects.get(pk=pk).idempotency_key: 1
    }
