"""Qonto organisation, bank accounts, transactions and attachments endpoints."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC
from datetime import datetime
from typing import TYPE_CHECKING
from typing import Any

from connectors.sandbox.qonto_invoices import ALLOWED_TYPES
from connectors.sandbox.qonto_invoices import MAX_REQUEST_BYTES
from connectors.sandbox.qonto_invoices import file_type
from connectors.sandbox.qonto_models import IDEMPOTENCY_SECONDS
from connectors.sandbox.qonto_models import TRANSACTION_STATUSES
from connectors.sandbox.qonto_models import Attachment
from connectors.sandbox.qonto_models import CachedAnswer
from connectors.sandbox.qonto_models import Transaction
from connectors.sandbox.qonto_models import iso
from connectors.sandbox.qonto_models import parse_time
from connectors.sandbox.wire import BadRequestError
from connectors.sandbox.wire import HttpError
from connectors.sandbox.wire import Request
from connectors.sandbox.wire import Response
from connectors.sandbox.wire import json_response
from connectors.sandbox.wire import text_response

if TYPE_CHECKING:
    from connectors.sandbox.qonto import QontoEmulator

ATTACHMENT_URL_SECONDS = 30 * 60
INCLUDES = ("attachments", "labels", "vat_details")
_EPOCH = datetime.min.replace(tzinfo=UTC)


def organization(emulator: QontoEmulator, request: Request, params: dict[str, str]) -> Response:
    emulator.authenticate(request, "organization.read")
    external = request.arg("include_external_accounts") == "true"
    accounts = [
        account
        for account in emulator.bank_accounts.values()
        if external or not account.get("is_external_account")
    ]
    return json_response(
        200, {"organization": {**emulator.organization, "bank_accounts": accounts}}
    )


def bank_accounts(emulator: QontoEmulator, request: Request, params: dict[str, str]) -> Response:
    emulator.authenticate(request, "organization.read")
    listed = [_as_listed(account) for account in emulator.bank_accounts.values()]
    page, meta = emulator.paginate(request, listed)
    return json_response(200, {"bank_accounts": page, "meta": meta})


def _as_listed(account: dict[str, Any]) -> dict[str, Any]:
    """The business-accounts list page shows ``account_number`` as a JSON number (a string in
    ``GET /v2/organization``): answered that way, so clients prove they read both."""
    number = account.get("account_number")
    if isinstance(number, str) and number.isdigit():
        return {**account, "account_number": int(number)}
    return account


def bank_account(emulator: QontoEmulator, request: Request, params: dict[str, str]) -> Response:
    emulator.authenticate(request, "organization.read")
    account = emulator.bank_accounts.get(params["account_id"])
    if account is None:
        raise emulator.error(request, 404, "not_found", "Bank account not found")
    return json_response(200, {"bank_account": account})


# --- transactions --------------------------------------------------------------------------------


def _bad_parameter(
    emulator: QontoEmulator, request: Request, code: str, message: str, parameter: str
) -> HttpError:
    # This endpoint's 400s carry ``code`` and ``message`` only (no ``detail``, no ``source``:
    # the published example); ``parameter`` stays in the signature to document the cause.
    del parameter
    return emulator.error(request, 400, code, message, message_key="message")


def visible_attachments(emulator: QontoEmulator, transaction: Transaction) -> list[str]:
    """Attachment ids a client sees: uploads appear once "processed" (virtual clock)."""
    now = emulator.clock.timestamp()
    return [
        attachment_id
        for attachment_id in transaction.attachment_ids
        if attachment_id not in emulator.attachments
        or emulator.attachments[attachment_id].visible_at <= now
    ]


def attachment_url(emulator: QontoEmulator, attachment: Attachment) -> str:
    """A pre-signed download link, valid 30 virtual minutes."""
    expires = int(emulator.clock.timestamp()) + ATTACHMENT_URL_SECONDS
    signature = _sign(emulator, attachment.id, expires)
    return emulator.url(
        f"/attachment-files/{attachment.id}?expires={expires}&signature={signature}"
    )


def _sign(emulator: QontoEmulator, attachment_id: str, expires: int) -> str:
    message = f"{attachment_id}:{expires}".encode()
    return hmac.new(emulator.url_key, message, hashlib.sha256).hexdigest()[:32]


def transaction_json(
    emulator: QontoEmulator, transaction: Transaction, includes: set[str]
) -> dict[str, Any]:
    visible = visible_attachments(emulator, transaction)
    embedded: dict[str, Any] = {}
    if "attachments" in includes:
        embedded["attachments"] = [
            emulator.attachments[attachment_id].to_json(
                attachment_url(emulator, emulator.attachments[attachment_id])
            )
            for attachment_id in visible
            if attachment_id in emulator.attachments
        ]
    if "labels" in includes:
        embedded["labels"] = []
    if "vat_details" in includes:
        wire = transaction.wire
        items = []
        if wire.get("vat_amount") is not None:
            net_cents = int(wire["amount_cents"]) - int(wire["vat_amount_cents"])
            items.append(
                {
                    "amount": wire["vat_amount"],
                    "amount_cents": wire["vat_amount_cents"],
                    "amount_excluding_vat": net_cents / 100,
                    "amount_excluding_vat_cents": net_cents,
                    "rate": wire.get("vat_rate"),
                }
            )
        embedded["vat_details"] = {"items": items}
    return transaction.to_json(visible_attachment_ids=visible, embedded=embedded)


def _includes(emulator: QontoEmulator, request: Request) -> set[str]:
    includes = set(request.args("includes[]") + request.args("includes"))
    if includes - set(INCLUDES):
        raise _bad_parameter(
            emulator,
            request,
            "includes_invalid",
            "includes must be attachments, labels or vat_details",
            "includes[]",
        )
    return includes


def list_transactions(
    emulator: QontoEmulator, request: Request, params: dict[str, str]
) -> Response:
    """``GET /v2/transactions``: one account (``bank_account_id`` or ``iban``), ``completed``
    only unless ``status[]`` says otherwise, newest settlement first."""
    emulator.authenticate(request, "organization.read")
    account = _requested_account(emulator, request)
    statuses = _requested_statuses(emulator, request)
    transactions = [
        transaction
        for transaction in emulator.transactions.values()
        if transaction.bank_account_id == account["id"] and transaction.status in statuses
    ]
    transactions = _filtered(emulator, request, transactions)
    transactions = _dated(emulator, request, transactions)
    _sort(emulator, request, transactions)
    includes = _includes(emulator, request)
    payload = [transaction_json(emulator, t, includes) for t in transactions]
    page, meta = emulator.paginate(request, payload)
    return json_response(200, {"transactions": page, "meta": meta})


def _requested_account(emulator: QontoEmulator, request: Request) -> dict[str, Any]:
    account_id = request.arg("bank_account_id")
    iban = request.arg("iban")
    if not account_id and not iban:
        raise emulator.error(
            request,
            422,
            "missing",
            "bank_account_id or iban is missing",
        )
    if account_id:
        account = emulator.bank_accounts.get(account_id)
    else:
        account = next((a for a in emulator.bank_accounts.values() if a["iban"] == iban), None)
    if account is None:
        raise emulator.error(request, 404, "not_found", "Bank account not found")
    return account


def _requested_statuses(emulator: QontoEmulator, request: Request) -> list[str]:
    statuses = [
        status
        for value in request.args("status[]") + request.args("status")
        for status in value.split(",")
        if status
    ] or ["completed"]
    invalid = [status for status in statuses if status not in TRANSACTION_STATUSES]
    if invalid:
        raise _bad_parameter(
            emulator,
            request,
            "status_invalid",
            "At least one status isn't valid",
            "status[]",
        )
    return statuses


def _filtered(
    emulator: QontoEmulator, request: Request, transactions: list[Transaction]
) -> list[Transaction]:
    """The ``side``, ``operation_type[]`` and ``with_attachments`` filters."""
    side = request.arg("side")
    if side is not None:
        if side not in ("credit", "debit"):
            raise _bad_parameter(
                emulator, request, "side_invalid", "side must be credit or debit", "side"
            )
        transactions = [t for t in transactions if t.side == side]
    operation_types = request.args("operation_type[]") + request.args("operation_type")
    if operation_types:
        transactions = [t for t in transactions if t.operation_type in operation_types]
    with_attachments = request.arg("with_attachments")
    if with_attachments in ("true", "false"):
        wanted = with_attachments == "true"
        transactions = [t for t in transactions if bool(visible_attachments(emulator, t)) == wanted]
    return transactions


def _dated(
    emulator: QontoEmulator, request: Request, transactions: list[Transaction]
) -> list[Transaction]:
    """The ``{updated,emitted,settled,created}_at_{from,to}`` bounds (inclusive)."""
    for prefix in ("updated_at", "emitted_at", "settled_at", "created_at"):
        for bound in ("from", "to"):
            name = f"{prefix}_{bound}"
            raw = request.arg(name)
            if raw is None:
                continue
            moment = parse_time(raw)
            if moment is None:
                raise _bad_parameter(
                    emulator,
                    request,
                    "date_invalid",
                    f"The datetime in {name} param isn't well formatted (ISO 8601) "
                    "or year is out of range",
                    name,
                )
            transactions = [
                t
                for t in transactions
                if (value := t.moment(prefix)) is not None
                and (value >= moment if bound == "from" else value <= moment)
            ]
    return transactions


def _sort(emulator: QontoEmulator, request: Request, transactions: list[Transaction]) -> None:
    field_name, _, direction = (request.arg("sort_by") or "settled_at:desc").partition(":")
    if field_name not in ("updated_at", "settled_at", "emitted_at") or direction not in (
        "asc",
        "desc",
        "",
    ):
        raise _bad_parameter(
            emulator,
            request,
            "sort_invalid",
            "Sort field is invalid",
            "sort_by",
        )
    transactions.sort(
        # Stable sort: ties keep insertion order, so answers are deterministic.
        key=lambda t: (t.moment(field_name) or _EPOCH, t.moment("created_at") or _EPOCH),
        reverse=direction != "asc",
    )


def get_transaction(emulator: QontoEmulator, request: Request, params: dict[str, str]) -> Response:
    emulator.authenticate(request, "organization.read")
    transaction = emulator.transactions.get(params["transaction_id"])
    if transaction is None:
        # The spec documents this 404 as text/plain with a blank body.
        return text_response(404, "", content_type="text/plain")
    includes = _includes(emulator, request)
    return json_response(200, {"transaction": transaction_json(emulator, transaction, includes)})


# --- attachments ---------------------------------------------------------------------------------


def _idempotency_key(emulator: QontoEmulator, request: Request) -> str:
    key = request.header("X-Qonto-Idempotency-Key")
    if not key:
        raise emulator.error(
            request,
            400,
            "required",
            "X-Qonto-Idempotency-Key header is missing",
            source={"parameter": "X-Qonto-Idempotency-Key"},
        )
    return key


def _cached(emulator: QontoEmulator, key: str) -> Response | None:
    cached = emulator.idempotent_answers.get(key)
    if cached is None or emulator.clock.timestamp() >= cached.expires_at:
        return None
    return Response(status=cached.status, body=cached.body, content_type=cached.content_type)


def _remember(emulator: QontoEmulator, key: str, response: Response) -> Response:
    emulator.idempotent_answers[key] = CachedAnswer(
        expires_at=emulator.clock.timestamp() + IDEMPOTENCY_SECONDS,
        status=response.status,
        body=response.body,
        content_type=response.content_type,
    )
    return response


def _uploaded_file(emulator: QontoEmulator, request: Request, key: str) -> Attachment:
    try:
        parts = request.multipart()
    except BadRequestError:
        parts = []
    files = [part for part in parts if part.name == "file" and part.is_file]
    if len(files) != 1:
        raise emulator.error(
            request,
            400,
            "missing_file",
            "The request is missing a file parameter",
            source={"pointer": "/file"},
        )
    upload = files[0]
    if len(upload.data) > MAX_REQUEST_BYTES:
        raise emulator.error(
            request, 400, "file_too_big", "File is too big", source={"pointer": "/file"}
        )
    content_type = file_type(upload)
    if content_type not in ALLOWED_TYPES:
        raise emulator.error(
            request,
            400,
            "invalid_file_type",
            "File type must be PDF, JPEG or PNG",
            source={"pointer": "/file"},
        )
    return Attachment.new(
        emulator.clock.now(),
        upload.filename or "attachment",
        content_type,
        upload.data,
        idempotency_key=key,
    )


def transaction_attachments(
    emulator: QontoEmulator, request: Request, params: dict[str, str]
) -> Response:
    """``GET`` lists a transaction's processed attachments; ``POST`` uploads one (multipart
    ``file``, required ``X-Qonto-Idempotency-Key``; a repeat within 30 minutes returns the
    first answer and attaches nothing)."""
    transaction_id = params["transaction_id"]
    if request.method == "GET":
        emulator.authenticate(request, "organization.read")
        transaction = emulator.transactions.get(transaction_id)
        if transaction is None:
            raise emulator.error(
                request, 404, "not_found", "Transaction not found", source={"parameter": "id"}
            )
        items = [
            emulator.attachments[attachment_id].to_json(
                attachment_url(emulator, emulator.attachments[attachment_id])
            )
            for attachment_id in visible_attachments(emulator, transaction)
            if attachment_id in emulator.attachments
        ]
        page, meta = emulator.paginate(request, items)
        return json_response(200, {"attachments": page, "meta": meta})
    emulator.authenticate(request, "attachment.write")
    key = _idempotency_key(emulator, request)
    cached = _cached(emulator, key)
    if cached is not None:
        return cached
    transaction = emulator.transactions.get(transaction_id)
    if transaction is None:
        raise emulator.error(
            request, 404, "not_found", "Transaction not found", source={"parameter": "id"}
        )
    attachment = _uploaded_file(emulator, request, key)
    attachment.transaction_id = transaction.id
    attachment.visible_at = emulator.clock.timestamp() + emulator.attachment_visibility_delay
    emulator.attachments[attachment.id] = attachment
    transaction.attachment_ids.append(attachment.id)
    transaction.wire["updated_at"] = iso(emulator.clock.now())
    return _remember(emulator, key, Response(status=200))


def upload_attachment(
    emulator: QontoEmulator, request: Request, params: dict[str, str]
) -> Response:
    """``POST /v2/attachments``: returns only ``{"attachment": {"id"}}``."""
    emulator.authenticate(request, "attachment.write")
    key = _idempotency_key(emulator, request)
    cached = _cached(emulator, key)
    if cached is not None:
        return cached
    attachment = _uploaded_file(emulator, request, key)
    emulator.attachments[attachment.id] = attachment
    return _remember(emulator, key, json_response(200, {"attachment": {"id": attachment.id}}))


def get_attachment(emulator: QontoEmulator, request: Request, params: dict[str, str]) -> Response:
    emulator.authenticate(request, ("organization.read", "attachment.read"))
    attachment = emulator.attachments.get(params["attachment_id"])
    if attachment is None:
        raise emulator.error(request, 404, "not_found", "Attachment not found")
    return json_response(
        200, {"attachment": attachment.to_json(attachment_url(emulator, attachment))}
    )


def attachment_file(emulator: QontoEmulator, request: Request, params: dict[str, str]) -> Response:
    """The pre-signed download link: bytes while valid, an S3-style 403 once expired."""
    attachment = emulator.find_attachment(params["attachment_id"])
    expires = request.arg("expires") or ""
    signature = request.arg("signature") or ""
    if (
        attachment is None
        or not expires.isdigit()
        or not hmac.compare_digest(signature, _sign(emulator, attachment.id, int(expires)))
        or emulator.clock.timestamp() >= int(expires)
    ):
        return text_response(
            403,
            "<?xml version='1.0' encoding='UTF-8'?><Error><Code>AccessDenied</Code>"
            "<Message>Request has expired</Message></Error>",
            content_type="application/xml",
        )
    return Response(status=200, body=attachment.content, content_type=attachment.content_type)
