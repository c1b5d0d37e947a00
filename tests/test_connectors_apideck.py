"""The Apideck client against the Apideck emulator over real HTTP."""

from __future__ import annotations

import json
import logging

import pytest
import requests

from connectors.apideck import ApideckClient
from connectors.apideck import InvalidCursorError
from connectors.apideck import QuotaExceededError
from connectors.config import ApideckConfig
from connectors.errors import AuthError
from connectors.errors import ConfigurationError
from connectors.errors import FileTooLargeError
from connectors.errors import NotFoundError
from connectors.errors import ProtocolError
from connectors.errors import TransientError
from connectors.http import NO_RETRY
from connectors.http import RetryPolicy
from connectors.http import Timeouts
from connectors.http import build_session
from connectors.sandbox.apideck import ApideckEmulator
from connectors.sandbox.constants import APIDECK_API_KEY
from connectors.sandbox.constants import APIDECK_APP_ID

CONSUMER = "workspace-7"
PDF = b"%PDF-1.7\n" + b"facture " * 200


@pytest.fixture
def apideck(apideck_emulator: ApideckEmulator) -> ApideckEmulator:
    """The shared session emulator (tests/plugins/sandbox.py), reset for this test."""
    apideck_emulator.connect(CONSUMER)
    return apideck_emulator


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def client_for(
    emulator: ApideckEmulator,
    *,
    api_key: str = APIDECK_API_KEY,
    sleep: Sleeps | None = None,
    retry: RetryPolicy | None = None,
    timeouts: Timeouts | None = None,
) -> ApideckClient:
    return ApideckClient(
        ApideckConfig(api_url=emulator.base_url, api_key=api_key, app_id=APIDECK_APP_ID),
        session=build_session(provider="apideck", timeouts=timeouts),
        sleep=sleep if sleep is not None else Sleeps(),
        retry=retry or RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.05, budget=200),
    )


def folder_id(emulator: ApideckEmulator, path: str) -> str:
    return emulator.unified_id(path)


# --- Vault ---------------------------------------------------------------------------------------


def test_vault_session_is_created_for_the_consumer(apideck: ApideckEmulator) -> None:
    apideck.disconnect(CONSUMER)
    client = client_for(apideck)

    session = client.create_vault_session(
        CONSUMER,
        "http://127.0.0.1:1/connected",
        consumer_metadata={"account_name": "Acme SAS"},
    )

    sent = apideck.requests(path="/vault/sessions")[0]
    assert sent.body == {
        "redirect_uri": "http://127.0.0.1:1/connected",
        "settings": {
            "unified_apis": ["file-storage"],
            "session_length": "30m",
            "isolation_mode": True,
        },
        "consumer_metadata": {"account_name": "Acme SAS"},
    }
    assert sent.header("x-apideck-consumer-id") == CONSUMER
    assert sent.header("x-apideck-app-id") == APIDECK_APP_ID
    assert session.session_uri == apideck.url(f"/vault/session/{session.session_token}")
    assert session.session_token not in repr(session)
    # The user's browser opens the link; the demo Vault connects at once and redirects back.
    landing = requests.get(session.session_uri, allow_redirects=False, timeout=5)
    assert landing.headers["Location"] == "http://127.0.0.1:1/connected"
    assert client.get_connection(CONSUMER).is_callable is True


def test_connection_state_and_health(apideck: ApideckEmulator) -> None:
    client = client_for(apideck)

    healthy = client.get_connection(CONSUMER)
    apideck.set_connection(CONSUMER, state="invalid", health="needs_auth")
    broken = client.get_connection(CONSUMER)

    assert (healthy.id, healthy.service_id, healthy.state, healthy.health) == (
        "file-storage+dropbox",
        "dropbox",
        "callable",
        "ok",
    )
    assert healthy.is_callable is True
    assert healthy.needs_reauth is False
    assert healthy.last_refresh_failed_at is None  # 0 on the wire means never
    assert broken.is_callable is False
    assert broken.needs_reauth is True
    assert apideck.requests(path="/vault/connections/file-storage/dropbox")[0].method == "GET"


def test_validate_connection_probes_the_refresh(apideck: ApideckEmulator) -> None:
    client = client_for(apideck)

    assert client.validate_connection(CONSUMER).state == "callable"
    apideck.set_connection(CONSUMER, refresh_fails=True)
    with pytest.raises(AuthError) as raised:
        client.validate_connection(CONSUMER)

    assert raised.value.code == "refresh_token_connector_error"
    assert raised.value.status == 401
    assert client.get_connection(CONSUMER).needs_reauth is True


def test_missing_connection_is_an_auth_error(apideck: ApideckEmulator) -> None:
    with pytest.raises(AuthError) as raised:
        client_for(apideck).get_connection("someone-else")

    assert raised.value.code == "ConnectionNotFoundError"
    assert raised.value.status == 404


# --- listing -------------------------------------------------------------------------------------


def test_list_files_returns_one_page_and_the_next_cursor(apideck: ApideckEmulator) -> None:
    for name in ("a.pdf", "b.pdf", "c.pdf"):
        apideck.files.put_file(f"/Invoices/{name}", PDF)
    apideck.files.create_folder("/Invoices/Archive")
    invoices = folder_id(apideck, "/Invoices")
    client = client_for(apideck)

    first = client.list_files(CONSUMER, invoices, limit=2)
    second = client.list_files(CONSUMER, invoices, first.next_cursor, limit=2)

    assert [(f.name, f.type) for f in first.files] == [("a.pdf", "file"), ("Archive", "folder")]
    assert first.next_cursor is not None
    assert [f.name for f in second.files] == ["b.pdf", "c.pdf"]
    assert second.next_cursor is None
    sent = apideck.requests(path="/file-storage/files")
    assert sent[0].query == {"filter[folder_id]": [invoices], "limit": ["2"]}
    assert sent[1].query == {
        "filter[folder_id]": [invoices],
        "limit": ["2"],
        "cursor": [first.next_cursor],
    }
    assert sent[0].header("x-apideck-service-id") == "dropbox"
    pdf = first.files[0]
    assert (pdf.size, pdf.mime_type, pdf.is_file) == (len(PDF), "application/pdf", True)
    assert pdf.updated_at is not None
    assert pdf.updated_at.tzinfo is not None


def test_iter_files_walks_every_page(apideck: ApideckEmulator) -> None:
    for number in range(5):
        apideck.files.put_file(f"/In/{number}.pdf", PDF)

    names = [f.name for f in client_for(apideck).iter_files(CONSUMER, "root", limit=2)]

    assert names == ["In"]
    inbox = folder_id(apideck, "/In")
    names = [f.name for f in client_for(apideck).iter_files(CONSUMER, inbox, limit=2)]
    assert names == ["0.pdf", "1.pdf", "2.pdf", "3.pdf", "4.pdf"]
    assert len(apideck.requests(path="/file-storage/files")) == 1 + 3


def test_invalid_cursor_is_a_dedicated_error(apideck: ApideckEmulator) -> None:
    with pytest.raises(InvalidCursorError) as raised:
        client_for(apideck).list_files(CONSUMER, "root", cursor="bm90LWEtY3Vyc29y")

    assert raised.value.code == "InvalidCursorError"
    assert len(apideck.requests(path="/file-storage/files")) == 1


def test_listing_warnings_are_returned_and_logged(
    apideck: ApideckEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="connectors.apideck")
    apideck.inject_fault("/file-storage/files", {"warning": {}})

    page = client_for(apideck).list_files(CONSUMER, "root")

    assert [(w.status_code, w.type) for w in page.warnings] == [(429, "downstream_error")]
    assert [r.getMessage() for r in caplog.records] == [
        "apideck: degraded listing of folder root: A downstream call was rate limited; results "
        "may be incomplete (429)"
    ]


# --- download ------------------------------------------------------------------------------------


def test_download_returns_the_bytes(apideck: ApideckEmulator) -> None:
    apideck.files.put_file("/In/invoice.pdf", PDF)

    downloaded = client_for(apideck).download(CONSUMER, folder_id(apideck, "/In/invoice.pdf"))

    assert downloaded.content == PDF
    assert downloaded.content_type == "application/pdf"


def test_download_is_capped(apideck: ApideckEmulator) -> None:
    apideck.files.put_file("/In/invoice.pdf", PDF)

    with pytest.raises(FileTooLargeError) as raised:
        client_for(apideck).download(
            CONSUMER, folder_id(apideck, "/In/invoice.pdf"), max_bytes=len(PDF) - 1
        )

    assert raised.value.limit == len(PDF) - 1


def test_download_of_an_unknown_file_is_not_found(apideck: ApideckEmulator) -> None:
    with pytest.raises(NotFoundError) as raised:
        client_for(apideck).download(CONSUMER, "nope")

    assert raised.value.code == "EntityNotFoundError"


# --- error taxonomy ------------------------------------------------------------------------------


def test_wrong_api_key_is_a_configuration_error(apideck: ApideckEmulator) -> None:
    with pytest.raises(ConfigurationError) as raised:
        client_for(apideck, api_key="wrong-key-123").list_files(CONSUMER, "root")

    assert str(raised.value).startswith(
        "apideck: Apideck rejected our API key or app id: check APIDECK_API_KEY and APIDECK_APP_ID"
    )
    assert "wrong-key-123" not in str(raised.value)
    assert len(apideck.requests(path="/file-storage/files")) == 1


@pytest.mark.parametrize(
    ("changes", "code", "_case"),
    [
        ({"state": "invalid", "health": "needs_auth"}, "refresh_token_connector_error", "broken"),
        ({"enabled": False}, "ConnectorDisabledError", "disabled"),
        ({"state": "added"}, "ConnectorCredentialsError", "not authorized yet"),
    ],
)
def test_unusable_connections_are_auth_errors(
    apideck: ApideckEmulator, changes: dict[str, object], code: str, _case: str
) -> None:
    apideck.set_connection(CONSUMER, **changes)  # type: ignore[arg-type]

    with pytest.raises(AuthError) as raised:
        client_for(apideck).list_files(CONSUMER, "root")

    assert raised.value.code == code
    assert len(apideck.requests(path="/file-storage/files")) == 1


def test_rate_limit_honours_retry_after(apideck: ApideckEmulator) -> None:
    apideck.inject_fault("/file-storage/files", {"status": 429, "retry_after": 5})
    sleeps = Sleeps()

    page = client_for(apideck, sleep=sleeps).list_files(CONSUMER, "root")

    assert sleeps == [5.0]
    assert page.files == ()


def test_rate_limit_without_header_uses_the_downstream_retry_after(
    apideck: ApideckEmulator,
) -> None:
    apideck.inject_fault(
        "/file-storage/files",
        {
            "status": 429,
            "body": json.dumps(_downstream_429(12)),
            "content_type": "application/json",
        },
    )
    sleeps = Sleeps()

    client_for(apideck, sleep=sleeps).list_files(CONSUMER, "root")

    assert sleeps == [12.0]


def _downstream_429(retry_after: int) -> dict[str, object]:
    return {
        "status_code": 429,
        "error": "Too Many Requests",
        "type_name": "ConnectorRateLimitError",
        "message": "Connector Rate Limit Error",
        "detail": {
            "context": "downstream",
            "error": {
                "error": {"reason": {".tag": "too_many_requests"}, "retry_after": retry_after}
            },
        },
    }


def test_quota_exhaustion_is_permanent_and_not_retried(apideck: ApideckEmulator) -> None:
    apideck.inject_fault("/file-storage/files", {"status": 402}, count=5)
    sleeps = Sleeps()

    with pytest.raises(QuotaExceededError) as raised:
        client_for(apideck, sleep=sleeps).list_files(CONSUMER, "root")

    assert raised.value.code == "RequestLimitError"
    assert sleeps == []
    assert len(apideck.requests(path="/file-storage/files")) == 1


def test_server_errors_are_retried_then_transient(apideck: ApideckEmulator) -> None:
    apideck.inject_fault("/file-storage/files", {"status": 502}, count=5)
    sleeps = Sleeps()

    with pytest.raises(TransientError) as raised:
        client_for(apideck, sleep=sleeps).list_files(CONSUMER, "root")

    assert raised.value.status == 502
    assert "ConnectorExecutionError" in str(raised.value)
    assert len(apideck.requests(path="/file-storage/files")) == 3
    assert len(sleeps) == 2


def test_read_timeout_is_transient(apideck: ApideckEmulator) -> None:
    apideck.inject_fault("/file-storage/files", {"delay": 1.0})

    with pytest.raises(TransientError) as raised:
        client_for(apideck, retry=NO_RETRY, timeouts=Timeouts(2, 0.2)).list_files(CONSUMER, "root")

    assert raised.value.outcome_unknown is True


@pytest.mark.parametrize(
    ("fault", "fragment", "_case"),
    [
        ("html", "expected a file list as JSON, received an HTML page", "html"),
        ("truncated_json", "received malformed or truncated JSON", "truncated"),
        (
            "wrong_shape",
            "received a JSON document that does not match (data: Field required)",
            "shape",
        ),
    ],
)
def test_malformed_answers_are_protocol_errors(
    apideck: ApideckEmulator, fault: str, fragment: str, _case: str
) -> None:
    apideck.inject_fault("/file-storage/files", {"malformed": fault})

    with pytest.raises(ProtocolError) as raised:
        client_for(apideck).list_files(CONSUMER, "root")

    assert fragment in str(raised.value)


def test_api_key_never_reaches_logs_or_errors(
    apideck: ApideckEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    apideck.inject_fault("/file-storage/files", {"status": 500}, count=5)
    client = client_for(apideck)
    shown: list[str] = []

    try:
        client.list_files(CONSUMER, "root")
    except TransientError as error:
        shown += [str(error), repr(error)]
    session = client.create_vault_session(CONSUMER, "http://127.0.0.1:1/back")
    shown += [repr(session), repr(client)]

    logged = [json.dumps(record.__dict__, default=str) for record in caplog.records]
    assert len(shown) == 4
    for secret in (APIDECK_API_KEY, session.session_token):
        assert not any(secret in line for line in logged + shown)
