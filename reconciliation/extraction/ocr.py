"""The OCR lane: pages without a usable text layer, read by Tesseract 5 into positioned words.

Each such page is rendered with pdfium at ``DPI`` and recognised by Tesseract through
tesserocr, which keeps its engines loaded in the reader process and hands back every word with
its box, baseline and confidence without a subprocess or a temporary file. Tesseract reads a
tilted line as well as a level one, so the image is not rotated: the page's skew is measured on
the baselines of its text lines and taken out of the word positions instead (``straighten``),
so that rows of words line up across the page. The words are then grouped into rows the way
the text layer's characters are (``pdftext.Line``), in PDF points with the origin at the top
left, so the same extraction engine, the same evidence boxes and the same learned vendor
layouts work on scans. The skew is kept so evidence boxes can be drawn back on the page as it
really is (``to_page_space``).

The language is picked per document: the first page is read with the model that read the
previous document (English at first), the classifier's stopword vote on those words names the
document's language, and when that is another one the page is read again with its model, which
then reads the rest of the document; when the vote is unclear all six models are loaded
together and Tesseract picks the best one word by word. One model is much cheaper than six
(Tesseract retries every word that is not a dictionary word, which on an invoice is most of
them, in each loaded language), and the vote on a whole page is surer than on a part of it.

Tesseract's retry of a line as white-on-black text is switched off: invoices print their
light-on-dark headings in bold and large, and the retry costs a fifth of the time.

Hostile input: the page size and every embedded image's pixel size are checked before
anything is rendered or decoded (``ImageTooLargeError``), Pillow's own bomb guard is set to
the same limit, and OCR stops at a CPU deadline so a long scan returns the pages read so far
with a warning instead of exhausting the reader's time limit.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
import statistics
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from typing import TYPE_CHECKING
from typing import Any

from reconciliation.extraction.errors import ImageTooLargeError
from reconciliation.extraction.errors import PageTooLargeError
from reconciliation.extraction.errors import UnreadablePdfError
from reconciliation.extraction.errors import describe_error
from reconciliation.extraction.pdftext import Line
from reconciliation.extraction.pdftext import PageText
from reconciliation.extraction.pdftext import TextWord

if TYPE_CHECKING:
    from PIL import Image

#: Tesseract's language data installed by the Makefile (Debian's tesseract-ocr-* packages),
#: by the language code the classifier's vote returns.
MODELS = {"en": "eng", "fr": "fra", "de": "deu", "nl": "nld", "es": "spa", "it": "ita"}
#: When the vote is not clear: all six, English first, Tesseract choosing word by word.
ALL_MODELS = "+".join(MODELS.values())
#: Engines kept loaded in the reader (about 30 MB each, 80 MB for all six).
MAX_ENGINES = 3
#: A desk scanner's usual resolution; Tesseract reads 9 pt text well from it.
DPI = 200
#: Largest image (embedded or rendered) decoded in the reader: an A4 page at 1200 dpi.
MAX_IMAGE_PIXELS = 140_000_000
#: A rendered page never exceeds this; a page drawn larger (a poster, a hostile MediaBox) is
#: rendered at a lower resolution instead.
MAX_RENDER_PIXELS = 40_000_000
#: Below this resolution (a page several metres wide squeezed into MAX_RENDER_PIXELS) nothing
#: on the page can be read.
MIN_DPI = 50
#: Skew taken out of the word positions: below the minimum rows line up anyway; beyond the
#: maximum the baselines are not text lines (a table rule, a stamp) or the page is turned.
MIN_SKEW_DEGREES = 0.1
MAX_SKEW_DEGREES = 10.0
#: Baselines shorter than this (pixels) say little about the page's tilt.
MIN_SKEW_LINE_PIXELS = 100
#: Share of the page an image must cover for the page to count as a scan.
IMAGE_COVERAGE = 0.5
#: Short words Tesseract is less sure of than this are noise (speckles read as "." or "'").
MIN_WORD_CONFIDENCE = 20.0


@dataclass(frozen=True)
class PageGeometry:
    """How a page's OCR coordinates relate to the page: the straightening rotation (degrees,
    counter-clockwise) about the page centre, in points."""

    number: int
    angle: float
    width: float
    height: float


@dataclass
class OcrResult:
    pages: dict[int, PageText] = field(default_factory=dict)
    geometry: dict[int, PageGeometry] = field(default_factory=dict)
    confidence: dict[int, float] = field(default_factory=dict)  # mean word confidence, 0-100
    skipped: list[int] = field(default_factory=list)  # pages left out at the deadline
    models: str | None = None  # the Tesseract language model(s) the document was read with
    seconds: float = 0.0


def ocr_pages(
    path: str,
    numbers: list[int],
    *,
    deadline: float | None = None,
    clock: Callable[[], float] = time.process_time,
) -> OcrResult:
    """OCR the given 1-based pages of the PDF at ``path``.

    ``deadline`` is a value of ``clock`` (CPU seconds by default) after which no new page is
    started; pages not reached are listed in ``skipped``. Pages are read in the order given.
    """
    import pypdfium2 as pdfium

    started = time.perf_counter()
    result = OcrResult()
    try:
        pdf = pdfium.PdfDocument(path)
    except Exception as exc:
        raise UnreadablePdfError(f"broken PDF (pdfium: {describe_error(exc)})") from exc
    try:
        for position, number in enumerate(numbers):
            if deadline is not None and position and clock() > deadline:
                result.skipped = sorted(numbers[position:])
                break
            page = pdf[number - 1]
            try:
                _read_page(page, number, result)
            finally:
                page.close()
    finally:
        pdf.close()
    result.seconds = time.perf_counter() - started
    return result


def _read_page(page: Any, number: int, result: OcrResult) -> None:
    width, height = (round(float(side), 2) for side in page.get_size())
    check_images(page)
    image, scale = render_page(page, width, height)
    geometry = PageGeometry(number, 0.0, width, height)
    words: list[TextWord] = []
    if _has_ink(image):
        if result.models is None:
            words, angle = _read_first(image, number, scale, result)
        else:
            words, angle = recognise(image, number, scale, models=result.models)
        if result.models not in (MODELS["en"], ALL_MODELS):
            words = [_second_opinion(image, word, scale) for word in words]
        geometry = PageGeometry(number, angle, width, height)
        words = [straighten(word, geometry) for word in words]
    result.pages[number] = PageText(
        number=number,
        width=width,
        height=height,
        lines=group_rows(number, words),
        chars=sum(len(w.text) for w in words),
    )
    result.geometry[number] = geometry
    confident = [w.confidence for w in words]
    result.confidence[number] = statistics.fmean(confident) if confident else 0.0


def _has_ink(image: Image.Image) -> bool:
    """Anything darker than paper: a blank page is not worth Tesseract's time."""
    darkest: Any = image.getextrema()[0]  # (darkest, lightest) for a greyscale image
    return bool(darkest < 128)


def covered_by_image(path: str, number: int) -> bool:
    """Whether an image covers at least half of the page (1-based ``number``)."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    try:
        pdf = pdfium.PdfDocument(path)
    except Exception:  # pdfplumber read it; if pdfium cannot, OCR could not either
        return False
    try:
        page = pdf[number - 1]
        width, height = page.get_size()
        for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=3):
            left, bottom, right, top = obj.get_pos()
            if (right - left) * (top - bottom) >= IMAGE_COVERAGE * width * height:
                return True
        return False
    finally:
        pdf.close()


def check_images(page: Any) -> None:
    """Refuse a page holding an image that would decode into a bomb, before pdfium or Pillow
    decodes it: the sizes come from the image dictionaries, not from the pixels."""
    import pypdfium2.raw as pdfium_c

    for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=3):
        try:
            w, h = obj.get_px_size()
        except Exception:  # an image pdfium cannot describe is left to the renderer
            w = h = 0
        if w * h > MAX_IMAGE_PIXELS:
            raise ImageTooLargeError(
                f"an image of {w} x {h} pixels is larger than any scan", (int(w), int(h))
            )


def render_page(page: Any, width: float, height: float) -> tuple[Image.Image, float]:
    """The page in greyscale at DPI (lower for an oversized page), and pixels per point."""
    scale = DPI / 72
    area = width * height * scale * scale
    if area > MAX_RENDER_PIXELS:
        scale *= math.sqrt(MAX_RENDER_PIXELS / area)
    if scale < MIN_DPI / 72:
        raise PageTooLargeError(f"a page of {width:.0f} x {height:.0f} points is too large to OCR")
    if width * scale < 1 or height * scale < 1:
        raise UnreadablePdfError("the page has no area")
    bitmap = page.render(scale=scale, grayscale=True)
    try:
        return bitmap.to_pil().convert("L"), scale
    finally:
        bitmap.close()


_ENGINES: OrderedDict[str, Any] = OrderedDict()
#: The model the last document was read with: the first guess for the next one.
_LAST_MODELS: list[str] = [MODELS["en"]]


def engine(models: str) -> Any:
    """A loaded Tesseract engine for ``models`` ("deu", "eng+fra+..."), kept for the next
    page and document: loading costs 0.4 s for one language, 2 s for all six. The least
    recently used is dropped beyond ``MAX_ENGINES``."""
    if models in _ENGINES:
        _ENGINES.move_to_end(models)
        return _ENGINES[models]
    # libgomp reads this when Tesseract first runs: one thread, so "per core" is true and the
    # reader's no-new-threads limit holds.
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    import tesserocr  # type: ignore[import-untyped]

    api = tesserocr.PyTessBaseAPI(lang=models, psm=tesserocr.PSM.AUTO)
    api.SetVariable("tessedit_do_invert", "0")
    _ENGINES[models] = api
    while len(_ENGINES) > MAX_ENGINES:
        _models, oldest = _ENGINES.popitem(last=False)
        oldest.End()
    return api


def vote_models(words: list[TextWord], width: float, height: float) -> str:
    """The language model the classifier's stopword vote names for these words ("Rechnung",
    "und", "facture", "het"...); all six when the vote is not clear."""
    from reconciliation.extraction.classify import detect_language
    from reconciliation.extraction.document import Document

    page = PageText(1, width, height, group_rows(1, words))
    language = detect_language(Document([page]))
    return MODELS.get(language or "", ALL_MODELS)


def _read_first(
    image: Image.Image, number: int, scale: float, result: OcrResult
) -> tuple[list[TextWord], float]:
    """The document's first page with ink: read with the model that served the previous
    document (the same supplier's paperwork tends to come in one language), and read again
    with the voted model when the words say the guess was wrong."""
    guess = _LAST_MODELS[-1]
    words, angle = recognise(image, number, scale, models=guess)
    voted = vote_models(words, image.width / scale, image.height / scale)
    if voted != guess:
        words, angle = recognise(image, number, scale, models=voted)
    result.models = voted
    _LAST_MODELS.append(voted)
    del _LAST_MODELS[:-1]
    return words, angle


def recognise(
    image: Image.Image, number: int, scale: float, *, models: str
) -> tuple[list[TextWord], float]:
    """Tesseract's words, in points on the page as rendered, with their confidences; and the
    page's skew (degrees, counter-clockwise) measured on the baselines of its text lines."""
    import tesserocr

    api = engine(models)
    api.SetImage(image)
    api.SetSourceResolution(round(72 * scale))
    api.Recognize()
    angle = _skew(api, tesserocr.RIL.TEXTLINE)
    level = tesserocr.RIL.WORD
    words: list[TextWord] = []
    for item in tesserocr.iterate_level(api.GetIterator(), level):
        try:
            text = (item.GetUTF8Text(level) or "").strip()
        except RuntimeError:  # tesserocr's way of saying the word is empty
            continue
        confidence = float(item.Confidence(level))
        box = item.BoundingBox(level)
        if not text or box is None or (confidence < MIN_WORD_CONFIDENCE and _speckle(text)):
            continue
        baseline = item.Baseline(level)
        x0, top, x1, bottom = (value / scale for value in box)
        base = bottom
        if baseline is not None:
            base = (baseline[0][1] + baseline[1][1]) / 2 / scale
        words.append(
            TextWord(
                page=number,
                text=text,
                x0=x0,
                top=top,
                x1=x1,
                bottom=bottom,
                size=max(bottom - top, 1.0),
                bold=False,
                confidence=round(confidence / 100, 3),
                baseline=base,
            )
        )
    api.Clear()
    return words, angle


def _skew(api: Any, level: Any) -> float:
    """The median slope of the text lines' baselines, as a counter-clockwise angle; Tesseract
    reads lines tilted by a degree or two as well as level ones, but rows of words across the
    page (label here, value there) only line up once the tilt is taken out."""
    import tesserocr

    slopes: list[float] = []
    for item in tesserocr.iterate_level(api.GetIterator(), level):
        baseline = item.Baseline(level)
        if baseline is None:
            continue
        (x1, y1), (x2, y2) = baseline
        if x2 - x1 >= MIN_SKEW_LINE_PIXELS:
            # Image rows grow downwards: a line rising to the right has a negative slope.
            slopes.append(-math.degrees(math.atan2(y2 - y1, x2 - x1)))
    if not slopes:
        return 0.0
    angle = statistics.median(slopes)
    return round(angle, 2) if MIN_SKEW_DEGREES <= abs(angle) <= MAX_SKEW_DEGREES else 0.0


def straighten(word: TextWord, geometry: PageGeometry) -> TextWord:
    """The word where it would stand on the page turned level (about the page centre); its box
    keeps its size, so rows of words line up across the page."""
    if not geometry.angle:
        return _rounded(word, 0.0, 0.0)
    radians = math.radians(-geometry.angle)
    cos, sin = math.cos(radians), math.sin(radians)
    cx, cy = geometry.width / 2, geometry.height / 2
    mx, my = (word.x0 + word.x1) / 2 - cx, (word.baseline + word.top) / 2 - cy
    # A counter-clockwise turn by -angle on a page whose y axis points down.
    dx = cx + mx * cos + my * sin - (word.x0 + word.x1) / 2
    dy = cy - mx * sin + my * cos - (word.baseline + word.top) / 2
    return _rounded(word, dx, dy)


def _rounded(word: TextWord, dx: float, dy: float) -> TextWord:
    return dataclasses.replace(
        word,
        x0=round(word.x0 + dx, 2),
        top=round(word.top + dy, 2),
        x1=round(word.x1 + dx, 2),
        bottom=round(word.bottom + dy, 2),
        size=round(word.size, 2),
        baseline=round(word.baseline + dy, 2),
    )


def _speckle(text: str) -> bool:
    """What dust reads as: a mark or two, or no letter nor digit at all. A longer unsure word
    is kept (its low confidence goes with it): it may be a smudged code worth a second look."""
    return len(text) <= 2 or not any(char.isalnum() for char in text)


def _second_opinion(image: Image.Image, word: TextWord, scale: float) -> TextWord:
    """A word shaped like the start of an IBAN or a VAT id whose digits hold a letter ("DEO2",
    "DE1l2") is read again by the English model, which reads codes better than the models of
    languages with long words; its reading is kept when it has no such letter. This is a second
    reading of the print, not a correction: check digits play no part in it."""
    import tesserocr

    if not _damaged_code(word.text.lstrip(LEADING_MARKS)):
        return word
    api = engine(MODELS["en"])
    api.SetPageSegMode(tesserocr.PSM.SINGLE_WORD)
    try:
        api.SetImage(image)
        pad = 2
        left, top = max(0, round(word.x0 * scale) - pad), max(0, round(word.top * scale) - pad)
        right = min(image.width, round(word.x1 * scale) + pad)
        bottom = min(image.height, round(word.bottom * scale) + pad)
        api.SetRectangle(left, top, right - left, bottom - top)
        again = "".join((api.GetUTF8Text() or "").split())
    finally:
        api.SetPageSegMode(tesserocr.PSM.AUTO)
        api.Clear()
    core = again.lstrip(LEADING_MARKS)
    if core and abs(len(again) - len(word.text)) <= 1 and not _damaged_code(core):
        return dataclasses.replace(word, text=again)
    return word


#: Punctuation OCR glues to the front of a word (":DEI2").
LEADING_MARKS = ":;,.(['\""
#: A country code, then digits with a letter OCR takes for a digit among them.
_CODE_START = re.compile(r"[A-Z]{2}[0-9OIlSBZGD|]{2}[0-9A-Z]*")
_DIGIT_LOOKALIKE = re.compile(r"^[A-Z]{2}(?![0-9]{2})|[0-9][OIlSBZGD|](?:[0-9]|$)")


def _damaged_code(text: str) -> bool:
    return (
        _CODE_START.fullmatch(text) is not None
        and any(char.isdigit() for char in text)
        and _DIGIT_LOOKALIKE.search(text) is not None
    )


def group_rows(number: int, words: list[TextWord]) -> list[Line]:
    """Words that stand on the same baseline form one line, left to right, across the whole
    page (as the text layer's rows do: labels and values in different columns share a line)."""
    if not words:
        return []
    heights = sorted(w.bottom - w.top for w in words)
    tolerance = max(2.0, 0.35 * heights[len(heights) // 2])
    rows: list[list[TextWord]] = []
    for word in sorted(words, key=lambda w: w.baseline):
        if rows and abs(word.baseline - _row_baseline(rows[-1])) <= tolerance:
            rows[-1].append(word)
        else:
            rows.append([word])
    lines: list[Line] = []
    for row in rows:
        size = max(w.size for w in row)
        same_size = [dataclasses.replace(w, size=size) for w in sorted(row, key=lambda w: w.x0)]
        lines.append(Line(page=number, words=same_size))
    return lines


def _row_baseline(row: list[TextWord]) -> float:
    return statistics.median(w.baseline for w in row)


def to_page_space(
    box: tuple[float, float, float, float], geometry: PageGeometry
) -> tuple[float, float, float, float]:
    """A box found on the straightened page, as the box that encloses it on the page as
    scanned (the straightening rotation undone about the page centre)."""
    if not geometry.angle:
        return box
    radians = math.radians(geometry.angle)
    cos, sin = math.cos(radians), math.sin(radians)
    cx, cy = geometry.width / 2, geometry.height / 2
    xs: list[float] = []
    ys: list[float] = []
    for x, y in ((box[0], box[1]), (box[2], box[1]), (box[0], box[3]), (box[2], box[3])):
        dx, dy = x - cx, y - cy
        # Undo a counter-clockwise turn by -angle on an image whose y axis points down.
        xs.append(cx + dx * cos + dy * sin)
        ys.append(cy - dx * sin + dy * cos)
    return (
        round(max(0.0, min(xs)), 2),
        round(max(0.0, min(ys)), 2),
        round(min(geometry.width, max(xs)), 2),
        round(min(geometry.height, max(ys)), 2),
    )
