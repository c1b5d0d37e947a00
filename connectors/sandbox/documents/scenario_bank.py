"""The bank side of the demo: our receivables and the credits that settle them (exact,
abbreviated, RF, Belgian structured, partial), and the everyday noise of a company account."""

from __future__ import annotations

import random
from datetime import date
from datetime import timedelta
from decimal import Decimal

from connectors.sandbox.documents.identifiers import belgian_structured_reference
from connectors.sandbox.documents.identifiers import make_iban
from connectors.sandbox.documents.identifiers import make_vat_id
from connectors.sandbox.documents.identifiers import rf_reference
from connectors.sandbox.documents.model import Party
from connectors.sandbox.documents.model import RemittanceNoticeSpec
from connectors.sandbox.documents.model import to_cents
from connectors.sandbox.documents.render import render_remittance_notice
from connectors.sandbox.documents.scenario_builder import ScenarioBuilder
from connectors.sandbox.documents.scenario_builder import draw_price
from connectors.sandbox.documents.scenario_builder import payee

# Our customers, in draw order: each draws its IBAN, Kessler its VAT id too.
_CUSTOMERS: tuple[tuple[str, dict[str, str]], ...] = (
    (
        "verdier",
        {
            "name": "Maison Verdier SARL",
            "street": "7 quai Saint-Antoine",
            "postcode": "69002",
            "city": "Lyon",
            "country": "FR",
        },
    ),
    (
        "kessler",
        {
            "name": "Kessler Logistik GmbH",
            "street": "Hafenstraße 12",
            "postcode": "20457",
            "city": "Hamburg",
            "country": "DE",
        },
    ),
    (
        "delvaux",
        {
            "name": "Brasserie Delvaux SA",
            "street": "Rue Neuve 33",
            "postcode": "5000",
            "city": "Namur",
            "country": "BE",
        },
    ),
    (
        "noorderlicht",
        {
            "name": "Noorderlicht Media B.V.",
            "street": "Vismarkt 9",
            "postcode": "9712 CA",
            "city": "Groningen",
            "country": "NL",
        },
    ),
    (
        "okapi",
        {
            "name": "Studio Okapi",
            "street": "3 rue Sainte-Catherine",
            "postcode": "33000",
            "city": "Bordeaux",
            "country": "FR",
        },
    ),
    (
        "nordlicht",
        {
            "name": "Nordlicht Design GmbH",
            "street": "Lindenallee 5",
            "postcode": "80331",
            "city": "München",
            "country": "DE",
        },
    ),
)
_CUSTOMERS_WITH_VAT_ID = frozenset({"kessler"})


def _customers(rng: random.Random) -> dict[str, Party]:
    customers = {}
    for key, fields in _CUSTOMERS:
        iban = make_iban(fields["country"], rng)[0]
        if key in _CUSTOMERS_WITH_VAT_ID:
            customers[key] = Party(**fields, iban=iban, vat_id=make_vat_id(fields["country"], rng))
        else:
            customers[key] = Party(**fields, iban=iban)
    return customers


def _paid(
    b: ScenarioBuilder,
    key: str,
    customer: Party,
    reference: str,
    amount: Decimal,
    paid: date,
    bank_reference: str | None,
    share: str,
) -> None:
    """The credit paying ``share`` of a receivable; Kessler also sends a remittance notice."""
    credit = b.add_transaction(
        day=paid,
        side="credit",
        operation_type="income",
        amount=to_cents(amount * Decimal(share)),
        label=customer.name.upper(),
        clean_counterparty_name=customer.name,
        reference=bank_reference,
        counterparty_account_number=customer.iban,
        category="sales",
    )
    b.expect.receivable_payments[credit["id"]] = reference
    if key == "kessler":
        b.expect.abbreviated_references[credit["id"]] = reference
        notice = render_remittance_notice(
            RemittanceNoticeSpec(
                payer=customer,
                beneficiary=b.org,
                amount=amount,
                currency="EUR",
                execution_date=paid,
                reference="inv 42",
                language="de",
                date_style="numeric",
                money_style="symbol",
                filename=f"Zahlungsavis_Kessler_{paid.isoformat()}.pdf",
            )
        )
        b.add_file(notice, paid)


def receivables_and_credits(b: ScenarioBuilder) -> list[dict[str, str]]:
    """Our customers' invoices and the credits that pay them: an exact reference, an
    abbreviated one ("inv 42"), a Belgian structured communication, an ISO 11649 RF reference,
    a partial payment and one still open."""
    rng = b.rng
    year = b.anchor.year
    customers = _customers(rng)
    structured = belgian_structured_reference(rng.randint(10**8, 10**10 - 1))
    plan = (
        # key, reference, issued days ago, term, paid days ago, bank reference, share paid
        ("verdier", f"INV-{year}-0041", 60, 30, 31, f"INV-{year}-0041 Maison Verdier", "1"),
        ("kessler", f"INV-{year}-0042", 40, 30, 6, "inv 42", "1"),
        ("delvaux", structured, 35, 30, 4, structured.strip("+").replace("/", ""), "1"),
        ("noorderlicht", f"INV-{year}-0044", 33, 30, 7, rf_reference(f"INV{year}0044"), "1"),
        ("okapi", f"INV-{year}-0045", 28, 30, 2, f"INV-{year}-0045 acompte", "0.5"),
        ("nordlicht", f"INV-{year}-0046", 5, 45, None, None, "0"),
    )
    receivables: list[dict[str, str]] = []
    for key, reference, issued_ago, term, paid_ago, bank_reference, share in plan:
        customer = customers[key]
        amount = draw_price(rng, 600, 4800, "10")
        issued = b.day(issued_ago)
        receivables.append(
            {
                "reference": reference,
                "customer_name": customer.name,
                "customer_iban": customer.iban or "",
                "amount": f"{amount:.2f}",
                "currency": "EUR",
                "issue_date": issued.isoformat(),
                "due_date": (issued + timedelta(days=term)).isoformat(),
            }
        )
        if paid_ago is not None:
            _paid(b, key, customer, reference, amount, b.day(paid_ago), bank_reference, share)
    return receivables


def account_noise(b: ScenarioBuilder) -> None:
    """Everything else on a small company's account: Qonto's subscription, rent, social
    contributions, cards, a card still pending, a declined one, Stripe payouts."""
    rng = b.rng
    landlord = payee(
        rng,
        "FR",
        name="SCI des Tilleuls",
        street="5 rue des Tilleuls",
        postcode="75011",
        city="Paris",
    )
    urssaf = payee(
        rng,
        "FR",
        name="URSSAF Ile-de-France",
        street="",
        postcode="",
        city="",
    )
    _monthly_movements(b, landlord, urssaf, draw_price(rng, 1800, 2600, "50"))
    _card_spending(b)


def _monthly_movements(b: ScenarioBuilder, landlord: Party, urssaf: Party, rent: Decimal) -> None:
    """Three months of Qonto's fee, the rent, the URSSAF direct debit and a Stripe payout."""
    rng = b.rng
    for days_ago in (86, 56, 26):
        day = b.day(days_ago)
        b.add_transaction(
            day=day,
            side="debit",
            operation_type="qonto_fee",
            amount=Decimal("49.00"),
            label="Qonto",
            reference=f"Abonnement Qonto {day:%m/%Y}",
            category="subscription",
            vat_amount=Decimal("8.17"),
            vat_rate=20.0,
        )
        b.pay(
            landlord, rent, day + timedelta(days=4), f"Loyer {day:%m/%Y}", category="office_rental"
        )
        b.pay(
            urssaf,
            draw_price(rng, 1200, 2900),
            day + timedelta(days=14),
            f"URSSAF {rng.randint(10**9, 10**10 - 1)}",
            operation_type="direct_debit",
            label="URSSAF ILE DE FRANCE",
            category="tax",
        )
        b.add_transaction(
            day=day + timedelta(days=9),
            side="credit",
            operation_type="income",
            amount=draw_price(rng, 900, 5200),
            label="STRIPE PAYMENTS EUROPE LTD",
            clean_counterparty_name="Stripe",
            reference=f"STRIPE PAYOUT po_{rng.getrandbits(60):015x}",
            counterparty_account_number=make_iban("GB", rng)[0],
            category="sales",
        )


def _card_spending(b: ScenarioBuilder) -> None:
    """Card payments: everyday ones, a USD one, one still pending and a declined one."""
    rng = b.rng
    cards = (
        ("SNCF CONNECT", "transport", 64, 148),
        ("SNCF CONNECT", "transport", 64, 148),
        ("LE PETIT ZINC", "restaurant_and_bar", 38, 96),
        ("AMAZON EU SARL", "office_supply", 19, 240),
        ("UBER *TRIP", "transport", 12, 48),
        ("BUREAU VALLEE PARIS 10", "office_supply", 9, 85),
    )
    for label, category, low, high in cards:
        b.card_payment(
            day=b.day(rng.randint(3, 80)),
            amount=draw_price(rng, low, high),
            label=label,
            category=category,
            settle_days=rng.randint(0, 2),
        )
    notion = draw_price(rng, 40, 96, "8")
    b.card_payment(
        day=b.day(47),
        amount=to_cents(notion / Decimal("1.08")),
        local_amount=notion,
        local_currency="USD",
        label="NOTION LABS, INC.",
        category="online_service",
        settle_days=1,
    )
    unsettled = (
        (1, "AIR FRANCE", "transport", 180, 420, "pending"),
        (15, "HETZNER ONLINE GMBH", "online_service", 30, 90, "declined"),
    )
    for days_ago, label, category, low, high, status in unsettled:
        b.card_payment(
            day=b.day(days_ago),
            amount=draw_price(rng, low, high),
            label=label,
            category=category,
            status=status,
        )
