"""The demo scenario `make run` loads into the sandbox: a French company's supplier paperwork
in its Dropbox and the matching history of its Qonto account.

Everything is derived from a seed and an anchor date, so tests can pin exact values; the
scenario's shape (who, which case) is fixed and only amounts and identifiers move with the seed.
"""

from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time
from typing import Any

from connectors.sandbox.documents.companies import aba_routing_number
from connectors.sandbox.documents.model import OtherSpec
from connectors.sandbox.documents.model import Party
from connectors.sandbox.documents.model import RenderedDocument
from connectors.sandbox.documents.qonto_objects import apply_settled_balances
from connectors.sandbox.documents.qonto_objects import qonto_bank_account
from connectors.sandbox.documents.render import render_other
from connectors.sandbox.documents.scenario_bank import account_noise
from connectors.sandbox.documents.scenario_bank import receivables_and_credits
from connectors.sandbox.documents.scenario_builder import ScenarioBuilder
from connectors.sandbox.documents.scenario_builder import ScenarioExpectations
from connectors.sandbox.documents.scenario_builder import vendor_party
from connectors.sandbox.documents.scenario_builder import with_registration
from connectors.sandbox.documents.scenario_suppliers import designer_invoices
from connectors.sandbox.documents.scenario_suppliers import events_invoice
from connectors.sandbox.documents.scenario_suppliers import hosting_invoices
from connectors.sandbox.documents.scenario_suppliers import hotel_invoices
from connectors.sandbox.documents.scenario_suppliers import paid_twice_by_batch
from connectors.sandbox.documents.scenario_suppliers import printer_invoices
from connectors.sandbox.documents.scenario_suppliers import saas_invoices
from connectors.sandbox.documents.scenario_suppliers import translator_invoices

DEFAULT_ANCHOR = date(2026, 11, 27)
RECEIVABLE_COLUMNS: tuple[str, ...] = (
    "reference",
    "customer_name",
    "customer_iban",
    "amount",
    "currency",
    "issue_date",
    "due_date",
)
_OPENING_BALANCE_CENTS = 4_250_000

_HOSTING_NAME = "Nuage Hébergement SAS"
# The suppliers but the US one (whose bank details are drawn after theirs), in draw order.
_VENDORS: tuple[tuple[str, dict[str, str]], ...] = (
    (
        "FR",
        {
            "name": _HOSTING_NAME,
            "street": "12 rue des Arts",
            "postcode": "59100",
            "city": "Roubaix",
            "domain": "nuage-hebergement.fr",
            "email": "facturation@nuage-hebergement.fr",
            "phone": "+33 3 20 45 18 00",
        },
    ),
    (
        "DE",
        {
            "name": "Hotel Spreeblick GmbH",
            "street": "Holzmarktstraße 19",
            "postcode": "10179",
            "city": "Berlin",
            "domain": "hotel-spreeblick.de",
            "email": "rechnung@hotel-spreeblick.de",
            "phone": "+49 30 2847 1100",
            "registration": "HRB 187342 B, Amtsgericht Charlottenburg",
        },
    ),
    (
        "NL",
        {
            "name": "Van Dijk Vertaalbureau B.V.",
            "street": "Oudegracht 214",
            "postcode": "3511 NS",
            "city": "Utrecht",
            "domain": "vandijk-vertalingen.nl",
            "email": "administratie@vandijk-vertalingen.nl",
            "registration": "KvK 30194822",
        },
    ),
    (
        "ES",
        {
            "name": "Estudio Lumbre S.L.",
            "street": "Calle de Colón 31",
            "postcode": "46004",
            "city": "Valencia",
            "domain": "estudiolumbre.es",
            "email": "facturas@estudiolumbre.es",
            "phone": "+34 963 52 11 09",
        },
    ),
    (
        "IT",
        {
            "name": "Tipografia Rossi S.r.l.",
            "street": "Via dell'Indipendenza 58",
            "postcode": "40121",
            "city": "Bologna",
            "domain": "tipografiarossi.it",
            "email": "amministrazione@tipografiarossi.it",
            "phone": "+39 051 23 84 77",
        },
    ),
    (
        "GB",
        {
            "name": "Brightline Events Ltd",
            "street": "88 Clerkenwell Road",
            "postcode": "EC1M 5RJ",
            "city": "London",
            "domain": "brightline-events.co.uk",
            "email": "accounts@brightline-events.co.uk",
            "registration": "Company no. 09876543",
        },
    ),
)
_SAAS = {
    "name": "Northwind Analytics Inc.",
    "street": "535 Mission Street",
    "postcode": "CA 94105",
    "city": "San Francisco",
    "domain": "northwind-analytics.com",
    "email": "billing@northwind-analytics.com",
    "registration": "EIN 94-3187265",
}


@dataclass
class DemoScenario:
    seed: int
    anchor: date
    organization: dict[str, Any]
    bank_accounts: list[dict[str, Any]]
    files: list[tuple[str, RenderedDocument]]
    transactions: list[dict[str, Any]]
    receivables: list[dict[str, str]]
    vendors: list[Party]
    expectations: ScenarioExpectations

    def receivables_csv(self) -> str:
        """The receivables as the CSV the admin import expects (header row, ISO dates,
        decimal point)."""
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=RECEIVABLE_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(self.receivables)
        return buffer.getvalue()

    def file(self, path: str) -> RenderedDocument:
        for candidate, document in self.files:
            if candidate == path:
                return document
        raise KeyError(path)


def build_demo_scenario(seed: int = 7, *, anchor: date = DEFAULT_ANCHOR) -> DemoScenario:
    """Render the demo paperwork and the Qonto history that goes with it.

    Seven vendors: a French host sending Factur-X (three monthly invoices paid by direct
    debit), a Berlin hotel (7 % and 19 % VAT, paid by card), a Dutch translator (reverse
    charge; two transfers with confirmations, one invoice also forwarded as "Fwd_", a
    near-duplicate debit to a similarly named company, and a third invoice paid twice when a
    payment batch was re-run: a possible double payment), a Spanish studio (a credit note and its
    refund), an Italian printer (a reminder for an invoice already paid), a London event
    company (GBP, confirmation with rate and EUR debited) and a US SaaS (USD card charges and a
    wire). Six receivables paid by an exact reference, "inv 42", a Belgian structured
    communication, an RF reference and a partial payment (one still open), a customer's
    remittance notice, a newsletter, and the usual noise of cards, fees, rent and payouts.
    """
    b = ScenarioBuilder(seed, anchor)
    vendors = _vendors(b.rng)
    hosting, hotel, translator, designer, printer, events, saas = vendors

    hosting_invoices(b, hosting)
    hotel_invoices(b, hotel)
    translator_first_number = translator_invoices(b, translator)
    designer_invoices(b, designer)
    printer_invoices(b, printer)
    events_invoice(b, events)
    saas_invoices(b, saas)
    receivables = receivables_and_credits(b)
    account_noise(b)
    paid_twice_by_batch(b, translator, translator_first_number)
    _newsletter(b, hosting)

    b.transactions.sort(key=lambda t: (t["emitted_at"], t["id"]))
    closing = apply_settled_balances(b.transactions, opening_cents=_OPENING_BALANCE_CENTS)
    pending_debits = sum(
        t["amount_cents"]
        for t in b.transactions
        if t["status"] == "pending" and t["side"] == "debit"
    )
    bank_accounts = _bank_accounts(b, closing, pending_debits)
    organization = _organization(b, bank_accounts)
    return DemoScenario(
        seed=seed,
        anchor=anchor,
        organization=organization,
        bank_accounts=bank_accounts,
        files=b.files,
        transactions=b.transactions,
        receivables=receivables,
        vendors=vendors,
        expectations=b.expect,
    )


def _newsletter(b: ScenarioBuilder, sender: Party) -> None:
    """The host's newsletter: paperwork that is nothing to pay."""
    spec = OtherSpec(
        kind="newsletter",
        sender=sender,
        recipient=b.org,
        issue_date=b.day(11),
        language="fr",
        filename="Newsletter_Nuage_novembre.pdf",
    )
    b.add_file(render_other(spec), b.day(11))


def _vendors(rng: random.Random) -> list[Party]:
    """The seven suppliers, drawn in a fixed order (their VAT ids and IBANs come from ``rng``)."""
    vendors = []
    for country, fields in _VENDORS:
        vendors.append(vendor_party(rng, country, **fields))
        if fields["name"] == _HOSTING_NAME:
            vendors[-1] = with_registration(vendors[-1], "Lille Métropole")
    account_number = f"{rng.randint(10**9, 10**10 - 1)}"
    vendors.append(
        vendor_party(
            rng,
            "US",
            **_SAAS,
            account_number=account_number,
            routing_number=aba_routing_number(rng),
        )
    )
    return vendors


def _bank_accounts(b: ScenarioBuilder, closing: int, pending_debits: int) -> list[dict[str, Any]]:
    org = b.org
    updated = datetime.combine(b.anchor, time(6, 0), tzinfo=UTC)
    return [
        qonto_bank_account(
            account_id=b.account_id,
            organization_id=b.organization_id,
            slug=f"{b.slug}-bank-account-1",
            name="Compte principal",
            iban=org.iban or "",
            bic=org.bic or "",
            balance_cents=closing,
            authorized_balance_cents=closing - pending_debits,
            updated_at=updated,
            main=True,
        ),
        qonto_bank_account(
            account_id=b.savings_id,
            organization_id=b.organization_id,
            slug=f"{b.slug}-bank-account-2",
            name="Réserve",
            iban=b.savings_iban,
            bic=org.bic or "",
            balance_cents=1_500_000,
            authorized_balance_cents=1_500_000,
            updated_at=updated,
            main=False,
        ),
    ]


def _organization(b: ScenarioBuilder, bank_accounts: list[dict[str, Any]]) -> dict[str, Any]:
    org = b.org
    return {
        "id": b.organization_id,
        "name": org.name,
        "slug": b.slug,
        "legal_name": org.name,
        "locale": "fr",
        "legal_share_capital": 10000,
        "legal_country": "FR",
        "legal_registration_date": "2019-03-14",
        "legal_form": "SAS",
        "legal_address": f"{org.street} {org.postcode} {org.city} FRANCE",
        "legal_sector": "7410Z",
        "contract_signed_at": "2019-04-02T10:12:45.000Z",
        "legal_number": (org.vat_id or "")[4:] + "00027",
        "bank_accounts": bank_accounts,
    }
