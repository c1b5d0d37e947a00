"""Converting an invoice's amount into its workspace's home currency, with the rate, its date and
where it came from.

Two kinds of rates, tried in this order, never over the internet:

1. Reference rates: ``ExchangeRate`` rows (entered by hand or loaded from a published table).
2. Rates the workspace's own Qonto transactions show: a foreign-currency payment carries the
   account ``amount``/``currency`` and the operation's ``local_amount``/``local_currency``
   (reference §10), so ``amount / local_amount`` is the rate the bank applied that day. These are
   read per workspace from its ``Transaction`` rows and never copied into the shared
   ``ExchangeRate`` table: one company's payments are nobody else's business.

The rate nearest the invoice's issue date wins: the latest one on or before it within
``MAX_RATE_AGE_DAYS``, else the earliest one after it within the same distance. When no rate is
known, the invoice says so (``fx_rate_source``) and carries no converted amount: a rate is never
guessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from django.db.models import Q
from django.utils import timezone

from reconciliation.models import ExchangeRate, Invoice, Transaction, TransactionStatus
from reconciliation.money import RATE_DECIMAL_PLACES, convert

#: A rate further than this from the invoice date is not used.
MAX_RATE_AGE_DAYS = 7
SAME_CURRENCY_SOURCE = "same currency"
NO_RATE_PREFIX = "No rate known"
#: The invoice columns `convert_invoice` fills (for ``save(update_fields=...)``).
FX_FIELDS = ("converted_amount", "home_currency", "fx_rate", "fx_rate_date", "fx_rate_source")

_RATE_QUANTUM = Decimal(1).scaleb(-RATE_DECIMAL_PLACES)
_ONE = Decimal(1)


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


def _pick(candidates: list[Rate], on: date) -> Rate | None:
    """The latest rate on or before ``on``; failing that, the earliest after it."""
    before = [rate for rate in candidates if rate.rate_date <= on]
    if before:
        return max(before, key=lambda rate: rate.rate_date)
    after = [rate for rate in candidates if rate.rate_date > on]
    if after:
        return min(after, key=lambda rate: rate.rate_date)
    return None


def reference_rate(*, base: str, quote: str, on: date) -> Rate | None:
    """From ``ExchangeRate`` rows, either direction (an inverse row is inverted)."""
    window = (on - timedelta(days=MAX_RATE_AGE_DAYS), on + timedelta(days=MAX_RATE_AGE_DAYS))
    rows = ExchangeRate.objects.filter(
        Q(base_currency=base, quote_currency=quote) | Q(base_currency=quote, quote_currency=base),
        rate_date__range=window,
        rate__gt=0,
    ).order_by("rate_date", "source", "pk")
    candidates: list[Rate] = []
    for row in rows:
        direct = row.base_currency == base
        candidates.append(
            Rate(
                base_currency=base,
                quote_currency=quote,
                rate=_quantize_rate(row.rate) if direct else _invert(row.rate),
                rate_date=row.rate_date,
                source=row.source if direct else f"{row.source} (inverted)",
            )
        )
    # Several rows on the chosen date: a direct one before an inverted one, then by source name.
    chosen = _pick(candidates, on)
    if chosen is None:
        return None
    same_day = [rate for rate in candidates if rate.rate_date == chosen.rate_date]
    same_day.sort(key=lambda rate: (rate.source.endswith("(inverted)"), rate.source))
    return same_day[0]


def observed_rates(*, workspace_id: int, base: str, quote: str, on: date) -> list[Rate]:
    """Rates implied by the workspace's completed Qonto transactions near ``on``, one per day
    (the median of that day's transactions, so one payment with a fee does not skew it)."""
    window = (on - timedelta(days=MAX_RATE_AGE_DAYS), on + timedelta(days=MAX_RATE_AGE_DAYS))
    rows = (
        Transaction.objects.for_workspace(workspace_id)
        .filter(
            Q(local_currency=base, currency=quote) | Q(local_currency=quote, currency=base),
            status=TransactionStatus.COMPLETED,
            value_date__range=window,
            amount__gt=0,
            local_amount__gt=0,
        )
        .order_by("value_date", "pk")
        .values_list("value_date", "amount", "currency", "local_amount", "qonto_id")
    )
    by_day: dict[date, list[tuple[Decimal, str]]] = {}
    for value_date, amount, currency, local_amount, qonto_id in rows:
        if value_date is None or local_amount is None:
            continue
        try:
            # 1 local unit = amount / local_amount account units.
            implied = amount / local_amount if currency == quote else local_amount / amount
        except (InvalidOperation, ZeroDivisionError):
            continue
        by_day.setdefault(value_date, []).append((_quantize_rate(implied), qonto_id))
    rates: list[Rate] = []
    for day, observations in sorted(by_day.items()):
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
        rates.append(Rate(base, quote, median, day, source[:100]))
    return rates


def find_rate(*, workspace_id: int, base: str, quote: str, on: date) -> Rate | None:
    """A reference rate if one is known near ``on``, else one the workspace's Qonto
    transactions show, else None."""
    if base == quote:
        return Rate(base, quote, _ONE, on, SAME_CURRENCY_SOURCE)
    reference = reference_rate(base=base, quote=quote, on=on)
    if reference is not None:
        return reference
    return _pick(observed_rates(workspace_id=workspace_id, base=base, quote=quote, on=on), on)


def no_rate_note(*, base: str, quote: str, on: date) -> str:
    return f"{NO_RATE_PREFIX} for {base}→{quote} within {MAX_RATE_AGE_DAYS} days of {on:%Y-%m-%d}"


def convert_invoice(invoice: Invoice, *, home_currency: str | None = None) -> Conversion:
    """Fill the invoice's converted amount, home currency, rate, rate date and rate source (the
    caller saves ``FX_FIELDS``). The source amount and currency are left untouched.

    The rate is the one for the issue date (today's when the invoice has none). Without an
    amount or currency nothing is converted; without a rate ``fx_rate_source`` says so.
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
    rate = find_rate(workspace_id=invoice.workspace_id, base=currency, quote=home, on=on)
    if rate is None:
        note = no_rate_note(base=currency, quote=home, on=on)
        invoice.fx_rate_source = note[:100]
        return Conversion(amount, currency, home, None, None, note)
    converted = convert(Decimal(amount), rate.rate, home)
    invoice.converted_amount = converted
    invoice.fx_rate = rate.rate
    invoice.fx_rate_date = rate.rate_date
    invoice.fx_rate_source = rate.source[:100]
    return Conversion(amount, currency, home, converted, rate, "")
