"""Qonto API objects (transactions, bank accounts, organisation) shaped exactly as
../shared/reference/qonto.md §4b and §6 describe them, for the emulator and the benchmarks.

Amounts are floats here only because that is Qonto's wire format; they are derived from
Decimal cents so the float and `_cents` fields always agree.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from connectors.sandbox.clock import iso_millis
from connectors.sandbox.documents.model import to_cents

#: The objects closing a transaction, one per kind of operation (null unless it is that kind).
NESTED_OBJECT_KEYS: tuple[str, ...] = (
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
    *NESTED_OBJECT_KEYS,
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


def counterparty_object(account: str, bank: str, *, swift: bool = False) -> dict[str, str]:
    """The counterparty in a transfer, income or direct debit object; a format is empty when
    its number is (an international income carries an unstructured number and a sort code)."""
    return {
        "counterparty_account_number": account,
        "counterparty_account_number_format": ("unstructured" if swift else "IBAN")
        if account
        else "",
        "counterparty_bank_identifier": bank,
        "counterparty_bank_identifier_format": ("sort_code" if swift else "SWIFT_BIC")
        if bank
        else "",
    }


@dataclass(frozen=True)
class TransactionFacts:
    """What a Qonto transaction says; :meth:`wire` writes it as the API returns it. The demo
    data and the emulator's seeding differ only in how they fill it."""

    transaction_uuid: str
    transaction_id: str
    bank_account_id: str
    side: str
    operation_type: str
    subject_type: str
    status: str
    amount: Decimal
    currency: str
    local_amount: Decimal
    local_currency: str
    label: str
    category: str
    emitted_at: datetime
    settled_at: datetime | None
    created_at: datetime
    updated_at: datetime | None = None  # when created, unless said
    clean_counterparty_name: str | None = None  # the label, unless said
    reference: str | None = None
    note: str | None = None
    vat_amount: Decimal | None = None
    vat_rate: float | None = None
    initiator_id: str | None = None
    card_last_digits: str | None = None
    # (Software, Subscriptions)-like names; the emulator's seeded transactions carry none.
    cashflow: tuple[str, str] | None = None
    # (account number, bank identifier) for the nested object of the subject type, if any.
    counterparty: tuple[str, str] | None = None

    def __post_init__(self) -> None:
        if self.side not in {"credit", "debit"}:
            raise ValueError(f"side must be credit or debit, not {self.side!r}")

    def wire(self) -> dict[str, Any]:
        """The transaction as GET /v2/transactions returns it without ``includes[]``."""
        amount_float, amount_cents = _money(self.amount)
        local_float, local_cents = _money(self.local_amount)
        vat = _money(self.vat_amount) if self.vat_amount is not None else (None, None)
        nested: dict[str, dict[str, str] | None] = dict.fromkeys(NESTED_OBJECT_KEYS)
        container = _COUNTERPARTY_OBJECT.get(self.subject_type)
        if container is not None and self.counterparty is not None:
            swift = self.subject_type == "SwiftIncome"
            nested[container] = counterparty_object(*self.counterparty, swift=swift)
        return {
            "id": self.transaction_uuid,
            "transaction_id": self.transaction_id,
            "amount": amount_float,
            "amount_cents": amount_cents,
            "settled_balance": None,
            "settled_balance_cents": None,
            "attachment_ids": [],
            # Qonto links a logo on its CDN; the sandbox links none so nothing is ever fetched.
            "logo": {"small": None, "medium": None},
            "local_amount": local_float,
            "local_amount_cents": local_cents,
            "side": self.side,
            "operation_type": self.operation_type,
            "currency": self.currency,
            "local_currency": self.local_currency,
            "label": self.label,
            "clean_counterparty_name": self.clean_counterparty_name or self.label,
            "settled_at": iso_millis(self.settled_at) if self.settled_at else None,
            "emitted_at": iso_millis(self.emitted_at),
            "created_at": iso_millis(self.created_at),
            "updated_at": iso_millis(self.updated_at or self.created_at),
            "status": self.status,
            "note": self.note,
            "reference": self.reference,
            "vat_amount": vat[0],
            "vat_amount_cents": vat[1],
            "vat_rate": self.vat_rate,
            "initiator_id": self.initiator_id,
            "label_ids": [],
            "attachment_lost": False,
            "attachment_required": self.side == "debit",
            "card_last_digits": self.card_last_digits,
            "category": self.category,
            "cashflow_category": {"name": self.cashflow[0]} if self.cashflow else None,
            "cashflow_subcategory": {"name": self.cashflow[1]} if self.cashflow else None,
            "subject_type": self.subject_type,
            "bank_account_id": self.bank_account_id,
            "is_external_transaction": False,
            **nested,
        }


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
    """One demo transaction in EUR (`local_amount`/`local_currency` for an operation made in
    another currency). `settled_balance` is left None: `apply_settled_balances` fills it."""
    settled = (settled_at or emitted_at) if status == "completed" else None
    transaction_uuid = uuid7(emitted_at, rng)
    return TransactionFacts(
        transaction_uuid=transaction_uuid,
        transaction_id=f"{organization_slug}-1-transaction-{transaction_uuid[:6]}-{sequence}",
        bank_account_id=bank_account_id,
        side=side,
        operation_type=operation_type,
        subject_type=SUBJECT_TYPES.get(operation_type, "Other"),
        status=status,
        amount=amount,
        currency="EUR",
        local_amount=local_amount if local_amount is not None else amount,
        local_currency=local_currency or "EUR",
        label=label,
        clean_counterparty_name=clean_counterparty_name,
        category=category,
        emitted_at=emitted_at,
        settled_at=settled,
        created_at=emitted_at,
        updated_at=updated_at or settled or emitted_at,
        reference=reference,
        note=note,
        vat_amount=vat_amount,
        vat_rate=vat_rate,
        initiator_id=initiator_id,
        card_last_digits=card_last_digits,
        cashflow=_CASHFLOW.get(category),
        counterparty=(counterparty_account_number or "", counterparty_bank_identifier or ""),
    ).wire()


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
    currency: str = "EUR",
    account_number: str = "",
) -> dict[str, Any]:
    """A bank account as GET /v2/organization lists it (balances in the account currency)."""
    return {
        "id": account_id,
        "slug": slug,
        "name": name,
        "iban": iban,
        "bic": bic,
        "currency": currency,
        "balance": balance_cents / 100,
        "balance_cents": balance_cents,
        "authorized_balance": authorized_balance_cents / 100,
        "authorized_balance_cents": authorized_balance_cents,
        "status": status,
        "main": main,
        "is_external_account": False,
        "account_number": account_number,
        "updated_at": iso_millis(updated_at),
        "organization_id": organization_id,
    }
