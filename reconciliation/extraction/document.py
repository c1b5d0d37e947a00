"""The parsed text layer as the field extractors see it: lines with positions, folded text
for matching, and the geometry helpers (right of, below, same column) labels need."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from reconciliation.extraction.amounts import DecimalMark
from reconciliation.extraction.amounts import guess_decimal_mark
from reconciliation.extraction.pdftext import Line
from reconciliation.extraction.pdftext import PageText
from reconciliation.extraction.types import Evidence
from reconciliation.text.folding import fold_keeping_offsets

if TYPE_CHECKING:
    from reconciliation.extraction.blocks import Ourselves

#: The extractors' folding (one character for one, so offsets carry over), re-exported here.
fold = fold_keeping_offsets


@dataclass(frozen=True)
class Hit:
    """A regex match on one line: where it is and what it says."""

    line: Line
    start: int
    end: int

    @property
    def text(self) -> str:
        return self.line.text[self.start : self.end]

    @property
    def page(self) -> int:
        return self.line.page

    def bbox(self) -> tuple[float, float, float, float]:
        return self.line.bbox(self.start, self.end)

    def evidence(self) -> Evidence:
        return Evidence(page=self.line.page, bbox=self.bbox(), text=self.text)

    @property
    def x0(self) -> float:
        return self.bbox()[0]

    @property
    def x1(self) -> float:
        return self.bbox()[2]


class Document:
    def __init__(self, pages: list[PageText]) -> None:
        self.pages = pages
        self.lines: list[Line] = [line for page in pages for line in page.lines]
        for index, line in enumerate(self.lines):
            line.index = index
        self.folded: list[str] = [fold(line.text) for line in self.lines]
        self.decimal_mark: DecimalMark | None = guess_decimal_mark([ln.text for ln in self.lines])
        self.month_first = False
        self.language: str | None = None
        #: The workspace's company, when the caller knows it (never the supplier).
        self.ourselves: Ourselves | None = None

    @cached_property
    def full_folded(self) -> str:
        return "\n".join(self.folded)

    def page_height(self, number: int) -> float:
        return self.pages[number - 1].height

    def page_width(self, number: int) -> float:
        return self.pages[number - 1].width

    def relative_top(self, line: Line) -> float:
        """0 at the top of the page, 1 at the bottom."""
        height = self.page_height(line.page) or 1.0
        return line.top / height

    def search(self, pattern: re.Pattern[str], *, pages: int | None = None) -> list[Hit]:
        """Matches of a pattern (compiled for folded text) on every line."""
        hits: list[Hit] = []
        for line, folded in zip(self.lines, self.folded, strict=True):
            if pages is not None and line.page > pages:
                break
            hits.extend(self._line_hits(line, folded, pattern))
        return hits

    def _line_hits(self, line: Line, folded: str, pattern: re.Pattern[str]) -> list[Hit]:
        """Matches that stay inside one cell: "Invoice date | Due date" has no "date due",
        and rejecting that match must not hide the "Due date" that overlaps it."""
        hits: list[Hit] = []
        position = 0
        while position <= len(folded):
            m = pattern.search(folded, position)
            if m is None:
                break
            end = m.start() + len(m.group(0).rstrip())  # "due\s*" must not eat the gap
            if end > m.start() and self.segment_end(line, m.start()) >= end:
                hits.append(Hit(line, m.start(), end))
                position = max(end, m.start() + 1)
            else:
                position = m.start() + 1
        return hits

    def search_line(
        self, line: Line, pattern: re.Pattern[str], *, heading_only: bool = False
    ) -> list[Hit]:
        """Matches on one line; ``heading_only`` keeps those that start their cell."""
        folded = self.folded[line.index]
        hits: list[Hit] = []
        for hit in self._line_hits(line, folded, pattern):
            if heading_only:
                start = self.segment_start(line, hit.start + 1)
                if re.search(r"[a-z]", folded[start : hit.start]):
                    continue
            hits.append(hit)
        return hits

    def segment_end(self, line: Line, start: int) -> int:
        """End of the visual cell that contains offset ``start``: the text runs on until a
        gap wider than about three character widths (a column break)."""
        words = line.words
        for i, (word, offset) in enumerate(zip(words, line.starts, strict=True)):
            if offset + len(word.text) <= start:
                continue
            for j in range(i, len(words) - 1):
                gap = words[j + 1].x0 - words[j].x1
                if gap > max(12.0, 1.8 * words[j].size):
                    return line.starts[j] + len(words[j].text)
            return len(line.text)
        return len(line.text)

    def segment_start(self, line: Line, end: int) -> int:
        """Start of the visual cell that contains offset ``end - 1``."""
        words = line.words
        last = 0
        for i, offset in enumerate(line.starts):
            if offset >= end:
                break
            last = i
        for j in range(last, 0, -1):
            gap = words[j].x0 - words[j - 1].x1
            if gap > max(12.0, 1.8 * words[j].size):
                return line.starts[j]
        return 0

    def lines_below(self, line: Line, *, max_lines: int = 3, max_gap: float = 2.6) -> list[Line]:
        """The next lines on the same page, while the vertical gap stays under
        ``max_gap`` line heights from the previous one."""
        found: list[Line] = []
        previous = line
        for candidate in self.lines[line.index + 1 :]:
            if candidate.page != line.page:
                break
            height = max(previous.bottom - previous.top, 6.0)
            if candidate.top - previous.bottom > max_gap * height + 4:
                break
            found.append(candidate)
            previous = candidate
            if len(found) >= max_lines:
                break
        return found

    def line_above(self, line: Line) -> Line | None:
        if line.index == 0:
            return None
        candidate = self.lines[line.index - 1]
        return candidate if candidate.page == line.page else None


def overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    """Horizontal overlap of two ranges, in points (negative when apart)."""
    return min(a1, b1) - max(a0, b0)


def compile_terms(*terms: str) -> re.Pattern[str]:
    """One pattern from several regex fragments meant for folded text, bounded by
    non-letters on both sides."""
    joined = "|".join(f"(?:{t})" for t in terms)
    return re.compile(rf"(?<![a-z])(?:{joined})(?![a-z])")
