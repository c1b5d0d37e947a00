"""Qonto emulator, what happens after an upload: idempotency keys expire after 30 minutes, Qonto
analyses the file later on its own clock (and can be told to misread), invoices can reach
Qonto by another route (planted), and Qonto's own attachment matcher links an analysed invoice
to its transaction unless the upload said ``skip_attachment_matcher``."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC
from datetime import datetime
from datetime import time
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
import requests

from connectors.sandbox import QontoEmulator
from connectors.sandbox.demo_data import RenderedDocument
from connectors.sandbox.documents import generate_vendor_stream
from connectors.sandbox.documents.model import UNSEEN_LAYOUTS
from connectors.sandbox.documents.unseen_set import generate_unseen_invoices
from connectors.sandbox.invoice_reader import read_invoice
from connectors.sandbox.qonto_analysis import ANALYSIS_SECONDS
from tests.qonto_http import qonto_auth
from tests.qonto_http import qonto_get

BULK = "/v2/supplier_invoices/bulk"
# Ground-truth name → Qonto's field name.
QONTO_NAMES = {
    "supplier_name": "supplier_name",
    "invoice_number": "invoice_number",
    "issue_date": "issue_date",
    "due_date": "due_date",
    "total_amount": "total_amount",
    "currency": "currency",
    "tax_amount": "total_tax_amount",
    "supplier_vat_id": "vat_number",
    "supplier_iban": "iban",
}


def invoices(vendors: int = 12, per_vendor: int = 4) -> Iterator[RenderedDocument]:
    for vendor in range(vendors):
        yield from generate_vendor_stream(vendor, per_vendor)


INVOICES = [document for document in invoices() if document.kind == "invoice"]
EURO_INVOICE = next(
    d for d in INVOICES if d.truth["currency"] == "EUR" and d.truth["due_date"] is not None
)


@pytest.fixture
def qonto(qonto_emulator: QontoEmulator) -> QontoEmulator:
    qonto_emulator.clock.freeze()
    return qonto_emulator


def upload(
    qonto: QontoEmulator,
    key: str,
    document: RenderedDocument = EURO_INVOICE,
    **fields: str,
) -> dict[str, Any]:
    response = requests.post(
        qonto.url(BULK),
        headers=qonto_auth(qonto),
        files=[
            ("supplier_invoices[][file]", (document.filename, document.content, "application/pdf")),
            ("supplier_invoices[][idempotency_key]", (None, key)),
        ],
        data=fields,
        timeout=10,
    )
    assert response.status_code == 200, response.text
    [invoice] = response.json()["supplier_invoices"]
    return dict(invoice)


def upload_analysed(
    qonto: QontoEmulator,
    key: str = "k1",
    document: RenderedDocument = EURO_INVOICE,
    **fields: str,
) -> dict[str, Any]:
    """``document`` uploaded under ``key``, then left to Qonto until its analysis is done."""
    created = upload(qonto, key, document, **fields)
    qonto.advance_clock(ANALYSIS_SECONDS)
    return created


def fetch(qonto: QontoEmulator, invoice_id: str) -> dict[str, Any]:
    response = qonto_get(qonto, f"/v2/supplier_invoices/{invoice_id}")
    return dict(response.json()["supplier_invoice"])


def read_back(invoice: dict[str, Any]) -> dict[str, str | None]:
    """The analysed values in the generator's ground-truth vocabulary."""
    total = invoice["total_amount"]
    tax = invoice["total_tax_amount"]
    return {
        "supplier_name": invoice["supplier_name"],
        "invoice_number": invoice["invoice_number"],
        "issue_date": invoice["issue_date"],
        "due_date": invoice["due_date"],
        "total_amount": total["value"] if total else None,
        "currency": total["currency"] if total else None,
        "tax_amount": tax["value"] if tax else None,
        "supplier_vat_id": invoice["vat_number"],
        "supplier_iban": invoice["iban"],
    }


def truth(document: RenderedDocument) -> dict[str, str | None]:
    return {name: document.truth.get(name) for name in QONTO_NAMES}


# --- idempotency keys ----------------------------------------------------------------------------


def test_a_key_replays_its_invoice_for_30_minutes_then_creates_a_new_one(
    qonto: QontoEmulator,
) -> None:
    first = upload(qonto, "k1")
    qonto.advance_clock(30 * 60 - 1)
    within = upload(qonto, "k1")
    qonto.advance_clock(1)
    after = upload(qonto, "k1")

    assert within["id"] == first["id"]
    assert after["id"] != first["id"]
    assert qonto.invoice_count_by_idempotency_key() == {"k1": 2}


def test_the_clock_moves_through_the_control_api(qonto: QontoEmulator) -> None:
    first = upload(qonto, "k1")

    requests.post(qonto.url("/_sandbox/clock"), json={"advance": 30 * 60}, timeout=5)

    assert upload(qonto, "k1")["id"] != first["id"]


def test_a_failed_item_is_not_remembered_under_its_key(qonto: QontoEmulator) -> None:
    qonto.inject_item_errors(code="internal_server_error", count=1)
    failed = requests.post(
        qonto.url(BULK),
        headers=qonto_auth(qonto),
        files=[
            ("supplier_invoices[][file]", ("a.pdf", EURO_INVOICE.content, "application/pdf")),
            ("supplier_invoices[][idempotency_key]", (None, "k1")),
        ],
        timeout=10,
    ).json()

    retried = upload(qonto, "k1")

    assert [error["code"] for error in failed["errors"]] == ["internal_server_error"]
    assert retried["file_name"] == EURO_INVOICE.filename
    assert qonto.invoice_count_by_idempotency_key() == {"k1": 1}


# --- analysis ------------------------------------------------------------------------------------


def test_an_upload_is_analysed_later_on_the_emulator_clock(qonto: QontoEmulator) -> None:
    created = upload(qonto, "k1")
    qonto.advance_clock(ANALYSIS_SECONDS - 1)
    before = fetch(qonto, created["id"])
    qonto.advance_clock(1)
    after = fetch(qonto, created["id"])

    assert (created["status"], created["analyzed_at"], created["total_amount"]) == (
        "to_review",
        None,
        None,
    )
    assert (before["analyzed_at"], before["supplier_name"]) == (None, None)
    assert read_back(after) == truth(EURO_INVOICE)
    assert after["status"] == "to_review"
    analysed = datetime.fromisoformat(after["analyzed_at"])
    assert analysed - datetime.fromisoformat(created["created_at"]) == timedelta(
        seconds=ANALYSIS_SECONDS
    )
    assert after["updated_at"] == after["analyzed_at"]


def test_the_reader_gets_every_generated_invoice_right() -> None:
    wrong = {
        (document.filename, qonto_name): (document.truth.get(name), read)
        for document in INVOICES
        for name, qonto_name in QONTO_NAMES.items()
        if (read := read_invoice(document.content).get(qonto_name)) != document.truth.get(name)
    }

    assert len(INVOICES) == 48
    assert wrong == {}


def test_the_reader_gets_invoices_on_layouts_the_demo_never_uses_right() -> None:
    unseen = list(generate_unseen_invoices(40, seed=14))
    wrong = {
        (document.filename, qonto_name): (document.truth.get(name), read)
        for document in unseen
        for name, qonto_name in QONTO_NAMES.items()
        if (read := read_invoice(document.content).get(qonto_name)) != document.truth.get(name)
    }

    assert {document.layout for document in unseen} == set(UNSEEN_LAYOUTS)
    assert wrong == {}


def test_a_file_qonto_cannot_read_is_analysed_with_nothing_found(qonto: QontoEmulator) -> None:
    unreadable = RenderedDocument(
        filename="scan.pdf",
        content=b"%PDF-1.7\nnot really a pdf\n%%EOF\n",
        kind="invoice",
        truth={},
        language="en",
        layout="classic",
        printed={},
        extra={},
    )
    created = upload_analysed(qonto, "k1", unreadable)

    after = fetch(qonto, created["id"])

    assert after["analyzed_at"] is not None
    assert set(read_back(after).values()) == {None}


def test_a_misread_field_of_a_chosen_upload_is_read_wrong(qonto: QontoEmulator) -> None:
    requests.post(
        qonto.url("/_sandbox/misreads"),
        json={"field": "due_date", "value": "2031-01-01", "idempotency_key": "k1"},
        timeout=5,
    )
    qonto.misread("total_amount", file_sha256=hashlib.sha256(EURO_INVOICE.content).hexdigest())
    created = upload(qonto, "k1")
    other = upload(qonto, "k2", INVOICES[-1])
    qonto.advance_clock(ANALYSIS_SECONDS)

    misread = read_back(fetch(qonto, created["id"]))

    expected_total = str(Decimal(str(EURO_INVOICE.truth["total_amount"])) + Decimal("1.00"))
    assert misread == {
        **truth(EURO_INVOICE),
        "due_date": "2031-01-01",
        "total_amount": expected_total,
    }
    assert read_back(fetch(qonto, other["id"])) == truth(INVOICES[-1])


def test_a_misread_after_the_analysis_moves_updated_at(qonto: QontoEmulator) -> None:
    created = upload_analysed(qonto)
    analysed = fetch(qonto, created["id"])
    qonto.advance_clock(60)

    qonto.misread("supplier_name", "Someone Else SARL", invoice_id=created["id"])
    changed = fetch(qonto, created["id"])

    assert changed["supplier_name"] == "Someone Else SARL"
    assert changed["updated_at"] > analysed["updated_at"]
    assert changed["analyzed_at"] == analysed["analyzed_at"]


# --- invoices that reached Qonto another way ------------------------------------------------------


def test_a_planted_invoice_is_listed_analysed_without_a_key(qonto: QontoEmulator) -> None:
    mark = qonto.clock.now()
    response = requests.post(
        qonto.url("/_sandbox/supplier_invoices"),
        json={
            "supplier_name": "Nuage Hébergement SAS",
            "invoice_number": "NH-1",
            "total_amount": "196.68",
            "issue_date": "2026-09-01",
            "due_date": "2026-09-11",
            "vat_number": "FR00821993516",
        },
        timeout=5,
    )
    listing = requests.get(
        qonto.url("/v2/supplier_invoices"),
        headers=qonto_auth(qonto),
        params={"filter[updated_at_from]": mark.isoformat(), "sort_by": "updated_at:asc"},
        timeout=5,
    ).json()["supplier_invoices"]

    assert response.status_code == 201
    [planted] = listing
    assert (planted["source_type"], planted["source"]) == ("email", "email_forward")
    assert planted["total_amount"] == {"value": "196.68", "currency": "EUR"}
    assert planted["analyzed_at"] == planted["created_at"]
    assert qonto.invoice_count_by_idempotency_key() == {}


def test_updated_at_sort_and_window_mirror_changes_incrementally(qonto: QontoEmulator) -> None:
    first = upload(qonto, "k1")
    qonto.advance_clock(10)
    second = upload(qonto, "k2", INVOICES[-1])
    qonto.advance_clock(ANALYSIS_SECONDS)  # both analysed: first, then second
    mark = datetime.fromisoformat(first["created_at"]) + timedelta(seconds=ANALYSIS_SECONDS + 1)

    page = requests.get(
        qonto.url("/v2/supplier_invoices"),
        headers=qonto_auth(qonto),
        params={"filter[updated_at_from]": mark.isoformat(), "sort_by": "updated_at:asc"},
        timeout=5,
    ).json()

    assert [invoice["id"] for invoice in page["supplier_invoices"]] == [second["id"]]


def test_due_date_filter(qonto: QontoEmulator) -> None:
    today = qonto.clock.now().date()
    for number, due in (("P", today), ("F", today + timedelta(days=1)), ("M", None)):
        qonto.plant_supplier_invoice(
            supplier_name=f"Supplier {number}",
            invoice_number=number,
            total_amount="10.00",
            due_date=due.isoformat() if due else None,
            match_transactions=False,
        )

    def numbers(value: str) -> list[str]:
        body = requests.get(
            qonto.url("/v2/supplier_invoices"),
            headers=qonto_auth(qonto),
            params={"filter[due_date]": value, "sort_by": "created_at:asc"},
            timeout=5,
        ).json()
        return [invoice["invoice_number"] for invoice in body["supplier_invoices"]]

    assert (numbers("past_and_today"), numbers("future"), numbers("missing_date")) == (
        ["P"],
        ["F"],
        ["M"],
    )


# --- Qonto's attachment matcher ------------------------------------------------------------------


def paid(qonto: QontoEmulator, document: RenderedDocument, **changes: Any) -> str:
    """A debit paying ``document`` as Qonto would see it (its supplier's name as the label)."""
    issue = datetime.combine(
        datetime.fromisoformat(str(document.truth["issue_date"])).date(), time(9), tzinfo=UTC
    )
    fields: dict[str, Any] = {
        "amount": document.truth["total_amount"],
        "label": str(document.truth["supplier_name"]).upper(),
        "emitted_at": issue + timedelta(days=3),
        **changes,
    }
    return qonto.add_transaction(**fields).id


def transaction(qonto: QontoEmulator, transaction_id: str) -> dict[str, Any]:
    return dict(
        requests.get(
            qonto.url(f"/v2/transactions/{transaction_id}"),
            headers=qonto_auth(qonto),
            params={"includes[]": "attachments"},
            timeout=5,
        ).json()["transaction"]
    )


def test_qonto_attaches_the_invoice_file_to_the_matching_transaction(
    qonto: QontoEmulator,
) -> None:
    target = paid(qonto, EURO_INVOICE)
    created = upload_analysed(qonto)

    seen = transaction(qonto, target)
    invoice = fetch(qonto, created["id"])

    assert seen["attachment_ids"] == [created["attachment_id"]]
    assert [a["file_name"] for a in seen["attachments"]] == [EURO_INVOICE.filename]
    assert seen["updated_at"] == invoice["analyzed_at"]
    assert invoice["matched_transactions_ids"] == [target]


def test_an_attachment_uploaded_by_a_client_is_not_the_invoice_attachment(
    qonto: QontoEmulator,
) -> None:
    target = paid(qonto, EURO_INVOICE)
    created = upload_analysed(qonto)
    headers = {
        **qonto_auth(qonto),
        "X-Qonto-Idempotency-Key": "b9a3c1de-5f1e-4c55-9a43-1f0f7c3a9e21",
    }
    requests.post(
        qonto.url(f"/v2/transactions/{target}/attachments"),
        headers=headers,
        files={"file": ("well-123.pdf", EURO_INVOICE.content, "application/pdf")},
        timeout=5,
    )

    attachments = transaction(qonto, target)["attachments"]

    assert [a["file_name"] for a in attachments] == [EURO_INVOICE.filename, "well-123.pdf"]
    assert attachments[0]["id"] == created["attachment_id"]
    assert attachments[1]["id"] != created["attachment_id"]


def test_skip_attachment_matcher_leaves_transactions_alone(qonto: QontoEmulator) -> None:
    target = paid(qonto, EURO_INVOICE)
    created = upload_analysed(qonto, skip_attachment_matcher="true")

    assert transaction(qonto, target)["attachment_ids"] == []
    assert fetch(qonto, created["id"])["matched_transactions_ids"] == []


@pytest.mark.parametrize(
    ("changes", "case"),
    [
        ({"amount": "1.00"}, "other_amount"),
        ({"label": "SOMEONE ELSE"}, "other_counterparty"),
        ({"side": "credit"}, "a_credit"),
        ({"status": "declined"}, "declined"),
        ({"emitted_at": datetime(2020, 1, 1, tzinfo=UTC)}, "years_before"),
    ],
)
def test_the_matcher_needs_amount_counterparty_direction_and_dates(
    qonto: QontoEmulator, changes: dict[str, Any], case: str
) -> None:
    target = paid(qonto, EURO_INVOICE, **changes)
    upload_analysed(qonto)

    assert qonto.attachments_of(target) == []


def test_the_invoice_number_in_the_reference_is_enough(qonto: QontoEmulator) -> None:
    target = paid(
        qonto,
        EURO_INVOICE,
        label="SEPA TRANSFER",
        reference=f"Payment {EURO_INVOICE.truth['invoice_number']}",
    )
    upload_analysed(qonto)

    assert len(qonto.attachments_of(target)) == 1


def test_a_transaction_arriving_later_is_matched(qonto: QontoEmulator) -> None:
    created = upload_analysed(qonto)

    target = paid(qonto, EURO_INVOICE)

    assert transaction(qonto, target)["attachment_ids"] == [created["attachment_id"]]


def test_one_transaction_takes_one_invoice(qonto: QontoEmulator) -> None:
    target = paid(qonto, EURO_INVOICE)
    first = upload(qonto, "k1")
    qonto.advance_clock(5)
    second = upload(qonto, "k2")  # the same file again (a duplicate in Qonto)
    qonto.advance_clock(ANALYSIS_SECONDS)

    assert transaction(qonto, target)["attachment_ids"] == [first["attachment_id"]]
    assert fetch(qonto, second["id"])["matched_transactions_ids"] == []
