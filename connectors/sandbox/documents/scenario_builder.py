"""The scaffolding the demo scenario is built with: a seeded builder that renders files
into Dropbox paths, books Qonto transactions and records what a correct pipeline should
conclude."""

from __future__ import annotations

import random
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from decimal import Decimal
from typing import Any

from connectors.sandbox.documents.identifiers import QONTO_BANK
from connectors.sandbox.documents.identifiers import make_iban
from connectors.sandbox.documents.identifiers import make_vat_id
from connectors.sandbox.documents.model import InvoiceSpec
from connectors.sandbox.documents.model import LineItem
from connectors.sandbox.documents.model import Party
from connectors.sandbox.documents.model import RenderedDocument
from connectors.sandbox.documents.qonto_objects import qonto_transaction
from connectors.sandbox.documents.qonto_objects import uuid4


@dataclass
class ScenarioExpectations:
    """What a correct pipeline concludes from the scenario, keyed by Dropbox path or by Qonto
    transaction id."""

    confirmation_matches: dict[str, str] = field(default_factory=dict)  # path → tx id
    invoice_payments: dict[str, str] = field(default_factory=dict)  # invoice path → debit id
    receivable_payments: dict[str, str] = field(default_factory=dict)  # credit id → reference
    duplicates: dict[str, str] = field(default_factory=dict)  # forwarded path → original
    double_payment_requests: dict[str, str] = field(default_factory=dict)  # reminder → paid
    double_payments: dict[str, str] = field(default_factory=dict)  # second debit id → invoice
    credit_notes: dict[str, str] = field(default_factory=dict)  # credit note → invoice path
    near_duplicate_debits: dict[str, str] = field(default_factory=dict)  # decoy id → true id
    abbreviated_references: dict[str, str] = field(default_factory=dict)  # credit id → ref
    refunds: dict[str, str] = field(default_factory=dict)  # credit id → credit note path


def draw_price(rng: random.Random, low: int, high: int, step: str = "0.01") -> Decimal:
    quantum = Decimal(step)
    steps = int((Decimal(high) - Decimal(low)) / quantum)
    return Decimal(low) + quantum * rng.randint(0, steps)


# The company card's last digits, as its card debits show them.
CARD_LAST_DIGITS = "4821"


class ScenarioBuilder:
    """Holds the seeded generator, the organisation and everything booked so far."""

    def __init__(self, seed: int, anchor: date) -> None:
        self.rng = random.Random(seed)
        self.seed = seed
        self.anchor = anchor
        self.files: list[tuple[str, RenderedDocument]] = []
        self.transactions: list[dict[str, Any]] = []
        self.expect = ScenarioExpectations()
        self.organization_id = uuid4(self.rng)
        self.account_id = uuid4(self.rng)
        self.savings_id = uuid4(self.rng)
        self.slug = f"atelier-lumen-{self.rng.randint(1000, 9999)}"
        iban, bic = make_iban("FR", self.rng, bank=QONTO_BANK)
        self.org = Party(
            name="Atelier Lumen SAS",
            street="42 rue de Paradis",
            postcode="75010",
            city="Paris",
            country="FR",
            vat_id=make_vat_id("FR", self.rng),
            iban=iban,
            bic=bic,
            domain="atelier-lumen.fr",
            email="compta@atelier-lumen.fr",
        )
        self.savings_iban, _ = make_iban("FR", self.rng, bank=QONTO_BANK)
        self.membership_id = uuid4(self.rng)  # the user who initiates transfers and cards

    def day(self, days_ago: int) -> date:
        return self.anchor - timedelta(days=days_ago)

    def moment(self, day: date, hour: int | None = None) -> datetime:
        hour = self.rng.randint(7, 19) if hour is None else hour
        clock = time(
            hour, self.rng.randint(0, 59), self.rng.randint(0, 59), self.rng.randint(0, 999) * 1000
        )
        return datetime.combine(day, clock, tzinfo=UTC)

    def add_file(self, document: RenderedDocument, day: date) -> str:
        path = f"/Invoices/{day:%Y-%m}/{document.filename}"
        self.files.append((path, document))
        return path

    def add_transaction(
        self, *, day: date, hour: int | None = None, settle_days: int = 0, **fields: Any
    ) -> dict[str, Any]:
        emitted = self.moment(day, hour)
        settled = emitted + timedelta(days=settle_days, minutes=self.rng.randint(0, 30))
        transaction = qonto_transaction(
            rng=self.rng,
            organization_slug=self.slug,
            sequence=len(self.transactions) + 1,
            bank_account_id=self.account_id,
            emitted_at=emitted,
            settled_at=settled,
            **fields,
        )
        self.transactions.append(transaction)
        return transaction

    def card_payment(self, *, day: date, **fields: Any) -> dict[str, Any]:
        """A debit on the company card (``fields``: amount, label, category, ...)."""
        return self.add_transaction(
            day=day,
            side="debit",
            operation_type="card",
            card_last_digits=CARD_LAST_DIGITS,
            **fields,
        )

    def pay(
        self, vendor: Party, amount: Decimal, day: date, reference: str | None, **fields: Any
    ) -> dict[str, Any]:
        operation_type = fields.pop("operation_type", "transfer")
        # A direct debit is pulled by the creditor: no member of ours initiates it.
        initiator = None if operation_type == "direct_debit" else self.membership_id
        return self.add_transaction(
            day=day,
            side="debit",
            operation_type=operation_type,
            amount=amount,
            label=fields.pop("label", vendor.name),
            clean_counterparty_name=vendor.name,
            reference=reference,
            counterparty_account_number=vendor.iban,
            counterparty_bank_identifier=vendor.bic,
            initiator_id=initiator,
            **fields,
        )


def vendor_party(rng: random.Random, country: str, **fields: Any) -> Party:
    vat_id = make_vat_id(country, rng) if country != "US" else None
    iban, bic = make_iban(country, rng) if country != "US" else (None, None)
    return Party(country=country, vat_id=vat_id, iban=iban, bic=bic, **fields)


def payee(rng: random.Random, country: str, **fields: Any) -> Party:
    """A counterparty known by its name, address and a fresh IBAN of ``country``."""
    return Party(country=country, iban=make_iban(country, rng)[0], **fields)


def with_registration(party: Party, court: str) -> Party:
    siren = (party.vat_id or "")[4:]
    registration = f"RCS {court} {siren[:3]} {siren[3:6]} {siren[6:]}"
    return replace(party, registration=registration)


def invoice_spec(
    b: ScenarioBuilder,
    supplier: Party,
    number: str,
    issued: date,
    due: date | None,
    lines: tuple[LineItem, ...],
    *,
    currency: str = "EUR",
    **fields: Any,
) -> InvoiceSpec:
    return InvoiceSpec(
        currency=currency,
        supplier=supplier,
        buyer=b.org,
        invoice_number=number,
        issue_date=issued,
        due_date=due,
        lines=lines,
        **fields,
    )
