"""What kind of document this is, and in which language, from multilingual cue words.

Titles (big or early text on page 1) weigh more than the same words in the body, because
an invoice mentions payments and a payment confirmation mentions invoices.
"""

from __future__ import annotations

import math
import re

from reconciliation.extraction.document import Document
from reconciliation.extraction.document import compile_terms
from reconciliation.extraction.document import fold
from reconciliation.extraction.pdftext import Line
from reconciliation.extraction.types import DocumentKind

CUES: dict[str, list[tuple[re.Pattern[str], float]]] = {
    "invoice": [
        (
            compile_terms(
                r"invoice",
                r"tax\s*invoice",
                r"[a-z]*rechnung",
                r"facture",
                r"factuur",
                r"factura",
                r"fattura",
                r"bill",
                r"note\s*d'honoraires",
            ),
            1.0,
        ),
        (
            compile_terms(
                r"invoice\s*(?:no|number|date)",
                r"rechnungs\s*(?:nummer|nr|datum)",
                r"facture\s*n",
                r"date\s*de\s*facture",
                r"factuurnummer",
                r"factuurdatum",
                r"numero\s*de\s*factura",
                r"fecha\s*de\s*factura",
                r"numero\s*fattura",
                r"data\s*fattura",
                r"amount\s*due",
                r"total\s*ttc",
                r"bruttosumme",
                r"zahlbar",
                r"due\s*date",
                r"echeance",
                r"vervaldatum",
                r"vencimiento",
                r"scadenza",
                r"montant\s*ht",
                r"net\s*a\s*payer",
                r"te\s*betalen",
            ),
            0.5,
        ),
    ],
    "credit_note": [
        (
            compile_terms(
                r"credit\s*note",
                r"credit\s*memo",
                r"gutschrift",
                r"rechnungskorrektur",
                r"stornorechnung",
                r"avoir",
                r"facture\s*d'avoir",
                r"creditnota",
                r"creditfactuur",
                r"nota\s*de\s*credito",
                r"factura\s*rectificativa",
                r"nota\s*di\s*credito",
            ),
            1.0,
        ),
    ],
    "payment_confirmation": [
        (
            compile_terms(
                r"payment\s*(?:confirmation|receipt|successful|completed|made)",
                r"receipt\s*of\s*payment",
                r"payment\s*has\s*been\s*(?:received|processed)",
                r"zahlungs\s*(?:bestatigung|beleg|quittung|eingang)",
                r"quittung",
                r"confirmation\s*de\s*paiement",
                r"recu\s*de\s*paiement",
                r"paiement\s*(?:effectue|recu|confirme)",
                r"betalingsbevestiging",
                r"betaalbewijs",
                r"ontvangstbevestiging",
                r"confirmacion\s*de\s*pago",
                r"justificante\s*de\s*pago",
                r"recibo\s*de\s*pago",
                r"conferma\s*(?:di|del)\s*pagamento",
                r"ricevuta\s*di\s*pagamento",
                r"thank\s*you\s*for\s*your\s*payment",
                r"vielen\s*dank\s*fur\s*ihre\s*zahlung",
                r"paid\s*in\s*full",
                r"receipt",
            ),
            1.0,
        ),
    ],
    "wire_notice": [
        (
            compile_terms(
                r"remittance\s*advice",
                r"payment\s*advice",
                r"transfer\s*(?:confirmation|order|notice|advice)",
                r"wire\s*(?:transfer|confirmation|notice)",
                r"bank\s*transfer\s*(?:confirmation|receipt)",
                r"credit\s*transfer",
                r"sepa\s*(?:credit\s*)?transfer",
                r"transfer\s*executed",
                r"uberweisungs\s*(?:bestatigung|auftrag|beleg)",
                r"zahlungsavis",
                r"uberweisung",
                r"gutschriftsanzeige",
                r"avis\s*de\s*(?:virement|paiement|credit)",
                r"ordre\s*de\s*virement",
                r"confirmation\s*de\s*virement",
                r"virement\s*(?:sepa|emis|recu)",
                r"overschrijving",
                r"overboeking",
                r"betalingsadvies",
                r"betaaladvies",
                r"transferencia\s*(?:bancaria|sepa)?",
                r"aviso\s*de\s*(?:pago|transferencia)",
                r"orden\s*de\s*transferencia",
                r"bonifico(?:\s*sepa)?",
                r"avviso\s*di\s*pagamento",
                r"contabile\s*(?:del\s*)?bonifico",
            ),
            1.0,
        ),
        (
            compile_terms(
                r"beneficiary",
                r"begunstigde",
                r"beneficiaire",
                r"beneficiario",
                r"zahlungsempfanger",
                r"empfanger\s*iban",
                r"ordering\s*party",
                r"auftraggeber",
                r"donneur\s*d'ordre",
                r"opdrachtgever",
                r"ordenante",
                r"ordinante",
                r"execution\s*date",
                r"ausfuhrungsdatum",
                r"date\s*d'execution",
                r"uitvoeringsdatum",
                r"fecha\s*de\s*ejecucion",
                r"data\s*(?:di\s*)?esecuzione",
                r"value\s*date",
                r"valuta(?:datum)?",
                r"date\s*de\s*valeur",
                r"valutadatum",
                r"verwendungszweck",
                r"remittance\s*information",
                r"cro",
                r"trn",
            ),
            0.5,
        ),
    ],
}

_LANGUAGE_WORDS = {
    "en": [
        "the",
        "and",
        "invoice",
        "total",
        "date",
        "amount",
        "due",
        "payment",
        "number",
        "please",
        "thank",
        "with",
        "for",
        "your",
    ],
    "de": [
        "und",
        "der",
        "die",
        "das",
        "rechnung",
        "datum",
        "betrag",
        "summe",
        "zahlbar",
        "bitte",
        "mit",
        "für",
        "ihre",
        "nr",
    ],
    "fr": [
        "le",
        "la",
        "les",
        "et",
        "facture",
        "date",
        "montant",
        "total",
        "paiement",
        "merci",
        "votre",
        "pour",
        "des",
        "du",
    ],
    "nl": [
        "de",
        "het",
        "en",
        "factuur",
        "datum",
        "bedrag",
        "totaal",
        "betaling",
        "uw",
        "voor",
        "van",
        "met",
        "btw",
    ],
    "es": [
        "el",
        "la",
        "los",
        "y",
        "factura",
        "fecha",
        "importe",
        "total",
        "pago",
        "gracias",
        "su",
        "para",
        "del",
        "con",
    ],
    "it": [
        "il",
        "la",
        "e",
        "fattura",
        "data",
        "importo",
        "totale",
        "pagamento",
        "grazie",
        "per",
        "del",
        "con",
        "della",
    ],
}
# Whole words only: the "de" of "DE89 3704…" or "DE136695976" is a country code, not Dutch.
_WORD = re.compile(r"(?<![a-z0-9])[a-zàâäéèêëïîôöùûüç]+(?![a-z0-9])")


def detect_language(doc: Document) -> str | None:
    counts = dict.fromkeys(_LANGUAGE_WORDS, 0)
    # The text is folded (no accents), so the lexicon is too: "für" is matched as "fur".
    lexicon = {lang: {fold(word) for word in words} for lang, words in _LANGUAGE_WORDS.items()}
    for token in _WORD.findall(doc.full_folded[:20000]):
        for lang, words in lexicon.items():
            if token in words:
                counts[lang] += 1
    best = max(counts, key=lambda k: counts[k])
    return best if counts[best] >= 3 else None


_NUMBERED = re.compile(
    r"\s*(?:\(\d+\)\s*)?(?:n[or°º]?\.?|nr\.?|#|nummer|number|numero)?\s*[:.#]?\s*[a-z]{0,4}[-/]?\d"
)
_SPACED_LETTERS = re.compile(r"(?<![a-z])(?:[a-z] ){4,}[a-z](?![a-z])")


def _cells(doc: Document, line: Line, folded: str) -> list[str]:
    """The line's cells, with letter-spaced titles ("R E C H N U N G") closed up."""
    cells: list[str] = []
    start = 0
    while start < len(folded):
        end = doc.segment_end(line, start)
        cells.append(_SPACED_LETTERS.sub(lambda m: m.group(0).replace(" ", ""), folded[start:end]))
        start = end + 1
    return cells


def classify(doc: Document) -> tuple[DocumentKind, float]:
    scores: dict[str, float] = dict.fromkeys(CUES, 0.0)
    titles: dict[str, float] = dict.fromkeys(CUES, 0.0)
    first_page = [ln for ln in doc.lines if ln.page == 1]
    body_size = sorted(ln.size for ln in first_page)[len(first_page) // 2] if first_page else 10.0
    for line, folded in zip(doc.lines, doc.folded, strict=True):
        if line.page > 2:
            break
        big = line.page == 1 and line.size >= body_size * 1.2
        for text in _cells(doc, line, folded):
            for kind, groups in CUES.items():
                for pattern, weight in groups:
                    for m in pattern.finditer(text):
                        heading = not re.search(r"[a-z]{2}", text[: m.start()])
                        early = line.page == 1 and doc.relative_top(line) < 0.3
                        # "Rechnung # RE-2014/502 vom ...": a title followed by its number.
                        numbered = bool(_NUMBERED.match(text[m.end() : m.end() + 30]))
                        alone = not re.search(r"[a-z]{2}", text[m.end() :])
                        prominent = big or (
                            heading and weight == 1.0 and (early or numbered or alone)
                        )
                        scores[kind] += weight * (2.5 if prominent else 0.4)
                        if big and weight == 1.0:
                            titles[kind] = max(titles[kind], line.size)
    # The document's title decides between an invoice and a credit note ("CREDIT NOTE" over
    # "Invoice number: ..."), and between an invoice and a payment document.
    if titles["credit_note"] and titles["credit_note"] >= titles["invoice"]:
        rivals = sum(1 for k, v in titles.items() if v and k not in ("credit_note", "invoice"))
        return "credit_note", _titled_confidence(rivals)
    if any(titles.values()):
        titled = max(titles, key=lambda k: (titles[k], scores[k]))
        rivals = sum(1 for k, v in titles.items() if v and k != titled)
        return titled, _titled_confidence(rivals)  # type: ignore[return-value]
    ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
    best, best_score = ranked[0]
    second = ranked[1][1]
    if best_score < 1.0:
        return "other", 0.3 if best_score > 0 else 0.15
    if best == "credit_note" and scores["invoice"] > 0 and scores["credit_note"] < 2.5:
        best, best_score, second = "invoice", scores["invoice"], scores["credit_note"]
    invoice_like = scores["invoice"] + scores["credit_note"]
    if best in ("payment_confirmation", "wire_notice") and invoice_like >= best_score:
        best, best_score, second = "invoice", scores["invoice"], best_score
    return best, _confidence(best_score, second)  # type: ignore[return-value]


def _titled_confidence(rivals: int) -> float:
    """A document that names itself in its title is what it says, unless another title on
    the page names another kind."""
    return 0.95 if rivals == 0 else 0.6


def _confidence(best: float, second: float) -> float:
    margin = best - second
    value = 1 / (1 + math.exp(-(0.9 * margin + 0.25 * best - 1.0)))
    return round(min(max(value, 0.05), 0.99), 4)
