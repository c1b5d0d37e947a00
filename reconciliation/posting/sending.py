"""One request: write the attempts, call ``POST /v2/supplier_invoices/bulk`` and settle each
invoice from Qonto's answer (or from its absence)."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction

from connectors.errors import AuthError
from connectors.errors import ConfigurationError
from connectors.errors import NotFoundError
from connectors.errors import PermanentError
from connectors.errors import ProtocolError
from connectors.errors import TransientError
from connectors.qonto import BulkItemResult
from connectors.qonto import BulkLimitError
from connectors.qonto import BulkResult
from reconciliation.connections.tokens import ConnectionUnavailableError
from reconciliation.models import PostOutcome
from reconciliation.posting.settling import fail
from reconciliation.posting.settling import guard_qonto_ids
from reconciliation.posting.settling import local_settlement
from reconciliation.posting.settling import new_attempt
from reconciliation.posting.settling import posted_settlement
from reconciliation.posting.settling import rejecting
from reconciliation.posting.settling import settle
from reconciliation.posting.settling import whole_request_rejection
from reconciliation.posting.state import NOT_PROCESSED_CODES
from reconciliation.posting.state import AuthStopError
from reconciliation.posting.state import Entry
from reconciliation.posting.state import Refusal
from reconciliation.posting.state import Settlement
from reconciliation.posting.state import Window
from reconciliation.posting.state import WindowStopError

BULK_ENDPOINT = "POST /v2/supplier_invoices/bulk"


def send_batch(window: Window, batch: list[Entry], round_number: int) -> list[Entry]:
    """Write the attempts, call Qonto, apply the answer. Returns the entries to try again."""
    _open_attempts(window, batch, round_number)
    window.tally.requests += 1
    try:
        # skip_attachment_matcher is not sent: Qonto's own matcher stays on, so the invoice is
        # attached to its debit in Qonto as soon as Qonto has read it. Well attaches payment
        # confirmations itself through another endpoint and tells the two apart
        # (reconciliation.matching.attach).
        result = window.client.bulk_create_supplier_invoices([entry.item for entry in batch])
    except (AuthError, ConnectionUnavailableError) as error:
        _refused_authorisation(window, batch, error)
        raise AuthStopError(str(error)) from error
    except BulkLimitError as error:
        refusal = Refusal(error.code or "invalid", f"Not sent to Qonto: {error.message}")
        settle(window, [local_settlement(entry, refusal) for entry in batch])
        return []
    except (TransientError, ProtocolError) as error:
        return _after_failed_call(window, batch, error)
    except PermanentError as error:
        if isinstance(error, ConfigurationError | NotFoundError) or error.status is None:
            _after_failed_call(window, batch, error)
            fail(window, batch)
            raise WindowStopError(
                f"Posting stopped: the Qonto endpoint or Well's settings are wrong: {error}"
            ) from error
        settle(window, [whole_request_rejection(entry, error) for entry in batch])
        return []
    return _apply_result(window, batch, result)


def _open_attempts(window: Window, batch: list[Entry], round_number: int) -> None:
    """One attempt per invoice, committed before the request leaves."""
    batch_id = uuid.uuid4()
    batch_bytes = sum(entry.item.size for entry in batch)
    with transaction.atomic():
        for entry in batch:
            entry.attempt = new_attempt(
                window,
                entry.invoice,
                batch_id=batch_id,
                summary={
                    "operation": "upload",
                    "endpoint": BULK_ENDPOINT,
                    "file_name": entry.item.filename,
                    "content_type": entry.item.content_type,
                    "size": entry.item.size,
                    "batch_size": len(batch),
                    "batch_bytes": batch_bytes,
                    "round": round_number,
                    "worker": window.worker_id,
                },
            )


def _refused_authorisation(
    window: Window, batch: list[Entry], error: AuthError | ConnectionUnavailableError
) -> None:
    status = error.status if isinstance(error, AuthError) else None
    code = (error.code if isinstance(error, AuthError) else None) or "unauthorized"
    details = {
        "http_status": status,
        "error_code": code,
        "error_detail": str(error),
        "trace_id": getattr(error, "request_id", None) or "",
    }
    settle(window, [Settlement(entry, PostOutcome.AUTH, dict(details), None) for entry in batch])


def _after_failed_call(
    window: Window, batch: list[Entry], error: TransientError | ProtocolError | PermanentError
) -> list[Entry]:
    """No usable answer. If the request may have reached Qonto, the outcome is unknown; either
    way the invoices are looked up before they are sent again."""
    unknown = isinstance(error, ProtocolError) or (
        isinstance(error, TransientError) and error.outcome_unknown
    )
    code = _failure_code(error)
    settlements = [
        Settlement(
            entry,
            PostOutcome.UNKNOWN if unknown else PostOutcome.TRANSIENT,
            {
                "http_status": error.status,
                "error_code": code,
                "error_detail": str(error),
                "trace_id": error.request_id or "",
            },
            None,
        )
        for entry in batch
    ]
    settle(window, settlements)
    for entry in batch:
        entry.last_code = code
        entry.last_error = str(error)
        entry.retry_after = error.retry_after if isinstance(error, TransientError) else None
        _look_before_resending(entry)
    return list(batch)


def _look_before_resending(entry: Entry) -> None:
    """Qonto replays only successes, and only for 30 minutes: a key that got anything else is
    looked up before it is sent again."""
    if entry.last_code in NOT_PROCESSED_CODES:
        return
    if entry.attempt is not None and entry.unknown_since is None:
        entry.unknown_since = entry.attempt.started_at


def _apply_result(window: Window, batch: list[Entry], result: BulkResult) -> list[Entry]:
    settlements: list[Settlement] = []
    retry: list[Entry] = []
    for entry in batch:
        item = result.items.get(entry.key)
        common: dict[str, Any] = {
            "http_status": result.status,
            "trace_id": result.request_id or "",
            "item_result": _item_json(item),
        }
        settlement = _item_settlement(entry, item, common)
        settlements.append(settlement)
        if settlement.move is None:
            retry.append(entry)
    settle(window, guard_qonto_ids(window, settlements))
    for entry in retry:
        _look_before_resending(entry)
    return retry


def _item_settlement(
    entry: Entry, item: BulkItemResult | None, common: dict[str, Any]
) -> Settlement:
    """How one file's part of the answer settles it (no move: try again)."""
    status = item.status if item is not None else "unknown"
    if status == "created" and item is not None and item.invoice is not None:
        return posted_settlement(entry, item.invoice.id, common)
    if status == "rejected" and item is not None:
        error = next(error for error in item.errors if not error.is_retryable)
        code = error.code or "invalid"
        detail = error.detail or "Qonto refused this file."
        return Settlement(
            entry,
            PostOutcome.REJECTED,
            {
                **common,
                "error_code": code,
                "error_pointer": error.pointer or "",
                "error_detail": detail,
            },
            rejecting(code, detail),
            "rejected",
            f"rejected by Qonto ({code})",
        )
    entry.retry_after = None
    if status == "retryable" and item is not None:
        error = item.errors[0]
        entry.last_code = error.code or "internal_server_error"
        entry.last_error = f"Qonto could not process the file: {error.detail or error.code}"
        details = {**common, "error_code": entry.last_code, "error_pointer": error.pointer or ""}
        return Settlement(
            entry, PostOutcome.TRANSIENT, {**details, "error_detail": entry.last_error}, None
        )
    entry.last_code = "outcome_unknown"
    entry.last_error = "Qonto's answer neither listed this file as created nor as failed."
    return Settlement(
        entry,
        PostOutcome.UNKNOWN,
        {**common, "error_code": entry.last_code, "error_detail": entry.last_error},
        None,
    )


def _failure_code(error: TransientError | ProtocolError | PermanentError) -> str:
    if isinstance(error, ProtocolError):
        return "protocol_error"
    if isinstance(error, PermanentError):
        if error.code:
            return error.code
        return f"http_{error.status}" if error.status is not None else "configuration"
    if error.status == 429:
        return "rate_limited"
    if error.status is not None:
        return f"http_{error.status}"
    return "no_answer" if error.outcome_unknown else "no_connection"


def _item_json(item: BulkItemResult | None) -> dict[str, Any]:
    if item is None:
        return {"status": "missing"}
    return {
        "status": item.status,
        "file_name": item.filename,
        "qonto_id": item.invoice.id if item.invoice is not None else None,
        "errors": [
            {"code": error.code, "detail": error.detail, "pointer": error.pointer}
            for error in item.errors
        ],
    }
