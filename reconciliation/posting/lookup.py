"""Look before re-sending: which invoices may already be on Qonto, and the look-up that settles
them before they are sent again.

Qonto documents that an idempotency key lives 30 minutes and that only successful answers are
replayed. So a key is trusted only for the one answer it got: whenever an invoice was sent
before (its answer an error, lost, a refusal, or simply older than the key's lifetime), Qonto's
supplier invoices are listed and ours is looked for (by the idempotency key Qonto may echo, and
by the file name that carries our document id) before it is sent again. A listed item Qonto
sends in a shape we cannot read but whose file name is ours stops the re-send: an unreadable
copy is never taken for "not there"."""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Sequence
from datetime import datetime

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from connectors.errors import AuthError
from connectors.errors import PermanentError
from connectors.errors import ProtocolError
from connectors.errors import TransientError
from connectors.qonto import SupplierInvoice
from connectors.qonto import UnreadableItem
from connectors.qonto.client import LOOKUP_CLOCK_SLACK
from connectors.qonto.client import SupplierInvoiceFilters
from reconciliation.connections.tokens import ConnectionUnavailableError
from reconciliation.models import AppendOnlyError
from reconciliation.models import PostAttempt
from reconciliation.models import PostOutcome
from reconciliation.posting.settling import guard_qonto_ids
from reconciliation.posting.settling import new_attempt
from reconciliation.posting.settling import posted_settlement
from reconciliation.posting.settling import settle
from reconciliation.posting.state import NOT_PROCESSED_CODES
from reconciliation.posting.state import AuthStopError
from reconciliation.posting.state import Entry
from reconciliation.posting.state import Settlement
from reconciliation.posting.state import Window

logger = logging.getLogger("reconciliation.posting")

LOOKUP_ENDPOINT = "GET /v2/supplier_invoices"

#: Attempts Qonto never processed: refused here before sending, or refused by Qonto's
#: authorisation before any processing.
_NOT_SENT = frozenset({PostOutcome.LOCAL, PostOutcome.AUTH})


def unknown_since(invoice_ids: Sequence[int]) -> dict[int, datetime]:
    """Per invoice, the start of its earliest upload: an invoice sent before is looked up
    before it is sent again, whatever the answer was (an error is not replayed by Qonto, and a
    key older than 30 minutes is forgotten). Attempts left in flight by a dead worker are
    closed as unknown here."""
    leftovers = list(PostAttempt.objects.filter(invoice_id__in=invoice_ids).in_flight())
    for attempt in leftovers:
        with contextlib.suppress(AppendOnlyError):  # closed meanwhile: fine either way
            attempt.finish(
                outcome=PostOutcome.UNKNOWN,
                error_code="left_in_flight",
                error_detail="This attempt never finished; Qonto is checked before re-sending.",
            )
    since: dict[int, datetime] = {}
    attempts = (
        _uploads(invoice_ids)
        .order_by("invoice_id", "started_at", "pk")
        .values_list("invoice_id", "started_at")
    )
    for invoice_id, started_at in attempts:
        since.setdefault(invoice_id, started_at)
    return since


def sent_before(invoice_ids: Sequence[int]) -> set[int]:
    """The invoices with an upload that may have reached Qonto's bulk endpoint (one still in
    flight included). The others were never sent — refused here, refused by Qonto's
    authorisation, rate-limited, or only looked up — however many attempts they count: the
    double-payment gate and the probe check them like a first upload."""
    return set(_uploads(invoice_ids).values_list("invoice_id", flat=True).distinct())


def _uploads(invoice_ids: Sequence[int]) -> QuerySet[PostAttempt]:
    """The attempts that may have created the invoice on Qonto."""
    return (
        PostAttempt.objects.filter(invoice_id__in=invoice_ids)
        .exclude(outcome__in=_NOT_SENT)
        .exclude(error_code__in=NOT_PROCESSED_CODES)
        .exclude(request_summary__operation="lookup")
    )


def resolve_unknown(window: Window, entries: list[Entry]) -> list[Entry]:
    """Look the invoices up on Qonto; mark the ones found as posted (not re-sent) and clear the
    others for sending. Returns the entries that could not be checked."""
    earliest = min(entry.unknown_since for entry in entries if entry.unknown_since is not None)
    start = min(earliest - LOOKUP_CLOCK_SLACK, timezone.now())
    window.tally.lookups += 1
    try:
        found, unreadable = _listed(window, entries, start)
    except (AuthError, ConnectionUnavailableError) as error:
        raise AuthStopError(str(error)) from error
    except (TransientError, ProtocolError, PermanentError) as error:
        for entry in entries:
            entry.last_code = "lookup_failed"
            entry.last_error = (
                f"Could not check Qonto for an earlier attempt before sending again: {error}"
            )
            entry.retry_after = error.retry_after if isinstance(error, TransientError) else None
        return entries
    if found:
        _settle_found(window, entries, found, start)
    unchecked: list[Entry] = []
    for entry in entries:
        if entry.key in unreadable:
            entry.last_code = "lookup_failed"
            entry.last_error = (
                f"Qonto lists a supplier invoice named {entry.item.filename} that Well cannot "
                f"read ({unreadable[entry.key]}); not sent again until it can be checked."
            )
            entry.retry_after = None
            unchecked.append(entry)
        elif entry.key not in found:
            entry.unknown_since = None
    return unchecked


def _listed(
    window: Window, entries: list[Entry], start: datetime
) -> tuple[dict[str, SupplierInvoice], dict[str, str]]:
    """Ours among Qonto's supplier invoices created since ``start``, by key: the readable ones
    found, and the problems of unreadable ones bearing our file names."""
    by_key = {entry.key: entry for entry in entries}
    by_name = {entry.item.filename: entry.key for entry in entries}
    found: dict[str, SupplierInvoice] = {}
    unreadable: dict[str, str] = {}
    listing = window.client.scan_supplier_invoices(SupplierInvoiceFilters(created_at_from=start))
    for candidate in listing:
        if isinstance(candidate, UnreadableItem):
            key = by_name.get(candidate.file_name or "")
            if key is not None:
                unreadable[key] = candidate.problem
            continue
        key = (
            candidate.idempotency_key
            if candidate.idempotency_key in by_key
            else by_name.get(candidate.file_name or "")
        )
        if key is None:
            continue
        if key in found:
            logger.error(
                "posting: Qonto holds more than one supplier invoice for %s (%s, %s)",
                by_key[key].item.filename,
                found[key].id,
                candidate.id,
            )
            continue
        found[key] = candidate
    return found, unreadable


def _settle_found(
    window: Window, entries: list[Entry], found: dict[str, SupplierInvoice], start: datetime
) -> None:
    by_key = {entry.key: entry for entry in entries}
    settlements: list[Settlement] = []
    with transaction.atomic():
        for key, supplier_invoice in found.items():
            entry = by_key[key]
            entry.attempt = new_attempt(
                window,
                entry.invoice,
                batch_id=uuid.uuid4(),
                summary={
                    "operation": "lookup",
                    "endpoint": LOOKUP_ENDPOINT,
                    "file_name": entry.item.filename,
                    "created_at_from": start.isoformat(),
                    "worker": window.worker_id,
                },
            )
            settlements.append(
                posted_settlement(
                    entry,
                    supplier_invoice.id,
                    {
                        "http_status": 200,
                        "item_result": {
                            "status": "found",
                            "resolved_by": "lookup",
                            "qonto_id": supplier_invoice.id,
                            "file_name": supplier_invoice.file_name,
                            "created_at": supplier_invoice.created_at.isoformat()
                            if supplier_invoice.created_at
                            else None,
                        },
                    },
                    counter="resolved_by_lookup",
                )
            )
    settle(window, guard_qonto_ids(window, settlements))
