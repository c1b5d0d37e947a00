"""Polling a watched folder against the Dropbox and Apideck emulators over real HTTP."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.utils import timezone

from connectors.sandbox import DropboxEmulator
from connectors.sandbox import Sandbox
from reconciliation.intake.folder_polls import SyncNotAllowedError
from reconciliation.intake.folder_polls import is_due
from reconciliation.intake.folder_polls import next_sync_allowed_at
from reconciliation.intake.folder_polls import sync_file_connection
from reconciliation.models import Connection
from reconciliation.models import ConnectionStatus
from reconciliation.models import Document
from reconciliation.models import DocumentStatus
from reconciliation.models import Provider
from reconciliation.models import SyncKind
from reconciliation.models import SyncRun
from reconciliation.models import SyncStatus
from reconciliation.models import Workspace
from tests.factories import make_sync_run
from tests.helpers import logged_in_client

pytestmark = pytest.mark.django_db

Connect = Callable[..., Connection]


def _pdf(label: str) -> bytes:
    return b"%PDF-1.4\n% " + label.encode() + b"\n" + b"0" * 200 + b"\n%%EOF\n"


@pytest.fixture
def dropbox(
    workspace: Workspace, sandbox_settings: Sandbox, connect_with_emulator_tokens: Connect
) -> Connection:
    return connect_with_emulator_tokens(
        workspace, Provider.DROPBOX, sandbox_settings.dropbox, watched_folder="/Invoices"
    )


def _names(workspace: Workspace, status: str | None = None) -> list[str]:
    documents = Document.objects.for_workspace(workspace)
    if status:
        documents = documents.filter(status=status)
    return sorted(documents.values_list("original_name", flat=True))


def test_first_poll_stores_every_pdf_once(
    workspace: Workspace, dropbox: Connection, dropbox_emulator: DropboxEmulator
) -> None:
    dropbox_emulator.put_file("/Invoices/a.pdf", _pdf("a"))
    dropbox_emulator.put_file("/Invoices/2026/b.PDF", _pdf("b"))
    dropbox_emulator.put_file("/Elsewhere/c.pdf", _pdf("c"))
    result = sync_file_connection(connection_id=dropbox.pk)
    assert (result.status, result.files_seen, result.files_new, result.error) == (
        SyncStatus.SUCCEEDED,
        2,
        2,
        "",
    )
    assert _names(workspace, DocumentStatus.NEW) == ["a.pdf", "b.PDF"]
    document = Document.objects.get(original_name="a.pdf")
    assert document.file.read() == _pdf("a")
    assert document.source_path == "/Invoices/a.pdf"
    run = SyncRun.objects.get(pk=result.sync_run_id)
    assert (run.kind, run.status, run.files_new, run.trigger) == (
        SyncKind.FILES,
        SyncStatus.SUCCEEDED,
        2,
        "schedule",
    )
    dropbox.refresh_from_db()
    assert dropbox.cursor
    assert dropbox.last_success_at is not None
    assert dropbox.sync_lease_until is None


def _reset_cursors(dropbox: Connection, emulator: DropboxEmulator) -> None:
    emulator.reset_cursors()


def _lose_the_saved_cursor(dropbox: Connection, emulator: DropboxEmulator) -> None:
    # As if the worker died after storing the page but before saving the cursor after it.
    Connection.objects.filter(pk=dropbox.pk).update(cursor="")


@pytest.mark.parametrize(
    ("between_polls", "seen_new_skipped", "cursor_reset"),
    [
        pytest.param(None, (1, 1, 0), None, id="next_poll_reads_only_changes"),
        pytest.param(_reset_cursors, (2, 1, 1), True, id="cursor_reset_relists_without_duplicates"),
        pytest.param(
            _lose_the_saved_cursor,
            (2, 1, 1),
            None,
            id="crash_after_storing_a_page_rereads_it_without_duplicates",
        ),
    ],
)
def test_a_second_poll_stores_only_the_new_file(
    workspace: Workspace,
    dropbox: Connection,
    dropbox_emulator: DropboxEmulator,
    between_polls: Callable[[Connection, DropboxEmulator], None] | None,
    seen_new_skipped: tuple[int, int, int],
    cursor_reset: bool | None,
) -> None:
    dropbox_emulator.put_file("/Invoices/a.pdf", _pdf("a"))
    sync_file_connection(connection_id=dropbox.pk)
    if between_polls is not None:
        between_polls(dropbox, dropbox_emulator)
    dropbox_emulator.put_file("/Invoices/b.pdf", _pdf("b"))

    result = sync_file_connection(connection_id=dropbox.pk)

    assert (result.files_seen, result.files_new, result.files_skipped) == seen_new_skipped
    details = SyncRun.objects.get(pk=result.sync_run_id).details
    assert details.get("cursor_reset") is cursor_reset
    assert _names(workspace) == ["a.pdf", "b.pdf"]


def test_same_content_under_another_name_is_a_duplicate(
    workspace: Workspace, dropbox: Connection, dropbox_emulator: DropboxEmulator
) -> None:
    dropbox_emulator.put_file("/Invoices/a.pdf", _pdf("a"))
    dropbox_emulator.put_file("/Invoices/copy of a.pdf", _pdf("a"))
    result = sync_file_connection(connection_id=dropbox.pk)
    assert (result.files_new, result.files_duplicate) == (1, 1)
    original = Document.objects.get(status=DocumentStatus.NEW)
    copy = Document.objects.get(status=DocumentStatus.DUPLICATE)
    assert copy.duplicate_of == original
    assert "identical content" in copy.status_reason


def test_non_pdf_and_oversized_files_are_recorded_as_ignored(
    workspace: Workspace, dropbox: Connection, dropbox_emulator: DropboxEmulator, settings: object
) -> None:
    settings.WELL_MAX_FILE_MB = 1  # type: ignore[attr-defined]
    dropbox_emulator.put_file("/Invoices/notes.docx", b"PK\x03\x04 not a pdf")
    dropbox_emulator.put_file("/Invoices/huge.pdf", b"%PDF-1.4\n" + b"0" * (1024 * 1024 + 10))
    result = sync_file_connection(connection_id=dropbox.pk)
    assert (result.files_new, result.files_skipped) == (0, 2)
    reasons = dict(
        Document.objects.filter(status=DocumentStatus.IGNORED).values_list(
            "original_name", "status_reason"
        )
    )
    assert reasons == {
        "notes.docx": "Not a PDF: Well only reads PDF documents.",
        "huge.pdf": "The file is 1.0 MB; the limit is 1 MB.",
    }


def test_rate_limit_mid_listing_keeps_what_was_stored(
    workspace: Workspace, dropbox: Connection, dropbox_emulator: DropboxEmulator, settings: object
) -> None:
    settings.WELL_DROPBOX_PAGE_SIZE = 2  # type: ignore[attr-defined]
    for n in range(5):
        dropbox_emulator.put_file(f"/Invoices/{n}.pdf", _pdf(str(n)))
    dropbox_emulator.inject_fault(
        "/2/files/list_folder/continue", {"status": 429, "retry_after": 0}, count=50
    )
    interrupted = sync_file_connection(connection_id=dropbox.pk)
    assert interrupted.status == SyncStatus.PARTIAL
    assert "unavailable" in interrupted.error
    assert 0 < interrupted.files_new == Document.objects.count() < 5
    dropbox.refresh_from_db()
    first_page_cursor = dropbox.cursor
    assert first_page_cursor
    dropbox_emulator.clear_faults()
    resumed = sync_file_connection(connection_id=dropbox.pk)
    assert resumed.error == ""
    assert interrupted.files_new + resumed.files_new == 5
    assert _names(workspace) == [f"{n}.pdf" for n in range(5)]


def test_hourly_cap_says_when_the_next_sync_is_allowed(
    workspace: Workspace, dropbox: Connection
) -> None:
    now = timezone.now()
    for minutes in (50, 40, 30, 20):
        make_sync_run(workspace, dropbox, minutes_ago=minutes, status=SyncStatus.SUCCEEDED)
    expected = now - timedelta(minutes=50) + timedelta(hours=1)
    assert abs((next_sync_allowed_at(dropbox, now) - expected).total_seconds()) < 1
    assert is_due(dropbox, now) is False
    with pytest.raises(SyncNotAllowedError, match="next sync is allowed at"):
        sync_file_connection(connection_id=dropbox.pk, trigger="manual")


def test_revoked_dropbox_stops_the_connection(
    workspace: Workspace, dropbox: Connection, sandbox_settings: Sandbox
) -> None:
    sandbox_settings.dropbox.revoke_all_tokens()
    result = sync_file_connection(connection_id=dropbox.pk)
    assert result.status == SyncStatus.FAILED
    assert "refused the authorisation" in result.error
    dropbox.refresh_from_db()
    assert dropbox.status == ConnectionStatus.NEEDS_REAUTH


def test_apideck_poll_lists_the_folder_and_skips_known_files(
    workspace: Workspace, sandbox_settings: Sandbox
) -> None:
    from reconciliation.connections.tokens import apideck_consumer_id
    from tests.factories import make_connection

    emulator = sandbox_settings.dropbox  # Apideck reads the Dropbox emulator's files
    emulator.put_file("/Invoices/a.pdf", _pdf("a"))
    emulator.put_file("/Invoices/sub/b.pdf", _pdf("b"))
    connection = make_connection(
        workspace,
        Provider.APIDECK,
        consumer_id=apideck_consumer_id(workspace.pk),
        watched_folder="root",
    )
    sandbox_settings.apideck.connect(apideck_consumer_id(workspace.pk))
    first = sync_file_connection(connection_id=connection.pk)
    assert (first.error, first.files_new) == ("", 2)
    second = sync_file_connection(connection_id=connection.pk)
    assert (second.files_seen, second.files_new, second.files_skipped) == (2, 0, 2)


def test_sync_now_action_queues_or_says_when(
    workspace: Workspace,
    dropbox: Connection,
    sandbox_settings: Sandbox,
    django_capture_on_commit_callbacks: object,
) -> None:
    from django.urls import reverse

    from reconciliation.models import Role
    from tests.factories import make_user

    sandbox_settings.dropbox.put_file("/Invoices/a.pdf", _pdf("a"))
    user = make_user("ops", workspace=workspace, role=Role.ADMIN)
    client = logged_in_client(user)
    url = reverse("admin:reconciliation_connection_changelist")
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        first = client.post(
            url, {"action": "sync_now", "_selected_action": [dropbox.pk]}, follow=True
        )
    assert b"sync queued" in first.content
    assert _names(workspace) == ["a.pdf"]
    for _ in range(3):
        make_sync_run(workspace, dropbox, status=SyncStatus.SUCCEEDED)
    refused = client.post(
        url, {"action": "sync_now", "_selected_action": [dropbox.pk]}, follow=True
    )
    assert b"the next sync is allowed at" in refused.content
