"""When a debit pays an invoice again: the one rule for a possible double payment.

Two places ask it: the invoice ranking, when two or more debits fit an invoice not settled yet
(the payment is linked, the others are its repeats and do not make it ambiguous), and the
double-payment check, for debits after an invoice was settled.

A repeat is a debit to the invoice's supplier (its IBAN or name, or the first debit's
counterparty) that fits the invoice (its amount, in its payment window or up to `REPEAT_DAYS`
after the first payment, whichever ends later: an invoice paid late is paid twice later still)
and whose reference:

- names the invoice (in full or in part) or repeats the first debit's: strong evidence;
- is the start of its number, the rest cut by the bank ("BT6" for "BT69279", "RE6" for
  "RE 63826"): weak evidence, that counts with the same amount (in the account or the
  invoice's currency, or — the bank converted both — within the FX tolerance of the first)
  once the invoice was issued or paid; before, it is something else the supplier was paid;
- names no document at all — missing, only words, or a number too short to name one ("PB8"):
  no evidence either way, as if there were no reference. The same amount to the same supplier
  after the invoice was paid is then a possible double payment;
- names another number: not a repeat.

Nor is it a repeat when its reference could just as well name another open invoice of the
supplier — of the same amount (the invoice's, or exactly what the debit moved), named at least
as well ("INV-10" for the monthly INV-101 and INV-102), or of any amount, named in full or —
the reference naming nothing of the invoice — by the start of its number: it is then
(perhaps) that invoice's payment, for a person to decide, not money that left twice.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import timedelta
from decimal import Decimal

from django.utils.formats import date_format

from reconciliation.matching.scoring import HUNDRED
from reconciliation.matching.scoring import TIER_STRENGTH
from reconciliation.matching.scoring import BankLine
from reconciliation.matching.scoring import InvoiceClaim
from reconciliation.matching.scoring import MatchPolicy
from reconciliation.matching.scoring import counterparty_points
from reconciliation.matching.scoring import invoice_reference_tier
from reconciliation.matching.scoring import payment_window
from reconciliation.money import format_money
from reconciliation.text.references import MIN_TRUNCATED_LENGTH
from reconciliation.text.references import ReferenceIndex
from reconciliation.text.references import compare_references
from reconciliation.text.references import is_cut_start
from reconciliation.text.references import names_nothing
from reconciliation.text.references import remittance_reference

DOUBLE_PAYMENT_SCORE = Decimal(100)
SIMILAR_REFERENCE_SCORE = Decimal(90)
#: A reference too short to name the invoice, on a same-amount debit once it was issued or paid.
WEAK_REFERENCE_SCORE = Decimal(80)
#: A reference that names nothing, on a same-amount debit after the invoice was paid.
NO_REFERENCE_SCORE = Decimal(70)
#: How long after an invoice's first payment a debit may still repeat it.
REPEAT_DAYS = 60


def repeat_window(claim: InvoiceClaim, paid_on: date) -> tuple[date, date]:
    """When a debit may pay ``claim`` again, its first payment made on ``paid_on``: its payment
    window, or up to `REPEAT_DAYS` after that payment when that ends later."""
    start, end = payment_window(claim)
    return start, max(end, paid_on + timedelta(days=REPEAT_DAYS))


@dataclass
class OpenInvoices:
    """The invoices no debit settled yet, which a debit's reference may name instead. Read
    from ``source`` the first time a debit is asked about (most windows never ask)."""

    source: Callable[[], Iterable[InvoiceClaim]]
    _by_amount: dict[tuple[str, Decimal], list[InvoiceClaim]] | None = None
    _by_id: dict[int, InvoiceClaim] = field(default_factory=dict)
    _numbers: ReferenceIndex[int] = field(default_factory=ReferenceIndex)

    @classmethod
    def of(cls, claims: Iterable[InvoiceClaim]) -> OpenInvoices:
        listed = list(claims)
        return cls(lambda: listed)

    def _of_amount(self, currency: str, amount: Decimal) -> list[InvoiceClaim]:
        if self._by_amount is None:
            self._by_amount = defaultdict(list)
            for claim in self.source():
                self._by_amount[(claim.currency, claim.amount)].append(claim)
                self._by_id[claim.invoice_id] = claim
                self._numbers.add(claim.number, claim.invoice_id)
        return self._by_amount.get((currency, amount), [])

    def naming(self, claim: InvoiceClaim, line: BankLine) -> InvoiceClaim | None:
        """Another open invoice of ``line``'s supplier its reference may pay instead of
        ``claim``'s: of the same amount — ``claim``'s, or what ``line`` itself moved (a
        repeat converted at another rate is only near ``claim``'s) — with ``line`` in its
        payment window and named at least as well, or named in full, or — the reference naming
        nothing of ``claim``'s — of any amount, its number's start ("INV-076" for INV-076597)."""
        strength = TIER_STRENGTH[invoice_reference_tier(claim.number, line.reference)]
        amounts = {
            (claim.currency, claim.amount),
            (line.currency, line.amount),
            (line.local_currency, line.local_amount),
        }
        same_amount = (
            other
            for currency, amount in amounts
            if amount is not None
            for other in self._of_amount(currency, amount)
        )
        for other in same_amount:
            start, end = payment_window(other)
            if (
                other.invoice_id != claim.invoice_id
                and start <= line.value_date <= end
                and TIER_STRENGTH[invoice_reference_tier(other.number, line.reference)] >= strength
                and same_party(other, line)
            ):
                return other
        if strength == TIER_STRENGTH["exact"]:
            return None
        for hit, invoice_id in self._numbers.find(line.reference):
            other = self._by_id[invoice_id]
            if hit.tier == "exact" and invoice_id != claim.invoice_id and same_party(other, line):
                return other
        return self._started_by(claim, line) if strength == TIER_STRENGTH[""] else None

    def _started_by(self, claim: InvoiceClaim, line: BankLine) -> InvoiceClaim | None:
        """Another open invoice of ``line``'s supplier, of any amount, whose number its
        reference (naming nothing of ``claim``'s) is the start of, ``line`` in its window."""
        for other in self._by_id.values():
            start, end = payment_window(other)
            if (
                other.invoice_id != claim.invoice_id
                and start <= line.value_date <= end
                and is_cut_start(other.number, line.reference)
                and same_party(other, line)
            ):
                return other
        return None


def repeat_score(
    claim: InvoiceClaim,
    first: BankLine,
    line: BankLine,
    open_invoices: OpenInvoices,
    policy: MatchPolicy,
) -> Decimal | None:
    """How surely ``line`` pays ``claim`` again, ``first`` being its payment; None when it does
    not. The test alone, for the matcher's ranking, which needs no sentence (`repeat_verdict`)."""
    if not (same_party(claim, line) or _same_party_as(first, line)):
        return None
    score = _reference_score(claim, first, line, policy)
    if score is None or open_invoices.naming(claim, line) is not None:
        return None
    return score


def repeat_verdict(
    claim: InvoiceClaim,
    first: BankLine,
    line: BankLine,
    open_invoices: OpenInvoices,
    policy: MatchPolicy,
    *,
    first_proposed: bool = False,
) -> tuple[Decimal, str] | None:
    """Whether ``line`` (fitting ``claim``'s amount, in its `repeat_window`) pays the invoice
    again, ``first`` being its payment (linked, or only ``first_proposed`` for review): how
    surely (`repeat_score`), and why (see the module)."""
    score = repeat_score(claim, first, line, open_invoices, policy)
    if score is None:
        return None
    money = format_money(claim.amount, claim.currency)
    # Dates as the admin writes them ("19 Nov 2026"), the first debit by its day (people do not
    # know its id; the flag's page shows both debits side by side).
    on, first_on = (date_format(day, "DATE_FORMAT") for day in (line.value_date, first.value_date))
    paid = (
        f"which the proposed debit of {first_on} may pay"
        if first_proposed
        else (f"already paid by the debit of {first_on}")
    )
    return score, (
        f"a second debit of {money} on {on} to the supplier of invoice "
        f"{claim.number or claim.invoice_id}, {paid}; reference {line.reference!r}"
    )


def _reference_score(
    claim: InvoiceClaim, first: BankLine, line: BankLine, policy: MatchPolicy
) -> Decimal | None:
    """How surely the reference makes ``line`` a repeat: it names the invoice (in full or in
    part) or repeats the first debit's; it is the start of the number, cut by the bank (weak
    evidence, once the invoice was issued or paid); or it names nothing (no evidence: only
    after the invoice was paid). With the same amount both times (see the module)."""
    tier = compare_references(claim.number, line.reference)
    given = remittance_reference(line.reference).normalized
    repeats_first = bool(given) and given == remittance_reference(first.reference).normalized
    if tier == "exact" or (repeats_first and len(given) >= MIN_TRUNCATED_LENGTH):
        return DOUBLE_PAYMENT_SCORE
    if tier is not None:
        return SIMILAR_REFERENCE_SCORE
    if not _same_amount(claim, first, line, policy):
        return None
    if (repeats_first or is_cut_start(claim.number, line.reference)) and (
        line.value_date >= min(first.value_date, claim.issue_date)
    ):
        return WEAK_REFERENCE_SCORE
    if names_nothing(line.reference) and line.value_date >= first.value_date:
        return NO_REFERENCE_SCORE
    return None


def _same_amount(claim: InvoiceClaim, first: BankLine, line: BankLine, policy: MatchPolicy) -> bool:
    """The same amount left: the first debit's or the invoice's (debited, or Qonto's local
    amount); or, both converted from the invoice's currency, within the FX tolerance of the
    first (the day's rate moved, not what was paid)."""
    paid = ((first.currency, first.amount), (claim.currency, claim.amount))
    local = (line.local_currency, line.local_amount)
    if (line.currency, line.amount) in paid or local == paid[1]:
        return True
    slack = first.amount * policy.fx_tolerance_percent / HUNDRED
    return line.currency == first.currency != claim.currency and (
        abs(line.amount - first.amount) <= slack
    )


def same_party(claim: InvoiceClaim, line: BankLine) -> bool:
    """``line`` went to ``claim``'s supplier: its IBAN, a shared vendor, or a close name."""
    points, _ = counterparty_points(
        name=claim.name, iban=claim.iban, vendor_ids=claim.vendor_ids, line=line, weight=Decimal(1)
    )
    return points >= Decimal("0.8")


def _same_party_as(first: BankLine, line: BankLine) -> bool:
    if first.counterparty_iban and line.counterparty_iban:
        return first.counterparty_iban == line.counterparty_iban
    return bool(first.counterparty) and first.counterparty == line.counterparty
