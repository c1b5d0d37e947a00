"""Tokens on the Connection row: encrypted, bound to their row, refreshed once under a lock."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.db import connection as db_connection
from django.utils import timezone

from connectors.crypto import DecryptionError
from connectors.errors import AuthError
from connectors.sandbox import Sandbox
from reconciliation.connections.tokens import ConnectionTokenSource
from reconciliation.connections.tokens import load_tokens
from reconciliation.connections.tokens import qonto_client_for
from reconciliation.models import Connection
from reconciliation.models import ConnectionStatus
from reconciliation.models import Provider
from reconciliation.models import Role
from reconciliation.models import Workspace
from tests.factories import make_connection
from tests.factories import make_user
from tests.helpers import logged_in_client

Connect = Callable[..., Connection]


def _refresh_calls(sandbox: Sandbox) -> int:
    return sum(
        1
        for request in sandbox.qonto.requests()
        if request.path == "/oauth2/token" and "refresh_token" in repr(request.body)
    )


@pytest.mark.django_db
def test_tokens_are_never_stored_in_clear(workspace: Workspace, qonto: Connection) -> None:
    tokens = load_tokens(qonto)
    assert tokens.access_token.startswith("ory_at_")
    with db_connection.cursor() as cursor:
        for table in db_connection.introspection.table_names(cursor):
            quoted = db_connection.ops.quote_name(table)
            cursor.execute(f"SELECT * FROM {quoted}")  # noqa: S608 - table names from introspection
            dump = repr(cursor.fetchall())
            assert tokens.access_token not in dump, table
            assert tokens.refresh_token is not None
            assert tokens.refresh_token not in dump, table
    assert bytes(qonto.access_token_ciphertext or b"").startswith(b"CT1")


@pytest.mark.django_db
def test_ciphertext_copied_to_another_connection_fails(
    workspace: Workspace, qonto: Connection
) -> None:
    other = make_connection(workspace, Provider.DROPBOX)
    other.access_token_ciphertext = qonto.access_token_ciphertext
    other.save()
    with pytest.raises(DecryptionError):
        load_tokens(Connection.objects.get(pk=other.pk))


@pytest.mark.django_db
def test_expired_access_token_is_refreshed_once_then_used(
    workspace: Workspace, sandbox_settings: Sandbox, qonto: Connection
) -> None:
    before = load_tokens(qonto)
    sandbox_settings.qonto.advance_clock(2 * 3600)  # the emulator now rejects the access token
    organization = qonto_client_for(qonto).get_organization()
    assert organization.id
    after = load_tokens(Connection.objects.get(pk=qonto.pk))
    assert after.access_token != before.access_token
    assert after.refresh_token != before.refresh_token  # Qonto rotates refresh tokens
    assert _refresh_calls(sandbox_settings) == 1


@pytest.mark.django_db
def test_revoked_grant_marks_the_connection_and_tells_its_owner(
    workspace: Workspace,
    sandbox_settings: Sandbox,
    connect_with_emulator_tokens: Connect,
    django_capture_on_commit_callbacks: Any,
) -> None:
    owner = make_user("owner", workspace=workspace, role=Role.ADMIN)
    connection = connect_with_emulator_tokens(
        workspace, Provider.QONTO, sandbox_settings.qonto, owner=owner
    )
    sandbox_settings.qonto.revoke_all_tokens()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(AuthError):
        qonto_client_for(connection).get_organization()
    connection.refresh_from_db()
    assert connection.status == ConnectionStatus.NEEDS_REAUTH
    assert "Refreshing the token failed" in connection.last_error
    assert [message.to for message in mail.outbox] == [["owner@example.com"]]
    assert "reconnect" in mail.outbox[0].body.lower()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_refresh_only_once(
    workspace: Workspace, sandbox_settings: Sandbox, qonto: Connection
) -> None:
    stale = load_tokens(qonto).access_token
    Connection.objects.filter(pk=qonto.pk).update(
        token_expires_at=timezone.now() - timedelta(minutes=1)
    )
    sandbox_settings.qonto.clear_requests()
    results: list[str] = []
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def worker() -> None:
        try:
            start.wait()
            results.append(ConnectionTokenSource(qonto.pk).refresh_after_unauthorized(stale))
        except BaseException as error:  # reported to the main thread
            errors.append(error)
        finally:
            db_connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert len(set(results)) == 1
    assert results[0] != stale
    assert _refresh_calls(sandbox_settings) == 1


def test_sqlite_is_new_enough_for_returning_and_wal() -> None:
    assert sqlite3.sqlite_version_info >= (3, 35)


@pytest.mark.django_db
def test_every_admin_page_shows_a_connection_that_needs_reauthorisation(
    workspace: Workspace,
) -> None:
    from django.urls import reverse

    make_connection(
        workspace,
        Provider.QONTO,
        account_label="Qonto · Acme",
        status=ConnectionStatus.NEEDS_REAUTH,
        last_error="invalid_grant",
    )
    user = make_user("watcher", workspace=workspace, role=Role.REVIEWER)
    client = logged_in_client(user)
    for url in (reverse("admin:index"), reverse("admin:reconciliation_invoice_changelist")):
        body = client.get(url).content.decode()
        assert "it waits to be reconnected" in body
        assert "Qonto · Acme" in body
