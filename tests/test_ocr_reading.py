"""How OCR'd words become lines: rows across the page, a tilt taken out and put back, dust
dropped, and codes whose digits hold a letter read a second time."""

from __future__ import annotations

from reconciliation.extraction.ocr import PageGeometry
from reconciliation.extraction.ocr import _damaged_code
from reconciliation.extraction.ocr import _speckle
from reconciliation.extraction.ocr import group_rows
from reconciliation.extraction.ocr import straighten
from reconciliation.extraction.ocr import to_page_space
from reconciliation.extraction.pdftext import TextWord


def word(text: str, x0: float, top: float, *, baseline: float | None = None) -> TextWord:
    width = 6.0 * len(text)
    return TextWord(1, text, x0, top, x0 + width, top + 9, 9.0, False, 0.9, baseline or top + 7)


def test_words_on_one_baseline_form_one_line_across_columns() -> None:
    lines = group_rows(
        1,
        [
            word("12.03.2026", 400, 101, baseline=108.5),
            word("Rechnungsdatum:", 60, 100, baseline=107),
            word("Total", 60, 130),
        ],
    )
    assert [line.text for line in lines] == ["Rechnungsdatum: 12.03.2026", "Total"]


def test_a_tilted_row_is_levelled_and_its_box_goes_back_on_the_page() -> None:
    geometry = PageGeometry(1, 1.5, 595.0, 842.0)
    left, right = word("Total", 60, 200.0), word("119,00", 500, 188.48)
    level = [straighten(w, geometry) for w in (left, right)]
    assert abs(level[0].baseline - level[1].baseline) < 0.5
    assert len(group_rows(1, level)) == 1
    box = (level[0].x0, level[0].top, level[0].x1, level[0].bottom)
    x0, top, x1, bottom = to_page_space(box, geometry)
    assert abs(x0 - left.x0) < 1.0
    assert abs(top - left.top) < 1.0
    assert (x1 - x0, bottom - top) > (left.x1 - left.x0, left.bottom - left.top)


def test_dust_is_dropped_but_an_unsure_code_is_kept() -> None:
    assert (_speckle("."), _speckle("'~"), _speckle("--~"), _speckle("DEO08")) == (
        True,
        True,
        True,
        False,
    )


def test_codes_with_a_letter_among_their_digits_get_a_second_reading() -> None:
    damaged = ["DEO2", "DE1l2", "DEO2120300000000202051", "FR4O303265045", "DE12345678O"]
    sound = ["DE02", "DE89", "DE123456789", "Rechnung", "EUR", "GB12", "NL58RABO0198723202"]
    assert [_damaged_code(text) for text in damaged] == [True] * len(damaged)
    assert [_damaged_code(text) for text in sound] == [False] * len(sound)
