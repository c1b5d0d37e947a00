"""The Dropbox client against the examples of Dropbox's published API spec (stone files),
rendered the way the HTTP documentation shows them, served over loopback HTTP."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime

import pytest

from connectors.config import DropboxConfig
from connectors.dropbox import CursorResetError
from connectors.dropbox import DeletedEntry
from connectors.dropbox import DropboxClient
from connectors.dropbox import FileMetadata
from connectors.dropbox import FolderEntry
from connectors.errors import AuthError
from connectors.errors import NotFoundError
from connectors.errors import TransientError
from connectors.http import NO_RETRY
from connectors.oauth import StaticTokenSource
from tests.contracts.server import FixtureServer
from tests.contracts.server import load

CURSOR = "ZtkX9_EHj3x7PMkVuFIhwKYXEpwpLwyxp9vMKomUhllil9q7eWiAu"
WHEN = datetime(2015, 5, 12, 15, 50, 38, tzinfo=UTC)


def client(server: FixtureServer) -> DropboxClient:
    config = DropboxConfig(api_url=server.base_url, content_url=server.base_url, app_key="key")
    return DropboxClient(
        config, StaticTokenSource("token-1234", provider="dropbox"), retry=NO_RETRY
    )


def test_documented_list_folder_result(server: FixtureServer) -> None:
    server.serve(load("dropbox", "list_folder_ok"))

    result = client(server).list_folder("/Homework/math")

    assert (result.cursor, result.has_more) == (CURSOR, False)
    assert result.entries == [
        FileMetadata(
            id="id:a4ayc_80_OEAAAAAAAAAXw",
            name="Prime_Numbers.txt",
            path_lower="/homework/math/prime_numbers.txt",
            path_display="/Homework/math/Prime_Numbers.txt",
            rev="a1c10ce0dd78",
            size=7212,
            server_modified=WHEN,
            client_modified=WHEN,
            content_hash="e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            is_downloadable=True,
        ),
        FolderEntry(
            tag="folder",
            id="id:a4ayc_80_OEAAAAAAAAAXz",
            name="math",
            path_lower="/homework/math",
            path_display="/Homework/math",
        ),
    ]
    assert server.received[0].path == "/2/files/list_folder"


def test_documented_deleted_entry_has_no_id(server: FixtureServer) -> None:
    server.serve(load("dropbox", "list_folder_continue_deleted"))

    result = client(server).list_folder_continue(CURSOR)

    assert result.entries == [
        DeletedEntry(
            tag="deleted",
            name="pi.txt",
            path_lower="/homework/math/pi.txt",
            path_display="/Homework/math/pi.txt",
        )
    ]


def test_documented_latest_cursor(server: FixtureServer) -> None:
    server.serve(load("dropbox", "list_folder_get_latest_cursor_ok"))

    assert client(server).get_latest_cursor("/Homework") == CURSOR


def test_documented_full_account(server: FixtureServer) -> None:
    server.serve(load("dropbox", "get_current_account_ok"))

    account = client(server).get_current_account()

    assert (account.account_id, account.email, account.display_name) == (
        "dbid:AAH4f99T0taONIb-OurWxbNQ6ywGRopQngc",
        "franz@dropbox.com",
        "Franz Ferdinand (Personal)",
    )
    assert account.root_info is not None
    assert (account.root_info.tag, account.root_info.root_namespace_id) == ("user", "3235641")


def test_documented_download_metadata_is_read_from_the_result_header(
    server: FixtureServer,
) -> None:
    # The example's metadata announces 7,212 bytes; the fixture serves none, so the client must
    # have read name and size from Dropbox-API-Result to refuse the short body.
    server.serve(load("dropbox", "download_ok"))

    with pytest.raises(TransientError) as raised:
        client(server).download("id:a4ayc_80_OEAAAAAAAAAXw")

    assert "Prime_Numbers.txt: received 0 bytes, Dropbox announced 7212" in str(raised.value)
    assert server.received[0].headers["dropbox-api-arg"] == '{"path":"id:a4ayc_80_OEAAAAAAAAAXw"}'


def test_documented_missing_path_is_not_found(server: FixtureServer) -> None:
    server.serve(load("dropbox", "list_folder_path_not_found"))

    with pytest.raises(NotFoundError) as raised:
        client(server).list_folder("/gone")

    assert (raised.value.status, raised.value.code, raised.value.detail) == (
        409,
        "path/not_found",
        "path/not_found/..",
    )


def test_documented_download_of_a_missing_file_is_not_found(server: FixtureServer) -> None:
    server.serve(load("dropbox", "download_path_not_found"))

    with pytest.raises(NotFoundError) as raised:
        client(server).download("rev:a1c10ce0dd78")

    assert (raised.value.status, raised.value.code) == (409, "path/not_found")


def test_documented_reset_cursor(server: FixtureServer) -> None:
    server.serve(load("dropbox", "list_folder_continue_reset"))

    with pytest.raises(CursorResetError) as raised:
        client(server).list_folder_continue(CURSOR)

    assert (raised.value.status, raised.value.code) == (409, "reset")


def test_documented_missing_scope_is_an_auth_error_without_refresh(
    server: FixtureServer,
) -> None:
    server.serve(load("dropbox", "missing_scope"))

    with pytest.raises(AuthError) as raised:
        client(server).get_current_account()

    assert (raised.value.status, raised.value.code) == (401, "missing_scope")
    assert len(server.received) == 1


def test_documented_expired_token_asks_for_a_refresh(server: FixtureServer) -> None:
    server.serve(load("dropbox", "expired_access_token"))

    with pytest.raises(AuthError) as raised:
        client(server).get_current_account()

    # The static token source cannot refresh: its own refusal proves it was asked.
    assert "cannot be refreshed" in str(raised.value)


def test_documented_rate_limit_waits_what_the_body_says(server: FixtureServer) -> None:
    server.serve(load("dropbox", "too_many_requests"))

    with pytest.raises(TransientError) as raised:
        client(server).list_folder("")

    error = raised.value
    assert (error.status, error.retry_after, error.outcome_unknown) == (429, 300.0, False)
