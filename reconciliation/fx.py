"""Converting amounts between currencies: the one rule posting and matching share.

Two kinds of rates, tried in this order, never over the internet:

1. Reference rates: ``ExchangeRate`` rows (entered by hand or loaded from a published table).
2. Rates the workspace's own Qonto transactions show: a foreign-currency payment carries the
   account ``amount``/``currency`` and the operation's ``local_amount``/``local_currency``
   (reference §10), so ``amount / local_amount`` is the rate the bank applied that day. These are
   read per workspace from its completed ``Transaction`` rows and never copied into the shared
   ``ExchangeRate`` table: one company's payments are nobody else's business.

Before either, a paid invoice: when a debit confirmed as its payment carries Qonto's
``local_amount`` in the invoice's currency, what left the account is the conversion (its
implied rate, dated the debit's day, source `PAID_BY_DEBIT_SOURCE`): `convert_invoice` is the
one place that says so, for the invoice page, the exports and posting alike.

Of each kind, the rate nearest the date wins: the latest one on or before it within
``MAX_RATE_AGE_DAYS``, else the earliest one after it within the same distance (a rate known only
from a payment made a few days later still beats no rate). When no rate is known the caller says
so: a rate is never guessed.

This was the posting rule; the matcher used to look only backwards and only at ``ExchangeRate``
rows, so it found no rate for a workspace whose only rates are its own Qonto payments, and could
convert an invoice differently from its posting. It now reads the same book.

`RateBook` holds every rate of a period in memory (the matcher converts thousands of amounts per
window); `find_rate` and `convert_invoice` answer one question through the same book, so posting
and matching can never convert the same amount differently.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import timedelta
from decimal import Decimal
from decimal import InvalidOperation
from itertools import permutations
from typing import Any

from django.db.models import F
from django.db.models import QuerySet
from django.utils import timezone

from reconciliation.models import ExchangeRate
from reconciliation.models import Invoice
from reconciliation.models import Match
from reconciliation.models import MatchKind
from reconciliation.models import MatchStatus
from reconciliation.models import Side
from reconciliation.models import Transaction
from reconciliation.models import TransactionStatus
from reconciliation.money import RATE_DECIMAL_PLACES
from reconciliation.money import convert

#: A rate further than this from the date is not used.
MAX_RATE_AGE_DAYS = 7
SAME_CURRENCY_SOURCE = "same currency"
NO_RATE_PREFIX = "No rate known"
#: The source of a paid invoice's conversion: what actually left the account.
PAID_BY_DEBIT_SOURCE = "the matched Qonto debit"
#: A debit that settles an invoice, once a person (or a confident match) confirmed it. Only a
#: confirmed match converts: the matcher converts unpaid invoices to find their debit, so a
#: proposal feeding the conversion would be circular.
_SETTLING_KINDS = (MatchKind.INVOICE_DEBIT, MatchKind.CONFIRMATION_DEBIT)
_SETTLED_STATUSES = (MatchStatus.CONFIRMED, MatchStatus.ATTACHED)
#: The invoice columns `convert_invoice` fills (for ``save(update_fields=...)``).
FX_FIELDS = ("converted_amount", "home_currency", "fx_rate", "fx_rate_date", "fx_rate_source")

_RATE_QUANTUM = Decimal(1).scaleb(-RATE_DECIMAL_PLACES)
_ONE = Decimal(1)
_MAX_AGE = timedelta(days=MAX_RATE_AGE_DAYS)
_INVERTED = " (inverted)"

Pair = tuple[str, str]


@dataclass(frozen=True)
class Rate:
    """1 ``base_currency`` = ``rate`` ``quote_currency`` on ``rate_date``, per ``source``."""

    base_currency: str
    quote_currency: str
    rate: Decimal
    rate_date: date
    source: str


@dataclass(frozen=True)
class Conversion:
    amount: Decimal | None
    currency: str
    home_currency: str
    converted_amount: Decimal | None
    rate: Rate | None
    #: Why there is no converted amount ("" when there is one).
    reason: str

    @property
    def is_converted(self) -> bool:
        return self.converted_amount is not None


def _quantize_rate(value: Decimal) -> Decimal:
    return value.quantize(_RATE_QUANTUM)


def _invert(value: Decimal) -> Decimal:
    return _quantize_rate(_ONE / value)


@dataclass
class _Series:
    """One pair's rates sorted by date, then by preference within a day."""

    dates: list[date]
    rates: list[Rate]

    def nearest(self, on: date) -> Rate | None:
        """The latest rate on or before ``on``, else the earliest after it (within the age)."""
        position = bisect.bisect_right(self.dates, on)
        if position > 0 and on - self.dates[position - 1] <= _MAX_AGE:
            # The day's first entry is its preferred one (see `_sorted`).
            first = bisect.bisect_left(self.dates, self.dates[position - 1])
            return self.rates[first]
        if position < len(self.dates) and self.dates[position] - on <= _MAX_AGE:
            return self.rates[position]
        return None


def _series(rates: Iterable[Rate]) -> _Series:
    # Several rates on one day: a direct one before an inverted one, then by source name.
    ordered = sorted(rates, key=lambda r: (r.rate_date, r.source.endswith(_INVERTED), r.source))
    return _Series([rate.rate_date for rate in ordered], ordered)


@dataclass
class RateBook:
    """Reference and observed rates of one workspace over a period, by currency pair."""

    _reference: dict[Pair, list[Rate]] = field(default_factory=lambda: defaultdict(list))
    _observed: dict[Pair, list[Rate]] = field(default_factory=lambda: defaultdict(list))
    _cache: dict[tuple[str, Pair], _Series] = field(default_factory=dict)

    @classmethod
    def load(
        cls, *, workspace_id: int, currencies: Iterable[str], start: date, end: date
    ) -> RateBook:
        """Every rate between ``start`` and ``end`` (widened by the rate age) among
        ``currencies``."""
        book = cls()
        wanted = sorted({currency.upper() for currency in currencies if currency})
        if len(wanted) < 2:
            return book
        window = (start - _MAX_AGE, end + _MAX_AGE)
        rows = ExchangeRate.objects.filter(
            base_currency__in=wanted, quote_currency__in=wanted, rate_date__range=window, rate__gt=0
        ).values_list("base_currency", "quote_currency", "rate", "rate_date", "source")
        for base, quote, value, rate_date, source in rows:
            book.add_reference(Rate(base, quote, value, rate_date, source))
        for observed in observed_rates(workspace_id=workspace_id, currencies=wanted, window=window):
            book._observed[(observed.base_currency, observed.quote_currency)].append(observed)
        return book

    def add_reference(self, rate: Rate) -> None:
        """A reference rate, usable in both directions (the opposite one inverted)."""
        base, quote = rate.base_currency.upper(), rate.quote_currency.upper()
        self._reference[(base, quote)].append(
            Rate(base, quote, _quantize_rate(rate.rate), rate.rate_date, rate.source)
        )
        self._reference[(quote, base)].append(
            Rate(quote, base, _invert(rate.rate), rate.rate_date, f"{rate.source}{_INVERTED}")
        )
        self._cache.clear()

    def find(self, base: str, quote: str, on: date) -> Rate | None:
        """1 ``base`` = ? ``quote`` on ``on``: a reference rate if one is near, else an observed
        one, else None."""
        base, quote = base.upper(), quote.upper()
        if base == quote:
            return Rate(base, quote, _ONE, on, SAME_CURRENCY_SOURCE)
        for kind, table in (("reference", self._reference), ("observed", self._observed)):
            key = (kind, (base, quote))
            series = self._cache.get(key)
            if series is None:
                series = self._cache[key] = _series(table.get((base, quote), ()))
            found = series.nearest(on)
            if found is not None:
                return found
        return None

    def rate(self, base: str, quote: str, on: date) -> Decimal | None:
        found = self.find(base, quote, on)
        return None if found is None else found.rate


def observed_rates(
    *, workspace_id: int, currencies: list[str], window: tuple[date, date]
) -> list[Rate]:
    """Rates implied by the workspace's completed foreign-currency Qonto transactions, one per
    pair and day in both directions (the median of that day's transactions, so one payment with
    a fee does not skew it)."""
    by_day: dict[tuple[str, str, date], list[tuple[Decimal, str]]] = defaultdict(list)
    for value_date, amount, currency, local_amount, local_currency, qonto_id in _foreign_rows(
        workspace_id, currencies, window
    ):
        if value_date is None or local_amount is None:
            continue
        try:
            # 1 local unit = amount / local_amount account units, and the other way round.
            forward = _quantize_rate(amount / local_amount)
            backward = _quantize_rate(local_amount / amount)
        except (InvalidOperation, ZeroDivisionError):
            continue
        by_day[(local_currency, currency, value_date)].append((forward, qonto_id))
        by_day[(currency, local_currency, value_date)].append((backward, qonto_id))
    return [
        _median_rate(base, quote, day, observations)
        for (base, quote, day), observations in sorted(by_day.items())
    ]


def _foreign_rows(
    workspace_id: int, currencies: list[str], window: tuple[date, date]
) -> Iterator[tuple[Any, ...]]:
    """The completed operations in one currency booked in another, one pair at a time: each
    a seek on the (workspace, local currency, currency, value date) index, never a read of
    every transaction (most are in the account's own currency)."""
    transactions = Transaction.objects.for_workspace(workspace_id).filter(
        status=TransactionStatus.COMPLETED,
        value_date__range=window,
        amount__gt=0,
        local_amount__gt=0,
    )
    for local_currency, currency in permutations(sorted(set(currencies)), 2):
        yield from (
            transactions.filter(local_currency=local_currency, currency=currency)
            .order_by("value_date", "pk")
            .values_list(
                "value_date", "amount", "currency", "local_amount", "local_currency", "qonto_id"
            )
        )


def _median_rate(base: str, quote: str, day: date, observations: list[tuple[Decimal, str]]) -> Rate:
    values = sorted(value for value, _ in observations)
    middle = len(values) // 2
    median = (
        values[middle]
        if len(values) % 2
        else _quantize_rate((values[middle - 1] + values[middle]) / 2)
    )
    if len(observations) == 1:
        source = f"Qonto transaction {observations[0][1]}"
    else:
        source = f"Qonto transactions of {day:%Y-%m-%d} (median of {len(observations)})"
    return Rate(base, quote, median, day, source[:100])


def find_rate(*, workspace_id: int, base: str, quote: str, on: date) -> Rate | None:
    """A reference rate if one is known near ``on``, else one the workspace's Qonto
    transactions show, else None."""
    book = RateBook.load(workspace_id=workspace_id, currencies=(base, quote), start=on, end=on)
    return book.find(base, quote, on)


def no_rate_note(*, base: str, quote: str, on: date) -> str:
    return f"{NO_RATE_PREFIX} for {base}→{quote} within {MAX_RATE_AGE_DAYS} days of {on:%Y-%m-%d}"


def convert_amount(
    amount: Decimal, currency: str, to_currency: str, *, on: date, rates: RateBook
) -> tuple[Decimal, Rate] | None:
    """``amount currency`` in ``to_currency`` at the rate of ``on`` (rounded to its minor unit),
    with the rate used; None when no rate is known."""
    rate = rates.find(currency, to_currency, on)
    if rate is None:
        return None
    return convert_at(amount, rate.rate, to_currency), rate


def convert_at(amount: Decimal, rate: Decimal, to_currency: str) -> Decimal:
    """``amount`` times ``rate`` (1 unit of its currency = ``rate`` ``to_currency``, as
    `RateBook` gives it), rounded to ``to_currency``'s minor unit: how posting and matching both
    convert. Never divide by the opposite rate: the book's inverted rate is the one to use, or
    the cents can differ."""
    return convert(Decimal(amount), rate, to_currency.upper())


@dataclass(frozen=True)
class Payment:
    """A confirmed debit of an invoice: ``amount`` left the account in ``currency`` for
    ``local_amount`` ``local_currency`` (Qonto's operation amount) on ``value_date``."""

    amount: Decimal
    currency: str
    local_amount: Decimal
    local_currency: str
    value_date: date | None


def confirmed_payments(
    *, workspace_id: int, invoice_ids: Iterable[int] | QuerySet[Invoice, Any]
) -> dict[int, list[Payment]]:
    """The confirmed debits of each invoice carrying a local amount, in one query (the ids may
    be a ``values("pk")`` queryset, read as a subquery)."""
    rows = (
        Match.objects.for_workspace(workspace_id)
        .filter(
            invoice_id__in=invoice_ids if isinstance(invoice_ids, QuerySet) else list(invoice_ids),
            kind__in=_SETTLING_KINDS,
            status__in=_SETTLED_STATUSES,
            transaction__side=Side.DEBIT,
            transaction__local_amount__gt=0,
        )
        .order_by("invoice_id", "transaction_id")
        .distinct()
        .values_list(
            "invoice_id",
            "transaction__amount",
            "transaction__currency",
            "transaction__local_amount",
            "transaction__local_currency",
            "transaction__value_date",
        )
    )
    payments: dict[int, list[Payment]] = defaultdict(list)
    for invoice_id, *values in rows:
        payments[invoice_id].append(Payment(*values))
    return payments


def paid_conversion(
    amount: Decimal, currency: str, home: str, payments: Iterable[Payment]
) -> tuple[Decimal, Rate] | None:
    """What left the account for ``amount currency``: the confirmed debits in ``home`` whose
    local amounts, in ``currency``, add up to it (one payment, or instalments). None when they
    do not (no debit, a partial payment, a debit in another currency)."""
    paid = [p for p in payments if p.local_currency.upper() == currency and p.currency == home]
    local_total = sum((p.local_amount for p in paid), Decimal(0))
    if not paid or local_total != amount:
        return None
    debited = sum((p.amount for p in paid), Decimal(0))
    days = [p.value_date for p in paid if p.value_date is not None]
    if not days:
        return None
    rate = Rate(
        currency, home, _quantize_rate(debited / local_total), max(days), PAID_BY_DEBIT_SOURCE
    )
    return debited, rate


def convert_invoice(
    invoice: Invoice,
    *,
    home_currency: str | None = None,
    rates: RateBook | None = None,
    payments: list[Payment] | None = None,
) -> Conversion:
    """Fill the invoice's converted amount, home currency, rate, rate date and rate source (the
    caller saves ``FX_FIELDS``). The source amount and currency are left untouched.

    A paid invoice is converted by its confirmed debit (`paid_conversion`; ``payments`` when the
    caller read them for many invoices, else they are read here); any other by the rate of the
    issue date (today's when the invoice has none). Without an amount or currency nothing is
    converted; without a rate ``fx_rate_source`` says so.
    """
    home = (home_currency or invoice.workspace.home_currency).upper()
    currency = (invoice.currency or "").upper()
    amount = invoice.total_amount
    invoice.home_currency = home
    invoice.converted_amount = None
    invoice.fx_rate = None
    invoice.fx_rate_date = None
    invoice.fx_rate_source = ""
    if amount is None or not currency:
        reason = "The invoice has no total amount or currency to convert."
        return Conversion(amount, currency, home, None, None, reason)
    on = invoice.issue_date or timezone.now().date()
    converted = _paid_or_rated(invoice, Decimal(amount), currency, home, on, rates, payments)
    if converted is None:
        note = no_rate_note(base=currency, quote=home, on=on)
        invoice.fx_rate_source = note[:100]
        return Conversion(amount, currency, home, None, None, note)
    value, rate = converted
    invoice.converted_amount = value
    invoice.fx_rate = rate.rate
    invoice.fx_rate_date = rate.rate_date
    invoice.fx_rate_source = rate.source[:100]
    return Conversion(amount, currency, home, value, rate, "")


def _paid_or_rated(
    invoice: Invoice,
    amount: Decimal,
    currency: str,
    home: str,
    on: date,
    rates: RateBook | None,
    payments: list[Payment] | None,
) -> tuple[Decimal, Rate] | None:
    if currency != home:
        if payments is None and invoice.pk is not None:
            found = confirmed_payments(workspace_id=invoice.workspace_id, invoice_ids=[invoice.pk])
            payments = found.get(invoice.pk, [])
        paid = paid_conversion(amount, currency, home, payments or ())
        if paid is not None:
            return paid
    if rates is None:
        rates = RateBook.load(
            workspace_id=invoice.workspace_id, currencies=(currency, home), start=on, end=on
        )
    return convert_amount(amount, currency, home, on=on, rates=rates)


def store_paid_conversions(*, workspace_id: int, invoice_ids: Iterable[int] | None = None) -> int:
    """Store what each paid foreign-currency invoice's confirmed debit took from the account as
    its conversion (the invoice page shows what is stored), for the invoices whose stored one
    came from elsewhere; returns how many changed. Called once a matching window has
    confirmed its debits and when a person confirms one, so the page agrees with the export
    and with posting; the matching itself never reads it."""
    settled = Match.objects.for_workspace(workspace_id).filter(
        kind__in=_SETTLING_KINDS,
        status__in=_SETTLED_STATUSES,
        transaction__side=Side.DEBIT,
        transaction__local_amount__gt=0,
    )
    if invoice_ids is not None:
        settled = settled.filter(invoice_id__in=list(invoice_ids))
    candidates = (
        Invoice.objects.for_workspace(workspace_id)
        .filter(pk__in=settled.values("invoice_id"), total_amount__isnull=False)
        .exclude(currency=F("workspace__home_currency"))
        .exclude(fx_rate_source=PAID_BY_DEBIT_SOURCE)
        .select_related("workspace")
    )
    invoices = list(candidates)
    payments = confirmed_payments(workspace_id=workspace_id, invoice_ids=[i.pk for i in invoices])
    changed = 0
    for invoice in invoices:
        home, currency = invoice.workspace.home_currency.upper(), invoice.currency.upper()
        found = payments.get(invoice.pk, [])
        if invoice.total_amount is None or not paid_conversion(
            Decimal(invoice.total_amount), currency, home, found
        ):
            continue
        convert_invoice(invoice, home_currency=home, payments=found)
        invoice.save(update_fields=list(FX_FIELDS))
        changed += 1
    return changed
