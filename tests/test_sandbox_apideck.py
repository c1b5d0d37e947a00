"""Apideck emulator: header validation, the unified envelope, file listing with cursors,
download, Vault sessions and connections, and Apideck's error bodies."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs
from urllib.parse import urlsplit

import pytest
import requests

from connectors.sandbox import APIDECK_API_KEY
from connectors.sandbox import APIDECK_APP_ID
from connectors.sandbox import ApideckEmulator
from connectors.sandbox import DropboxEmulator

CONSUMER = "tenant-42"
PDF = b"%PDF-1.7\n" + b"facture " * 32
ERROR_FIELDS = ["status_code", "error", "type_name", "message", "detail", "ref"]


def headers(consumer: str = CONSUMER, **override: str) -> dict[str, str]:
    base = {
        "Authorization": f"Bearer {APIDECK_API_KEY}",
        "x-apideck-app-id": APIDECK_APP_ID,
        "x-apideck-consumer-id": consumer,
        "x-apideck-service-id": "dropbox",
    }
    base.update(override)
    return {key: value for key, value in base.items() if value}


def files(apideck: ApideckEmulator, **params: str) -> requests.Response:
    return requests.get(
        apideck.url("/file-storage/files"), params=params, headers=headers(), timeout=5
    )


@pytest.fixture
def connected(apideck_emulator: ApideckEmulator) -> ApideckEmulator:
    apideck_emulator.connect(CONSUMER)
    return apideck_emulator


# --- headers -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("override", "status", "type_name", "detail", "case"),
    [
        ({"Authorization": ""}, 401, "UnauthorizedError", "Missing authentication", "no_key"),
        ({"Authorization": "Bearer wrong"}, 401, "UnauthorizedError", "Invalid API key", "bad_key"),
        ({"x-apideck-app-id": ""}, 401, "UnauthorizedError", "Missing application id", "no_app"),
        (
            {"x-apideck-app-id": "other"},
            401,
            "UnauthorizedError",
            "Invalid application id",
            "bad_app",
        ),
        (
            {"x-apideck-consumer-id": ""},
            400,
            "RequestHeadersValidationError",
            {"missing": [{"x-apideck-consumer-id": "required"}]},
            "no_consumer",
        ),
    ],
)
def test_header_validation(
    connected: ApideckEmulator,
    override: dict[str, str],
    status: int,
    type_name: str,
    detail: Any,
    case: str,
) -> None:
    response = requests.get(
        connected.url("/file-storage/files"), headers=headers(**override), timeout=5
    )

    assert response.status_code == status
    body = response.json()
    assert list(body) == ERROR_FIELDS
    assert body["type_name"] == type_name
    assert body["detail"] == detail
    assert body["ref"] == f"https://developers.apideck.com/errors#{type_name.lower()}"
    assert len(response.headers["Request-Id"]) == 32


def test_consumer_without_connection_gets_connection_not_found(
    apideck_emulator: ApideckEmulator,
) -> None:
    response = files(apideck_emulator)

    assert response.status_code == 404
    assert response.json()["type_name"] == "ConnectionNotFoundError"


# --- listing -------------------------------------------------------------------------------------


def test_envelope_of_a_root_listing(
    connected: ApideckEmulator, dropbox_emulator: DropboxEmulator
) -> None:
    dropbox_emulator.put_file("/Invoices/a.pdf", PDF)

    response = files(connected, **{"filter[folder_id]": "root"})

    body = response.json()
    assert list(body) == [
        "status_code",
        "status",
        "service",
        "resource",
        "operation",
        "data",
        "meta",
        "links",
        "_raw",
    ]
    assert (
        body["status_code"],
        body["status"],
        body["service"],
        body["resource"],
        body["operation"],
    ) == (
        200,
        "OK",
        "dropbox",
        "files",
        "all",
    )
    assert body["meta"] == {
        "items_on_page": 1,
        "cursors": {"previous": None, "current": None, "next": None},
    }
    assert body["links"]["next"] is None
    assert body["links"]["current"].startswith(connected.url("/file-storage/files?"))
    assert body["_raw"] is None
    folder = body["data"][0]
    assert (folder["type"], folder["name"], folder["path"]) == ("folder", "Invoices", "/Invoices")
    assert folder["parent_folders"] == [{"id": "root", "name": "/"}]
    assert "total_count" not in body["meta"]


def test_file_object_fields(connected: ApideckEmulator, dropbox_emulator: DropboxEmulator) -> None:
    metadata = dropbox_emulator.put_file("/Invoices/a.pdf", PDF)
    folder_id = connected.unified_id("/Invoices")

    item = files(connected, **{"filter[folder_id]": folder_id}).json()["data"][0]

    assert item["id"] == str(metadata["id"]).removeprefix("id:")
    assert item["downstream_id"] == metadata["id"]
    assert (item["type"], item["name"], item["mime_type"], item["size"]) == (
        "file",
        "a.pdf",
        "application/pdf",
        len(PDF),
    )
    assert item["downloadable"] is True
    assert item["parent_folders"] == [
        {"id": "root", "name": "/"},
        {"id": folder_id, "name": "Invoices"},
    ]
    assert item["parent_folders_complete"] is True
    assert item["updated_at"].endswith("Z")
    assert len(item["updated_at"]) == 24
    assert "content_hash" not in item


def test_listing_pages_with_opaque_cursors(
    connected: ApideckEmulator, dropbox_emulator: DropboxEmulator
) -> None:
    for name in ("a", "b", "c", "d", "e"):
        dropbox_emulator.put_file(f"/{name}.pdf", PDF)
    names: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        params = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        body = files(connected, **params).json()
        names += [item["name"] for item in body["data"]]
        pages += 1
        cursor = body["meta"]["cursors"]["next"]
        if cursor is None:
            assert body["links"]["next"] is None
            break
        assert parse_qs(urlsplit(body["links"]["next"]).query)["cursor"] == [cursor]

    assert names == ["a.pdf", "b.pdf", "c.pdf", "d.pdf", "e.pdf"]
    assert pages == 3


def test_default_limit_is_20(connected: ApideckEmulator, dropbox_emulator: DropboxEmulator) -> None:
    for index in range(21):
        dropbox_emulator.put_file(f"/{index:02d}.pdf", PDF)

    body = files(connected).json()

    assert body["meta"]["items_on_page"] == 20
    assert body["meta"]["cursors"]["next"] is not None


@pytest.mark.parametrize(
    ("params", "type_name", "case"),
    [
        ({"limit": "0"}, "RequestValidationError", "limit_zero"),
        ({"limit": "201"}, "RequestValidationError", "limit_too_big"),
        ({"cursor": "not-a-cursor"}, "InvalidCursorError", "garbage_cursor"),
        ({"filter[drive_id]": "x"}, "UnsupportedFiltersError", "unsupported_filter"),
        ({"filter[colour]": "red"}, "RequestValidationError", "unknown_filter"),
        ({"sort[by]": "size"}, "UnsupportedSortFieldError", "unsupported_sort"),
        ({"filter[folder_id]": "nope"}, "EntityNotFoundError", "unknown_folder"),
    ],
)
def test_listing_errors(
    connected: ApideckEmulator, params: dict[str, str], type_name: str, case: str
) -> None:
    response = files(connected, **params)

    assert response.status_code == (404 if case == "unknown_folder" else 400)
    assert response.json()["type_name"] == type_name
    assert list(response.json()) == ERROR_FIELDS


def test_cursor_is_only_valid_for_its_folder(
    connected: ApideckEmulator, dropbox_emulator: DropboxEmulator
) -> None:
    for name in ("a", "b", "c"):
        dropbox_emulator.put_file(f"/Invoices/{name}.pdf", PDF)
    folder_id = connected.unified_id("/Invoices")
    cursor = files(connected, limit="1", **{"filter[folder_id]": folder_id}).json()["meta"][
        "cursors"
    ]["next"]

    response = files(connected, cursor=cursor)

    assert response.status_code == 400
    assert response.json()["type_name"] == "InvalidCursorError"


def test_sort_by_name_descending(
    connected: ApideckEmulator, dropbox_emulator: DropboxEmulator
) -> None:
    for name in ("b", "a", "c"):
        dropbox_emulator.put_file(f"/{name}.pdf", PDF)

    body = files(connected, **{"sort[by]": "name", "sort[direction]": "desc"}).json()

    assert [item["name"] for item in body["data"]] == ["c.pdf", "b.pdf", "a.pdf"]


def test_sparse_fields_and_raw(
    connected: ApideckEmulator, dropbox_emulator: DropboxEmulator
) -> None:
    metadata = dropbox_emulator.put_file("/a.pdf", PDF)

    sparse = files(connected, fields="id,name,owner.email").json()
    raw = files(connected, raw="true").json()

    assert sparse["data"] == [
        {
            "id": str(metadata["id"]).removeprefix("id:"),
            "name": "a.pdf",
            "owner": {"email": "camille.martin@well-demo.test"},
        }
    ]
    assert raw["_raw"] == {"entries": [metadata], "has_more": False}


def test_ids_are_stable_across_rename_and_deletes_vanish(
    connected: ApideckEmulator, dropbox_emulator: DropboxEmulator
) -> None:
    dropbox_emulator.put_file("/scan.pdf", PDF)
    dropbox_emulator.put_file("/other.pdf", PDF)
    before = {item["name"]: item["id"] for item in files(connected).json()["data"]}

    dropbox_emulator.rename("/scan.pdf", "ACME-001.pdf")
    dropbox_emulator.delete("/other.pdf")
    after = {item["name"]: item["id"] for item in files(connected).json()["data"]}

    assert after == {"ACME-001.pdf": before["scan.pdf"]}


# --- one file, download --------------------------------------------------------------------------


def test_get_one_file(connected: ApideckEmulator, dropbox_emulator: DropboxEmulator) -> None:
    dropbox_emulator.put_file("/a.pdf", PDF)
    file_id = connected.unified_id("/a.pdf")

    body = requests.get(
        connected.url(f"/file-storage/files/{file_id}"), headers=headers(), timeout=5
    ).json()

    assert (body["operation"], body["data"]["id"], body["data"]["name"]) == (
        "one",
        file_id,
        "a.pdf",
    )
    assert "meta" not in body


def test_download_returns_the_bytes(
    connected: ApideckEmulator, dropbox_emulator: DropboxEmulator
) -> None:
    dropbox_emulator.put_file("/Factures/Reçu.pdf", PDF)
    file_id = connected.unified_id("/Factures/Reçu.pdf")

    response = requests.get(
        connected.url(f"/file-storage/files/{file_id}/download"), headers=headers(), timeout=5
    )

    assert response.status_code == 200
    assert response.content == PDF
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.headers["Content-Disposition"] == "attachment; filename*=UTF-8''Re%C3%A7u.pdf"


def test_unknown_or_deleted_file_is_entity_not_found(
    connected: ApideckEmulator, dropbox_emulator: DropboxEmulator
) -> None:
    dropbox_emulator.put_file("/a.pdf", PDF)
    file_id = connected.unified_id("/a.pdf")
    dropbox_emulator.delete("/a.pdf")

    response = requests.get(
        connected.url(f"/file-storage/files/{file_id}/download"), headers=headers(), timeout=5
    )

    assert response.status_code == 404
    assert response.json() == {
        "status_code": 404,
        "error": "Not Found",
        "type_name": "EntityNotFoundError",
        "message": "Unknown File",
        "detail": f"Could not find file with id: '{file_id}'",
        "ref": "https://developers.apideck.com/errors#entitynotfounderror",
    }


# --- vault ---------------------------------------------------------------------------------------


def test_vault_session_auto_connects_and_redirects_back(apideck_emulator: ApideckEmulator) -> None:
    created = requests.post(
        apideck_emulator.url("/vault/sessions"),
        json={
            "redirect_uri": "http://127.0.0.1:8000/connections/apideck/done",
            "consumer_metadata": {"account_name": "Acme", "email": "jo@acme.test"},
            "settings": {"unified_apis": ["file-storage"], "session_length": "30m"},
        },
        headers=headers(),
        timeout=5,
    )
    data = created.json()["data"]
    page = requests.get(data["session_uri"], allow_redirects=False, timeout=5)
    listed = requests.get(
        apideck_emulator.url("/vault/connections"),
        params={"api": "file-storage"},
        headers=headers(),
        timeout=5,
    )

    assert created.json()["status_code"] == 200
    assert sorted(data) == ["session_token", "session_uri"]
    assert data["session_uri"] == apideck_emulator.url(f"/vault/session/{data['session_token']}")
    assert page.status_code == 302
    assert page.headers["Location"] == "http://127.0.0.1:8000/connections/apideck/done"
    connections = listed.json()["data"]
    assert [(c["id"], c["state"], c["health"], c["enabled"]) for c in connections] == [
        ("file-storage+dropbox", "callable", "ok", True)
    ]
    assert apideck_emulator.consumers[CONSUMER] == {"account_name": "Acme", "email": "jo@acme.test"}


def test_vault_session_manual_page_and_expiry(apideck_emulator: ApideckEmulator) -> None:
    apideck_emulator.auto_complete_sessions = False
    data = requests.post(
        apideck_emulator.url("/vault/sessions"), json={}, headers=headers(), timeout=5
    ).json()["data"]

    page = requests.get(data["session_uri"], timeout=5)
    assert page.status_code == 200
    assert "Authorize Dropbox" in page.text
    assert CONSUMER not in apideck_emulator.connections

    apideck_emulator.advance_clock(3600)
    expired = requests.post(data["session_uri"], timeout=5)

    assert expired.status_code == 400
    assert CONSUMER not in apideck_emulator.connections


def test_connection_states_switch_and_break_calls(connected: ApideckEmulator) -> None:
    switched = requests.post(
        connected.url("/_sandbox/connection"),
        json={"consumer_id": CONSUMER, "state": "invalid", "health": "needs_auth"},
        timeout=5,
    )
    call = files(connected)
    fetched = requests.get(
        connected.url("/vault/connections/file-storage/dropbox"), headers=headers(), timeout=5
    )

    assert switched.json()["state"] == "invalid"
    assert call.status_code == 401
    assert call.json()["type_name"] == "UnauthorizedError"
    detail = call.json()["detail"]
    assert detail["type"] == "refresh_token_connector_error"
    assert detail["debug"]["response"] == {"statusCode": 401, "data": {"error": "invalid_grant"}}
    assert detail["debug"]["cooldown_remaining_ms"] == 30000
    assert (fetched.json()["data"]["state"], fetched.json()["data"]["health"]) == (
        "invalid",
        "needs_auth",
    )


def test_disabled_connection_is_refused(connected: ApideckEmulator) -> None:
    connected.set_connection(CONSUMER, enabled=False)

    response = files(connected)

    assert response.status_code == 401
    assert response.json()["type_name"] == "ConnectorDisabledError"


def test_validate_refreshes_or_breaks_the_connection(connected: ApideckEmulator) -> None:
    url = connected.url("/vault/connections/file-storage/dropbox/validate")

    healthy = requests.post(url, headers=headers(), timeout=5)
    connected.set_connection(CONSUMER, refresh_fails=True)
    failing = requests.post(url, headers=headers(), timeout=5)

    assert healthy.json() == {
        "status_code": 200,
        "status": "OK",
        "data": {"id": "file-storage+dropbox", "state": "callable"},
    }
    assert failing.status_code == 401
    assert failing.json()["detail"]["type"] == "refresh_token_connector_error"
    connection = connected.connections[CONSUMER]
    assert (connection.state, connection.health) == ("invalid", "needs_auth")
    assert connection.last_refresh_failed_at_ms > 0


def test_connection_object_fields(connected: ApideckEmulator) -> None:
    body = requests.get(
        connected.url("/vault/connections/file-storage/dropbox"), headers=headers(), timeout=5
    ).json()

    data = body["data"]
    assert (data["service_id"], data["unified_api"], data["auth_type"], data["status"]) == (
        "dropbox",
        "file-storage",
        "oauth2",
        "live",
    )
    assert data["integration_state"] == "configured"
    assert data["authorize_url"].startswith(
        connected.url(f"/vault/authorize/dropbox/{APIDECK_APP_ID}?state=")
    )
    assert (data["credentials_expire_at"], data["last_refresh_failed_at"]) == (0, 0)


def test_revoke_url_breaks_and_authorize_url_restores(connected: ApideckEmulator) -> None:
    data = requests.get(
        connected.url("/vault/connections/file-storage/dropbox"), headers=headers(), timeout=5
    ).json()["data"]

    requests.get(data["revoke_url"], timeout=5)
    revoked = files(connected)
    back = requests.get(
        data["authorize_url"] + "&redirect_uri=http%3A%2F%2F127.0.0.1%3A8000%2Fback",
        allow_redirects=False,
        timeout=5,
    )

    assert revoked.status_code == 401
    assert back.headers["Location"] == "http://127.0.0.1:8000/back"
    assert files(connected).status_code == 200


def test_delete_connection(connected: ApideckEmulator) -> None:
    url = connected.url("/vault/connections/file-storage/dropbox")

    deleted = requests.delete(url, headers=headers(), timeout=5)
    again = requests.get(url, headers=headers(), timeout=5)

    assert deleted.status_code == 204
    assert again.status_code == 404
    assert again.json()["type_name"] == "ConnectionNotFoundError"


# --- faults --------------------------------------------------------------------------------------


def test_429_is_a_connector_rate_limit_error(connected: ApideckEmulator) -> None:
    connected.inject_fault("/file-storage/files", {"status": 429, "retry_after": 5})

    response = files(connected)

    assert response.status_code == 429
    assert response.headers["Retry-After"] == "5"
    assert response.headers["x-downstream-ratelimit-remaining"] == "0"
    body = response.json()
    assert body["type_name"] == "ConnectorRateLimitError"
    assert body["detail"]["error"]["error"]["retry_after"] == 5


def test_402_is_a_request_limit_error(connected: ApideckEmulator) -> None:
    connected.inject_fault("/file-storage/files", {"status": 402})

    response = files(connected)

    assert response.status_code == 402
    assert (response.json()["error"], response.json()["type_name"]) == (
        "Payment Required",
        "RequestLimitError",
    )


def test_injected_401_carries_the_refresh_detail(connected: ApideckEmulator) -> None:
    connected.inject_fault("/file-storage/files", {"status": 401})

    response = files(connected)

    assert response.json()["detail"]["type"] == "refresh_token_connector_error"


@pytest.mark.parametrize("status", [500, 502, 503])
def test_5xx_are_connector_execution_errors(connected: ApideckEmulator, status: int) -> None:
    connected.inject_fault("/file-storage/files", {"status": status})

    response = files(connected)

    assert response.status_code == status
    body = response.json()
    assert body["type_name"] == "ConnectorExecutionError"
    assert body["downstream_errors"] == [
        {"message": body["error"], "detail": None, "code": str(status)}
    ]


def test_warning_fault_adds_meta_warnings_to_a_200(
    connected: ApideckEmulator, dropbox_emulator: DropboxEmulator
) -> None:
    dropbox_emulator.put_file("/a.pdf", PDF)
    connected.inject_fault("/file-storage/files", {"warning": {"message": "partial listing"}})

    response = files(connected)

    assert response.status_code == 200
    assert [item["name"] for item in response.json()["data"]] == ["a.pdf"]
    assert response.json()["meta"]["warnings"] == [
        {
            "type": "downstream_error",
            "status_code": 429,
            "error": "Too Many Requests",
            "operation": "all",
            "message": "partial listing",
        }
    ]
