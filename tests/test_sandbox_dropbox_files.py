"""Dropbox emulator: list_folder and its change cursors, longpoll, download, content_hash and
Dropbox's error shapes (409 unions, plain-text 400s, 429 in both forms)."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from typing import Any

import pytest
import requests

from connectors.sandbox import DropboxEmulator
from connectors.sandbox import content_hash

PDF = b"%PDF-1.7\n" + b"invoice " * 64
MIB = 1024 * 1024


def headers(emulator: DropboxEmulator) -> dict[str, str]:
    return {"Authorization": f"Bearer {emulator.issue_token()['access_token']}"}


def rpc(
    emulator: DropboxEmulator, route: str, args: Any, auth: dict[str, str]
) -> requests.Response:
    return requests.post(emulator.url(f"/2/{route}"), json=args, headers=auth, timeout=5)


def list_all(
    emulator: DropboxEmulator, auth: dict[str, str], **args: Any
) -> tuple[list[dict[str, Any]], str]:
    page = rpc(emulator, "files/list_folder", {"path": "", **args}, auth).json()
    entries = list(page["entries"])
    while page["has_more"]:
        page = rpc(emulator, "files/list_folder/continue", {"cursor": page["cursor"]}, auth).json()
        entries += page["entries"]
    return entries, page["cursor"]


def changes(
    emulator: DropboxEmulator, cursor: str, auth: dict[str, str]
) -> tuple[list[dict[str, Any]], str]:
    page = rpc(emulator, "files/list_folder/continue", {"cursor": cursor}, auth).json()
    return page["entries"], page["cursor"]


# --- content_hash --------------------------------------------------------------------------------


def test_content_hash_of_an_empty_file_is_sha256_of_nothing() -> None:
    assert content_hash(b"") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def test_content_hash_of_one_block_hashes_twice() -> None:
    assert content_hash(b"abc") == hashlib.sha256(hashlib.sha256(b"abc").digest()).hexdigest()
    assert (
        content_hash(b"abc") == "4f8b42c22dd3729b519ba6f68d2da7cc5b2d606d05daed5ad5128cc03e6c6358"
    )


def test_content_hash_of_more_than_4_mib_uses_4_mib_blocks() -> None:
    data = b"a" * (4 * MIB) + b"b"

    expected = hashlib.sha256(
        hashlib.sha256(b"a" * (4 * MIB)).digest() + hashlib.sha256(b"b").digest()
    ).hexdigest()
    assert content_hash(data) == expected
    assert content_hash(data) != hashlib.sha256(data).hexdigest()


def test_listed_content_hash_matches_the_algorithm(dropbox_emulator: DropboxEmulator) -> None:
    big = bytes(range(256)) * (4 * MIB // 256) + b"tail"
    dropbox_emulator.put_file("/big.pdf", big)
    dropbox_emulator.put_file("/empty.pdf", b"")

    entries, _ = list_all(dropbox_emulator, headers(dropbox_emulator))

    hashes = {entry["name"]: entry["content_hash"] for entry in entries}
    assert hashes == {
        "big.pdf": content_hash(big),
        "empty.pdf": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    }


# --- list_folder ---------------------------------------------------------------------------------


def test_list_folder_entry_shapes(dropbox_emulator: DropboxEmulator) -> None:
    metadata = dropbox_emulator.put_file("/Invoices/inv-001.pdf", PDF)

    response = rpc(
        dropbox_emulator, "files/list_folder", {"path": "/Invoices"}, headers(dropbox_emulator)
    )

    assert response.status_code == 200
    body = response.json()
    assert sorted(body) == ["cursor", "entries", "has_more"]
    assert body["has_more"] is False
    assert body["entries"] == [metadata]
    assert list(metadata) == [
        ".tag",
        "name",
        "path_lower",
        "path_display",
        "id",
        "client_modified",
        "server_modified",
        "rev",
        "size",
        "is_downloadable",
        "content_hash",
    ]
    assert metadata["path_lower"] == "/invoices/inv-001.pdf"
    assert metadata["path_display"] == "/Invoices/inv-001.pdf"
    assert metadata["size"] == len(PDF)
    assert len(str(metadata["rev"])) >= 9
    assert str(metadata["server_modified"]).endswith("Z")
    assert len(str(metadata["server_modified"])) == 20


def test_recursive_listing_pages_by_limit(dropbox_emulator: DropboxEmulator) -> None:
    for name in ("a", "b", "c"):
        dropbox_emulator.put_file(f"/Invoices/2026/{name}.pdf", PDF)
    auth = headers(dropbox_emulator)

    first = rpc(
        dropbox_emulator,
        "files/list_folder",
        {"path": "/Invoices", "recursive": True, "limit": 2},
        auth,
    ).json()
    second = rpc(
        dropbox_emulator, "files/list_folder/continue", {"cursor": first["cursor"]}, auth
    ).json()
    third = rpc(
        dropbox_emulator, "files/list_folder/continue", {"cursor": second["cursor"]}, auth
    ).json()

    paths = [e["path_lower"] for e in first["entries"] + second["entries"] + third["entries"]]
    assert paths == [
        "/invoices",
        "/invoices/2026",
        "/invoices/2026/a.pdf",
        "/invoices/2026/b.pdf",
        "/invoices/2026/c.pdf",
    ]
    assert [first["has_more"], second["has_more"], third["has_more"]] == [True, True, False]


def test_non_recursive_listing_shows_direct_children_only(
    dropbox_emulator: DropboxEmulator,
) -> None:
    dropbox_emulator.put_file("/Invoices/top.pdf", PDF)
    dropbox_emulator.put_file("/Invoices/2026/deep.pdf", PDF)

    body = rpc(
        dropbox_emulator, "files/list_folder", {"path": "/Invoices"}, headers(dropbox_emulator)
    ).json()

    assert [(e[".tag"], e["name"]) for e in body["entries"]] == [
        ("folder", "2026"),
        ("file", "top.pdf"),
    ]


def test_continue_returns_only_changes_since_the_cursor_in_order(
    dropbox_emulator: DropboxEmulator,
) -> None:
    dropbox_emulator.put_file("/Invoices/a.pdf", PDF)
    dropbox_emulator.put_file("/Invoices/b.pdf", PDF)
    auth = headers(dropbox_emulator)
    _, cursor = list_all(dropbox_emulator, auth, recursive=True)

    nothing, cursor = changes(dropbox_emulator, cursor, auth)
    new = dropbox_emulator.put_file("/Invoices/c.pdf", b"%PDF new")
    edited = dropbox_emulator.put_file("/Invoices/a.pdf", b"%PDF edited")
    dropbox_emulator.delete("/Invoices/b.pdf")
    found, cursor = changes(dropbox_emulator, cursor, auth)
    after, _ = changes(dropbox_emulator, cursor, auth)

    assert nothing == []
    assert found == [
        new,
        edited,
        {
            ".tag": "deleted",
            "name": "b.pdf",
            "path_lower": "/invoices/b.pdf",
            "path_display": "/Invoices/b.pdf",
        },
    ]
    assert after == []


def test_edit_keeps_the_id_and_gets_a_new_rev(dropbox_emulator: DropboxEmulator) -> None:
    first = dropbox_emulator.put_file("/a.pdf", b"%PDF one")
    second = dropbox_emulator.put_file("/a.pdf", b"%PDF two")

    assert second["id"] == first["id"]
    assert second["rev"] != first["rev"]
    assert second["content_hash"] == content_hash(b"%PDF two")


def test_rename_is_deleted_plus_file_with_the_same_id(dropbox_emulator: DropboxEmulator) -> None:
    original = dropbox_emulator.put_file("/Invoices/scan.pdf", PDF)
    auth = headers(dropbox_emulator)
    _, cursor = list_all(dropbox_emulator, auth, recursive=True)

    renamed = dropbox_emulator.rename("/Invoices/scan.pdf", "ACME-2026-001.pdf")
    found, _ = changes(dropbox_emulator, cursor, auth)

    assert found == [
        {
            ".tag": "deleted",
            "name": "scan.pdf",
            "path_lower": "/invoices/scan.pdf",
            "path_display": "/Invoices/scan.pdf",
        },
        renamed,
    ]
    assert renamed["id"] == original["id"]
    assert renamed["content_hash"] == original["content_hash"]
    assert renamed["path_display"] == "/Invoices/ACME-2026-001.pdf"


def test_deleting_a_folder_is_one_deleted_entry(dropbox_emulator: DropboxEmulator) -> None:
    dropbox_emulator.put_file("/Invoices/old/a.pdf", PDF)
    dropbox_emulator.put_file("/Invoices/old/b.pdf", PDF)
    auth = headers(dropbox_emulator)
    _, cursor = list_all(dropbox_emulator, auth, recursive=True)

    dropbox_emulator.delete("/Invoices/old")
    found, _ = changes(dropbox_emulator, cursor, auth)

    assert [(e[".tag"], e["path_lower"]) for e in found] == [("deleted", "/invoices/old")]
    assert "id" not in found[0]
    assert "rev" not in found[0]


def test_include_deleted_lists_tombstones(dropbox_emulator: DropboxEmulator) -> None:
    dropbox_emulator.put_file("/gone.pdf", PDF)
    dropbox_emulator.put_file("/kept.pdf", PDF)
    dropbox_emulator.delete("/gone.pdf")
    auth = headers(dropbox_emulator)

    plain, _ = list_all(dropbox_emulator, auth)
    with_deleted, _ = list_all(dropbox_emulator, auth, include_deleted=True)

    assert [(e[".tag"], e["name"]) for e in plain] == [("file", "kept.pdf")]
    assert [(e[".tag"], e["name"]) for e in with_deleted] == [
        ("deleted", "gone.pdf"),
        ("file", "kept.pdf"),
    ]


def test_get_latest_cursor_skips_existing_files(dropbox_emulator: DropboxEmulator) -> None:
    dropbox_emulator.put_file("/Invoices/old.pdf", PDF)
    auth = headers(dropbox_emulator)

    latest = rpc(
        dropbox_emulator, "files/list_folder/get_latest_cursor", {"path": "/Invoices"}, auth
    )
    new = dropbox_emulator.put_file("/Invoices/new.pdf", PDF)
    found, _ = changes(dropbox_emulator, latest.json()["cursor"], auth)

    assert sorted(latest.json()) == ["cursor"]
    assert found == [new]


def test_cursor_reset_switch_answers_409_reset(dropbox_emulator: DropboxEmulator) -> None:
    auth = headers(dropbox_emulator)
    _, cursor = list_all(dropbox_emulator, auth)

    requests.post(dropbox_emulator.url("/_sandbox/cursors/reset"), timeout=5)
    response = rpc(dropbox_emulator, "files/list_folder/continue", {"cursor": cursor}, auth)
    fresh, _ = list_all(dropbox_emulator, auth)

    assert response.status_code == 409
    assert response.json() == {"error_summary": "reset/...", "error": {".tag": "reset"}}
    assert fresh == []


def test_cursor_from_before_an_emulator_reset_answers_409_reset(
    dropbox_emulator: DropboxEmulator,
) -> None:
    _, cursor = list_all(dropbox_emulator, headers(dropbox_emulator))

    dropbox_emulator.reset()
    response = rpc(
        dropbox_emulator,
        "files/list_folder/continue",
        {"cursor": cursor},
        headers(dropbox_emulator),
    )

    assert response.status_code == 409
    assert response.json()["error"] == {".tag": "reset"}


def test_garbage_cursor_is_a_plain_text_400(dropbox_emulator: DropboxEmulator) -> None:
    response = rpc(
        dropbox_emulator,
        "files/list_folder/continue",
        {"cursor": "nope"},
        headers(dropbox_emulator),
    )

    assert response.status_code == 400
    assert (
        response.text
        == 'Error in call to API function "files/list_folder/continue": Invalid "cursor" parameter'
    )


def test_watched_folder_deleted_answers_path_not_found(dropbox_emulator: DropboxEmulator) -> None:
    dropbox_emulator.put_file("/Invoices/a.pdf", PDF)
    auth = headers(dropbox_emulator)
    cursor = rpc(dropbox_emulator, "files/list_folder", {"path": "/Invoices"}, auth).json()[
        "cursor"
    ]

    dropbox_emulator.delete("/Invoices")
    response = rpc(dropbox_emulator, "files/list_folder/continue", {"cursor": cursor}, auth)

    assert response.status_code == 409
    assert response.json() == {
        "error_summary": "path/not_found/..",
        "error": {".tag": "path", "path": {".tag": "not_found"}},
    }


@pytest.mark.parametrize(
    ("args", "status", "case"),
    [
        ({"path": "/missing"}, 409, "not_found"),
        ({"path": "/file.pdf"}, 409, "not_folder"),
        ({"path": "/"}, 400, "slash_root"),
        ({"path": "relative"}, 400, "bad_pattern"),
        ({"path": "", "limit": 0}, 400, "limit_too_small"),
        ({"path": "", "limit": 2001}, 400, "limit_too_big"),
        ({"path": "", "recursive": "yes"}, 400, "wrong_type"),
        ({"path": "", "colour": "red"}, 400, "unknown_field"),
        ({}, 400, "no_path"),
    ],
)
def test_list_folder_argument_errors(
    dropbox_emulator: DropboxEmulator, args: dict[str, Any], status: int, case: str
) -> None:
    dropbox_emulator.put_file("/file.pdf", PDF)

    response = rpc(dropbox_emulator, "files/list_folder", args, headers(dropbox_emulator))

    assert response.status_code == status
    if status == 409:
        assert response.json()["error"]["path"][".tag"] == case
    else:
        assert response.text.startswith('Error in call to API function "files/list_folder": ')


def test_list_folder_by_id(dropbox_emulator: DropboxEmulator) -> None:
    folder = dropbox_emulator.create_folder("/Invoices")
    inside = dropbox_emulator.put_file("/Invoices/a.pdf", PDF)

    body = rpc(
        dropbox_emulator, "files/list_folder", {"path": folder["id"]}, headers(dropbox_emulator)
    ).json()

    assert body["entries"] == [inside]


def test_rpc_with_a_form_content_type_is_refused(dropbox_emulator: DropboxEmulator) -> None:
    response = requests.post(
        dropbox_emulator.url("/2/files/list_folder"),
        data={"path": ""},
        headers=headers(dropbox_emulator),
        timeout=5,
    )

    assert response.status_code == 400
    assert 'Bad HTTP "Content-Type" header: "application/x-www-form-urlencoded"' in response.text


def test_get_current_account(dropbox_emulator: DropboxEmulator) -> None:
    auth = headers(dropbox_emulator)

    bare = requests.post(
        dropbox_emulator.url("/2/users/get_current_account"), headers=auth, timeout=5
    )
    null = requests.post(
        dropbox_emulator.url("/2/users/get_current_account"),
        data=b"null",
        headers={**auth, "Content-Type": "application/json"},
        timeout=5,
    )
    empty_json = requests.post(
        dropbox_emulator.url("/2/users/get_current_account"),
        headers={**auth, "Content-Type": "application/json"},
        timeout=5,
    )

    assert bare.status_code == 200
    assert bare.json()["account_id"] == "dbid:AADwellSandboxAccount000000000000000"
    assert bare.json()["root_info"] == {
        ".tag": "user",
        "root_namespace_id": "3235641",
        "home_namespace_id": "3235641",
    }
    assert null.json() == bare.json()
    assert empty_json.status_code == 400


# --- longpoll ------------------------------------------------------------------------------------


def test_longpoll_returns_early_when_something_changes(dropbox_emulator: DropboxEmulator) -> None:
    _, cursor = list_all(dropbox_emulator, headers(dropbox_emulator))
    timer = threading.Timer(0.2, dropbox_emulator.put_file, args=("/new.pdf", PDF))
    timer.start()
    started = time.monotonic()

    response = requests.post(
        dropbox_emulator.url("/2/files/list_folder/longpoll"),
        json={"cursor": cursor, "timeout": 30},
        timeout=10,
    )

    assert response.json() == {"changes": True}
    assert time.monotonic() - started < 5
    timer.join()


def test_longpoll_without_changes_says_so_with_backoff(dropbox_emulator: DropboxEmulator) -> None:
    _, cursor = list_all(dropbox_emulator, headers(dropbox_emulator))
    requests.post(
        dropbox_emulator.url("/_sandbox/settings"),
        json={"longpoll_wait_cap": 0.1, "longpoll_backoff": 60},
        timeout=5,
    )

    response = requests.post(
        dropbox_emulator.url("/2/files/list_folder/longpoll"),
        json={"cursor": cursor, "timeout": 30},
        timeout=10,
    )

    assert response.status_code == 200
    assert response.json() == {"changes": False, "backoff": 60}


def test_longpoll_needs_no_auth_and_reports_reset(dropbox_emulator: DropboxEmulator) -> None:
    _, cursor = list_all(dropbox_emulator, headers(dropbox_emulator))
    dropbox_emulator.reset_cursors()

    response = requests.post(
        dropbox_emulator.url("/2/files/list_folder/longpoll"), json={"cursor": cursor}, timeout=10
    )
    short = requests.post(
        dropbox_emulator.url("/2/files/list_folder/longpoll"),
        json={"cursor": cursor, "timeout": 5},
        timeout=10,
    )

    assert response.status_code == 409
    assert response.json()["error"] == {".tag": "reset"}
    assert short.status_code == 400


# --- download ------------------------------------------------------------------------------------


def download(
    emulator: DropboxEmulator, arg: str, auth: dict[str, str], **extra: str
) -> requests.Response:
    return requests.post(
        emulator.url("/2/files/download"),
        headers={**auth, "Dropbox-API-Arg": arg, **extra},
        timeout=5,
    )


def test_download_by_path_returns_bytes_and_metadata_header(
    dropbox_emulator: DropboxEmulator,
) -> None:
    metadata = dropbox_emulator.put_file("/Invoices/a.pdf", PDF)

    response = download(dropbox_emulator, '{"path": "/invoices/A.PDF"}', headers(dropbox_emulator))

    assert response.status_code == 200
    assert response.content == PDF
    assert response.headers["Content-Type"] == "application/octet-stream"
    result = json.loads(response.headers["Dropbox-API-Result"])
    assert result == {key: value for key, value in metadata.items() if key != ".tag"}


def test_download_by_id_and_by_rev(dropbox_emulator: DropboxEmulator) -> None:
    first = dropbox_emulator.put_file("/a.pdf", b"%PDF first")
    dropbox_emulator.put_file("/a.pdf", b"%PDF second")
    auth = headers(dropbox_emulator)

    by_id = download(dropbox_emulator, json.dumps({"path": first["id"]}), auth)
    by_rev = download(dropbox_emulator, json.dumps({"path": f"rev:{first['rev']}"}), auth)

    assert by_id.content == b"%PDF second"
    assert by_rev.content == b"%PDF first"
    assert json.loads(by_rev.headers["Dropbox-API-Result"])["rev"] == first["rev"]


def test_download_arg_with_unicode_escapes(dropbox_emulator: DropboxEmulator) -> None:
    dropbox_emulator.put_file("/Factures/Reçu été.pdf", PDF)
    auth = headers(dropbox_emulator)
    escaped = json.dumps({"path": "/Factures/Reçu été.pdf"}, ensure_ascii=True)

    ok = download(dropbox_emulator, escaped, auth)
    raw = requests.post(
        dropbox_emulator.url("/2/files/download"),
        headers={**auth, "Dropbox-API-Arg": '{"path": "/Factures/Reçu été.pdf"}'.encode()},
        timeout=5,
    )

    assert escaped == '{"path": "/Factures/Re\\u00e7u \\u00e9t\\u00e9.pdf"}'
    assert ok.status_code == 200
    assert json.loads(ok.headers["Dropbox-API-Result"])["name"] == "Reçu été.pdf"
    assert ok.headers["Dropbox-API-Result"].isascii()
    assert raw.status_code == 400


def test_download_with_get_and_arg_parameter(dropbox_emulator: DropboxEmulator) -> None:
    dropbox_emulator.put_file("/a.pdf", PDF)

    response = requests.get(
        dropbox_emulator.url("/2/files/download"),
        params={"arg": '{"path": "/a.pdf"}'},
        headers=headers(dropbox_emulator),
        timeout=5,
    )

    assert response.content == PDF


def test_download_range(dropbox_emulator: DropboxEmulator) -> None:
    dropbox_emulator.put_file("/a.pdf", b"0123456789")

    response = download(
        dropbox_emulator, '{"path": "/a.pdf"}', headers(dropbox_emulator), Range="bytes=2-5"
    )

    assert response.status_code == 206
    assert response.content == b"2345"
    assert response.headers["Content-Range"] == "bytes 2-5/10"


@pytest.mark.parametrize(
    ("arg", "tag", "case"),
    [
        ('{"path": "/missing.pdf"}', "not_found", "missing"),
        ('{"path": "/Invoices"}', "not_file", "folder"),
    ],
)
def test_download_path_errors_are_409(
    dropbox_emulator: DropboxEmulator, arg: str, tag: str, case: str
) -> None:
    dropbox_emulator.create_folder("/Invoices")

    response = download(dropbox_emulator, arg, headers(dropbox_emulator))

    assert response.status_code == 409
    assert response.json() == {
        "error_summary": f"path/{tag}/..",
        "error": {".tag": "path", "path": {".tag": tag}},
    }


def test_download_refuses_a_form_content_type(dropbox_emulator: DropboxEmulator) -> None:
    dropbox_emulator.put_file("/a.pdf", PDF)

    response = download(
        dropbox_emulator,
        '{"path": "/a.pdf"}',
        headers(dropbox_emulator),
        **{"Content-Type": "application/x-www-form-urlencoded"},
    )

    assert response.status_code == 400
    assert "Expecting one of" in response.text


# --- rate limits and server errors ---------------------------------------------------------------


def test_429_json_carries_retry_after_in_body_and_header(dropbox_emulator: DropboxEmulator) -> None:
    dropbox_emulator.inject_fault("/2/files/list_folder", {"status": 429, "retry_after": 7})

    response = rpc(dropbox_emulator, "files/list_folder", {"path": ""}, headers(dropbox_emulator))

    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"
    assert response.json() == {
        "error_summary": "too_many_requests/..",
        "error": {"reason": {".tag": "too_many_requests"}, "retry_after": 7},
    }


def test_429_plain_text_variant(dropbox_emulator: DropboxEmulator) -> None:
    dropbox_emulator.inject_fault(
        "/2/files/list_folder", {"status": 429, "retry_after": 3, "plain_text": True}
    )

    response = rpc(dropbox_emulator, "files/list_folder", {"path": ""}, headers(dropbox_emulator))

    assert response.status_code == 429
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.headers["Retry-After"] == "3"
    assert response.text == "Too Many Requests"


@pytest.mark.parametrize(
    ("status", "text"), [(500, "Internal Server Error"), (503, "Service Unavailable")]
)
def test_5xx_are_plain_text(dropbox_emulator: DropboxEmulator, status: int, text: str) -> None:
    dropbox_emulator.inject_fault("/2/files/download", {"status": status})

    response = download(dropbox_emulator, '{"path": "/a.pdf"}', headers(dropbox_emulator))

    assert response.status_code == status
    assert response.text == text


def test_injected_401_uses_the_requested_tag(dropbox_emulator: DropboxEmulator) -> None:
    dropbox_emulator.inject_fault(
        "/2/files/list_folder/continue", {"status": 401, "error": "expired_access_token"}
    )

    response = rpc(
        dropbox_emulator, "files/list_folder/continue", {"cursor": "x"}, headers(dropbox_emulator)
    )

    assert response.json() == {
        "error_summary": "expired_access_token/...",
        "error": {".tag": "expired_access_token"},
    }


def test_wrong_shape_download_mangles_the_result_header(dropbox_emulator: DropboxEmulator) -> None:
    dropbox_emulator.put_file("/a.pdf", PDF)
    dropbox_emulator.inject_fault("/2/files/download", {"malformed": "wrong_shape"})

    response = download(dropbox_emulator, '{"path": "/a.pdf"}', headers(dropbox_emulator))

    assert response.content == PDF
    assert list(json.loads(response.headers["Dropbox-API-Result"])) == ["result"]


def test_schema_error_as_a_route_error_union(dropbox_emulator: DropboxEmulator) -> None:
    dropbox_emulator.inject_fault(
        "/2/files/list_folder",
        {"schema_error": {"error": {".tag": "path", "path": {".tag": "malformed_path"}}}},
    )

    response = rpc(dropbox_emulator, "files/list_folder", {"path": ""}, headers(dropbox_emulator))

    assert response.status_code == 409
    assert response.json() == {
        "error_summary": "path/malformed_path/..",
        "error": {".tag": "path", "path": {".tag": "malformed_path"}},
    }


def test_control_api_puts_moves_and_deletes_files(dropbox_emulator: DropboxEmulator) -> None:
    put = requests.post(
        dropbox_emulator.url("/_sandbox/files"),
        json={"path": "/a.pdf", "text": "%PDF hi"},
        timeout=5,
    )
    moved = requests.post(
        dropbox_emulator.url("/_sandbox/files/move"),
        json={"from": "/a.pdf", "to": "/b/c.pdf"},
        timeout=5,
    )
    deleted = requests.post(
        dropbox_emulator.url("/_sandbox/files/delete"), json={"path": "/b"}, timeout=5
    )

    assert put.json()["content_hash"] == content_hash(b"%PDF hi")
    assert moved.json()["path_display"] == "/b/c.pdf"
    assert moved.json()["id"] == put.json()["id"]
    assert deleted.json() == {
        ".tag": "deleted",
        "name": "b",
        "path_lower": "/b",
        "path_display": "/b",
    }
    assert dropbox_emulator.files.snapshot()["entries"] == []
