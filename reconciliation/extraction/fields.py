"""Invoice number, issue and due dates, and currency from labels and their values."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from reconciliation.extraction.amounts import CURRENCY_CODES
from reconciliation.extraction.amounts import currency_in
from reconciliation.extraction.candidates import Guess
from reconciliation.extraction.candidates import pick
from reconciliation.extraction.dates import FoundDate
from reconciliation.extraction.dates import find_dates
from reconciliation.extraction.document import Document
from reconciliation.extraction.document import Hit
from reconciliation.extraction.document import fold
from reconciliation.extraction.document import overlap
from reconciliation.extraction.labels import CURRENCY_LABEL
from reconciliation.extraction.labels import DUE_DATE
from reconciliation.extraction.labels import GENERIC_DATE
from reconciliation.extraction.labels import INVOICE_NUMBER_STRONG
from reconciliation.extraction.labels import INVOICE_NUMBER_TITLED
from reconciliation.extraction.labels import INVOICE_NUMBER_WEAK
from reconciliation.extraction.labels import ISSUE_DATE
from reconciliation.extraction.labels import OTHER_DATE
from reconciliation.extraction.pdftext import Line
from reconciliation.extraction.types import Evidence


@dataclass(frozen=True)
class Spot:
    """A value found near a label: the line, its span, and how it sits relative to it."""

    line: Line
    start: int
    end: int
    placement: str  # "same" (right after the label), "next_cell", "below"


def _value_windows(doc: Document, hit: Hit) -> list[tuple[Line, int, int, str]]:
    """Text windows where a label's value can be: the rest of its cell, the next cell on
    the line, and the cell under it on the next two lines."""
    line = hit.line
    windows: list[tuple[Line, int, int, str]] = []
    seg_end = _cell_end(doc, hit)
    windows.append((line, hit.end, seg_end, "same"))
    if seg_end < len(line.text):
        next_start = seg_end + 1
        windows.append((line, next_start, doc.segment_end(line, next_start), "next_cell"))
    x0, x1 = hit.x0 - 6, hit.x1 + 6
    for below in doc.lines_below(line, max_lines=2, max_gap=1.6):
        idx = [i for i, w in enumerate(below.words) if overlap(w.x0, w.x1, x0, x1) > 0]
        if not idx:
            continue
        start = below.starts[idx[0]]
        end = doc.segment_end(below, below.starts[idx[-1]])
        windows.append((below, start, end, "below"))
        break
    return windows


def _cell_end(doc: Document, hit: Hit) -> int:
    """End of the label's own cell. Measured from the label's last character: from the
    offset just after it, the search would start in the next cell ("Date    Due date")."""
    return max(doc.segment_end(hit.line, max(hit.end - 1, hit.start)), hit.end)


# --- invoice number ----------------------------------------------------------------------

_NUMBER_VALUE = re.compile(
    r"^[\s:.#\-–]*(?:\(\s*\d{1,4}\s*\)\s*)?"  # "(380)": a document type code
    r"(?:(?:n[or°º]|nr|no|nummer|number|num|numero)\b\.?\s*[:.#]?\s*)?"
    r"[#:]?\s*"
    r"(?P<value>[A-Za-z0-9][A-Za-z0-9\-/_.]*[A-Za-z0-9]|\d)",
    re.IGNORECASE,
)
_NOT_A_NUMBER = re.compile(
    r"^(?:date|datum|du|vom|of|from|van|del|page|seite|tel|fax|phone|\d{1,2}[./-]\d{1,2}[./-]\d{2,4})$",
    re.IGNORECASE,
)


def _number_in(text: str) -> tuple[int, int, str] | None:
    m = _NUMBER_VALUE.match(text)
    if not m:
        return None
    value = m.group("value").rstrip(".")
    if not re.search(r"\d", value) or _NOT_A_NUMBER.match(value):
        return None
    if find_dates(value) and len(value) <= 10:
        return None
    if re.fullmatch(r"\d{1,3}(?:[.,]\d{3})*[.,]\d{2}", value):
        return None  # an amount
    if len(value) > 40:
        return None
    return m.start("value"), m.start("value") + len(value), value


def extract_invoice_number(doc: Document) -> Guess | None:
    guesses: list[Guess] = []
    for pattern, strength in (
        (INVOICE_NUMBER_STRONG, 1.0),
        (INVOICE_NUMBER_TITLED, 0.85),
        (INVOICE_NUMBER_WEAK, 0.55),
    ):
        for hit in doc.search(pattern):
            folded = doc.folded[hit.line.index]
            before = folded[doc.segment_start(hit.line, hit.start + 1) : hit.start]
            # "unter Angabe Ihrer Rechnungsnummer": a label inside prose is not a label.
            prose = len(re.findall(r"[a-z]{2,}", before)) > 2
            for line, start, end, placement in _value_windows(doc, hit):
                if placement == "next_cell" and strength < 1:
                    continue
                found = _number_in(line.text[start:end])
                if found is None:
                    continue
                value_start, value_end, value = found
                weight = {"same": 1.0, "next_cell": 0.85, "below": 0.75}[placement]
                score = strength * weight - 0.5 * prose
                guesses.append(
                    Guess(
                        value,
                        Evidence(
                            line.page,
                            line.bbox(start + value_start, start + value_end),
                            line.text,
                        ),
                        score,
                        {
                            "strong_label": float(strength == 1.0),
                            "titled_label": float(strength == 0.85),
                            "same_line": float(placement != "below"),
                            "prose": float(prose),
                            "has_letters_and_digits": float(
                                bool(re.search(r"[A-Za-z]", value)) and len(value) >= 4
                            ),
                            "long": float(len(value) >= 4),
                        },
                    )
                )
                break
    # "# 123" opening a line is a number sign on English invoices.
    for line in doc.lines[:80]:
        m = re.match(r"^#\s*([A-Za-z0-9][A-Za-z0-9\-/_.]*)", line.text)
        if m and re.search(r"\d", m.group(1)):
            guesses.append(
                Guess(
                    m.group(1),
                    Evidence(line.page, line.bbox(m.start(1), m.end(1)), line.text),
                    0.5,
                    {"strong_label": 0.0, "same_line": 1.0, "hash": 1.0, "long": 1.0},
                )
            )
    return pick(guesses)


# --- dates ---------------------------------------------------------------------------------


def _dates_in_windows(
    doc: Document, hit: Hit, accept: Callable[[Line, int], bool] | None = None
) -> tuple[Line, FoundDate, str] | None:
    for line, start, end, placement in _value_windows(doc, hit):
        window = line.text[start:end]
        dates = find_dates(window, month_first=doc.month_first)
        for found in dates:
            if found.start > 40 and placement != "below":
                break
            if accept is not None and not accept(line, start + found.start):
                continue
            shifted = FoundDate(
                found.value,
                start + found.start,
                start + found.end,
                found.text,
                found.month_name,
                found.ambiguous,
            )
            return line, shifted, placement
        if placement == "same" and re.search(r"\w{3,}", window) and not dates:
            continue
    return None


def _date_guess(line: Line, found: FoundDate, score: float, features: dict[str, float]) -> Guess:
    features = dict(features)
    features["ambiguous"] = float(found.ambiguous and not found.month_name)
    return Guess(
        found.value,
        Evidence(line.page, line.bbox(found.start, found.end), line.text),
        score - 0.2 * features["ambiguous"],
        features,
    )


def extract_issue_date(doc: Document) -> Guess | None:
    """The invoice date. A date under an invoice-date label ("Rechnungsdatum", "Date de
    facture", "Invoice date"...) wins over every other: the order, delivery, period and due
    dates printed next to it are never the issue date then. Without one, a generic "Date"
    label or a title ("Invoice 12 of 05.03.2018"), then the first date in the header."""
    guesses = _labelled_issue_dates(doc) + _titled_issue_dates(doc)
    labelled = [
        g for g in guesses if g.features.get("strong_label") and not g.features.get("title")
    ]
    if labelled:
        return pick(labelled)
    claimed = _claimed_dates(doc)
    for guess in guesses:
        # "Datum 01.03." under a "Lieferdatum 01.03." claims nothing; a generic date that is
        # also printed as the delivery or due date loses against one that is not.
        guess.features["claimed"] = float(guess.value in claimed)
        guess.score -= 0.4 * guess.features["claimed"]
    best = pick(guesses)
    if best is None:
        best = _first_header_date(doc)
    return best


def _claimed_dates(doc: Document) -> set[object]:
    """Dates printed under another date's label: order, delivery, period, due."""
    claimed: set[object] = set()
    for pattern in (OTHER_DATE, DUE_DATE):
        for hit in doc.search(pattern):
            found = _dates_in_windows(doc, hit)
            if found is not None:
                claimed.add(found[1].value)
    return claimed


def _labelled_issue_dates(doc: Document) -> list[Guess]:
    guesses: list[Guess] = []
    for pattern, strength in ((ISSUE_DATE, 1.0), (GENERIC_DATE, 0.6)):
        for hit in doc.search(pattern):
            folded = doc.folded[hit.line.index]
            before = folded[max(0, doc.segment_start(hit.line, hit.start + 1)) : hit.start]
            after = folded[hit.end : _cell_end(doc, hit)]
            if strength < 1 and (OTHER_DATE.search(before) or OTHER_DATE.search(after[:25])):
                continue  # "Order date", "Date of delivery"
            if (
                strength < 1
                and re.search(r"[a-z]{3,}\s*$", before)
                and not re.search(
                    r"(?:invoice|rechnung|facture|factuur|factura|fattura|beleg)\w*\s*$", before
                )
            ):
                continue  # "Liefer- und Leistungsdatum": the generic word is part of a label
            found = _dates_in_windows(doc, hit)
            if found is None:
                continue
            line, value, placement = found
            guesses.append(
                _date_guess(
                    line,
                    value,
                    strength * (1.0 if placement != "below" else 0.85),
                    {
                        "strong_label": float(strength == 1.0),
                        "same_line": float(placement != "below"),
                    },
                )
            )
    return guesses


def _titled_issue_dates(doc: Document) -> list[Guess]:
    guesses: list[Guess] = []
    # "Invoice 123 of 05.03.2018", "Facture n°X du 02 Juillet 2015", "Rechnung Nr. 1 vom ..."
    # A number between the title and the date keeps "Rechnung gemäß Bestellung vom ..." out.
    title = re.compile(
        r"(?:invoice|rechnung|facture|factuur|factura|fattura|avoir|gutschrift|credit\s*note)"
        r"[^\n]{0,40}?\d[^\n]{0,25}?"
        r"(?<![a-z])(?:vom|du|of|dated|van|del|dd\.?|le|issued\s*(?:at|on)|ausgestellt\s*am|"
        r"emise?\s*le|date[de]?)\s*:?\s*$"
    )
    previous_folded = ""
    previous_page = 0
    for line, folded in zip(doc.lines, doc.folded, strict=True):
        for index, printed in enumerate(find_dates(line.text, month_first=doc.month_first)):
            before = folded[max(0, printed.start - 70) : printed.start]
            if not before.strip() and index == 0 and previous_page == line.page:
                before = previous_folded[-70:] + " "  # the title wrapped before its date
            match = title.search(before)
            if match and not _REFERENCED.search(match.group(0)):
                early = line.page == 1 and doc.relative_top(line) < 0.25
                guesses.append(
                    _date_guess(
                        line,
                        printed,
                        0.95 + 0.04 * early,
                        {"strong_label": 1.0, "same_line": 1.0, "title": 1.0},
                    )
                )
        previous_folded, previous_page = folded, line.page
    return guesses


# "Rechnung gemäß Bestellung Nr. 2018-471331 vom 01.03.2018": the date of another document.
_REFERENCED = re.compile(
    r"bestell|order|commande|auftrag|lieferschein|delivery|livraison|angebot|quot|devis|"
    r"offerte|offerta|pedido|ordine|contract|vertrag|contrat|gemass|according|selon|volgens"
)


def _first_header_date(doc: Document) -> Guess | None:
    """No label: the first date in the top part of page 1 that no other label claims."""
    for line, folded in zip(doc.lines, doc.folded, strict=True):
        if line.page != 1 or doc.relative_top(line) > 0.45:
            continue
        for found in find_dates(line.text, month_first=doc.month_first):
            before = folded[max(0, found.start - 30) : found.start]
            if OTHER_DATE.search(before):
                continue
            return _date_guess(line, found, 0.3, {"unlabelled": 1.0})
    return None


def extract_due_date(doc: Document, issue: date | None) -> Guess | None:
    guesses: list[Guess] = []
    for hit in doc.search(DUE_DATE):
        folded = doc.folded[hit.line.index]
        before = folded[max(0, hit.start - 25) : hit.start]
        if re.search(r"skonto|escompte|discount|korting|sconto|descuento", before):
            continue
        found = _dates_in_windows(doc, hit)
        if found is None:
            continue
        line, value, placement = found
        after_issue = issue is None or value.value >= issue
        # "Due date", "Fälligkeitsdatum", "échéance" name the field; "zahlbar bis", "pay by"
        # or a bare "due" are phrases that often introduce a discount date or prose.
        strong = bool(_DUE_NOUN.search(fold(hit.text)))
        guesses.append(
            _date_guess(
                line,
                value,
                (1.0 if strong else 0.8) * (1.0 if placement != "below" else 0.85)
                - (0.0 if after_issue else 0.5),
                {
                    "strong_label": float(strong),
                    "same_line": float(placement != "below"),
                    "after_issue": float(after_issue),
                },
            )
        )
    return pick(guesses)


_DUE_NOUN = re.compile(
    r"date|datum|falligkeit|echeance|verval|vencimiento|scadenza|zahlungsziel|limite|uiterste"
)


# --- currency ------------------------------------------------------------------------------

_AMOUNT_NEAR = re.compile(r"\d[\d.,' ]*\d")


def extract_currency(doc: Document) -> Guess | None:
    guesses: list[Guess] = []
    for hit in doc.search(CURRENCY_LABEL):
        window = hit.line.text[hit.end : hit.end + 25]
        for code, start, end in currency_in(window):
            if code in CURRENCY_CODES:
                line = hit.line
                guesses.append(
                    Guess(
                        code,
                        Evidence(line.page, line.bbox(hit.end + start, hit.end + end), line.text),
                        1.2,
                        {"currency_label": 1.0},
                    )
                )
                break
    for line in doc.lines:
        for code, start, end in currency_in(line.text):
            near = line.text[max(0, start - 14) : end + 14]
            if not _AMOUNT_NEAR.search(near):
                continue
            # "$" is also the Canadian, Australian, ... dollar; "EUR", "€" and "£" are not.
            dollar = line.text[start:end] == "$"
            guesses.append(
                Guess(
                    code,
                    Evidence(line.page, line.bbox(start, end), line.text),
                    0.5 if dollar else 0.6,
                    {"currency_label": 0.0, "iso_code": float(not dollar), "dollar": float(dollar)},
                )
            )
    return pick(guesses)


_TERM = re.compile(
    r"(?<!\d)(\d{1,3})\s*(?:days?|jours?|j(?![a-z])|tage?n?|dagen|dias|giorni|gg(?![a-z]))"
)


def reconcile_day_month(doc: Document, issue: Guess, due: Guess) -> None:
    """03/11/2017 and 03/12/2017 read day first are one day apart; read month first they
    are 30 days apart. When both dates are ambiguous, keep the reading whose gap is the
    payment term printed on the invoice (or at least not negative)."""
    if not (issue.features.get("ambiguous") and due.features.get("ambiguous")):
        return
    if not isinstance(issue.value, date) or not isinstance(due.value, date):
        return
    swapped_issue, swapped_due = _swap(issue.value), _swap(due.value)
    if swapped_issue is None or swapped_due is None:
        return
    terms = {int(m.group(1)) for m in _TERM.finditer(doc.full_folded)}
    gap = (due.value - issue.value).days
    swapped_gap = (swapped_due - swapped_issue).days
    if (swapped_gap in terms and gap not in terms) or (gap < 0 <= swapped_gap):
        issue.value, due.value = swapped_issue, swapped_due
        issue.features["reconciled"] = due.features["reconciled"] = 1.0


def _swap(value: date) -> date | None:
    try:
        return date(value.year, value.day, value.month)
    except ValueError:
        return None
