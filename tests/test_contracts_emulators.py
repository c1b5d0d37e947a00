"""The emulators answer in the published shapes: each answer is compared, keys and JSON types,
with the providers' own example for the same endpoint and case (tests/contracts/)."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from connectors.sandbox import ApideckEmulator, DropboxEmulator, QontoEmulator
from connectors.sandbox.constants import (
    APIDECK_API_KEY,
    APIDECK_APP_ID,
    QONTO_MAIN_BANK_ACCOUNT_ID,
)
from tests.contracts.server import load
from tests.contracts.shapes import shape_differences

PDF = b"%PDF-1.7\n" + b"facture " * 32
CONSUMER = "contract-workspace"


def qonto_get(qonto: QontoEmulator, path: str, **params: str) -> requests.Response:
    token = qonto.issue_token()["access_token"]
    return requests.get(
        qonto.url(path), params=params, headers={"Authorization": f"Bearer {token}"}, timeout=5
    )


def qonto_bulk(qonto: QontoEmulator, *parts: tuple[str, Any]) -> requests.Response:
    token = qonto.issue_token()["access_token"]
    return requests.post(
        qonto.url("/v2/supplier_invoices/bulk"),
        files=list(parts),
        headers={"Authorization": f"Bearer {token}"},
        timeout=5,
    )


def assert_same_shape(
    provider: str, name: str, response: requests.Response, *, ignore: tuple[str, ...] = ()
) -> None:
    fixture = load(provider, name)
    assert response.status_code == fixture.status
    assert shape_differences(fixture.body, response.json(), ignore=ignore) == []


def test_qonto_organization(qonto_emulator: QontoEmulator) -> None:
    assert_same_shape(
        "qonto", "organization_only_qonto_accounts", qonto_get(qonto_emulator, "/v2/organization")
    )


def test_qonto_bank_accounts(qonto_emulator: QontoEmulator) -> None:
    # account_number is a number in this example and a string in GET /v2/organization's (and
    # in the schema): Qonto's own examples disagree, the client takes both.
    assert_same_shape(
        "qonto",
        "bank_accounts_ok",
        qonto_get(qonto_emulator, "/v2/bank_accounts"),
        ignore=("$.bank_accounts[].account_number",),
    )


def test_qonto_transactions(qonto_emulator: QontoEmulator) -> None:
    qonto_emulator.add_transaction(amount="12.50", side="debit", label="Ferry-Purdy")
    response = qonto_get(
        qonto_emulator, "/v2/transactions", bank_account_id=QONTO_MAIN_BANK_ACCOUNT_ID
    )
    assert_same_shape("qonto", "transactions_ok", response)


def test_qonto_transactions_without_account(qonto_emulator: QontoEmulator) -> None:
    assert_same_shape(
        "qonto", "transactions_missing_account", qonto_get(qonto_emulator, "/v2/transactions")
    )


def test_qonto_bulk_and_list_and_get(qonto_emulator: QontoEmulator) -> None:
    bulk = qonto_bulk(
        qonto_emulator,
        ("supplier_invoices[][file]", ("a.pdf", PDF, "application/pdf")),
        ("supplier_invoices[][idempotency_key]", (None, "key-1")),
    )
    # deleted_at ("") is in the 2025 example only, absent from the current reference.
    assert_same_shape(
        "qonto", "supplier_invoices_bulk_ok", bulk, ignore=("$.supplier_invoices[].deleted_at",)
    )
    invoice_id = bulk.json()["supplier_invoices"][0]["id"]
    assert_same_shape(
        "qonto",
        "supplier_invoices_list_ok",
        qonto_get(qonto_emulator, "/v2/supplier_invoices"),
        ignore=("$.supplier_invoices[].deleted_at",),
    )
    assert_same_shape(
        "qonto",
        "supplier_invoice_get_ok",
        qonto_get(qonto_emulator, f"/v2/supplier_invoices/{invoice_id}"),
    )


@pytest.mark.parametrize(
    ("name", "parts"),
    [
        ("supplier_invoices_bulk_missing_key", [("supplier_invoices[][file]", ("a.pdf", PDF))]),
        (
            "supplier_invoices_bulk_missing_file",
            [("supplier_invoices[][idempotency_key]", (None, "key-1"))],
        ),
    ],
)
def test_qonto_bulk_whole_request_refusals(
    qonto_emulator: QontoEmulator, name: str, parts: list[tuple[str, Any]]
) -> None:
    assert_same_shape("qonto", name, qonto_bulk(qonto_emulator, *parts))


def test_dropbox_list_folder(dropbox_emulator: DropboxEmulator) -> None:
    dropbox_emulator.put_file("/Homework/math/Prime_Numbers.txt", PDF)
    dropbox_emulator.create_folder("/Homework/math/sub")
    token = dropbox_emulator.issue_token()["access_token"]
    response = requests.post(
        dropbox_emulator.url("/2/files/list_folder"),
        json={"path": "/Homework/math"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=5,
    )
    fixture = load("dropbox", "list_folder_ok")
    # Shared-folder details and custom properties are not emulated; Well reads neither.
    expected = {
        **fixture.body,
        "entries": [
            {k: v for k, v in entry.items() if k not in _UNEMULATED}
            for entry in fixture.body["entries"]
        ],
    }
    by_tag = {entry[".tag"]: entry for entry in response.json()["entries"]}
    assert shape_differences(expected["entries"][0], by_tag["file"]) == []
    assert shape_differences(expected["entries"][1], by_tag["folder"]) == []


_UNEMULATED = ("sharing_info", "property_groups", "file_lock_info", "has_explicit_shared_members")


def test_dropbox_missing_path(dropbox_emulator: DropboxEmulator) -> None:
    token = dropbox_emulator.issue_token()["access_token"]
    response = requests.post(
        dropbox_emulator.url("/2/files/list_folder"),
        json={"path": "/gone"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=5,
    )
    assert_same_shape("dropbox", "list_folder_path_not_found", response)


def apideck_headers() -> dict[str, str]:
    return {
        "Authorization": f"Bearer {APIDECK_API_KEY}",
        "x-apideck-app-id": APIDECK_APP_ID,
        "x-apideck-consumer-id": CONSUMER,
        "x-apideck-service-id": "dropbox",
    }


def test_apideck_file_list(
    apideck_emulator: ApideckEmulator, dropbox_emulator: DropboxEmulator
) -> None:
    apideck_emulator.connect(CONSUMER)
    dropbox_emulator.put_file("/Invoices/a.pdf", PDF)
    response = requests.get(
        apideck_emulator.url("/file-storage/files"),
        params={"filter[folder_id]": "root"},
        headers=apideck_headers(),
        timeout=5,
    )
    # warnings are "present only when at least one step degraded"; total_count is not emulated
    # (Well pages by cursor).
    assert_same_shape(
        "apideck", "files_list_ok", response, ignore=("$.meta.warnings", "$.meta.total_count")
    )


def test_apideck_connection(apideck_emulator: ApideckEmulator) -> None:
    apideck_emulator.connect(CONSUMER)
    response = requests.get(
        apideck_emulator.url("/vault/connections/file-storage/dropbox"),
        headers=apideck_headers(),
        timeout=5,
    )
    # Consents, custom mappings and free-form metadata are not emulated: Well reads none.
    assert_same_shape(
        "apideck",
        "vault_connection_get_ok",
        response,
        ignore=(
            "$.data.metadata",
            "$.data.custom_mappings",
            "$.data.consent",
            "$.data.consents",
            "$.data.latest_consent",
            "$.data.application_data_scopes",
            "$.meta",
            "$._raw",
        ),
    )
