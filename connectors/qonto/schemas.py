"""Qonto Business API shapes, validated at the edge.

Lenient on purpose: Qonto's answers drift (undocumented fields, nullable extracted fields,
``matched_transactions`` as ids or objects, amounts as numbers or strings). Money becomes
``Decimal`` here and nowhere else; JSON numbers are parsed as ``Decimal`` by the HTTP seam, so no
amount ever passes through float.

Reference: https://docs.qonto.com/api-reference/business-api and Qonto's openapi_v2.yml.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

_CENTS = Decimal(100)


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Money(_Lenient):
    """``{"value": "12.50", "currency": "EUR"}``; the value is a decimal string on the wire."""

    value: Decimal
    currency: str


class SupplierInvoice(_Lenient):
    """https://docs.qonto.com/api-reference/business-api/expense-management/supplier-invoices/retrieve-a-supplier-invoice"""

    id: str
    status: str | None = None
    file_name: str | None = None
    attachment_id: str | None = None
    invoice_number: str | None = None
    supplier_name: str | None = None
    total_amount: Money | None = None
    total_amount_excluding_taxes: Money | None = None
    total_tax_amount: Money | None = None
    issue_date: str | None = None
    due_date: str | None = None
    iban: str | None = None
    source: str | None = None
    source_type: str | None = None
    has_duplicates: bool | None = None
    created_at: AwareDatetime | None = None
    updated_at: AwareDatetime | None = None
    analyzed_at: AwareDatetime | None = None
    # Not documented: used to map a created invoice back to our key if Qonto ever echoes it.
    idempotency_key: str | None = None
    matched_transactions: list[Any] = Field(default_factory=list)
    matched_transactions_ids: list[str] = Field(default_factory=list)

    @property
    def matched_transaction_ids(self) -> tuple[str, ...]:
        """Both documented shapes: a list of ids, or objects with ``transaction_id``."""
        ids: list[str] = list(self.matched_transactions_ids)
        for item in self.matched_transactions:
            if isinstance(item, str):
                ids.append(item)
            elif isinstance(item, dict) and isinstance(item.get("transaction_id"), str):
                ids.append(item["transaction_id"])
        return tuple(dict.fromkeys(ids))


class PageMeta(_Lenient):
    current_page: int | None = None
    next_page: int | None = None
    prev_page: int | None = None
    total_pages: int | None = None
    total_count: int | None = None
    per_page: int | None = None


class SupplierInvoiceEnvelope(_Lenient):
    supplier_invoice: SupplierInvoice


class SupplierInvoicePage(_Lenient):
    supplier_invoices: list[SupplierInvoice]
    meta: PageMeta = Field(default_factory=PageMeta)


class BulkResponse(_Lenient):
    """The 200 answer of the bulk upload: both arrays must always be inspected. Error items are
    kept raw; ``connectors.qonto.bulk`` parses them defensively."""

    supplier_invoices: list[SupplierInvoice] = Field(default_factory=list)
    errors: list[dict[str, Any]] = Field(default_factory=list)


def _money_from(data: dict[str, Any], name: str) -> None:
    """Prefer the exact ``<name>`` (Decimal from the JSON text); fall back to ``<name>_cents``."""
    if data.get(name) is None and isinstance(data.get(f"{name}_cents"), int):
        data[name] = Decimal(data[f"{name}_cents"]) / _CENTS


class Transaction(_Lenient):
    """https://docs.qonto.com/api-reference/business-api/transactions-statements/transactions/list-transactions

    Amounts are unsigned; ``side`` gives the direction. ``local_amount``/``local_currency`` are
    the operation's original currency (match foreign invoices on those)."""

    id: str
    transaction_id: str | None = None
    bank_account_id: str | None = None
    amount: Decimal
    currency: str
    local_amount: Decimal | None = None
    local_currency: str | None = None
    side: str
    operation_type: str | None = None
    status: str | None = None
    subject_type: str | None = None
    label: str | None = None
    clean_counterparty_name: str | None = None
    reference: str | None = None
    note: str | None = None
    emitted_at: AwareDatetime | None = None
    settled_at: AwareDatetime | None = None
    created_at: AwareDatetime | None = None
    updated_at: AwareDatetime | None = None
    attachment_ids: list[str] = Field(default_factory=list)
    transfer: dict[str, Any] | None = None
    income: dict[str, Any] | None = None
    direct_debit: dict[str, Any] | None = None
    swift_income: dict[str, Any] | None = None

    @model_validator(mode="before")
    @classmethod
    def _amounts(cls, value: Any) -> Any:
        if isinstance(value, dict):
            value = dict(value)
            _money_from(value, "amount")
            _money_from(value, "local_amount")
            if value.get("attachment_ids") is None:
                value["attachment_ids"] = []
        return value

    @property
    def counterparty_iban(self) -> str | None:
        for detail in (self.transfer, self.income, self.direct_debit, self.swift_income):
            if detail and detail.get("counterparty_account_number"):
                return str(detail["counterparty_account_number"])
        return None


class TransactionPage(_Lenient):
    transactions: list[Transaction]
    meta: PageMeta = Field(default_factory=PageMeta)


class BankAccount(_Lenient):
    """Non-admin consenting users only see id, name, status, main: the rest is optional."""

    id: str
    slug: str | None = None
    name: str | None = None
    iban: str | None = None
    bic: str | None = None
    currency: str | None = None
    balance: Decimal | None = None
    status: str | None = None
    main: bool | None = None
    is_external_account: bool | None = None

    @model_validator(mode="before")
    @classmethod
    def _balance(cls, value: Any) -> Any:
        if isinstance(value, dict):
            value = dict(value)
            _money_from(value, "balance")
        return value


class BankAccountPage(_Lenient):
    bank_accounts: list[BankAccount]
    meta: PageMeta = Field(default_factory=PageMeta)


class Organization(_Lenient):
    id: str
    name: str | None = None
    slug: str | None = None
    legal_name: str | None = None
    legal_country: str | None = None
    legal_number: str | None = None  # the company registration number (SIRET in France)
    bank_accounts: list[BankAccount] = Field(default_factory=list)


class OrganizationEnvelope(_Lenient):
    organization: Organization
