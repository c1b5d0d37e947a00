"""A reproducible set of invoices on layouts the demo never uses, with their ground truth,
for the "unseen layouts" benchmark: random sellers from seven countries in six languages,
billed to a buyer whose VAT id and e-mail are on the page too."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from datetime import timedelta
from decimal import Decimal

from connectors.sandbox.documents.companies import CURRENCY_OF
from connectors.sandbox.documents.companies import LANGUAGE_OF
from connectors.sandbox.documents.companies import STANDARD_RATE
from connectors.sandbox.documents.companies import random_company
from connectors.sandbox.documents.companies import random_vendor_profile
from connectors.sandbox.documents.model import UNSEEN_LAYOUTS
from connectors.sandbox.documents.model import InvoiceSpec
from connectors.sandbox.documents.model import LineItem
from connectors.sandbox.documents.model import Party
from connectors.sandbox.documents.model import RenderedDocument
from connectors.sandbox.documents.render import render_invoice

_COUNTRIES = ("FR", "DE", "NL", "ES", "IT", "GB", "BE")


def unseen_invoice_spec(rng: random.Random, index: int, buyer: Party) -> InvoiceSpec:
    """One invoice of the set: layout by turn, everything else drawn from ``rng``."""
    country = rng.choice(_COUNTRIES)
    language = LANGUAGE_OF[country]
    if country == "BE" and rng.random() < 0.5:
        language = "nl"
    profile = random_vendor_profile(rng, country=country)
    supplier = profile.party
    if rng.random() < 0.25:
        # Sole traders and brands print a name without a legal form ("Au bon moulin").
        supplier = replace(supplier, name=supplier.name.rsplit(" ", 1)[0])
    issued = date(2025, 1, 6) + timedelta(days=rng.randint(0, 600))
    lines = tuple(
        LineItem(description, Decimal(rng.choice((1, 2, 3, 10))), Decimal(price) / 100, rate)
        for description, low, high, reduced in rng.sample(profile.products, 2)
        for price, rate in [
            (
                rng.randint(low * 100, high * 100),
                profile.reduced_rate if reduced else STANDARD_RATE[country],
            )
        ]
    )
    month_start = (issued.replace(day=1) - timedelta(days=1)).replace(day=1)
    layout = UNSEEN_LAYOUTS[index % len(UNSEEN_LAYOUTS)]
    foreign = country != "FR"
    return InvoiceSpec(
        supplier=supplier,
        buyer=buyer,
        invoice_number=profile.invoice_number(rng.randint(1, 400), issued.year),
        issue_date=issued,
        due_date=issued + timedelta(days=rng.choice((14, 30, 45))) if rng.random() < 0.8 else None,
        currency=CURRENCY_OF.get(country, "EUR"),
        lines=lines,
        language=language,
        layout=layout,
        money_style=rng.choice(("symbol", "code")),
        date_style=rng.choice(("numeric", "numeric", "long")),
        delivery_date=issued - timedelta(days=rng.randint(1, 20)) if rng.random() < 0.5 else None,
        service_period=(
            (month_start, issued.replace(day=1) - timedelta(days=1)) if rng.random() < 0.4 else None
        ),
        order_date=issued - timedelta(days=rng.randint(20, 60)) if rng.random() < 0.3 else None,
        generic_date_label=rng.random() < 0.3,
        tax_representative=(
            random_company(rng, "FR", banking=True) if foreign and rng.random() < 0.3 else None
        ),
        buyer_heading=rng.random() < 0.6,
        seller_heading=rng.random() < 0.6,
        heading_variant=rng.randint(0, 3),
        ship_to=rng.random() < 0.3,
        bank_first=rng.random() < 0.5,
        offset_mm=(round(rng.uniform(-3, 3), 2), round(rng.uniform(-3, 3), 2)),
        filename=f"unseen-{index:03d}-{layout}-{language}.pdf",
    )


def unseen_buyer(rng: random.Random) -> Party:
    """Our own company as the sellers print it: VAT id and an accounting e-mail."""
    company = random_company(rng, rng.choice(("FR", "FR", "DE", "BE")))
    return replace(company, email=f"compta@{company.domain}", iban=None, bic=None)


def generate_unseen_invoices(n: int, *, seed: int = 14) -> Iterator[RenderedDocument]:
    """``n`` invoices, the layouts in turn; the truth leaves out what the page does not show
    (a seller without a printed domain has no domain to find)."""
    rng = random.Random(seed)
    buyers = [unseen_buyer(rng) for _ in range(3)]
    for index in range(n):
        spec = unseen_invoice_spec(rng, index, rng.choice(buyers))
        document = render_invoice(spec)
        truth = {
            name: (value if name in document.printed else None)
            for name, value in document.truth.items()
        }
        extra = {**document.extra, "buyer_name": spec.buyer.name}
        yield replace(document, truth=truth, extra=extra)
