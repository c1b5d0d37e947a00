"""The Qonto client against the Qonto emulator over real HTTP."""

from __future__ import annotations

import json
import logging
import threading
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs
from urllib.parse import urlsplit

import pytest
import requests

from connectors.config import QontoConfig
from connectors.errors import AuthError
from connectors.errors import NotFoundError
from connectors.errors import PermanentError
from connectors.errors import ProtocolError
from connectors.errors import TransientError
from connectors.http import NO_RETRY
from connectors.http import RetryPolicy
from connectors.http import Timeouts
from connectors.http import build_session
from connectors.oauth import InMemoryTokenSource
from connectors.oauth import StaticTokenSource
from connectors.oauth import TokenSet
from connectors.oauth import exchange_code
from connectors.oauth import make_state
from connectors.oauth import qonto_authorize_url
from connectors.oauth import revoke
from connectors.oauth import token_set_from_response
from connectors.qonto import BulkItem
from connectors.qonto import BulkLimitError
from connectors.qonto import QontoClient
from connectors.qonto import attachment_idempotency_key
from connectors.sandbox.constants import QONTO_API_LOGIN
from connectors.sandbox.constants import QONTO_API_SECRET_KEY
from connectors.sandbox.constants import QONTO_CLIENT_ID
from connectors.sandbox.constants import QONTO_CLIENT_SECRET
from connectors.sandbox.constants import QONTO_MAIN_BANK_ACCOUNT_ID
from connectors.sandbox.constants import QONTO_MAIN_IBAN
from connectors.sandbox.qonto import QontoEmulator

PDF = b"%PDF-1.7\n" + b"supplier invoice " * 50


@pytest.fixture
def qonto(qonto_emulator: QontoEmulator) -> QontoEmulator:
    """The shared session emulator (tests/plugins/sandbox.py), reset for this test."""
    return qonto_emulator


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def config_for(emulator: QontoEmulator, *, staging_token: str = "") -> QontoConfig:
    return QontoConfig(
        api_url=emulator.base_url,
        oauth_url=emulator.base_url,
        client_id=QONTO_CLIENT_ID,
        client_secret=QONTO_CLIENT_SECRET,
        staging_token=staging_token,
    )


def issued(emulator: QontoEmulator, **kwargs: Any) -> TokenSet:
    return token_set_from_response(emulator.issue_token(**kwargs), now=datetime.now(UTC))


def client_for(
    emulator: QontoEmulator,
    tokens: Any = None,
    *,
    sleep: Sleeps | None = None,
    retry: RetryPolicy | None = None,
    timeouts: Timeouts | None = None,
    staging_token: str = "",
    scheme: str | None = "Bearer",
) -> QontoClient:
    if tokens is None:
        tokens = StaticTokenSource(emulator.issue_token()["access_token"], provider="qonto")
    return QontoClient(
        config_for(emulator, staging_token=staging_token),
        tokens,
        authorization_scheme=scheme,
        session=build_session(provider="qonto", timeouts=timeouts),
        sleep=sleep if sleep is not None else Sleeps(),
        retry=retry or RetryPolicy(max_attempts=4, base_delay=0.01, max_delay=0.05, budget=60),
    )


def item(number: int, content: bytes = PDF) -> BulkItem:
    return BulkItem(f"key-{number}", f"doc-{number}-invoice.pdf", content)


# --- bulk upload ---------------------------------------------------------------------------------


def test_bulk_sends_rails_style_parts_and_maps_mixed_results(qonto: QontoEmulator) -> None:
    qonto.inject_item_errors(code="invalid", detail="File is invalid", idempotency_keys=["key-2"])
    qonto.inject_item_errors(code="internal_server_error", idempotency_keys=["key-3"])

    result = client_for(qonto).bulk_create_supplier_invoices(
        [item(1), item(2), item(3), item(4)], meta={"integration_type": "well"}
    )

    assert {key: r.status for key, r in result.items.items()} == {
        "key-1": "created",
        "key-2": "rejected",
        "key-3": "retryable",
        "key-4": "created",
    }
    stored = {i["idempotency_key"]: i["id"] for i in qonto.state()["supplier_invoices"]}
    created = result.items["key-1"].invoice, result.items["key-4"].invoice
    assert [invoice.id if invoice else None for invoice in created] == [
        stored["key-1"],
        stored["key-4"],
    ]
    assert [(e.code, e.detail, e.pointer) for e in result.items["key-2"].errors] == [
        ("invalid", "File is invalid", "/supplier_invoices/idempotency_key/key-2/file")
    ]
    assert result.status == 200
    sent = qonto.requests(path="/v2/supplier_invoices/bulk")[0].body
    assert [(part["name"], part.get("filename"), part.get("value")) for part in sent] == [
        ("supplier_invoices[][file]", "doc-1-invoice.pdf", None),
        ("supplier_invoices[][idempotency_key]", None, "key-1"),
        ("supplier_invoices[][file]", "doc-2-invoice.pdf", None),
        ("supplier_invoices[][idempotency_key]", None, "key-2"),
        ("supplier_invoices[][file]", "doc-3-invoice.pdf", None),
        ("supplier_invoices[][idempotency_key]", None, "key-3"),
        ("supplier_invoices[][file]", "doc-4-invoice.pdf", None),
        ("supplier_invoices[][idempotency_key]", None, "key-4"),
        ("source", None, "integration"),
        ("meta", None, '{"integration_type":"well"}'),
    ]
    assert sent[0]["content_type"] == "application/pdf"
    assert sent[0]["size"] == len(PDF)


@pytest.mark.parametrize(
    ("style", "_case"), [("list_source", "source as a list"), ("details", "details key")]
)
def test_bulk_errors_in_drifted_shapes_are_still_mapped(
    qonto: QontoEmulator, style: str, _case: str
) -> None:
    qonto.bulk_error_style = style
    qonto.inject_item_errors(code="invalid", detail="Bad file", idempotency_keys=["key-1"])

    result = client_for(qonto).bulk_create_supplier_invoices([item(1), item(2)])

    assert result.items["key-1"].status == "rejected"
    assert [e.detail for e in result.items["key-1"].errors] == ["Bad file"]
    assert result.items["key-2"].status == "created"


def test_resending_the_same_keys_never_duplicates(qonto: QontoEmulator) -> None:
    client = client_for(qonto)
    first = client.bulk_create_supplier_invoices([item(1), item(2)])

    second = client.bulk_create_supplier_invoices([item(1), item(2)])

    assert [r.invoice.id for r in second.items.values() if r.invoice] == [
        r.invoice.id for r in first.items.values() if r.invoice
    ]
    assert qonto.invoice_count_by_idempotency_key() == {"key-1": 1, "key-2": 1}


@pytest.mark.parametrize(
    ("items", "code", "_case"),
    [
        ([item(n) for n in range(21)], "too_many_items", "21 files"),
        ([item(1), item(2, b"%PDF" + b"x" * 11_000_000)], "file_too_large", "11 MB file"),
        ([item(n, b"%PDF" + b"x" * 5_000_000) for n in range(3)], "request_too_large", "15 MB"),
    ],
)
def test_batching_limits_are_enforced_before_any_request(
    qonto: QontoEmulator, items: list[BulkItem], code: str, _case: str
) -> None:
    with pytest.raises(BulkLimitError) as raised:
        client_for(qonto).bulk_create_supplier_invoices(items)

    assert raised.value.code == code
    assert qonto.requests() == []


def test_bulk_timeout_after_processing_is_not_resent_and_is_found_by_lookup(
    qonto: QontoEmulator,
) -> None:
    started = datetime.now(UTC)
    qonto.inject_fault("/v2/supplier_invoices/bulk", {"delay_after_processing": 1.0})
    client = client_for(qonto, timeouts=Timeouts(connect=2, read=0.3))

    with pytest.raises(TransientError) as raised:
        client.bulk_create_supplier_invoices([item(1)])

    assert raised.value.outcome_unknown is True
    assert len(qonto.requests(path="/v2/supplier_invoices/bulk")) == 1
    found = client.find_supplier_invoice_for(file_name="doc-1-invoice.pdf", created_after=started)
    assert found is not None
    assert found.id == qonto.state()["supplier_invoices"][0]["id"]
    assert client.find_supplier_invoice_for(file_name="doc-9.pdf", created_after=started) is None


def test_bulk_429_is_retried_because_it_was_not_processed(qonto: QontoEmulator) -> None:
    qonto.inject_fault("/v2/supplier_invoices/bulk", {"status": 429, "retry_after": 2})
    sleeps = Sleeps()

    result = client_for(qonto, sleep=sleeps).bulk_create_supplier_invoices([item(1)])

    assert sleeps == [2.0]
    assert result.items["key-1"].status == "created"
    assert [r.status for r in qonto.requests(path="/v2/supplier_invoices/bulk")] == [429, 200]


def test_bulk_5xx_is_surfaced_without_a_blind_resend(qonto: QontoEmulator) -> None:
    qonto.inject_fault("/v2/supplier_invoices/bulk", {"status": 503})
    sleeps = Sleeps()

    with pytest.raises(TransientError) as raised:
        client_for(qonto, sleep=sleeps).bulk_create_supplier_invoices([item(1)])

    assert raised.value.status == 503
    assert raised.value.outcome_unknown is True
    assert sleeps == []
    assert len(qonto.requests(path="/v2/supplier_invoices/bulk")) == 1


def test_whole_request_rejection_is_permanent_with_code_pointer_and_trace(
    qonto: QontoEmulator,
) -> None:
    qonto.inject_fault(
        "/v2/supplier_invoices/bulk",
        {
            "schema_error": {
                "status": 400,
                "code": "invalid",
                "detail": "source is invalid",
                "parameter": "source",
            }
        },
    )

    with pytest.raises(PermanentError) as raised:
        client_for(qonto).bulk_create_supplier_invoices([item(1)])

    error = raised.value
    assert (error.status, error.code, error.detail, error.pointer) == (
        400,
        "invalid",
        "source is invalid",
        "source",
    )
    assert error.trace_id  # from the body's trace_id: what Qonto support asks for
    assert error.request_id == error.trace_id
    assert str(error).startswith(
        "qonto: Qonto refused the request (invalid: source is invalid, at source)"
    )


# --- tokens --------------------------------------------------------------------------------------


def test_expired_token_is_refreshed_once_and_the_refresh_token_rotates(
    qonto: QontoEmulator,
) -> None:
    initial = issued(qonto)
    saved: list[TokenSet] = []
    source = InMemoryTokenSource("qonto", config_for(qonto), initial, on_refresh=saved.append)
    qonto.advance_clock(3601)

    result = client_for(qonto, source).bulk_create_supplier_invoices([item(1)])

    assert result.items["key-1"].status == "created"
    assert [r.status for r in qonto.requests(path="/v2/supplier_invoices/bulk")] == [401, 200]
    assert len(qonto.requests(path="/oauth2/token")) == 1
    assert len(saved) == 1
    assert saved[0].refresh_token is not None
    assert saved[0].refresh_token != initial.refresh_token
    assert qonto.invoice_count_by_idempotency_key() == {"key-1": 1}


def test_concurrent_callers_cause_exactly_one_refresh(qonto: QontoEmulator) -> None:
    source = InMemoryTokenSource("qonto", config_for(qonto), issued(qonto))
    qonto.advance_clock(3601)
    qonto.inject_fault("/v2/organization", {"delay": 0.3}, count=2)
    barrier = threading.Barrier(2)
    names: list[str | None] = []

    def worker() -> None:
        client = client_for(qonto, source)
        barrier.wait()
        names.append(client.get_organization().name)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)

    assert names == ["Well Demo SAS", "Well Demo SAS"]
    assert sorted(r.status or 0 for r in qonto.requests(path="/v2/organization")) == [
        200,
        200,
        401,
        401,
    ]
    assert len(qonto.requests(path="/oauth2/token")) == 1


def test_revoked_refresh_token_is_an_auth_error_and_stops(qonto: QontoEmulator) -> None:
    source = InMemoryTokenSource("qonto", config_for(qonto), issued(qonto))
    qonto.revoke_all_tokens()

    with pytest.raises(AuthError) as raised:
        client_for(qonto, source).bulk_create_supplier_invoices([item(1)])

    assert raised.value.code == "invalid_grant"
    assert len(qonto.requests(path="/v2/supplier_invoices/bulk")) == 1
    assert qonto.state()["supplier_invoices"] == []


def test_missing_scope_is_an_auth_error(qonto: QontoEmulator) -> None:
    token = qonto.issue_token(scopes=("supplier_invoice.read",))["access_token"]

    with pytest.raises(AuthError) as raised:
        client_for(qonto, StaticTokenSource(token, provider="qonto")).get_organization()

    assert raised.value.status == 403
    assert "organization.read" in str(raised.value)


def test_api_key_authorization_is_sent_verbatim(qonto: QontoEmulator) -> None:
    key = f"{QONTO_API_LOGIN}:{QONTO_API_SECRET_KEY}"

    organization = client_for(
        qonto, StaticTokenSource(key, provider="qonto"), scheme=None
    ).get_organization()

    assert organization.slug == QONTO_API_LOGIN
    assert qonto.requests()[0].header("Authorization") is not None


def test_code_exchange_refresh_and_revoke(qonto: QontoEmulator) -> None:
    config = config_for(qonto)
    state = make_state()
    redirect_uri = "http://127.0.0.1:1/qonto/callback"
    consent = requests.get(
        qonto_authorize_url(config, state=state, redirect_uri=redirect_uri),
        allow_redirects=False,
        timeout=5,
    )
    query = parse_qs(urlsplit(consent.headers["Location"]).query)
    assert query["state"] == [state]

    token_set = exchange_code("qonto", config, code=query["code"][0], redirect_uri=redirect_uri)

    assert token_set.access_token.startswith("ory_at_")
    assert token_set.refresh_token is not None
    assert "supplier_invoice.write" in token_set.scopes
    assert token_set.account_id is None
    exchange = qonto.requests(path="/oauth2/token")[0].body
    assert exchange["grant_type"] == "authorization_code"
    assert exchange["client_id"] == QONTO_CLIENT_ID

    revoke("qonto", config, token_set)

    assert [r.method + " " + r.path for r in qonto.requests()] == [
        "GET /oauth2/auth",
        "POST /oauth2/token",
        "DELETE /v2/oauth2/consents",
        "POST /oauth2/revoke",
    ]
    with pytest.raises(AuthError):
        client_for(
            qonto, StaticTokenSource(token_set.access_token, provider="qonto")
        ).get_organization()


def test_revoke_consents_disconnects(qonto: QontoEmulator) -> None:
    client = client_for(qonto)

    client.revoke_consents()

    with pytest.raises(AuthError):
        client.get_organization()


# --- reads ---------------------------------------------------------------------------------------


def test_list_transactions_sends_the_window_and_every_status(qonto: QontoEmulator) -> None:
    since = datetime.now(UTC) - timedelta(minutes=1)
    qonto.add_transaction(amount="1234.56", label="OVH SAS", status="completed")
    qonto.advance_clock(1)  # distinct updated_at values, so the order is defined
    qonto.add_transaction(
        amount="99.90",
        label="Figma",
        status="pending",
        local_amount="107.00",
        local_currency="USD",
    )
    qonto.advance_clock(1)
    qonto.add_transaction(
        amount="5000.00",
        label="Client Acme",
        side="credit",
        counterparty_iban="FR7630006000011234567890189",
    )

    transactions = list(
        client_for(qonto).list_transactions(
            QONTO_MAIN_BANK_ACCOUNT_ID, updated_at_from=since, per_page=2
        )
    )

    assert [(t.label, t.amount, t.currency, t.side, t.status) for t in transactions] == [
        ("OVH SAS", Decimal("1234.56"), "EUR", "debit", "completed"),
        ("Figma", Decimal("99.90"), "EUR", "debit", "pending"),
        ("Client Acme", Decimal("5000.00"), "EUR", "credit", "completed"),
    ]
    assert (transactions[1].local_amount, transactions[1].local_currency) == (
        Decimal("107.00"),
        "USD",
    )
    assert transactions[2].counterparty_iban == "FR7630006000011234567890189"
    sent = qonto.requests(path="/v2/transactions")
    assert len(sent) == 2
    assert sent[0].query == {
        "bank_account_id": [QONTO_MAIN_BANK_ACCOUNT_ID],
        "updated_at_from": [since.isoformat().replace("+00:00", "Z")],
        "sort_by": ["updated_at:asc"],
        "status[]": ["pending", "completed", "declined"],
        "page": ["1"],
        "per_page": ["2"],
    }
    assert sent[1].query["page"] == ["2"]


def test_pagination_stops_when_next_page_is_absent(qonto: QontoEmulator) -> None:
    qonto.omit_next_page_on_last = True
    for number in range(3):
        qonto.add_transaction(amount=str(10 + number), label=f"t{number}")
        qonto.advance_clock(1)

    transactions = list(
        client_for(qonto).list_transactions(
            QONTO_MAIN_BANK_ACCOUNT_ID,
            updated_at_from=datetime.now(UTC) - timedelta(hours=1),
            per_page=2,
        )
    )

    assert len(transactions) == 3
    assert len(qonto.requests(path="/v2/transactions")) == 2


def test_transaction_400_uses_message(qonto: QontoEmulator) -> None:
    with pytest.raises(PermanentError) as raised:
        list(
            client_for(qonto).list_transactions(
                QONTO_MAIN_BANK_ACCOUNT_ID, updated_at_from=datetime.now(UTC), side="sideways"
            )
        )

    assert (raised.value.code, raised.value.detail, raised.value.pointer) == (
        "side_invalid",
        "side must be credit or debit",
        None,
    )


def test_list_and_get_supplier_invoices(qonto: QontoEmulator) -> None:
    client = client_for(qonto)
    result = client.bulk_create_supplier_invoices([item(1), item(2), item(3)])
    created = result.items["key-2"].invoice
    assert created is not None
    qonto.set_extracted_fields(
        created.id, supplier_name="OVH SAS", currency="EUR", total_amount="1234.50"
    )

    listed = list(client.list_supplier_invoices(per_page=2))
    fetched = client.get_supplier_invoice(created.id)

    assert [i.file_name for i in listed] == [
        "doc-1-invoice.pdf",
        "doc-2-invoice.pdf",
        "doc-3-invoice.pdf",
    ]
    assert fetched.supplier_name == "OVH SAS"
    assert fetched.total_amount is not None
    assert (fetched.total_amount.value, fetched.total_amount.currency) == (
        Decimal("1234.50"),
        "EUR",
    )
    assert len(qonto.requests(path="/v2/supplier_invoices")) == 2
    with pytest.raises(NotFoundError):
        client.get_supplier_invoice("00000000-0000-0000-0000-000000000000")


def test_organization_and_bank_accounts(qonto: QontoEmulator) -> None:
    client = client_for(qonto)

    organization = client.get_organization()
    accounts = list(client.list_bank_accounts())

    assert organization.name == "Well Demo SAS"
    assert [(a.id, a.iban, a.balance, a.main) for a in organization.bank_accounts] == [
        (QONTO_MAIN_BANK_ACCOUNT_ID, QONTO_MAIN_IBAN, Decimal("48210.55"), True)
    ]
    assert [a.id for a in accounts] == [QONTO_MAIN_BANK_ACCOUNT_ID]


def test_attach_file_is_idempotent_across_a_lost_answer(qonto: QontoEmulator) -> None:
    transaction = qonto.add_transaction(amount="42.00", label="Boulangerie")
    qonto.inject_fault(
        f"/v2/transactions/{transaction.id}/attachments", {"delay_after_processing": 1.0}
    )
    client = client_for(qonto, timeouts=Timeouts(connect=2, read=0.3))

    key = attachment_idempotency_key(transaction.id, "receipt")

    client.attach_file_to_transaction(transaction.id, "receipt.pdf", PDF, idempotency_key=key)

    sent = qonto.requests(path=f"/v2/transactions/{transaction.id}/attachments")
    assert len(sent) == 2
    assert {r.header("X-Qonto-Idempotency-Key") for r in sent} == {key}
    assert [a.file_name for a in qonto.attachments_of(transaction.id)] == ["receipt.pdf"]


# --- protocol problems ---------------------------------------------------------------------------


def test_missing_staging_token_is_a_protocol_error_with_a_hint(qonto: QontoEmulator) -> None:
    qonto.staging_token = "sandbox-staging-token"

    with pytest.raises(ProtocolError) as raised:
        client_for(qonto).get_organization()

    assert str(raised.value).startswith("qonto: expected JSON, received an HTML page (text/html")
    assert "X-Qonto-Staging-Token header is missing or wrong" in str(raised.value)
    assert client_for(qonto, staging_token="sandbox-staging-token").get_organization().id
    assert qonto.requests()[-1].header("X-Qonto-Staging-Token") is not None


@pytest.mark.parametrize(
    ("fault", "fragment", "_case"),
    [
        (
            "truncated_json",
            "expected an organization as JSON, received malformed or truncated",
            "cut",
        ),
        (
            "wrong_shape",
            "received a JSON document that does not match (organization: Field required)",
            "shape",
        ),
    ],
)
def test_malformed_answers_are_protocol_errors(
    qonto: QontoEmulator, fault: str, fragment: str, _case: str
) -> None:
    qonto.inject_fault("/v2/organization", {"malformed": fault})

    with pytest.raises(ProtocolError) as raised:
        client_for(qonto).get_organization()

    assert fragment in str(raised.value)


def test_read_5xx_is_retried_then_transient(qonto: QontoEmulator) -> None:
    qonto.inject_fault("/v2/organization", {"status": 500}, count=10)
    sleeps = Sleeps()

    with pytest.raises(TransientError):
        client_for(
            qonto, sleep=sleeps, retry=RetryPolicy(max_attempts=3, base_delay=1, budget=10)
        ).get_organization()

    assert len(qonto.requests(path="/v2/organization")) == 3
    assert len(sleeps) == 2


def test_dropped_connection_is_transient(qonto: QontoEmulator) -> None:
    qonto.inject_fault("/v2/organization", {"drop": True})

    with pytest.raises(TransientError):
        client_for(qonto, retry=NO_RETRY).get_organization()


def test_no_token_or_secret_in_logs_or_errors(
    qonto: QontoEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    qonto.staging_token = "stg-very-secret-token"
    initial = issued(qonto)
    source = InMemoryTokenSource(
        "qonto", config_for(qonto, staging_token="stg-very-secret-token"), initial
    )
    client = client_for(qonto, source, staging_token="stg-very-secret-token")
    qonto.advance_clock(3601)
    shown: list[str] = []

    client.bulk_create_supplier_invoices([item(1)])
    qonto.revoke_all_tokens()
    qonto.advance_clock(3601)
    try:
        client.get_organization()
    except AuthError as error:
        shown += [str(error), repr(error)]
    api_key = f"{QONTO_API_LOGIN}:{QONTO_API_SECRET_KEY}"
    try:
        client_for(
            qonto,
            StaticTokenSource(api_key + "x", provider="qonto"),
            scheme=None,
            staging_token="stg-very-secret-token",
        ).get_organization()
    except AuthError as error:
        shown += [str(error), repr(error)]

    secrets = [
        initial.access_token,
        initial.refresh_token or "",
        source.token_set.access_token,
        source.token_set.refresh_token or "",
        QONTO_CLIENT_SECRET,
        "stg-very-secret-token",
        QONTO_API_SECRET_KEY,
    ]
    logged = [json.dumps(record.__dict__, default=str) for record in caplog.records]
    assert len(shown) == 4
    for secret in secrets:
        assert secret
        assert not any(secret in line for line in logged + shown), secret
