"""Qonto supplier invoices: ``POST /v2/supplier_invoices/bulk`` (multipart, Rails-style items,
per-item errors, per-item idempotency) and the list/retrieve endpoints used for look-ups."""

from __future__ import annotations

import json
import re
import uuid
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING
from typing import Any

from connectors.sandbox import qonto_analysis
from connectors.sandbox.qonto_models import IDEMPOTENCY_SECONDS
from connectors.sandbox.qonto_models import Attachment
from connectors.sandbox.qonto_models import SupplierInvoice
from connectors.sandbox.qonto_models import parse_time
from connectors.sandbox.wire import BadRequestError
from connectors.sandbox.wire import Part
from connectors.sandbox.wire import Request
from connectors.sandbox.wire import Response
from connectors.sandbox.wire import json_response
from connectors.sandbox.wire import media_type

if TYPE_CHECKING:
    from connectors.sandbox.qonto import QontoEmulator

MAX_BULK_ITEMS = 20
MAX_FILE_BYTES = 10_000_000
MAX_REQUEST_BYTES = 15_000_000
ALLOWED_TYPES = ("application/pdf", "image/jpeg", "image/png")
BULK_SOURCES = (
    "pay_by_invoice",
    "supplier_invoices",
    "integration",
    "transaction_attachment",
    "generic_upload",
)
DUE_DATE_FILTERS = ("past_and_today", "future", "missing_date")
# The reference's sortable fields, plus updated_at (Qonto's own sync guide sorts on it).
SORTABLE = (
    "created_at",
    "updated_at",
    "file_name",
    "supplier_name",
    "payment_date",
    "due_date",
    "scheduled_date",
    "total_amount",
)
_ITEM_FIELD = re.compile(r"^supplier_invoices\[\]\[(\w+)\]$")


def bulk(emulator: QontoEmulator, request: Request, params: dict[str, str]) -> Response:
    """Create up to 20 supplier invoices; 200 with ``supplier_invoices`` and ``errors`` even
    when items fail. A key seen before returns its invoice instead of creating another."""
    emulator.authenticate(request, "supplier_invoice.write")
    if len(request.body) > MAX_REQUEST_BYTES:
        raise emulator.error(request, 400, "bad_request", "Request is too large")
    missing = emulator.error(
        request,
        400,
        "required",
        "supplier_invoices is missing",
        source={"parameter": "supplier_invoices"},
    )
    if request.content_type != "multipart/form-data":
        raise missing
    try:
        parts = request.multipart()
    except BadRequestError as error:
        raise emulator.error(request, 400, "bad_request", f"Malformed multipart: {error}") from None
    items, fields = rails_items(parts)
    if not items:
        if "supplier_invoices" in fields:
            raise emulator.error(
                request,
                400,
                "invalid",
                "supplier_invoices must be an array of objects "
                "(send supplier_invoices[][file] and supplier_invoices[][idempotency_key])",
                source={"parameter": "supplier_invoices"},
            )
        raise missing
    if len(items) > MAX_BULK_ITEMS:
        raise emulator.error(
            request,
            400,
            "limit_reached",
            f"Limit of {MAX_BULK_ITEMS} invoices reached",
            source={"pointer": "/supplier_invoices"},
        )
    source = fields.get("source", "pay_by_invoice")
    if source not in BULK_SOURCES:
        raise emulator.error(
            request, 400, "invalid", "source is invalid", source={"parameter": "source"}
        )
    meta = _meta(emulator, request, fields)
    if fields.get("skip_attachment_matcher", "false") not in ("true", "false"):
        raise emulator.error(
            request,
            400,
            "invalid",
            "skip_attachment_matcher must be true or false",
            source={"parameter": "skip_attachment_matcher"},
        )
    _require_parts(emulator, request, items)
    use_matcher = fields.get("skip_attachment_matcher", "false") == "false"
    created, errors = _create_items(emulator, items, source, meta, use_matcher)
    return json_response(200, {"supplier_invoices": created, "errors": errors})


def _create_items(
    emulator: QontoEmulator,
    items: list[dict[str, Part]],
    source: str,
    meta: dict[str, Any],
    use_matcher: bool,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Each item in turn: a key's earlier invoice replayed, a failure reported, or a new invoice."""
    created: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    for item in items:
        key = _key_of(item)
        existing = replayable(emulator, key)
        if existing is not None:
            created.append(existing.to_json(emulator.organization_id))
            continue
        failure = _validate_item(emulator, item, key)
        if failure is None:
            injected = emulator.take_item_error(key)
            if injected is not None:
                failure = _item_error(emulator, *injected, _pointer(key))
        if failure is not None:
            # A failed item is not remembered under its key: a retry is a fresh attempt.
            errors.append(failure)
            continue
        invoice = _create_invoice(emulator, item, key, source, meta)
        invoice.use_matcher = use_matcher
        created.append(invoice.to_json(emulator.organization_id))
    return created, errors


def _key_of(item: dict[str, Part]) -> str:
    part = item.get("idempotency_key")
    return part.text().strip() if part is not None and not part.is_file else ""


def _require_parts(emulator: QontoEmulator, request: Request, items: list[dict[str, Part]]) -> None:
    """An item without its key, or without a file (or attachment id), fails the whole request
    with 400 ``required`` (the spec's two examples), and nothing is created."""
    if any(not _key_of(item) for item in items):
        raise emulator.error(
            request,
            400,
            "required",
            "Idempotency key is required",
            source={"pointer": "/idempotency_key"},
        )
    if any("file" not in item and "attachment_id" not in item for item in items):
        raise emulator.error(
            request, 400, "required", "File is required", source={"pointer": "/file"}
        )


def replayable(emulator: QontoEmulator, key: str) -> SupplierInvoice | None:
    """The invoice a key created, while the key lives (30 virtual minutes after it first
    succeeded); after that the same key creates a new invoice, as Qonto documents."""
    invoice = emulator.invoices_by_key.get(key)
    if invoice is None:
        return None
    if emulator.clock.now() >= invoice.created_at + timedelta(seconds=IDEMPOTENCY_SECONDS):
        del emulator.invoices_by_key[key]
        return None
    return invoice


def _meta(emulator: QontoEmulator, request: Request, fields: dict[str, str]) -> dict[str, Any]:
    if "meta" not in fields:
        return {}
    try:
        parsed = json.loads(fields["meta"])
    except json.JSONDecodeError:
        parsed = None
    if not isinstance(parsed, dict):
        raise emulator.error(
            request, 400, "invalid", "meta must be a JSON object", source={"parameter": "meta"}
        )
    return parsed


def _pointer(key: str, name: str = "file") -> str:
    return f"/supplier_invoices/idempotency_key/{key}/{name}"


def _item_error(emulator: QontoEmulator, code: str, detail: str, pointer: str) -> dict[str, Any]:
    # The spec's per-item examples carry ``source`` as a list of pointers (the default here),
    # one of them ``details`` for ``detail``; "standard" is the JSON:API object the errors page
    # describes. Switchable so clients prove they parse all three.
    if emulator.bulk_error_style == "list_source":
        return {"code": code, "detail": detail, "source": [{"pointer": pointer}]}
    if emulator.bulk_error_style == "details":
        return {"code": code, "details": detail, "source": {"pointer": pointer}}
    return {"code": code, "detail": detail, "source": {"pointer": pointer}}


def _validate_item(
    emulator: QontoEmulator, item: dict[str, Part], key: str
) -> dict[str, Any] | None:
    file_part = item.get("file")
    attachment_part = item.get("attachment_id")
    if file_part is not None and attachment_part is not None:
        return _item_error(
            emulator, "invalid", "Only one of file or attachment_id can be provided", _pointer(key)
        )
    if attachment_part is not None:
        if attachment_part.text().strip() not in emulator.attachments:
            return _item_error(
                emulator,
                "invalid",
                "attachment_id does not match an attachment",
                _pointer(key, "attachment_id"),
            )
        return None
    # No file and no attachment id was refused whole by ``_require_parts``.
    assert file_part is not None
    if not file_part.is_file:
        return _item_error(emulator, "invalid", "file must be a file upload", _pointer(key))
    if not file_part.data:
        return _item_error(emulator, "invalid", "File is empty", _pointer(key))
    if len(file_part.data) > MAX_FILE_BYTES:
        return _item_error(emulator, "invalid", "File size must be less than 10 MB", _pointer(key))
    if file_type(file_part) not in ALLOWED_TYPES:
        return _item_error(
            emulator, "invalid", "File content type must be PDF, JPEG or PNG", _pointer(key)
        )
    return None


def _create_invoice(
    emulator: QontoEmulator,
    item: dict[str, Part],
    key: str,
    source: str,
    meta: dict[str, Any],
) -> SupplierInvoice:
    now = emulator.clock.now()
    file_part = item.get("file")
    if file_part is not None:
        attachment = Attachment.new(
            now, file_part.filename or "invoice.pdf", file_type(file_part), file_part.data
        )
        emulator.attachments[attachment.id] = attachment
    else:
        attachment = emulator.attachments[item["attachment_id"].text().strip()]
    invoice = SupplierInvoice.of_attachment(
        attachment, id=str(uuid.uuid4()), at=now, source=source, idempotency_key=key, meta=meta
    )
    qonto_analysis.add_invoice(emulator, invoice)
    emulator.invoices_by_key[key] = invoice
    return invoice


def list_invoices(emulator: QontoEmulator, request: Request, params: dict[str, str]) -> Response:
    """``GET /v2/supplier_invoices`` with the status, attachment, date-window, due-date and text
    filters, and ``sort_by`` (``updated_at:asc`` with ``filter[updated_at_from]`` is how Qonto's
    sync guide mirrors them incrementally)."""
    emulator.authenticate(request, "supplier_invoice.read")
    invoices = list(emulator.supplier_invoices.values())
    statuses = [
        status
        for value in request.args("filter[status]") + request.args("filter[status][]")
        for status in value.split(",")
        if status
    ]
    if statuses:
        invoices = [invoice for invoice in invoices if invoice.status in statuses]
    attachment_ids = request.args("filter[attachment_id]") + request.args("filter[attachment_id][]")
    if attachment_ids:
        invoices = [invoice for invoice in invoices if invoice.attachment_id in attachment_ids]
    invoices = _in_time_windows(emulator, request, invoices)
    invoices = _by_due_date(emulator, request, invoices)
    query = (request.arg("query") or "").strip().lower()
    if query:
        query_fields = [
            name.strip() for name in (request.arg("query_fields") or "").split(",") if name.strip()
        ] or ["file_name", "supplier_name", "invoice_number"]
        invoices = [
            invoice
            for invoice in invoices
            if any(query in str(_field(invoice, name) or "").lower() for name in query_fields)
        ]
    payload = [
        invoice.to_json(emulator.organization_id)
        for invoice in _sorted(emulator, request, invoices)
    ]
    page, meta = emulator.paginate(request, payload)
    return json_response(200, {"supplier_invoices": page, "meta": meta})


def _in_time_windows(
    emulator: QontoEmulator, request: Request, invoices: list[SupplierInvoice]
) -> list[SupplierInvoice]:
    now = emulator.clock.now()
    for name, attribute, is_lower_bound in (
        ("filter[created_at_from]", "created_at", True),
        ("filter[created_at_to]", "created_at", False),
        ("filter[updated_at_from]", "updated_at", True),
        ("filter[updated_at_to]", "updated_at", False),
    ):
        raw = request.arg(name)
        if raw is None:
            continue
        moment = parse_time(raw)
        short = name.removeprefix("filter[").removesuffix("]")
        if moment is None:
            raise emulator.error(
                request,
                400,
                "invalid_time",
                f"{short} is not a valid time. Refer to the documentation for the right format.",
                source={"parameter": name},
            )
        if name == "filter[created_at_from]" and moment > now:
            raise emulator.error(
                request,
                400,
                "invalid_datetime_range",
                f"{short} must be in the past.",
                source={"parameter": name},
            )
        invoices = [
            invoice
            for invoice in invoices
            if (
                getattr(invoice, attribute) >= moment
                if is_lower_bound
                else getattr(invoice, attribute) <= moment
            )
        ]
    return invoices


def _by_due_date(
    emulator: QontoEmulator, request: Request, invoices: list[SupplierInvoice]
) -> list[SupplierInvoice]:
    """``filter[due_date]``: ``past_and_today``, ``future`` or ``missing_date`` (the
    emulator's today)."""
    wanted = request.arg("filter[due_date]")
    if wanted is None:
        return invoices
    if wanted not in DUE_DATE_FILTERS:
        raise emulator.error(
            request, 400, "invalid", "due_date is invalid", source={"parameter": "filter[due_date]"}
        )
    today = emulator.clock.now().date().isoformat()

    def keep(invoice: SupplierInvoice) -> bool:
        due = invoice.extracted.get("due_date")
        if wanted == "missing_date":
            return not due
        return bool(due) and (str(due) <= today) == (wanted == "past_and_today")

    return [invoice for invoice in invoices if keep(invoice)]


def _sorted(
    emulator: QontoEmulator, request: Request, invoices: list[SupplierInvoice]
) -> list[SupplierInvoice]:
    field_name, _, direction = (request.arg("sort_by") or "created_at:desc").partition(":")
    if field_name not in SORTABLE or direction not in ("asc", "desc", ""):
        raise emulator.error(
            request, 400, "invalid", "sort_by is invalid", source={"parameter": "sort_by"}
        )

    def key(invoice: SupplierInvoice) -> tuple[Any, ...]:
        value = _field(invoice, field_name)
        if field_name == "total_amount":
            value = Decimal(str(value)) if value is not None else Decimal("-Infinity")
        # Missing values first; ties by creation (stable, deterministic pages).
        return (value is not None, value if value is not None else "", invoice.created_at)

    return sorted(invoices, key=key, reverse=direction == "desc")


def get_invoice(emulator: QontoEmulator, request: Request, params: dict[str, str]) -> Response:
    emulator.authenticate(request, "supplier_invoice.read")
    invoice = emulator.supplier_invoices.get(params["invoice_id"])
    if invoice is None:
        raise emulator.error(request, 404, "not_found", "Supplier invoice not found")
    return json_response(200, {"supplier_invoice": invoice.to_json(emulator.organization_id)})


def rails_items(parts: list[Part]) -> tuple[list[dict[str, Part]], dict[str, str]]:
    """Group ``supplier_invoices[][x]`` parts as Rack does (a new item starts when a key
    repeats in the current one); other parts come back as plain fields."""
    items: list[dict[str, Part]] = []
    fields: dict[str, str] = {}
    for part in parts:
        match = _ITEM_FIELD.match(part.name)
        if match is None:
            fields[part.name] = part.text()
            continue
        key = match.group(1)
        if items and key not in items[-1]:
            items[-1][key] = part
        else:
            items.append({key: part})
    return items, fields


def file_type(part: Part) -> str:
    """The declared content type, or the sniffed one when the client sent none or a generic
    ``application/octet-stream``."""
    declared = media_type(part.content_type)
    if declared and declared != "application/octet-stream":
        return declared
    head = part.data[:8]
    if head.startswith(b"%PDF"):
        return "application/pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    return declared or "application/octet-stream"


def _field(invoice: SupplierInvoice, name: str) -> Any:
    if name in ("created_at", "updated_at", "file_name"):
        return getattr(invoice, name)
    return invoice.extracted.get(name)
