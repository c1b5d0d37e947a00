"""The demo's reference exchange rates: what a workspace's *Exchange rates* table holds after
a year of daily reference rates, ECB-style (1 EUR = x USD, x GBP, one rate a TARGET business
day, none on weekends), for the foreign currencies the demo's invoices are in.

No network: the rates are generated from the scenario's seed. Where the scenario's own Qonto
account shows a conversion (a card charge or an international transfer with a local amount),
the reference rate of that day is the bank's rate plus the usual spread, so the two kinds of
rate Well reads (reference first, then the rates the account shows) tell the same story;
between those days the rate moves as a Brownian bridge, before and after them as a
mean-reverting walk.
"""

from __future__ import annotations

import itertools
import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from datetime import timedelta
from decimal import ROUND_HALF_EVEN
from decimal import Decimal

from connectors.sandbox.documents.scenario import DemoScenario

#: What a workspace's rate table calls these rates (``ExchangeRate.source``).
DEMO_RATE_SOURCE = "ECB reference rate (demo)"
#: The base currency of every rate (the workspace's home currency, the ECB's base).
BASE_CURRENCY = "EUR"
#: How far back the table goes: the demo's history (`history.py`) starts seven months before
#: the scenario's anchor; a year covers it with room to spare.
RATE_DAYS = 400
#: What a bank's conversion costs against the reference rate (fewer units per euro).
BANK_SPREAD = Decimal("0.0035")
# Where each quote drifts back to, its daily step and how many places the ECB publishes.
_QUOTES: dict[str, tuple[float, float, int]] = {
    "USD": (1.09, 0.0045, 4),
    "GBP": (0.855, 0.0022, 5),
}
_REVERSION = 0.03


@dataclass(frozen=True)
class ReferenceRate:
    """1 `base_currency` = `rate` `quote_currency` on `rate_date`."""

    base_currency: str
    quote_currency: str
    rate: Decimal
    rate_date: date


def demo_reference_rates(scenario: DemoScenario) -> list[ReferenceRate]:
    """One rate per quote currency and business day of the `RATE_DAYS` before the scenario's
    anchor (the anchor included), by date then currency."""
    rng = random.Random(scenario.seed * 104729 + 3)
    start = scenario.anchor - timedelta(days=RATE_DAYS)
    days = [
        start + timedelta(days=n)
        for n in range(RATE_DAYS + 1)
        if (start + timedelta(days=n)).weekday() < 5
    ]
    banked = _bank_rates(scenario)
    rates: list[ReferenceRate] = []
    for quote, (center, step, places) in _QUOTES.items():
        values = _series(rng, days, banked.get(quote, {}), center, step)
        quantum = Decimal(1).scaleb(-places)
        rates += [
            ReferenceRate(
                BASE_CURRENCY,
                quote,
                Decimal(repr(value)).quantize(quantum, rounding=ROUND_HALF_EVEN),
                day,
            )
            for day, value in zip(days, values, strict=True)
        ]
    rates.sort(key=lambda rate: (rate.rate_date, rate.quote_currency))
    return rates


def _bank_rates(scenario: DemoScenario) -> dict[str, dict[date, float]]:
    """Per currency and business day, the reference rate the account's conversions imply: the
    units per euro the bank gave (the day's median), plus its spread."""
    seen: dict[tuple[str, date], list[Decimal]] = defaultdict(list)
    for transaction in scenario.transactions:
        local = transaction["local_currency"]
        if local == transaction["currency"] or transaction["status"] != "completed":
            continue
        day = date.fromisoformat(transaction["emitted_at"][:10])
        units = Decimal(str(transaction["local_amount"])) / Decimal(str(transaction["amount"]))
        seen[(local, _business_day(day))].append(units)
    by_quote: dict[str, dict[date, float]] = defaultdict(dict)
    for (quote, day), values in seen.items():
        median = sorted(values)[len(values) // 2]
        by_quote[quote][day] = float(median * (1 + BANK_SPREAD))
    return by_quote


def _business_day(day: date) -> date:
    """The day, or the Friday before a weekend (the rate a weekend conversion was made at)."""
    return day - timedelta(days=max(0, day.weekday() - 4))


def _series(
    rng: random.Random, days: list[date], pinned: dict[date, float], center: float, step: float
) -> list[float]:
    """A rate per day: ``pinned`` values on their days, a Brownian bridge between them, a
    walk drifting back to ``center`` before the first and after the last."""
    index = {day: n for n, day in enumerate(days)}
    knots = sorted((index[day], value) for day, value in pinned.items() if day in index)
    if not knots:
        knots = [(len(days) - 1, center)]
    values = [0.0] * len(days)
    for (left, low), (right, high) in itertools.pairwise(knots):
        walk = [0.0]
        for _ in range(right - left):
            walk.append(walk[-1] + rng.gauss(0, step))
        span = right - left
        for k in range(span + 1):
            values[left + k] = low + (high - low) * k / span + walk[k] - walk[span] * k / span
    first, value = knots[0]
    values[first] = value
    for n in range(first - 1, -1, -1):
        value += rng.gauss(0, step) + _REVERSION * (center - value)
        values[n] = value
    last, value = knots[-1]
    for n in range(last + 1, len(days)):
        value += rng.gauss(0, step) + _REVERSION * (center - value)
        values[n] = value
    return values
