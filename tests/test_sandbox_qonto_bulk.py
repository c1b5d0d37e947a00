"""Qonto emulator: supplier-invoice bulk upload (limits, per-item errors, per-item idempotency)
and the supplier-invoice look-ups a client makes before re-posting."""

from __future__ import annotations

import hashlib
import threading
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
import requests

from connectors.sandbox import QontoEmulator
from tests.qonto_http import qonto_auth
from tests.qonto_http import qonto_get

BULK = "/v2/supplier_invoices/bulk"
PDF = b"%PDF-1.7\n" + b"supplier invoice " * 40


def item(
    key: str, content: bytes = PDF, name: str | None = None, kind: str = "application/pdf"
) -> list[tuple[str, Any]]:
    return [
        ("supplier_invoices[][file]", (name or f"{key}.pdf", content, kind)),
        ("supplier_invoices[][idempotency_key]", (None, key)),
    ]


def post(qonto: QontoEmulator, parts: list[tuple[str, Any]], **data: str) -> requests.Response:
    return requests.post(
        qonto.url(BULK), headers=qonto_auth(qonto), files=parts, data=data, timeout=10
    )


def unique(key: str) -> bytes:
    return PDF + key.encode()


def test_bulk_creates_invoices_with_the_documented_fields(qonto_emulator: QontoEmulator) -> None:
    response = post(qonto_emulator, item("k1", unique("k1")) + item("k2", unique("k2")))

    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["supplier_invoices", "errors"]
    assert body["errors"] == []
    first = body["supplier_invoices"][0]
    assert [invoice["file_name"] for invoice in body["supplier_invoices"]] == ["k1.pdf", "k2.pdf"]
    assert first["status"] == "to_review"
    assert first["organization_id"] == qonto_emulator.organization_id
    assert first["source"] == "pay_by_invoice"
    assert first["total_amount"] is None
    assert first["analyzed_at"] is None
    assert first["attachment_id"] == first["display_attachment_id"]
    for field in (
        "id",
        "invoice_number",
        "supplier_name",
        "total_amount_excluding_taxes",
        "total_tax_amount",
        "payable_amount",
        "issue_date",
        "due_date",
        "iban",
        "created_at",
        "updated_at",
        "has_duplicates",
        "matched_transactions",
        "meta",
    ):
        assert field in first
    assert first["created_at"].endswith("Z")
    assert qonto_emulator.invoice_count_by_idempotency_key() == {"k1": 1, "k2": 1}


def test_repeated_key_returns_the_same_invoice_and_creates_nothing(
    qonto_emulator: QontoEmulator,
) -> None:
    first = post(qonto_emulator, item("k1")).json()["supplier_invoices"][0]

    again = post(qonto_emulator, item("k1", b"%PDF a different file", name="other.pdf")).json()
    twice_in_one = post(qonto_emulator, item("k2") + item("k2")).json()

    assert again == {"supplier_invoices": [first], "errors": []}
    assert [i["id"] for i in twice_in_one["supplier_invoices"]] == [
        twice_in_one["supplier_invoices"][0]["id"]
    ] * 2
    assert qonto_emulator.invoice_count_by_idempotency_key() == {"k1": 1, "k2": 1}


def test_same_file_with_two_keys_is_two_invoices_flagged_duplicates(
    qonto_emulator: QontoEmulator,
) -> None:
    post(qonto_emulator, item("k1"))
    second = post(qonto_emulator, item("k2")).json()["supplier_invoices"][0]

    assert second["has_duplicates"] is True
    assert qonto_emulator.invoice_count_by_file_hash() == {hashlib.sha256(PDF).hexdigest(): 2}


def test_more_than_20_items_is_a_400_limit_reached(qonto_emulator: QontoEmulator) -> None:
    parts = [part for index in range(21) for part in item(f"k{index}")]

    response = post(qonto_emulator, parts)

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "code": "limit_reached",
            "detail": "Limit of 20 invoices reached",
            "source": {"pointer": "/supplier_invoices"},
        }
    ]
    assert qonto_emulator.invoice_count_by_idempotency_key() == {}


def test_exactly_20_items_are_accepted(qonto_emulator: QontoEmulator) -> None:
    parts = [part for index in range(20) for part in item(f"k{index}", unique(str(index)))]

    response = post(qonto_emulator, parts)

    assert len(response.json()["supplier_invoices"]) == 20


def test_file_over_10_mb_is_a_per_item_invalid(qonto_emulator: QontoEmulator) -> None:
    big = b"%PDF" + b"0" * 10_000_000

    response = post(qonto_emulator, item("big", big) + item("small"))

    assert response.status_code == 200
    assert [i["file_name"] for i in response.json()["supplier_invoices"]] == ["small.pdf"]
    assert response.json()["errors"] == [
        {
            "code": "invalid",
            "detail": "File size must be less than 10 MB",
            "source": [{"pointer": "/supplier_invoices/idempotency_key/big/file"}],
        }
    ]


def test_request_over_15_mb_is_rejected_whole(qonto_emulator: QontoEmulator) -> None:
    nine = b"%PDF" + b"1" * 9_000_000

    response = post(qonto_emulator, item("a", nine) + item("b", nine + b"2"))

    assert response.status_code == 400
    assert response.json()["errors"] == [{"code": "bad_request", "detail": "Request is too large"}]
    assert qonto_emulator.invoice_count_by_idempotency_key() == {}


@pytest.mark.parametrize(
    ("parts", "code", "pointer", "case"),
    [
        (
            item("k1", b"hello", "k1.txt", "text/plain"),
            "invalid",
            "/supplier_invoices/idempotency_key/k1/file",
            "wrong_type",
        ),
        (
            item("k1", b"", "k1.pdf"),
            "invalid",
            "/supplier_invoices/idempotency_key/k1/file",
            "empty_file",
        ),
        (
            [*item("k1"), ("supplier_invoices[][attachment_id]", (None, "x"))],
            "invalid",
            "/supplier_invoices/idempotency_key/k1/file",
            "file_and_attachment",
        ),
    ],
)
def test_per_item_validation_errors(
    qonto_emulator: QontoEmulator, parts: list[tuple[str, Any]], code: str, pointer: str, case: str
) -> None:
    response = post(qonto_emulator, parts)

    assert response.status_code == 200
    assert response.json()["supplier_invoices"] == []
    [error] = response.json()["errors"]
    assert (error["code"], error["source"]) == (code, [{"pointer": pointer}])
    assert qonto_emulator.invoice_count_by_idempotency_key() == {}


@pytest.mark.parametrize(
    ("parts", "error", "case"),
    [
        (
            [*item("k1", unique("1")), ("supplier_invoices[][idempotency_key]", (None, "k2"))],
            {"code": "required", "detail": "File is required", "source": {"pointer": "/file"}},
            "no_file",
        ),
        (
            [
                *item("k1", unique("1")),
                ("supplier_invoices[][file]", ("a.pdf", PDF, "application/pdf")),
            ],
            {
                "code": "required",
                "detail": "Idempotency key is required",
                "source": {"pointer": "/idempotency_key"},
            },
            "no_key",
        ),
        (
            [*item("k1", unique("1")), *item("", unique("2"))],
            {
                "code": "required",
                "detail": "Idempotency key is required",
                "source": {"pointer": "/idempotency_key"},
            },
            "blank_key",
        ),
    ],
)
def test_a_missing_file_or_key_fails_the_whole_request_with_400_required(
    qonto_emulator: QontoEmulator, parts: list[tuple[str, Any]], error: dict[str, Any], case: str
) -> None:
    response = post(qonto_emulator, parts)

    assert response.status_code == 400
    assert response.json() == {"errors": [error], "trace_id": response.json()["trace_id"]}
    assert qonto_emulator.invoice_count_by_idempotency_key() == {}


def test_octet_stream_pdf_is_sniffed(qonto_emulator: QontoEmulator) -> None:
    response = post(qonto_emulator, item("k1", kind="application/octet-stream"))

    assert len(response.json()["supplier_invoices"]) == 1


def test_existing_attachment_can_be_used_instead_of_a_file(qonto_emulator: QontoEmulator) -> None:
    uploaded = requests.post(
        qonto_emulator.url("/v2/attachments"),
        headers={**qonto_auth(qonto_emulator), "X-Qonto-Idempotency-Key": "att-1"},
        files={"file": ("scan.pdf", PDF, "application/pdf")},
        timeout=5,
    )
    attachment_id = uploaded.json()["attachment"]["id"]

    response = post(
        qonto_emulator,
        [
            ("supplier_invoices[][attachment_id]", (None, attachment_id)),
            ("supplier_invoices[][idempotency_key]", (None, "k1")),
        ],
    )

    assert sorted(uploaded.json()["attachment"]) == ["id"]
    [invoice] = response.json()["supplier_invoices"]
    assert (invoice["attachment_id"], invoice["file_name"]) == (attachment_id, "scan.pdf")


def test_the_generated_single_json_part_form_is_refused(qonto_emulator: QontoEmulator) -> None:
    response = post(
        qonto_emulator,
        [("supplier_invoices", (None, '{"file": "...", "idempotency_key": "k1"}'))],
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "invalid"


def test_no_items_is_a_400_required(qonto_emulator: QontoEmulator) -> None:
    response = requests.post(
        qonto_emulator.url(BULK),
        headers=qonto_auth(qonto_emulator),
        data={"source": "integration"},
        timeout=5,
    )

    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "required"


def test_request_fields_are_validated_and_kept(qonto_emulator: QontoEmulator) -> None:
    bad_source = post(qonto_emulator, item("k1"), source="fax")
    bad_meta = post(qonto_emulator, item("k1"), meta="not json")
    good = post(
        qonto_emulator,
        item("k1"),
        source="integration",
        meta='{"integration_type": "well", "connector": "dropbox"}',
        skip_attachment_matcher="true",
    )

    assert bad_source.status_code == 400
    assert bad_meta.status_code == 400
    [invoice] = good.json()["supplier_invoices"]
    assert invoice["source"] == "integration"
    assert invoice["meta"] == {
        "integration_type": "well",
        "connector": "dropbox",
        "accounting_recorded_at": None,
        "accounting_recorded_source": None,
    }


# --- injected per-item errors --------------------------------------------------------------------


def test_next_items_fail_with_an_injected_error_then_succeed_on_retry(
    qonto_emulator: QontoEmulator,
) -> None:
    requests.post(
        qonto_emulator.url("/_sandbox/item_errors"),
        json={"code": "internal_server_error", "count": 2},
        timeout=5,
    )
    parts = item("k1", unique("1")) + item("k2", unique("2")) + item("k3", unique("3"))

    first = post(qonto_emulator, parts).json()
    retry = post(qonto_emulator, parts).json()

    assert [i["file_name"] for i in first["supplier_invoices"]] == ["k3.pdf"]
    assert first["errors"] == [
        {
            "code": "internal_server_error",
            "detail": "An error occurred while processing the supplier invoice",
            "source": [{"pointer": f"/supplier_invoices/idempotency_key/{key}/file"}],
        }
        for key in ("k1", "k2")
    ]
    assert [i["file_name"] for i in retry["supplier_invoices"]] == ["k1.pdf", "k2.pdf", "k3.pdf"]
    assert retry["errors"] == []
    assert qonto_emulator.invoice_count_by_idempotency_key() == {"k1": 1, "k2": 1, "k3": 1}


def test_keyed_item_error_fails_every_time(qonto_emulator: QontoEmulator) -> None:
    qonto_emulator.inject_item_errors(
        code="invalid", detail="Unreadable PDF", idempotency_keys=["bad"]
    )

    first = post(qonto_emulator, item("bad") + item("good", unique("g"))).json()
    second = post(qonto_emulator, item("bad")).json()

    assert [e["detail"] for e in first["errors"] + second["errors"]] == [
        "Unreadable PDF",
        "Unreadable PDF",
    ]
    assert qonto_emulator.invoice_count_by_idempotency_key() == {"good": 1}


def test_random_item_errors_follow_their_seed(qonto_emulator: QontoEmulator) -> None:
    parts = [part for index in range(20) for part in item(f"k{index}", unique(str(index)))]

    qonto_emulator.inject_item_errors(code="internal_server_error", probability=0.3, seed=5)
    first = sorted(e["source"][0]["pointer"] for e in post(qonto_emulator, parts).json()["errors"])
    qonto_emulator.reset()
    qonto_emulator.inject_item_errors(code="internal_server_error", probability=0.3, seed=5)
    second = sorted(e["source"][0]["pointer"] for e in post(qonto_emulator, parts).json()["errors"])

    assert first == second
    assert 0 < len(first) < 20


@pytest.mark.parametrize(
    ("style", "expected", "case"),
    [
        (
            "standard",
            {
                "code": "invalid",
                "detail": "File is invalid",
                "source": {"pointer": "/supplier_invoices/idempotency_key/k1/file"},
            },
            "object",
        ),
        (
            "details",
            {
                "code": "invalid",
                "details": "File is invalid",
                "source": {"pointer": "/supplier_invoices/idempotency_key/k1/file"},
            },
            "details",
        ),
    ],
)
def test_error_shape_variants_from_the_spec(
    qonto_emulator: QontoEmulator, style: str, expected: dict[str, Any], case: str
) -> None:
    requests.post(
        qonto_emulator.url("/_sandbox/settings"), json={"bulk_error_style": style}, timeout=5
    )
    qonto_emulator.inject_item_errors()

    response = post(qonto_emulator, item("k1"))

    assert response.json()["errors"] == [expected]


def test_timeout_after_processing_then_retry_creates_no_duplicate(
    qonto_emulator: QontoEmulator,
) -> None:
    qonto_emulator.inject_fault(BULK, {"delay_after_processing": 0.5})
    headers = qonto_auth(qonto_emulator)

    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.post(qonto_emulator.url(BULK), headers=headers, files=item("k1"), timeout=0.2)
    retried = requests.post(qonto_emulator.url(BULK), headers=headers, files=item("k1"), timeout=5)

    assert len(retried.json()["supplier_invoices"]) == 1
    assert qonto_emulator.invoice_count_by_idempotency_key() == {"k1": 1}


# --- look-ups ------------------------------------------------------------------------------------


def listing(qonto: QontoEmulator, **params: str) -> requests.Response:
    return qonto_get(qonto, "/v2/supplier_invoices", **params)


def test_list_filters_by_created_at_and_file_name(qonto_emulator: QontoEmulator) -> None:
    post(qonto_emulator, item("old", unique("old"), name="well-old.pdf"))
    qonto_emulator.advance_clock(120)
    since = qonto_emulator.clock.now() - timedelta(seconds=1)
    post(qonto_emulator, item("new", unique("new"), name="well-0001-acme.pdf"))
    post(qonto_emulator, item("other", unique("other"), name="other.pdf"))

    recent = listing(qonto_emulator, **{"filter[created_at_from]": since.isoformat()}).json()
    searched = listing(qonto_emulator, query="0001-ACME", query_fields="file_name").json()

    assert [i["file_name"] for i in recent["supplier_invoices"]] == [
        "other.pdf",
        "well-0001-acme.pdf",
    ]
    assert [i["file_name"] for i in searched["supplier_invoices"]] == ["well-0001-acme.pdf"]
    assert searched["meta"] == {
        "current_page": 1,
        "next_page": None,
        "prev_page": None,
        "total_pages": 1,
        "total_count": 1,
        "per_page": 100,
    }


def test_list_pagination(qonto_emulator: QontoEmulator) -> None:
    post(qonto_emulator, [p for index in range(5) for p in item(f"k{index}", unique(str(index)))])

    first = listing(qonto_emulator, per_page="2", sort_by="file_name:asc").json()
    last = listing(qonto_emulator, per_page="2", page="3", sort_by="file_name:asc").json()
    past = listing(qonto_emulator, per_page="2", page="4")
    too_big = listing(qonto_emulator, per_page="101")

    assert [i["file_name"] for i in first["supplier_invoices"]] == ["k0.pdf", "k1.pdf"]
    assert (
        first["meta"]["next_page"],
        first["meta"]["total_pages"],
        first["meta"]["total_count"],
    ) == (2, 3, 5)
    assert [i["file_name"] for i in last["supplier_invoices"]] == ["k4.pdf"]
    assert (last["meta"]["next_page"], last["meta"]["prev_page"]) == (None, 2)
    assert past.status_code == 422
    assert too_big.status_code == 422
    assert too_big.json()["errors"][0]["source"] == {"parameter": "per_page"}


def test_list_can_omit_next_page_on_the_last_page(qonto_emulator: QontoEmulator) -> None:
    qonto_emulator.omit_next_page_on_last = True
    post(qonto_emulator, item("k1"))

    meta = listing(qonto_emulator).json()["meta"]

    assert "next_page" not in meta


@pytest.mark.parametrize(
    ("value", "code", "case"),
    [
        ("yesterday-ish", "invalid_time", "bad_time"),
        ("2999-01-01T00:00:00Z", "invalid_datetime_range", "future"),
    ],
)
def test_list_time_filter_errors(
    qonto_emulator: QontoEmulator, value: str, code: str, case: str
) -> None:
    response = listing(qonto_emulator, **{"filter[created_at_from]": value})

    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == code
    assert response.json()["errors"][0]["source"] == {"parameter": "filter[created_at_from]"}


def test_get_one_invoice_and_404(qonto_emulator: QontoEmulator) -> None:
    created = post(qonto_emulator, item("k1")).json()["supplier_invoices"][0]

    found = qonto_get(qonto_emulator, f"/v2/supplier_invoices/{created['id']}")
    missing = qonto_get(qonto_emulator, "/v2/supplier_invoices/nope")

    assert found.json() == {"supplier_invoice": created}
    assert missing.status_code == 404
    assert missing.json()["errors"] == [
        {"code": "not_found", "detail": "Supplier invoice not found"}
    ]


def test_extracted_fields_are_decimal_strings(qonto_emulator: QontoEmulator) -> None:
    created = post(qonto_emulator, item("k1")).json()["supplier_invoices"][0]
    qonto_emulator.set_extracted_fields(
        created["id"],
        supplier_name="ACME SARL",
        invoice_number="F-2026-001",
        currency="EUR",
        total_amount=Decimal("1200"),
        total_amount_excluding_taxes=Decimal("1000"),
        total_tax_amount=Decimal("200"),
        tax_rate="20.0",
        issue_date="2026-11-02",
    )

    invoice = listing(qonto_emulator, query="acme").json()["supplier_invoices"][0]

    assert invoice["supplier_name"] == "ACME SARL"
    assert invoice["total_amount"] == {"value": "1200.00", "currency": "EUR"}
    assert invoice["total_amount_excluding_taxes"] == {"value": "1000.00", "currency": "EUR"}
    assert invoice["taxes"] == [
        {"tax_amount": {"value": "200.00", "currency": "EUR"}, "tax_rate": "20.0"}
    ]
    assert invoice["analyzed_at"] is not None


def test_supplier_invoice_scope_is_required(qonto_emulator: QontoEmulator) -> None:
    token = qonto_emulator.issue_token(scopes=("supplier_invoice.read",))["access_token"]

    response = requests.post(
        qonto_emulator.url(BULK),
        headers={"Authorization": f"Bearer {token}"},
        files=item("k1"),
        timeout=5,
    )

    assert response.status_code == 403
    assert qonto_emulator.invoice_count_by_idempotency_key() == {}


def test_concurrent_posts_of_the_same_keys_create_each_invoice_once(
    qonto_emulator: QontoEmulator,
) -> None:
    headers = qonto_auth(qonto_emulator)
    parts = [part for index in range(5) for part in item(f"k{index}", unique(str(index)))]
    ids: list[list[str]] = []
    lock = threading.Lock()

    def post_once() -> None:
        response = requests.post(qonto_emulator.url(BULK), headers=headers, files=parts, timeout=10)
        with lock:
            ids.append([invoice["id"] for invoice in response.json()["supplier_invoices"]])

    workers = [threading.Thread(target=post_once) for _ in range(8)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=10)

    assert len(ids) == 8
    assert all(answer == ids[0] for answer in ids)
    assert qonto_emulator.invoice_count_by_idempotency_key() == {
        f"k{index}": 1 for index in range(5)
    }
