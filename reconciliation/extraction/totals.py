"""Total, tax and net: every amount on the page gets a role from its row label and its
column header, then net + tax = total picks the right ones among the candidates."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from dataclasses import field
from decimal import Decimal
from itertools import product

from reconciliation.extraction.amounts import Amount
from reconciliation.extraction.amounts import find_amounts
from reconciliation.extraction.document import Document
from reconciliation.extraction.document import fold
from reconciliation.extraction.document import overlap
from reconciliation.extraction.pdftext import Line
from reconciliation.extraction.types import Evidence

_PREPAID = re.compile(
    r"anzahlung|vorauszahlung|bereits\s*(?:bezahlt|gezahlt|beglichen)|prepaid|prepayment|"
    r"already\s*paid|amount\s*paid|paid\s*to\s*date|payments?\s*received|acompte|"
    r"deja\s*(?:paye|regle|verse)|aanbetaling|reeds\s*betaald|al\s*betaald|anticipo|"
    r"ya\s*pagado|gia\s*pagat|acconto|(?<![a-z])credits?(?![a-z])|gutschrift|avoir"
)
_ALLOWANCE = re.compile(
    r"rabatt|skonto|abschlag|abschlage|zuschlag|zuschlage|discount|remise|escompte|korting|"
    r"descuento|sconto|allowance|(?<![a-z])charges?(?![a-z])"
)
_OTHER = re.compile(
    r"rabatt|skonto|abschlag|abschlage|zuschlag|discount|remise|escompte|korting|"
    r"descuento|sconto|allowance|fracht|freight|shipping|versand|port(?![a-z])|"
    r"einzelpreis|unit\s*price|prix\s*unitaire|stuksprijs|precio\s*unitario|"
    r"prezzo\s*unitario|(?<![a-z])qty|menge|quantit|hoeveelheid|cantidad|capital|"
    r"(?<![a-z])price(?![a-z])|(?<![a-z])preis(?![a-z])|(?<![a-z])prix(?![a-z])|"
    r"(?<![a-z])rate(?![a-z])|steuersatz|tax\s*rate|taux|tarief|tipo|aliquota"
)
_DUE = re.compile(
    r"amount\s*due|balance\s*due|total\s*due|due\s*amount|amount\s*payable|"
    r"zahlbetrag|zu\s*zahlen|zahlungsbetrag|offener\s*betrag|restbetrag|"
    r"(?:net|solde|reste|montant|somme|total)\s*a\s*(?:payer|regler)|"
    r"te\s*betalen|openstaand|a\s*pagar|da\s*pagare|importe\s*a\s*pagar|"
    r"(?<![a-z])balance(?![a-z])|(?<![a-z])payable(?![a-z])"
)
_GROSS = re.compile(
    r"(?<![a-z])(?:inkl\w*|incl\w*|including|ttc|t\.t\.c|brutto\w*|gross|"
    r"with\s*(?:vat|tax)|iva\s*incluida|ivato|inclus[oa]?|tax\s*included)(?![a-z])"
)
# Nouns that name the invoice total; an explicit "net"/"excl." next to them wins.
_TOTAL_NOUN = re.compile(
    r"(?<![a-z])(?:grand\s*total|endbetrag|endsumme|gesamtbetrag|gesamtsumme|rechnungsbetrag|"
    r"rechnungssumme|rechnungsbeitrag|totalbetrag|invoice\s*total|totaalbedrag|eindbedrag|"
    r"total\s*(?:amount|invoice|facture|factuur|factura|fattura|for\s*this\s*invoice)|"
    r"(?:factuur|facture|factura)\s*(?:totaal|total)|totaal\s*factuur|factuurbedrag|"
    r"importe\s*total|totale\s*(?:fattura|documento|complessivo)|montant\s*total)(?![a-z])"
)
_NET = re.compile(
    r"(?<![a-z])(?:ohne|exkl|excl|excluding|exclusive|hors|ht|h\.t|before\s*tax|pre\s*-?\s*tax|"
    r"sin|senza|zonder|ex|exc|"
    r"sub\s*-?\s*total|sous\s*-?\s*total|zwischensumme|netto\w*|net|nett|warenwert|"
    r"positionssumme|summe\s*positionen|basis\w*|grondslag|subtotaal|base|imponible|"
    r"imponibile|taxable|steuerbasis\w*|bemessungsgrundlage|zeilensumme|"
    r"(?:line|items?)\s*total|total\s*(?:items|lines)|positions?\s*betrag)(?![a-z])"
)
_TAX = re.compile(
    r"(?<![a-z])(?:vat|tax|taxes|sales\s*tax|gst|igst|cgst|sgst|hst|pst|"
    r"ust|mwst|mw\.?st|mehrwertsteuer|umsatzsteuer|steuer\w*|\w*steuer|\w*steuerbetrag|"
    r"tva|taxe|btw|iva|imposta|i\.v\.a)(?![a-z])"
)
_TOTAL = re.compile(
    r"(?<![a-z])(?:total\w*|summe|\w*summe|gesamt\w*|totaal\w*|importe|montant|somme|\w*bedrag|"
    r"bedrag|amount|totale|importo|betrag|\w*betrag|\w*beitrag)(?![a-z])"
)
_RATE = re.compile(r"\d\s*%|%\s*\d|(?<![a-z])(?:rate|satz|taux|tarief|aliquota)(?![a-z])")
_PERCENT_AFTER = re.compile(r"^\s*%")
_UNIT_PRICE = re.compile(
    r"(?:brutto|netto|einzel|stuck|unit|list|stk)\s*-?\s*preis|unit\s*(?:price|cost)|"
    r"prix\s*unitaire|price\s*per|stuksprijs|eenheidsprijs|precio\s*unitario|"
    r"prezzo\s*unitario|(?<![a-z])(?:rate|satz|taux|tarief|aliquota)\s*$|(?<![\d\s])\s?%\s*\)?\s*$"
)

MAX_CANDIDATES = 40
ROLES = ("total", "due", "net", "tax", "prepaid", "other")


def label_role(label: str) -> tuple[str, float, bool]:
    """(role, strength in [0, 1], per_rate) for a folded label text."""
    text = label.strip()
    if not text or not re.search(r"[a-z]", text):
        return "other", 0.0, False
    per_rate = bool(_RATE.search(text))
    tail = text[-28:]
    if _UNIT_PRICE.search(tail):
        return "other", 0.0, per_rate  # a unit price or a rate column, not an amount
    if _OTHER.search(tail) and not (
        _GROSS.search(tail) or _TOTAL.search(tail) or _DUE.search(tail)
    ):
        return "other", 0.0, per_rate  # "... inclusive of Promotional Discount of Rs -40.00"
    if _ALLOWANCE.search(text) and not (_GROSS.search(text) or _DUE.search(text)):
        return "other", 0.0, per_rate  # "Gesamtbetrag der Zuschläge": charges, not the total
    if _PREPAID.search(text) and not _GROSS.search(text):
        return "prepaid", 0.8, per_rate
    if _DUE.search(text):
        return "due", 0.8, per_rate
    if _OTHER.search(text) and not (_GROSS.search(text) or _TOTAL.search(text)):
        return "other", 0.0, per_rate
    if _GROSS.search(text):
        return "total", 1.0, per_rate
    if _NET.search(text):
        return "net", 0.9, per_rate
    if _TOTAL_NOUN.search(text):
        return "total", 0.9, per_rate
    if _TAX.search(text):
        return "tax", 0.9, per_rate
    if _TOTAL.search(text):
        return "total", 0.6, per_rate
    return "other", 0.0, per_rate


@dataclass
class AmountCandidate:
    amount: Amount
    line: Line
    role: str
    strength: float
    per_rate: bool
    row_label: str
    column_label: str
    amounts_in_row: int
    item_row: bool
    currency_near: bool

    @property
    def value(self) -> Decimal:
        return self.amount.value

    def evidence(self) -> Evidence:
        return Evidence(
            page=self.line.page,
            bbox=self.line.bbox(self.amount.start, self.amount.end),
            text=self.line.text,
        )


@dataclass
class Totals:
    total: AmountCandidate | None = None
    tax: AmountCandidate | None = None
    net: AmountCandidate | None = None
    tax_value: Decimal | None = None
    tax_evidence: Evidence | None = None
    consistent: bool = False  # net + tax = total found among labelled amounts
    total_competitors: int = 0  # other labelled totals with a different value
    tax_competitors: int = 0
    tax_derived: bool = False
    candidates: list[AmountCandidate] = field(default_factory=list)


_CURRENCY_NEAR = re.compile(r"(?:€|\$|£|₹|eur|usd|gbp|chf|inr|rs\.?)", re.IGNORECASE)


def _resolve_spaces(line: Line, amounts: list[Amount]) -> list[Amount]:
    """Settle "1 234,56": one amount when the gap is an ordinary space inside one cell
    (French grouping), two numbers when it is a column gap ("Qty 1 | 278.61")."""
    tight: list[Amount] = []
    for amount in amounts:
        if not amount.spaced:
            continue
        words = line.words_in(amount.start, amount.end)
        if len(words) > 1 and all(
            b.x0 - a.x1 < 0.45 * max(a.size, b.size) for a, b in itertools.pairwise(words)
        ):
            tight.append(amount)
    kept = list(tight)
    for amount in amounts:
        if amount.spaced:
            continue
        if any(t.start <= amount.start and amount.end <= t.end for t in tight):
            continue
        kept.append(amount)
    return sorted(kept, key=lambda a: a.start)


def collect_amounts(doc: Document) -> list[AmountCandidate]:
    candidates: list[AmountCandidate] = []
    for line, folded in zip(doc.lines, doc.folded, strict=True):
        amounts = [
            a
            for a in find_amounts(line.text, doc.decimal_mark)
            if not _PERCENT_AFTER.match(line.text[a.end :])
        ]
        if not amounts:
            continue
        money = _resolve_spaces(line, [a for a in amounts if a.is_money])
        if not money:
            continue
        primary = money
        # The row's leading text, every cell before the first amount: a description
        # ("Installation | 3 | 4.134,70 ...") makes it an item row.
        first_start = min(a.start for a in money)
        lead = folded[:first_start]
        previous_end = 0
        position = -1
        for amount in sorted(money, key=lambda a: a.start):
            position += 1
            # The label is the text since the previous amount (its own cell or the cell
            # before: "Total for this invoice | $4.11"); bare amounts share the row's lead.
            own = folded[previous_end : amount.start]
            previous_end = amount.end
            own = own if re.search(r"[a-z]{2}", own) else ""
            if len(re.findall(r"[a-z]{2,}", own)) > 6:
                own = own[-40:]  # prose: only the words next to the amount
            row_label = own or lead
            # A wall of numbers (a price list, a text bomb) has no meaningful headers.
            column = _column_header(doc, line, amount) if len(money) <= 12 else ""
            role, strength, per_rate, item_row = _combine(
                own, lead, column, len(primary), max(position, 0)
            )
            around = line.text[max(0, amount.start - 5) : amount.end + 5]
            candidates.append(
                AmountCandidate(
                    amount=amount,
                    line=line,
                    role=role,
                    strength=strength,
                    per_rate=per_rate,
                    row_label=row_label.strip(),
                    column_label=column,
                    amounts_in_row=len(primary),
                    item_row=item_row,
                    currency_near=bool(_CURRENCY_NEAR.search(around)),
                )
            )
    return candidates


def _combine(
    own_label: str, lead: str, column: str, amounts_in_row: int, position: int
) -> tuple[str, float, bool, bool]:
    """(role, strength, per_rate, item_row) of one amount from the label just before it,
    the row's leading text and the column header. ``position`` is its index in the row."""
    if amounts_in_row == 1 or (own_label and position > 0):
        role, strength, per_rate = label_role(own_label or lead)
        if role != "other" or amounts_in_row == 1:
            return role, strength, per_rate, False
    lead_role, lead_strength, lead_rate = label_role(lead)
    # "VAT 19% | 198,00 | 37,62", "Steuerbasisbetrag USt. 7% 275,00 19,25": a per-rate
    # line; the last amount is that rate's tax, the ones before are its base.
    if _TAX.search(lead) and lead_role in ("tax", "net") and not _TOTAL_NOUN.search(lead):
        if position == amounts_in_row - 1:
            return "tax", 0.7, True, False
        return "net", 0.5, True, False
    column_role, column_strength, column_rate = label_role(column)
    if column_role != "other":
        # In a totals row ("Total 24,99 5,00 29,99") the columns say which is which; in an
        # item row they describe one line only.
        row_is_total = lead_role in ("total", "due")
        # A row with no words of its own under amount headers is a summary row
        # ("41,31 8,68 49,99" under "Grondslag  BTW bedrag  Totaal").
        summary = row_is_total or not re.search(r"[a-z]{3}", lead)
        scale = 1.0 if row_is_total else 0.85 if summary else 0.75
        return column_role, column_strength * scale, column_rate or not summary, not summary
    return lead_role, lead_strength * 0.8, lead_rate or amounts_in_row > 1, amounts_in_row > 2


def _column_header(doc: Document, line: Line, amount: Amount) -> str:
    """The header text above an amount in a table: the nearest line above whose words sit
    over the amount and carry no digits."""
    box = line.bbox(amount.start, amount.end)
    center = (box[0] + box[2]) / 2
    index = line.index
    steps = 0
    while index > 0 and steps < 12:
        index -= 1
        steps += 1
        above = doc.lines[index]
        if above.page != line.page or line.top - above.bottom > 220:
            return ""
        over = [w for w in above.words if overlap(w.x0 - 2, w.x1 + 2, box[0], box[2]) > 0]
        if not over:
            continue
        if any(any(c.isdigit() for c in w.text) for w in over):
            # Another row of values (or a label with a number in it): keep going up only
            # through value rows.
            if all(re.fullmatch(r"[-+(]?[\d.,' ]+%?\)?[-€$£]?", w.text) for w in over):
                continue
            return ""
        # The header cell: the words of that line closest to the amount's column.
        cell = _cell_around(above, center, box)
        return fold(cell)
    return ""


def _cell_around(line: Line, center: float, box: tuple[float, float, float, float]) -> str:
    words = line.words
    best = min(range(len(words)), key=lambda i: abs((words[i].x0 + words[i].x1) / 2 - center))
    lo = hi = best
    while lo > 0 and words[lo].x0 - words[lo - 1].x1 < 4.5 and words[lo - 1].x1 > box[0] - 60:
        lo -= 1
    while (
        hi < len(words) - 1
        and words[hi + 1].x0 - words[hi].x1 < 4.5
        and words[hi + 1].x0 < box[2] + 60
    ):
        hi += 1
    return " ".join(w.text for w in words[lo : hi + 1])


#: A way the page states the tax total: its value, the amount it stands at (None when it is a
#: sum of several), and how strongly it is labelled.
TaxOption = tuple[Decimal, AmountCandidate | None, float]
#: The best net + tax = total found: score, total, tax value, tax amount, net.
_Sum = tuple[float, AmountCandidate, Decimal, AmountCandidate | None, AmountCandidate]


def choose_totals(doc: Document) -> Totals:
    candidates = collect_amounts(doc)
    result = Totals(candidates=candidates)
    # Item rows ("Amount" column of the lines) are per-line amounts, not the invoice total;
    # credit notes may print negative totals.
    totals = [
        c for c in candidates if c.role in ("total", "due") and c.value > 0 and not c.item_row
    ]
    if not totals:
        totals = [c for c in candidates if c.role in ("total", "due") and c.value != 0]
    taxes = [c for c in candidates if c.role == "tax"]
    nets = [c for c in candidates if c.role == "net" and not c.per_rate]
    # "Gesamtbeitrag 50,00 / Versicherungsteuer 9,50 / Rechnungsbeitrag 59,50": a smaller
    # total can be the net of a larger one.
    net_like = nets + [c for c in totals if c.strength >= 0.6 and not c.per_rate]
    # A one-line invoice's line net is the invoice net (weak: weighed at its strength).
    net_like += [c for c in candidates if c.role == "net" and c.per_rate]
    tax_totals = [c for c in taxes if not c.per_rate]
    tax_options, rate_evidence = _tax_options(taxes, tax_totals)
    # Bounded search: the strongest few of each kind are enough to find net + tax = total.
    totals = sorted(totals, key=lambda c: c.strength, reverse=True)[:MAX_CANDIDATES]
    net_like = sorted(net_like, key=lambda c: c.strength, reverse=True)[:MAX_CANDIDATES]
    tax_options = sorted(tax_options, key=lambda o: o[2], reverse=True)[:MAX_CANDIDATES]
    best = _best_sum(doc, totals, tax_options, net_like)
    if best is not None:
        _, total, tax_value, tax, net = best
        result.total, result.tax, result.net = total, tax, net
        result.tax_value = tax_value
        result.tax_evidence = tax.evidence() if tax is not None else rate_evidence
        result.consistent = True
    else:
        _choose_without_sum(result, _best_total(totals), tax_totals, nets, tax_options)
    if result.total is not None:
        chosen = result.total.value
        result.total_competitors = len(
            {c.value for c in totals if c.strength >= 0.6 and abs(c.value) != abs(chosen)}
        )
    if result.tax_value is not None:
        result.tax_competitors = len(
            {v for v, _, s in tax_options if s >= 0.6 and v != result.tax_value}
        )
    return result


def _tax_options(
    taxes: list[AmountCandidate], tax_totals: list[AmountCandidate]
) -> tuple[list[TaxOption], Evidence | None]:
    """The tax totals the page states, with the box around the per-rate lines when they
    add up to one."""
    tax_options: list[TaxOption] = [(c.value, c, c.strength) for c in tax_totals]
    # Split taxes on one row (CGST + SGST, or federal + state) add up to the row's tax.
    by_row: dict[int, list[AmountCandidate]] = {}
    for c in taxes:
        by_row.setdefault(c.line.index, []).append(c)
    for row in by_row.values():
        if len(row) >= 2 and len({c.column_label for c in row}) == len(row):
            strength = min(c.strength for c in row) * 0.8
            tax_options.append((sum((c.value for c in row), Decimal(0)), None, strength))
    # Per-rate lines add up to the tax total when no total line is printed.
    per_rate = [c for c in taxes if c.per_rate]
    if not per_rate:
        return tax_options, None
    seen: dict[tuple[int, int], AmountCandidate] = {}
    row_sums: dict[tuple[int, int], Decimal] = {}
    columns: dict[tuple[int, int], set[str]] = {}
    for c in per_rate:
        key = (c.line.page, c.line.index)
        seen.setdefault(key, c)
        # One tax per column on a row: "CGST 900 | SGST 900" is 1800, not 900.
        if c.column_label not in columns.setdefault(key, set()):
            columns[key].add(c.column_label)
            row_sums[key] = row_sums.get(key, Decimal(0)) + c.value
    rate_sum = sum(row_sums.values(), Decimal(0))
    tax_options.append((rate_sum, None if len(seen) > 1 else next(iter(seen.values())), 0.5))
    return tax_options, _union_evidence(list(seen.values()))


def _best_sum(
    doc: Document,
    totals: list[AmountCandidate],
    tax_options: list[TaxOption],
    net_like: list[AmountCandidate],
) -> _Sum | None:
    """The best-scored net + tax = total among the candidates, if any adds up."""
    best: _Sum | None = None
    for total, (tax_value, tax, tax_strength), net in product(totals, tax_options, net_like):
        if net is total or (abs(total.value) <= abs(net.value) and tax_value != 0):
            continue
        if net.value + tax_value != total.value:
            continue
        score = (
            total.strength * 2
            + tax_strength
            + net.strength * (1.0 if net.role == "net" else 0.5)
            + (0.5 if total.role == "total" else 0.0)
            + 0.1 * total.line.index / max(len(doc.lines), 1)
        )
        if best is None or score > best[0]:
            best = (score, total, tax_value, tax, net)
    return best


def _choose_without_sum(
    result: Totals,
    total: AmountCandidate | None,
    tax_totals: list[AmountCandidate],
    nets: list[AmountCandidate],
    tax_options: list[TaxOption],
) -> None:
    """No net + tax = total on the page: the best total, and its tax from an explicit tax
    line, else total minus a net below it, else the single per-rate line."""
    if total is None:
        return
    result.total = total
    explicit = [c for c in tax_totals if abs(c.value) < abs(total.value) or c.value == 0]
    net_below = [n for n in nets if 0 < abs(n.value) < abs(total.value)]
    single_rate = [o for o in tax_options if o[1] is not None and o[1].per_rate]
    if explicit:
        tax = max(explicit, key=lambda c: (c.strength, c.line.index))
        result.tax, result.tax_value = tax, tax.value
        result.tax_evidence = tax.evidence()
    elif net_below:
        net = max(net_below, key=lambda n: (n.strength, n.line.index))
        result.net = net
        result.tax_value = total.value - net.value
        result.tax_derived = True
        result.tax_evidence = net.evidence()
    elif len(single_rate) == 1 and abs(single_rate[0][0]) < abs(total.value):
        value, tax_candidate, _ = single_rate[0]
        result.tax, result.tax_value = tax_candidate, value
        result.tax_evidence = tax_candidate.evidence() if tax_candidate else None


def _union_evidence(parts: list[AmountCandidate]) -> Evidence | None:
    """One box around the per-rate tax amounts that add up to the tax total."""
    if not parts:
        return None
    page = parts[0].line.page
    boxes = [p.evidence().bbox for p in parts if p.line.page == page]
    known = [b for b in boxes if b is not None]
    bbox = (
        (
            min(b[0] for b in known),
            min(b[1] for b in known),
            max(b[2] for b in known),
            max(b[3] for b in known),
        )
        if known
        else None
    )
    return Evidence(page, bbox, " + ".join(p.amount.text for p in parts))


def _best_total(totals: list[AmountCandidate]) -> AmountCandidate | None:
    if not totals:
        return None
    largest = max(abs(c.value) for c in totals)

    def score(c: AmountCandidate) -> tuple[float, int]:
        return (
            c.strength
            + (0.3 if c.role == "total" else 0.1)
            + (0.3 if abs(c.value) == largest else 0.0)
            + (0.1 if c.currency_near else 0.0)
            - (0.3 if c.amounts_in_row > 2 else 0.0),
            c.line.index,
        )

    return max(totals, key=score)
