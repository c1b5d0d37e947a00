"""The Apideck client against the examples of Apideck's published OpenAPI specs (file-storage
and vault), served over loopback HTTP."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC
from datetime import datetime

import pytest

from connectors.apideck import ApideckClient
from connectors.apideck import QuotaExceededError
from connectors.apideck import UnifiedFile
from connectors.apideck import VaultConnection
from connectors.apideck import VaultSession
from connectors.apideck.schemas import ApideckWarning
from connectors.apideck.schemas import ParentFolder
from connectors.config import ApideckConfig
from connectors.errors import AuthError
from connectors.errors import ConfigurationError
from connectors.errors import NotFoundError
from connectors.errors import PermanentError
from connectors.errors import TransientError
from connectors.http import NO_RETRY
from tests.contracts.server import FixtureServer
from tests.contracts.server import load

CONSUMER = "workspace-1"


def client(server: FixtureServer) -> ApideckClient:
    config = ApideckConfig(api_url=server.base_url, api_key="key-1234", app_id="app-1")
    return ApideckClient(config, retry=NO_RETRY)


def test_documented_file_page(server: FixtureServer) -> None:
    server.serve(load("apideck", "files_list_ok"))

    page = client(server).list_files(CONSUMER, "root")

    assert page.files == (
        UnifiedFile(
            id="12345",
            name="sample.jpg",
            type="file",
            downstream_id="12345",
            path="/Documents/sample.jpg",
            mime_type="image/jpeg",
            downloadable=None,
            size=1810673,
            parent_folders=[ParentFolder(id="12345", name="Personal")],
            updated_at=datetime(2020, 9, 30, 7, 43, 32, tzinfo=UTC),
            created_at=datetime(2020, 9, 30, 7, 43, 32, tzinfo=UTC),
        ),
    )
    assert page.next_cursor == "em9oby1jcm06OnBhZ2U6OjM="
    assert page.warnings == (
        ApideckWarning(
            type="downstream_request_failed", status_code=429, message=None, operation="getManager"
        ),
    )
    assert server.received[0].query == [("filter[folder_id]", "root"), ("limit", "200")]


def test_nullable_name_warnings_and_cursors_are_read(server: FixtureServer) -> None:
    server.serve(load("apideck", "files_list_nullable"))

    page = client(server).list_files(CONSUMER, "root")

    (file,) = page.files
    assert (file.id, file.name, file.type, file.size) == ("12345", "sample.jpg", None, None)
    # Untyped, but with a MIME type: a file, so it is still picked up.
    assert (file.is_file, file.is_folder) == (True, False)
    assert (page.next_cursor, page.warnings) == (None, ())


def test_documented_vault_session(server: FixtureServer) -> None:
    server.serve(load("apideck", "vault_sessions_create_ok"))

    session = client(server).create_vault_session(CONSUMER, "https://well.example/back")

    assert session == VaultSession(
        session_uri="https://vault.apideck.com/session/<session_token>",
        session_token="<session_token>",
    )


def test_documented_folder(server: FixtureServer) -> None:
    server.serve(load("apideck", "folders_one_ok"))

    folder = client(server).get_folder(CONSUMER, "12345")

    assert (folder.id, folder.name, folder.path) == ("12345", "Documents", "/Personal/Documents")
    assert server.received[-1].path == "/file-storage/folders/12345"


def test_documented_connection(server: FixtureServer) -> None:
    server.serve(load("apideck", "vault_connection_get_ok"))

    connection = client(server).get_connection(CONSUMER)

    assert (
        connection.id,
        connection.service_id,
        connection.state,
        connection.health,
        connection.enabled,
        connection.credentials_expire_at,
        connection.is_callable,
        connection.needs_reauth,
    ) == (
        "crm+salesforce",
        "salesforce",
        "authorized",
        "ok",
        True,
        datetime(2024, 10, 29, 3, 33, 20, tzinfo=UTC),
        False,
        False,
    )


def test_documented_validation_answer_has_only_id_and_state(server: FixtureServer) -> None:
    server.serve(load("apideck", "vault_connection_validate_ok"))

    assert client(server).validate_connection(CONSUMER) == VaultConnection(
        id="crm+salesforce", state="authorized"
    )


@pytest.mark.parametrize(
    "name", ["vault_connection_delete_ok", "vault_connection_delete_not_found"]
)
def test_delete_succeeds_when_the_connection_is_already_gone(
    server: FixtureServer, name: str
) -> None:
    server.serve(load("apideck", name))

    client(server).delete_connection(CONSUMER)

    assert [(r.method, r.path) for r in server.received] == [
        ("DELETE", "/vault/connections/file-storage/dropbox")
    ]


def test_connection_not_found_elsewhere_asks_for_a_reconnection(server: FixtureServer) -> None:
    server.serve(load("apideck", "vault_connection_delete_not_found"))

    with pytest.raises(AuthError) as raised:
        client(server).list_files(CONSUMER, "root")

    assert (raised.value.status, raised.value.code) == (404, "ConnectionNotFoundError")


@pytest.mark.parametrize(
    ("name", "error_type", "code"),
    [
        ("error_bad_request", PermanentError, "RequestValidationError"),
        ("error_unauthorized", ConfigurationError, "UnauthorizedError"),
        ("error_payment_required", QuotaExceededError, "RequestLimitError"),
        ("error_not_found", NotFoundError, "EntityNotFoundError"),
        ("error_unprocessable", PermanentError, "InvalidStateError"),
        ("error_unexpected", ConfigurationError, "RequestHeadersValidationError"),
        ("error_refresh_failed_final", AuthError, "refresh_token_connector_error"),
    ],
)
def test_documented_errors(
    server: FixtureServer, name: str, error_type: type[Exception], code: str
) -> None:
    fixture = load("apideck", name)
    server.serve(fixture)

    with pytest.raises(error_type) as raised:
        client(server).list_files(CONSUMER, "root")

    error = raised.value
    assert type(error) is error_type
    assert (getattr(error, "status", None), getattr(error, "code", None)) == (fixture.status, code)


def test_refresh_failure_without_expiry_is_transient(server: FixtureServer) -> None:
    server.serve(load("apideck", "error_refresh_failed_recoverable"))

    with pytest.raises(TransientError) as raised:
        client(server).list_files(CONSUMER, "root")

    # retry_after_ms in the spec's example is an instant long past: retry at once.
    error = raised.value
    assert (error.status, error.retry_after, error.outcome_unknown) == (401, 0.0, False)


def test_a_final_refresh_failure_answered_with_400_asks_for_a_reconnection(
    server: FixtureServer,
) -> None:
    # credentials_expire_at_ms is "only present for non-recoverable errors (401, 400)".
    final = load("apideck", "error_refresh_failed_final")
    server.serve(replace(final, status=400))

    with pytest.raises(AuthError) as raised:
        client(server).list_files(CONSUMER, "root")

    assert (raised.value.status, raised.value.code) == (400, "refresh_token_connector_error")
