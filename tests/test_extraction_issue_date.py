"""The issue date: a date under an invoice-date label wins over order, delivery, service
period and due dates, in six languages and whatever the layout."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from connectors.sandbox.documents.placed import Placed
from connectors.sandbox.documents.placed import render_text
from tests.documents import LANGUAGES
from tests.documents import invoice_spec
from tests.documents import read
from tests.documents import read_invoice

OTHER_DATES = {
    "delivery_date": date(2024, 3, 2),
    "service_period": (date(2024, 2, 1), date(2024, 2, 29)),
    "order_date": date(2024, 1, 20),
}


@pytest.mark.parametrize("layout", ["buyer_first", "seller_footer", "party_columns"])
@pytest.mark.parametrize("language", LANGUAGES)
def test_a_labelled_invoice_date_beats_delivery_order_and_period_dates(
    tmp_path: Path, language: str, layout: str
) -> None:
    spec = invoice_spec(language, layout, **OTHER_DATES)
    extraction, _ = read_invoice(tmp_path, spec)
    assert extraction.value("issue_date") == date(2024, 3, 14)


@pytest.mark.parametrize(
    ("delivery", "invoice"),
    [
        ("Delivery date: 02/03/2024", "Invoice date: 14/03/2024"),
        ("Date de livraison : 02/03/2024", "Date de facture : 14/03/2024"),
        ("Lieferdatum: 02.03.2024", "Rechnungsdatum: 14.03.2024"),
        ("Leverdatum: 02-03-2024", "Factuurdatum: 14-03-2024"),
        ("Fecha de entrega: 02/03/2024", "Fecha de factura: 14/03/2024"),
        ("Data di consegna: 02/03/2024", "Data fattura: 14/03/2024"),
    ],
)
def test_a_delivery_date_printed_first_is_not_the_issue_date(
    tmp_path: Path, delivery: str, invoice: str
) -> None:
    items: list[Placed] = [
        (40, 50, "Northgate Print Ltd", 14, True),
        (330, 60, delivery, 9, False),
        (330, 72, invoice, 9, False),
        (40, 300, "Total 1,200.00 EUR", 10, True),
    ]
    extraction = read(tmp_path, render_text([items]))
    assert extraction.value("issue_date") == date(2024, 3, 14)


def test_a_generic_date_label_loses_to_nothing_but_is_not_the_delivery_date(
    tmp_path: Path,
) -> None:
    spec = invoice_spec(
        "de", "buyer_first", generic_date_label=True, delivery_date=date(2024, 3, 2)
    )
    extraction, _ = read_invoice(tmp_path, spec)
    assert extraction.value("issue_date") == date(2024, 3, 14)


@pytest.mark.parametrize(
    ("period", "generic"),
    [
        ("Service period: 01/02/2024 - 29/02/2024", "Date: 14/03/2024"),
        ("Période : 01/02/2024 - 29/02/2024", "Date : 14/03/2024"),
        ("Leistungszeitraum: 01.02.2024 - 29.02.2024", "Datum: 14.03.2024"),
        ("Periode: 01-02-2024 - 29-02-2024", "Datum: 14-03-2024"),
        ("Periodo: 01/02/2024 - 29/02/2024", "Fecha: 14/03/2024"),
        ("Periodo: 01/02/2024 - 29/02/2024", "Data: 14/03/2024"),
    ],
)
def test_a_bare_date_label_beats_a_service_period(
    tmp_path: Path, period: str, generic: str
) -> None:
    items: list[Placed] = [
        (40, 50, "Northgate Print Ltd", 14, True),
        (330, 60, period, 9, False),
        (330, 72, generic, 9, False),
        (40, 300, "Total 1,200.00 EUR", 10, True),
    ]
    extraction = read(tmp_path, render_text([items]))
    assert extraction.value("issue_date") == date(2024, 3, 14)


# A row of labels over a row of values, twice: the bare "Date" stands beside the due date.
ROW_LABELS = {
    "en": (("Order date", "Service period", "Delivery date"), ("Invoice no.", "Date", "Due date")),
    "fr": (
        ("Date de commande", "Période", "Date de livraison"),
        ("Facture n°", "Date", "Date d'échéance"),
    ),
    "de": (
        ("Bestelldatum", "Leistungszeitraum", "Lieferdatum"),
        ("Rechnungsnr.", "Datum", "Fälligkeitsdatum"),
    ),
    "nl": (("Besteldatum", "Periode", "Leverdatum"), ("Factuurnr.", "Datum", "Vervaldatum")),
    "es": (
        ("Fecha de pedido", "Periodo", "Fecha de entrega"),
        ("Factura n.º", "Fecha", "Fecha de vencimiento"),
    ),
    "it": (
        ("Data ordine", "Periodo", "Data di consegna"),
        ("Fattura n.", "Data", "Data di scadenza"),
    ),
}
ROW_VALUES = (
    ("26/12/2025", "01/01/2026 - 31/01/2026", "11/02/2026"),
    ("694/2026", "14/02/2026", "31/03/2026"),
)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_bare_date_label_beside_the_due_date_in_a_row_table(
    tmp_path: Path, language: str
) -> None:
    items: list[Placed] = [(62, 60, "Northgate Print Ltd", 14, True)]
    rows = zip(ROW_LABELS[language], ROW_VALUES, (235, 278), strict=True)
    for labels, values, top in rows:
        for x, label, value in zip((62, 223, 384), labels, values, strict=True):
            items.append((x, top, label, 7, False))
            items.append((x, top + 15, value, 8, True))
    items.append((62, 400, "Total 1,200.00 EUR", 10, True))
    extraction = read(tmp_path, render_text([items]))
    assert extraction.value("issue_date") == date(2026, 2, 14)
