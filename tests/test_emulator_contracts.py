"""Every emulator answer against the provider's published example for the same endpoint and case
(tests/contracts/): same status, every key the example has (with the same JSON type, null
matching anything), and no key the provider does not document.

"Documented" is the union of the keys the published examples show, plus, for Qonto (whose
examples are partial), the properties of the published schemas: ``openapi_v2.yml``
(``components.schemas.Transaction``, ``SupplierInvoice``, ``Pagination``), the current reference
pages (supplier-invoice fields of "Retrieve a supplier invoice" and "Mark as paid", attachment
fields of "Retrieve an attachment", transactions' ``created_at`` and cash-flow categories) and
the errors page (``trace_id`` on every error, ``source.pointer``/``source.parameter``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC
from datetime import datetime
from typing import Any

import pytest
import requests

from connectors.sandbox import APIDECK_API_KEY
from connectors.sandbox import APIDECK_APP_ID
from connectors.sandbox import QONTO_MAIN_BANK_ACCOUNT_ID
from connectors.sandbox import ApideckEmulator
from connectors.sandbox import DropboxEmulator
from connectors.sandbox import QontoEmulator
from connectors.sandbox import Sandbox
from connectors.sandbox.documents import generate_vendor_stream
from connectors.sandbox.qonto_analysis import ANALYSIS_SECONDS
from tests.contracts.server import load
from tests.contracts.server import names
from tests.contracts.shapes import json_type
from tests.contracts.shapes import shape_differences

PDF = b"%PDF-1.7\n" + b"facture " * 32
INVOICE = next(d for d in generate_vendor_stream(3, 2) if d.kind == "invoice")
CONSUMER = "contract-workspace"
UNKNOWN = "00000000-0000-4000-8000-000000000000"

# --- what each provider documents ----------------------------------------------------------------

MONEY = {"value", "currency"}
COUNTERPARTY = {
    "counterparty_account_number",
    "counterparty_account_number_format",
    "counterparty_bank_identifier",
    "counterparty_bank_identifier_format",
}
QONTO_TRANSACTION = {
    # openapi_v2.yml components.schemas.Transaction
    *[
        "amount",
        "amount_cents",
        "attachment_ids",
        "attachment_lost",
        "attachment_required",
        "attachments",
    ],
    *[
        "bank_account_id",
        "card_last_digits",
        "category",
        "check",
        "clean_counterparty_name",
        "currency",
    ],
    *[
        "direct_debit",
        "direct_debit_collection",
        "direct_debit_hold",
        "emitted_at",
        "financing_installment",
    ],
    *[
        "id",
        "income",
        "initiator_id",
        "is_external_transaction",
        "label",
        "label_ids",
        "labels",
        "local_amount",
    ],
    *[
        "local_amount_cents",
        "local_currency",
        "logo",
        "note",
        "operation_type",
        "pagopa_payment",
        "reference",
    ],
    *["settled_at", "settled_balance", "settled_balance_cents", "side", "status", "subject_type"],
    *["swift_income", "transaction_id", "transfer", "updated_at", "vat_amount", "vat_amount_cents"],
    *["vat_details", "vat_rate"],
    # the current "List transactions" reference
    "created_at",
    "cashflow_category",
    "cashflow_subcategory",
}
QONTO_SUPPLIER_INVOICE = {
    # openapi_v2.yml components.schemas.SupplierInvoice
    *[
        "analyzed_at",
        "attachment_id",
        "created_at",
        "description",
        "due_date",
        "file_name",
        "iban",
        "id",
    ],
    *["initiator_id", "invoice_number", "issue_date", "meta", "organization_id", "payment_date"],
    *[
        "request_transfer",
        "scheduled_date",
        "source_type",
        "status",
        "supplier_name",
        "total_amount",
    ],
    "updated_at",
    # the bulk and list examples
    "deleted_at",
    # the current "Retrieve a supplier invoice" / "Mark a supplier invoice as paid" pages
    *[
        "display_attachment_id",
        "issuer_name",
        "supplier_id",
        "vat_number",
        "tin",
        "total_amount_excluding_taxes",
    ],
    *[
        "total_tax_amount",
        "taxes",
        "payable_amount",
        "total_amount_credit_notes",
        "source",
        "is_einvoice",
    ],
    *["e_invoice_type", "einvoicing_lifecycle_events", "has_duplicates", "has_discrepancies"],
    *[
        "declined_note",
        "is_attachment_invoice",
        "attachment_category",
        "is_attachment_non_financial",
    ],
    *["is_credit_note", "related_invoices", "matched_transactions", "matched_transactions_ids"],
    *["transfer_ids", "available_actions", "approval_workflow"],
}
QONTO_ATTACHMENT = {
    *[
        "id",
        "created_at",
        "file_name",
        "file_size",
        "file_content_type",
        "url",
        "probative_attachment",
    ]
}
QONTO_DOCUMENTED: dict[str, set[str]] = {
    "error": {"code", "detail", "details", "message", "source"},
    "error.source": {"pointer", "parameter"},
    "error.source[]": {"pointer"},
    "invoice": QONTO_SUPPLIER_INVOICE,
    **{
        f"invoice.{name}": MONEY
        for name in (
            "total_amount",
            "total_amount_excluding_taxes",
            "total_tax_amount",
            "payable_amount",
            "total_amount_credit_notes",
        )
    },
    "invoice.taxes[]": {"tax_amount", "tax_rate"},
    "invoice.taxes[].tax_amount": MONEY,
    "invoice.meta": {
        "integration_type",
        "connector",
        "accounting_recorded_at",
        "accounting_recorded_source",
    },
    "invoice.request_transfer": {"id", "initiator_id"},
    "transaction": QONTO_TRANSACTION,
    "transaction.logo": {"small", "medium"},
    **{
        f"transaction.{name}": COUNTERPARTY
        for name in (
            "transfer",
            "income",
            "swift_income",
            "direct_debit",
            "direct_debit_collection",
        )
    },
    "transaction.attachments[]": QONTO_ATTACHMENT,
    "attachment": QONTO_ATTACHMENT,
    "attachment.probative_attachment": {"status"},
    "transaction.attachments[].probative_attachment": {"status"},
    "transaction.vat_details": {"items"},
    "transaction.vat_details.items[]": {
        "amount",
        "amount_cents",
        "amount_excluding_vat",
        "amount_excluding_vat_cents",
        "rate",
    },
    "meta": {"current_page", "next_page", "prev_page", "total_pages", "total_count", "per_page"},
}
QONTO_FAMILIES = (
    ("$.organization.bank_accounts[]", "bank_account"),
    ("$.supplier_invoices[]", "invoice"),
    ("$.supplier_invoice", "invoice"),
    ("$.transactions[]", "transaction"),
    ("$.transaction", "transaction"),
    ("$.bank_accounts[]", "bank_account"),
    ("$.bank_account", "bank_account"),
    ("$.attachments[]", "attachment"),
    ("$.attachment", "attachment"),
    ("$.organization", "organization"),
    ("$.errors[]", "error"),
    ("$.meta", "meta"),
)


def family(path: str, families: tuple[tuple[str, str], ...]) -> str:
    for prefix, name in families:
        if path == prefix or path.startswith((prefix + ".", prefix + "[")):
            return name + path[len(prefix) :]
    return path


def fixture_keys(provider: str, families: tuple[tuple[str, str], ...] = ()) -> dict[str, set[str]]:
    """Keys the provider's examples show, by (family) path."""
    found: dict[str, set[str]] = {}

    def walk(value: Any, path: str) -> None:
        if isinstance(value, dict):
            found.setdefault(family(path, families), set()).update(value)
            for key, item in value.items():
                walk(item, f"{path}.{key}")
        elif isinstance(value, list):
            for item in value:
                walk(item, f"{path}[]")

    for name in names(provider):
        walk(load(provider, name).body, "$")
    return found


def documented(provider: str) -> tuple[dict[str, set[str]], tuple[tuple[str, str], ...]]:
    if provider != "qonto":
        return fixture_keys(provider), ()
    keys = fixture_keys("qonto", QONTO_FAMILIES)
    for path, extra in QONTO_DOCUMENTED.items():
        keys[path] = keys.get(path, set()) | extra
    # The errors page (trace_id on every Business API error); "List attachments for a
    # transaction" (the attachments list).
    keys["$"] = keys["$"] | {"trace_id", "attachments"}
    keys["bank_account"] |= {"slug"}  # reference §6 (bank account object)
    return keys, QONTO_FAMILIES


def undocumented(actual: Any, provider: str) -> list[str]:
    keys, families = documented(provider)
    found: list[str] = []

    free_form = ANY_TYPE.get(provider, set())

    def walk(value: Any, path: str) -> None:
        if path in free_form:
            return
        if isinstance(value, dict):
            allowed = keys.get(family(path, families))
            if allowed is not None:
                found.extend(f"{path}.{key}" for key in value if key not in allowed)
            for key, item in value.items():
                walk(item, f"{path}.{key}")
        elif isinstance(value, list):
            for item in value:
                walk(item, f"{path}[]")

    walk(actual, "$")
    return found


# Keys an example shows that the published schema does not require (Apideck: not in the
# schema's ``required`` list, or inside a free-form object), and keys whose schema allows
# several JSON types (Apideck's error ``detail``: string or object).
OPTIONAL = {
    "apideck": {
        "$.downstream_errors",
        "$._raw",
        "$.meta",
        "$.meta.total_count",
        "$.meta.warnings",
        "$.data.metadata.*",
        # Connection declares no required property.
        "$.data.custom_mappings",
        "$.data.consent_state",
        "$.data.consents",
        "$.data.latest_consent",
        "$.data.application_data_scopes",
    },
}
ANY_TYPE = {"apideck": {"$.detail"}}


def gaps(provider: str, expected: Any, actual: Any, path: str = "$") -> list[str]:
    """Where ``actual`` lacks a key of ``expected`` that is not optional, or holds another JSON
    type (null on either side matches anything; list items are compared with the example's
    first item)."""
    if expected is None or actual is None or path in ANY_TYPE.get(provider, set()):
        return []
    if json_type(expected) != json_type(actual):
        return [f"{path}: expected {json_type(expected)}, got {json_type(actual)}"]
    found: list[str] = []
    if isinstance(expected, dict):
        optional = OPTIONAL.get(provider, set())
        for key, value in expected.items():
            child = f"{path}.{key}"
            if key in actual:
                found += gaps(provider, value, actual[key], child)
            elif child not in optional and f"{path}.*" not in optional:
                found.append(f"{child}: missing")
    elif isinstance(expected, list) and expected:
        for item in actual:
            found += gaps(provider, expected[0], item, f"{path}[]")
    return found


def assert_faithful(provider: str, name: str, response: requests.Response) -> None:
    fixture = load(provider, name)
    assert response.status_code == fixture.status, response.text
    if fixture.body is None:
        assert response.content.strip() == fixture.raw.strip()
        expected_type = fixture.headers.get("Content-Type")
        if expected_type is not None and response.content:
            assert response.headers["Content-Type"].startswith(expected_type)
        return
    body = response.json()
    assert gaps(provider, fixture.body, body) == []
    assert undocumented(body, provider) == []


# --- Qonto ---------------------------------------------------------------------------------------


def qonto_call(
    qonto: QontoEmulator,
    method: str,
    path: str,
    *,
    scopes: tuple[str, ...] | None = None,
    anonymous: bool = False,
    **kwargs: Any,
) -> requests.Response:
    headers = dict(kwargs.pop("headers", {}))
    if not anonymous:
        token = qonto.issue_token(scopes=scopes) if scopes else qonto.issue_token()
        headers["Authorization"] = f"Bearer {token['access_token']}"
    return requests.request(method, qonto.url(path), headers=headers, timeout=30, **kwargs)


def item(key: str, content: bytes = PDF, name: str = "a.pdf") -> list[tuple[str, Any]]:
    return [
        ("supplier_invoices[][file]", (name, content, "application/pdf")),
        ("supplier_invoices[][idempotency_key]", (None, key)),
    ]


def analysed_invoice(qonto: QontoEmulator) -> str:
    """A generated invoice uploaded and analysed (its fields filled, so their types count)."""
    qonto.clock.freeze()
    created = qonto_call(
        qonto,
        "POST",
        "/v2/supplier_invoices/bulk",
        files=item("k1", INVOICE.content, INVOICE.filename),
    )
    qonto.advance_clock(ANALYSIS_SECONDS)
    return str(created.json()["supplier_invoices"][0]["id"])


def seeded_transaction(qonto: QontoEmulator) -> str:
    return qonto.add_transaction(
        amount="12.50",
        label="Ferry-Purdy",
        reference="INV-1",
        note="a note",
        card_last_digits="1234",
        counterparty_iban="NL93RABO3730976796",
        counterparty_bic="RABONL2U",
        vat_amount="2.08",
        vat_rate="20",
        emitted_at=datetime(2026, 11, 2, 9, 30, tzinfo=UTC),
    ).id


def attach(qonto: QontoEmulator, transaction_id: str, **kwargs: Any) -> requests.Response:
    return qonto_call(
        qonto,
        "POST",
        f"/v2/transactions/{transaction_id}/attachments",
        headers={"X-Qonto-Idempotency-Key": "6f0c2c8e-3d1b-4c55-9a43-1f0f7c3a9e21"},
        **kwargs,
    )


def failing_items(
    qonto: QontoEmulator, code: str, parts: list[tuple[str, Any]]
) -> requests.Response:
    """A bulk upload whose item with the key "bad" fails with ``code``."""
    qonto.inject_item_errors(code=code, idempotency_keys=["bad"])
    return qonto_call(qonto, "POST", "/v2/supplier_invoices/bulk", files=parts)


QontoCase = Callable[[QontoEmulator], requests.Response]
QONTO_CASES: dict[str, QontoCase] = {
    "organization_only_qonto_accounts": lambda q: qonto_call(q, "GET", "/v2/organization"),
    "organization_ok": lambda q: qonto_call(q, "GET", "/v2/organization"),
    "organization_external_accounts": lambda q: qonto_call(
        q, "GET", "/v2/organization", params={"include_external_accounts": "true"}
    ),
    "organization_unauthorized": lambda q: qonto_call(q, "GET", "/v2/organization", anonymous=True),
    "bank_accounts_ok": lambda q: qonto_call(q, "GET", "/v2/bank_accounts"),
    "transactions_ok": lambda q: (
        seeded_transaction(q),
        qonto_call(
            q,
            "GET",
            "/v2/transactions",
            params={"bank_account_id": QONTO_MAIN_BANK_ACCOUNT_ID, "includes[]": "attachments"},
        ),
    )[1],
    "transactions_invalid": lambda q: qonto_call(
        q,
        "GET",
        "/v2/transactions",
        params={"bank_account_id": QONTO_MAIN_BANK_ACCOUNT_ID, "status[]": "reversed"},
    ),
    "transactions_missing_account": lambda q: qonto_call(q, "GET", "/v2/transactions"),
    "transactions_not_found": lambda q: qonto_call(q, "GET", f"/v2/transactions/{UNKNOWN}"),
    "supplier_invoices_bulk_ok": lambda q: qonto_call(
        q, "POST", "/v2/supplier_invoices/bulk", files=item("k1")
    ),
    "supplier_invoices_bulk_mixed": lambda q: failing_items(
        q, "invalid", item("k1") + item("bad", PDF + b"2")
    ),
    "supplier_invoices_bulk_errors": lambda q: failing_items(
        q, "internal_server_error", item("bad")
    ),
    "supplier_invoices_bulk_missing_file": lambda q: qonto_call(
        q,
        "POST",
        "/v2/supplier_invoices/bulk",
        files=[("supplier_invoices[][idempotency_key]", (None, "k1"))],
    ),
    "supplier_invoices_bulk_missing_key": lambda q: qonto_call(
        q,
        "POST",
        "/v2/supplier_invoices/bulk",
        files=[("supplier_invoices[][file]", ("a.pdf", PDF, "application/pdf"))],
    ),
    "supplier_invoices_bulk_limit_reached": lambda q: qonto_call(
        q,
        "POST",
        "/v2/supplier_invoices/bulk",
        files=[part for index in range(21) for part in item(f"k{index}")],
    ),
    "supplier_invoices_bulk_too_large": lambda q: qonto_call(
        q,
        "POST",
        "/v2/supplier_invoices/bulk",
        files=item("k1", b"%PDF" + b"0" * 15_000_001),
    ),
    "supplier_invoices_bulk_forbidden": lambda q: qonto_call(
        q,
        "POST",
        "/v2/supplier_invoices/bulk",
        scopes=("organization.read",),
        files=item("k1"),
    ),
    "supplier_invoice_get_ok": lambda q: qonto_call(
        q, "GET", f"/v2/supplier_invoices/{analysed_invoice(q)}"
    ),
    "supplier_invoice_get_current": lambda q: qonto_call(
        q, "GET", f"/v2/supplier_invoices/{analysed_invoice(q)}"
    ),
    "supplier_invoices_list_ok": lambda q: (
        analysed_invoice(q),
        qonto_call(q, "GET", "/v2/supplier_invoices"),
    )[1],
    "supplier_invoices_list_current": lambda q: (
        analysed_invoice(q),
        qonto_call(q, "GET", "/v2/supplier_invoices", params={"sort_by": "updated_at:asc"}),
    )[1],
    "supplier_invoices_list_documented": lambda q: (
        analysed_invoice(q),
        q.plant_supplier_invoice(supplier_name="Other SARL", total_amount="10.00"),
        qonto_call(q, "GET", "/v2/supplier_invoices", params={"per_page": "1", "page": "2"}),
    )[2],
    "supplier_invoices_list_invalid_time": lambda q: qonto_call(
        q, "GET", "/v2/supplier_invoices", params={"filter[created_at_from]": "yesterday"}
    ),
    "supplier_invoices_list_future_range": lambda q: qonto_call(
        q,
        "GET",
        "/v2/supplier_invoices",
        params={"filter[created_at_from]": "2999-01-01T00:00:00Z"},
    ),
    "supplier_invoices_list_forbidden": lambda q: qonto_call(
        q, "GET", "/v2/supplier_invoices", scopes=("organization.read",)
    ),
    "transaction_attachments_ok": lambda q: attach(
        q, seeded_transaction(q), files={"file": ("r.pdf", PDF, "application/pdf")}
    ),
    "transaction_attachments_missing_file": lambda q: attach(
        q, seeded_transaction(q), files={"other": ("r.pdf", PDF, "application/pdf")}
    ),
    "transaction_attachments_not_found": lambda q: attach(
        q, UNKNOWN, files={"file": ("r.pdf", PDF, "application/pdf")}
    ),
    "transaction_attachments_unauthorized": lambda q: qonto_call(
        q, "POST", f"/v2/transactions/{UNKNOWN}/attachments", anonymous=True
    ),
    "transaction_attachments_forbidden": lambda q: attach(
        q,
        seeded_transaction(q),
        scopes=("organization.read",),
        files={"file": ("r.pdf", PDF, "application/pdf")},
    ),
}


def test_every_qonto_fixture_has_an_emulator_case() -> None:
    # Role-restricted bank accounts (a consenting user without balance rights) are not emulated.
    assert set(names("qonto")) - set(QONTO_CASES) == {"bank_accounts_restricted"}


@pytest.mark.parametrize("name", sorted(QONTO_CASES))
def test_qonto_answers_as_published(qonto_emulator: QontoEmulator, name: str) -> None:
    assert_faithful("qonto", name, QONTO_CASES[name](qonto_emulator))


def test_qonto_attachment_listing_and_planted_invoice(qonto_emulator: QontoEmulator) -> None:
    transaction_id = seeded_transaction(qonto_emulator)
    attach(qonto_emulator, transaction_id, files={"file": ("r.pdf", PDF, "application/pdf")})
    qonto_emulator.plant_supplier_invoice(
        supplier_name="Nuage Hébergement SAS", total_amount="196.68", invoice_number="NH-1"
    )

    listing = qonto_call(qonto_emulator, "GET", f"/v2/transactions/{transaction_id}/attachments")
    invoices = qonto_call(qonto_emulator, "GET", "/v2/supplier_invoices").json()

    assert listing.status_code == 200
    assert undocumented(listing.json(), "qonto") == []
    assert undocumented(invoices, "qonto") == []
    expected = load("qonto", "supplier_invoices_list_current").body
    assert shape_differences(expected, invoices) == []


# --- Apideck -------------------------------------------------------------------------------------


def apideck_call(
    apideck: ApideckEmulator, method: str, path: str, **overrides: str
) -> requests.Response:
    headers = {
        "Authorization": f"Bearer {APIDECK_API_KEY}",
        "x-apideck-app-id": APIDECK_APP_ID,
        "x-apideck-consumer-id": CONSUMER,
        "x-apideck-service-id": "dropbox",
    }
    headers.update(overrides)
    params = {"limit": headers.pop("limit")} if "limit" in headers else None
    return requests.request(
        method,
        apideck.url(path),
        headers={k: v for k, v in headers.items() if v},
        params=params,
        timeout=10,
    )


def with_files(
    apideck: ApideckEmulator, sandbox: Sandbox, *, null_fields: bool = False
) -> ApideckEmulator:
    apideck.null_fields = null_fields
    apideck.connect(CONSUMER)
    sandbox.dropbox.put_file("/Invoices/a.pdf", PDF)
    sandbox.dropbox.put_file("/b.pdf", PDF)
    return apideck


ApideckCase = Callable[[ApideckEmulator, Sandbox], requests.Response]
CONNECTION = "/vault/connections/file-storage/dropbox"
APIDECK_CASES: dict[str, ApideckCase] = {
    "files_list_ok": lambda a, s: apideck_call(with_files(a, s), "GET", "/file-storage/files"),
    "folders_one_ok": lambda a, s: apideck_call(
        with_files(a, s),
        "GET",
        "/file-storage/folders/" + s.dropbox.files.lookup("/Invoices").id.removeprefix("id:"),
    ),
    "files_list_nullable": lambda a, s: apideck_call(
        with_files(a, s, null_fields=True), "GET", "/file-storage/files"
    ),
    "error_bad_request": lambda a, s: apideck_call(
        with_files(a, s), "GET", "/file-storage/files", limit="0"
    ),
    "error_not_found": lambda a, s: apideck_call(
        with_files(a, s), "GET", "/file-storage/files/nope"
    ),
    "error_payment_required": lambda a, s: (
        a.inject_fault("/file-storage/files", {"status": 402}),
        apideck_call(with_files(a, s), "GET", "/file-storage/files"),
    )[1],
    "error_refresh_failed_final": lambda a, s: (
        with_files(a, s).set_connection(CONSUMER, refresh_fails=True),
        apideck_call(a, "GET", "/file-storage/files"),
    )[1],
    "error_refresh_failed_recoverable": lambda a, s: (
        with_files(a, s).set_connection(CONSUMER, refresh_unavailable=True),
        apideck_call(a, "GET", "/file-storage/files"),
    )[1],
    "error_unauthorized": lambda a, s: apideck_call(
        with_files(a, s), "GET", "/file-storage/files", Authorization=""
    ),
    "error_unexpected": lambda a, s: apideck_call(
        with_files(a, s), "GET", "/file-storage/files", **{"x-apideck-consumer-id": ""}
    ),
    "error_unprocessable": lambda a, s: (
        a.inject_fault(
            "/file-storage/files",
            {
                "schema_error": {
                    "status": 422,
                    "type_name": "InvalidStateError",
                    "message": "Invalid State",
                    "detail": "Unprocessable request",
                }
            },
        ),
        apideck_call(with_files(a, s), "GET", "/file-storage/files"),
    )[1],
    "vault_connection_get_ok": lambda a, s: apideck_call(with_files(a, s), "GET", CONNECTION),
    "vault_connection_validate_ok": lambda a, s: apideck_call(
        with_files(a, s), "POST", f"{CONNECTION}/validate"
    ),
    "vault_connection_delete_ok": lambda a, s: apideck_call(with_files(a, s), "DELETE", CONNECTION),
    "vault_connection_delete_not_found": lambda a, s: (
        apideck_call(with_files(a, s), "DELETE", CONNECTION),
        apideck_call(a, "DELETE", CONNECTION),
    )[1],
    "vault_sessions_create_ok": lambda a, s: requests.post(
        a.url("/vault/sessions"),
        headers={
            "Authorization": f"Bearer {APIDECK_API_KEY}",
            "x-apideck-app-id": APIDECK_APP_ID,
            "x-apideck-consumer-id": CONSUMER,
        },
        json={"consumer_metadata": {"account_name": "Well"}},
        timeout=10,
    ),
}


def test_every_apideck_fixture_has_an_emulator_case() -> None:
    assert sorted(APIDECK_CASES) == names("apideck")


@pytest.mark.parametrize("name", sorted(APIDECK_CASES))
def test_apideck_answers_as_published(
    sandbox: Sandbox, apideck_emulator: ApideckEmulator, name: str
) -> None:
    assert_faithful("apideck", name, APIDECK_CASES[name](apideck_emulator, sandbox))


# --- Dropbox -------------------------------------------------------------------------------------


def dropbox_call(
    dropbox: DropboxEmulator,
    path: str,
    body: Any = None,
    *,
    scopes: tuple[str, ...] | None = None,
    arg: Any = None,
) -> requests.Response:
    token = dropbox.issue_token(scopes=scopes) if scopes else dropbox.issue_token()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    if arg is not None:
        headers["Dropbox-API-Arg"] = json.dumps(arg)
        return requests.post(dropbox.url(path), headers=headers, timeout=10)
    return requests.post(dropbox.url(path), headers=headers, json=body, timeout=10)


def with_homework(dropbox: DropboxEmulator) -> DropboxEmulator:
    dropbox.put_file("/Homework/math/Prime_Numbers.txt", PDF)
    dropbox.create_folder("/Homework/math/sub")
    return dropbox


def cursor_of(dropbox: DropboxEmulator) -> str:
    answer = dropbox_call(dropbox, "/2/files/list_folder", {"path": "/Homework/math"})
    return str(answer.json()["cursor"])


def continued(dropbox: DropboxEmulator, *, reset: bool) -> requests.Response:
    """``list_folder/continue`` after a file was deleted, or after the cursors were reset."""
    cursor = cursor_of(with_homework(dropbox))
    if reset:
        dropbox.reset_cursors()
    else:
        dropbox.delete("/Homework/math/Prime_Numbers.txt")
    return dropbox_call(dropbox, "/2/files/list_folder/continue", {"cursor": cursor})


def expired(dropbox: DropboxEmulator) -> requests.Response:
    token = dropbox.issue_token()["access_token"]
    dropbox.advance_clock(5 * 3600)
    return requests.post(
        dropbox.url("/2/users/get_current_account"),
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )


DropboxCase = Callable[[DropboxEmulator], requests.Response]
DROPBOX_CASES: dict[str, DropboxCase] = {
    "list_folder_ok": lambda d: dropbox_call(
        with_homework(d), "/2/files/list_folder", {"path": "/Homework/math"}
    ),
    "list_folder_path_not_found": lambda d: dropbox_call(
        d, "/2/files/list_folder", {"path": "/gone"}
    ),
    "list_folder_get_latest_cursor_ok": lambda d: dropbox_call(
        with_homework(d), "/2/files/list_folder/get_latest_cursor", {"path": "/Homework/math"}
    ),
    "list_folder_continue_deleted": lambda d: continued(d, reset=False),
    "list_folder_continue_reset": lambda d: continued(d, reset=True),
    "get_current_account_ok": lambda d: dropbox_call(d, "/2/users/get_current_account"),
    "download_path_not_found": lambda d: dropbox_call(
        d, "/2/files/download", arg={"path": "/gone.pdf"}
    ),
    "expired_access_token": lambda d: expired(d),
    "missing_scope": lambda d: (
        with_homework(d),
        dropbox_call(
            d,
            "/2/files/download",
            arg={"path": "/Homework/math/Prime_Numbers.txt"},
            scopes=("account_info.read",),
        ),
    )[1],
    "too_many_requests": lambda d: (
        d.inject_fault("/2/files/list_folder", {"status": 429, "retry_after": 300}),
        dropbox_call(d, "/2/files/list_folder", {"path": ""}),
    )[1],
}
# Not emulated, and not read by Well: shared-folder details, custom properties, file locks.
DROPBOX_UNEMULATED = {
    "sharing_info",
    "property_groups",
    "file_lock_info",
    "has_explicit_shared_members",
    "root_info",
    "team",
    "team_member_id",
    "profile_photo_url",
}


def _without_unemulated(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_unemulated(v) for k, v in value.items() if k not in DROPBOX_UNEMULATED}
    if isinstance(value, list):
        return [_without_unemulated(item) for item in value]
    return value


@pytest.mark.parametrize("name", sorted(DROPBOX_CASES))
def test_dropbox_answers_as_published(dropbox_emulator: DropboxEmulator, name: str) -> None:
    response = DROPBOX_CASES[name](dropbox_emulator)
    fixture = load("dropbox", name)

    assert response.status_code == fixture.status, response.text
    body = response.json()
    expected = _without_unemulated(fixture.body)
    if name == "list_folder_ok":
        # The example lists a file then a folder; compare each entry with its own kind.
        by_tag = {entry[".tag"]: entry for entry in body["entries"]}
        for entry in expected["entries"]:
            assert shape_differences(entry, by_tag[entry[".tag"]]) == []
        expected = {**expected, "entries": []}
    assert shape_differences(expected, body) == []
    assert undocumented(body, "dropbox") == []


def test_dropbox_download_metadata_as_published(dropbox_emulator: DropboxEmulator) -> None:
    with_homework(dropbox_emulator)

    response = dropbox_call(
        dropbox_emulator, "/2/files/download", arg={"path": "/Homework/math/Prime_Numbers.txt"}
    )
    fixture = load("dropbox", "download_ok")
    result = json.loads(response.headers["Dropbox-API-Result"])

    assert response.status_code == 200
    assert response.content == PDF
    expected = _without_unemulated(json.loads(fixture.headers["Dropbox-API-Result"]))
    assert shape_differences(expected, result) == []


def test_every_dropbox_fixture_has_an_emulator_case() -> None:
    assert set(names("dropbox")) - set(DROPBOX_CASES) == {"download_ok"}
