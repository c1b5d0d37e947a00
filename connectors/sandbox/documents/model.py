"""Plain data describing a synthetic document before and after rendering.

A spec says what the page must show; a `RenderedDocument` carries the PDF bytes together with
the ground truth, so parsers, matchers and benchmarks can be scored against what is really
printed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from decimal import ROUND_HALF_UP
from decimal import Decimal
from typing import Literal
from typing import NamedTuple
from typing import get_args


class InvoiceTruth(NamedTuple):
    """What an invoice's page says, under the extraction's field names: ISO dates, decimal
    strings, None where the page has no such value."""

    supplier_name: str
    supplier_vat_id: str | None
    supplier_iban: str | None
    supplier_domain: str | None
    invoice_number: str
    issue_date: str
    due_date: str | None
    total_amount: str
    tax_amount: str
    currency: str


class TransferTruth(NamedTuple):
    """What a payment confirmation or a remittance notice says, likewise."""

    amount: str
    currency: str
    execution_date: str
    beneficiary_name: str
    beneficiary_iban: str | None
    reference: str


# The same names as reconciliation/extraction/types.py, declared again on purpose: connectors
# never import the domain. tests/test_demo_data.py asserts both stay equal.
INVOICE_FIELDS: tuple[str, ...] = InvoiceTruth._fields
PAYMENT_FIELDS: tuple[str, ...] = TransferTruth._fields

DocumentKind = Literal["invoice", "credit_note", "payment_confirmation", "wire_notice", "other"]
# The demo's layouts, and the ones it never uses: the generalisation benchmark's "unseen
# layouts" (the buyer's block at the top left, the seller's at the right or only at the bottom,
# several dates).
SeenLayout = Literal["classic", "centered", "seller_right", "din_letter", "saas"]
UnseenLayout = Literal[
    "buyer_first",
    "seller_footer",
    "party_columns",
    "bank_heading",
    "sidebar",
    "buyer_right",
]
Layout = Literal[SeenLayout, UnseenLayout]
MoneyStyle = Literal["symbol", "code"]
DateStyle = Literal["numeric", "long", "us_long", "iso"]

LAYOUTS: tuple[Layout, ...] = get_args(SeenLayout)
UNSEEN_LAYOUTS: tuple[Layout, ...] = get_args(UnseenLayout)
CENT = Decimal("0.01")


def to_cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Party:
    """A company as printed on paperwork. `domain` is the bare host name (no www)."""

    name: str
    street: str
    postcode: str
    city: str
    country: str  # ISO 3166-1 alpha-2
    vat_id: str | None = None  # compact, e.g. "DE123456788"
    iban: str | None = None  # compact
    bic: str | None = None
    domain: str | None = None
    email: str | None = None
    phone: str | None = None
    registration: str | None = None  # "RCS Lyon 812 345 672", "HRB 12345 Amtsgericht Köln"
    account_number: str | None = None  # non-IBAN banking (US ACH) printed instead of an IBAN
    routing_number: str | None = None

    def labelled(self, words: Mapping[str, str], fields: Iterable[str]) -> list[tuple[str, str]]:
        """``(label, value)`` for each of ``fields`` (``words`` holds their labels) this party
        has, in that order."""
        values = ((name, getattr(self, name)) for name in fields)
        return [(words[name], value) for name, value in values if value]


@dataclass(frozen=True)
class LineItem:
    description: str
    quantity: Decimal
    unit_price: Decimal  # net, in the invoice currency; negative on credit notes
    tax_rate: Decimal  # percent, e.g. Decimal("20")

    @property
    def net(self) -> Decimal:
        return to_cents(self.quantity * self.unit_price)


@dataclass(frozen=True)
class TaxLine:
    rate: Decimal
    base: Decimal
    tax: Decimal


@dataclass(frozen=True)
class InvoiceTotals:
    net: Decimal
    taxes: tuple[TaxLine, ...]
    tax: Decimal
    total: Decimal


@dataclass(frozen=True)
class InvoiceSpec:
    supplier: Party
    buyer: Party
    invoice_number: str
    issue_date: date
    due_date: date | None
    currency: str
    lines: tuple[LineItem, ...]
    language: str = "en"
    layout: Layout = "classic"
    money_style: MoneyStyle = "symbol"
    date_style: DateStyle = "numeric"
    is_credit_note: bool = False
    credited_invoice_number: str | None = None
    is_reminder: bool = False  # a second request for the same invoice number
    payment_reference: str | None = None  # RF creditor reference or Belgian +++…+++ to quote
    tax_note: str | None = None  # e.g. reverse-charge wording when all rates are 0
    embed_facturx: bool = False
    forwarded_header: str | None = None  # "---------- Forwarded message ----------" line
    filename: str | None = None
    offset_mm: tuple[float, float] = (0.0, 0.0)  # layout jitter, applied to every block
    customer_number: str | None = None
    # Other dates some suppliers print next to the invoice date (unseen layouts only).
    delivery_date: date | None = None
    service_period: tuple[date, date] | None = None
    order_date: date | None = None
    generic_date_label: bool = False  # "Date:" / "Datum:" instead of "Invoice date:"
    tax_representative: Party | None = None
    # False: the unseen layouts print that party's block without a heading.
    buyer_heading: bool = True
    seller_heading: bool = True
    heading_variant: int = 0  # which synonym each role heading uses (0-3)
    ship_to: bool = False  # a delivery-address block repeats the buyer's name
    bank_first: bool = False  # payment method and bank block at the top left, in large type

    def totals(self) -> InvoiceTotals:
        by_rate: dict[Decimal, Decimal] = {}
        for line in self.lines:
            by_rate[line.tax_rate] = by_rate.get(line.tax_rate, Decimal("0")) + line.net
        taxes = tuple(
            TaxLine(rate=rate, base=base, tax=to_cents(base * rate / 100))
            for rate, base in sorted(by_rate.items())
        )
        net = sum((t.base for t in taxes), Decimal("0.00"))
        tax = sum((t.tax for t in taxes), Decimal("0.00"))
        return InvoiceTotals(net=net, taxes=taxes, tax=tax, total=net + tax)


@dataclass(frozen=True)
class PaymentConfirmationSpec:
    """Proof of an outgoing transfer as exported from the bank app.

    `amount`/`currency` is what the beneficiary is paid (the instructed amount). For a foreign
    currency, `debited_amount` is what left the EUR account and `exchange_rate` is foreign units
    per 1 EUR.
    """

    payer: Party
    beneficiary: Party
    amount: Decimal
    currency: str
    execution_date: date
    reference: str
    transfer_id: str
    language: str = "en"
    layout: Literal["table", "letter"] = "table"
    money_style: MoneyStyle = "symbol"
    date_style: DateStyle = "numeric"
    debited_amount: Decimal | None = None
    debited_currency: str = "EUR"
    exchange_rate: Decimal | None = None
    fee: Decimal | None = None
    bank_name: str = "Qonto"
    filename: str | None = None


@dataclass(frozen=True)
class RemittanceNoticeSpec:
    """A customer's advice that it wired money to us (the beneficiary)."""

    payer: Party
    beneficiary: Party
    amount: Decimal
    currency: str
    execution_date: date
    reference: str  # as the customer typed it, often abbreviated ("inv 42")
    language: str = "en"
    money_style: MoneyStyle = "symbol"
    date_style: DateStyle = "numeric"
    invoices_paid: tuple[str, ...] = ()  # what the customer lists in the body, may be empty
    filename: str | None = None


@dataclass(frozen=True)
class OtherSpec:
    kind: Literal["newsletter", "contract"]
    sender: Party
    recipient: Party
    issue_date: date
    language: str = "en"
    filename: str | None = None


@dataclass(frozen=True)
class RenderedDocument:
    """PDF bytes plus what is on the page.

    `truth` uses the extraction field names with ISO dates and decimal strings (None when the
    page has no such value); `printed` holds the exact string printed for each known field, in
    the document's local format; `extra` keeps facts outside the field lists (net amount,
    exchange rate, the receivable an abbreviated reference stands for, ...).
    """

    filename: str
    content: bytes
    kind: DocumentKind
    truth: dict[str, str | None]
    language: str
    layout: str
    printed: dict[str, str] = field(default_factory=dict)
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()
