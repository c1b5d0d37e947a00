"""Apideck emulator, the answers the published spec allows and clients must survive: null file
names and ``meta.warnings``, a token refresh that fails recoverably (no
``credentials_expire_at_ms``), and a delete of a connection that is already gone."""

from __future__ import annotations

import pytest
import requests

from connectors.sandbox import APIDECK_API_KEY
from connectors.sandbox import APIDECK_APP_ID
from connectors.sandbox import ApideckEmulator
from connectors.sandbox import DropboxEmulator

CONSUMER = "tenant-42"
PDF = b"%PDF-1.7\n" + b"facture " * 32
HEADERS = {
    "Authorization": f"Bearer {APIDECK_API_KEY}",
    "x-apideck-app-id": APIDECK_APP_ID,
    "x-apideck-consumer-id": CONSUMER,
    "x-apideck-service-id": "dropbox",
}
CONNECTION = "/vault/connections/file-storage/dropbox"


@pytest.fixture
def connected(apideck_emulator: ApideckEmulator) -> ApideckEmulator:
    apideck_emulator.connect(CONSUMER)
    return apideck_emulator


def files(apideck: ApideckEmulator) -> requests.Response:
    return requests.get(apideck.url("/file-storage/files"), headers=HEADERS, timeout=5)


def test_null_fields_answers_null_names_and_warnings(
    connected: ApideckEmulator, dropbox_emulator: DropboxEmulator
) -> None:
    dropbox_emulator.put_file("/a.pdf", PDF)
    requests.post(connected.url("/_sandbox/settings"), json={"null_fields": True}, timeout=5)

    body = files(connected).json()
    [item] = body["data"]
    one = requests.get(
        connected.url(f"/file-storage/files/{item['id']}"), headers=HEADERS, timeout=5
    ).json()

    assert (item["name"], item["path"]) == (None, "/a.pdf")
    assert body["meta"]["warnings"] is None
    assert one["data"]["name"] is None


def test_a_warning_on_top_of_null_warnings_is_a_list(
    connected: ApideckEmulator, dropbox_emulator: DropboxEmulator
) -> None:
    dropbox_emulator.put_file("/a.pdf", PDF)
    connected.null_fields = True
    connected.inject_fault("/file-storage/files", {"warning": {"message": "partial"}})

    warnings = files(connected).json()["meta"]["warnings"]

    assert [warning["message"] for warning in warnings] == ["partial"]


def test_null_fields_go_back_off_on_reset(connected: ApideckEmulator) -> None:
    connected.null_fields = True

    connected.reset()

    assert connected.null_fields is False


def test_a_recoverable_refresh_failure_keeps_the_connection(connected: ApideckEmulator) -> None:
    requests.post(
        connected.url("/_sandbox/connection"),
        json={"consumer_id": CONSUMER, "refresh_unavailable": True},
        timeout=5,
    )

    listing = files(connected)
    validated = requests.post(connected.url(f"{CONNECTION}/validate"), headers=HEADERS, timeout=5)
    connected.set_connection(CONSUMER, refresh_unavailable=False)
    recovered = files(connected)

    for failed in (listing, validated):
        assert failed.status_code == 401
        detail = failed.json()["detail"]
        assert (failed.json()["type_name"], detail["type"]) == (
            "UnauthorizedError",
            "refresh_token_connector_error",
        )
        assert "credentials_expire_at_ms" not in detail["debug"]
    assert connected.connections[CONSUMER].state == "callable"
    assert recovered.status_code == 200


def test_a_final_refresh_failure_carries_credentials_expire_at_ms(
    connected: ApideckEmulator,
) -> None:
    connected.set_connection(CONSUMER, refresh_fails=True)

    response = files(connected)

    assert "credentials_expire_at_ms" in response.json()["detail"]["debug"]
    assert connected.connections[CONSUMER].state == "invalid"


def test_the_recoverable_refresh_failure_as_a_fault(connected: ApideckEmulator) -> None:
    connected.inject_fault("/file-storage/files", {"status": 401, "error": "refresh_recoverable"})

    failed = files(connected)
    after = files(connected)

    assert failed.json()["detail"]["debug"] == {
        "response": {"statusCode": 503},
        "retry_after_ms": failed.json()["detail"]["debug"]["retry_after_ms"],
        "cooldown_remaining_ms": 30_000,
    }
    assert after.status_code == 200


def test_deleting_a_deleted_connection_is_a_404_connection_not_found(
    connected: ApideckEmulator,
) -> None:
    url = connected.url(CONNECTION)

    first = requests.delete(url, headers=HEADERS, timeout=5)
    second = requests.delete(url, headers=HEADERS, timeout=5)

    assert (first.status_code, first.content) == (204, b"")
    assert second.status_code == 404
    body = second.json()
    assert (body["status_code"], body["error"], body["type_name"]) == (
        404,
        "Not Found",
        "ConnectionNotFoundError",
    )
    assert body["ref"] == "https://developers.apideck.com/errors#connectionnotfounderror"
