"""The pure half of the bulk upload: body layout, local limits, batch planning and mapping the
200 answer back to idempotency keys. The wire half is in test_connectors_qonto.py."""

from __future__ import annotations

import email
from email.message import Message
from typing import Any

import pytest

from connectors.qonto.bulk import MAX_FILE_BYTES
from connectors.qonto.bulk import BulkItem
from connectors.qonto.bulk import BulkLimitError
from connectors.qonto.bulk import encode_bulk_body
from connectors.qonto.bulk import key_from_pointer
from connectors.qonto.bulk import map_bulk_response
from connectors.qonto.bulk import parse_item_error
from connectors.qonto.bulk import plan_batches
from connectors.qonto.schemas import BulkResponse


def item(number: int, size: int = 10, name: str | None = None) -> BulkItem:
    return BulkItem(
        idempotency_key=f"key-{number}",
        filename=name or f"invoice-{number}.pdf",
        content=b"%PDF" + b"x" * max(0, size - 4),
    )


def parts_of(body: bytes, content_type: str) -> list[Message]:
    message = email.message_from_bytes(f"Content-Type: {content_type}\r\n\r\n".encode() + body)
    return [part for part in message.walk() if not part.is_multipart()]


def invoice(identifier: str, file_name: str | None) -> dict[str, Any]:
    return {"id": identifier, "file_name": file_name, "status": "to_review"}


def test_body_repeats_file_then_key_per_invoice_rails_style() -> None:
    body, content_type = encode_bulk_body(
        [item(1), item(2)], source="integration", meta={"connector": "well"}
    )

    parts = parts_of(body, content_type)

    assert content_type.startswith("multipart/form-data; boundary=")
    assert [
        (p.get_param("name", header="content-disposition"), p.get_filename()) for p in parts
    ] == [
        ("supplier_invoices[][file]", "invoice-1.pdf"),
        ("supplier_invoices[][idempotency_key]", None),
        ("supplier_invoices[][file]", "invoice-2.pdf"),
        ("supplier_invoices[][idempotency_key]", None),
        ("source", None),
        ("meta", None),
    ]
    assert parts[0].get_content_type() == "application/pdf"
    assert parts[0].get_payload(decode=True) == item(1).content
    assert parts[1].get_payload(decode=True) == b"key-1"
    assert parts[3].get_payload(decode=True) == b"key-2"
    assert parts[4].get_payload(decode=True) == b"integration"
    assert parts[5].get_payload(decode=True) == b'{"connector":"well"}'


@pytest.mark.parametrize(
    ("items", "code", "filename", "_case"),
    [
        ([item(n) for n in range(21)], "too_many_items", "invoice-20.pdf", "21 files"),
        ([item(1), item(2, size=MAX_FILE_BYTES + 1)], "file_too_large", "invoice-2.pdf", "11 MB"),
        (
            [item(n, size=4_000_000) for n in range(4)],
            "request_too_large",
            "invoice-3.pdf",
            "16 MB request",
        ),
        ([], "empty_batch", None, "empty"),
        (
            [item(1), BulkItem("key-1", "other.pdf", b"%PDF")],
            "duplicate_idempotency_key",
            "other.pdf",
            "duplicate key",
        ),
        (
            [BulkItem("has/slash", "a.pdf", b"%PDF")],
            "invalid_idempotency_key",
            "a.pdf",
            "key unusable in a pointer",
        ),
    ],
)
def test_limits_are_refused_locally_naming_the_file(
    items: list[BulkItem], code: str, filename: str | None, _case: str
) -> None:
    with pytest.raises(BulkLimitError) as raised:
        encode_bulk_body(items)

    assert raised.value.code == code
    assert raised.value.filename == filename
    assert raised.value.provider == "qonto"
    if filename:
        assert filename in str(raised.value)


def test_file_too_large_message_is_exact() -> None:
    with pytest.raises(BulkLimitError) as raised:
        encode_bulk_body([item(7, size=11_000_000)])

    assert str(raised.value) == (
        "qonto: invoice-7.pdf is 11,000,000 bytes; Qonto accepts at most 10,000,000 bytes "
        "(10 MB) per file"
    )
    assert raised.value.size == 11_000_000
    assert raised.value.limit == MAX_FILE_BYTES


def test_plan_batches_splits_21_files_into_20_and_1() -> None:
    plan = plan_batches(item(n) for n in range(21))

    assert [len(batch) for batch in plan.batches] == [20, 1]
    assert plan.batches[1][0].idempotency_key == "key-20"
    assert plan.refused == ()


def test_plan_batches_respects_the_request_size_and_refuses_oversized_files() -> None:
    items = [item(1, 6_000_000), item(2, 11_000_000), item(3, 6_000_000), item(4, 6_000_000)]

    plan = plan_batches(items)

    assert [[i.idempotency_key for i in batch] for batch in plan.batches] == [
        ["key-1", "key-3"],
        ["key-4"],
    ]
    assert [(i.idempotency_key, e.code) for i, e in plan.refused] == [("key-2", "file_too_large")]
    for batch in plan.batches:
        encode_bulk_body(batch)  # every planned batch passes the exact check


@pytest.mark.parametrize(
    ("raw", "expected", "_case"),
    [
        (
            {
                "code": "invalid",
                "detail": "file too large",
                "source": {"pointer": "/supplier_invoices/idempotency_key/k1/file"},
            },
            ("invalid", "file too large", "/supplier_invoices/idempotency_key/k1/file"),
            "documented",
        ),
        (
            {
                "code": "required",
                "details": "file is missing",
                "source": [{"pointer": "/supplier_invoices/idempotency_key/k2/file"}],
            },
            ("required", "file is missing", "/supplier_invoices/idempotency_key/k2/file"),
            "list source and details",
        ),
        (
            {"code": "invalid", "message": "bad", "source": {"parameter": "source"}},
            ("invalid", "bad", "source"),
            "parameter and message",
        ),
        ({"code": "limit_reached"}, ("limit_reached", None, None), "no source"),
    ],
)
def test_parse_item_error_is_defensive(
    raw: dict[str, Any], expected: tuple[str | None, str | None, str | None], _case: str
) -> None:
    parsed = parse_item_error(raw)

    assert (parsed.code, parsed.detail, parsed.pointer) == expected


@pytest.mark.parametrize(
    ("pointer", "expected", "_case"),
    [
        ("/supplier_invoices/idempotency_key/key-2/file", "key-2", "documented"),
        ("/supplier_invoices/idempotency_key/key-2", "key-2", "no field"),
        ("/supplier_invoices/1/file", "key-2", "index"),
        ("/supplier_invoices/idempotency_key/nope/file", None, "unknown key"),
        ("/source", None, "request level"),
        (None, None, "absent"),
    ],
)
def test_key_from_pointer(pointer: str | None, expected: str | None, _case: str) -> None:
    assert key_from_pointer(pointer, ["key-1", "key-2", "key-3"]) == expected


def test_mixed_answer_is_mapped_back_to_keys() -> None:
    items = [item(1), item(2), item(3), item(4)]
    answer = BulkResponse.model_validate(
        {
            "supplier_invoices": [invoice("si-1", "invoice-1.pdf"), invoice("si-3", None)],
            "errors": [
                {
                    "code": "invalid",
                    "detail": "content type not accepted",
                    "source": {"pointer": "/supplier_invoices/idempotency_key/key-2/file"},
                },
                {
                    "code": "internal_server_error",
                    "details": "processing failed",
                    "source": [{"pointer": "/supplier_invoices/idempotency_key/key-4/file"}],
                },
            ],
        }
    )

    result = map_bulk_response(items, answer, status=200, request_id="trace-1")

    assert {key: r.status for key, r in result.items.items()} == {
        "key-1": "created",
        "key-2": "rejected",
        "key-3": "created",
        "key-4": "retryable",
    }
    assert result.items["key-1"].invoice is not None
    assert result.items["key-1"].invoice.id == "si-1"
    assert result.items["key-3"].invoice is not None
    assert result.items["key-3"].invoice.id == "si-3"
    assert [(e.code, e.detail) for e in result.items["key-2"].errors] == [
        ("invalid", "content type not accepted")
    ]
    assert result.unattributed_errors == ()
    assert result.unmatched_invoices == ()
    assert result.request_id == "trace-1"


def test_out_of_order_invoices_fall_back_to_file_names() -> None:
    items = [item(1), item(2), item(3)]
    answer = BulkResponse.model_validate(
        {
            "supplier_invoices": [
                invoice("si-3", "invoice-3.pdf"),
                invoice("si-1", "invoice-1.pdf"),
                invoice("si-2", "invoice-2.pdf"),
            ]
        }
    )

    result = map_bulk_response(items, answer, status=200, request_id=None)

    assert {key: r.invoice.id for key, r in result.items.items() if r.invoice} == {
        "key-1": "si-1",
        "key-2": "si-2",
        "key-3": "si-3",
    }


def test_unattributable_invoices_leave_their_items_unknown() -> None:
    items = [item(1, name="same.pdf"), item(2, name="same.pdf"), item(3)]
    answer = BulkResponse.model_validate(
        {
            "supplier_invoices": [invoice("si-a", "invoice-3.pdf"), invoice("si-b", "same.pdf")],
            "errors": [{"code": "limit_reached", "detail": "too many"}],
        }
    )

    result = map_bulk_response(items, answer, status=200, request_id=None)

    assert {key: r.status for key, r in result.items.items()} == {
        "key-1": "unknown",
        "key-2": "unknown",
        "key-3": "created",
    }
    assert [i.id for i in result.unmatched_invoices] == ["si-b"]
    assert [e.code for e in result.unattributed_errors] == ["limit_reached"]
    assert [r.idempotency_key for r in result.by_status("unknown")] == ["key-1", "key-2"]


def test_an_echoed_idempotency_key_wins_over_order() -> None:
    items = [item(1), item(2)]
    answer = BulkResponse.model_validate(
        {
            "supplier_invoices": [
                {**invoice("si-2", None), "idempotency_key": "key-2"},
                {**invoice("si-1", None), "idempotency_key": "key-1"},
            ]
        }
    )

    result = map_bulk_response(items, answer, status=200, request_id=None)

    assert {key: r.invoice.id for key, r in result.items.items() if r.invoice} == {
        "key-1": "si-1",
        "key-2": "si-2",
    }
