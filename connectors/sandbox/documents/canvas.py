"""A thin drawing surface over fpdf2: absolute positions in millimetres, one jitter offset,
deterministic output."""

from __future__ import annotations

import hashlib
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time

from fpdf import FPDF

Color = tuple[int, int, int]
BLACK: Color = (20, 20, 20)
GREY: Color = (110, 110, 110)
LIGHT: Color = (235, 235, 235)
WHITE: Color = (255, 255, 255)
RED: Color = (180, 30, 30)
_ACCENTS: tuple[Color, ...] = (
    (28, 69, 135),
    (0, 110, 100),
    (140, 40, 60),
    (70, 70, 70),
    (200, 90, 20),
    (90, 50, 140),
)
PAGE_WIDTH = 210.0
LEFT = 20.0
RIGHT = 190.0


def accent_for(name: str) -> Color:
    """A stable brand colour per company, so one vendor always looks the same."""
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    return _ACCENTS[digest[0] % len(_ACCENTS)]


class Page:
    """One A4 page. Every coordinate given to it is shifted by the jitter offset."""

    def __init__(
        self,
        *,
        created: date,
        offset: tuple[float, float] = (0.0, 0.0),
        font: str = "helvetica",
        title: str = "",
        author: str = "",
    ) -> None:
        self.pdf = FPDF(unit="mm", format="A4")
        # cp1252 rather than latin-1 so the core fonts can print "€" and "œ".
        self.pdf.core_fonts_encoding = "windows-1252"
        self.pdf.set_auto_page_break(auto=False)
        # A fixed creation date makes the bytes (and the PDF /ID derived from them) reproducible.
        self.pdf.set_creation_date(datetime.combine(created, time(9, 0), tzinfo=UTC))
        self.pdf.set_producer("Well demo generator")
        if title:
            self.pdf.set_title(title)
        if author:
            self.pdf.set_author(author)
        self.pdf.add_page()
        self.dx, self.dy = offset
        self.font = font

    def text(
        self,
        x: float,
        y: float,
        value: str,
        *,
        size: float = 9.0,
        bold: bool = False,
        italic: bool = False,
        align: str = "L",
        color: Color = BLACK,
        font: str | None = None,
    ) -> float:
        """Draw one line with its baseline at y; x is the left edge, the right edge ("R") or the
        centre ("C"). Returns the width drawn."""
        style = ("B" if bold else "") + ("I" if italic else "")
        self.pdf.set_font(font or self.font, style, size)
        self.pdf.set_text_color(*color)
        width = float(self.pdf.get_string_width(value))
        if align == "R":
            x -= width
        elif align == "C":
            x -= width / 2
        self.pdf.text(x + self.dx, y + self.dy, value)
        return width

    def width_of(self, value: str, *, size: float = 9.0, bold: bool = False) -> float:
        self.pdf.set_font(self.font, "B" if bold else "", size)
        return float(self.pdf.get_string_width(value))

    def paragraph(
        self,
        x: float,
        y: float,
        value: str,
        *,
        width: float,
        size: float = 9.0,
        leading: float = 4.4,
        color: Color = BLACK,
        bold: bool = False,
    ) -> float:
        """Word-wrapped text; returns the baseline after the last line."""
        line = ""
        for word in value.split(" "):
            candidate = f"{line} {word}" if line else word
            if line and self.width_of(candidate, size=size, bold=bold) > width:
                self.text(x, y, line, size=size, color=color, bold=bold)
                y += leading
                line = word
            else:
                line = candidate
        if line:
            self.text(x, y, line, size=size, color=color, bold=bold)
            y += leading
        return y

    def line(
        self, x1: float, y1: float, x2: float, y2: float, *, color: Color = GREY, width: float = 0.2
    ) -> None:
        self.pdf.set_draw_color(*color)
        self.pdf.set_line_width(width)
        self.pdf.line(x1 + self.dx, y1 + self.dy, x2 + self.dx, y2 + self.dy)

    def box(
        self,
        x: float,
        y: float,
        w: float,
        h: float,
        *,
        fill: Color | None = None,
        border: Color | None = None,
    ) -> None:
        style = ("F" if fill else "") + ("D" if border else "")
        if not style:
            return
        if fill:
            self.pdf.set_fill_color(*fill)
        if border:
            self.pdf.set_draw_color(*border)
            self.pdf.set_line_width(0.2)
        self.pdf.rect(x + self.dx, y + self.dy, w, h, style=style)

    def embed(
        self, name: str, content: bytes, *, created: date, description: str, xmp: str | None = None
    ) -> None:
        moment = datetime.combine(created, time(9, 0), tzinfo=UTC)
        self.pdf.embed_file(
            bytes=content,
            basename=name,
            desc=description,
            mime_type="text/xml",
            associated_file_relationship="Data",
            creation_date=moment,
            modification_date=moment,
            compress=True,
        )
        if xmp:
            self.pdf.set_xmp_metadata(xmp)

    def output(self) -> bytes:
        return bytes(self.pdf.output())
