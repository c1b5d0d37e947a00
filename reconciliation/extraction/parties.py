"""Who sent the invoice: supplier name, VAT id, IBAN and web domain, kept apart from the
buyer's block (bill-to, Käufer, client, factuuradres...)."""

from __future__ import annotations

import re

from reconciliation.extraction.blocks import BUYER_HINT
from reconciliation.extraction.blocks import NOBODY
from reconciliation.extraction.blocks import BuyerZones
from reconciliation.extraction.blocks import Ourselves
from reconciliation.extraction.blocks import buyer_lines
from reconciliation.extraction.blocks import hosts_in
from reconciliation.extraction.blocks import in_buyer_context
from reconciliation.extraction.blocks import in_cells
from reconciliation.extraction.blocks import rival_vat_ids
from reconciliation.extraction.blocks import seller_lines
from reconciliation.extraction.candidates import Guess
from reconciliation.extraction.candidates import pick
from reconciliation.extraction.document import Document
from reconciliation.extraction.document import compile_terms
from reconciliation.extraction.document import fold
from reconciliation.extraction.document import overlap
from reconciliation.extraction.identifiers import find_ibans
from reconciliation.extraction.identifiers import find_vat_ids
from reconciliation.extraction.labels import IBAN_LABEL
from reconciliation.extraction.labels import VAT_LABEL
from reconciliation.extraction.pdftext import Line
from reconciliation.extraction.supplier_name import extract_supplier_name
from reconciliation.extraction.types import Evidence
from reconciliation.text.domains import SHARED_DOMAINS as FREE_MAIL
from reconciliation.text.domains import registered_label

# The engine finds the buyer's block once and hands it to each extractor below.
__all__ = [
    "buyer_lines",
    "extract_domain",
    "extract_iban",
    "extract_parties",
    "extract_supplier_name",
    "extract_vat",
]


def extract_parties(doc: Document, ourselves: Ourselves | None = None) -> dict[str, Guess]:
    """The supplier's VAT id, IBAN, name and domain, read from the seller's block; none of
    them is ever ``ourselves``' (the workspace's company, when the caller knows it)."""
    buyers = buyer_lines(doc)
    found: dict[str, Guess] = {}
    vat = extract_vat(doc, buyers, ourselves)
    iban = extract_iban(doc, buyers, ourselves)
    name = extract_supplier_name(doc, buyers, vat=vat, iban=iban, ourselves=ourselves)
    supplier_name = str(name.value) if name is not None else None
    domain = extract_domain(doc, buyers, supplier_name, vat=vat, ourselves=ourselves)
    for field, guess in (
        ("supplier_vat_id", vat),
        ("supplier_iban", iban),
        ("supplier_name", name),
        ("supplier_domain", domain),
    ):
        if guess is not None:
            found[field] = guess
    return found


PAYMENT_CONTEXT = compile_terms(
    r"bank", r"bankverbindung", r"konto", r"kontoinhaber", r"kontoname", r"zahlungsempfanger",
    r"uberweis\w*", r"pay\w*", r"remit\w*", r"transfer", r"wire", r"virement", r"reglement",
    r"rib", r"coordonnees\s*bancaires", r"betaling", r"overmaken", r"rekening",
    r"transferencia", r"cuenta", r"bonifico", r"conto", r"swift", r"bic",
)  # fmt: skip
DEBIT_CONTEXT = compile_terms(
    r"prelev\w*", r"lastschrift\w*", r"einzug", r"abbuch\w*", r"direct\s*debit", r"debited",
    r"mandat\w*", r"incasso", r"domiciliering", r"domiciliacion", r"addebito", r"your\s*account",
    r"ihr\w*\s*konto", r"votre\s*compte", r"uw\s*rekening",
)  # fmt: skip


def _label_text_before(doc: Document, line: Line, start: int) -> str:
    """The folded text a value's label can be in: its own cell up to the value, or the
    whole previous cell when the value starts its cell ("USt-IdNr.:  DE123")."""
    folded = doc.folded[line.index]
    cell_start = doc.segment_start(line, start + 1)
    own = folded[cell_start:start]
    if own.strip() or cell_start == 0:
        return own
    return folded[doc.segment_start(line, cell_start - 1) : cell_start]


def extract_vat(
    doc: Document, buyers: BuyerZones, ourselves: Ourselves | None = None
) -> Guess | None:
    ourselves = ourselves or NOBODY
    if ourselves in buyers.vat_ids:
        return buyers.vat_ids[ourselves]
    sellers = seller_lines(doc, buyers)
    payee_ibans = _payee_ibans(doc, buyers)
    iban_countries = {iban.text[:2] for iban in payee_ibans}
    guesses: list[Guess] = []
    for line in doc.lines:
        for found in in_cells(doc, line, find_vat_ids):
            if not (found.valid or found.well_formed) or ourselves.has_vat_id(found.value):
                continue
            before = _label_text_before(doc, line, found.start)
            labelled = bool(VAT_LABEL.search(before))
            if not labelled:
                labelled = bool(VAT_LABEL.search(label_above(doc, line, found.start, found.end)))
            if not labelled and not found.valid:
                continue
            buyer = in_buyer_context(doc, line, found.start, buyers)
            # The seller's VAT id stands in its block or its footer, and usually shares its
            # country with the IBAN the invoice asks to be paid to; the buyer's does neither.
            # It is also printed in the same block as that IBAN more often than not.
            evidence = Evidence(line.page, line.bbox(found.start, found.end), line.text)
            seller = sellers.covers(line, found.start)
            same_country = found.value[:2] in iban_countries
            with_iban = any(_same_block(iban, evidence) for iban in payee_ibans)
            footer = doc.relative_top(line) > 0.8
            score = (
                1.0 * labelled
                + 0.8 * found.valid
                - 1.5 * buyer
                + 0.4 * seller
                + 0.3 * same_country
                + 0.3 * with_iban
                + 0.15 * footer
            )
            features = {
                "labelled": float(labelled),
                "valid": float(found.valid),
                "buyer": float(buyer),
                "seller_block": float(seller),
                "iban_country": float(same_country),
                "with_iban": float(with_iban),
            }
            guesses.append(Guess(found.value, evidence, score, features))
    best = pick([g for g in guesses if g.features["buyer"] == 0] or guesses)
    if best is not None and best.features["buyer"]:
        best = None
    buyers.vat_ids[ourselves] = best
    return best


def label_above(doc: Document, line: Line, start: int, end: int) -> str:
    """The folded text a label printed over a value can be in: the end of the line before
    it in reading order ("… auf folgende Bankverbindung:"), and the cell straight above it
    in its own column ("VAT number" over "GB980780684"), however many lines of another
    column come between them in reading order."""
    previous = doc.line_above(line)
    texts = [doc.folded[previous.index][-40:] if previous is not None else ""]
    x0, _, x1, _ = line.bbox(start, end)
    for candidate in doc.lines[max(line.index - 4, 0) : line.index][::-1]:
        if candidate.page != line.page or line.top - candidate.bottom > 14:
            break
        column = [
            offset + len(w.text)
            for w, offset in zip(candidate.words, candidate.starts, strict=True)
            if overlap(w.x0, w.x1, x0 - 5, x1 + 5) > 0
        ]
        if column:
            first = doc.segment_start(candidate, column[0])
            texts.append(doc.folded[candidate.index][first : column[-1]])
            break
    return " ".join(texts)


def _payee_ibans(doc: Document, buyers: BuyerZones) -> list[Evidence]:
    """The valid IBANs printed outside the buyer's block and direct-debit wording, as
    evidence whose text is the compact IBAN."""
    found_ibans: list[Evidence] = []
    for line, folded in zip(doc.lines, doc.folded, strict=True):
        for found in in_cells(doc, line, find_ibans):
            if not found.valid or buyers.covers(line, found.start):
                continue
            if DEBIT_CONTEXT.search(folded[: found.start]):
                continue
            found_ibans.append(Evidence(line.page, line.bbox(found.start, found.end), found.value))
    return found_ibans


def extract_iban(
    doc: Document, buyers: BuyerZones, ourselves: Ourselves | None = None
) -> Guess | None:
    ourselves = ourselves or NOBODY
    guesses: list[Guess] = []
    for line, folded in zip(doc.lines, doc.folded, strict=True):
        for found in in_cells(doc, line, find_ibans):
            if found.value in ourselves.ibans:
                continue
            before = folded[max(0, found.start - 40) : found.start]
            above = doc.line_above(line)
            context = before + " " + (doc.folded[above.index] if above is not None else "")
            labelled = bool(IBAN_LABEL.search(before)) or bool(
                IBAN_LABEL.search(label_above(doc, line, found.start, found.end))
            )
            if not found.valid and not labelled:
                continue
            debit = bool(DEBIT_CONTEXT.search(folded[: found.start])) or bool(
                above is not None and DEBIT_CONTEXT.search(doc.folded[above.index])
            )
            buyer = buyers.covers(line, found.start) or bool(BUYER_HINT.search(before))
            payment = bool(PAYMENT_CONTEXT.search(context + " " + folded))
            score = 0.8 * found.valid + 0.6 * labelled + 0.3 * payment - 1.2 * (debit or buyer)
            guesses.append(
                Guess(
                    found.value,
                    Evidence(line.page, line.bbox(found.start, found.end), line.text),
                    score,
                    {
                        "labelled": float(labelled),
                        "valid": float(found.valid),
                        "payment_context": float(payment),
                        "buyer": float(debit or buyer),
                    },
                )
            )
    best = pick(guesses)
    if best is not None and best.features["buyer"]:
        return None
    return best


def extract_domain(
    doc: Document,
    buyers: BuyerZones,
    supplier_name: str | None,
    *,
    vat: Guess | None = None,
    ourselves: Ourselves | None = None,
) -> Guess | None:
    ourselves = ourselves or NOBODY
    guesses: list[Guess] = []
    keys = _spellings(supplier_name or "")
    vat = vat if vat is not None else extract_vat(doc, buyers, ourselves)
    anchors = [vat.evidence] if vat is not None and vat.evidence is not None else []
    rivals = rival_vat_ids(doc, vat, NOBODY)
    for line in doc.lines:
        for host in hosts_in(doc, line):
            if host.from_email and host.host in FREE_MAIL:
                continue
            label = registered_label(host.host).replace("-", "")
            if label in ourselves.names:
                continue  # our own site or mail: compta@acme-retail.fr on an Acme invoice
            buyer = in_buyer_context(doc, line, host.start, buyers)
            matches_name = len(label) >= 3 and any(
                label in key or key[:6] in label for key in keys if key
            )
            edge = doc.relative_top(line)
            at_edge = (line.page == 1 and edge < 0.25) or edge > 0.8
            evidence = Evidence(line.page, line.bbox(host.start, host.end), line.text)
            # An e-mail in the block of the seller's VAT id is the seller's; one in the block
            # of another party's VAT id is that party's.
            seller = any(_same_block(evidence, a) for a in anchors)
            rival = not seller and any(_same_block(evidence, r) for r in rivals)
            score = (
                0.5
                + 0.6 * matches_name
                + 0.2 * at_edge
                + 0.1 * host.from_email
                - 1.5 * buyer
                + 0.3 * seller
                - 0.4 * rival
            )
            features = {
                "matches_name": float(matches_name),
                "at_edge": float(at_edge),
                "buyer": float(buyer),
                "from_email": float(host.from_email),
            }
            guesses.append(Guess(host.host, evidence, score, features))
    # Sub-domains of one site count as the same site: aws.amazon.com and amazon.com.
    for guess in guesses:
        guess.features["hosts"] = float(
            len({registered_label(str(g.value)) for g in guesses if not g.features["buyer"]})
        )
    return pick([g for g in guesses if not g.features["buyer"]])


def _spellings(name: str) -> list[str]:
    """A name as a domain may spell it: "Müller" is muller.de or mueller.de."""
    spelled = name.lower()
    for char, plain in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        spelled = spelled.replace(char, plain)
    return list({re.sub(r"[^a-z0-9]", "", fold(text)) for text in (name, spelled)})


def _same_block(first: Evidence, second: Evidence) -> bool:
    """Two values of one party's block: on one line, or ``second`` within a few lines of
    ``first`` and starting at most a label's width to its right (not in the next column)."""
    if first.bbox is None or second.bbox is None or first.page != second.page:
        return False
    if abs(second.bbox[1] - first.bbox[1]) < 3:
        return True
    return abs(second.bbox[1] - first.bbox[1]) < 70 and -20 < second.bbox[0] - first.bbox[0] < 150
