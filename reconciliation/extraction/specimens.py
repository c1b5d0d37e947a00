"""Small invoice and payment PDFs rendered from a spec with fpdf2, in six languages and three
layouts. The tests build their documents here, and the demo can use them; the engine never
imports this module.

The core PDF fonts only cover Latin-1, so amounts carry ISO codes ("EUR"), not "€".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

Language = Literal["en", "fr", "de", "nl", "es", "it"]
Layout = Literal["letterhead", "window", "grid"]
NumberStyle = Literal["dot", "comma", "space", "apostrophe"]
DateStyle = Literal["numeric", "month_name", "us", "iso"]

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "invoice": "INVOICE", "credit_note": "CREDIT NOTE", "number": "Invoice number",
        "date": "Invoice date", "due": "Due date", "bill_to": "Bill to", "seller": "Seller",
        "description": "Description", "qty": "Qty", "unit": "Unit price", "vat_rate": "VAT",
        "amount": "Amount", "net": "Subtotal", "tax": "VAT", "total": "Total amount due",
        "vat_id": "VAT number", "iban": "IBAN", "email": "Email", "customer_vat": "Customer VAT no",
        "payment": "Please pay by bank transfer to", "terms": "Payment within 30 days",
        "name": "Name", "page": "Page",
    },
    "fr": {
        "invoice": "FACTURE", "credit_note": "AVOIR", "number": "Facture n°",
        "date": "Date de facture", "due": "Date d'échéance", "bill_to": "Facturé à",
        "seller": "Fournisseur", "description": "Désignation", "qty": "Qté",
        "unit": "Prix unitaire HT", "vat_rate": "TVA", "amount": "Montant HT",
        "net": "Total HT", "tax": "Total TVA", "total": "Total TTC",
        "vat_id": "N° TVA intracommunautaire", "iban": "IBAN", "email": "Courriel",
        "customer_vat": "N° TVA client", "payment": "Règlement par virement sur le compte",
        "terms": "Paiement à 30 jours", "name": "Raison sociale", "page": "Page",
    },
    "de": {
        "invoice": "RECHNUNG", "credit_note": "GUTSCHRIFT", "number": "Rechnungsnummer",
        "date": "Rechnungsdatum", "due": "Fällig am", "bill_to": "Rechnungsempfänger",
        "seller": "Verkäufer", "description": "Bezeichnung", "qty": "Menge",
        "unit": "Einzelpreis", "vat_rate": "USt.", "amount": "Betrag",
        "net": "Summe netto", "tax": "Umsatzsteuer", "total": "Gesamtbetrag brutto",
        "vat_id": "USt-IdNr.", "iban": "IBAN", "email": "E-Mail", "customer_vat": "Ihre USt-IdNr.",
        "payment": "Bitte überweisen Sie den Betrag auf folgendes Konto",
        "terms": "Zahlbar innerhalb von 30 Tagen", "name": "Name", "page": "Seite",
    },
    "nl": {
        "invoice": "FACTUUR", "credit_note": "CREDITNOTA", "number": "Factuurnummer",
        "date": "Factuurdatum", "due": "Vervaldatum", "bill_to": "Factuuradres",
        "seller": "Leverancier", "description": "Omschrijving", "qty": "Aantal",
        "unit": "Stuksprijs", "vat_rate": "BTW", "amount": "Bedrag",
        "net": "Subtotaal", "tax": "BTW bedrag", "total": "Totaal te betalen",
        "vat_id": "BTW-nummer", "iban": "IBAN", "email": "E-mail", "customer_vat": "Uw BTW-nummer",
        "payment": "Gelieve te betalen op rekening", "terms": "Betaling binnen 30 dagen",
        "name": "Naam", "page": "Pagina",
    },
    "es": {
        "invoice": "FACTURA", "credit_note": "FACTURA RECTIFICATIVA", "number": "Número de factura",
        "date": "Fecha de factura", "due": "Fecha de vencimiento", "bill_to": "Facturar a",
        "seller": "Proveedor", "description": "Descripción", "qty": "Cantidad",
        "unit": "Precio unitario", "vat_rate": "IVA", "amount": "Importe",
        "net": "Base imponible", "tax": "Total IVA", "total": "Total factura",
        "vat_id": "NIF", "iban": "IBAN", "email": "Correo", "customer_vat": "NIF cliente",
        "payment": "Pago por transferencia a la cuenta", "terms": "Pago a 30 días",
        "name": "Razón social", "page": "Página",
    },
    "it": {
        "invoice": "FATTURA", "credit_note": "NOTA DI CREDITO", "number": "Numero fattura",
        "date": "Data fattura", "due": "Data di scadenza", "bill_to": "Spett.le",
        "seller": "Fornitore", "description": "Descrizione", "qty": "Quantità",
        "unit": "Prezzo unitario", "vat_rate": "IVA", "amount": "Importo",
        "net": "Imponibile", "tax": "Totale IVA", "total": "Totale fattura",
        "vat_id": "Partita IVA", "iban": "IBAN", "email": "E-mail", "customer_vat": "P.IVA cliente",
        "payment": "Pagamento tramite bonifico sul conto", "terms": "Pagamento a 30 giorni",
        "name": "Ragione sociale", "page": "Pagina",
    },
}  # fmt: skip

MONTHS: dict[str, list[str]] = {
    language: names.split()
    for language, names in {
        "en": "January February March April May June July August September October November "
        "December",
        "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre "
        "décembre",
        "de": "Januar Februar März April Mai Juni Juli August September Oktober November Dezember",
        "nl": "januari februari maart april mei juni juli augustus september oktober november "
        "december",
        "es": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre "
        "diciembre",
        "it": "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre "
        "novembre dicembre",
    }.items()
}


@dataclass
class Party:
    name: str
    street: str
    city: str
    vat_id: str | None = None
    iban: str | None = None
    email: str | None = None
    website: str | None = None


@dataclass
class InvoiceSpec:
    seller: Party
    buyer: Party
    number: str
    issue_date: date
    due_date: date | None
    lines: list[tuple[str, Decimal, Decimal, Decimal]]  # description, qty, unit price, VAT %
    currency: str = "EUR"
    language: Language = "en"
    layout: Layout = "letterhead"
    numbers: NumberStyle = "dot"
    dates: DateStyle = "numeric"
    kind: Literal["invoice", "credit_note"] = "invoice"
    notes: list[str] = field(default_factory=list)

    @property
    def net(self) -> Decimal:
        return sum((_cents(q * p) for _, q, p, _ in self.lines), Decimal("0.00"))

    @property
    def tax(self) -> Decimal:
        return sum((_cents(_cents(q * p) * r / 100) for _, q, p, r in self.lines), Decimal("0.00"))

    @property
    def total(self) -> Decimal:
        return self.net + self.tax


def _cents(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def format_amount(value: Decimal, style: NumberStyle) -> str:
    sign = "-" if value < 0 else ""
    whole, cents = f"{abs(_cents(value)):.2f}".split(".")
    groups: list[str] = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    thousands, mark = {
        "dot": (",", "."),
        "comma": (".", ","),
        "space": (" ", ","),
        "apostrophe": ("'", "."),
    }[style]
    return f"{sign}{thousands.join(groups)}{mark}{cents}"


def format_date(value: date, style: DateStyle, language: Language) -> str:
    if style == "iso":
        return value.isoformat()
    if style == "us":
        return f"{value.month:02d}/{value.day:02d}/{value.year}"
    if style == "month_name":
        month = MONTHS[language][value.month - 1]
        if language == "en":
            return f"{month} {value.day}, {value.year}"
        if language == "de":
            return f"{value.day}. {month} {value.year}"
        if language == "es":
            return f"{value.day} de {month} de {value.year}"
        return f"{value.day} {month} {value.year}"
    separator = {"de": ".", "nl": "-"}.get(language, "/")
    return f"{value.day:02d}{separator}{value.month:02d}{separator}{value.year}"


def render_invoice(spec: InvoiceSpec) -> bytes:
    from fpdf import FPDF

    words = LABELS[spec.language]
    pdf = FPDF(format="A4", unit="pt")
    pdf.set_auto_page_break(auto=False)
    pdf.add_page()

    def money(value: Decimal) -> str:
        return format_amount(value, spec.numbers)

    def when(value: date) -> str:
        return format_date(value, spec.dates, spec.language)

    title = words["credit_note" if spec.kind == "credit_note" else "invoice"]
    seller, buyer = spec.seller, spec.buyer

    def text(x: float, y: float, value: str, size: float = 9, style: str = "") -> None:
        pdf.set_font("helvetica", style=style, size=size)
        pdf.text(x, y, value)

    if spec.layout == "letterhead":
        text(40, 60, seller.name, 16, "B")
        text(40, 76, seller.street)
        text(40, 88, seller.city)
        text(380, 60, title, 18, "B")
        text(380, 84, f"{words['number']}: {spec.number}")
        text(380, 96, f"{words['date']}: {when(spec.issue_date)}")
        if spec.due_date:
            text(380, 108, f"{words['due']}: {when(spec.due_date)}")
        text(40, 150, f"{words['bill_to']}:", 9, "B")
        for i, row in enumerate((buyer.name, buyer.street, buyer.city)):
            text(40, 164 + 12 * i, row)
        if buyer.vat_id:
            text(40, 200, f"{words['customer_vat']}: {buyer.vat_id}")
    elif spec.layout == "window":
        text(40, 110, f"{seller.name} - {seller.street} - {seller.city}", 6.5)
        for i, row in enumerate((buyer.name, buyer.street, buyer.city)):
            text(40, 130 + 13 * i, row, 10)
        text(340, 120, words["number"], 9)
        text(460, 120, spec.number, 9)
        text(340, 133, words["date"], 9)
        text(460, 133, when(spec.issue_date), 9)
        if spec.due_date:
            text(340, 146, words["due"], 9)
            text(460, 146, when(spec.due_date), 9)
        text(40, 220, title, 16, "B")
    else:  # grid: headings with blocks, and a row of labels over a row of values
        text(40, 50, title, 18, "B")
        text(40, 90, f"{words['seller']}:", 9, "B")
        text(40, 104, f"{words['name']}: {seller.name}")
        text(40, 116, seller.street)
        text(40, 128, seller.city)
        if seller.vat_id:
            text(40, 140, f"{words['vat_id']}: {seller.vat_id}")
        text(320, 90, f"{words['bill_to']}:", 9, "B")
        for i, row in enumerate((buyer.name, buyer.street, buyer.city)):
            text(320, 104 + 12 * i, row)
        columns = [(40, words["number"], spec.number), (200, words["date"], when(spec.issue_date))]
        if spec.due_date:
            columns.append((360, words["due"], when(spec.due_date)))
        for x, label, value in columns:
            text(x, 180, label, 8, "B")
            text(x, 194, value)
    # Line items
    y = 250.0
    header = ((40, words["description"]), (260, words["qty"]), (310, words["unit"]),
              (410, words["vat_rate"] + " %"), (470, words["amount"]))  # fmt: skip
    for x, label in header:
        text(x, y, label, 8, "B")
    for description, quantity, price, rate in spec.lines:
        y += 16
        text(40, y, description)
        text(260, y, f"{quantity.normalize():f}")
        text(310, y, money(price))
        text(410, y, f"{rate.normalize():f} %")
        text(470, y, f"{money(_cents(quantity * price))} {spec.currency}")
    y += 34
    if spec.layout == "grid":
        for x, label, amount in (
            (300, words["net"], spec.net),
            (390, words["tax"], spec.tax),
            (470, words["total"], spec.total),
        ):
            text(x, y, label, 8, "B")
            text(x, y + 14, f"{money(amount)} {spec.currency}")
        y += 30
    else:
        rates = sorted({rate for *_, rate in spec.lines})
        text(330, y, words["net"])
        text(470, y, f"{money(spec.net)} {spec.currency}")
        for rate in rates:
            y += 13
            base = sum((_cents(q * p) for _, q, p, r in spec.lines if r == rate), Decimal(0))
            text(330, y, f"{words['tax']} {rate.normalize():f} %")
            text(470, y, f"{money(_cents(base * rate / 100))} {spec.currency}")
        y += 16
        text(330, y, words["total"], 10, "B")
        text(470, y, f"{money(spec.total)} {spec.currency}", 10, "B")
    y += 30
    for note in [words["terms"], *spec.notes]:
        text(40, y, note)
        y += 12
    if seller.iban:
        text(40, y + 6, f"{words['payment']}: {words['iban']} {_grouped(seller.iban)}")
    # Footer: the seller's legal details
    footer = [seller.name, f"{seller.street}, {seller.city}"]
    if seller.vat_id and spec.layout != "grid":
        footer.append(f"{words['vat_id']}: {seller.vat_id}")
    if seller.email:
        footer.append(f"{words['email']}: {seller.email}")
    if seller.website:
        footer.append(seller.website)
    text(40, 790, "  |  ".join(footer), 7)
    text(500, 815, f"{words['page']} 1/1", 7)
    return bytes(pdf.output())


def _grouped(iban: str) -> str:
    return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))


PAYMENT_LABELS: dict[str, dict[str, str]] = {
    "en": {"payment_confirmation": "Payment confirmation", "wire_notice": "Transfer confirmation",
           "amount": "Amount", "date": "Execution date", "beneficiary": "Beneficiary",
           "iban": "Beneficiary IBAN", "reference": "Reference", "ordering": "Ordering account"},
    "fr": {"payment_confirmation": "Confirmation de paiement", "wire_notice": "Avis de virement",
           "amount": "Montant", "date": "Date d'exécution", "beneficiary": "Bénéficiaire",
           "iban": "IBAN du bénéficiaire", "reference": "Référence", "ordering": "Compte débité"},
    "de": {"payment_confirmation": "Zahlungsbestätigung", "wire_notice": "Überweisungsbestätigung",
           "amount": "Betrag", "date": "Ausführungsdatum", "beneficiary": "Empfänger",
           "iban": "Empfänger-IBAN", "reference": "Verwendungszweck", "ordering": "Auftraggeber"},
    "nl": {"payment_confirmation": "Betalingsbevestiging", "wire_notice": "Overboeking uitgevoerd",
           "amount": "Bedrag", "date": "Uitvoeringsdatum", "beneficiary": "Begunstigde",
           "iban": "IBAN begunstigde", "reference": "Omschrijving", "ordering": "Opdrachtgever"},
    "es": {"payment_confirmation": "Confirmación de pago", "wire_notice": "Orden de transferencia",
           "amount": "Importe", "date": "Fecha de ejecución", "beneficiary": "Beneficiario",
           "iban": "IBAN del beneficiario", "reference": "Concepto", "ordering": "Ordenante"},
    "it": {"payment_confirmation": "Conferma di pagamento", "wire_notice": "Contabile bonifico",
           "amount": "Importo", "date": "Data esecuzione", "beneficiary": "Beneficiario",
           "iban": "IBAN beneficiario", "reference": "Causale", "ordering": "Ordinante"},
}  # fmt: skip


@dataclass
class PaymentSpec:
    amount: Decimal
    execution_date: date
    beneficiary_name: str
    beneficiary_iban: str
    reference: str
    ordering_name: str = "Acme Trading SAS"
    ordering_iban: str = "FR7630006000011234567890189"
    currency: str = "EUR"
    language: Language = "en"
    kind: Literal["payment_confirmation", "wire_notice"] = "payment_confirmation"
    numbers: NumberStyle = "dot"
    dates: DateStyle = "numeric"


def render_payment(spec: PaymentSpec) -> bytes:
    from fpdf import FPDF

    words = PAYMENT_LABELS[spec.language]
    pdf = FPDF(format="A4", unit="pt")
    pdf.set_auto_page_break(auto=False)
    pdf.add_page()
    pdf.set_font("helvetica", size=8)
    pdf.text(40, 40, "Example Bank - Online banking")
    pdf.set_font("helvetica", style="B", size=16)
    pdf.text(40, 80, words[spec.kind])
    rows = (
        (words["ordering"], f"{spec.ordering_name} - {_grouped(spec.ordering_iban)}"),
        (words["beneficiary"], spec.beneficiary_name),
        (words["iban"], _grouped(spec.beneficiary_iban)),
        (words["amount"], f"{format_amount(spec.amount, spec.numbers)} {spec.currency}"),
        (words["date"], format_date(spec.execution_date, spec.dates, spec.language)),
        (words["reference"], spec.reference),
    )
    pdf.set_font("helvetica", size=10)
    for i, (label, value) in enumerate(rows):
        pdf.text(40, 130 + 18 * i, f"{label}:")
        pdf.text(200, 130 + 18 * i, value)
    return bytes(pdf.output())


#: One piece of text on a page: x, y (points from the top), text, font size, bold.
Placed = tuple[float, float, str, float, bool]


def render_text(pages: list[list[Placed]]) -> bytes:
    """A PDF with text placed exactly where given, for layouts the templates do not cover."""
    from fpdf import FPDF

    pdf = FPDF(format="A4", unit="pt")
    pdf.set_auto_page_break(auto=False)
    for items in pages:
        pdf.add_page()
        for x, y, value, size, bold in items:
            pdf.set_font("helvetica", style="B" if bold else "", size=size)
            pdf.text(x, y, value)
    return bytes(pdf.output())


def lines_at(
    rows: list[str | tuple[str, ...]], *, size: float = 10, top: float = 60
) -> list[Placed]:
    """Rows of text from the top of the page; a tuple spreads its cells over fixed columns."""
    placed: list[Placed] = []
    for index, row in enumerate(rows):
        y = top + index * (size * 1.6)
        cells = (row,) if isinstance(row, str) else row
        for column, cell in enumerate(cells):
            if cell:
                placed.append((40 + column * 130, y, cell, size, False))
    return placed
