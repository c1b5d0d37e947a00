"""Exchange rates the matcher may use to compare amounts across currencies."""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from reconciliation.models import ExchangeRate

#: A rate older than this is not trusted for a payment date.
MAX_RATE_AGE = timedelta(days=7)


@dataclass
class RateBook:
    """Rates by (base, quote), each a date-sorted list; look-ups take the latest rate on or
    before the date (within `MAX_RATE_AGE`), and invert the opposite pair when needed."""

    _dates: dict[tuple[str, str], list[date]] = field(default_factory=lambda: defaultdict(list))
    _rates: dict[tuple[str, str], list[Decimal]] = field(default_factory=lambda: defaultdict(list))

    @classmethod
    def load(cls, currencies: Iterable[str], start: date, end: date) -> RateBook:
        wanted = sorted(set(currencies))
        book = cls()
        if len(wanted) < 2:
            return book
        rows = (
            ExchangeRate.objects.filter(
                base_currency__in=wanted,
                quote_currency__in=wanted,
                rate_date__gte=start - MAX_RATE_AGE,
                rate_date__lte=end,
            )
            .order_by("rate_date", "id")
            .values_list("base_currency", "quote_currency", "rate_date", "rate")
        )
        for base, quote, rate_date, rate in rows:
            book.add(base, quote, rate_date, rate)
        return book

    def add(self, base: str, quote: str, rate_date: date, rate: Decimal) -> None:
        key = (base.upper(), quote.upper())
        dates = self._dates[key]
        position = bisect.bisect_right(dates, rate_date)
        dates.insert(position, rate_date)
        self._rates[key].insert(position, rate)

    def rate(self, base: str, quote: str, on: date) -> Decimal | None:
        """1 ``base`` = rate ``quote`` on ``on``, or None when no recent rate is known."""
        base, quote = base.upper(), quote.upper()
        if base == quote:
            return Decimal(1)
        direct = self._lookup((base, quote), on)
        if direct is not None:
            return direct
        inverse = self._lookup((quote, base), on)
        if inverse is not None and inverse != 0:
            return Decimal(1) / inverse
        return None

    def _lookup(self, key: tuple[str, str], on: date) -> Decimal | None:
        dates = self._dates.get(key)
        if not dates:
            return None
        position = bisect.bisect_right(dates, on) - 1
        if position < 0 or on - dates[position] > MAX_RATE_AGE:
            return None
        return self._rates[key][position]
