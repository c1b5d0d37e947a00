"""The Dropbox client against the Dropbox emulator over real HTTP."""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import replace
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs
from urllib.parse import urlsplit

import pytest
import requests

from connectors.config import DropboxConfig
from connectors.dropbox import ContentHashMismatchError
from connectors.dropbox import CursorResetError
from connectors.dropbox import DeletedEntry
from connectors.dropbox import DropboxClient
from connectors.dropbox import FileMetadata
from connectors.dropbox import FolderEntry
from connectors.dropbox import content_hash
from connectors.errors import AuthError
from connectors.errors import FileTooLargeError
from connectors.errors import NotFoundError
from connectors.errors import ProtocolError
from connectors.errors import TransientError
from connectors.http import NO_RETRY
from connectors.http import RetryPolicy
from connectors.http import Timeouts
from connectors.http import build_session
from connectors.oauth import InMemoryTokenSource
from connectors.oauth import StaticTokenSource
from connectors.oauth import TokenSet
from connectors.oauth import dropbox_authorize_url
from connectors.oauth import exchange_code
from connectors.oauth import make_pkce_pair
from connectors.oauth import make_state
from connectors.oauth import revoke
from connectors.oauth import token_set_from_response
from connectors.sandbox.constants import DROPBOX_APP_KEY
from connectors.sandbox.constants import DROPBOX_APP_SECRET
from connectors.sandbox.dropbox import DropboxEmulator

PDF = b"%PDF-1.7\n" + b"invoice body " * 100


@pytest.fixture
def dropbox(dropbox_emulator: DropboxEmulator) -> DropboxEmulator:
    """The shared session emulator (tests/plugins/sandbox.py), reset for this test."""
    return dropbox_emulator


def config_for(emulator: DropboxEmulator) -> DropboxConfig:
    return DropboxConfig(
        api_url=emulator.base_url,
        content_url=emulator.base_url,
        web_url=emulator.base_url,
        app_key=DROPBOX_APP_KEY,
        app_secret=DROPBOX_APP_SECRET,
    )


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def issued(emulator: DropboxEmulator) -> TokenSet:
    payload = emulator.issue_token()
    return token_set_from_response(payload, now=datetime.now(UTC))


def client_for(
    emulator: DropboxEmulator,
    tokens: Any = None,
    *,
    sleep: Sleeps | None = None,
    retry: RetryPolicy | None = None,
    timeouts: Timeouts | None = None,
) -> DropboxClient:
    if tokens is None:
        tokens = StaticTokenSource(emulator.issue_token()["access_token"], provider="dropbox")
    return DropboxClient(
        config_for(emulator),
        tokens,
        session=build_session(provider="dropbox", timeouts=timeouts),
        sleep=sleep if sleep is not None else Sleeps(),
        retry=retry or RetryPolicy(max_attempts=4, base_delay=0.01, max_delay=0.05, budget=10),
    )


def sent_json(emulator: DropboxEmulator, path: str) -> list[Any]:
    return [entry.body for entry in emulator.requests(path=path)]


# --- listing -------------------------------------------------------------------------------------


def test_list_folder_sends_the_documented_arguments_and_parses_entries(
    dropbox: DropboxEmulator,
) -> None:
    listed = dropbox.put_file("/Invoices/2026/inv-001.pdf", PDF)
    client = client_for(dropbox)

    result = client.list_folder("/Invoices", recursive=True, limit=100)

    assert sent_json(dropbox, "/2/files/list_folder") == [
        {
            "path": "/Invoices",
            "recursive": True,
            "include_deleted": False,
            "include_non_downloadable_files": False,
            "limit": 100,
        }
    ]
    files = [entry for entry in result.entries if isinstance(entry, FileMetadata)]
    folders = [entry.path_display for entry in result.entries if isinstance(entry, FolderEntry)]
    assert folders == ["/Invoices", "/Invoices/2026"]
    assert [(f.id, f.name, f.size, f.content_hash) for f in files] == [
        (listed["id"], "inv-001.pdf", len(PDF), content_hash(PDF))
    ]
    assert files[0].server_modified.tzinfo is not None
    assert result.has_more is False


def test_root_is_sent_as_an_empty_string(dropbox: DropboxEmulator) -> None:
    dropbox.put_file("/a.pdf", PDF)

    client_for(dropbox).list_folder("/", recursive=False)

    assert sent_json(dropbox, "/2/files/list_folder")[0]["path"] == ""


def test_continue_pages_and_then_returns_only_changes(dropbox: DropboxEmulator) -> None:
    for number in range(3):
        dropbox.put_file(f"/In/{number}.pdf", PDF)
    client = client_for(dropbox)

    first = client.list_folder("/In", recursive=False, limit=2)
    second = client.list_folder_continue(first.cursor)
    dropbox.put_file("/In/new.pdf", PDF + b"new")
    dropbox.delete("/In/0.pdf")
    changes = client.list_folder_continue(second.cursor)

    assert first.has_more is True
    assert len(first.entries) + len(second.entries) == 3
    assert second.has_more is False
    assert [(type(e).__name__, e.name) for e in changes.entries] == [
        ("FileMetadata", "new.pdf"),
        ("DeletedEntry", "0.pdf"),
    ]
    assert isinstance(changes.entries[1], DeletedEntry)


def test_latest_cursor_skips_existing_files(dropbox: DropboxEmulator) -> None:
    dropbox.put_file("/In/old.pdf", PDF)
    client = client_for(dropbox)

    cursor = client.get_latest_cursor("/In", recursive=False)
    dropbox.put_file("/In/fresh.pdf", PDF)
    changes = client.list_folder_continue(cursor)

    assert [entry.name for entry in changes.entries] == ["fresh.pdf"]


def test_cursor_reset_raises_a_dedicated_error(dropbox: DropboxEmulator) -> None:
    dropbox.put_file("/In/a.pdf", PDF)
    client = client_for(dropbox)
    cursor = client.list_folder("/In").cursor
    dropbox.reset_cursors()

    with pytest.raises(CursorResetError) as raised:
        client.list_folder_continue(cursor)

    assert raised.value.status == 409
    assert raised.value.code == "reset"
    assert len(dropbox.requests(path="/2/files/list_folder/continue")) == 1  # never retried


def test_missing_folder_is_not_found(dropbox: DropboxEmulator) -> None:
    with pytest.raises(NotFoundError) as raised:
        client_for(dropbox).list_folder("/Nope")

    assert raised.value.code == "path/not_found"
    assert raised.value.status == 409


def test_get_current_account(dropbox: DropboxEmulator) -> None:
    account = client_for(dropbox).get_current_account()

    assert account.account_id == "dbid:AADwellSandboxAccount000000000000000"
    assert account.display_name == "Camille Martin"
    assert dropbox.requests(path="/2/users/get_current_account")[0].body is None


# --- download ------------------------------------------------------------------------------------


def test_download_streams_and_verifies_the_content_hash(dropbox: DropboxEmulator) -> None:
    listed = dropbox.put_file("/Factures/Été/facture-ñ.pdf", PDF)

    downloaded = client_for(dropbox).download(
        "/Factures/Été/facture-ñ.pdf", expected_content_hash=listed["content_hash"]
    )

    assert downloaded.content == PDF
    assert downloaded.content_hash == content_hash(PDF) == listed["content_hash"]
    assert downloaded.file_id == listed["id"]
    header = dropbox.requests(path="/2/files/download")[0].header("Dropbox-API-Arg")
    assert header == '{"path":"/Factures/\\u00c9t\\u00e9/facture-\\u00f1.pdf"}'


def test_download_by_id_of_a_multi_block_file(dropbox: DropboxEmulator) -> None:
    big = bytes(range(256)) * (5 * 4096 + 7)  # > 4 MiB: two blocks
    listed = dropbox.put_file("/big.pdf", big)

    downloaded = client_for(dropbox).download(listed["id"])

    assert downloaded.content == big
    assert downloaded.content_hash == listed["content_hash"]


def test_file_changed_since_listing_is_refused(dropbox: DropboxEmulator) -> None:
    listed = dropbox.put_file("/In/a.pdf", PDF)
    dropbox.put_file("/In/a.pdf", PDF + b"edited")

    with pytest.raises(ContentHashMismatchError) as raised:
        client_for(dropbox).download(listed["id"], expected_content_hash=listed["content_hash"])

    assert raised.value.expected == listed["content_hash"]
    assert raised.value.actual == content_hash(PDF + b"edited")
    assert "changed since it was listed and is refused" in str(raised.value)


def test_oversized_download_is_refused_before_reading(dropbox: DropboxEmulator) -> None:
    dropbox.put_file("/In/huge.pdf", PDF)

    with pytest.raises(FileTooLargeError) as raised:
        client_for(dropbox).download("/In/huge.pdf", max_bytes=100)

    assert (raised.value.filename, raised.value.size, raised.value.limit) == (
        "huge.pdf",
        len(PDF),
        100,
    )


def test_download_of_a_vanished_file_is_not_found(dropbox: DropboxEmulator) -> None:
    with pytest.raises(NotFoundError):
        client_for(dropbox).download("id:doesnotexist")


def test_truncated_download_is_transient_and_retried(dropbox: DropboxEmulator) -> None:
    dropbox.put_file("/In/a.pdf", PDF)
    dropbox.inject_fault("/2/files/download", {"malformed": "truncated_json"})

    with pytest.raises(TransientError) as raised:
        client_for(dropbox, retry=NO_RETRY).download("/In/a.pdf")
    dropbox.inject_fault("/2/files/download", {"malformed": "truncated_json"})
    downloaded = client_for(dropbox).download("/In/a.pdf")

    assert str(raised.value).startswith(
        f"dropbox: a.pdf: received {len(PDF) // 2} bytes, Dropbox announced {len(PDF)}"
    )
    assert downloaded.content == PDF
    assert len(dropbox.requests(path="/2/files/download")) == 3


def test_content_hash_matches_dropbox_for_edge_sizes() -> None:
    assert content_hash(b"") == ("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    block = 4 * 1024 * 1024
    exact = b"a" * block
    import hashlib

    assert content_hash(exact) == hashlib.sha256(hashlib.sha256(exact).digest()).hexdigest()
    two = b"a" * block + b"b"
    assert (
        content_hash(two)
        == hashlib.sha256(
            hashlib.sha256(exact).digest() + hashlib.sha256(b"b").digest()
        ).hexdigest()
    )


# --- tokens --------------------------------------------------------------------------------------


def test_expired_access_token_is_refreshed_once_then_succeeds(dropbox: DropboxEmulator) -> None:
    dropbox.put_file("/In/a.pdf", PDF)
    refreshed: list[TokenSet] = []
    initial = issued(dropbox)
    source = InMemoryTokenSource(
        "dropbox", config_for(dropbox), initial, on_refresh=refreshed.append
    )
    client = client_for(dropbox, source)
    dropbox.advance_clock(4 * 3600 + 1)

    result = client.list_folder("/In", recursive=False)

    assert [entry.name for entry in result.entries] == ["a.pdf"]
    assert [r.status for r in dropbox.requests(path="/2/files/list_folder")] == [401, 200]
    token_calls = dropbox.requests(path="/oauth2/token")
    assert len(token_calls) == 1
    assert token_calls[0].body["grant_type"] == "refresh_token"
    assert len(refreshed) == 1
    assert refreshed[0].refresh_token == initial.refresh_token  # Dropbox does not rotate
    assert refreshed[0].access_token != initial.access_token
    assert refreshed[0].account_id == initial.account_id


def test_token_near_expiry_is_refreshed_before_the_call(dropbox: DropboxEmulator) -> None:
    initial = replace(issued(dropbox), expires_at=datetime.now(UTC) + timedelta(seconds=100))
    source = InMemoryTokenSource("dropbox", config_for(dropbox), initial)

    client_for(dropbox, source).list_folder("", recursive=False)

    assert [r.status for r in dropbox.requests(path="/2/files/list_folder")] == [200]
    assert len(dropbox.requests(path="/oauth2/token")) == 1
    assert source.token_set.access_token != initial.access_token
    assert source.token_set.expires_at > datetime.now(UTC) + timedelta(hours=3)


def test_concurrent_callers_cause_exactly_one_refresh(dropbox: DropboxEmulator) -> None:
    dropbox.put_file("/In/a.pdf", PDF)
    source = InMemoryTokenSource("dropbox", config_for(dropbox), issued(dropbox))
    dropbox.advance_clock(4 * 3600 + 1)
    # Hold both calls in flight so both present the expired token.
    dropbox.inject_fault("/2/files/list_folder", {"delay": 0.3}, count=2)
    barrier = threading.Barrier(2)
    outcomes: list[str | None] = []

    def worker() -> None:
        client = client_for(dropbox, source)
        barrier.wait()
        outcomes.append(client.list_folder("/In", recursive=False).entries[-1].name)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)

    assert outcomes == ["a.pdf", "a.pdf"]
    statuses = sorted(r.status or 0 for r in dropbox.requests(path="/2/files/list_folder"))
    assert statuses == [200, 200, 401, 401]
    assert len(dropbox.requests(path="/oauth2/token")) == 1


def test_revoked_refresh_token_is_an_auth_error(dropbox: DropboxEmulator) -> None:
    source = InMemoryTokenSource("dropbox", config_for(dropbox), issued(dropbox))
    client = client_for(dropbox, source)
    dropbox.revoke_all_tokens()

    with pytest.raises(AuthError) as raised:
        client.list_folder("")

    assert raised.value.code == "invalid_grant"
    assert raised.value.provider == "dropbox"
    assert "reconnect" in str(raised.value)
    assert len(dropbox.requests(path="/oauth2/token")) == 1


def test_a_static_token_that_is_rejected_is_an_auth_error(dropbox: DropboxEmulator) -> None:
    client = client_for(dropbox, StaticTokenSource("sl.not-a-real-token", provider="dropbox"))

    with pytest.raises(AuthError):
        client.list_folder("")

    assert len(dropbox.requests(path="/2/files/list_folder")) == 1


def test_missing_scope_is_an_auth_error_without_refresh(dropbox: DropboxEmulator) -> None:
    payload = dropbox.issue_token(scopes=("account_info.read",))
    source = InMemoryTokenSource(
        "dropbox", config_for(dropbox), token_set_from_response(payload, now=datetime.now(UTC))
    )

    with pytest.raises(AuthError) as raised:
        client_for(dropbox, source).list_folder("")

    assert raised.value.code == "missing_scope"
    assert dropbox.requests(path="/oauth2/token") == []


def test_code_exchange_with_pkce_then_revoke(dropbox: DropboxEmulator) -> None:
    config = config_for(dropbox)
    pkce, state = make_pkce_pair(), make_state()
    redirect_uri = "http://127.0.0.1:1/callback"
    authorize = dropbox_authorize_url(
        config, state=state, redirect_uri=redirect_uri, code_challenge=pkce.challenge
    )
    consent = requests.get(authorize, allow_redirects=False, timeout=5)
    query = {
        key: values[0]
        for key, values in parse_qs(urlsplit(consent.headers["Location"]).query).items()
    }
    assert query["state"] == state

    token_set = exchange_code(
        "dropbox",
        config,
        code=query["code"],
        redirect_uri=redirect_uri,
        code_verifier=pkce.verifier,
    )

    exchange = dropbox.requests(path="/oauth2/token")[0].body
    assert exchange["grant_type"] == "authorization_code"
    assert "client_secret" not in exchange  # the PKCE verifier replaces it
    assert token_set.refresh_token is not None
    assert token_set.account_id == "dbid:AADwellSandboxAccount000000000000000"
    assert token_set.scopes == ("account_info.read", "files.content.read", "files.metadata.read")
    assert token_set.expires_at > datetime.now(UTC) + timedelta(hours=3)

    revoke("dropbox", config, token_set)

    with pytest.raises(AuthError):
        client_for(
            dropbox, StaticTokenSource(token_set.access_token, provider="dropbox")
        ).list_folder("")
    with pytest.raises(AuthError) as raised:
        InMemoryTokenSource("dropbox", config, token_set).refresh_after_unauthorized(
            token_set.access_token
        )
    assert raised.value.code == "invalid_grant"


# --- faults --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("plain_text", "_case"), [(False, "json body"), (True, "plain text")])
def test_429_honours_retry_after(dropbox: DropboxEmulator, plain_text: bool, _case: str) -> None:
    dropbox.inject_fault(
        "/2/files/list_folder", {"status": 429, "retry_after": 3, "plain_text": plain_text}
    )
    sleeps = Sleeps()

    result = client_for(dropbox, sleep=sleeps).list_folder("")

    assert sleeps == [3.0]
    assert result.has_more is False
    assert [r.status for r in dropbox.requests(path="/2/files/list_folder")] == [429, 200]


def test_5xx_is_retried_with_backoff_then_transient(dropbox: DropboxEmulator) -> None:
    dropbox.inject_fault("/2/files/list_folder", {"status": 503}, count=10)
    sleeps = Sleeps()
    policy = RetryPolicy(max_attempts=3, base_delay=0.5, max_delay=4.0, budget=30.0)

    with pytest.raises(TransientError) as raised:
        client_for(dropbox, sleep=sleeps, retry=policy).list_folder("")

    assert raised.value.status == 503
    assert len(dropbox.requests(path="/2/files/list_folder")) == 3
    assert len(sleeps) == 2
    assert 0.0 <= sleeps[0] <= 0.5
    assert 0.0 <= sleeps[1] <= 1.0


def test_5xx_then_success_recovers(dropbox: DropboxEmulator) -> None:
    dropbox.inject_fault("/2/files/list_folder", {"status": 500}, count=2)

    result = client_for(dropbox).list_folder("")

    assert result.entries == []
    assert [r.status for r in dropbox.requests(path="/2/files/list_folder")] == [500, 500, 200]


def test_read_timeout_is_transient_with_unknown_outcome(dropbox: DropboxEmulator) -> None:
    dropbox.inject_fault("/2/files/list_folder", {"delay": 1.0})

    with pytest.raises(TransientError) as raised:
        client_for(dropbox, retry=NO_RETRY, timeouts=Timeouts(connect=2, read=0.2)).list_folder("")

    assert raised.value.outcome_unknown is True
    assert "read timeout" in str(raised.value)


def test_dropped_connection_is_transient(dropbox: DropboxEmulator) -> None:
    dropbox.inject_fault("/2/files/list_folder", {"drop": True})

    with pytest.raises(TransientError) as raised:
        client_for(dropbox, retry=NO_RETRY).list_folder("")

    assert raised.value.outcome_unknown is True


def test_connection_refused_is_transient_and_surely_unsent() -> None:
    config = DropboxConfig(api_url="http://127.0.0.1:9", content_url="http://127.0.0.1:9")
    client = DropboxClient(config, StaticTokenSource("t" * 20, provider="dropbox"), retry=NO_RETRY)

    with pytest.raises(TransientError) as raised:
        client.list_folder("")

    assert raised.value.outcome_unknown is False
    assert str(raised.value).startswith("dropbox: could not connect")


@pytest.mark.parametrize(
    ("fault", "message_start", "_case"),
    [
        (
            "html",
            "dropbox: expected a ListFolderResult as JSON, received an HTML page (text/html, ",
            "html",
        ),
        (
            "truncated_json",
            "dropbox: expected a ListFolderResult as JSON, received malformed or truncated JSON",
            "truncated",
        ),
        (
            "wrong_shape",
            "dropbox: expected a ListFolderResult, received a JSON document that does not "
            "match (entries: Field required; cursor: Field required; has_more: Field required)",
            "wrong shape",
        ),
    ],
)
def test_malformed_answers_are_protocol_errors(
    dropbox: DropboxEmulator, fault: str, message_start: str, _case: str
) -> None:
    dropbox.inject_fault("/2/files/list_folder", {"malformed": fault})

    with pytest.raises(ProtocolError) as raised:
        client_for(dropbox).list_folder("")

    assert str(raised.value).startswith(message_start)
    assert raised.value.status == 200
    assert raised.value.request_id is not None
    assert len(dropbox.requests(path="/2/files/list_folder")) == 1  # not retried


def test_wrong_download_metadata_is_a_protocol_error(dropbox: DropboxEmulator) -> None:
    dropbox.put_file("/a.pdf", PDF)
    dropbox.inject_fault("/2/files/download", {"malformed": "wrong_shape"})

    with pytest.raises(ProtocolError) as raised:
        client_for(dropbox).download("/a.pdf")

    assert "FileMetadata in Dropbox-API-Result" in str(raised.value)


# --- logging and redaction -----------------------------------------------------------------------


def test_requests_are_logged_with_context_and_no_secret_anywhere(
    dropbox: DropboxEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    dropbox.put_file("/In/a.pdf", PDF)
    initial = issued(dropbox)
    config = config_for(dropbox)
    source = InMemoryTokenSource("dropbox", config, initial)
    client = client_for(dropbox, source)
    dropbox.advance_clock(4 * 3600 + 1)
    dropbox.inject_fault("/2/files/list_folder/continue", {"status": 500})
    errors: list[str] = []

    cursor = client.list_folder("/In").cursor
    client.list_folder_continue(cursor)
    dropbox.revoke_all_tokens()
    dropbox.advance_clock(4 * 3600 + 1)
    try:
        client.list_folder("/In")
    except AuthError as error:
        errors.append(str(error))
        errors.append(repr(error))

    secrets = {
        initial.access_token,
        initial.refresh_token,
        source.token_set.access_token,
        DROPBOX_APP_SECRET,
    }
    logged = [record.getMessage() for record in caplog.records]
    logged += [json.dumps(record.__dict__, default=str) for record in caplog.records]
    assert errors
    for secret in secrets:
        assert secret
        assert not any(secret in line for line in logged + errors)
    http_records = [r for r in caplog.records if r.name == "connectors.http"]
    first = http_records[0]
    assert (first.http_method, first.http_host, first.http_path, first.http_status) == (  # type: ignore[attr-defined]
        "POST",
        "127.0.0.1",
        "/2/files/list_folder",
        401,
    )
    assert isinstance(first.duration_ms, int)  # type: ignore[attr-defined]
    assert isinstance(first.request_id, str)  # type: ignore[attr-defined]
    assert first.request_id != ""  # type: ignore[attr-defined]
