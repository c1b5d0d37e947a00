"""The supplier's name: from a seller heading, a legal form, a return address, the
letterhead, the head of the block that holds the seller's VAT id or IBAN, or the cell that
spells the sender's domain; never a label, never our own company, never a name that stands in
another party's block."""

from __future__ import annotations

import re

from reconciliation.extraction.blocks import BUYER_HINT
from reconciliation.extraction.blocks import NOBODY
from reconciliation.extraction.blocks import BuyerZones
from reconciliation.extraction.blocks import Ourselves
from reconciliation.extraction.blocks import hosts_in
from reconciliation.extraction.blocks import in_zone
from reconciliation.extraction.blocks import rival_vat_ids
from reconciliation.extraction.blocks import seller_lines
from reconciliation.extraction.blocks import stands_with
from reconciliation.extraction.candidates import Guess
from reconciliation.extraction.candidates import pick
from reconciliation.extraction.document import Document
from reconciliation.extraction.document import Hit
from reconciliation.extraction.document import compile_terms
from reconciliation.extraction.document import fold
from reconciliation.extraction.document import overlap
from reconciliation.extraction.labels import DOCUMENT_TITLES
from reconciliation.extraction.labels import LEGAL_FORM
from reconciliation.extraction.labels import SELLER_ROLE
from reconciliation.extraction.labels import looks_like_label
from reconciliation.extraction.pdftext import Line
from reconciliation.extraction.types import Evidence
from reconciliation.text.domains import SHARED_DOMAINS as FREE_MAIL
from reconciliation.text.domains import registered_label

NAME_LABEL = compile_terms(
    r"name", r"firma", r"company", r"raison\s*sociale", r"societe", r"naam", r"bedrijf",
    r"nombre", r"razon\s*social", r"ragione\s*sociale", r"denominazione",
    r"kontoinhaber", r"kontoname", r"account\s*(?:holder|name)", r"titulaire",
)  # fmt: skip
_PHONE_LABEL = re.compile(
    r"\b(?:mobil)?(?:tel|fax|phone|telefon|telefax|t[eé]l[eé]phone)\b", re.IGNORECASE
)
_ADDRESS_LIKE = re.compile(
    r"(?:\d{4,5}\s+[A-ZÄÖÜ][a-zäöüß]|str(?:asse|aße|\.)|(?<![a-z])(?:rue|avenue|straat|weg|"
    r"via|calle|road|street|st\.|ave\.?|postfach|p\.?o\.?\s*box|cedex)(?![a-z]))",
    re.IGNORECASE,
)
_CONNECTORS = frozenset(
    [
        "&",
        "and",
        "und",
        "et",
        "y",
        "e",
        "de",
        "du",
        "des",
        "la",
        "le",
        "van",
        "der",
        "den",
        "von",
        "zu",
        "di",
        "del",
        "della",
        "of",
        "the",
    ]
)


def _clean_name(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip(" ,;:-–·•●|/")


def _name_before_legal_form(line_text: str, folded: str, form_start: int, form_end: int) -> str:
    """The capitalised words that run up to a legal form: "... sold by Amazon Web Services,
    Inc." -> "Amazon Web Services, Inc."."""
    head = line_text[:form_start]
    tokens = head.split()
    taken: list[str] = []
    for token in reversed(tokens):
        bare = token.strip(",")
        if not bare:
            break
        if token.endswith(":") or bare in ("-", "–", "|", "·", "●", "•"):
            break
        lowered = bare.lower()
        if lowered in _CONNECTORS and taken:
            taken.append(token)
            continue
        if bare[0].isupper() or bare[0].isdigit() or any(c.isupper() for c in bare[1:]):
            if bare[0].isdigit() and not taken:
                break
            taken.append(token)
            if len(taken) >= 6:
                break
            continue
        break
    # A lowercase connector cannot start a name; "De Vries", "La Poste" and "Van Dijk" can.
    while taken and taken[-1].strip(",") in _CONNECTORS:
        taken.pop()
    if not taken:
        return ""
    name = " ".join(reversed(taken)) + " " + line_text[form_start:form_end]
    return _clean_name(name)


def _strip_titles(text: str) -> str:
    folded = fold(text)
    for m in reversed(list(DOCUMENT_TITLES.finditer(folded))):
        text = text[: m.start()] + text[m.end() :]
    return _clean_name(text)


def _looks_like_name(text: str) -> bool:
    letters = sum(c.isalpha() for c in text)
    digits = sum(c.isdigit() for c in text)
    if letters < 2 or digits > letters / 2 or len(text) > 80:
        return False
    if _ADDRESS_LIKE.search(text) or "@" in text or re.search(r"www\.|https?:", text):
        return False
    # A phone or fax label is a word of its own ("Tel.", "Telefax", "Téléphone", "Mobiltelefon"):
    # "Hotel", "Fairfax" or "Interphone" in a name are not one.
    return not _PHONE_LABEL.search(text)


def extract_supplier_name(
    doc: Document,
    buyers: BuyerZones,
    *,
    vat: Guess | None = None,
    iban: Guess | None = None,
    ourselves: Ourselves | None = None,
) -> Guess | None:
    ourselves = ourselves or NOBODY
    guesses: list[Guess] = []
    guesses.extend(_from_seller_headings(doc, buyers))
    guesses.extend(_from_legal_forms(doc, buyers))
    guesses.extend(_from_return_address(doc))
    guesses.extend(_from_letterhead(doc, buyers))
    anchors = [g.evidence for g in (vat, iban) if g is not None and g.evidence is not None]
    guesses.extend(_from_identifier_blocks(doc, anchors))
    guesses.extend(_from_domain_names(doc, buyers))
    # A label, a heading or a payment instruction is never a name, nor is our own company.
    guesses = [
        g
        for g in guesses
        if g.value
        and not looks_like_label(str(g.value))
        and not ourselves.has_name(str(g.value))
        and not in_zone(doc, buyers, g)
    ]
    sellers = seller_lines(doc, buyers)
    for guess in guesses:
        inside = in_zone(doc, sellers, guess)
        guess.features["seller_block"] = float(inside)
        guess.score += 0.3 * inside
    # An identifier chosen by a coin toss between two parties corroborates nobody.
    identifiers = [g for g in (vat, iban) if g is not None and not g.features.get("contested")]
    rivals = rival_vat_ids(doc, vat, ourselves)
    _corroborate(doc, guesses, buyers, identifiers, rivals)
    best = pick(guesses)
    if best is not None and best.evidence is not None and vat is not None:
        # Two parties' blocks alike and the VAT id a coin toss: so is the name beside it.
        sides = [e for e in (vat.evidence, *rivals) if e is not None]
        if vat.features.get("contested") and any(stands_with(best.evidence, e) for e in sides):
            best.features["contested"] = 1.0
    return best


def _corroborate(
    doc: Document,
    guesses: list[Guess],
    buyers: BuyerZones,
    identifiers: list[Guess],
    rivals: list[Evidence],
) -> None:
    """A name printed with the seller's VAT id or IBAN, or matching the sender's web or
    mail domain, is the seller's; a name printed with another party's VAT id is not."""
    anchors = [g.evidence for g in identifiers if g.evidence is not None]
    labels = _domain_labels(doc, buyers, min_length=3)
    for guess in guesses:
        key = re.sub(r"[^a-z0-9]", "", fold(str(guess.value)))
        domain = any(label in key or (len(key) >= 5 and key[:6] in label) for label in labels)
        near = rival = False
        if guess.evidence is not None:
            near = any(stands_with(guess.evidence, anchor) for anchor in anchors)
            rival = not near and any(stands_with(guess.evidence, r) for r in rivals)
        guess.features["domain_match"] = float(domain)
        guess.features["near_identifier"] = float(near)
        guess.features["near_rival"] = float(rival)
        guess.score += 0.3 * domain + 0.3 * near - 0.4 * rival


def _evidence(line: Line, start: int, end: int) -> Evidence:
    return Evidence(line.page, line.bbox(start, end), line.text)


def _name_guess(
    name: str, line: Line, span: tuple[int, int], score: float, cue: str, folded: str | None = None
) -> Guess:
    """A supplier name read at `span` of the line, found by `cue`; whether it carries a legal
    form (looked for in `folded`, the name folded by default) is a feature of its own."""
    has_form = bool(LEGAL_FORM.search(fold(name) if folded is None else folded))
    return Guess(name, _evidence(line, *span), score, {cue: 1.0, "legal_form": float(has_form)})


def _from_seller_headings(doc: Document, buyers: BuyerZones) -> list[Guess]:
    guesses: list[Guess] = []
    for hit in doc.search(SELLER_ROLE):
        line = hit.line
        folded = doc.folded[line.index]
        seg_start = doc.segment_start(line, hit.start + 1)
        if re.search(r"[a-z]", folded[seg_start : hit.start]):
            continue  # a word inside a sentence, not a heading
        seg_end = doc.segment_end(line, hit.end)
        rest = line.text[hit.end : seg_end]
        rest_folded = folded[hit.end : seg_end]
        if LEGAL_FORM.match(rest_folded.strip()) and not rest_folded.strip().startswith(":"):
            continue  # "Lieferant GmbH": a name that starts with a role word
        value = re.sub(r"^[\s:/\-–]+", "", rest)
        if re.search(r"[A-Za-z]{2}", value) and _looks_like_name(value):
            offset = hit.end + (len(rest) - len(value))
            guesses.append(
                _name_guess(
                    _trim_name(value), line, (offset, seg_end), 1.3, "seller_label", fold(value)
                )
            )
            continue
        guess = _name_below_heading(doc, hit, buyers)
        if guess is not None:
            guesses.append(guess)
    return guesses


def _trim_name(value: str) -> str:
    """Cut a name after its legal form when prose follows ("Free SAS au capital de ..." ->
    "Free SAS"), but keep "Rohstoff AG Salzgitter"."""
    folded = fold(value)
    for form in LEGAL_FORM.finditer(folded):
        rest = value[form.end() :]
        if re.match(r"\s*(?:[,;(–-]|[a-zà-ÿ])", rest):
            return _clean_name(value[: form.end()])
    return _clean_name(value)


def _name_below_heading(doc: Document, hit: Hit, buyers: BuyerZones) -> Guess | None:
    """The seller's name under a "Seller"/"Verkäufer" heading: a "Name:" field when the
    block has one, else its first line that reads like a name."""
    x0, x1 = hit.x0 - 15, hit.x0 + 220
    below = doc.lines_below(hit.line, max_lines=6, max_gap=2.5)
    first_plain: Guess | None = None
    for index, line in enumerate(below):
        words = [w for w in line.words if overlap(w.x0, w.x1, x0, x1) > 0]
        if not words:
            continue
        start = line.starts[line.words.index(words[0])]
        if buyers.covers(line, start):
            break
        end = doc.segment_end(line, start)
        if end < len(line.text) and re.fullmatch(r"[^:]{1,30}:\s*", line.text[start:end]):
            end = doc.segment_end(line, end + 1)  # "Name:" in one cell, the value in the next
        text = line.text[start:end]
        folded = doc.folded[line.index][start:end]
        label = re.match(r"^([^:]{1,30}):\s*", text)
        if label:
            if NAME_LABEL.search(fold(label.group(1))):
                value = text[label.end() :]
                value = _join_wrapped(doc, line, start + label.end(), value, below[:index])
                if _looks_like_name(value):
                    return Guess(
                        _clean_name(value),
                        _evidence(line, start + label.end(), end),
                        1.4,
                        {"seller_label": 1.0, "name_label": 1.0},
                    )
            continue
        if first_plain is not None:
            continue
        if re.fullmatch(r"[\d\s\-/().+]*", text) or re.match(r"(?:gln|nummer|nr|id)\b", folded):
            continue
        if text.startswith("(") or not _looks_like_name(text):
            continue
        has_form = bool(LEGAL_FORM.search(folded))
        if not has_form and index + 1 < len(below):
            # A long name wrapped onto a second line that carries the legal form.
            following = below[index + 1]
            follow_text = following.text
            if (
                abs(following.x0 - words[0].x0) < 3
                and not any(c.isdigit() for c in follow_text)
                and ":" not in follow_text
                and LEGAL_FORM.search(fold(follow_text))
                and _looks_like_name(follow_text)
            ):
                text = text + " " + follow_text
                has_form = True
        first_plain = Guess(
            _trim_name(text),
            _evidence(line, start, end),
            1.3,
            {"seller_label": 1.0, "legal_form": float(has_form)},
        )
    return first_plain


def _join_wrapped(doc: Document, line: Line, start: int, value: str, above: list[Line]) -> str:
    """A name wrapped onto two lines next to its label: the part above starts at the same
    x and has no label of its own."""
    value_x = line.bbox(start, start + 1)[0]
    if above:
        previous = above[-1]
        words = [w for w in previous.words if abs(w.x0 - value_x) < 3]
        if words and previous.words[0] is words[0] and ":" not in previous.text:
            return previous.text + " " + value
    return value


def _from_legal_forms(doc: Document, buyers: BuyerZones) -> list[Guess]:
    guesses: list[Guess] = []
    for line, folded in zip(doc.lines, doc.folded, strict=True):
        for m in LEGAL_FORM.finditer(folded):
            # Only the cell the form is in: "Keizersgracht 61    Groupe Lefèvre SARL" holds
            # an address and, a column further, the representative's name.
            cell_start = doc.segment_start(line, m.start() + 1)
            cell_end = doc.segment_end(line, m.start())
            name = _name_before_legal_form(
                line.text[cell_start:], folded, m.start() - cell_start, m.end() - cell_start
            )
            if not name or len(name) < 4 or not _looks_like_name(name):
                continue
            if buyers.covers(line, max(line.text.rfind(name.split(" ")[0], 0, m.start()), 0)):
                continue
            # The legal form must close the name: "AG" in "AG Mitte" is not a form.
            after = folded[m.end() : min(m.end() + 3, cell_end)]
            if (
                re.match(r"\s?[a-z0-9]", after)
                and not re.match(r"\s?(?:au|mit|with|-)", after)
                and not re.match(r"\s?[,.;)]", after)
            ):
                continue
            prefix = _wrapped_prefix(doc, line, name)
            if prefix:
                name = prefix + " " + name
            relative = doc.relative_top(line)
            header = line.page == 1 and relative < 0.2
            footer = relative > 0.8
            buyer_hint = bool(BUYER_HINT.search(folded[: m.start()]))
            score = 0.9 + 0.2 * header + 0.15 * footer - 1.0 * buyer_hint
            start = line.text.find(name.split(" ")[0], cell_start) if not prefix else 0
            guesses.append(
                Guess(
                    name,
                    _evidence(line, max(start, 0), m.end()),
                    score,
                    {"legal_form": 1.0, "header": float(header), "footer": float(footer)},
                )
            )
    return guesses


def _wrapped_prefix(doc: Document, line: Line, name: str) -> str:
    """The first half of a two-line company name ("MVM Musterhafter" above
    "Versicherungsverein Musterstadt a.G."), only when the name starts the line."""
    if not line.text.startswith(name.split(" ")[0]):
        return ""
    above = doc.line_above(line)
    if (
        above is None
        or above.bottom > line.top
        or line.top - above.bottom > 0.6 * (line.bottom - line.top)
    ):
        return ""
    if abs(above.x0 - line.x0) > 2 or abs(above.size - line.size) > 0.6:
        return ""
    text = above.text
    if ":" in text or any(c.isdigit() for c in text) or len(text.split()) > 4:
        return ""
    if not all(t[0].isupper() for t in text.split()):
        return ""
    if DOCUMENT_TITLES.search(fold(text)) or LEGAL_FORM.search(fold(text)):
        return ""
    return text


def _from_return_address(doc: Document) -> list[Guess]:
    """The one-line sender address above the recipient window: "Name - Street - Town"."""
    guesses: list[Guess] = []
    for line in doc.lines:
        if line.page != 1 or doc.relative_top(line) > 0.35:
            continue
        parts = re.split(r"\s+[-–·•●|]\s+|\s*[●•·|]\s*", line.text)
        if len(parts) < 3 or not _ADDRESS_LIKE.search(line.text):
            continue
        first = _clean_name(parts[0])
        if _looks_like_name(first):
            guesses.append(_name_guess(first, line, (0, len(parts[0])), 1.0, "return_address"))
    return guesses


def _from_letterhead(doc: Document, buyers: BuyerZones) -> list[Guess]:
    """The biggest text at the top of page 1, without the document title."""
    top_lines = [
        ln
        for ln in doc.lines
        if ln.page == 1 and doc.relative_top(ln) < 0.18 and not buyers.covers(ln, 0)
    ]
    if not top_lines:
        return []
    largest = max(ln.size for ln in top_lines)
    body = sorted(ln.size for ln in doc.lines if ln.page == 1)[len(top_lines) // 2 :] or [largest]
    # The biggest text is often the title alone ("INVOICE"): then the next size down.
    sizes = sorted({round(ln.size) for ln in top_lines}, reverse=True)[:2]
    ranked = sorted(top_lines, key=lambda ln: -ln.size)
    guesses: list[Guess] = []
    for line in ranked:
        if round(line.size) not in sizes:
            break
        end = doc.segment_end(line, 0)
        text = _strip_titles(line.text[:end])
        if not text or not _looks_like_name(text) or len(text.split()) > 6:
            continue
        if re.search(r"[:#]", text):
            continue
        prominent = line.size > 1.15 * body[len(body) // 2]
        guesses.append(
            Guess(
                text,
                _evidence(line, 0, end),
                0.7 + 0.2 * prominent,
                {"letterhead": 1.0, "prominent": float(prominent)},
            )
        )
        break
    return guesses


def _from_identifier_blocks(doc: Document, anchors: list[Evidence]) -> list[Guess]:
    """The line that heads the block holding the seller's VAT id or IBAN: a name without a
    legal form ("Au bon moulin") is found by the identifiers printed under it."""
    guesses: list[Guess] = []
    by_top = {(line.page, round(line.top, 1)): line for line in doc.lines}
    for anchor in anchors:
        if anchor.bbox is None:
            continue
        line = by_top.get((anchor.page, round(anchor.bbox[1], 1)))
        if line is None:
            continue
        cell = doc.segment_start(line, _offset_at(line, anchor.bbox[0]) + 1)
        x0 = line.bbox(cell, cell + 1)[0]
        guesses.extend(_from_legal_line(line, anchor))
        head = _block_head(doc, line, x0)
        if head is None:
            continue
        head_line, start = head
        end = doc.segment_end(head_line, start)
        text = _clean_name(head_line.text[start:end])
        if text and _looks_like_name(text) and len(text.split()) <= 6 and ":" not in text:
            guesses.append(_name_guess(text, head_line, (start, end), 0.9, "block_head"))
    return guesses


def _from_legal_line(line: Line, anchor: Evidence) -> list[Guess]:
    """A legal line that prints the name first: "Northgate Print · Company no. 1234 · VAT
    number GB…"."""
    parts = re.split(r"\s+[·•|–]\s+|\s+-\s+", line.text)
    first = _clean_name(parts[0]) if len(parts) >= 2 else ""
    if not first or not _looks_like_name(first) or len(first.split()) > 6 or ":" in first:
        return []
    if anchor.bbox is not None and line.bbox(0, len(parts[0]))[2] > anchor.bbox[0]:
        return []  # the identifier comes first: this is not a name line
    return [_name_guess(first, line, (0, len(parts[0])), 0.9, "legal_line")]


def _offset_at(line: Line, x: float) -> int:
    for word, start in zip(line.words, line.starts, strict=True):
        if word.x1 >= x - 0.5:
            return start
    return 0


def _block_head(doc: Document, line: Line, x0: float) -> tuple[Line, int] | None:
    """The first line of the block that ``line`` ends, in the column starting at ``x0``:
    walking up while a line starts a word at the same x, with no wide gap between them."""
    head: tuple[Line, int] | None = None
    below = line
    for index in range(line.index - 1, max(line.index - 9, -1), -1):
        above = doc.lines[index]
        if above.page != line.page:
            break
        height = max(below.bottom - below.top, 6.0)
        if below.top - above.bottom > 2.2 * height + 4:
            break
        starts = [s for w, s in zip(above.words, above.starts, strict=True) if abs(w.x0 - x0) < 2]
        if not starts:
            continue
        head, below = (above, starts[0]), above
    return head


def _domain_labels(doc: Document, buyers: BuyerZones, *, min_length: int) -> set[str]:
    """The registered labels of the web and mail domains the page prints outside the buyer's
    block (free mail aside), without hyphens: "graficasortega" for graficas-ortega.es."""
    labels = {
        registered_label(h.host).replace("-", "")
        for line in doc.lines
        for h in hosts_in(doc, line)
        if not (h.from_email and h.host in FREE_MAIL) and not buyers.covers(line, h.start)
    }
    return {label for label in labels if len(label) >= min_length}


def _from_domain_names(doc: Document, buyers: BuyerZones) -> list[Guess]:
    """A cell that spells the sender's web or mail domain ("Gráficas Ortega" for
    graficas-ortega.es): the seller's name even without a legal form."""
    labels = _domain_labels(doc, buyers, min_length=4)
    guesses: list[Guess] = []
    for line, folded in zip(doc.lines, doc.folded, strict=True) if labels else ():
        start = 0
        while start < len(line.text):
            end = max(doc.segment_end(line, start), start + 1)
            cell = folded[start:end]
            key = re.sub(r"[^a-z0-9]", "", LEGAL_FORM.sub(" ", cell))
            text = _clean_name(line.text[start:end])
            if key in labels and _looks_like_name(text) and not buyers.covers(line, start):
                guesses.append(_name_guess(text, line, (start, end), 0.9, "spells_domain", cell))
            start = end + 1
    return guesses
