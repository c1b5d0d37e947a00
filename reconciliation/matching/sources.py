"""Reading the two sides of a match out of the database: paperwork as `PaymentOrder`s, bank
transactions as `BankLine`s (through indexed queries only), and the vendor directory that
links both to a known supplier."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import timedelta
from decimal import Decimal
from decimal import InvalidOperation
from typing import Any

from django.db.models import QuerySet

from reconciliation.fx import RateBook
from reconciliation.matching.scoring import BankLine
from reconciliation.matching.scoring import MatchPolicy
from reconciliation.matching.scoring import PaymentOrder
from reconciliation.models import Document
from reconciliation.models import Match
from reconciliation.models import Side
from reconciliation.models import Transaction
from reconciliation.models import TransactionStatus
from reconciliation.models import Vendor
from reconciliation.money import is_known_currency
from reconciliation.text.identifiers import compact_iban
from reconciliation.text.names import normalize_counterparty
from reconciliation.text.references import is_label

logger = logging.getLogger("reconciliation.matching")

#: Transactions that may be matched: money that moved or is about to.
MATCHABLE_STATUSES = (TransactionStatus.PENDING, TransactionStatus.COMPLETED)
#: The transaction columns a `BankLine` is built from.
LINE_FIELDS = (
    "id",
    "amount",
    "currency",
    "local_amount",
    "local_currency",
    "normalized_counterparty",
    "counterparty_iban",
    "reference",
    "value_date",
)


@dataclass
class VendorDirectory:
    """Known suppliers by IBAN and by normalised name or alias, for the "same vendor" rule."""

    by_iban: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))
    by_name: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))

    @classmethod
    def load(cls, workspace_id: int) -> VendorDirectory:
        directory = cls()
        rows = (
            Vendor.objects.for_workspace(workspace_id)
            .usable()
            .values_list("id", "name", "legal_name", "ibans", "aliases")
        )
        for vendor_id, name, legal_name, ibans, aliases in rows:
            directory.add(
                vendor_id,
                names=[
                    normalize_counterparty(name),
                    normalize_counterparty(legal_name),
                ]
                + [normalize_counterparty(str(alias)) for alias in aliases or []],
                ibans=[compact_iban(str(iban)) for iban in ibans or []],
            )
        return directory

    def add(self, vendor_id: int, *, names: Iterable[str], ibans: Iterable[str]) -> None:
        for name in names:
            if name:
                self.by_name[name].add(vendor_id)
        for iban in ibans:
            if iban:
                self.by_iban[iban].add(vendor_id)

    def vendors_of(self, *, name: str, iban: str) -> frozenset[int]:
        found: set[int] = set()
        if iban:
            found |= self.by_iban.get(iban, set())
        if name:
            found |= self.by_name.get(name, set())
        return frozenset(found)


@dataclass(frozen=True)
class Context:
    """What every step of the window reads."""

    workspace_id: int
    home_currency: str
    policy: MatchPolicy
    vendors: VendorDirectory
    rates: RateBook


def extracted_value(extraction: dict[str, Any] | None, name: str) -> str:
    """A field of `Document.extraction`: ``{"fields": {name: {"value": ...}}}`` as
    `Extraction.to_json` writes it (a flat ``{name: value}`` is accepted too)."""
    if not extraction:
        return ""
    fields = extraction.get("fields", extraction)
    if not isinstance(fields, dict):
        return ""
    entry = fields.get(name)
    if isinstance(entry, dict):
        entry = entry.get("value")
    return "" if entry is None else str(entry).strip()


def payment_order_from(
    document_id: int,
    extraction: dict[str, Any] | None,
    *,
    vendors: VendorDirectory,
    default_currency: str,
) -> PaymentOrder | str:
    """The order a payment confirmation describes, or why it cannot be matched."""
    raw_amount = extracted_value(extraction, "amount")
    raw_date = extracted_value(extraction, "execution_date")
    if not raw_amount or not raw_date:
        return "amount or execution date was not read"
    try:
        amount = Decimal(raw_amount)
        execution_date = date.fromisoformat(raw_date[:10])
    except (InvalidOperation, ValueError):
        return f"unreadable amount {raw_amount!r} or date {raw_date!r}"
    if amount <= 0:
        return f"amount {amount} is not positive"
    currency = extracted_value(extraction, "currency").upper()
    if not is_known_currency(currency):
        currency = default_currency
    name = normalize_counterparty(extracted_value(extraction, "beneficiary_name"))
    iban = compact_iban(extracted_value(extraction, "beneficiary_iban"))
    return PaymentOrder(
        document_id=document_id,
        amount=amount,
        currency=currency,
        execution_date=execution_date,
        beneficiary_name=name,
        beneficiary_iban=iban,
        reference=_reference(extracted_value(extraction, "reference")),
        vendor_ids=vendors.vendors_of(name=name, iban=iban),
    )


def _reference(text: str) -> str:
    # A label read where the reference goes ("/ référence") is no reference at all.
    return "" if is_label(text) else text


def bank_line(row: Sequence[Any], vendors: VendorDirectory) -> BankLine:
    (pk, amount, currency, local_amount, local_currency, party, iban, reference, value_date) = row
    return BankLine(
        transaction_id=pk,
        amount=amount,
        currency=currency,
        local_amount=local_amount,
        local_currency=local_currency or currency,
        counterparty=party,
        counterparty_iban=iban,
        reference=reference,
        value_date=value_date,
        vendor_ids=vendors.vendors_of(name=party, iban=iban),
    )


def _debits(workspace_id: int, side: Side) -> Any:
    # Unordered: the model's default order (newest first) would make the database walk the
    # value-date index instead of seeking the amount index (80 times slower on 1M rows).
    return (
        Transaction.objects.for_workspace(workspace_id)
        .filter(side=side, status__in=MATCHABLE_STATUSES, value_date__isnull=False)
        .order_by()
    )


def lines_with_amounts(
    *,
    workspace_id: int,
    side: Side,
    amounts: Iterable[Decimal],
    start: date,
    end: date,
    vendors: VendorDirectory,
) -> Iterator[BankLine]:
    """Transactions of ``side`` whose account-currency amount is one of ``amounts``, dated
    ``start``..``end`` — one seek per amount on the (workspace, side, amount, value_date)
    index."""
    wanted = sorted(set(amounts))
    for offset in range(0, len(wanted), 500):
        rows = (
            _debits(workspace_id, side)
            .filter(amount__in=wanted[offset : offset + 500], value_date__range=(start, end))
            .values_list(*LINE_FIELDS)
        )
        for row in rows:
            yield bank_line(row, vendors)


def lines_with_local_amounts(
    *,
    workspace_id: int,
    side: Side,
    amounts: Iterable[Decimal],
    currencies: Iterable[str],
    start: date,
    end: date,
    vendors: VendorDirectory,
) -> Iterator[BankLine]:
    """The same on the (workspace, side, local_amount, value_date) index: foreign-currency
    operations whose original amount is one of ``amounts``."""
    wanted = sorted(set(amounts))
    currency_list = sorted(set(currencies))
    for offset in range(0, len(wanted), 500):
        rows = (
            _debits(workspace_id, side)
            .filter(
                local_amount__in=wanted[offset : offset + 500],
                local_currency__in=currency_list,
                value_date__range=(start, end),
            )
            .values_list(*LINE_FIELDS)
        )
        for row in rows:
            yield bank_line(row, vendors)


def lines_in_amount_range(
    *,
    workspace_id: int,
    side: Side,
    currency: str,
    low: Decimal,
    high: Decimal,
    start: date,
    end: date,
    vendors: VendorDirectory,
) -> Iterator[BankLine]:
    """Transactions whose amount lies in ``low``..``high`` (a converted amount ± tolerance)."""
    rows = (
        _debits(workspace_id, side)
        .filter(
            amount__gte=low,
            amount__lte=high,
            value_date__range=(start, end),
            currency=currency,
        )
        .values_list(*LINE_FIELDS)
    )
    for row in rows:
        yield bank_line(row, vendors)


@dataclass
class DebitsByAmount:
    """A chunk's candidate debits, fetched once by amount (account and local) for the chunk's
    whole date span, then handed out per piece of paperwork and its own window."""

    by_amount: dict[Decimal, list[BankLine]] = field(default_factory=lambda: defaultdict(list))
    by_local: dict[tuple[str, Decimal], list[BankLine]] = field(
        default_factory=lambda: defaultdict(list)
    )

    @classmethod
    def load(
        cls,
        *,
        workspace_id: int,
        amounts: Iterable[Decimal],
        foreign: Iterable[tuple[str, Decimal]],
        start: date,
        end: date,
        vendors: VendorDirectory,
    ) -> DebitsByAmount:
        """Debits whose account amount is one of ``amounts``, and whose local amount is one
        of the ``foreign`` (currency, amount) pairs."""
        book = cls()
        for line in lines_with_amounts(
            workspace_id=workspace_id,
            side=Side.DEBIT,
            amounts=amounts,
            start=start,
            end=end,
            vendors=vendors,
        ):
            book.by_amount[line.amount].append(line)
        pairs = set(foreign)
        if not pairs:
            return book
        for line in lines_with_local_amounts(
            workspace_id=workspace_id,
            side=Side.DEBIT,
            amounts=[amount for _, amount in pairs],
            currencies=[currency for currency, _ in pairs],
            start=start,
            end=end,
            vendors=vendors,
        ):
            if line.local_amount is not None and line.local_currency != line.currency:
                book.by_local[(line.local_currency, line.local_amount)].append(line)
        return book

    def fitting(
        self, amount: Decimal, currency: str, first: date, last: date
    ) -> dict[int, BankLine]:
        """Debits of ``amount`` in the account or in ``currency`` (local), dated first..last."""
        return {
            line.transaction_id: line
            for line in [
                *self.by_amount.get(amount, ()),
                *self.by_local.get((currency, amount), ()),
            ]
            if first <= line.value_date <= last
        }


def proposal_state(match: Match) -> tuple[Any, ...]:
    """What a window may change on a match row: an unchanged proposal is not rewritten."""
    return (
        match.status,
        match.invoice_id,
        match.score,
        match.rank,
        match.reasons,
        match.amount_basis,
        match.matched_amount,
        match.matched_currency,
        match.fx_rate,
    )


def payment_documents_without(workspace_id: int, matches: QuerySet[Match]) -> QuerySet[Document]:
    """The workspace's parsed payment documents (confirmations, wire notices) that none of
    ``matches`` names, oldest first."""
    return (
        Document.objects.for_workspace(workspace_id)
        .payments()
        .exclude(pk__in=matches.values("document_id"))
        .order_by("pk")
    )


def window_around(day: date, *, before: int, after: int) -> tuple[date, date]:
    return day - timedelta(days=before), day + timedelta(days=after)
