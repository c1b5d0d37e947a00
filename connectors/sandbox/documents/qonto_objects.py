"""Qonto API objects (transactions, bank accounts, organisation) shaped exactly as
../shared/reference/qonto.md §4b and §6 describe them, for the emulator and the benchmarks.

Amounts are floats here only because that is Qonto's wire format; they are derived from
Decimal cents so the float and `_cents` fields always agree.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from connectors.sandbox.documents.model import to_cents

#: Every key of a transaction as returned by GET /v2/transactions without `includes[]`.
QONTO_TRANSACTION_KEYS: tuple[str, ...] = (
    "id",
    "transaction_id",
    "amount",
    "amount_cents",
    "settled_balance",
    "settled_balance_cents",
    "attachment_ids",
    "logo",
    "local_amount",
    "local_amount_cents",
    "side",
    "operation_type",
    "currency",
    "local_currency",
    "label",
    "clean_counterparty_name",
    "settled_at",
    "emitted_at",
    "created_at",
    "updated_at",
    "status",
    "note",
    "reference",
    "vat_amount",
    "vat_amount_cents",
    "vat_rate",
    "initiator_id",
    "label_ids",
    "attachment_lost",
    "attachment_required",
    "card_last_digits",
    "category",
    "cashflow_category",
    "cashflow_subcategory",
    "subject_type",
    "bank_account_id",
    "is_external_transaction",
    "transfer",
    "income",
    "swift_income",
    "direct_debit",
    "direct_debit_collection",
    "direct_debit_hold",
    "check",
    "financing_installment",
    "pagopa_payment",
)
COUNTERPARTY_KEYS: tuple[str, ...] = (
    "counterparty_account_number",
    "counterparty_account_number_format",
    "counterparty_bank_identifier",
    "counterparty_bank_identifier_format",
)
BANK_ACCOUNT_KEYS: tuple[str, ...] = (
    "id",
    "slug",
    "name",
    "iban",
    "bic",
    "currency",
    "balance",
    "balance_cents",
    "authorized_balance",
    "authorized_balance_cents",
    "status",
    "main",
    "is_external_account",
    "account_number",
    "updated_at",
    "organization_id",
)
ORGANIZATION_KEYS: tuple[str, ...] = (
    "id",
    "name",
    "slug",
    "legal_name",
    "locale",
    "legal_share_capital",
    "legal_country",
    "legal_registration_date",
    "legal_form",
    "legal_address",
    "legal_sector",
    "contract_signed_at",
    "legal_number",
    "bank_accounts",
)

SUBJECT_TYPES: dict[str, str] = {
    "transfer": "Transfer",
    "income": "Income",
    "swift_income": "SwiftIncome",
    "direct_debit": "DirectDebit",
    "direct_debit_collection": "DirectDebitCollection",
    "card": "Card",
    "qonto_fee": "BillingTransfer",
    "cheque": "Check",
    "other": "Other",
}
# Which nested object carries the counterparty for each subject type.
_COUNTERPARTY_OBJECT: dict[str, str] = {
    "Transfer": "transfer",
    "Income": "income",
    "SwiftIncome": "swift_income",
    "DirectDebit": "direct_debit",
    "DirectDebitCollection": "direct_debit_collection",
}
_CASHFLOW: dict[str, tuple[str, str]] = {
    "online_service": ("Software", "Subscriptions"),
    "hotel_and_lodging": ("Travel", "Hotels"),
    "transport": ("Travel", "Transport"),
    "restaurant_and_bar": ("Travel", "Meals"),
    "office_supply": ("Office", "Supplies"),
    "office_rental": ("Office", "Rent"),
    "utility": ("Office", "Utilities"),
    "marketing": ("Marketing", "Events"),
    "other_service": ("Suppliers", "Services"),
    "legal_and_accounting": ("Suppliers", "Services"),
    "fees": ("Bank", "Fees"),
    "subscription": ("Bank", "Subscription"),
    "tax": ("Taxes", "Social contributions"),
    "sales": ("Revenue", "Customers"),
    "refund": ("Revenue", "Refunds"),
    "other_income": ("Revenue", "Other"),
    "other_expense": ("Other", "Other"),
}


def qonto_timestamp(moment: datetime) -> str:
    """ "2024-08-01T10:35:09.027Z", the form every Qonto timestamp takes."""
    moment = moment.astimezone(UTC)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}Z"


def uuid7(moment: datetime, rng: random.Random) -> str:
    """A version-7 UUID (millisecond timestamp first), the kind Qonto uses for transactions."""
    millis = int(moment.timestamp() * 1000)
    value = (millis & (2**48 - 1)) << 80
    value |= 0x7 << 76
    value |= rng.getrandbits(12) << 64
    value |= 0b10 << 62
    value |= rng.getrandbits(62)
    text = f"{value:032x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def uuid4(rng: random.Random) -> str:
    value = rng.getrandbits(128)
    value &= ~(0xF << 76)
    value |= 0x4 << 76
    value &= ~(0x3 << 62)
    value |= 0x2 << 62
    text = f"{value:032x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def _money(value: Decimal) -> tuple[float, int]:
    cents = int(to_cents(value) * 100)
    return cents / 100, cents


def qonto_transaction(
    *,
    rng: random.Random,
    organization_slug: str,
    sequence: int,
    bank_account_id: str,
    side: str,
    operation_type: str,
    amount: Decimal,
    emitted_at: datetime,
    label: str,
    status: str = "completed",
    settled_at: datetime | None = None,
    local_amount: Decimal | None = None,
    local_currency: str | None = None,
    clean_counterparty_name: str | None = None,
    reference: str | None = None,
    note: str | None = None,
    counterparty_account_number: str | None = None,
    counterparty_bank_identifier: str | None = None,
    category: str = "other_expense",
    vat_amount: Decimal | None = None,
    vat_rate: float | None = None,
    card_last_digits: str | None = None,
    initiator_id: str | None = None,
    updated_at: datetime | None = None,
) -> dict[str, Any]:
    """One Qonto transaction object. `amount` is in the account currency (EUR); pass
    `local_amount`/`local_currency` for an operation made in another currency.

    `settled_balance` is left None: `apply_settled_balances` fills it once the whole account
    history is known.
    """
    if side not in {"credit", "debit"}:
        raise ValueError(f"side must be credit or debit, not {side!r}")
    if status == "completed" and settled_at is None:
        settled_at = emitted_at
    if status != "completed":
        settled_at = None
    subject_type = SUBJECT_TYPES.get(operation_type, "Other")
    amount_float, amount_cents = _money(amount)
    local_float, local_cents = _money(local_amount if local_amount is not None else amount)
    last_change = updated_at or settled_at or emitted_at
    nested: dict[str, dict[str, str] | None] = dict.fromkeys(
        ("transfer", "income", "swift_income", "direct_debit", "direct_debit_collection")
    )
    container = _COUNTERPARTY_OBJECT.get(subject_type)
    if container is not None:
        swift = subject_type == "SwiftIncome"
        account = counterparty_account_number or ""
        bank = counterparty_bank_identifier or ""
        nested[container] = {
            "counterparty_account_number": account,
            "counterparty_account_number_format": ("unstructured" if swift else "IBAN")
            if account
            else "",
            "counterparty_bank_identifier": bank,
            "counterparty_bank_identifier_format": ("sort_code" if swift else "SWIFT_BIC")
            if bank
            else "",
        }
    vat_float, vat_cents = _money(vat_amount) if vat_amount is not None else (None, None)
    cashflow = _CASHFLOW.get(category)
    transaction_uuid = uuid7(emitted_at, rng)
    return {
        "id": transaction_uuid,
        "transaction_id": f"{organization_slug}-1-transaction-{transaction_uuid[:6]}-{sequence}",
        "amount": amount_float,
        "amount_cents": amount_cents,
        "settled_balance": None,
        "settled_balance_cents": None,
        "attachment_ids": [],
        # Qonto links a logo on its CDN; the demo links none so nothing is ever fetched.
        "logo": {"small": None, "medium": None},
        "local_amount": local_float,
        "local_amount_cents": local_cents,
        "side": side,
        "operation_type": operation_type,
        "currency": "EUR",
        "local_currency": local_currency or "EUR",
        "label": label,
        "clean_counterparty_name": clean_counterparty_name or label,
        "settled_at": qonto_timestamp(settled_at) if settled_at else None,
        "emitted_at": qonto_timestamp(emitted_at),
        "created_at": qonto_timestamp(emitted_at),
        "updated_at": qonto_timestamp(last_change),
        "status": status,
        "note": note,
        "reference": reference,
        "vat_amount": vat_float,
        "vat_amount_cents": vat_cents,
        "vat_rate": vat_rate,
        "initiator_id": initiator_id,
        "label_ids": [],
        "attachment_lost": False,
        "attachment_required": side == "debit",
        "card_last_digits": card_last_digits,
        "category": category,
        "cashflow_category": {"name": cashflow[0]} if cashflow else None,
        "cashflow_subcategory": {"name": cashflow[1]} if cashflow else None,
        "subject_type": subject_type,
        "bank_account_id": bank_account_id,
        "is_external_transaction": False,
        **nested,
        "direct_debit_hold": None,
        "check": None,
        "financing_installment": None,
        "pagopa_payment": None,
    }


def apply_settled_balances(transactions: list[dict[str, Any]], *, opening_cents: int) -> int:
    """Fill `settled_balance` in settlement order per account; returns the closing balance of
    the last account seen (the demo has one account with movements)."""
    balance = opening_cents
    completed = [t for t in transactions if t["status"] == "completed"]
    for transaction in sorted(completed, key=lambda t: (t["settled_at"], t["id"])):
        signed = transaction["amount_cents"]
        balance += signed if transaction["side"] == "credit" else -signed
        transaction["settled_balance_cents"] = balance
        transaction["settled_balance"] = balance / 100
    return balance


def qonto_bank_account(
    *,
    account_id: str,
    organization_id: str,
    slug: str,
    name: str,
    iban: str,
    bic: str,
    balance_cents: int,
    authorized_balance_cents: int,
    updated_at: datetime,
    main: bool,
    status: str = "active",
) -> dict[str, Any]:
    return {
        "id": account_id,
        "slug": slug,
        "name": name,
        "iban": iban,
        "bic": bic,
        "currency": "EUR",
        "balance": balance_cents / 100,
        "balance_cents": balance_cents,
        "authorized_balance": authorized_balance_cents / 100,
        "authorized_balance_cents": authorized_balance_cents,
        "status": status,
        "main": main,
        "is_external_account": False,
        "account_number": "",
        "updated_at": qonto_timestamp(updated_at),
        "organization_id": organization_id,
    }
