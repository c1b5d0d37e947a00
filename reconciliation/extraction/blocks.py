"""The parties' blocks on an invoice page: where the buyer's address block is ("Bill to",
"Rechnungsempfänger", "Facturé à", a fiscal representative's block...), where the seller's is
("From", "Lieferant", "Fournisseur"...), and who we are, so the supplier's fields are read from
the seller's block and never from another party's."""

from __future__ import annotations

import re
from collections.abc import Callable
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import replace
from weakref import WeakKeyDictionary

from reconciliation.extraction.candidates import Guess
from reconciliation.extraction.document import Document
from reconciliation.extraction.document import compile_terms
from reconciliation.extraction.document import fold
from reconciliation.extraction.document import overlap
from reconciliation.extraction.identifiers import FoundHost
from reconciliation.extraction.identifiers import FoundId
from reconciliation.extraction.identifiers import find_hosts
from reconciliation.extraction.identifiers import find_vat_ids
from reconciliation.extraction.labels import LEGAL_FORM
from reconciliation.extraction.labels import SELLER_ROLE
from reconciliation.extraction.pdftext import Line
from reconciliation.extraction.types import Evidence

# Headings that open the buyer's address block.
BUYER_HEADING = compile_terms(
    r"bill(?:ed)?\s*to", r"billing\s*address", r"invoice\s*(?:to|address)", r"invoiced\s*to",
    r"sold\s*to", r"ship(?:ped)?\s*to", r"shipping\s*address", r"delivery\s*address",
    r"deliver\s*to", r"customer", r"client", r"buyer", r"purchaser", r"recipient", r"attn",
    r"kaufer", r"rechnungs\s*-?\s*empfanger", r"leistungs\s*-?\s*empfanger", r"kunde",
    r"warenempfanger", r"lieferanschrift", r"rechnungsanschrift", r"auftraggeber",
    r"lieferadresse", r"rechnungsadresse",
    r"factur[ee]\s*a", r"adresse\s*de\s*(?:facturation|livraison)", r"destinataire",
    r"livre\s*a", r"acheteur", r"adresse\s*de\s*l'installation",
    r"factuuradres", r"afleveradres", r"klant", r"afnemer", r"koper", r"leveradres",
    r"facturar\s*a", r"cliente", r"comprador", r"destinatario", r"direccion\s*de\s*entrega",
    r"enviar\s*a", r"direccion\s*de\s*(?:envio|facturacion)", r"destinazione(?:\s*merce)?",
    r"indirizzo\s*di\s*(?:consegna|spedizione|fatturazione)",
    r"spett(?:\.|abile)\s*(?:le)?", r"committente", r"cessionario",
    # A fiscal representative's block names another company, with its own VAT id.
    r"(?:tax|fiscal|vat)\s*representative", r"fiskalvertreter", r"steuerlicher\s*vertreter",
    r"representant\s*fiscal", r"fiscaal\s*vertegenwoordiger", r"representante\s*fiscal",
    r"rappresentante\s*fiscale",
)  # fmt: skip
# Words that mark a single line as being about the buyer ("Your VAT number", "N° TVA client").
BUYER_HINT = compile_terms(
    r"your", r"customer", r"client", r"buyer", r"ihre?", r"kunden?", r"kaufer", r"votre",
    r"acheteur", r"uw", r"klant", r"afnemer", r"koper", r"su", r"cliente", r"comprador",
    r"vostr[oa]", r"committente", r"empfanger", r"destinataire", r"destinatario",
)  # fmt: skip


@dataclass(frozen=True)
class Ourselves:
    """The company the invoices are addressed to: its name, VAT id and IBANs are never the
    supplier's, however the page is laid out."""

    names: tuple[str, ...] = ()
    vat_ids: tuple[str, ...] = ()
    ibans: tuple[str, ...] = ()

    @classmethod
    def of(
        cls, names: Iterable[str] = (), vat_ids: Iterable[str] = (), ibans: Iterable[str] = ()
    ) -> Ourselves:
        return cls(
            tuple(k for k in (name_key(n) for n in names) if k),
            tuple(_compact(v) for v in vat_ids if v),
            tuple(_compact(i) for i in ibans if i),
        )

    def has_name(self, text: str) -> bool:
        return bool(self.names) and name_key(text) in self.names

    def has_vat_id(self, value: str) -> bool:
        return _compact(value) in self.vat_ids


def name_key(text: str) -> str:
    """A company name without accents, case, punctuation and legal form: "Acme Retail
    S.A.S." and "ACME RETAIL SAS" are the same key."""
    folded = LEGAL_FORM.sub(" ", fold(text))
    return re.sub(r"[^a-z0-9]", "", folded)


def _compact(value: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", value.upper())


NOBODY = Ourselves()


class BuyerZones:
    """Where the buyer's address block is: per line, the horizontal ranges it covers, so the
    seller's column on the same lines stays the seller's."""

    def __init__(self) -> None:
        self.zones: dict[int, list[tuple[float, float]]] = {}
        # What is worked out once per page from these zones: the seller's blocks, and the
        # seller's VAT id (per company the caller says we are).
        self.sellers: BuyerZones | None = None
        self.vat_ids: dict[Ourselves, Guess | None] = {}

    def add(self, line: Line, x0: float, x1: float) -> None:
        self.zones.setdefault(line.index, []).append((x0, x1))

    def covers(self, line: Line, start: int) -> bool:
        """Whether the word at character ``start`` of ``line`` lies in the buyer's block."""
        ranges = self.zones.get(line.index)
        if not ranges:
            return False
        words = line.words_in(start, start + 1) or line.words[:1]
        return any(overlap(w.x0, w.x1, x0, x1) > 0 for w in words for x0, x1 in ranges)

    def __contains__(self, index: object) -> bool:
        return index in self.zones


def seller_lines(doc: Document, buyers: BuyerZones) -> BuyerZones:
    """The seller's blocks: the lines under a "Seller", "From", "Lieferant", "Fournisseur"...
    heading that starts its cell, in the heading's column, outside the buyer's block."""
    if buyers.sellers is not None:
        return buyers.sellers
    zones = buyers.sellers = BuyerZones()
    for hit in doc.search(SELLER_ROLE):
        line = hit.line
        if buyers.covers(line, hit.start):
            continue
        segment_start = doc.segment_start(line, hit.start + 1)
        if re.search(r"[a-z]", doc.folded[line.index][segment_start : hit.start]):
            continue  # a word inside a sentence, not a heading
        segment_end = doc.segment_end(line, hit.end)
        after = doc.folded[line.index][hit.end : segment_end].strip()
        if after and not after.startswith(":"):
            continue  # "Lieferant GmbH", "from 1 March": not a heading
        x0 = hit.x0 - 15
        x1 = max(hit.x1, hit.x0 + 160)
        zones.add(line, x0, x1)
        _extend_zone(doc, zones, line, x0, x1, stop=BUYER_HEADING)
    return zones


def buyer_lines(doc: Document) -> BuyerZones:
    """The buyer's address blocks: under "Bill to", "Käufer", "Client", "Factuuradres"..."""
    zones = BuyerZones()
    for hit in doc.search(BUYER_HEADING):
        line = hit.line
        segment_start = doc.segment_start(line, hit.start + 1)
        before = doc.folded[line.index][segment_start : hit.start]
        if re.search(r"[a-z]{3}", before) and not re.search(r"(?:abweichender?|/)\s*$", before):
            continue  # mid-sentence, not a heading
        segment_end = doc.segment_end(line, hit.end)
        after = doc.folded[line.index][hit.end : segment_end]
        if re.match(r"\s*(?:-|n[or°]|nr|number|nummer|id|#|vat|tva|btw|ust)", after):
            continue  # "Customer No.: 123": a field, not a block heading
        if not after.lstrip().startswith(":") and len(after.split()) > 2:
            continue  # "Facture à régler par virement ...": prose, not a heading
        x0 = hit.x0 - 15
        x1 = max(hit.x1, hit.x0 + 120, line.bbox(hit.start, segment_end)[2])
        zones.add(line, x0, x1)
        _extend_zone(doc, zones, line, x0, x1)
    return zones


def _extend_zone(
    doc: Document,
    zones: BuyerZones,
    heading: Line,
    x0: float,
    x1: float,
    *,
    stop: re.Pattern[str] = SELLER_ROLE,
) -> None:
    """The lines under a party heading in its column: up to seven of them, however many
    lines of a column beside it (dates, the other party's block) sit in between."""
    taken, previous = 0, heading
    for below in doc.lines_below(heading, max_lines=16, max_gap=2.2):
        column = [w for w in below.words if overlap(w.x0, w.x1, x0, x1) > 0]
        if not column:
            continue
        if below.top - previous.bottom > 2.2 * max(previous.bottom - previous.top, 6.0) + 4:
            break  # a gap in the block's own column: the block has ended
        start = below.starts[below.words.index(column[0])]
        if doc.search_line(below, stop, heading_only=True) and any(
            h.start <= start + 1 for h in doc.search_line(below, stop)
        ):
            break
        zones.add(below, x0, max(x1, column[-1].x1))
        taken, previous = taken + 1, below
        if taken >= 7:
            break


def in_buyer_context(doc: Document, line: Line, start: int, buyers: BuyerZones) -> bool:
    if buyers.covers(line, start):
        return True
    folded = doc.folded[line.index]
    # Only the words just before the value: "Your VAT no.", not "... about your account".
    segment = folded[max(doc.segment_start(line, start + 1), start - 25) : start]
    return bool(BUYER_HINT.search(segment))


def in_zone(doc: Document, zones: BuyerZones, guess: Guess) -> bool:
    """Whether a guess was read inside the given blocks."""
    evidence = guess.evidence
    if evidence is None or evidence.bbox is None:
        return False
    x0, top = evidence.bbox[0], evidence.bbox[1]
    for line in doc.lines:
        if line.page != evidence.page or line.index not in zones or abs(line.top - top) > 2:
            continue
        for word, start in zip(line.words, line.starts, strict=True):
            if abs(word.x0 - x0) < 1:
                return zones.covers(line, start)
    return False


# Cells found per document, finder and line: the VAT ids and IBANs of a page are looked up
# by several rules (seller's VAT id, rivals, payee IBANs, the IBAN itself).
_ID_START = re.compile(r"(?<![A-Za-z])[A-Za-z]{2}[A-Za-z0-9]?[\s.-]?\d")
_CELLS: WeakKeyDictionary[Document, dict[tuple[str, int], list[FoundId]]] = WeakKeyDictionary()


def in_cells(doc: Document, line: Line, finder: Callable[[str], list[FoundId]]) -> list[FoundId]:
    """What ``finder`` finds in each cell of the line, at the line's offsets: an identifier
    never runs from one column into the next ("NL1222… B01    BTW-nummer: FR55…")."""
    memo = _CELLS.setdefault(doc, {})
    key = (finder.__name__, line.index)
    if key in memo:
        return memo[key]
    found = finder(line.text)
    # Cell by cell only when the line has more places an identifier can start (a country
    # code before a digit) than the whole line gave: the usual line costs one look-up.
    if len(_ID_START.findall(line.text)) > len(found):
        found = []
        start = 0
        while start < len(line.text):
            end = max(doc.segment_end(line, start), start + 1)
            for item in finder(line.text[start:end]):
                found.append(replace(item, start=item.start + start, end=item.end + start))
            start = end + 1
    memo[key] = found
    return found


_HOSTS: WeakKeyDictionary[Document, dict[int, list[FoundHost]]] = WeakKeyDictionary()


def hosts_in(doc: Document, line: Line) -> list[FoundHost]:
    """The web and mail hosts on a line, looked up once per document."""
    memo = _HOSTS.setdefault(doc, {})
    if line.index not in memo:
        memo[line.index] = find_hosts(line.text)
    return memo[line.index]


def rival_vat_ids(doc: Document, chosen: Guess | None, ourselves: Ourselves) -> list[Evidence]:
    """Where the other parties' VAT ids are printed: the buyer's, a representative's, ours."""
    rivals: list[Evidence] = []
    chosen_value = str(chosen.value) if chosen is not None else None
    for line in doc.lines:
        for found in in_cells(doc, line, find_vat_ids):
            if not found.valid or found.value == chosen_value:
                continue
            rivals.append(Evidence(line.page, line.bbox(found.start, found.end), line.text))
    return rivals


def stands_with(name: Evidence, other: Evidence) -> bool:
    """A VAT id or IBAN on the name's own line, or below it in the same block (its value
    starts at the block's left edge or after a label, not in the next column)."""
    if name.bbox is None or other.bbox is None or name.page != other.page:
        return False
    x0, top = name.bbox[0], name.bbox[1]
    other_x0, other_top = other.bbox[0], other.bbox[1]
    if abs(other_top - top) < 3:
        return True
    return 0 < other_top - top < 70 and -20 < other_x0 - x0 < 150
