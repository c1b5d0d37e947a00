"""Reading the text layer: characters with positions, grouped into words and lines.

pdfplumber opens the document and supplies the page geometry; the characters come from
pdfminer's interpreter (the same one pdfplumber uses) through a lean device that keeps only
what the parser needs. pdfplumber's own ``Page.chars`` builds a dict with every graphic
attribute for each character and every path on the page, which is most of its cost; the
coordinates here follow pdfplumber's convention (points, origin at the top-left).
"""

from __future__ import annotations

import itertools
import unicodedata
from dataclasses import dataclass
from dataclasses import field
from typing import TYPE_CHECKING
from typing import Any

from pdfminer.pdfdevice import PDFTextDevice
from pdfminer.pdffont import PDFUnicodeNotDefined

from reconciliation.extraction.types import Word
from reconciliation.extraction.types import WordRow

if TYPE_CHECKING:
    from pdfminer.pdffont import PDFFont
    from pdfminer.pdfinterp import PDFGraphicState
    from pdfminer.pdfinterp import PDFResourceManager
    from pdfminer.pdfpage import PDFPage
    from pdfminer.psparser import PSLiteral

#: Punctuation real documents are made of, besides letters and digits.
PLAIN_PUNCTUATION = frozenset(" .,:;-–/()[]€$£%&@'\"+#*_!?=<>|\u00a0")

#: A character: text, x0, top, x1, bottom, font size, bold.
Char = tuple[str, float, float, float, float, float, bool]


@dataclass(frozen=True)
class TextWord(Word):
    """A word as read, with what the parser weighs it by: its font and how sure the reading is."""

    size: float
    bold: bool
    #: 1.0 for the text layer; Tesseract's word confidence (0-1) for an OCR'd word.
    confidence: float = 1.0
    #: Where the word stands (points from the top); OCR only, used to group words into rows.
    baseline: float = 0.0


@dataclass
class Line(WordRow):
    """Words on one baseline, left to right. ``text`` joins them with one space; ``starts``
    holds each word's offset in ``text`` so a regex match maps back to boxes."""

    page: int
    words: list[TextWord]
    text: str = ""
    starts: list[int] = field(default_factory=list)
    index: int = 0  # position in the document's line list

    def __post_init__(self) -> None:
        parts: list[str] = []
        offset = 0
        self.starts = []
        for word in self.words:
            self.starts.append(offset)
            parts.append(word.text)
            offset += len(word.text) + 1
        self.text = " ".join(parts)

    @property
    def x0(self) -> float:
        return self.words[0].x0

    @property
    def x1(self) -> float:
        return self.words[-1].x1

    @property
    def size(self) -> float:
        return max(w.size for w in self.words)

    def words_in(self, start: int, end: int) -> list[TextWord]:
        """Words overlapping the character span [start, end) of ``text``."""
        return [
            w
            for w, s in zip(self.words, self.starts, strict=True)
            if s < end and s + len(w.text) > start
        ]

    def bbox(self, start: int = 0, end: int | None = None) -> tuple[float, float, float, float]:
        words = self.words_in(start, len(self.text) if end is None else end) or self.words
        return (
            round(min(w.x0 for w in words), 2),
            round(min(w.top for w in words), 2),
            round(max(w.x1 for w in words), 2),
            round(max(w.bottom for w in words), 2),
        )


@dataclass
class PageText:
    number: int
    width: float
    height: float
    lines: list[Line]
    cid_chars: int = 0
    chars: int = 0
    #: Characters that are letters, digits or common punctuation: a layer made mostly of
    #: other symbols is a font without a proper Unicode map, i.e. garbage.
    plain_chars: int = 0


class _CharCollector(PDFTextDevice):
    """A pdfminer device that records upright characters and ignores paths and images."""

    def __init__(self, rsrcmgr: PDFResourceManager) -> None:
        super().__init__(rsrcmgr)
        self.chars: list[Char] = []
        self.cid_chars = 0
        self._fonts: dict[int, tuple[float, bool]] = {}  # id(font) -> (descent, bold)
        self.limit = 200_000  # per page: a text bomb is cut short, not followed to the end

    def render_char(
        self,
        matrix: tuple[float, float, float, float, float, float],
        font: PDFFont,
        fontsize: float,
        scaling: float,
        rise: float,
        cid: int,
        ncs: Any,
        graphicstate: PDFGraphicState,
    ) -> float:
        textwidth = font.char_width(cid)
        adv: float = textwidth * fontsize * scaling
        if len(self.chars) >= self.limit:
            return adv
        a, b, c, d, _e, _f = matrix
        if font.is_vertical() or not (a * d * scaling > 0 and b * c <= 0) or b or c:
            return adv  # rotated or vertical text: stamps and margins, never fields
        try:
            text = font.to_unichr(cid)
        except PDFUnicodeNotDefined:
            self.cid_chars += 1
            return adv
        # Axis-aligned glyphs only (checked above), so the box is a scale and a shift; this is
        # pdfminer's LTChar box without the general matrix product, for every character.
        facts = self._fonts.get(id(font))
        if facts is None:
            name = font.fontname if isinstance(font.fontname, str) else str(font.fontname)
            facts = self._fonts[id(font)] = (font.get_descent(), "bold" in name.lower())
        bottom = facts[0] * fontsize + rise
        x_start, x_end = _e, a * adv + _e
        y_start, y_end = d * bottom + _f, d * (bottom + fontsize) + _f
        y0, y1 = (y_start, y_end) if y_start <= y_end else (y_end, y_start)
        x0, x1 = (x_start, x_end) if x_start <= x_end else (x_end, x_start)
        self.chars.append((text, x0, y0, x1, y1, y1 - y0, facts[1]))
        return adv


def read_page_chars(rsrcmgr: PDFResourceManager, page_obj: PDFPage) -> tuple[list[Char], int]:
    """Run the content stream of one page; return raw characters (PDF y-up coordinates
    relative to the MediaBox, as pdfminer reports them) and the count of undecodable ones."""
    from pdfminer.pdfinterp import PDFPageInterpreter

    device = _CharCollector(rsrcmgr)
    PDFPageInterpreter(rsrcmgr, device).process_page(page_obj)
    return device.chars, device.cid_chars


def build_page(
    number: int,
    chars: list[Char],
    *,
    width: float,
    height: float,
    mediabox_x0: float,
    mediabox_top: float,
) -> PageText:
    """Flip to top-left coordinates exactly as pdfplumber does, then group into lines."""
    flipped: list[Char] = []
    for text, x0, y0, x1, y1, size, bold in chars:
        flipped.append(
            (
                text,
                x0 + mediabox_x0,
                height - y1 + mediabox_top,
                x1 + mediabox_x0,
                height - y0 + mediabox_top,
                size,
                bold,
            )
        )
    lines = group_lines(number, flipped)
    plain = sum(1 for ch in chars if ch[0].isalnum() or ch[0] in PLAIN_PUNCTUATION)
    return PageText(
        number=number,
        width=width,
        height=height,
        lines=lines,
        chars=len(chars),
        plain_chars=plain,
    )


def group_lines(page: int, chars: list[Char]) -> list[Line]:
    """Cluster characters into rows by their top, then into words by gaps and spaces."""
    if not chars:
        return []
    ordered = sorted(chars, key=lambda ch: ch[2])
    rows: list[list[Char]] = []
    current: list[Char] = [ordered[0]]
    last_top = ordered[0][2]
    for ch in ordered[1:]:
        # Same tolerance as pdfplumber's y_tolerance, chained from the previous character.
        if ch[2] - last_top <= 3:
            current.append(ch)
        else:
            rows.append(current)
            current = [ch]
        last_top = ch[2]
    rows.append(current)
    lines: list[Line] = []
    for row in rows:
        # A space drawn at the same x as the next glyph (some generators emit the space
        # after moving the pen) must sort before it, or it splits the word it precedes.
        row.sort(key=lambda ch: ch[1] - (0.5 if ch[0].isspace() else 0.0))
        words = _row_words(page, row)
        if words:
            lines.extend(_split_overlapping(page, words))
    return lines


def _row_words(page: int, row: list[Char]) -> list[TextWord]:
    words: list[TextWord] = []
    buf: list[Char] = []
    prev: Char | None = None

    def flush() -> None:
        if not buf:
            return
        text = unicodedata.normalize("NFKC", "".join(ch[0] for ch in buf)).strip()
        if text:
            words.append(
                TextWord(
                    page=page,
                    text=text,
                    x0=round(min(ch[1] for ch in buf), 2),
                    top=round(min(ch[2] for ch in buf), 2),
                    x1=round(max(ch[3] for ch in buf), 2),
                    bottom=round(max(ch[4] for ch in buf), 2),
                    size=round(max(ch[5] for ch in buf), 2),
                    bold=sum(ch[6] for ch in buf) * 2 > len(buf),
                )
            )
        buf.clear()

    for ch in row:
        if ch[0].isspace() or not ch[0]:
            flush()
            prev = ch
            continue
        if prev is not None and buf:
            if ch[0] == prev[0] and abs(ch[1] - prev[1]) < 1 and abs(ch[2] - prev[2]) < 1:
                continue  # the same glyph printed twice to fake bold
            # A gap wider than a fifth of the font size is a space the PDF did not write.
            tolerance = min(3.0, max(1.0, 0.2 * max(ch[5], prev[5])))
            if ch[1] - prev[3] > tolerance:
                flush()
        buf.append(ch)
        prev = ch
    flush()
    return words


def _nearest(values: list[int], target: float) -> int:
    return min(values, key=lambda value: abs(value - target))


def _split_overlapping(page: int, words: list[TextWord]) -> list[Line]:
    """One row of characters is one line, except when two words overlap horizontally
    (two lines close together were merged): then split by top."""
    for a, b in itertools.pairwise(words):
        if b.x0 < a.x1 - 1 and abs(b.top - a.top) > 1:
            tops = sorted({round(w.top) for w in words})
            groups: dict[int, list[TextWord]] = {}
            for w in words:
                key = _nearest(tops, w.top)
                groups.setdefault(key, []).append(w)
            merged: list[list[TextWord]] = []
            for key in sorted(groups):
                if merged and abs(merged[-1][0].top - key) <= 1:
                    merged[-1].extend(groups[key])
                else:
                    merged.append(groups[key])
            return [Line(page=page, words=sorted(g, key=lambda w: w.x0)) for g in merged]
    return [Line(page=page, words=words)]


def literal_name(value: object) -> str:
    name = getattr(value, "name", value)
    if isinstance(name, bytes):
        return name.decode("latin-1")
    return str(name)


def is_literal(value: object, name: str) -> bool:
    from pdfminer.psparser import PSLiteral

    lit: PSLiteral | object = value
    return isinstance(lit, PSLiteral) and literal_name(lit) == name
