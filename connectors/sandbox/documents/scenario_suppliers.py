"""The supplier side of the demo: seven vendors' invoices, the debits that pay them and the
payment confirmations, with a forwarded duplicate, a reminder for a paid invoice, a credit
note and a near-duplicate debit."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date
from datetime import timedelta
from decimal import Decimal
from typing import Any

from connectors.sandbox.documents.labels import labels_for
from connectors.sandbox.documents.model import InvoiceSpec
from connectors.sandbox.documents.model import LineItem
from connectors.sandbox.documents.model import Party
from connectors.sandbox.documents.model import PaymentConfirmationSpec
from connectors.sandbox.documents.model import RenderedDocument
from connectors.sandbox.documents.model import to_cents
from connectors.sandbox.documents.render import render_invoice
from connectors.sandbox.documents.render import render_payment_confirmation
from connectors.sandbox.documents.scenario_builder import CARD_LAST_DIGITS
from connectors.sandbox.documents.scenario_builder import ScenarioBuilder
from connectors.sandbox.documents.scenario_builder import draw_price
from connectors.sandbox.documents.scenario_builder import invoice_spec
from connectors.sandbox.documents.scenario_builder import payee

# How the vendors with a history (history.py) print their invoices, old and new alike.
HOSTING_STYLE: dict[str, Any] = {
    "language": "fr",
    "layout": "centered",
    "date_style": "numeric",
    "embed_facturx": True,
    "customer_number": "C-20931",
}
TRANSLATOR_STYLE: dict[str, Any] = {
    "language": "nl",
    "layout": "seller_right",
    "date_style": "numeric",
    "money_style": "symbol",
    "tax_note": labels_for("nl")["reverse_charge"],
}
PRINTER_STYLE: dict[str, Any] = {
    "language": "it",
    "layout": "centered",
    "date_style": "numeric",
    "money_style": "symbol",
}
SAAS_STYLE: dict[str, Any] = {
    "currency": "USD",
    "language": "en",
    "layout": "saas",
    "date_style": "us_long",
}


def _usd_rate(rng: random.Random) -> Decimal:
    """Dollars per euro on a day of the demo."""
    return Decimal("1.05") + Decimal(rng.randint(0, 800)) / 10000


def confirm_payment(
    b: ScenarioBuilder, debit: dict[str, Any], paid: date, prefix: str, **fields: Any
) -> None:
    """The payer's confirmation of the transfer ``debit`` (its transfer id drawn now, after the
    debit), matched to it; ``fields`` are the rest of the PaymentConfirmationSpec."""
    transfer_id = f"{prefix}-{b.rng.getrandbits(40):010X}"
    confirmation = render_payment_confirmation(
        PaymentConfirmationSpec(payer=b.org, execution_date=paid, transfer_id=transfer_id, **fields)
    )
    b.expect.confirmation_matches[b.add_file(confirmation, paid)] = debit["id"]


# What Qonto charges for an international transfer, booked as a separate debit.
INTERNATIONAL_TRANSFER_FEE = Decimal("5.00")


def pay_invoice(
    b: ScenarioBuilder,
    vendor: Party,
    spec: InvoiceSpec,
    path: str,
    paid: date,
    *,
    category: str,
    reference: str | None = None,
    rate: Decimal | None = None,
    **confirmation: Any,
) -> dict[str, Any]:
    """Pay an invoice in full by transfer on ``paid`` and file the payer's confirmation
    (``confirmation``: its language and styles); ``reference`` (by default the invoice number)
    goes on both. With ``rate`` (invoice currency per euro) the transfer is international: Qonto
    books the EUR debited with the invoice currency as local currency, and the confirmation
    shows the amount sent, the rate, the EUR debited and the fee."""
    sent = spec.totals().total
    reference = reference or spec.invoice_number
    abroad: dict[str, Any] = {}
    if rate is None:
        debit = b.pay(vendor, sent, paid, reference, category=category)
    else:
        debited = to_cents(sent / rate)
        debit = b.pay(
            vendor,
            debited,
            paid,
            reference,
            local_amount=sent,
            local_currency=spec.currency,
            category=category,
        )
        abroad = {
            "layout": "table",
            "debited_amount": debited,
            "exchange_rate": rate,
            "fee": INTERNATIONAL_TRANSFER_FEE,
        }
    b.expect.invoice_payments[path] = debit["id"]
    confirm_payment(
        b,
        debit,
        paid,
        "TRF" if rate is None else "SWF",
        beneficiary=vendor,
        amount=sent,
        currency=spec.currency,
        reference=reference,
        **abroad,
        **confirmation,
    )
    return debit


def hosting_invoices(b: ScenarioBuilder, hosting: Party) -> None:
    """Monthly Factur-X invoices, paid by SEPA direct debit on the due date: three debits of
    the same amount to the same creditor."""
    rng = b.rng
    server = draw_price(rng, 149, 229, "10") - Decimal("0.10")
    backups = draw_price(rng, 3, 9, "0.10")
    first = rng.randint(4100, 4800)
    for month, days_ago in enumerate((87, 57, 26)):
        issued = b.day(days_ago)
        spec = invoice_spec(
            b,
            hosting,
            f"NH-{issued.year}-{first + month * 317:05d}",
            issued,
            issued + timedelta(days=10),
            (
                LineItem("Serveur dédié L - mensuel", Decimal(1), server, Decimal(20)),
                LineItem("Sauvegarde 500 Go", Decimal(2), backups, Decimal(20)),
            ),
            **HOSTING_STYLE,
        )
        document = render_invoice(spec)
        path = b.add_file(document, issued)
        debit = b.pay(
            hosting,
            spec.totals().total,
            spec.due_date or issued,
            spec.invoice_number,
            operation_type="direct_debit",
            label="NUAGE HEBERGEMENT",
            category="online_service",
            vat_amount=spec.totals().tax,
            vat_rate=20.0,
        )
        b.expect.invoice_payments[path] = debit["id"]


def hotel_invoices(b: ScenarioBuilder, hotel: Party) -> None:
    """Two stays with 7 % (room) and 19 % (breakfast, meeting room) VAT; the first is paid by
    card at checkout, the second is still open."""
    rng = b.rng
    first = rng.randint(20000, 29000)
    for index, days_ago in enumerate((50, 9)):
        issued = b.day(days_ago)
        nights = Decimal(rng.randint(2, 4))
        lines = (
            LineItem(
                "Übernachtung Einzelzimmer", nights, draw_price(rng, 109, 179, "1"), Decimal(7)
            ),
            LineItem("Frühstück", nights, Decimal("22.00"), Decimal(19)),
            LineItem(
                "Tagungsraum (ganztägig)", Decimal(1), draw_price(rng, 290, 590, "10"), Decimal(19)
            ),
        )
        spec = invoice_spec(
            b,
            hotel,
            f"RE-{issued.year}-{first + index * 2811}",
            issued,
            issued if index == 0 else issued + timedelta(days=14),
            lines,
            language="de",
            layout="din_letter",
            date_style="numeric",
            money_style="code",
            customer_number=f"K{rng.randint(10000, 99999)}",
        )
        path = b.add_file(render_invoice(spec), issued)
        if index == 0:
            card = b.pay(
                hotel,
                spec.totals().total,
                issued,
                None,
                operation_type="card",
                label="HOTEL SPREEBLICK BERLIN",
                category="hotel_and_lodging",
                card_last_digits=CARD_LAST_DIGITS,
                settle_days=2,
            )
            b.expect.invoice_payments[path] = card["id"]


def translator_lines(
    rng: random.Random, words: tuple[int, int] = (4, 18), edits: tuple[int, int] = (2, 6)
) -> tuple[LineItem, ...]:
    """What the translator bills: a translation (``words`` bounds its thousands of words, at a
    drawn rate) and hours of final editing (``edits`` bounds them)."""
    return (
        LineItem(
            "Vertaling NL-FR (per 1000 woorden)",
            Decimal(rng.randint(*words)),
            draw_price(rng, 85, 120, "5"),
            Decimal(0),
        ),
        LineItem("Eindredactie", Decimal(rng.randint(*edits)), Decimal("65.00"), Decimal(0)),
    )


def translator_invoices(b: ScenarioBuilder, translator: Party) -> int:
    """Reverse-charged invoices paid by transfer with confirmations; the first one is also
    forwarded by e-mail (a duplicate) and a removals company with a similar name is paid the
    same amount a day later (a near-duplicate debit). Returns the first one's number (the
    batch-paid invoice between them, `paid_twice_by_batch`, is numbered from it)."""
    rng = b.rng
    first = rng.randint(300, 450)
    for index, (days_ago, paid_ago) in enumerate(((44, 20), (16, 3))):
        issued = b.day(days_ago)
        lines = translator_lines(rng)
        spec = invoice_spec(
            b,
            translator,
            f"{issued.year}-{first + index * 27:04d}",
            issued,
            issued + timedelta(days=30),
            lines,
            **TRANSLATOR_STYLE,
        )
        document = render_invoice(spec)
        path = b.add_file(document, issued)
        paid = b.day(paid_ago)
        debit = pay_invoice(
            b,
            translator,
            spec,
            path,
            paid,
            category="other_service",
            language="fr" if index == 0 else "en",
            layout="table" if index == 0 else "letter",
            date_style="long" if index == 0 else "numeric",
        )
        if index == 0:
            _forwarded_copy_and_decoy(b, translator, spec, document, path, debit, paid)
    return first


def _forwarded_copy_and_decoy(
    b: ScenarioBuilder,
    translator: Party,
    spec: InvoiceSpec,
    document: RenderedDocument,
    path: str,
    debit: dict[str, Any],
    paid: date,
) -> None:
    """The invoice forwarded by e-mail two days later (a duplicate), and a removals company of
    a similar name paid the same amount the day after the true debit."""
    rng = b.rng
    issued = spec.issue_date
    total = spec.totals().total
    forwarded = replace(
        spec,
        forwarded_header=(
            "---------- Forwarded message ---------\n"
            f"From: {translator.email}  Date: {issued.isoformat()}\n"
            f"Subject: Fwd: Factuur {spec.invoice_number}"
        ),
        filename=f"Fwd_{document.filename}",
    )
    copy_day = issued + timedelta(days=2)
    b.expect.duplicates[b.add_file(render_invoice(forwarded), copy_day)] = path
    movers = payee(
        rng,
        "NL",
        name="Van Dijk Verhuizingen B.V.",
        street="Kanaalweg 4",
        postcode="3526 KM",
        city="Utrecht",
    )
    decoy = b.pay(
        movers,
        total,
        paid + timedelta(days=1),
        "Verhuizing kantoor 14-10",
        category="other_service",
    )
    b.expect.near_duplicate_debits[decoy["id"]] = debit["id"]


def paid_twice_by_batch(b: ScenarioBuilder, translator: Party, first_number: int) -> None:
    """A translation job invoiced between the two above, paid in a supplier payment batch
    (a transfer carrying its number, no confirmation) and paid again four days later when the
    batch was re-run: the same amount to the same IBAN with the same reference. The first debit
    pays it; the second is a possible double payment. Drawn last (after the account's noise),
    so every other figure of the scenario stays as it was."""
    rng = b.rng
    issued = b.day(31)
    spec = invoice_spec(
        b,
        translator,
        f"{issued.year}-{first_number + 13:04d}",
        issued,
        issued + timedelta(days=30),
        translator_lines(rng),
        **TRANSLATOR_STYLE,
    )
    path = b.add_file(render_invoice(spec), issued)
    total = spec.totals().total
    paid = b.day(12)
    first = b.pay(translator, total, paid, spec.invoice_number, category="other_service")
    again = b.pay(
        translator, total, paid + timedelta(days=4), spec.invoice_number, category="other_service"
    )
    b.expect.invoice_payments[path] = first["id"]
    b.expect.double_payments[again["id"]] = path


def designer_invoices(b: ScenarioBuilder, designer: Party) -> None:
    """Two invoices (one paid with a confirmation, one open) and a credit note on the first,
    refunded by an incoming transfer."""
    rng = b.rng
    first = rng.randint(30, 80)
    paths: list[str] = []
    specs: list[InvoiceSpec] = []
    for index, days_ago in enumerate((62, 12)):
        issued = b.day(days_ago)
        lines = (
            LineItem(
                "Diseño de identidad visual",
                Decimal(1),
                draw_price(rng, 900, 2400, "50"),
                Decimal(21),
            ),
            LineItem(
                "Horas de consultoría", Decimal(rng.randint(3, 12)), Decimal("75.00"), Decimal(21)
            ),
        )
        spec = invoice_spec(
            b,
            designer,
            f"FV{issued.year % 100}-{first + index * 19:04d}",
            issued,
            issued + timedelta(days=30),
            lines,
            language="es",
            layout="classic",
            date_style="numeric",
            money_style="symbol",
        )
        specs.append(spec)
        paths.append(b.add_file(render_invoice(spec), issued))
    pay_invoice(
        b,
        designer,
        specs[0],
        paths[0],
        b.day(33),
        category="marketing",
        language="es",
        layout="table",
        date_style="numeric",
    )
    _credit_note_and_refund(b, designer, specs[0], paths[0])


def _credit_note_and_refund(
    b: ScenarioBuilder, designer: Party, invoice: InvoiceSpec, invoice_path: str
) -> None:
    """A credit note of 10 % on the first line of ``invoice``, refunded by an incoming transfer."""
    rng = b.rng
    credited = b.day(30)
    discount = -to_cents(invoice.lines[0].unit_price * Decimal("0.10"))
    credit_spec = invoice_spec(
        b,
        designer,
        f"AB{credited.year % 100}-{rng.randint(3, 9):04d}",
        credited,
        None,
        (LineItem("Descuento por retraso en la entrega", Decimal(1), discount, Decimal(21)),),
        language="es",
        layout="classic",
        is_credit_note=True,
        credited_invoice_number=invoice.invoice_number,
    )
    credit_path = b.add_file(render_invoice(credit_spec), credited)
    b.expect.credit_notes[credit_path] = invoice_path
    refund = b.add_transaction(
        day=b.day(25),
        side="credit",
        operation_type="income",
        amount=-credit_spec.totals().total,
        label=designer.name.upper(),
        clean_counterparty_name=designer.name,
        reference=credit_spec.invoice_number,
        counterparty_account_number=designer.iban,
        counterparty_bank_identifier=designer.bic,
        category="refund",
    )
    b.expect.refunds[refund["id"]] = credit_path


def printer_invoices(b: ScenarioBuilder, printer: Party) -> None:
    """An invoice paid with a confirmation, then a reminder for that same invoice (a double
    payment request), and a second invoice still open."""
    rng = b.rng
    first = rng.randint(90, 140)
    specs: list[InvoiceSpec] = []
    for index, days_ago in enumerate((70, 21)):
        issued = b.day(days_ago)
        lines = (
            LineItem(
                "Stampa cataloghi A4, 32 pagine",
                Decimal(rng.choice((250, 500, 1000))),
                draw_price(rng, 1, 3, "0.05"),
                Decimal(22),
            ),
            LineItem(
                "Biglietti da visita", Decimal(rng.randint(2, 6)), Decimal("38.00"), Decimal(22)
            ),
        )
        specs.append(
            invoice_spec(
                b,
                printer,
                f"{first + index * 23}/{issued.year}",
                issued,
                issued + timedelta(days=30),
                lines,
                **PRINTER_STYLE,
            )
        )
    paths = [b.add_file(render_invoice(spec), spec.issue_date) for spec in specs]
    pay_invoice(
        b,
        printer,
        specs[0],
        paths[0],
        b.day(41),
        reference=f"Fattura {specs[0].invoice_number}",
        category="marketing",
        language="it",
        layout="letter",
        date_style="numeric",
    )
    reminder = replace(
        specs[0],
        is_reminder=True,
        filename=f"Sollecito_{specs[0].invoice_number.replace('/', '-')}.pdf",
    )
    reminder_path = b.add_file(render_invoice(reminder), b.day(8))
    b.expect.double_payment_requests[reminder_path] = paths[0]


def events_invoice(b: ScenarioBuilder, events: Party) -> None:
    """A GBP invoice paid by an international transfer: the confirmation shows the GBP sent,
    the rate and the EUR debited; Qonto books the EUR amount with GBP as local currency, and a
    separate transfer fee."""
    rng = b.rng
    issued = b.day(38)
    spec = _conference_passes(b, events, issued)
    path = b.add_file(render_invoice(spec), issued)
    paid = b.day(30)
    rate = Decimal("0.8") + Decimal(rng.randint(600, 900)) / 10000
    pay_invoice(
        b,
        events,
        spec,
        path,
        paid,
        rate=rate,
        category="marketing",
        language="en",
        date_style="long",
    )
    b.add_transaction(
        day=paid,
        side="debit",
        operation_type="qonto_fee",
        amount=INTERNATIONAL_TRANSFER_FEE,
        label="Qonto",
        reference="Frais de virement international",
        category="fees",
    )


def _conference_passes(b: ScenarioBuilder, events: Party, issued: date) -> InvoiceSpec:
    """The GBP invoice for two to four conference passes."""
    rng = b.rng
    passes = Decimal(rng.randint(2, 4))
    return invoice_spec(
        b,
        events,
        f"BL-INV-{rng.randint(2000, 2999)}",
        issued,
        issued + timedelta(days=14),
        (
            LineItem(
                "Fintech Forum London - conference pass",
                passes,
                draw_price(rng, 395, 695, "5"),
                Decimal(20),
            ),
        ),
        currency="GBP",
        language="en",
        layout="classic",
        date_style="long",
        money_style="symbol",
    )


def saas_invoices(b: ScenarioBuilder, saas: Party) -> None:
    """Two monthly USD plans charged on the card (local currency USD) and a one-off
    migration project paid by wire, with a French confirmation showing USD and EUR."""
    rng = b.rng
    first = rng.randint(1000, 9000)
    plan = Decimal(rng.choice(("290.00", "490.00", "690.00")))
    for index, days_ago in enumerate((85, 55)):
        _saas_card_plan(b, saas, f"INV-{first + index:06d}", b.day(days_ago), plan)
    _saas_migration(b, saas, f"INV-{first + 2:06d}")


def _saas_card_plan(
    b: ScenarioBuilder, saas: Party, number: str, issued: date, plan: Decimal
) -> None:
    """A monthly USD plan charged on the card the day it is invoiced."""
    rng = b.rng
    spec = invoice_spec(
        b,
        saas,
        number,
        issued,
        issued,
        (LineItem("Pro plan - monthly (5 seats)", Decimal(1), plan, Decimal(0)),),
        **SAAS_STYLE,
    )
    path = b.add_file(render_invoice(spec), issued)
    rate = _usd_rate(rng)
    card = b.pay(
        saas,
        to_cents(plan / rate),
        issued,
        None,
        operation_type="card",
        label="NORTHWIND ANALYTICS",
        local_amount=plan,
        local_currency="USD",
        category="online_service",
        card_last_digits=CARD_LAST_DIGITS,
        settle_days=1,
    )
    b.expect.invoice_payments[path] = card["id"]


def _saas_migration(b: ScenarioBuilder, saas: Party, number: str) -> None:
    """A one-off USD project paid by wire, with a French confirmation showing USD and EUR."""
    rng = b.rng
    issued = b.day(24)
    spec = invoice_spec(
        b,
        saas,
        number,
        issued,
        issued + timedelta(days=15),
        (
            LineItem(
                "Onboarding and data migration (fixed fee)",
                Decimal(1),
                draw_price(rng, 2400, 4800, "100"),
                Decimal(0),
            ),
        ),
        **SAAS_STYLE,
    )
    path = b.add_file(render_invoice(spec), issued)
    paid = b.day(13)
    rate = _usd_rate(rng)
    pay_invoice(
        b,
        saas,
        spec,
        path,
        paid,
        rate=rate,
        category="online_service",
        language="fr",
        date_style="numeric",
        money_style="code",
    )
