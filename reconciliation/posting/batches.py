"""Building what is sent: each claimed invoice's file (converted, read, checked against Qonto's
limits, or refused here), and the requests they are grouped into."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from pathlib import PurePosixPath

from connectors.qonto import BulkItem
from connectors.qonto import BulkLimitError
from connectors.qonto import plan_batches
from connectors.qonto.bulk import check_item
from connectors.qonto.bulk import encode_bulk_body
from reconciliation import fx
from reconciliation.models import Document
from reconciliation.models import Invoice
from reconciliation.posting.gate import gate_chunk
from reconciliation.posting.linking import probe_chunk
from reconciliation.posting.lookup import unknown_since
from reconciliation.posting.settling import refuse_locally
from reconciliation.posting.state import Entry
from reconciliation.posting.state import Refusal
from reconciliation.posting.state import Window

_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def upload_file_name(document: Document, idempotency_key: str) -> str:
    """The file name sent to Qonto: the original name made safe, plus our document id and the
    start of the idempotency key, so a look-up by file name finds exactly this upload (and not
    one from another Well installation sharing the Qonto organisation)."""
    original = PurePosixPath(document.original_name or "invoice.pdf")
    suffix = original.suffix.lower() if original.suffix else ".pdf"
    stem = _UNSAFE_NAME.sub("-", original.stem).strip("-.") or "invoice"
    tag = _UNSAFE_NAME.sub("", idempotency_key)[:8]
    return f"{stem[:80]}.well-{document.pk}-{tag}{_UNSAFE_NAME.sub('', suffix)[:10]}"


def prepare(window: Window, invoices: list[Invoice]) -> list[Entry]:
    """Convert amounts, hold what the bank already paid (the gate), probe Qonto's entries for
    the invoices never sent (linking or sending to review what Qonto may already have), read
    each file and check it against Qonto's limits; refuse locally what Qonto would refuse,
    and note which invoices must be looked up before they are sent."""
    for invoice in invoices:
        fx.convert_invoice(invoice, home_currency=window.workspace.home_currency)
        invoice.save(update_fields=[*fx.FX_FIELDS, "updated_at"])
    invoices = probe_chunk(window, gate_chunk(window, invoices))
    documents = Document.objects.in_bulk([invoice.document_id for invoice in invoices])
    unknown = unknown_since([invoice.pk for invoice in invoices])
    entries: list[Entry] = []
    for invoice in invoices:
        prepared = _bulk_item(invoice, documents[invoice.document_id])
        if isinstance(prepared, Refusal):
            refuse_locally(window, invoice, prepared)
            continue
        entries.append(Entry(invoice=invoice, item=prepared, unknown_since=unknown.get(invoice.pk)))
    return entries


def _bulk_item(invoice: Invoice, document: Document) -> BulkItem | Refusal:
    name = upload_file_name(document, invoice.idempotency_key)
    if not document.file or not document.file.name:
        return Refusal(
            "file_missing", f"{document.original_name}: Well holds no copy of this file."
        )
    try:
        with document.file.storage.open(document.file.name, "rb") as handle:
            content = handle.read()
    except OSError as error:
        return Refusal(
            "file_missing", f"{document.original_name} could not be read from storage: {error}"
        )
    item = BulkItem(
        idempotency_key=invoice.idempotency_key,
        filename=name,
        content=content,
        content_type=document.mime_type or "application/pdf",
    )
    try:
        check_item(item)
    except BulkLimitError as error:
        return Refusal(error.code or "invalid", f"Not sent to Qonto: {error.message}")
    if document.content_hash and hashlib.sha256(content).hexdigest() != document.content_hash:
        return Refusal(
            "file_changed",
            f"Not sent to Qonto: the stored copy of {document.original_name} no longer matches "
            "the file that was read and reviewed (SHA-256 differs).",
        )
    return item


def request_batches(window: Window, entries: Sequence[Entry]) -> list[list[Entry]]:
    """Requests of ≤ 20 files and ≤ 15 MB, checked against the exact encoded size."""
    if not entries:
        return []
    by_key = {entry.key: entry for entry in entries}
    plan = plan_batches(entry.item for entry in entries)
    for item, error in plan.refused:  # already checked in prepare; kept for safety
        refuse_locally(
            window,
            by_key[item.idempotency_key].invoice,
            Refusal(error.code or "invalid", error.message),
        )
    batches: list[list[Entry]] = []
    queue = [[by_key[item.idempotency_key] for item in batch] for batch in plan.batches]
    while queue:
        batch = queue.pop(0)
        try:
            encode_bulk_body([entry.item for entry in batch])
        except BulkLimitError as error:
            if error.code == "request_too_large" and len(batch) > 1:
                middle = len(batch) // 2
                queue[:0] = [batch[:middle], batch[middle:]]
                continue
            raise
        batches.append(batch)
    return batches
