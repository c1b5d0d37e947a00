"""Mirror Qonto's supplier invoices into `QontoSupplierInvoice`, incrementally.

Listed by ``updated_at`` (ascending) from the connection's mark minus an overlap, as Qonto's
sync guide does. Pages are read as a keyset: after each stored page the listing restarts from
the page's last ``updated_at``, so an invoice updated while we page (Qonto's analysis, its
matcher) cannot shift an unread one out of reach. The mark is Qonto's own ``updated_at``, so
our clock and Qonto's never mix. Rows are upserted on (workspace, qonto id); unchanged ones are
not written.

Every route into Qonto is mirrored (its e-mail inbox, manual uploads, other tools, Well's own
uploads); Well's uploads are flagged (their file name carries our document id) so the probe
never takes one for an invoice Qonto already had, and the read-back finds Qonto's reading of
them here. One worker refreshes a connection at a time, at most every
``WELL_QONTO_MIRROR_SECONDS``; the others use the mirror as it stands.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from itertools import islice
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from connectors.qonto import QontoClient
from connectors.qonto import SupplierInvoice
from reconciliation.intake.mirroring import upsert_changed
from reconciliation.models import Connection
from reconciliation.models import Invoice
from reconciliation.models import QontoSupplierInvoice
from reconciliation.money import is_known_currency
from reconciliation.text.identifiers import compact_vat_id
from reconciliation.text.names import normalize_name
from reconciliation.text.references import normalize_reference

logger = logging.getLogger(__name__)

#: Re-read this much before the mark: late commits on Qonto's side.
OVERLAP = timedelta(minutes=5)
#: How far back the first mirror of a connection goes.
INITIAL_LOOKBACK = timedelta(days=400)
PAGE_SIZE = 100
DEFAULT_INTERVAL_SECONDS = 60.0
#: Safety stop: pages read in one refresh.
MAX_PAGES = 2_000
#: ``upload_file_name`` in reconciliation.posting.batches: ``<stem>.well-<document id>-<key>``.
WELL_UPLOAD_NAME = re.compile(r"\.well-\d+-[A-Za-z0-9]{1,8}\.[A-Za-z0-9]{1,10}$")
_UPDATE_FIELDS = (
    "connection",
    "status",
    "source",
    "file_name",
    "attachment_id",
    "supplier_name",
    "normalized_supplier",
    "vat_number",
    "invoice_number",
    "normalized_number",
    "total_amount",
    "tax_amount",
    "currency",
    "issue_date",
    "due_date",
    "is_well_upload",
    "deleted",
    "qonto_created_at",
    "qonto_updated_at",
    "analyzed_at",
    "raw",
    "synced_at",
)


@dataclass
class MirrorResult:
    connection_id: int
    #: "refreshed", "fresh" (refreshed recently: not listed again), "busy" (another worker).
    status: str
    seen: int = 0
    written: int = 0
    pages: int = 0
    synced_until: datetime | None = None


def refresh_supplier_invoices(
    connection: Connection, client: QontoClient, *, force: bool = False
) -> MirrorResult:
    """Bring the mirror up to date unless it was refreshed within the interval (or another
    worker is refreshing it). Connector errors propagate: the caller decides what the posting
    window does without a fresh mirror."""
    now = timezone.now()
    interval = timedelta(
        seconds=float(getattr(settings, "WELL_QONTO_MIRROR_SECONDS", DEFAULT_INTERVAL_SECONDS))
    )
    due = Q(supplier_invoices_checked_at__isnull=True) | Q(
        supplier_invoices_checked_at__lte=now - interval
    )
    claim = Connection.objects.filter(pk=connection.pk)
    if not force:
        claim = claim.filter(due)
    if claim.update(supplier_invoices_checked_at=now) != 1:
        return MirrorResult(connection.pk, "fresh")
    connection.refresh_from_db(fields=["supplier_invoices_synced_until"])
    mark = connection.supplier_invoices_synced_until
    start = mark - OVERLAP if mark is not None else now - INITIAL_LOOKBACK
    result = MirrorResult(connection.pk, "refreshed")
    try:
        _read_from(connection, client, start, result)
    except BaseException:
        # Not refreshed after all: the next window tries again at once.
        Connection.objects.filter(pk=connection.pk).update(supplier_invoices_checked_at=None)
        raise
    return result


def _read_from(
    connection: Connection, client: QontoClient, start: datetime, result: MirrorResult
) -> None:
    mark = start
    for _ in range(MAX_PAGES):
        listing = client.list_supplier_invoices(
            updated_at_from=mark, sort_by="updated_at:asc", per_page=PAGE_SIZE
        )
        try:
            next_mark = _read_listing(connection, listing, mark, result)
        finally:
            close = getattr(listing, "close", None)
            if close is not None:
                close()  # an abandoned listing must not fetch more pages
        if next_mark is None:
            return
        mark = next_mark


def _read_listing(
    connection: Connection,
    listing: Iterator[SupplierInvoice],
    mark: datetime,
    result: MirrorResult,
) -> datetime | None:
    """Store pages; the mark to restart from after a page that moved it, or None when done."""
    while True:
        page = list(islice(listing, PAGE_SIZE))
        if not page:
            return None
        result.pages += 1
        result.seen += len(page)
        result.written += store(connection, page)
        latest = max((item.updated_at for item in page if item.updated_at), default=None)
        moved = latest is not None and latest > mark
        if moved and latest is not None:
            _save_mark(connection, latest, result)
        if len(page) < PAGE_SIZE:
            return None
        if moved:
            return latest
        # A full page all at `mark`: page through it by number.


def _save_mark(connection: Connection, mark: datetime, result: MirrorResult) -> None:
    Connection.objects.filter(
        Q(supplier_invoices_synced_until__isnull=True) | Q(supplier_invoices_synced_until__lt=mark),
        pk=connection.pk,
    ).update(supplier_invoices_synced_until=mark)
    result.synced_until = mark


def store(connection: Connection, items: list[SupplierInvoice]) -> int:
    """Upsert the page's rows; returns how many were new or changed."""
    rows = [mirror_row(connection, item) for item in items]
    ours = set(
        Invoice.objects.for_workspace(connection.workspace_id)
        .filter(qonto_id__in=[row.qonto_id for row in rows])
        .values_list("qonto_id", flat=True)
    )
    for row in rows:
        row.is_well_upload = row.is_well_upload or row.qonto_id in ours
    changed, _ = upsert_changed(QontoSupplierInvoice, connection.workspace_id, rows, _UPDATE_FIELDS)
    return len(changed)


def mirror_row(connection: Connection, item: SupplierInvoice) -> QontoSupplierInvoice:
    total = item.total_amount
    currency = ((total.currency if total else None) or "").upper()
    supplier = item.supplier_name or ""
    number = item.invoice_number or ""
    raw: dict[str, Any] = item.model_dump(mode="json")
    return QontoSupplierInvoice(
        workspace_id=connection.workspace_id,
        connection=connection,
        qonto_id=item.id[:64],
        status=(item.status or "")[:32],
        source=(item.source or "")[:40],
        file_name=(item.file_name or "")[:300],
        attachment_id=(item.attachment_id or "")[:64],
        supplier_name=supplier[:300],
        normalized_supplier=normalize_name(supplier),
        vat_number=compact_vat_id(item.vat_number or item.tin)[:32],
        invoice_number=number[:100],
        normalized_number=normalize_reference(number)[:100],
        total_amount=total.value if total is not None else None,
        tax_amount=item.total_tax_amount.value if item.total_tax_amount is not None else None,
        currency=currency if is_known_currency(currency) else "",
        issue_date=item.issue_date,
        due_date=item.due_date,
        is_well_upload=is_well_upload(item.file_name),
        deleted=item.status == "deleted",
        qonto_created_at=_utc(item.created_at),
        qonto_updated_at=_utc(item.updated_at),
        analyzed_at=_utc(item.analyzed_at),
        raw=raw,
        synced_at=timezone.now(),
    )


def is_well_upload(file_name: str | None) -> bool:
    return bool(file_name) and WELL_UPLOAD_NAME.search(file_name or "") is not None


def _utc(moment: datetime | None) -> datetime | None:
    return moment.astimezone(UTC) if moment is not None else None
