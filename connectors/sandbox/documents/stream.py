"""A stream of invoices from one vendor, for the routing and per-vendor learning benchmark:
the same layout every time, with moving values and a slight position jitter."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date
from datetime import timedelta
from decimal import Decimal

from connectors.sandbox.documents.companies import VendorProfile
from connectors.sandbox.documents.companies import random_vendor_profile
from connectors.sandbox.documents.identifiers import belgian_structured_reference
from connectors.sandbox.documents.identifiers import make_vat_id
from connectors.sandbox.documents.identifiers import rf_reference
from connectors.sandbox.documents.labels import labels_for
from connectors.sandbox.documents.model import InvoiceSpec
from connectors.sandbox.documents.model import LineItem
from connectors.sandbox.documents.model import Party
from connectors.sandbox.documents.model import RenderedDocument
from connectors.sandbox.documents.render import render_invoice

STREAM_BUYER = Party(
    name="Atelier Lumen SAS",
    street="42 rue de Paradis",
    postcode="75010",
    city="Paris",
    country="FR",
    vat_id=make_vat_id("FR", random.Random(0)),  # synthetic, so no real company is named
)
_STREAM_ANCHOR = date(2026, 11, 27)


def vendor_profile(vendor_seed: int) -> VendorProfile:
    """The vendor `generate_vendor_stream(vendor_seed, ...)` bills as."""
    return random_vendor_profile(random.Random(vendor_seed))


def generate_vendor_stream(
    vendor_seed: int,
    n: int,
    *,
    layout_jitter: bool = True,
    anchor: date = _STREAM_ANCHOR,
) -> Iterator[RenderedDocument]:
    """`n` invoices of one vendor, oldest first. The first k invoices of a stream do not
    depend on `n`, so a shorter stream is a prefix of a longer one. With `layout_jitter`, every
    block moves by up to 2.5 mm from one invoice to the next."""
    rng = random.Random(vendor_seed)
    profile = random_vendor_profile(rng)
    words = labels_for(profile.language)
    cadence = rng.choice((7, 14, 30, 30, 30))
    issued = anchor - timedelta(days=730)
    sequence = 0
    structured = profile.party.country in {"NL", "BE"} and rng.random() < 0.5
    for _ in range(n):
        issued += timedelta(days=cadence + rng.randint(-3, 3))
        sequence += rng.randint(1, 25)
        count = rng.randint(1, min(4, len(profile.products)))
        lines = []
        for description, low, high, reduced in rng.sample(profile.products, count):
            quantity = Decimal(rng.choice((1, 1, 1, 2, 3, 5, 10)))
            price = Decimal(rng.randint(low * 100, high * 100)) / 100
            rate = profile.reduced_rate if reduced else profile.standard_rate
            lines.append(LineItem(description, quantity, price, rate))
        number = profile.invoice_number(sequence, issued.year)
        reference = None
        if structured:
            base = int("".join(c for c in number if c.isdigit())[-10:] or "1")
            reference = (
                belgian_structured_reference(max(base, 1))
                if profile.party.country == "BE"
                else rf_reference(number)
            )
        offset = (0.0, 0.0)
        if layout_jitter:
            offset = (round(rng.uniform(-2.5, 2.5), 2), round(rng.uniform(-2.5, 2.5), 2))
        due = issued + timedelta(days=profile.payment_days)
        yield render_invoice(
            InvoiceSpec(
                supplier=profile.party,
                buyer=STREAM_BUYER,
                invoice_number=number,
                issue_date=issued,
                due_date=due,
                currency=profile.currency,
                lines=tuple(lines),
                language=profile.language,
                layout=profile.layout,
                money_style=profile.money_style,
                date_style=profile.date_style,
                payment_reference=reference,
                tax_note=words["reverse_charge"] if profile.reverse_charge else None,
                embed_facturx=profile.embed_facturx,
                offset_mm=offset,
            )
        )
