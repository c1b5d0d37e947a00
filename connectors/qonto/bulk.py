"""The pure half of ``POST /v2/supplier_invoices/bulk``: local limits, the Rails-style multipart
body, batch planning, and mapping the 200 answer back to our idempotency keys.

https://docs.qonto.com/api-reference/business-api/expense-management/supplier-invoices/create-supplier-invoices
https://docs.qonto.com/get-started/business-api/use-cases/bulk-upload-supplier-invoices
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from typing import Any
from typing import Literal

from urllib3 import encode_multipart_formdata

from connectors.errors import PermanentError
from connectors.qonto.schemas import BulkResponse
from connectors.qonto.schemas import SupplierInvoice
from connectors.qonto.schemas import UnreadableItem

PROVIDER = "qonto"
MAX_ITEMS_PER_REQUEST = 20
# Qonto says "10 MB" / "15 MB" without saying which megabyte; the decimal one is the smaller, so
# a file we accept is never refused for size by Qonto.
MAX_FILE_BYTES = 10_000_000
MAX_REQUEST_BYTES = 15_000_000
RETRYABLE_ITEM_CODES = frozenset({"internal_server_error"})
_KEY_PATTERN = re.compile(r"^[A-Za-z0-9._:-]{1,255}$")

logger = logging.getLogger("connectors.qonto")


@dataclass(frozen=True)
class BulkItem:
    idempotency_key: str
    filename: str
    content: bytes = field(repr=False)
    content_type: str = "application/pdf"

    @property
    def size(self) -> int:
        return len(self.content)


class BulkLimitError(PermanentError):
    """Refused locally, before any request: the batch breaks a documented limit. ``code`` is one
    of ``too_many_items``, ``file_too_large``, ``request_too_large``, ``empty_batch``,
    ``invalid_idempotency_key``, ``duplicate_idempotency_key``."""

    def __init__(
        self,
        message: str,
        *,
        code: str,
        idempotency_key: str | None = None,
        filename: str | None = None,
        size: int | None = None,
        limit: int | None = None,
    ) -> None:
        super().__init__(message, provider=PROVIDER, code=code)
        self.idempotency_key = idempotency_key
        self.filename = filename
        self.size = size
        self.limit = limit


def check_item(item: BulkItem) -> None:
    """The per-file rules; raises ``BulkLimitError`` naming the file."""
    if not _KEY_PATTERN.match(item.idempotency_key):
        raise BulkLimitError(
            f"{item.filename}: the idempotency key must be 1-255 characters of A-Z a-z 0-9 . _ : -",
            code="invalid_idempotency_key",
            idempotency_key=item.idempotency_key,
            filename=item.filename,
        )
    if item.size > MAX_FILE_BYTES:
        raise BulkLimitError(
            f"{item.filename} is {item.size:,} bytes; Qonto accepts at most "
            f"{MAX_FILE_BYTES:,} bytes (10 MB) per file",
            code="file_too_large",
            idempotency_key=item.idempotency_key,
            filename=item.filename,
            size=item.size,
            limit=MAX_FILE_BYTES,
        )


def _check_batch(items: Sequence[BulkItem]) -> None:
    """Count, per-file rules and unique keys, before anything is encoded."""
    if not items:
        raise BulkLimitError("nothing to upload: the batch is empty", code="empty_batch")
    if len(items) > MAX_ITEMS_PER_REQUEST:
        raise BulkLimitError(
            f"{len(items)} invoices in one request; Qonto accepts at most "
            f"{MAX_ITEMS_PER_REQUEST} (first one over: {items[MAX_ITEMS_PER_REQUEST].filename})",
            code="too_many_items",
            idempotency_key=items[MAX_ITEMS_PER_REQUEST].idempotency_key,
            filename=items[MAX_ITEMS_PER_REQUEST].filename,
            limit=MAX_ITEMS_PER_REQUEST,
        )
    seen: set[str] = set()
    for item in items:
        check_item(item)
        if item.idempotency_key in seen:
            raise BulkLimitError(
                f"{item.filename}: idempotency key {item.idempotency_key} appears twice "
                "in the batch",
                code="duplicate_idempotency_key",
                idempotency_key=item.idempotency_key,
                filename=item.filename,
            )
        seen.add(item.idempotency_key)


def _request_too_large(items: Sequence[BulkItem], size: int) -> BulkLimitError:
    """Name the item at which the running size overflows the request cap."""
    running = 0
    culprit = items[-1]
    for item in items:
        running += item.size
        if running > MAX_REQUEST_BYTES - 64 * 1024:
            culprit = item
            break
    return BulkLimitError(
        f"the request would be {size:,} bytes; Qonto accepts at most "
        f"{MAX_REQUEST_BYTES:,} bytes (15 MB) per request (it overflows at "
        f"{culprit.filename}); split the batch",
        code="request_too_large",
        idempotency_key=culprit.idempotency_key,
        filename=culprit.filename,
        size=size,
        limit=MAX_REQUEST_BYTES,
    )


def encode_bulk_body(
    items: Sequence[BulkItem],
    *,
    source: str = "integration",
    meta: Mapping[str, Any] | None = None,
    skip_attachment_matcher: bool | None = None,
    boundary: str | None = None,
) -> tuple[bytes, str]:
    """The multipart body and its Content-Type, after checking every limit locally.

    One ``supplier_invoices[][file]`` part followed by its ``supplier_invoices[][idempotency_key]``
    part per invoice, repeated: Rails starts a new array element when a key repeats. The body is
    built here (not by ``requests``) so its exact size can be checked against the 15 MB cap.
    """
    _check_batch(items)
    fields: list[tuple[str, Any]] = []
    for item in items:
        fields.append(
            ("supplier_invoices[][file]", (item.filename, item.content, item.content_type))
        )
        fields.append(("supplier_invoices[][idempotency_key]", item.idempotency_key))
    fields.append(("source", source))
    if meta:
        fields.append(("meta", json.dumps(dict(meta), separators=(",", ":"))))
    if skip_attachment_matcher is not None:
        fields.append(("skip_attachment_matcher", "true" if skip_attachment_matcher else "false"))
    body, content_type = encode_multipart_formdata(fields, boundary=boundary)
    if len(body) > MAX_REQUEST_BYTES:
        raise _request_too_large(items, len(body))
    return body, content_type


@dataclass(frozen=True)
class BatchPlan:
    batches: tuple[tuple[BulkItem, ...], ...]
    refused: tuple[tuple[BulkItem, BulkLimitError], ...]


# Multipart framing per item (boundary lines + two part headers) stays well under this.
_PER_ITEM_OVERHEAD = 1024
_REQUEST_OVERHEAD = 4096


def plan_batches(items: Iterable[BulkItem]) -> BatchPlan:
    """Pack items, in order, into requests that respect every limit; items that can never be
    sent (too large, bad key) are returned in ``refused`` with the reason."""
    batches: list[tuple[BulkItem, ...]] = []
    refused: list[tuple[BulkItem, BulkLimitError]] = []
    current: list[BulkItem] = []
    current_bytes = _REQUEST_OVERHEAD
    for item in items:
        try:
            check_item(item)
        except BulkLimitError as error:
            refused.append((item, error))
            continue
        cost = item.size + len(item.filename.encode()) + _PER_ITEM_OVERHEAD
        if current and (
            len(current) == MAX_ITEMS_PER_REQUEST or current_bytes + cost > MAX_REQUEST_BYTES
        ):
            batches.append(tuple(current))
            current, current_bytes = [], _REQUEST_OVERHEAD
        current.append(item)
        current_bytes += cost
    if current:
        batches.append(tuple(current))
    return BatchPlan(batches=tuple(batches), refused=tuple(refused))


# --- Mapping the answer --------------------------------------------------------------------------


@dataclass(frozen=True)
class BulkItemError:
    code: str | None
    detail: str | None
    pointer: str | None

    @property
    def is_retryable(self) -> bool:
        """``internal_server_error`` means Qonto failed to process it: re-send with the same key."""
        return self.code in RETRYABLE_ITEM_CODES


ItemStatus = Literal["created", "rejected", "retryable", "unknown"]


@dataclass(frozen=True)
class BulkItemResult:
    idempotency_key: str
    filename: str
    invoice: SupplierInvoice | None
    errors: tuple[BulkItemError, ...]
    # Qonto's answer for this item when it could not be read (kept for the attempt's record).
    raw: Any = None

    @property
    def status(self) -> ItemStatus:
        """``unknown``: the answer neither created it nor named it in an error, or its item could
        not be read (``raw``); look it up (``QontoClient.find_supplier_invoice_for``) before
        re-posting."""
        if self.invoice is not None:
            return "created"
        if self.errors:
            if all(error.is_retryable for error in self.errors):
                return "retryable"
            return "rejected"
        return "unknown"


@dataclass(frozen=True)
class BulkResult:
    items: Mapping[str, BulkItemResult]
    unattributed_errors: tuple[BulkItemError, ...]
    unmatched_invoices: tuple[SupplierInvoice, ...]
    status: int
    request_id: str | None
    # Unreadable invoice items that could not be attributed to a key either.
    unreadable: tuple[UnreadableItem, ...] = ()

    def by_status(self, status: ItemStatus) -> list[BulkItemResult]:
        return [result for result in self.items.values() if result.status == status]


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "; ".join(str(part) for part in value)
    return str(value)


def parse_item_error(raw: Mapping[str, Any]) -> BulkItemError:
    """Defensive: ``source`` may be an object or a list of objects, the text may be under
    ``detail``, ``details``, ``message`` or ``title``, and the pointer may be a ``parameter``."""
    pointer: str | None = None
    source = raw.get("source")
    sources = source if isinstance(source, list) else [source]
    for candidate in sources:
        if isinstance(candidate, Mapping):
            found = candidate.get("pointer") or candidate.get("parameter")
            if isinstance(found, str) and found:
                pointer = found
                break
    if pointer is None and isinstance(raw.get("pointer"), str):
        pointer = raw["pointer"]
    detail = next(
        (
            _text(raw[name])
            for name in ("detail", "details", "message", "title")
            if raw.get(name) not in (None, "")
        ),
        None,
    )
    code = raw.get("code")
    return BulkItemError(
        code=str(code) if code is not None else None, detail=detail, pointer=pointer
    )


def key_from_pointer(pointer: str | None, keys: Sequence[str]) -> str | None:
    """``/supplier_invoices/idempotency_key/<key>/file`` → ``<key>``; an index-style
    ``/supplier_invoices/<n>/...`` pointer maps by position."""
    if not pointer:
        return None
    parts = [part.replace("~1", "/").replace("~0", "~") for part in pointer.strip("/").split("/")]
    if "idempotency_key" in parts:
        position = parts.index("idempotency_key")
        if position + 1 < len(parts) and parts[position + 1] in keys:
            return parts[position + 1]
    if len(parts) >= 2 and parts[0] == "supplier_invoices" and parts[1].isdigit():
        index = int(parts[1])
        if index < len(keys):
            return keys[index]
    for part in parts:
        if part in keys:
            return part
    return None


def _attribute_errors(
    raw_errors: Sequence[Any], keys: Sequence[str]
) -> tuple[dict[str, list[BulkItemError]], list[BulkItemError]]:
    errors: dict[str, list[BulkItemError]] = {key: [] for key in keys}
    unattributed: list[BulkItemError] = []
    for raw in raw_errors:
        if not isinstance(raw, Mapping):
            unattributed.append(BulkItemError(code=None, detail=_text(raw), pointer=None))
            continue
        parsed = parse_item_error(raw)
        key = key_from_pointer(parsed.pointer, keys)
        if key is None:
            unattributed.append(parsed)
        else:
            errors[key].append(parsed)
    return errors, unattributed


Answer = SupplierInvoice | UnreadableItem


def _attribute_invoices(
    answers: Sequence[Answer], candidates: Sequence[str], by_key: Mapping[str, BulkItem]
) -> tuple[dict[str, Answer], list[Answer]]:
    """In request order when the counts and file names agree; else by unique file name."""
    in_order = len(answers) == len(candidates) and all(
        answer.file_name in (None, by_key[key].filename)
        for answer, key in zip(answers, candidates, strict=True)
    )
    if in_order:
        return dict(zip(candidates, answers, strict=True)), []
    found: dict[str, Answer] = {}
    unmatched: list[Answer] = []
    open_keys = list(candidates)
    for answer in answers:
        same_name = [key for key in open_keys if by_key[key].filename == answer.file_name]
        if answer.file_name is not None and len(same_name) == 1:
            found[same_name[0]] = answer
            open_keys.remove(same_name[0])
        else:
            unmatched.append(answer)
    if unmatched:
        logger.warning(
            "qonto bulk: %d created invoice(s) could not be attributed to a key; "
            "their items stay unknown until looked up",
            len(unmatched),
        )
    return found, unmatched


def _result(
    item: BulkItem, answer: Answer | None, errors: tuple[BulkItemError, ...]
) -> BulkItemResult:
    return BulkItemResult(
        idempotency_key=item.idempotency_key,
        filename=item.filename,
        invoice=answer if isinstance(answer, SupplierInvoice) else None,
        errors=errors,
        raw=answer.raw if isinstance(answer, UnreadableItem) else None,
    )


def map_bulk_response(
    items: Sequence[BulkItem], response: BulkResponse, *, status: int, request_id: str | None
) -> BulkResult:
    """Attribute every created invoice and every error to an idempotency key.

    Errors carry the key in ``source.pointer``. Created invoices carry no key (undocumented), so
    we assume Qonto returns them in request order, skipping the items that errored; an invoice
    whose ``file_name`` contradicts that order is matched by file name instead when the name is
    unique in the batch, and left in ``unmatched_invoices`` otherwise. An invoice item that does
    not match the schema takes its place in that order too, but its key becomes ``unknown`` with
    the raw item kept. Keys that end up with neither an invoice nor an error are ``unknown`` and
    must be looked up before a re-post.
    """
    keys = [item.idempotency_key for item in items]
    by_key = {item.idempotency_key: item for item in items}
    errors, unattributed = _attribute_errors(response.errors, keys)
    answers: dict[str, Answer] = {}
    remaining: list[Answer] = []
    for answer in response.invoices:
        echoed = answer.idempotency_key if isinstance(answer, SupplierInvoice) else None
        if echoed in by_key and echoed not in answers:
            answers[str(echoed)] = answer
        else:
            remaining.append(answer)
    candidates = [key for key in keys if key not in answers and not errors[key]]
    found, unmatched = _attribute_invoices(remaining, candidates, by_key)
    answers.update(found)
    results = {key: _result(by_key[key], answers.get(key), tuple(errors[key])) for key in keys}
    return BulkResult(
        items=results,
        unattributed_errors=tuple(unattributed),
        unmatched_invoices=tuple(a for a in unmatched if isinstance(a, SupplierInvoice)),
        status=status,
        request_id=request_id,
        unreadable=tuple(a for a in unmatched if isinstance(a, UnreadableItem)),
    )
