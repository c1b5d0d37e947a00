"""Qonto Business API shapes, validated at the edge.

Lenient on purpose: Qonto's answers drift (undocumented fields, nullable extracted fields,
``matched_transactions`` as ids or objects, amounts as numbers or strings). Money becomes
``Decimal`` here and nowhere else; JSON numbers are parsed as ``Decimal`` by the HTTP seam, so no
amount ever passes through float.

Reference: https://docs.qonto.com/api-reference/business-api and Qonto's openapi_v2.yml.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import AwareDatetime
from pydantic import Field
from pydantic import ValidationError
from pydantic import field_validator
from pydantic import model_validator

from connectors.shapes import Lenient

_CENTS = Decimal(100)

logger = logging.getLogger("connectors.qonto")


class Money(Lenient):
    """``{"value": "12.50", "currency": "EUR"}``; the value is a decimal string on the wire. Either
    part may be missing while Qonto has not read the document: an unreadable value is None."""

    value: Decimal | None = None
    currency: str | None = None

    @field_validator("value", mode="before")
    @classmethod
    def _decimal(cls, value: Any) -> Any:
        return decimal_or_none(value)


def decimal_or_none(value: Any) -> Decimal | None:
    """A decimal from a JSON number or a decimal string; None for anything else (``""``,
    ``"10,00"``): an unreadable amount is unknown, not zero."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value).strip())
    except ArithmeticError:
        return None
    return number if number.is_finite() else None


class SupplierInvoice(Lenient):
    """https://docs.qonto.com/api-reference/business-api/expense-management/supplier-invoices/retrieve-a-supplier-invoice"""

    id: str
    organization_id: str | None = None
    status: str | None = None
    file_name: str | None = None
    attachment_id: str | None = None
    display_attachment_id: str | None = None
    invoice_number: str | None = None
    supplier_name: str | None = None
    description: str | None = None
    # The supplier's tax ids as Qonto read them (current reference only).
    vat_number: str | None = None
    tin: str | None = None
    total_amount: Money | None = None
    total_amount_excluding_taxes: Money | None = None
    total_tax_amount: Money | None = None
    issue_date: date | None = None
    due_date: date | None = None
    payment_date: date | None = None
    scheduled_date: date | None = None
    iban: str | None = None
    source: str | None = None
    source_type: str | None = None
    has_duplicates: bool | None = None
    has_discrepancies: bool | None = None
    is_einvoice: bool | None = None
    attachment_category: str | None = None
    created_at: AwareDatetime | None = None
    updated_at: AwareDatetime | None = None
    analyzed_at: AwareDatetime | None = None
    # Not documented: used to map a created invoice back to our key if Qonto ever echoes it.
    idempotency_key: str | None = None
    matched_transactions: list[Any] = Field(default_factory=list)
    matched_transactions_ids: list[str] = Field(default_factory=list)
    meta: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _nullable(cls, value: Any) -> Any:
        """Blank or unreadable dates and times are unknown; null lists are empty."""
        if isinstance(value, dict):
            value = dict(value)
            for name in ("issue_date", "due_date", "payment_date", "scheduled_date"):
                value[name] = _date_or_none(value.get(name))
            for name in ("created_at", "updated_at", "analyzed_at"):
                value[name] = _aware_or_none(value.get(name))
            for name in ("matched_transactions", "matched_transactions_ids"):
                if value.get(name) is None:
                    value[name] = []
            if not isinstance(value.get("meta"), dict):
                value["meta"] = {}
        return value

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


def _date_or_none(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value.strip()[:10])
    except ValueError:
        return None


def _aware_or_none(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


class PageMeta(Lenient):
    current_page: int | None = None
    next_page: int | None = None
    prev_page: int | None = None
    total_pages: int | None = None
    total_count: int | None = None
    per_page: int | None = None


class SupplierInvoiceEnvelope(Lenient):
    supplier_invoice: SupplierInvoice


@dataclass(frozen=True)
class UnreadableItem:
    """One item of a list that does not match the schema, kept as Qonto sent it: one bad item
    never refuses the rest of its page or batch."""

    raw: Any
    problem: str

    @property
    def file_name(self) -> str | None:
        name = self.raw.get("file_name") if isinstance(self.raw, dict) else None
        return name if isinstance(name, str) else None


def read_supplier_invoices(raw_items: list[Any]) -> list[SupplierInvoice | UnreadableItem]:
    """Validate each item on its own; the ones that fail become ``UnreadableItem``."""
    parsed: list[SupplierInvoice | UnreadableItem] = []
    for raw in raw_items:
        try:
            parsed.append(SupplierInvoice.model_validate(raw))
        except ValidationError as error:
            problem = "; ".join(
                f"{'.'.join(str(part) for part in item['loc']) or '(item)'}: {item['msg']}"
                for item in error.errors(include_input=False, include_url=False)[:3]
            )
            logger.warning("qonto: a supplier invoice in the answer is unreadable (%s)", problem)
            parsed.append(UnreadableItem(raw=raw, problem=problem))
    return parsed


class SupplierInvoicePage(Lenient):
    """Items stay raw here and are read one by one (``items``)."""

    supplier_invoices: list[Any]
    meta: PageMeta = Field(default_factory=PageMeta)

    @property
    def items(self) -> list[SupplierInvoice | UnreadableItem]:
        return read_supplier_invoices(self.supplier_invoices)


class BulkResponse(Lenient):
    """The 200 answer of the bulk upload: both arrays must always be inspected. Both are kept
    raw; invoices are read one by one (``invoices``) and ``connectors.qonto.bulk`` parses the
    error items defensively."""

    supplier_invoices: list[Any] = Field(default_factory=list)
    errors: list[Any] = Field(default_factory=list)

    @field_validator("supplier_invoices", "errors", mode="before")
    @classmethod
    def _null_is_empty(cls, value: Any) -> Any:
        return [] if value is None else value

    @property
    def invoices(self) -> list[SupplierInvoice | UnreadableItem]:
        return read_supplier_invoices(self.supplier_invoices)


def _money_from(data: dict[str, Any], name: str) -> None:
    """Prefer the exact ``<name>`` (Decimal from the JSON text); fall back to ``<name>_cents``."""
    if data.get(name) is None and isinstance(data.get(f"{name}_cents"), int):
        data[name] = Decimal(data[f"{name}_cents"]) / _CENTS


class Transaction(Lenient):
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


class TransactionPage(Lenient):
    transactions: list[Transaction]
    meta: PageMeta = Field(default_factory=PageMeta)


class TransactionAttachment(Lenient):
    """An attachment of ``GET /v2/transactions/{id}/attachments`` (only what Well reads)."""

    id: str
    file_name: str | None = None


class TransactionAttachmentPage(Lenient):
    attachments: list[TransactionAttachment]
    meta: PageMeta = Field(default_factory=PageMeta)


class BankAccount(Lenient):
    """A Qonto business account. The published spec requires none of its fields, and its own
    example of ``GET /v2/organization`` has accounts without ``id``; non-admin consenting users
    only see id, name, status, main. An account without ``id`` is identified by its IBAN, which
    ``GET /v2/transactions`` accepts in its place (``id_is_iban`` says so)."""

    id: str
    id_is_iban: bool = False
    slug: str | None = None
    name: str | None = None
    iban: str | None = None
    bic: str | None = None
    currency: str | None = None
    balance: Decimal | None = None
    status: str | None = None
    main: bool | None = None
    is_external_account: bool | None = None
    account_number: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _identify(cls, value: Any) -> Any:
        if isinstance(value, dict):
            value = dict(value)
            _money_from(value, "balance")
            value["balance"] = decimal_or_none(value.get("balance"))
            if value.get("account_number") is not None:
                value["account_number"] = str(value["account_number"])
            if not value.get("id") and value.get("iban"):
                value["id"], value["id_is_iban"] = value["iban"], True
        return value


def _identified_accounts(value: Any) -> Any:
    """Drop (with a log line) the accounts that have neither id nor IBAN: nothing can list their
    transactions. Everything else is kept for validation."""
    if not isinstance(value, list):
        return value
    kept = []
    for account in value:
        if isinstance(account, dict) and not account.get("id") and not account.get("iban"):
            logger.warning(
                "qonto: bank account %r has neither id nor IBAN; its transactions cannot be "
                "listed, it is skipped",
                account.get("name") or account.get("slug") or "?",
            )
            continue
        kept.append(account)
    return kept


class BankAccountPage(Lenient):
    bank_accounts: list[BankAccount]
    meta: PageMeta = Field(default_factory=PageMeta)

    @field_validator("bank_accounts", mode="before")
    @classmethod
    def _identified(cls, value: Any) -> Any:
        return _identified_accounts(value)


class Organization(Lenient):
    """The spec requires none of these fields; every documented example has ``id``. Without it
    the organization is known by its slug (then its registration number), never refused."""

    id: str
    name: str | None = None
    slug: str | None = None
    legal_name: str | None = None
    legal_country: str | None = None
    legal_number: str | None = None  # the company registration number (SIRET in France)
    bank_accounts: list[BankAccount] = Field(default_factory=list)

    @field_validator("bank_accounts", mode="before")
    @classmethod
    def _identified(cls, value: Any) -> Any:
        return [] if value is None else _identified_accounts(value)

    @model_validator(mode="before")
    @classmethod
    def _known(cls, value: Any) -> Any:
        if isinstance(value, dict) and not value.get("id"):
            value = {**value, "id": value.get("slug") or value.get("legal_number") or ""}
        return value


class OrganizationEnvelope(Lenient):
    organization: Organization
