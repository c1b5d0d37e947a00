"""The demo workspace's past: invoices of the demo's vendors from the months before the
scenario, as a finance team would have reviewed and posted them before `make run`.

Three vendors (the French host, the Dutch translator, the Italian printer) have ten reviewed
invoices each: Well has learned where they print their fields and treats them as trained, so
their new invoices are posted without a person. The US SaaS has four (in training, 4/10); the
hotel, the Spanish studio and the London event company have none (new vendors). Each history
invoice is printed exactly as the vendor prints its invoices in the scenario (same layout,
language, date and money style), with its own numbers and amounts, and carries the ledger
account the reviewer chose.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import replace
from datetime import date
from datetime import timedelta
from decimal import Decimal
from typing import Any

from connectors.sandbox.documents.model import LineItem
from connectors.sandbox.documents.model import Party
from connectors.sandbox.documents.model import RenderedDocument
from connectors.sandbox.documents.render import render_invoice
from connectors.sandbox.documents.scenario import DemoScenario
from connectors.sandbox.documents.scenario_builder import ScenarioBuilder
from connectors.sandbox.documents.scenario_builder import draw_price
from connectors.sandbox.documents.scenario_builder import invoice_spec
from connectors.sandbox.documents.scenario_suppliers import HOSTING_STYLE
from connectors.sandbox.documents.scenario_suppliers import PRINTER_STYLE
from connectors.sandbox.documents.scenario_suppliers import SAAS_STYLE
from connectors.sandbox.documents.scenario_suppliers import TRANSLATOR_STYLE
from connectors.sandbox.documents.scenario_suppliers import translator_lines

#: A vendor is trained after this many reviewed documents (reconciliation.models.vendor's
#: TRAINING_DOCUMENTS; connectors never import the domain, tests/test_demo_history.py checks).
TRAINED_AFTER = 10


@dataclass(frozen=True)
class HistoryInvoice:
    """One invoice of the past: where it was filed, its PDF and truth, the ledger account the
    reviewer gave it and the day it was posted to Qonto."""

    path: str
    document: RenderedDocument
    ledger_account: str
    posted_on: date


@dataclass(frozen=True)
class DemoHistory:
    invoices: tuple[HistoryInvoice, ...]
    reviewed: dict[str, int]  # vendor name → reviewed invoices in the history

    @property
    def trained(self) -> tuple[str, ...]:
        return tuple(name for name, n in self.reviewed.items() if n >= TRAINED_AFTER)


@dataclass(frozen=True)
class _Habit:
    """How one vendor bills: how its scenario invoices are printed, how it numbers them, what
    it sells, and the cadence and ledger account of its past invoices."""

    vendor: str
    count: int
    first_days_ago: int  # the scenario's oldest invoice of the vendor
    cadence_days: int
    ledger_account: str
    number: Callable[[int, date], str]
    lines: Callable[[random.Random], tuple[LineItem, ...]]
    style: Mapping[str, Any]
    due_days: int


def _hosting_lines(rng: random.Random) -> tuple[LineItem, ...]:
    return (
        LineItem(
            "Serveur dédié M - mensuel", Decimal(1), draw_price(rng, 99, 149, "10"), Decimal(20)
        ),
        LineItem("Sauvegarde 500 Go", Decimal(rng.randint(1, 2)), Decimal("4.90"), Decimal(20)),
    )


def _translator_lines(rng: random.Random) -> tuple[LineItem, ...]:
    # The same jobs as the scenario's, a little smaller.
    return translator_lines(rng, words=(3, 15), edits=(1, 5))


def _printer_lines(rng: random.Random) -> tuple[LineItem, ...]:
    return (
        LineItem(
            rng.choice(("Stampa volantini A5", "Stampa cataloghi A4, 32 pagine", "Stampa poster")),
            Decimal(rng.choice((250, 500, 1000))),
            draw_price(rng, 1, 3, "0.05"),
            Decimal(22),
        ),
        LineItem("Biglietti da visita", Decimal(rng.randint(1, 6)), Decimal("38.00"), Decimal(22)),
    )


def _saas_lines(rng: random.Random) -> tuple[LineItem, ...]:
    # A smaller plan before the team grew to five seats.
    seats = rng.randint(2, 4)
    return (
        LineItem(
            f"Pro plan - monthly ({seats} seats)", Decimal(1), Decimal(98 * seats), Decimal(0)
        ),
    )


# The styles are those of the scenario's invoices (scenario_suppliers.py): the history is worth
# something only if it is printed as the new invoices are (tests/test_demo_history.py compares
# each history invoice's layout with the scenario's).
_HABITS: tuple[_Habit, ...] = (
    _Habit(
        vendor="Nuage Hébergement SAS",
        count=TRAINED_AFTER,
        first_days_ago=87,
        cadence_days=30,
        ledger_account="615600",
        number=lambda k, issued: f"NH-{issued.year}-{1200 + (TRAINED_AFTER - k) * 211:05d}",
        lines=_hosting_lines,
        style=HOSTING_STYLE,
        due_days=10,
    ),
    _Habit(
        vendor="Van Dijk Vertaalbureau B.V.",
        count=TRAINED_AFTER,
        first_days_ago=44,
        cadence_days=29,
        ledger_account="622600",
        number=lambda k, issued: f"{issued.year}-{100 + (TRAINED_AFTER - k) * 17:04d}",
        lines=_translator_lines,
        style=TRANSLATOR_STYLE,
        due_days=30,
    ),
    _Habit(
        vendor="Tipografia Rossi S.r.l.",
        count=TRAINED_AFTER,
        first_days_ago=70,
        cadence_days=31,
        ledger_account="623600",
        number=lambda k, issued: f"{10 + (TRAINED_AFTER - k) * 7}/{issued.year}",
        lines=_printer_lines,
        style=PRINTER_STYLE,
        due_days=30,
    ),
    _Habit(
        vendor="Northwind Analytics Inc.",
        count=4,
        first_days_ago=85,
        cadence_days=30,
        ledger_account="651100",
        number=lambda k, issued: f"INV-{900 - k:06d}",
        lines=_saas_lines,
        style=SAAS_STYLE,
        due_days=0,
    ),
)


def build_demo_history(scenario: DemoScenario) -> DemoHistory:
    """The reviewed and posted invoices of the months before the scenario, oldest first."""
    rng = random.Random(scenario.seed * 7919 + 17)
    builder = ScenarioBuilder(scenario.seed, scenario.anchor)
    vendors = {party.name: party for party in scenario.vendors}
    # A past invoice never repeats a new one's total: the demo's matches stay unambiguous.
    taken = {
        Decimal(document.truth["total_amount"] or "0")
        for _, document in scenario.files
        if document.kind in ("invoice", "credit_note")
    }
    invoices: list[HistoryInvoice] = []
    for habit in _HABITS:
        supplier = vendors[habit.vendor]
        invoices += _vendor_history(habit, supplier, builder, scenario.anchor, rng, taken)
    invoices.sort(key=lambda item: (item.document.truth["issue_date"] or "", item.path))
    reviewed = {habit.vendor: habit.count for habit in _HABITS}
    return DemoHistory(invoices=tuple(invoices), reviewed=reviewed)


def _vendor_history(
    habit: _Habit,
    supplier: Party,
    builder: ScenarioBuilder,
    anchor: date,
    rng: random.Random,
    taken: set[Decimal],
) -> list[HistoryInvoice]:
    history: list[HistoryInvoice] = []
    for k in range(habit.count, 0, -1):  # k invoices before the scenario's first, oldest first
        issued = anchor - timedelta(days=habit.first_days_ago + k * habit.cadence_days)
        spec = invoice_spec(
            builder,
            supplier,
            habit.number(k, issued),
            issued,
            issued + timedelta(days=habit.due_days),
            habit.lines(rng),
            **habit.style,
        )
        while spec.totals().total in taken:
            spec = replace(spec, lines=habit.lines(rng))
        document = render_invoice(spec)
        history.append(
            HistoryInvoice(
                path=f"/Invoices/{issued:%Y-%m}/{document.filename}",
                document=document,
                ledger_account=habit.ledger_account,
                posted_on=issued + timedelta(days=2),
            )
        )
    return history
