"""Five visibly different supplier-invoice layouts drawn on a `Page`.

Each layout prints every field of the spec and records the exact string it printed in
`printed`, so tests can check that the ground truth really is on the page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from decimal import Decimal

from connectors.sandbox.documents.canvas import BLACK
from connectors.sandbox.documents.canvas import GREY
from connectors.sandbox.documents.canvas import LEFT
from connectors.sandbox.documents.canvas import LIGHT
from connectors.sandbox.documents.canvas import PAGE_WIDTH
from connectors.sandbox.documents.canvas import RED
from connectors.sandbox.documents.canvas import RIGHT
from connectors.sandbox.documents.canvas import WHITE
from connectors.sandbox.documents.canvas import Color
from connectors.sandbox.documents.canvas import Page
from connectors.sandbox.documents.formatting import city_line
from connectors.sandbox.documents.formatting import country_name
from connectors.sandbox.documents.formatting import currency_mark
from connectors.sandbox.documents.formatting import format_date
from connectors.sandbox.documents.formatting import format_iban
from connectors.sandbox.documents.formatting import format_money
from connectors.sandbox.documents.formatting import format_number
from connectors.sandbox.documents.formatting import format_percent
from connectors.sandbox.documents.formatting import format_vat_id
from connectors.sandbox.documents.identifiers import format_rf_reference
from connectors.sandbox.documents.model import InvoiceSpec
from connectors.sandbox.documents.model import InvoiceTotals
from connectors.sandbox.documents.model import Party


@dataclass
class InvoiceDraw:
    spec: InvoiceSpec
    totals: InvoiceTotals
    words: dict[str, str]
    page: Page
    accent: Color
    printed: dict[str, str] = field(default_factory=dict)

    def money(self, value: Decimal) -> str:
        spec = self.spec
        return format_money(value, spec.currency, spec.language, spec.money_style)

    def day(self, value: date) -> str:
        return format_date(value, self.spec.language, self.spec.date_style)

    @property
    def title(self) -> str:
        if self.spec.is_credit_note:
            return self.words["credit_note"]
        if self.spec.is_reminder:
            return self.words["reminder"]
        return self.words["invoice"]

    @property
    def number_label(self) -> str:
        key = "credit_note_number" if self.spec.is_credit_note else "invoice_number"
        return self.words[key]

    def colon(self, label: str) -> str:
        # French typography puts a space before the colon.
        return f"{label} :" if self.spec.language == "fr" else f"{label}:"

    def vat_id(self, *, spaced: bool = False) -> str | None:
        vat_id = self.spec.supplier.vat_id
        if vat_id is None:
            return None
        text = format_vat_id(vat_id, spaced)
        self.printed["supplier_vat_id"] = text
        return text

    def iban(self) -> str | None:
        iban = self.spec.supplier.iban
        if iban is None:
            return None
        text = format_iban(iban)
        self.printed["supplier_iban"] = text
        return text

    def website(self) -> str | None:
        domain = self.spec.supplier.domain
        if domain is None:
            return None
        self.printed["supplier_domain"] = domain
        return f"www.{domain}"

    def email(self) -> str | None:
        email = self.spec.supplier.email
        if email and self.spec.supplier.domain and email.endswith("@" + self.spec.supplier.domain):
            self.printed["supplier_domain"] = self.spec.supplier.domain
        return email

    def meta(self) -> list[tuple[str, str]]:
        """(label, value) rows for number, dates and customer number; records them."""
        spec = self.spec
        self.printed["invoice_number"] = spec.invoice_number
        rows = [(self.number_label, spec.invoice_number)]
        issued = self.day(spec.issue_date)
        self.printed["issue_date"] = issued
        rows.append((self.words["issue_date"], issued))
        if spec.due_date is not None:
            due = self.day(spec.due_date)
            self.printed["due_date"] = due
            rows.append((self.words["due_date"], due))
        if spec.customer_number:
            rows.append((self.words["customer_number"], spec.customer_number))
        return rows

    def total_rows(self) -> list[tuple[str, str, bool]]:
        totals = self.totals
        rows = [(self.words["net_total"], self.money(totals.net), False)]
        for tax_line in totals.taxes:
            rate = format_percent(tax_line.rate, self.spec.language)
            rows.append((f"{self.words['vat']} {rate}", self.money(tax_line.tax), False))
        tax = self.money(totals.tax)
        if len(totals.taxes) > 1:
            rows.append((self.words["vat_total"], tax, False))
        total = self.money(totals.total)
        label = self.words["total"] if self.spec.is_credit_note else self.words["amount_due"]
        rows.append((label, total, True))
        self.printed["tax_amount"] = tax
        self.printed["total_amount"] = total
        self.printed["currency"] = currency_mark(self.spec.currency, self.spec.money_style)
        return rows


def _address_lines(party: Party, language: str, *, with_country: bool) -> list[str]:
    lines = [party.street, city_line(party)]
    if with_country:
        lines.append(country_name(party.country, language))
    return lines


def _quantity(value: Decimal, language: str) -> str:
    places = 0 if value == value.to_integral_value() else 2
    return format_number(value, language, places=places)


def draw_items(
    draw: InvoiceDraw, y: float, *, header_fill: Color, header_text: Color, size: float = 8.5
) -> float:
    """The line-items table; returns the y below it."""
    page, words, language = draw.page, draw.words, draw.spec.language
    columns = (
        (LEFT + 2, "L", words["description"]),
        (122.0, "R", words["quantity"]),
        (150.0, "R", words["unit_price"]),
        (164.0, "R", words["vat_rate"]),
        (RIGHT - 2, "R", words["line_total"]),
    )
    page.box(LEFT, y, RIGHT - LEFT, 7, fill=header_fill)
    for x, align, label in columns:
        page.text(x, y + 4.8, label, size=size, bold=True, align=align, color=header_text)
    y += 7
    for item in draw.spec.lines:
        y += 6
        values = (
            item.description,
            _quantity(item.quantity, language),
            format_number(item.unit_price, language),
            format_percent(item.tax_rate, language),
            format_number(item.net, language),
        )
        for (x, align, _), value in zip(columns, values, strict=True):
            page.text(x, y - 1.6, value, size=size, align=align)
        page.line(LEFT, y + 0.4, RIGHT, y + 0.4, color=LIGHT)
    return y + 6


def draw_total_table(draw: InvoiceDraw, y: float, *, label_x: float, boxed: bool) -> float:
    page = draw.page
    rows = draw.total_rows()
    for index, (label, value, strong) in enumerate(rows):
        y += 5.5
        if strong:
            if boxed:
                page.box(label_x - 2, y - 4.2, RIGHT - label_x + 2, 6.4, fill=draw.accent)
                color = WHITE
            else:
                page.line(label_x, y - 4.3, RIGHT, y - 4.3, color=BLACK, width=0.4)
                color = BLACK
            page.text(label_x, y, label, bold=True, size=10, color=color)
            page.text(RIGHT - 1, y, value, bold=True, size=10, align="R", color=color)
        else:
            page.text(label_x, y, label)
            page.text(RIGHT - 1, y, value, align="R")
        if index == len(rows) - 1:
            y += 2
    return y + 4


def draw_notes(draw: InvoiceDraw, x: float, y: float, width: float) -> float:
    spec, words, page = draw.spec, draw.words, draw.page
    if spec.is_credit_note and spec.credited_invoice_number:
        note = words["credited_invoice"].format(number=spec.credited_invoice_number)
        y = page.paragraph(x, y, note, width=width, bold=True)
    if spec.is_reminder:
        note = words["reminder_text"].format(
            number=spec.invoice_number, date=draw.day(spec.issue_date)
        )
        y = page.paragraph(x, y, note, width=width, bold=True, color=RED)
    return y


def draw_payment(draw: InvoiceDraw, x: float, y: float, width: float) -> float:
    """Payment instructions: the sentence, bank details and structured reference."""
    spec, words, page = draw.spec, draw.words, draw.page
    supplier = spec.supplier
    if spec.due_date is not None and not spec.is_credit_note:
        sentence = words["pay_by"].format(
            amount=draw.money(draw.totals.total), due=draw.day(spec.due_date)
        )
        y = page.paragraph(x, y, sentence, width=width) + 1
    rows: list[tuple[str, str]] = []
    iban = draw.iban()
    if iban:
        rows.append((words["iban"], iban))
    rows += supplier.labelled(words, ("bic", "account_number", "routing_number"))
    if spec.payment_reference:
        reference = spec.payment_reference
        if reference.startswith("RF"):
            reference = format_rf_reference(reference)
        rows.append((words["pay_reference"], reference))
    for label, value in rows:
        page.text(x, y, draw.colon(label), color=GREY)
        page.text(x + 42, y, value, bold=label == words["iban"])
        y += 4.6
    return y


def draw_forwarded(draw: InvoiceDraw) -> None:
    header = draw.spec.forwarded_header
    if not header:
        return
    for offset, line in enumerate(header.split("\n")):
        draw.page.text(LEFT - 8, 7 + offset * 3.6, line, size=7, color=GREY, font="courier")


def _buyer(draw: InvoiceDraw, x: float, y: float, *, label: bool = True) -> float:
    spec, page = draw.spec, draw.page
    if label:
        page.text(x, y, draw.words["bill_to"].upper(), size=7.5, bold=True, color=GREY)
        y += 5
    page.text(x, y, spec.buyer.name, bold=True, size=10)
    foreign = spec.buyer.country != spec.supplier.country
    for line in _address_lines(spec.buyer, spec.language, with_country=foreign):
        y += 4.5
        page.text(x, y, line)
    if spec.buyer.vat_id:
        y += 4.5
        page.text(x, y, f"{draw.colon(draw.words['vat_id'])} {spec.buyer.vat_id}")
    return y


def _supplier_name(draw: InvoiceDraw) -> str:
    draw.printed["supplier_name"] = draw.spec.supplier.name
    return draw.spec.supplier.name


def layout_classic(draw: InvoiceDraw) -> None:
    """Letterhead top-left, title and meta top-right, totals table, one-line footer."""
    spec, page, words = draw.spec, draw.page, draw.words
    supplier = spec.supplier
    page.text(LEFT, 24, _supplier_name(draw), size=16, bold=True, color=draw.accent)
    y = 24.0
    for line in _address_lines(supplier, spec.language, with_country=True):
        y += 4.5
        page.text(LEFT, y, line, color=GREY)
    contact = [value for value in (supplier.phone, draw.email()) if value]
    if contact:
        page.text(LEFT, y + 4.5, "  |  ".join(contact), color=GREY)
    title_size = 20 if len(draw.title) <= 12 else 15
    page.text(
        RIGHT, 25, draw.title.upper(), size=title_size, bold=True, align="R", color=draw.accent
    )
    y = 34.0
    for label, value in draw.meta():
        page.text(118, y, draw.colon(label), color=GREY)
        page.text(RIGHT, y, value, bold=True, align="R")
        y += 5
    _buyer(draw, LEFT, 62)
    y = draw_notes(draw, LEFT, 96, RIGHT - LEFT)
    y = draw_items(draw, max(y, 100), header_fill=LIGHT, header_text=BLACK)
    y = draw_total_table(draw, y, label_x=120, boxed=False)
    y = draw_notes_after(draw, y)
    draw_payment(draw, LEFT, y + 6, 110)
    footer = [supplier.name, f"{supplier.street}, {city_line(supplier)}"]
    if supplier.registration:
        footer.append(supplier.registration)
    page.text(PAGE_WIDTH / 2, 279, " · ".join(footer), size=7.5, align="C", color=GREY)
    second = [f"{words['vat_id']} {draw.vat_id()}" if supplier.vat_id else ""]
    if supplier.iban:
        second.append(f"IBAN {draw.iban()}")
    website = draw.website()
    if website:
        second.append(website)
    page.text(
        PAGE_WIDTH / 2, 283, " · ".join(s for s in second if s), size=7.5, align="C", color=GREY
    )


def draw_notes_after(draw: InvoiceDraw, y: float) -> float:
    # Only the tax note sits under the totals; credit and reminder lines go above the table.
    if draw.spec.tax_note:
        return draw.page.paragraph(
            LEFT, y + 2, draw.spec.tax_note, width=RIGHT - LEFT, size=8, color=GREY
        )
    return y


def layout_centered(draw: InvoiceDraw) -> None:
    """Centred letterhead and title, buyer and meta side by side, totals as label lines."""
    spec, page, words = draw.spec, draw.page, draw.words
    supplier = spec.supplier
    centre = PAGE_WIDTH / 2
    page.text(centre, 22, _supplier_name(draw), size=18, bold=True, align="C", color=draw.accent)
    address = " · ".join(_address_lines(supplier, spec.language, with_country=True))
    page.text(centre, 28, address, align="C", color=GREY)
    contact = [value for value in (supplier.phone, draw.email(), draw.website()) if value]
    page.text(centre, 32.5, " · ".join(contact), align="C", color=GREY)
    page.line(LEFT, 36, RIGHT, 36, color=draw.accent, width=0.6)
    page.text(centre, 48, draw.title, size=16, bold=True, align="C")
    _buyer(draw, LEFT, 60)
    y = 60.0
    for label, value in draw.meta():
        page.text(118, y, draw.colon(label), color=GREY)
        page.text(150, y, value, bold=True)
        y += 5
    y = draw_notes(draw, LEFT, 92, RIGHT - LEFT)
    y = draw_items(draw, max(y, 96), header_fill=draw.accent, header_text=WHITE)
    for label, value, strong in draw.total_rows():
        y += 5.5
        page.text(LEFT, y, f"{draw.colon(label)} {value}", bold=strong, size=10.5 if strong else 9)
    y = draw_notes_after(draw, y + 2)
    draw_payment(draw, LEFT, y + 6, RIGHT - LEFT)
    first = [
        supplier.registration or "",
        f"{words['vat_id']} {draw.vat_id(spaced=True)}" if supplier.vat_id else "",
    ]
    page.text(centre, 279, " · ".join(s for s in first if s), size=7.5, align="C", color=GREY)
    second = []
    if supplier.iban:
        second.append(f"IBAN {draw.iban()}")
    if supplier.bic:
        second.append(f"BIC {supplier.bic}")
    page.text(centre, 283, " · ".join(second), size=7.5, align="C", color=GREY)


def layout_seller_right(draw: InvoiceDraw) -> None:
    """Big title left, seller block on the right, meta as a row table, three-column footer."""
    spec, page, words = draw.spec, draw.page, draw.words
    supplier = spec.supplier
    page.text(LEFT, 32, draw.title.upper(), size=24, bold=True, color=draw.accent)
    page.text(RIGHT, 20, _supplier_name(draw), size=11, bold=True, align="R")
    y = 20.0
    for line in _address_lines(supplier, spec.language, with_country=True):
        y += 4.5
        page.text(RIGHT, y, line, align="R")
    vat_id = draw.vat_id()
    if vat_id:
        y += 4.5
        page.text(RIGHT, y, f"{words['vat_id']} {vat_id}", align="R")
    _buyer(draw, LEFT, 52)
    meta = draw.meta()
    column = (RIGHT - LEFT) / len(meta)
    page.box(LEFT, 80, RIGHT - LEFT, 13, border=LIGHT)
    for index, (label, value) in enumerate(meta):
        x = LEFT + 3 + index * column
        page.text(x, 85, label, size=7.5, color=GREY)
        page.text(x, 90.5, value, bold=True, size=9.5)
    y = draw_notes(draw, LEFT, 100, RIGHT - LEFT)
    y = draw_items(draw, max(y, 102), header_fill=LIGHT, header_text=draw.accent)
    y = draw_total_table(draw, y, label_x=125, boxed=True)
    y = draw_notes_after(draw, y)
    draw_payment(draw, LEFT, y + 6, 100)
    page.line(LEFT, 266, RIGHT, 266, color=draw.accent, width=0.4)
    columns: list[list[str]] = [
        [supplier.name, *_address_lines(supplier, spec.language, with_country=False)],
        [value for value in (draw.email(), draw.website(), supplier.registration) if value],
        [
            f"IBAN {draw.iban()}" if supplier.iban else "",
            f"BIC {supplier.bic}" if supplier.bic else "",
        ],
    ]
    _footer_columns(page, columns, (LEFT, 80.0, 132.0), top=271.0, size=7.5, leading=3.6)


def _footer_columns(
    page: Page,
    columns: list[list[str]],
    xs: tuple[float, ...],
    *,
    top: float,
    size: float,
    leading: float,
) -> None:
    """Small grey footer columns starting at ``xs``; empty lines take no room."""
    for x, lines in zip(xs, columns, strict=True):
        y = top
        for line in lines:
            if line:
                page.text(x, y, line, size=size, color=GREY)
                y += leading


def layout_din_letter(draw: InvoiceDraw) -> None:
    """German business letter (DIN 5008): sender line over the address window, info block on
    the right, salutation, four-column footer."""
    spec, page, words = draw.spec, draw.page, draw.words
    supplier = spec.supplier
    page.text(RIGHT, 22, _supplier_name(draw), size=14, bold=True, align="R", color=draw.accent)
    page.text(
        RIGHT,
        27,
        f"{supplier.street} · {city_line(supplier)}",
        size=8,
        align="R",
        color=GREY,
    )
    sender = f"{supplier.name} · {supplier.street} · {city_line(supplier)}"
    width = page.text(LEFT, 47, sender, size=6.5, color=GREY)
    page.line(LEFT, 47.8, LEFT + width, 47.8, color=GREY, width=0.1)
    _buyer(draw, LEFT, 55, label=False)
    y = 52.0
    for label, value in draw.meta():
        page.text(125, y, label, size=8, color=GREY)
        page.text(RIGHT, y, value, size=8.5, align="R")
        y += 4.6
    page.text(LEFT, 96, f"{draw.title} {spec.invoice_number}", size=13, bold=True)
    y = page.paragraph(LEFT, 104, words["salutation"], width=RIGHT - LEFT)
    y = page.paragraph(LEFT, y, words["intro"], width=RIGHT - LEFT)
    y = draw_notes(draw, LEFT, y + 1, RIGHT - LEFT)
    y = draw_items(draw, y + 1, header_fill=LIGHT, header_text=BLACK, size=8)
    y = draw_total_table(draw, y, label_x=120, boxed=False)
    y = draw_notes_after(draw, y)
    y = draw_payment(draw, LEFT, y + 5, RIGHT - LEFT)
    page.text(LEFT, y + 4, words["thanks"])
    page.line(LEFT, 265, RIGHT, 265, color=GREY, width=0.2)
    vat_id = draw.vat_id()
    columns: list[list[str]] = [
        [supplier.name, supplier.street, city_line(supplier)],
        [value or "" for value in (supplier.phone, draw.email(), draw.website())],
        [
            supplier.registration or "",
            f"{words['vat_id']} {vat_id}" if vat_id else "",
            f"IBAN {draw.iban()}" if supplier.iban else "",
            f"BIC {supplier.bic}" if supplier.bic else "",
        ],
    ]
    _footer_columns(page, columns, (LEFT, 75.0, 128.0), top=270.0, size=6.8, leading=3.4)


def layout_saas(draw: InvoiceDraw) -> None:
    """Online-service style: meta label lines, seller and bill-to side by side, an
    "amount due" headline, light table, footer with the page counter."""
    spec, page, words = draw.spec, draw.page, draw.words
    supplier = spec.supplier
    page.text(LEFT, 26, draw.title, size=20, bold=True)
    page.text(RIGHT, 26, _supplier_name(draw), size=12, bold=True, align="R", color=draw.accent)
    y = 38.0
    for label, value in draw.meta():
        page.text(LEFT, y, label, color=GREY)
        page.text(LEFT + 40, y, value, bold=True)
        y += 5
    y0 = 62.0
    page.text(LEFT, y0, supplier.name, bold=True)
    y = y0
    for line in _address_lines(supplier, spec.language, with_country=True):
        y += 4.5
        page.text(LEFT, y, line)
    for contact in (draw.email(), supplier.registration):
        if contact:
            y += 4.5
            page.text(LEFT, y, contact)
    vat_id = draw.vat_id()
    if vat_id:
        y += 4.5
        page.text(LEFT, y, f"{words['vat_id']} {vat_id}")
    _buyer(draw, 95, y0 - 5)
    y = max(y + 12, 98)
    if spec.due_date is not None and not spec.is_credit_note:
        headline = words["due_on"].format(
            amount=draw.money(draw.totals.total), due=draw.day(spec.due_date)
        )
        page.text(LEFT, y, headline, size=14, bold=True)
    y = draw_notes(draw, LEFT, y + 8, RIGHT - LEFT)
    y = draw_items(draw, y + 2, header_fill=WHITE, header_text=GREY)
    y = draw_total_table(draw, y, label_x=118, boxed=False)
    y = draw_notes_after(draw, y)
    draw_payment(draw, LEFT, y + 6, RIGHT - LEFT)
    footer = [spec.invoice_number, draw.money(draw.totals.total), words["page"]]
    page.text(LEFT, 284, " · ".join(footer), size=7.5, color=GREY)
    website = draw.website()
    if website:
        page.text(RIGHT, 284, website, size=7.5, align="R", color=GREY)


LAYOUT_DRAWERS: dict[str, Callable[[InvoiceDraw], None]] = {
    "classic": layout_classic,
    "centered": layout_centered,
    "seller_right": layout_seller_right,
    "din_letter": layout_din_letter,
    "saas": layout_saas,
}
