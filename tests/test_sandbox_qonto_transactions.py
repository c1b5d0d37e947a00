"""Qonto emulator: organisation, bank accounts, transactions (filters, sorting, pagination,
errors) and transaction attachments with idempotency."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
import requests

from connectors.sandbox import QONTO_MAIN_BANK_ACCOUNT_ID
from connectors.sandbox import QontoEmulator
from connectors.sandbox.constants import QONTO_MAIN_IBAN
from connectors.sandbox.demo_data import QONTO_TRANSACTION_KEYS
from tests.qonto_http import qonto_auth
from tests.qonto_http import qonto_get

PDF = b"%PDF-1.7\n" + b"receipt " * 20
DAY = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)


def transactions(qonto: QontoEmulator, **params: Any) -> requests.Response:
    params.setdefault("bank_account_id", QONTO_MAIN_BANK_ACCOUNT_ID)
    return qonto_get(qonto, "/v2/transactions", **params)


def labels(response: requests.Response) -> list[str]:
    return [transaction["label"] for transaction in response.json()["transactions"]]


def attach(
    qonto: QontoEmulator,
    transaction_id: str,
    key: str | None,
    content: bytes = PDF,
    kind: str = "application/pdf",
) -> requests.Response:
    headers = qonto_auth(qonto)
    if key is not None:
        headers["X-Qonto-Idempotency-Key"] = key
    return requests.post(
        qonto.url(f"/v2/transactions/{transaction_id}/attachments"),
        headers=headers,
        files={"file": ("receipt.pdf", content, kind)},
        timeout=5,
    )


# --- organisation and bank accounts --------------------------------------------------------------


def test_organization_lists_its_bank_accounts(qonto_emulator: QontoEmulator) -> None:
    body = qonto_get(qonto_emulator, "/v2/organization").json()

    organization = body["organization"]
    assert organization["id"] == qonto_emulator.organization_id
    [account] = organization["bank_accounts"]
    assert (account["id"], account["iban"], account["bic"], account["currency"]) == (
        QONTO_MAIN_BANK_ACCOUNT_ID,
        QONTO_MAIN_IBAN,
        "QNTOFRP1XXX",
        "EUR",
    )
    assert (account["balance"], account["balance_cents"], account["main"]) == (
        48210.55,
        4821055,
        True,
    )


def test_bank_accounts_list_and_one(qonto_emulator: QontoEmulator) -> None:
    second = qonto_emulator.add_bank_account(iban="FR7616958000010008765432106", name="Réserve")

    listed = qonto_get(qonto_emulator, "/v2/bank_accounts").json()
    one = qonto_get(qonto_emulator, f"/v2/bank_accounts/{second['id']}")

    assert [a["name"] for a in listed["bank_accounts"]] == ["Compte principal", "Réserve"]
    assert listed["meta"]["total_count"] == 2
    assert one.json() == {"bank_account": second}


# --- transactions --------------------------------------------------------------------------------


def test_transaction_has_every_documented_key(qonto_emulator: QontoEmulator) -> None:
    qonto_emulator.add_transaction(
        amount="1234.56",
        label="ACME SARL",
        reference="F-2026-001",
        counterparty_iban="FR7630006000011234567890189",
        counterparty_bic="AGRIFRPPXXX",
        emitted_at=DAY,
    )

    [transaction] = transactions(qonto_emulator).json()["transactions"]

    assert list(transaction) == list(QONTO_TRANSACTION_KEYS)
    assert (transaction["amount"], transaction["amount_cents"], transaction["currency"]) == (
        1234.56,
        123456,
        "EUR",
    )
    assert (transaction["side"], transaction["operation_type"], transaction["subject_type"]) == (
        "debit",
        "transfer",
        "Transfer",
    )
    assert transaction["settled_at"] == "2026-11-02T09:30:00.000Z"
    assert transaction["transfer"] == {
        "counterparty_account_number": "FR7630006000011234567890189",
        "counterparty_account_number_format": "IBAN",
        "counterparty_bank_identifier": "AGRIFRPPXXX",
        "counterparty_bank_identifier_format": "SWIFT_BIC",
    }


def test_bank_account_or_iban_is_required(qonto_emulator: QontoEmulator) -> None:
    response = qonto_get(qonto_emulator, "/v2/transactions")

    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"code": "missing", "detail": "bank_account_id or iban is missing"}
    ]


def test_iban_selects_the_account(qonto_emulator: QontoEmulator) -> None:
    qonto_emulator.add_transaction(amount="10", label="A")

    response = transactions(qonto_emulator, bank_account_id="", iban=QONTO_MAIN_IBAN)

    assert labels(response) == ["A"]


def test_default_is_completed_only_and_status_widens(qonto_emulator: QontoEmulator) -> None:
    qonto_emulator.add_transaction(amount="10", label="done", emitted_at=DAY)
    qonto_emulator.add_transaction(
        amount="20", label="card hold", status="pending", emitted_at=DAY + timedelta(hours=1)
    )
    qonto_emulator.add_transaction(amount="30", label="refused", status="declined", emitted_at=DAY)

    default = transactions(qonto_emulator)
    widened = transactions(
        qonto_emulator, **{"status[]": ["completed", "pending"], "sort_by": "emitted_at:desc"}
    )

    assert labels(default) == ["done"]
    assert labels(widened) == ["card hold", "done"]


def test_bad_status_is_a_400_with_message_not_detail(qonto_emulator: QontoEmulator) -> None:
    response = transactions(qonto_emulator, **{"status[]": "lost"})

    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error == {"code": "status_invalid", "message": "At least one status isn't valid"}


def test_reversed_is_not_a_qonto_status(qonto_emulator: QontoEmulator) -> None:
    response = transactions(qonto_emulator, **{"status[]": ["completed", "reversed"]})

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"code": "status_invalid", "message": "At least one status isn't valid"}
    ]
    with pytest.raises(ValueError, match="status must be one of"):
        qonto_emulator.add_transaction(amount="1", label="x", status="reversed")


@pytest.mark.parametrize(
    ("params", "code", "case"),
    [
        ({"sort_by": "amount:desc"}, "sort_invalid", "sort"),
        ({"updated_at_from": "last week"}, "date_invalid", "date"),
    ],
)
def test_other_400s_use_message(
    qonto_emulator: QontoEmulator, params: dict[str, str], code: str, case: str
) -> None:
    response = transactions(qonto_emulator, **params)

    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == code
    assert "message" in response.json()["errors"][0]
    assert "detail" not in response.json()["errors"][0]


def test_side_and_updated_at_window(qonto_emulator: QontoEmulator) -> None:
    qonto_emulator.clock.freeze()
    qonto_emulator.add_transaction(amount="10", label="old debit")
    qonto_emulator.advance_clock(3600)
    # Qonto timestamps carry milliseconds; a window bound with microseconds would miss them.
    since = qonto_emulator.clock.now().replace(microsecond=0)
    qonto_emulator.add_transaction(amount="20", label="new credit", side="credit")
    qonto_emulator.add_transaction(amount="30", label="new debit")

    recent = transactions(
        qonto_emulator, updated_at_from=since.isoformat(), sort_by="updated_at:asc"
    )
    credits = transactions(qonto_emulator, side="credit")

    assert labels(recent) == ["new credit", "new debit"]
    assert labels(credits) == ["new credit"]
    assert credits.json()["transactions"][0]["operation_type"] == "income"


def test_update_moves_updated_at_and_shows_in_the_window(qonto_emulator: QontoEmulator) -> None:
    qonto_emulator.clock.freeze()
    pending = qonto_emulator.add_transaction(
        amount="42.10", label="CARD", status="pending", operation_type="card"
    )
    qonto_emulator.advance_clock(600)
    # Qonto timestamps carry milliseconds; a window bound with microseconds would miss them.
    since = qonto_emulator.clock.now().replace(microsecond=0)

    qonto_emulator.update_transaction(pending.id, status="completed", amount=Decimal("41.95"))
    found = transactions(qonto_emulator, updated_at_from=since.isoformat()).json()["transactions"]

    assert [(t["label"], t["status"], t["amount"], t["amount_cents"]) for t in found] == [
        ("CARD", "completed", 41.95, 4195)
    ]
    assert found[0]["settled_at"] == found[0]["updated_at"]


def test_default_sort_is_newest_settlement_first(qonto_emulator: QontoEmulator) -> None:
    for offset, label in ((2, "middle"), (1, "first"), (3, "last")):
        qonto_emulator.add_transaction(
            amount="1", label=label, emitted_at=DAY + timedelta(days=offset)
        )

    assert labels(transactions(qonto_emulator)) == ["last", "middle", "first"]
    assert labels(transactions(qonto_emulator, sort_by="settled_at:asc")) == [
        "first",
        "middle",
        "last",
    ]


def test_pagination_meta_and_limits(qonto_emulator: QontoEmulator) -> None:
    for index in range(5):
        qonto_emulator.add_transaction(
            amount="1", label=f"t{index}", emitted_at=DAY + timedelta(minutes=index)
        )

    page = transactions(qonto_emulator, per_page=2, page=2, sort_by="emitted_at:asc").json()
    too_many = transactions(qonto_emulator, per_page=101)
    past = transactions(qonto_emulator, per_page=2, page=4)

    assert labels_of(page) == ["t2", "t3"]
    assert page["meta"] == {
        "current_page": 2,
        "next_page": 3,
        "prev_page": 1,
        "total_pages": 3,
        "total_count": 5,
        "per_page": 2,
    }
    assert too_many.status_code == 422
    assert past.status_code == 422


def labels_of(body: dict[str, Any]) -> list[str]:
    return [transaction["label"] for transaction in body["transactions"]]


def test_get_one_transaction_and_blank_404(qonto_emulator: QontoEmulator) -> None:
    created = qonto_emulator.add_transaction(amount="10", label="A")

    found = qonto_get(qonto_emulator, f"/v2/transactions/{created.id}")
    missing = qonto_get(qonto_emulator, "/v2/transactions/nope")

    assert found.json()["transaction"]["id"] == created.id
    assert missing.status_code == 404
    assert missing.headers["Content-Type"] == "text/plain"
    assert missing.content == b""


def test_foreign_currency_operation_keeps_local_amount(qonto_emulator: QontoEmulator) -> None:
    qonto_emulator.add_transaction(
        amount="92.18",
        label="NOTION LABS",
        operation_type="card",
        local_amount="100.00",
        local_currency="USD",
    )

    [transaction] = transactions(qonto_emulator).json()["transactions"]

    assert (transaction["amount"], transaction["currency"]) == (92.18, "EUR")
    assert (
        transaction["local_amount"],
        transaction["local_amount_cents"],
        transaction["local_currency"],
    ) == (100.0, 10000, "USD")
    assert (transaction["subject_type"], transaction["transfer"]) == ("Card", None)


def test_loaded_wire_transactions_come_back_verbatim(qonto_emulator: QontoEmulator) -> None:
    seeded = qonto_emulator.add_transaction(amount="5", label="seed")
    wire = {**seeded.wire, "id": "0192f5c4-aaaa-7bbb-8ccc-123456789abc", "label": "From wire"}

    requests.post(qonto_emulator.url("/_sandbox/transactions"), json={"wire": wire}, timeout=5)
    fetched = qonto_get(qonto_emulator, f"/v2/transactions/{wire['id']}")

    assert fetched.json()["transaction"] == wire


# --- attachments ---------------------------------------------------------------------------------


def test_attachment_upload_then_listed(qonto_emulator: QontoEmulator) -> None:
    transaction = qonto_emulator.add_transaction(amount="10", label="A")

    response = attach(qonto_emulator, transaction.id, "key-1")
    listed = qonto_get(qonto_emulator, f"/v2/transactions/{transaction.id}/attachments").json()
    embedded = transactions(qonto_emulator, **{"includes[]": "attachments"}).json()["transactions"][
        0
    ]

    assert response.status_code == 200
    assert response.content == b""
    [attachment] = listed["attachments"]
    assert sorted(attachment) == [
        "created_at",
        "file_content_type",
        "file_name",
        "file_size",
        "id",
        "probative_attachment",
        "url",
    ]
    assert (attachment["file_name"], attachment["file_size"], attachment["file_content_type"]) == (
        "receipt.pdf",
        str(len(PDF)),
        "application/pdf",
    )
    assert embedded["attachment_ids"] == [attachment["id"]]
    assert embedded["attachments"][0]["id"] == attachment["id"]
    assert requests.get(attachment["url"], timeout=5).content == PDF


def test_same_idempotency_key_within_30_minutes_attaches_once(
    qonto_emulator: QontoEmulator,
) -> None:
    transaction = qonto_emulator.add_transaction(amount="10", label="A")

    first = attach(qonto_emulator, transaction.id, "key-1")
    qonto_emulator.advance_clock(29 * 60)
    repeat = attach(qonto_emulator, transaction.id, "key-1", content=b"%PDF another body")
    qonto_emulator.advance_clock(2 * 60)
    expired_key = attach(qonto_emulator, transaction.id, "key-1")

    assert (first.status_code, repeat.status_code, expired_key.status_code) == (200, 200, 200)
    assert len(qonto_emulator.attachments_of(transaction.id)) == 2
    assert [a.idempotency_key for a in qonto_emulator.attachments_of(transaction.id)] == [
        "key-1",
        "key-1",
    ]


def test_a_refused_upload_is_not_replayed_under_its_key(qonto_emulator: QontoEmulator) -> None:
    transaction = qonto_emulator.add_transaction(amount="10", label="A")

    refused = attach(qonto_emulator, transaction.id, "key-1", b"hello", "text/plain")
    retried = attach(qonto_emulator, transaction.id, "key-1")

    assert (refused.status_code, retried.status_code) == (400, 200)
    assert len(qonto_emulator.attachments_of(transaction.id)) == 1


def test_attachment_needs_the_idempotency_header(qonto_emulator: QontoEmulator) -> None:
    transaction = qonto_emulator.add_transaction(amount="10", label="A")

    response = attach(qonto_emulator, transaction.id, None)

    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "code": "required",
            "detail": "X-Qonto-Idempotency-Key header is missing",
            "source": {"parameter": "X-Qonto-Idempotency-Key"},
        }
    ]
    assert qonto_emulator.attachments_of(transaction.id) == []


@pytest.mark.parametrize(
    ("transaction_id", "content", "kind", "status", "code", "case"),
    [
        ("nope", PDF, "application/pdf", 404, "not_found", "unknown_transaction"),
        (None, b"GIF89a", "image/gif", 400, "invalid_file_type", "gif"),
        (None, b"%PDF" + b"0" * 15_000_001, "application/pdf", 400, "file_too_big", "too_big"),
    ],
)
def test_attachment_errors(
    qonto_emulator: QontoEmulator,
    transaction_id: str | None,
    content: bytes,
    kind: str,
    status: int,
    code: str,
    case: str,
) -> None:
    transaction = qonto_emulator.add_transaction(amount="10", label="A")

    response = attach(
        qonto_emulator, transaction_id or transaction.id, f"key-{case}", content, kind
    )

    assert response.status_code == status
    assert response.json()["errors"][0]["code"] == code
    assert qonto_emulator.attachments_of(transaction.id) == []


def test_upload_is_processed_asynchronously(qonto_emulator: QontoEmulator) -> None:
    qonto_emulator.attachment_visibility_delay = 5
    transaction = qonto_emulator.add_transaction(amount="10", label="A")

    attach(qonto_emulator, transaction.id, "key-1")
    right_after = transactions(qonto_emulator).json()["transactions"][0]["attachment_ids"]
    qonto_emulator.advance_clock(5)
    later = transactions(qonto_emulator).json()["transactions"][0]["attachment_ids"]

    assert right_after == []
    assert len(later) == 1


def test_attachment_url_expires_after_30_minutes(qonto_emulator: QontoEmulator) -> None:
    transaction = qonto_emulator.add_transaction(amount="10", label="A")
    attach(qonto_emulator, transaction.id, "key-1")
    attachment_id = transaction.attachment_ids[0]
    url = qonto_get(qonto_emulator, f"/v2/attachments/{attachment_id}").json()["attachment"]["url"]

    qonto_emulator.advance_clock(30 * 60)
    expired = requests.get(url, timeout=5)

    assert expired.status_code == 403
    assert "AccessDenied" in expired.text


def test_attachment_write_scope_is_required(qonto_emulator: QontoEmulator) -> None:
    transaction = qonto_emulator.add_transaction(amount="10", label="A")
    token = qonto_emulator.issue_token(scopes=("organization.read",))["access_token"]

    response = requests.post(
        qonto_emulator.url(f"/v2/transactions/{transaction.id}/attachments"),
        headers={"Authorization": f"Bearer {token}", "X-Qonto-Idempotency-Key": "k"},
        files={"file": ("r.pdf", PDF, "application/pdf")},
        timeout=5,
    )

    assert response.status_code == 403
