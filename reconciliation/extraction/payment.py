"""Payment confirmations and wire/remittance notices: amount, execution date, beneficiary
name and IBAN, and the reference the payer gave."""

from __future__ import annotations

import re

from reconciliation.extraction.amounts import find_amounts
from reconciliation.extraction.candidates import Guess
from reconciliation.extraction.candidates import pick
from reconciliation.extraction.dates import find_dates
from reconciliation.extraction.document import Document
from reconciliation.extraction.document import compile_terms
from reconciliation.extraction.fields import _value_windows
from reconciliation.extraction.identifiers import find_ibans
from reconciliation.extraction.labels import looks_like_label
from reconciliation.extraction.types import Evidence

AMOUNT_LABEL = compile_terms(
    r"(?:transfer|payment|paid|total|transaction|order)?\s*amount(?:\s*paid)?", r"total\s*paid",
    r"(?:uberweisungs|zahlungs|gesamt)?betrag", r"summe",
    r"montant(?:\s*(?:du|de\s*la)\s*(?:virement|paiement|transaction))?", r"somme",
    r"bedrag", r"(?:overgemaakt|betaald)\s*bedrag",
    r"importe(?:\s*(?:de\s*la\s*)?(?:transferencia|pago))?", r"importo(?:\s*(?:del\s*)?bonifico)?",
)  # fmt: skip
EXECUTION_LABEL = compile_terms(
    r"execution\s*date", r"executed\s*on", r"value\s*date", r"payment\s*date", r"paid\s*on",
    r"date\s*of\s*payment", r"transfer\s*date", r"booking\s*date",
    r"ausfuhrungs\s*-?\s*datum", r"ausgefuhrt\s*am", r"valuta(?:datum)?", r"zahlungs\s*-?\s*datum",
    r"buchungs\s*-?\s*datum", r"uberweisungs\s*-?\s*datum",
    r"date\s*d'execution", r"execute\s*le", r"date\s*de\s*valeur",
    r"date\s*(?:du|de)\s*(?:paiement|virement|reglement)",
    r"uitvoerings\s*-?\s*datum", r"uitgevoerd\s*op", r"valutadatum", r"betaal\s*-?\s*datum",
    r"rentedatum",
    r"fecha\s*de\s*(?:ejecucion|valor|pago|operacion|transferencia)",
    r"data\s*(?:di\s*)?(?:esecuzione|valuta|pagamento|operazione|accredito)",
)  # fmt: skip
GENERIC_DATE_LABEL = compile_terms(r"date", r"datum", r"fecha", r"data")
BENEFICIARY_LABEL = compile_terms(
    r"beneficiary(?:\s*name)?", r"name\s*of\s*(?:the\s*)?beneficiary", r"payee", r"recipient",
    r"paid\s*to", r"creditor(?:\s*name)?",
    r"(?:zahlungs)?empfanger(?:\s*name)?", r"begunstigter", r"name\s*des\s*empfangers",
    r"beneficiaire", r"nom\s*du\s*beneficiaire", r"destinataire", r"crediteur",
    r"begunstigde", r"ontvanger", r"naam\s*begunstigde",
    r"beneficiario", r"destinatario", r"nombre\s*del\s*beneficiario",
)  # fmt: skip
ORDERING_LABEL = compile_terms(
    r"ordering\s*(?:party|account|customer)", r"debtor", r"debit\s*account", r"from\s*account",
    r"payer", r"auftraggeber", r"belastetes\s*konto", r"zahler", r"donneur\s*d'ordre",
    r"compte\s*(?:a\s*)?debit(?:e|er)", r"emetteur", r"opdrachtgever", r"betaler",
    r"ordenante", r"cuenta\s*de\s*cargo", r"ordinante", r"conto\s*di\s*addebito",
)  # fmt: skip
REFERENCE_LABEL = compile_terms(
    r"(?:payment\s*)?reference", r"remittance\s*information", r"description", r"memo",
    r"end\s*-?\s*to\s*-?\s*end(?:\s*id)?", r"verwendungszweck", r"zahlungsreferenz", r"referenz",
    r"reference(?:\s*du\s*virement)?", r"libelle", r"motif", r"communication", r"objet",
    r"omschrijving", r"(?:betalings)?kenmerk", r"mededeling", r"concepto", r"referencia",
    r"causale", r"riferimento",
)  # fmt: skip


def _labelled_text(doc: Document, pattern: object, *, max_len: int = 80) -> list[Guess]:
    guesses: list[Guess] = []
    assert isinstance(pattern, re.Pattern)
    for hit in doc.search(pattern):
        if not _is_label(doc, hit.line.index, hit.start):
            continue
        for line, start, end, placement in _value_windows(doc, hit):
            raw = line.text[start:end]
            value = re.sub(r"^[\s:#\-–]+", "", raw).strip()
            if not re.search(r"[A-Za-z0-9]{2}", value):
                continue
            value = value[:max_len].strip()
            offset = start + (len(raw) - len(raw.lstrip(" :#-–")))
            guesses.append(
                Guess(
                    value,
                    Evidence(line.page, line.bbox(offset, offset + len(value)), line.text),
                    1.0 if placement != "below" else 0.85,
                    {"labelled": 1.0, "same_line": float(placement != "below")},
                )
            )
            break
    return guesses


def _is_label(doc: Document, index: int, start: int) -> bool:
    line = doc.lines[index]
    before = doc.folded[index][doc.segment_start(line, start + 1) : start]
    return len(re.findall(r"[a-z]{3,}", before)) <= 1


def extract_payment_fields(doc: Document) -> dict[str, Guess]:
    amount = _amount(doc)
    execution = _execution_date(doc)
    names = [
        g
        for g in _labelled_text(doc, BENEFICIARY_LABEL, max_len=70)
        if not find_ibans(str(g.value))
        and not re.match(r"^(?:iban|bic|account)", str(g.value), re.I)
        and not looks_like_label(str(g.value))
    ]
    found = {
        "amount": amount,
        "execution_date": execution,
        "beneficiary_name": pick(names),
        "beneficiary_iban": _beneficiary_iban(doc),
        "reference": pick(_labelled_text(doc, REFERENCE_LABEL, max_len=140)),
    }
    return {name: guess for name, guess in found.items() if guess is not None}


def _amount(doc: Document) -> Guess | None:
    guesses: list[Guess] = []
    for hit in doc.search(AMOUNT_LABEL):
        if not _is_label(doc, hit.line.index, hit.start):
            continue
        for line, start, end, placement in _value_windows(doc, hit):
            amounts = [
                a for a in find_amounts(line.text[start:end], doc.decimal_mark) if a.has_decimals
            ]
            if not amounts:
                continue
            a = amounts[0]
            guesses.append(
                Guess(
                    abs(a.value),
                    Evidence(line.page, line.bbox(start + a.start, start + a.end), line.text),
                    1.0 if placement != "below" else 0.85,
                    {"labelled": 1.0, "same_line": float(placement != "below")},
                )
            )
            break
    return pick(guesses)


def _execution_date(doc: Document) -> Guess | None:
    guesses: list[Guess] = []
    for pattern, strength in ((EXECUTION_LABEL, 1.0), (GENERIC_DATE_LABEL, 0.5)):
        for hit in doc.search(pattern):
            for line, start, end, placement in _value_windows(doc, hit):
                dates = find_dates(line.text[start:end], month_first=doc.month_first)
                if not dates:
                    continue
                d = dates[0]
                guesses.append(
                    Guess(
                        d.value,
                        Evidence(line.page, line.bbox(start + d.start, start + d.end), line.text),
                        strength * (1.0 if placement != "below" else 0.85),
                        {"strong_label": float(strength == 1.0), "ambiguous": float(d.ambiguous)},
                    )
                )
                break
    return pick(guesses)


def _beneficiary_iban(doc: Document) -> Guess | None:
    guesses: list[Guess] = []
    for line, folded in zip(doc.lines, doc.folded, strict=True):
        for found in find_ibans(line.text):
            context = folded[: found.start]
            above = doc.line_above(line)
            above_text = doc.folded[above.index] if above is not None else ""
            beneficiary = bool(
                BENEFICIARY_LABEL.search(context) or BENEFICIARY_LABEL.search(above_text)
            )
            ordering = bool(ORDERING_LABEL.search(context) or ORDERING_LABEL.search(above_text))
            score = 0.5 + 0.8 * beneficiary - 1.0 * ordering + 0.3 * found.valid
            guesses.append(
                Guess(
                    found.value,
                    Evidence(line.page, line.bbox(found.start, found.end), line.text),
                    score,
                    {
                        "beneficiary": float(beneficiary),
                        "ordering": float(ordering),
                        "valid": float(found.valid),
                    },
                )
            )
    best = pick(guesses)
    if best is not None and best.features["ordering"] and not best.features["beneficiary"]:
        return None
    return best
