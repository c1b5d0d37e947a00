"""Unknown outcomes: which invoices may already be on Qonto, and the look-up that settles them
before they are sent again (the lifetime of bulk idempotency keys is undocumented, so the key
alone is not trusted)."""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Sequence
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from connectors.errors import AuthError, PermanentError, ProtocolError, TransientError
from connectors.qonto import SupplierInvoice
from connectors.qonto.client import LOOKUP_CLOCK_SLACK
from reconciliation.connections.tokens import ConnectionUnavailableError
from reconciliation.models import AppendOnlyError, PostAttempt, PostOutcome
from reconciliation.posting.settling import guard_qonto_ids, new_attempt, posted_settlement, settle
from reconciliation.posting.state import AuthStopError, Entry, Settlement, Window

logger = logging.getLogger("reconciliation.posting")

LOOKUP_ENDPOINT = "GET /v2/supplier_invoices"

_DEFINITIVE_OUTCOMES = frozenset(
    {
        PostOutcome.POSTED,
        PostOutcome.REJECTED,
        PostOutcome.TRANSIENT,
        PostOutcome.AUTH,
        # Not LOCAL: a local refusal made no look-up, so an earlier unknown outcome still stands.
    }
)


def unknown_since(invoice_ids: Sequence[int]) -> dict[int, datetime]:
    """Per invoice, the start of the earliest attempt with an unknown outcome that no later
    attempt settled. Every send is preceded by a look-up of earlier unknowns, so an attempt
    with a definitive answer closes everything before it. Attempts left in flight by a dead
    worker are closed as unknown here."""
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
        PostAttempt.objects.filter(invoice_id__in=invoice_ids)
        .order_by("invoice_id", "started_at", "pk")
        .values_list("invoice_id", "outcome", "started_at")
    )
    for invoice_id, outcome, started_at in attempts:
        if outcome in _DEFINITIVE_OUTCOMES:
            since.pop(invoice_id, None)
        elif outcome == PostOutcome.UNKNOWN:
            since.setdefault(invoice_id, started_at)
    return since


def resolve_unknown(window: Window, entries: list[Entry]) -> list[Entry]:
    """Look the invoices up on Qonto; mark the ones found as posted (not re-sent) and clear the
    others for sending. Returns the entries that could not be checked."""
    earliest = min(entry.unknown_since for entry in entries if entry.unknown_since is not None)
    start = min(earliest - LOOKUP_CLOCK_SLACK, timezone.now())
    by_key = {entry.key: entry for entry in entries}
    by_name = {entry.item.filename: entry.key for entry in entries}
    found: dict[str, SupplierInvoice] = {}
    window.tally.lookups += 1
    try:
        for candidate in window.client.list_supplier_invoices(created_at_from=start):
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
    settlements: list[Settlement] = []
    if found:
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
    for entry in entries:
        if entry.key not in found:
            entry.unknown_since = None
    return []
