"""Free-form pages: text placed exactly where a test or a benchmark says, for the layouts the
invoice templates do not draw (a label and its value in two table cells, a total on the next
page, a payment confirmation in a bank's own wording).

Positions are in PDF points from the top-left corner. The core fonts cover Latin-1 only, so
amounts carry ISO codes ("EUR"), not "€".
"""

from __future__ import annotations

from collections.abc import Sequence

from fpdf import FPDF

#: One piece of text on a page: x, y (points from the top), text, font size, bold.
Placed = tuple[float, float, str, float, bool]


def render_text(pages: list[list[Placed]]) -> bytes:
    """A PDF with one page per list, each piece of text where it is given."""
    pdf = FPDF(format="A4", unit="pt")
    pdf.set_auto_page_break(auto=False)
    for items in pages:
        pdf.add_page()
        for x, y, value, size, bold in items:
            pdf.set_font("helvetica", style="B" if bold else "", size=size)
            pdf.text(x, y, value)
    return bytes(pdf.output())


def lines_at(
    rows: Sequence[str | tuple[str, ...]],
    *,
    size: float = 10,
    top: float = 60,
) -> list[Placed]:
    """Rows of text from the top of the page; a tuple spreads its cells over fixed columns
    130 points apart."""
    placed: list[Placed] = []
    for index, row in enumerate(rows):
        y = top + index * (size * 1.6)
        cells = (row,) if isinstance(row, str) else row
        for column, cell in enumerate(cells):
            if cell:
                placed.append((40 + column * 130, y, cell, size, False))
    return placed
