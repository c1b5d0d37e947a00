"""The Qonto client against the response examples of Qonto's published OpenAPI document and
reference pages (tests/contracts/qonto/), served over loopback HTTP."""

from __future__ import annotations

import json
import uuid
from datetime import UTC
from datetime import date
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest

from connectors.config import QontoConfig
from connectors.errors import AuthError
from connectors.errors import NotFoundError
from connectors.errors import PermanentError
from connectors.errors import ProtocolError
from connectors.http import NO_RETRY
from connectors.oauth import StaticTokenSource
from connectors.qonto import BulkItem
from connectors.qonto import QontoClient
from connectors.qonto import SupplierInvoice
from connectors.qonto import UnreadableItem
from connectors.qonto import attachment_idempotency_key
from connectors.qonto.schemas import Money
from tests.contracts.server import Fixture
from tests.contracts.server import FixtureServer
from tests.contracts.server import load

SINCE = datetime(2026, 1, 1, tzinfo=UTC)


def client(server: FixtureServer) -> QontoClient:
    config = QontoConfig(api_url=server.base_url, client_id="id", client_secret="secret")
    return QontoClient(config, StaticTokenSource("token-1234", provider="qonto"), retry=NO_RETRY)


def fixture(name: str) -> Fixture:
    return load("qonto", name)


def altered(name: str, body: Any) -> Fixture:
    """A documented answer with its body changed the way the test says (a malformed item)."""
    original = fixture(name)
    raw = json.dumps(body).encode()
    return Fixture(
        original.provider, name, original.source, original.status, original.headers, body, raw
    )


def account_fields(organization_fixture: str, server: FixtureServer) -> list[tuple[Any, ...]]:
    server.serve(fixture(organization_fixture))
    organization = client(server).get_organization()
    return [
        (
            a.id,
            a.id_is_iban,
            a.name,
            a.iban,
            a.balance,
            a.status,
            a.is_external_account,
            a.account_number,
        )
        for a in organization.bank_accounts
    ]


# --- organization and accounts -------------------------------------------------------------------


def test_documented_organization_without_account_ids_is_identified_by_iban(
    server: FixtureServer,
) -> None:
    server.serve(fixture("organization_ok"))

    organization = client(server).get_organization()

    assert (organization.id, organization.name, organization.legal_number) == (
        "cb47875a-9b12-416e-aa9a-265b9dfaeee7",
        None,
        "12A34FC5",
    )
    assert [account.model_dump() for account in organization.bank_accounts] == [
        {
            "id": "FR7616798000010000005663951",
            "id_is_iban": True,
            "slug": "super-bankaccount-5785",
            "name": "Main account",
            "iban": "FR7616798000010000005663951",
            "bic": "TRZOFR21XXX",
            "currency": "EUR",
            "balance": Decimal("100"),
            "status": "active",
            "main": True,
            "is_external_account": None,
            "account_number": None,
        }
    ]


def test_documented_organization_with_account_ids(server: FixtureServer) -> None:
    assert account_fields("organization_only_qonto_accounts", server) == [
        (
            "27e7e433-453c-4c32-bd3f-6802ae05940e",
            False,
            "Placements",
            "FR7616958000013622273207472",
            Decimal("1"),
            "active",
            False,
            "",
        ),
        (
            "6dadba1e-a3a9-40eb-ba99-64532dbe56bc",
            False,
            "Secondary account",
            "FR7616958000012102312621849",
            Decimal("0"),
            "closed",
            False,
            "",
        ),
        (
            "e97d6e4b-8179-47ae-88e9-3e43b230251e",
            False,
            "Compte principal",
            "FR7616958000018615533841513",
            Decimal("41995921.54"),
            "active",
            False,
            "",
        ),
    ]


def test_documented_organization_with_an_external_account(server: FixtureServer) -> None:
    assert account_fields("organization_external_accounts", server)[3] == (
        "0191221f-2452-735f-9144-bff2ca4fa8a4",
        False,
        "Main Account Compte courant",
        "FR802043302626N265296869145",
        Decimal("9.02"),
        "active",
        True,
        "0263765d-8d0e-41f0-a025-9dd2ed891507",
    )


def test_documented_401_is_an_auth_error(server: FixtureServer) -> None:
    server.serve(fixture("organization_unauthorized"))

    with pytest.raises(AuthError) as raised:
        client(server).get_organization()

    # A 401 first asks the token source for a new token; a static one cannot give one.
    assert (raised.value.status, raised.value.code) == (401, "unauthorized")


def test_documented_bank_account_list_without_meta(server: FixtureServer) -> None:
    server.serve(fixture("bank_accounts_ok"))

    accounts = list(client(server).list_bank_accounts())

    assert [(a.id, a.balance, a.account_number, a.main) for a in accounts] == [
        ("3c90c3cc-0d44-4b50-8888-8dd25736052a", Decimal("142188.43"), "1234567890", True)
    ]
    assert len(server.received) == 1


def test_restricted_bank_account_fields_are_absent_not_refused(server: FixtureServer) -> None:
    server.serve(fixture("bank_accounts_restricted"))

    (account,) = client(server).list_bank_accounts()

    assert (account.id, account.name, account.iban, account.balance, account.currency) == (
        "3c90c3cc-0d44-4b50-8888-8dd25736052a",
        "Primary bank account",
        None,
        None,
        None,
    )


# --- transactions --------------------------------------------------------------------------------


def test_documented_transaction_page(server: FixtureServer) -> None:
    server.serve(fixture("transactions_ok"))

    (transaction,) = client(server).list_transactions(
        "e97d6e4b-8179-47ae-88e9-3e43b230251e", updated_at_from=SINCE
    )

    assert (
        transaction.id,
        transaction.transaction_id,
        transaction.amount,
        transaction.currency,
        transaction.side,
        transaction.status,
        transaction.label,
        transaction.reference,
        transaction.subject_type,
        transaction.settled_at,
        transaction.counterparty_iban,
        transaction.attachment_ids,
        transaction.bank_account_id,
    ) == (
        "df346899-3595-421a-8b26-f9d9616ce496",
        "super-transaction-7468",
        Decimal("0.43"),
        "EUR",
        "debit",
        "completed",
        "Ferry-Purdy",
        None,
        "transfer",
        datetime(2021, 3, 3, 16, 6, 38, tzinfo=UTC),
        "NL93RABO3730976796",
        [],
        None,
    )
    assert server.received[0].query == [
        ("bank_account_id", "e97d6e4b-8179-47ae-88e9-3e43b230251e"),
        ("updated_at_from", "2026-01-01T00:00:00Z"),
        ("sort_by", "updated_at:asc"),
        ("status[]", "pending"),
        ("status[]", "completed"),
        ("status[]", "declined"),
        ("page", "1"),
        ("per_page", "100"),
    ]


def test_an_account_known_by_iban_is_listed_with_iban(server: FixtureServer) -> None:
    server.serve(fixture("transactions_ok"))

    list(client(server).list_transactions("FR7616798000010000005663951", updated_at_from=SINCE))

    assert server.received[0].query[0] == ("iban", "FR7616798000010000005663951")


def test_only_qonto_transaction_statuses_are_sent(server: FixtureServer) -> None:
    server.serve(fixture("transactions_ok"))

    list(
        client(server).list_transactions(
            "e97d6e4b-8179-47ae-88e9-3e43b230251e",
            updated_at_from=SINCE,
            statuses=("pending", "completed", "declined", "reversed"),
        )
    )

    assert [v for k, v in server.received[0].query if k == "status[]"] == [
        "pending",
        "completed",
        "declined",
    ]


@pytest.mark.parametrize(
    ("name", "error_type", "expected"),
    [
        ("transactions_invalid", PermanentError, (400, "sort_invalid", "Sort field is invalid")),
        (
            "transactions_missing_account",
            PermanentError,
            (422, "missing", "bank_account_id or iban is missing"),
        ),
        ("transactions_not_found", NotFoundError, (404, "not_found", None)),
    ],
)
def test_documented_transaction_errors(
    server: FixtureServer,
    name: str,
    error_type: type[PermanentError],
    expected: tuple[int, str, str | None],
) -> None:
    server.serve(fixture(name))

    with pytest.raises(error_type) as raised:
        list(client(server).list_transactions("account-id", updated_at_from=SINCE))

    assert (raised.value.status, raised.value.code, raised.value.detail) == expected


# --- attachments ---------------------------------------------------------------------------------


def test_attachment_key_is_a_version_5_uuid_stable_for_the_same_parts() -> None:
    key = attachment_idempotency_key(7, "transaction-1", "sha256:abc")

    assert uuid.UUID(key).version == 5
    assert key == attachment_idempotency_key(7, "transaction-1", "sha256:abc")
    assert key != attachment_idempotency_key(7, "transaction-2", "sha256:abc")


def test_an_attachment_key_that_is_not_a_uuid_is_refused_before_sending(
    server: FixtureServer,
) -> None:
    with pytest.raises(ValueError, match="must be a UUID"):
        client(server).attach_file_to_transaction(
            "t-1", "invoice.pdf", b"%PDF", idempotency_key="well:attach:7"
        )

    assert server.received == []


def test_documented_empty_200_attaches_with_the_uuid_key(server: FixtureServer) -> None:
    server.serve(fixture("transaction_attachments_ok"))
    key = attachment_idempotency_key("transaction-1", "document-9")

    client(server).attach_file_to_transaction(
        "2751a41c-c17f-43f7-bd18-04efa6cd8e30", "invoice.pdf", b"%PDF-1.7", idempotency_key=key
    )

    assert (
        server.received[0].path
        == "/v2/transactions/2751a41c-c17f-43f7-bd18-04efa6cd8e30/attachments"
    )
    assert server.received[0].headers["x-qonto-idempotency-key"] == key


@pytest.mark.parametrize(
    ("name", "error_type", "expected"),
    [
        ("transaction_attachments_missing_file", PermanentError, (400, "missing_file", "/file")),
        ("transaction_attachments_unauthorized", AuthError, (401, "unauthorized", None)),
        ("transaction_attachments_forbidden", PermanentError, (403, "forbidden", None)),
        ("transaction_attachments_not_found", NotFoundError, (404, "not_found", "id")),
    ],
)
def test_documented_attachment_errors(
    server: FixtureServer,
    name: str,
    error_type: type[Exception],
    expected: tuple[int, str, str | None],
) -> None:
    server.serve(fixture(name))

    with pytest.raises(error_type) as raised:
        client(server).attach_file_to_transaction(
            "t-1", "invoice.pdf", b"%PDF", idempotency_key=attachment_idempotency_key("t-1")
        )

    error: Any = raised.value
    assert (error.status, error.code, getattr(error, "pointer", None)) == expected


# --- supplier invoices ---------------------------------------------------------------------------

SPEC_INVOICE_ID = "4d5418bb-bd0d-4df4-865c-c07afab8bb48"


def test_documented_bulk_success_maps_to_its_key(server: FixtureServer) -> None:
    server.serve(fixture("supplier_invoices_bulk_ok"))

    result = client(server).bulk_create_supplier_invoices(
        [BulkItem("key-1", "invoice 101/2022.pdf", b"%PDF-1.7")]
    )

    item = result.items["key-1"]
    assert (item.status, item.raw, item.errors) == ("created", None, ())
    assert item.invoice is not None
    assert (
        item.invoice.id,
        item.invoice.invoice_number,
        item.invoice.supplier_name,
        item.invoice.total_amount,
        item.invoice.due_date,
        item.invoice.issue_date,
        item.invoice.status,
        item.invoice.attachment_id,
        item.invoice.created_at,
    ) == (
        SPEC_INVOICE_ID,
        "QONTO-JAN-2022",
        "McDonald's",
        Money(value=Decimal("22.10"), currency="EUR"),
        date(2022, 3, 1),
        None,
        "to_review",
        "08c66e1f-dded-4823-8fa3-29bed4d5e873",
        datetime(2022, 3, 4, 15, 58, 30, tzinfo=UTC),
    )


def test_documented_bulk_mix_of_success_and_error(server: FixtureServer) -> None:
    server.serve(fixture("supplier_invoices_bulk_mixed"))

    result = client(server).bulk_create_supplier_invoices(
        [
            BulkItem("abc-xyz", "too-big.pdf", b"%PDF"),
            BulkItem("key-2", "invoice 101/2022.pdf", b"%PDF"),
        ]
    )

    assert [(key, item.status) for key, item in result.items.items()] == [
        ("abc-xyz", "rejected"),
        ("key-2", "created"),
    ]
    assert [(e.code, e.detail, e.pointer) for e in result.items["abc-xyz"].errors] == [
        (
            "invalid",
            "File is too large or wrong content type",
            "/supplier_invoices/idempotency_key/abc-xyz/file",
        )
    ]


def test_documented_bulk_errors_only(server: FixtureServer) -> None:
    server.serve(fixture("supplier_invoices_bulk_errors"))

    result = client(server).bulk_create_supplier_invoices([BulkItem("abc-xyz", "a.pdf", b"%PDF")])

    assert [(e.code, e.detail, e.is_retryable) for e in result.items["abc-xyz"].errors] == [
        ("invalid", "File is too large or wrong content type", False),
        ("internal_server_error", "Processing file has failed", True),
    ]
    assert result.items["abc-xyz"].status == "rejected"


def test_one_malformed_bulk_item_is_unknown_with_its_raw_answer(server: FixtureServer) -> None:
    good = fixture("supplier_invoices_bulk_ok").body["supplier_invoices"][0]
    broken = {**good, "id": None, "file_name": "second.pdf"}
    body = {"supplier_invoices": [json.loads(json.dumps(good, default=str)), broken], "errors": []}
    server.serve(altered("supplier_invoices_bulk_ok", json.loads(json.dumps(body, default=str))))

    result = client(server).bulk_create_supplier_invoices(
        [
            BulkItem("key-1", "invoice 101/2022.pdf", b"%PDF"),
            BulkItem("key-2", "second.pdf", b"%PDF"),
        ]
    )

    assert [(key, item.status) for key, item in result.items.items()] == [
        ("key-1", "created"),
        ("key-2", "unknown"),
    ]
    assert result.items["key-2"].raw == json.loads(json.dumps(broken, default=str))
    assert result.items["key-1"].raw is None


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("supplier_invoices_bulk_too_large", (400, "bad_request", "Request is too large", None)),
        (
            "supplier_invoices_bulk_limit_reached",
            (400, "limit_reached", "Limit of 5 invoices reached", "/supplier_invoices"),
        ),
        (
            "supplier_invoices_bulk_missing_key",
            (400, "required", "Idempotency key is required", "/idempotency_key"),
        ),
        ("supplier_invoices_bulk_missing_file", (400, "required", "File is required", "/file")),
        (
            "supplier_invoices_bulk_forbidden",
            (
                403,
                "forbidden",
                "User does not have sufficient permissions for this action due to pricing plan",
                None,
            ),
        ),
    ],
)
def test_documented_whole_bulk_refusals(
    server: FixtureServer, name: str, expected: tuple[int, str, str, str | None]
) -> None:
    server.serve(fixture(name))

    with pytest.raises(PermanentError) as raised:
        client(server).bulk_create_supplier_invoices([BulkItem("key-1", "a.pdf", b"%PDF")])

    error = raised.value
    assert (error.status, error.code, error.detail, error.pointer) == expected


def test_matcher_flag_is_sent_only_when_asked(server: FixtureServer) -> None:
    server.serve(fixture("supplier_invoices_bulk_ok"))
    qonto = client(server)

    qonto.bulk_create_supplier_invoices([BulkItem("key-1", "a.pdf", b"%PDF")])
    qonto.bulk_create_supplier_invoices(
        [BulkItem("key-2", "b.pdf", b"%PDF")], skip_attachment_matcher=True
    )

    first, second = server.received
    assert b'name="skip_attachment_matcher"' not in first.body
    assert b'name="skip_attachment_matcher"\r\n\r\ntrue\r\n' in second.body


def test_documented_supplier_invoice_list_with_filters(server: FixtureServer) -> None:
    server.serve(fixture("supplier_invoices_list_ok"))

    invoices = list(
        client(server).list_supplier_invoices(
            statuses=("to_review", "paid"), updated_at_from=SINCE, sort_by="due_date:desc"
        )
    )

    assert [(i.id, i.file_name, i.total_amount, i.iban) for i in invoices] == [
        (
            SPEC_INVOICE_ID,
            "invoice 101/2022.pdf",
            Money(value=Decimal("22.10"), currency="EUR"),
            "FR1420041010050500013M02606",
        )
    ]
    assert server.received[0].query == [
        ("sort_by", "due_date:desc"),
        ("filter[status][]", "to_review"),
        ("filter[status][]", "paid"),
        ("filter[updated_at_from]", "2026-01-01T00:00:00Z"),
        ("page", "1"),
        ("per_page", "100"),
    ]


def test_current_reference_invoice_carries_what_qonto_read(server: FixtureServer) -> None:
    server.serve(fixture("supplier_invoices_list_current"))

    (invoice,) = client(server).list_supplier_invoices()

    assert (
        invoice.supplier_name,
        invoice.invoice_number,
        invoice.vat_number,
        invoice.tin,
        invoice.issue_date,
        invoice.due_date,
        invoice.display_attachment_id,
        invoice.matched_transaction_ids,
        invoice.has_duplicates,
        invoice.meta["connector"],
    ) == (
        "McDonald's",
        "QONTO-JAN-2022",
        "IT12345678901",
        "1234567890",
        date(2022, 3, 1),
        date(2022, 3, 1),
        "3c90c3cc-0d44-4b50-8888-8dd25736052a",
        (SPEC_INVOICE_ID,),
        False,
        "grover",
    )


@pytest.mark.parametrize(
    ("name", "issue_date", "vat_number"),
    [
        ("supplier_invoice_get_ok", date(2022, 2, 1), None),
        ("supplier_invoice_get_current", date(2022, 3, 1), "IT12345678901"),
    ],
)
def test_documented_supplier_invoice_get(
    server: FixtureServer, name: str, issue_date: date, vat_number: str | None
) -> None:
    server.serve(fixture(name))

    invoice = client(server).get_supplier_invoice(SPEC_INVOICE_ID)

    assert (invoice.id, invoice.issue_date, invoice.vat_number, invoice.total_tax_amount) == (
        SPEC_INVOICE_ID,
        issue_date,
        vat_number,
        None,
    )
    assert server.received[0].path == f"/v2/supplier_invoices/{SPEC_INVOICE_ID}"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("supplier_invoices_list_invalid_time", (400, "invalid_time", "filter[created_at_from]")),
        (
            "supplier_invoices_list_future_range",
            (400, "invalid_datetime_range", "filter[created_at_from]"),
        ),
        ("supplier_invoices_list_forbidden", (403, "forbidden", None)),
    ],
)
def test_documented_list_refusals(
    server: FixtureServer, name: str, expected: tuple[int, str, str | None]
) -> None:
    server.serve(fixture(name))

    with pytest.raises(PermanentError) as raised:
        list(client(server).list_supplier_invoices(created_at_from=SINCE))

    assert (raised.value.status, raised.value.code, raised.value.pointer) == expected


def _page_with_one_unreadable_item() -> Fixture:
    good = json.loads(json.dumps(fixture("supplier_invoices_list_ok").body, default=str))
    broken = {**good["supplier_invoices"][0], "id": 17, "file_name": "doc-9-invoice.pdf"}
    good["supplier_invoices"].append(broken)
    return altered("supplier_invoices_list_ok", good)


def test_an_unreadable_listed_invoice_spoils_nothing_else(server: FixtureServer) -> None:
    server.serve(_page_with_one_unreadable_item())
    qonto = client(server)

    listed = list(qonto.list_supplier_invoices())
    scanned = list(qonto.scan_supplier_invoices())

    assert [i.id for i in listed] == [SPEC_INVOICE_ID]
    assert [type(i) for i in scanned] == [SupplierInvoice, UnreadableItem]
    assert isinstance(scanned[1], UnreadableItem)
    assert (scanned[1].file_name, scanned[1].raw["id"]) == ("doc-9-invoice.pdf", 17)


def test_lookup_never_takes_an_unreadable_namesake_for_absent(server: FixtureServer) -> None:
    server.serve(_page_with_one_unreadable_item())

    with pytest.raises(ProtocolError) as raised:
        client(server).find_supplier_invoice_for(file_name="doc-9-invoice.pdf", created_after=SINCE)

    assert "doc-9-invoice.pdf" in str(raised.value)


def test_an_account_with_neither_id_nor_iban_is_skipped_with_a_log_line(
    server: FixtureServer, caplog: pytest.LogCaptureFixture
) -> None:
    body = json.loads(fixture("organization_ok").raw)
    del body["organization"]["id"]
    body["organization"]["bank_accounts"].append({"name": "Restricted", "status": "active"})
    server.serve(altered("organization_ok", body))

    organization = client(server).get_organization()

    assert organization.id == "elektro-tesla-gmbh-3066"
    assert [a.id for a in organization.bank_accounts] == ["FR7616798000010000005663951"]
    assert "bank account 'Restricted' has neither id nor IBAN" in caplog.text


def test_documented_list_page_mirrored_as_the_sync_guide_asks(server: FixtureServer) -> None:
    # The list reference's own example (docs.qonto.com/api-reference/business-api/endpoints/
    # supplier-invoices/list-supplier-invoices) is the retrieve example's item on page 2 of 2.
    item = json.loads(fixture("supplier_invoice_get_ok").raw)["supplier_invoice"]
    meta = {
        "current_page": 2,
        "next_page": None,
        "prev_page": 1,
        "total_pages": 2,
        "total_count": 150,
        "per_page": 100,
    }
    server.serve(altered("supplier_invoices_list_ok", {"supplier_invoices": [item], "meta": meta}))
    until = datetime(2026, 2, 1, tzinfo=UTC)

    invoices = list(
        client(server).list_supplier_invoices(
            updated_at_from=SINCE, updated_at_to=until, due_date="future", sort_by="updated_at:asc"
        )
    )

    assert [(i.id, i.issue_date, i.analyzed_at) for i in invoices] == [
        (SPEC_INVOICE_ID, date(2022, 2, 1), datetime(2022, 3, 4, 15, 58, 30, tzinfo=UTC))
    ]
    assert server.received[0].query == [
        ("sort_by", "updated_at:asc"),
        ("filter[updated_at_from]", "2026-01-01T00:00:00Z"),
        ("filter[updated_at_to]", "2026-02-01T00:00:00Z"),
        ("filter[due_date]", "future"),
        ("page", "1"),
        ("per_page", "100"),
    ]


def test_undocumented_filters_are_refused_before_any_request(server: FixtureServer) -> None:
    with pytest.raises(ValueError, match="sort_by must be"):
        list(client(server).list_supplier_invoices(sort_by="amount:asc"))
    with pytest.raises(ValueError, match="due_date must be one of"):
        list(client(server).list_supplier_invoices(due_date="overdue"))

    assert server.received == []
