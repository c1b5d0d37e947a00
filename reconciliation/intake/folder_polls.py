"""Poll a watched folder: list what changed with the provider's cursor, download, deduplicate,
store Documents and queue their parsing.

Nothing is lost and nothing is stored twice:
- a page's documents and the cursor after it are committed together, so a crash re-reads the
  page (and the unique key (workspace, file id, content hash) absorbs the repeat);
- a cursor reset re-lists from scratch with the same protection;
- every file that is not stored (not a PDF, too big) still gets a Document row saying why.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError
from django.db import transaction
from django.utils import timezone

from connectors.apideck import ApideckClient
from connectors.apideck import InvalidCursorError
from connectors.dropbox import CursorResetError
from connectors.dropbox import DropboxClient
from connectors.dropbox import ListFolderResult
from connectors.dropbox.schemas import FileMetadata
from connectors.errors import AuthError
from connectors.errors import ConnectorError
from connectors.errors import NotFoundError
from connectors.errors import PermanentError
from connectors.errors import TransientError
from reconciliation.connections.tokens import ConnectionUnavailableError
from reconciliation.connections.tokens import apideck_client_for
from reconciliation.connections.tokens import dropbox_client_for
from reconciliation.connections.tokens import mark_needs_reauth
from reconciliation.intake.claims import SYNCABLE
from reconciliation.intake.claims import claim_sync
from reconciliation.intake.claims import why_sync_stopped
from reconciliation.models import Connection
from reconciliation.models import ConnectionStatus
from reconciliation.models import Document
from reconciliation.models import DocumentStatus
from reconciliation.models import Provider
from reconciliation.models import SyncKind
from reconciliation.models import SyncRun
from reconciliation.models import SyncStatus
from reconciliation.models.audit import SyncTrigger
from reconciliation.models.document import document_upload_to
from reconciliation.queue import enqueue

logger = logging.getLogger(__name__)

SYNC_LEASE = timedelta(minutes=30)
PDF_MIME_TYPES = frozenset({"application/pdf", "application/x-pdf"})


@dataclass
class SyncResult:
    connection_id: int
    status: str
    sync_run_id: int | None = None
    files_seen: int = 0
    files_new: int = 0
    files_duplicate: int = 0
    files_skipped: int = 0
    files_failed: int = 0
    error: str = ""
    next_allowed_at: datetime | None = None
    new_document_ids: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class RemoteFile:
    """A file as a listing describes it, whatever the provider."""

    file_id: str
    name: str
    path: str
    revision: str
    size: int | None
    mime_type: str | None
    content_hash: str | None  # the provider's own hash, when it has one


class SyncNotAllowedError(Exception):
    def __init__(self, message: str, next_allowed_at: datetime | None) -> None:
        super().__init__(message)
        self.next_allowed_at = next_allowed_at


# --- scheduling rules -----
def syncs_in_last_hour(connection: Connection, now: datetime) -> list[datetime]:
    return list(
        SyncRun.objects.filter(
            connection=connection, kind=SyncKind.FILES, started_at__gt=now - timedelta(hours=1)
        ).values_list("started_at", flat=True)
    )


def next_sync_allowed_at(connection: Connection, now: datetime | None = None) -> datetime:
    """The per-hour cap: never more than `max_syncs_per_hour` polls in any rolling hour."""
    now = now or timezone.now()
    recent = sorted(syncs_in_last_hour(connection, now))
    cap = connection.workspace.max_syncs_per_hour
    if len(recent) < cap:
        return now
    return recent[len(recent) - cap] + timedelta(hours=1)


def is_due(connection: Connection, now: datetime | None = None) -> bool:
    """Due when the workspace's poll interval has passed and the hourly cap allows a sync."""
    now = now or timezone.now()
    return poll_is_due(
        last_started=connection.last_sync_started_at,
        interval_minutes=connection.workspace.poll_interval_minutes,
        syncs_last_hour=len(syncs_in_last_hour(connection, now)),
        cap=connection.workspace.max_syncs_per_hour,
        now=now,
    )


def poll_is_due(
    *,
    last_started: datetime | None,
    interval_minutes: int,
    syncs_last_hour: int,
    cap: int,
    now: datetime,
) -> bool:
    """The polling rule itself: the interval has passed and fewer than `cap` polls started in
    the rolling hour (with `cap` of them, the oldest is less than an hour old, so the next
    allowed start is still ahead)."""
    if last_started and last_started + timedelta(minutes=interval_minutes) > now:
        return False
    return syncs_last_hour < cap


@dataclass(frozen=True)
class SyncRequest:
    queued: bool
    message: str
    level: int  # a django.contrib.messages level


def request_sync(*, connection: Connection, now: datetime | None = None) -> SyncRequest:
    """ "Sync now" from the admin: queued unless the hourly cap says wait (and until when)."""
    from django.contrib import messages

    now = now or timezone.now()
    if connection.provider not in (Provider.DROPBOX, Provider.APIDECK):
        recent = SyncRun.objects.filter(
            workspace_id=connection.workspace_id,
            kind=SyncKind.POSTING,
            started_at__gt=now - timedelta(hours=1),
        ).count()
        if recent >= connection.workspace.max_syncs_per_hour:
            return SyncRequest(
                False,
                f"the posting window already closed {recent} times in the last hour; "
                "the scheduler runs the next one.",
                messages.WARNING,
            )
        enqueue("reconciliation.tasks.close_window", connection.workspace_id, SyncTrigger.MANUAL)
        return SyncRequest(True, "transactions, matching and posting queued.", messages.SUCCESS)
    if connection.status not in SYNCABLE:
        return SyncRequest(
            False,
            f"not synced: the connection is {connection.get_status_display().lower()}.",
            messages.WARNING,
        )
    allowed_at = next_sync_allowed_at(connection, now)
    if allowed_at > now:
        local = timezone.localtime(allowed_at)
        return SyncRequest(
            False,
            f"already synced {connection.workspace.max_syncs_per_hour} times in the last hour; "
            f"the next sync is allowed at {local:%H:%M}.",
            messages.WARNING,
        )
    enqueue("reconciliation.tasks.sync_file_connection", connection.pk, SyncTrigger.MANUAL)
    return SyncRequest(
        True, "sync queued; new documents appear as they are read.", messages.SUCCESS
    )


# --- the poll -----
def sync_file_connection(*, connection_id: int, trigger: str = SyncTrigger.SCHEDULE) -> SyncResult:
    """One poll of a Dropbox or Apideck folder. Safe to call twice: the second call finds the
    lease taken (or the cap reached) and does nothing."""
    now = timezone.now()
    connection = Connection.objects.select_related("workspace").get(pk=connection_id)
    if not connection.is_file_source:
        raise ValueError(f"{connection} is not a file source")
    if connection.status not in SYNCABLE:
        return SyncResult(connection_id, "skipped", error=f"{connection} is not active.")
    allowed_at = next_sync_allowed_at(connection, now)
    if allowed_at > now:
        raise SyncNotAllowedError(
            f"{connection.workspace} already synced {connection.workspace.max_syncs_per_hour} "
            f"times in the last hour; the next sync is allowed at {allowed_at:%H:%M} UTC.",
            allowed_at,
        )
    run = claim_sync(connection, kind=SyncKind.FILES, trigger=trigger, lease=SYNC_LEASE, now=now)
    if run is None:
        return SyncResult(connection_id, "skipped", error="A sync of this folder is running.")
    result = SyncResult(connection_id, "running", sync_run_id=run.pk)
    try:
        if connection.provider == Provider.DROPBOX:
            _poll_dropbox(connection, run, result)
        else:
            _poll_apideck(connection, run, result)
    except (ConnectorError, ConnectionUnavailableError) as error:
        result.error = why_sync_stopped(error, "The provider", "the next poll")
        if isinstance(error, AuthError):
            mark_needs_reauth(connection_id, result.error)
        elif isinstance(error, ConnectorError) and not isinstance(error, TransientError):
            failing = isinstance(error, PermanentError)
            _record_connection_error(connection_id, result.error, failing=failing)
    _finish(connection_id, run, result)
    return result


def _finish(connection_id: int, run: SyncRun, result: SyncResult) -> None:
    if result.error:
        status = SyncStatus.PARTIAL if result.files_new else SyncStatus.FAILED
    else:
        status = SyncStatus.PARTIAL if result.files_failed else SyncStatus.SUCCEEDED
    result.status = status
    for name in ("files_seen", "files_new", "files_duplicate", "files_skipped", "files_failed"):
        setattr(run, name, getattr(result, name))
    run.finish(status, result.error)
    run.save()
    now = timezone.now()
    values: dict[str, object] = {"sync_lease_until": None, "last_sync_at": now}
    if not result.error:
        values["last_success_at"] = now
        values["last_error"] = ""
        values["last_error_at"] = None
    Connection.objects.filter(pk=connection_id).update(**values)
    if not result.error:
        Connection.objects.filter(pk=connection_id, status=ConnectionStatus.ERROR).update(
            status=ConnectionStatus.ACTIVE
        )
    workspace_id = run.workspace_id
    if not result.new_document_ids:
        # Nothing to parse: the window can close as soon as this commits.
        enqueue("reconciliation.tasks.close_window", workspace_id)


def _record_connection_error(connection_id: int, reason: str, *, failing: bool) -> None:
    with transaction.atomic():
        connection = Connection.objects.select_for_update().get(pk=connection_id)
        if failing and connection.status == ConnectionStatus.ACTIVE:
            connection.mark_as_failing(reason)
        else:
            connection.record_error(reason)
        connection.save()


# --- Dropbox -----
def _poll_dropbox(connection: Connection, run: SyncRun, result: SyncResult) -> None:
    client = dropbox_client_for(connection)
    cursor = connection.cursor
    if cursor:
        try:
            page = client.list_folder_continue(cursor)
        except CursorResetError:
            run.details["cursor_reset"] = True
            logger.info("dropbox cursor of connection %s was reset; relisting", connection.pk)
            page = _list_dropbox(client, connection.watched_folder)
    else:
        page = _list_dropbox(client, connection.watched_folder)
    while True:
        files = [
            _dropbox_remote(entry)
            for entry in page.entries
            if isinstance(entry, FileMetadata) and entry.is_downloadable
        ]
        _store_page(connection, run, result, files, lambda f: _download_dropbox(client, f))
        _save_cursor(connection.pk, page.cursor)
        if not page.has_more:
            return
        page = client.list_folder_continue(page.cursor)


def _list_dropbox(client: DropboxClient, folder: str) -> ListFolderResult:
    page_size = settings.WELL_DROPBOX_PAGE_SIZE
    return client.list_folder(folder, recursive=True, limit=page_size or None)


def _dropbox_remote(entry: FileMetadata) -> RemoteFile:
    return RemoteFile(
        file_id=entry.id,
        name=entry.name,
        path=entry.path_display or entry.path_lower or entry.name,
        revision=entry.rev,
        size=entry.size,
        mime_type=None,
        content_hash=entry.content_hash,
    )


def _download_dropbox(client: DropboxClient, remote: RemoteFile) -> bytes:
    downloaded = client.download(
        f"rev:{remote.revision}",
        expected_content_hash=remote.content_hash,
        max_bytes=max_file_bytes(),
    )
    return downloaded.content


def _save_cursor(connection_id: int, cursor: str) -> None:
    Connection.objects.filter(pk=connection_id).update(cursor=cursor)


# --- Apideck -----
def _poll_apideck(connection: Connection, run: SyncRun, result: SyncResult) -> None:
    """Apideck has no change feed: every poll lists the folder; known revisions are skipped
    without a download. Page cursors are never kept between polls."""
    client = apideck_client_for(connection)
    for attempt in range(2):
        try:
            files = list(_apideck_files(client, connection.consumer_id, connection.watched_folder))
            break
        except InvalidCursorError:
            if attempt:
                raise
            run.details["cursor_reset"] = True
    _store_page(
        connection,
        run,
        result,
        files,
        lambda f: (
            client.download(connection.consumer_id, f.file_id, max_bytes=max_file_bytes()).content
        ),
    )


def _apideck_files(client: ApideckClient, consumer_id: str, folder_id: str) -> Iterator[RemoteFile]:
    folders = [folder_id or "root"]
    seen_folders: set[str] = set()
    while folders:
        current = folders.pop()
        if current in seen_folders:
            continue
        seen_folders.add(current)
        for item in client.iter_files(consumer_id, current):
            if item.is_folder:
                folders.append(item.id)
            elif item.is_file and item.downloadable is not False:
                yield RemoteFile(
                    file_id=item.id,
                    name=item.name,
                    path=item.path or item.name,
                    revision=(item.updated_at.isoformat() if item.updated_at else "")
                    + f"/{item.size}",
                    size=item.size,
                    mime_type=item.mime_type,
                    content_hash=None,
                )


# --- storing -----
def max_file_bytes() -> int:
    return int(settings.WELL_MAX_FILE_MB) * 1024 * 1024


def _is_pdf_name(remote: RemoteFile) -> bool:
    if remote.mime_type and remote.mime_type.lower() in PDF_MIME_TYPES:
        return True
    return remote.name.lower().endswith(".pdf")


def _store_page(
    connection: Connection,
    run: SyncRun,
    result: SyncResult,
    files: list[RemoteFile],
    download: Callable[[RemoteFile], bytes],
) -> None:
    """Download and store one page of files. Per-file problems are recorded and counted; a
    transient provider error aborts the page so its cursor is not saved (the next poll re-reads)."""
    for remote in files:
        result.files_seen += 1
        known = Document.objects.filter(
            workspace_id=connection.workspace_id,
            source_file_id=remote.file_id,
            source_revision=remote.revision,
        ).exists()
        if known:
            result.files_skipped += 1
            continue
        if not _is_pdf_name(remote):
            _record_ignored(connection, remote, "Not a PDF: Well only reads PDF documents.")
            result.files_skipped += 1
            continue
        if remote.size is not None and remote.size > max_file_bytes():
            _record_ignored(
                connection,
                remote,
                f"The file is {remote.size / 1024 / 1024:.1f} MB; the limit is "
                f"{settings.WELL_MAX_FILE_MB} MB.",
            )
            result.files_skipped += 1
            continue
        try:
            content = download(remote)
        except NotFoundError:
            result.files_skipped += 1  # deleted or moved since the listing; the next poll sees it
            continue
        except (TransientError, AuthError):
            raise
        except ConnectorError as error:
            result.files_failed += 1
            run.details.setdefault("file_errors", []).append(f"{remote.path}: {error}")
            continue
        outcome = store_document(connection=connection, remote=remote, content=content)
        if outcome.created and outcome.document.status == DocumentStatus.NEW:
            result.files_new += 1
            result.new_document_ids.append(outcome.document.pk)
        elif outcome.created:
            result.files_duplicate += 1
        else:
            result.files_skipped += 1


@dataclass(frozen=True)
class StoreOutcome:
    document: Document
    created: bool


def store_document(*, connection: Connection, remote: RemoteFile, content: bytes) -> StoreOutcome:
    """Store one downloaded file. The same bytes under the same file id are one Document; the
    same bytes under another id become a `duplicate` Document pointing at the first."""
    content_hash = hashlib.sha256(content).hexdigest()
    workspace_id = connection.workspace_id
    existing = Document.objects.filter(
        workspace_id=workspace_id, source_file_id=remote.file_id, content_hash=content_hash
    ).first()
    if existing is not None:
        return StoreOutcome(existing, created=False)
    original = (
        Document.objects.filter(workspace_id=workspace_id, content_hash=content_hash)
        .exclude(status=DocumentStatus.DUPLICATE)
        .order_by("pk")
        .first()
    )
    document = Document(
        workspace_id=workspace_id,
        connection=connection,
        source_file_id=remote.file_id,
        source_path=remote.path[:1000],
        source_revision=remote.revision[:200],
        original_name=remote.name[:500],
        content_hash=content_hash,
        size=len(content),
        mime_type="application/pdf",
    )
    stored_name = default_storage.save(
        document_upload_to(document, remote.name), ContentFile(content)
    )
    document.file.name = stored_name
    if original is not None:
        document.mark_as_duplicate_of(
            original,
            f"Same file as “{original.original_name}” (identical content); not read twice.",
        )
    try:
        with transaction.atomic():
            document.save()
            if document.status == DocumentStatus.NEW:
                enqueue("reconciliation.tasks.parse_document", document.pk)
    except IntegrityError:
        # Another worker stored the same file a moment ago: theirs is the document.
        winner = Document.objects.get(
            workspace_id=workspace_id, source_file_id=remote.file_id, content_hash=content_hash
        )
        return StoreOutcome(winner, created=False)
    return StoreOutcome(document, created=True)


def _record_ignored(connection: Connection, remote: RemoteFile, reason: str) -> None:
    """A file Well will not read still leaves a visible trace (one row per file id)."""
    Document.objects.update_or_create(
        workspace_id=connection.workspace_id,
        source_file_id=remote.file_id,
        content_hash="",
        defaults={
            "connection": connection,
            "source_path": remote.path[:1000],
            "source_revision": remote.revision[:200],
            "original_name": remote.name[:500],
            "size": remote.size or 0,
            "mime_type": (remote.mime_type or "")[:100],
            "status": DocumentStatus.IGNORED,
            "status_reason": reason,
        },
    )


def expire_stale_runs(
    *,
    kinds: tuple[SyncKind, ...] = (SyncKind.FILES, SyncKind.TRANSACTIONS),
    older_than: timedelta = SYNC_LEASE,
    reason: str = "The worker stopped before the sync finished.",
) -> int:
    """Runs whose worker died stay 'running' forever otherwise; close them as failed."""
    cutoff = timezone.now() - older_than
    stale = list(
        SyncRun.objects.filter(kind__in=kinds, status=SyncStatus.RUNNING, started_at__lt=cutoff)
    )
    for run in stale:
        run.finish(SyncStatus.FAILED, reason)
        run.save(update_fields=["status", "error", "finished_at"])
    return len(stale)
