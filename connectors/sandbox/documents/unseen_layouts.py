"""Six invoice layouts the demo never uses, for measuring how the reader generalises: the
buyer's block at the top left with the seller's at the right, the seller only in a block at
the bottom, buyer and seller side by side under role headings, a bank block under its own
heading, the seller in a sidebar, and the buyer's block at the right of a letterhead. They
also print the dates that compete with the invoice date (order, delivery, service period)
and, on request, a fiscal representative."""

from __future__ import annotations

from collections.abc import Callable

from connectors.sandbox.documents.canvas import GREY
from connectors.sandbox.documents.canvas import LEFT
from connectors.sandbox.documents.canvas import LIGHT
from connectors.sandbox.documents.canvas import PAGE_WIDTH
from connectors.sandbox.documents.canvas import RIGHT
from connectors.sandbox.documents.canvas import WHITE
from connectors.sandbox.documents.formatting import city_line
from connectors.sandbox.documents.formatting import country_name
from connectors.sandbox.documents.invoice_layouts import InvoiceDraw
from connectors.sandbox.documents.invoice_layouts import draw_items
from connectors.sandbox.documents.invoice_layouts import draw_notes
from connectors.sandbox.documents.invoice_layouts import draw_notes_after
from connectors.sandbox.documents.invoice_layouts import draw_payment
from connectors.sandbox.documents.invoice_layouts import draw_total_table


def dated_rows(draw: InvoiceDraw) -> list[tuple[str, str]]:
    """(label, value) rows: the competing dates first, then number, invoice date and due
    date. Records what it prints."""
    spec, words = draw.spec, draw.words
    rows: list[tuple[str, str]] = []
    if spec.order_date is not None:
        rows.append((words["order_date"], draw.day(spec.order_date)))
    if spec.service_period is not None:
        start, end = spec.service_period
        rows.append((words["service_period"], f"{draw.day(start)} – {draw.day(end)}"))
    if spec.delivery_date is not None:
        rows.append((words["delivery_date"], draw.day(spec.delivery_date)))
    draw.printed["invoice_number"] = spec.invoice_number
    rows.append((draw.number_label, spec.invoice_number))
    issued = draw.day(spec.issue_date)
    draw.printed["issue_date"] = issued
    rows.append((words["date"] if spec.generic_date_label else words["issue_date"], issued))
    if spec.due_date is not None:
        due = draw.day(spec.due_date)
        draw.printed["due_date"] = due
        rows.append((words["due_date"], due))
    return rows


def _supplier_lines(draw: InvoiceDraw, *, with_iban: bool = False) -> list[str]:
    """The seller's block below its name: address, VAT id, contact, and maybe the IBAN."""
    supplier, words = draw.spec.supplier, draw.words
    lines = [
        supplier.street,
        city_line(supplier),
        country_name(supplier.country, draw.spec.language),
    ]
    vat_id = draw.vat_id()
    if vat_id:
        lines.append(f"{draw.colon(words['vat_id'])} {vat_id}")
    email = draw.email()
    if email:
        lines.append(email)
    if with_iban and supplier.iban:
        lines.append(f"IBAN {draw.iban()}")
    return lines


def _buyer_lines(draw: InvoiceDraw) -> list[str]:
    buyer, words = draw.spec.buyer, draw.words
    lines = [buyer.street, city_line(buyer)]
    if buyer.country != draw.spec.supplier.country:
        lines.append(country_name(buyer.country, draw.spec.language))
    if buyer.vat_id:
        lines.append(f"{draw.colon(words['vat_id'])} {buyer.vat_id}")
    if buyer.email:
        lines.append(buyer.email)
    return lines


def _block(
    draw: InvoiceDraw,
    x: float,
    y: float,
    heading: str | None,
    name: str,
    lines: list[str],
    *,
    align: str = "L",
    size: float = 9.0,
) -> float:
    """A party block: optional heading, name in bold, then its lines; returns the y below."""
    page = draw.page
    if heading:
        page.text(x, y, draw.colon(heading), size=size - 1, bold=True, color=GREY, align=align)
        y += size * 0.55
    page.text(x, y, name, bold=True, size=size + 1, align=align)
    for line in lines:
        y += size * 0.5
        page.text(x, y, line, size=size, align=align)
    return y + size * 0.5


def _rows(draw: InvoiceDraw, rows: list[tuple[str, str]], x: float, y: float, gap: float) -> float:
    for label, value in rows:
        draw.page.text(x, y, draw.colon(label), color=GREY)
        draw.page.text(x + gap, y, value, bold=True)
        y += 5
    return y


def _body(draw: InvoiceDraw, y: float) -> float:
    """Notes, line items, totals and the tax note; returns the y below."""
    y = draw_notes(draw, LEFT, y, RIGHT - LEFT)
    y = draw_items(draw, y + 2, header_fill=LIGHT, header_text=draw.accent)
    y = draw_total_table(draw, y, label_x=120, boxed=False)
    return draw_notes_after(draw, y)


def _heading(draw: InvoiceDraw, role: str) -> str | None:
    """The role's heading, one of two synonyms by the spec's variant, or none at all."""
    spec, words = draw.spec, draw.words
    if role == "buyer":
        return (
            words[("bill_to", "buyer_alt")[spec.heading_variant % 2]]
            if spec.buyer_heading
            else None
        )
    pair = ("seller", "seller_alt")[spec.heading_variant // 2 % 2]
    return words[pair] if spec.seller_heading else None


def _ship_to(draw: InvoiceDraw, x: float, y: float) -> float:
    """The delivery address: the buyer's name again, under its own heading."""
    if not draw.spec.ship_to:
        return y
    buyer = draw.spec.buyer
    lines = [buyer.street, city_line(buyer)]
    return _block(draw, x, y, draw.words["ship_to"], buyer.name, lines) + 2


def _supplier_name(draw: InvoiceDraw) -> str:
    draw.printed["supplier_name"] = draw.spec.supplier.name
    return draw.spec.supplier.name


def layout_buyer_first(draw: InvoiceDraw) -> None:
    """Title and the buyer's block at the top left, the seller's block at the right under a
    "From" heading, every date in one column."""
    spec, page = draw.spec, draw.page
    page.text(LEFT, 24, draw.title.upper(), size=20, bold=True, color=draw.accent)
    y = _block(draw, LEFT, 38, _heading(draw, "buyer"), spec.buyer.name, _buyer_lines(draw))
    _block(draw, 120, 38, _heading(draw, "seller"), _supplier_name(draw), _supplier_lines(draw))
    y = _ship_to(draw, LEFT, max(y + 4, 84))
    y = _rows(draw, dated_rows(draw), LEFT, max(y, 84), 48)
    y = _body(draw, max(y + 4, 112))
    draw_payment(draw, LEFT, y + 6, 110)
    if spec.supplier.registration:
        page.text(PAGE_WIDTH / 2, 283, spec.supplier.registration, size=7, align="C", color=GREY)


def layout_seller_footer(draw: InvoiceDraw) -> None:
    """No letterhead: the buyer's address and the dates at the top, the seller named only in
    a block at the bottom, next to its fiscal representative when it has one."""
    spec, page, words = draw.spec, draw.page, draw.words
    page.text(RIGHT, 24, draw.title, size=18, bold=True, align="R")
    below = _block(draw, LEFT, 40, _heading(draw, "buyer"), spec.buyer.name, _buyer_lines(draw))
    below = _ship_to(draw, LEFT, below + 4)
    y = _rows(draw, dated_rows(draw), 112, 40, 40)
    y = _body(draw, max(y + 8, below + 6, 100))
    draw_payment(draw, LEFT, y + 6, RIGHT - LEFT)
    page.line(LEFT, 246, RIGHT, 246, color=draw.accent, width=0.4)
    _block(
        draw, LEFT, 252, None, _supplier_name(draw), _supplier_lines(draw, with_iban=True), size=8
    )
    representative = spec.tax_representative
    if representative is not None:
        lines = [representative.street, city_line(representative)]
        if representative.vat_id:
            lines.append(f"{draw.colon(words['vat_id'])} {representative.vat_id}")
        _block(draw, 112, 252, words["tax_representative"], representative.name, lines, size=8)
    website = draw.website()
    if website:
        page.text(RIGHT, 286, website, size=7, align="R", color=GREY)


def layout_party_columns(draw: InvoiceDraw) -> None:
    """Centred title, the buyer (left) and the seller (right) under role headings, the
    dates as a row of labels over a row of values."""
    spec, page = draw.spec, draw.page
    page.text(PAGE_WIDTH / 2, 22, draw.title.upper(), size=18, bold=True, align="C")
    _block(draw, LEFT, 36, _heading(draw, "buyer"), spec.buyer.name, _buyer_lines(draw))
    _block(
        draw,
        112,
        36,
        _heading(draw, "seller"),
        _supplier_name(draw),
        _supplier_lines(draw, with_iban=True),
    )
    rows = dated_rows(draw)
    # Three cells a row, or two when a value (a period in words) would not fit its cell.
    per_row = 3
    if any(page.width_of(v, size=8, bold=True) > (RIGHT - LEFT) / 3 - 6 for _, v in rows):
        per_row = 2
    column = (RIGHT - LEFT) / per_row
    top = 80.0
    for start in range(0, len(rows), per_row):
        page.box(LEFT, top, RIGHT - LEFT, 13, border=LIGHT)
        for index, (label, value) in enumerate(rows[start : start + per_row]):
            x = LEFT + 2 + index * column
            page.text(x, top + 5, label, size=7, color=GREY)
            page.text(x, top + 10.5, value, bold=True, size=8)
        top += 15
    y = _body(draw, top + 5)
    draw_payment(draw, LEFT, y + 6, RIGHT - LEFT)


def _bank_block(draw: InvoiceDraw, x: float, y: float, *, large: bool) -> None:
    """How to pay, then the bank details under their heading, the BIC before the IBAN; in
    letterhead type when it heads the page."""
    page, words, supplier = draw.page, draw.words, draw.spec.supplier
    size = 11.0 if large else 9.0
    page.text(x, y, words["transfer"], bold=True, size=size)
    y += size * 0.55
    page.text(x, y, draw.colon(words["bank_details"]), bold=True, color=GREY, size=size)
    if supplier.bic:
        y += size * 0.5
        page.text(x, y, f"BIC: {supplier.bic}", size=size)
    if supplier.iban:
        y += size * 0.5
        page.text(x, y, f"IBAN: {draw.iban()}", size=size)


def layout_bank_heading(draw: InvoiceDraw) -> None:
    """The seller's name and address at the top right without a heading, the buyer's block
    under a heading at the left, and the bank details under their own heading with the BIC
    before the IBAN."""
    spec, page, words = draw.spec, draw.page, draw.words
    supplier = spec.supplier
    page.text(RIGHT, 20, _supplier_name(draw), size=13, bold=True, align="R", color=draw.accent)
    y = 20.0
    for line in (supplier.street, city_line(supplier), draw.email() or ""):
        y += 4.5
        page.text(RIGHT, y, line, align="R", color=GREY)
    below = _block(draw, LEFT, 44, _heading(draw, "buyer"), spec.buyer.name, _buyer_lines(draw))
    below = _ship_to(draw, LEFT, below + 4)
    page.text(125, 44, draw.title, size=14, bold=True)
    y = _rows(draw, dated_rows(draw), 125, 51, 35)
    y = _body(draw, max(y + 10, below + 6, 100))
    _bank_block(draw, LEFT, 16 if spec.bank_first else y + 6, large=spec.bank_first)
    footer = [supplier.name, supplier.registration or ""]
    vat_id = draw.vat_id()
    if vat_id:
        footer.append(f"{words['vat_id']} {vat_id}")
    text = " · ".join(part for part in footer if part)
    page.box(LEFT, 278, RIGHT - LEFT, 8, fill=draw.accent)
    page.text(PAGE_WIDTH / 2, 283, text, size=7, align="C", color=WHITE)


def layout_sidebar(draw: InvoiceDraw) -> None:
    """Everything about the seller in a narrow column at the right edge, from top to
    bottom (name, address, VAT id, bank, contact); the buyer's block and the rest at the
    left."""
    spec, page, words = draw.spec, draw.page, draw.words
    supplier = spec.supplier
    page.box(150, 10, 50, 277, fill=LIGHT)
    page.text(153, 24, _supplier_name(draw), size=10, bold=True, color=draw.accent)
    y = 24.0
    lines = [supplier.street, city_line(supplier)]
    vat_id = draw.vat_id()
    if vat_id:
        lines += [words["vat_id"], vat_id]
    if supplier.iban:
        lines += [words["bank_details"], draw.iban() or "", f"BIC {supplier.bic or ''}".strip()]
    lines += [value for value in (draw.email(), draw.website(), supplier.phone) if value]
    for line in lines:
        y += 5 if line in (words["vat_id"], words["bank_details"]) else 4
        page.text(153, y, line, size=7.5)
    page.text(LEFT, 24, draw.title, size=18, bold=True)
    below = _block(draw, LEFT, 40, _heading(draw, "buyer"), spec.buyer.name, _buyer_lines(draw))
    y = _rows(draw, dated_rows(draw), LEFT, below + 8, 45)
    y = draw_notes(draw, LEFT, y + 4, 125)
    page.text(LEFT, y + 8, words["description"], bold=True)
    for item in spec.lines:
        y += 6
        page.text(LEFT, y + 8, item.description)
        page.text(145, y + 8, draw.money(item.net), align="R")
    y += 16
    for label, value, strong in draw.total_rows():
        y += 5.5
        page.text(LEFT + 40, y, label, bold=strong)
        page.text(145, y, value, bold=strong, align="R")
    draw_notes_after(draw, y + 4)


def layout_buyer_right(draw: InvoiceDraw) -> None:
    """French style: the seller's letterhead at the top left without a heading, the buyer's
    block at the right ("Client", "Facturé à"), dates under the title."""
    spec, page = draw.spec, draw.page
    _block(draw, LEFT, 22, None, _supplier_name(draw), _supplier_lines(draw), size=9)
    _block(draw, 118, 52, _heading(draw, "buyer"), spec.buyer.name, _buyer_lines(draw))
    page.text(LEFT, 82, draw.title.upper(), size=16, bold=True, color=draw.accent)
    y = _rows(draw, dated_rows(draw), LEFT, 90, 45)
    y = _body(draw, max(y + 6, 118))
    draw_payment(draw, LEFT, y + 6, RIGHT - LEFT)
    if spec.supplier.registration:
        page.text(PAGE_WIDTH / 2, 283, spec.supplier.registration, size=7, align="C", color=GREY)


UNSEEN_DRAWERS: dict[str, Callable[[InvoiceDraw], None]] = {
    "buyer_first": layout_buyer_first,
    "seller_footer": layout_seller_footer,
    "party_columns": layout_party_columns,
    "bank_heading": layout_bank_heading,
    "sidebar": layout_sidebar,
    "buyer_right": layout_buyer_right,
}
