"""Read a stored Document: classify it, extract its fields (in an isolated child process), and
turn supplier invoices into Invoices that are enriched, scored and routed.

A hostile PDF ends as a `failed` Document with a sentence saying why; the worker goes on.
"""

from __future__ import annotations

import logging
import tempfile
import time
from dataclasses import dataclass
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.db.models import Q
from django.utils import timezone

from reconciliation.extraction.isolation import ExtractionFailure
from reconciliation.extraction.isolation import Limits
from reconciliation.extraction.isolation import extract_isolated
from reconciliation.extraction.types import Extraction
from reconciliation.invoices.creation import create_invoice_from
from reconciliation.models import Document
from reconciliation.models import DocumentKind
from reconciliation.models import DocumentStatus
from reconciliation.queue import broker_is_empty
from reconciliation.queue import enqueue
from reconciliation.vendors.identity import OwnNames

logger = logging.getLogger(__name__)

PARSE_LEASE = timedelta(minutes=5)
MAX_PARSE_ATTEMPTS = 3
#: A reader serves one workspace at a time (extraction/isolation.py) and starting one costs more
#: than reading most PDFs: after its own document, a parse task reads its workspace's next waiting
#: documents with the same reader, up to this many, starting none after this many seconds.
READ_ON_DOCUMENTS = 25
READ_ON_SECONDS = 20.0
#: Time a read document's storing may take (rows, files), kept back from the task's timeout.
_STORE_SECONDS = 10


@dataclass(frozen=True)
class ParseResult:
    document_id: int
    outcome: str  # parsed | failed | duplicate | skipped
    kind: str = ""
    invoice_id: int | None = None
    reason: str = ""
    seconds: float = 0.0  # time spent reading and storing it


def limits_from_settings() -> Limits:
    return Limits(
        memory_mb=settings.WELL_PARSE_MEMORY_MB,
        cpu_seconds=settings.WELL_PARSE_CPU_SECONDS,
        wall_seconds=settings.WELL_PARSE_WALL_SECONDS,
        max_pages=settings.WELL_PARSE_MAX_PAGES,
        max_bytes=settings.WELL_MAX_FILE_MB * 1024 * 1024,
    )


def parse_document(*, document_id: int) -> ParseResult:
    """Idempotent: only a `new` document (or one whose parse lease expired) is read."""
    if not _claim(document_id):
        return ParseResult(document_id, "skipped", reason="already read or being read")
    started = time.perf_counter()
    return replace(_parse_claimed(document_id), seconds=time.perf_counter() - started)


def read_on(
    *,
    workspace_id: int,
    documents: int = READ_ON_DOCUMENTS,
    seconds: float = READ_ON_SECONDS,
) -> list[ParseResult]:
    """Read the workspace's waiting (`new`) documents, oldest first, with this worker's reader.

    Each is claimed exactly as its own queued task would claim it, so a document another worker
    took meanwhile is left to it, and the task queued for a document read here finds it read."""
    results: list[ParseResult] = []
    deadline = time.monotonic() + min(seconds, read_on_budget())
    while len(results) < documents and time.monotonic() < deadline:
        document_id = (
            Document.objects.filter(workspace_id=workspace_id, status=DocumentStatus.NEW)
            .order_by("pk")
            .values_list("pk", flat=True)
            .first()
        )
        if document_id is None:
            break
        results.append(parse_document(document_id=document_id))
    return results


def read_on_budget() -> float:
    """Seconds a parse task may spend starting more documents after its own: the task must end
    before the task cluster's timeout kills its worker, and by then it may have read its own
    document and one last one (each up to the reader's wall time), then stored them."""
    timeout = settings.Q_CLUSTER.get("timeout")
    if not timeout:
        return READ_ON_SECONDS  # no timeout: nothing kills the worker
    margin = 2 * int(settings.WELL_PARSE_WALL_SECONDS) + _STORE_SECONDS
    return max(0.0, float(timeout) - margin)


def _parse_claimed(document_id: int) -> ParseResult:
    document = Document.objects.select_related("workspace").get(pk=document_id)
    result = _read(document)
    if isinstance(result, ExtractionFailure):
        with transaction.atomic():
            document.mark_as_failed(result.code, result.reason)
            document.parse_lease_until = None
            document.save()
        logger.info("document %s unreadable (%s): %s", document_id, result.code, result.detail)
        outcome = ParseResult(document_id, "failed", reason=result.reason)
    else:
        outcome = _store(document, result)
    return outcome


def _claim(document_id: int) -> bool:
    now = timezone.now()
    claimed = Document.objects.filter(
        Q(status=DocumentStatus.NEW) | Q(status=DocumentStatus.PARSING, parse_lease_until__lt=now),
        pk=document_id,
    ).update(
        status=DocumentStatus.PARSING,
        parse_lease_until=now + PARSE_LEASE,
        parse_attempts=F("parse_attempts") + 1,
    )
    return claimed == 1


def _read(document: Document) -> Extraction | ExtractionFailure:
    """The child process reads a path: local storage gives one, other storages a temp copy."""
    try:
        path = Path(document.file.path)
    except NotImplementedError:
        path = None
    if path is not None and path.exists():
        return extract_isolated(
            path,
            limits=limits_from_settings(),
            workspace=document.workspace_id,
            ourselves=OwnNames.of(document.workspace_id).for_reader(),
        )
    if not document.file:
        return ExtractionFailure("missing", "The stored file is missing; sync the folder again.")
    with tempfile.NamedTemporaryFile(suffix=".pdf") as copy:
        with document.file.open("rb") as stored:
            for chunk in iter(lambda: stored.read(1024 * 1024), b""):
                copy.write(chunk)
        copy.flush()
        # One reader per workspace: a document never shares a reader with another tenant's.
        return extract_isolated(
            Path(copy.name),
            limits=limits_from_settings(),
            workspace=document.workspace_id,
            ourselves=OwnNames.of(document.workspace_id).for_reader(),
        )


def _store(document: Document, extraction: Extraction) -> ParseResult:
    with transaction.atomic():
        document = Document.objects.select_for_update().get(pk=document.pk)
        document.kind = _kind_of(extraction)
        document.kind_confidence = Decimal(str(round(extraction.kind_confidence, 4)))
        document.page_count = extraction.page_count
        document.has_text_layer = extraction.has_text_layer
        document.language = (extraction.language or "")[:8]
        data = extraction.to_json()
        document.words = data.pop("words")
        document.extraction = data
        document.parsed_at = timezone.now()
        document.parse_lease_until = None
        document.mark_as_parsed()
        document.save()
        invoice = None
        if document.kind in (DocumentKind.INVOICE, DocumentKind.CREDIT_NOTE) or (
            not extraction.readable
        ):
            invoice = create_invoice_from(document=document, extraction=extraction)
    if document.status == DocumentStatus.DUPLICATE:
        return ParseResult(document.pk, "duplicate", document.kind, reason=document.status_reason)
    return ParseResult(document.pk, "parsed", document.kind, invoice.pk if invoice else None)


def _kind_of(extraction: Extraction) -> DocumentKind:
    if not extraction.readable:  # no text layer and nothing found by OCR either
        return DocumentKind.OTHER
    return DocumentKind(extraction.kind)


def requeue_stale() -> int:
    """Documents stuck in `parsing` (their worker died) go back to `new` and are queued again;
    after three attempts they fail with a reason instead of looping forever. `new` documents
    waiting longer than a parse lease are queued again too (parsing is idempotent) once the
    broker holds no task: until then they are most likely waiting their turn."""
    now = timezone.now()
    # A `new` document whose task was lost (broker restarted, worker killed before it ran)
    # would hold its workspace's window open forever: queue it again. While tasks wait in the
    # broker, its task is most likely among them (a first poll queues thousands), and any task
    # of its workspace reads it on (read_on, oldest first): queuing every waiting document
    # again at each sweep piled up 26,000 duplicate tasks in the 10,000-document soak.
    waiting = Document.objects.filter(status=DocumentStatus.NEW, received_at__lt=now - PARSE_LEASE)
    if broker_is_empty():
        for document_id in waiting.values_list("pk", flat=True):
            enqueue("reconciliation.tasks.parse_document", document_id)
    stale = list(Document.objects.filter(status=DocumentStatus.PARSING, parse_lease_until__lt=now))
    for document in stale:
        with transaction.atomic():
            if document.parse_attempts >= MAX_PARSE_ATTEMPTS:
                document.mark_as_failed(
                    "crashed",
                    f"Reading this PDF stopped {document.parse_attempts} times without an "
                    "answer; it was set aside.",
                )
            else:
                document.release_to_queue()
                enqueue("reconciliation.tasks.parse_document", document.pk)
            document.parse_lease_until = None
            document.save(
                update_fields=["status", "failure_code", "status_reason", "parse_lease_until"]
            )
    return len(stale)
