"""How sure the matcher is that a bank line and a piece of paperwork are the same payment.

Pure functions over small frozen dataclasses: no database, so every rule is testable with
literal values and the benchmark exercises exactly the code production runs.

A score is a Decimal percentage built from points, each with a human-readable reason:

========================  =====================================================  ========
Payment confirmation      amount (exact in the source or Qonto's local currency  40
↔ debit                   = 40; converted within the FX tolerance = 20–40)
                          counterparty (IBAN equal, same vendor, or name         30
                          similarity ≥ 60 % × 30; a different IBAN = 0)
                          reference (equal 20, abbreviated/truncated 14,         20
                          one side missing 8, different 0)
                          date (10 on the execution date, linearly down to 0     10
                          at the window's edge)
Credit ↔ receivable,      reference (exact 60, abbreviated/truncated 45)         60
reference-led             amount (equal to what is due 25, less 15, more 0)      25
                          counterparty (similarity × 10), date (5 when paid       15
                          after the issue date)
Credit ↔ receivable,      amount equal to what is due                            40
amount-led (no reference  counterparty (IBAN equal 35, else similarity × 35)     35
names it)                 date (10 within issue date … due date + 60 days)       10
                          reference (absent 5, present but naming nothing 0)     5
========================  =====================================================  ========
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from datetime import timedelta
from decimal import ROUND_HALF_UP
from decimal import Decimal
from typing import Literal

from reconciliation.fx import convert_at
from reconciliation.money import format_money
from reconciliation.text.names import counterparty_similarity
from reconciliation.text.percents import percent
from reconciliation.text.percents import whole_percent
from reconciliation.text.references import MatchTier
from reconciliation.text.references import compare_references
from reconciliation.text.references import is_cut_start
from reconciliation.text.references import is_label
from reconciliation.text.references import normalize_reference

AmountBasis = Literal["source", "local", "converted"]

ZERO = Decimal(0)
HUNDRED = Decimal(100)
#: A name this similar (or more) counts as the same counterparty, scaled by the similarity.
MIN_NAME_SIMILARITY = 0.6
#: How far ahead of the runner-up a candidate must be to be taken without review.
DEFAULT_MARGIN = Decimal(10)
#: Candidates below this are not worth a reviewer's time and are not proposed.
MIN_CANDIDATE_SCORE = Decimal(50)
#: An abbreviated or truncated reference counts this much of an exact one (debits).
PARTIAL_REFERENCE_SHARE = Decimal("0.7")


def _money(amount: Decimal, currency: str) -> str:
    return format_money(amount, currency)  # "4,600.00 USD", as the rest of the screens


def _points(value: Decimal | float) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class MatchPolicy:
    """A workspace's matching settings."""

    threshold: Decimal
    days_before: int = 3
    days_after: int = 7
    fx_tolerance_percent: Decimal = Decimal(2)
    margin: Decimal = DEFAULT_MARGIN


@dataclass(frozen=True)
class PaymentOrder:
    """What a payment confirmation says was sent."""

    document_id: int
    amount: Decimal
    currency: str
    execution_date: date
    beneficiary_name: str  # normalised
    beneficiary_iban: str  # compact
    reference: str
    vendor_ids: frozenset[int] = frozenset()


@dataclass(frozen=True)
class BankLine:
    """A mirrored transaction, as the matcher reads it."""

    transaction_id: int
    amount: Decimal
    currency: str
    local_amount: Decimal | None
    local_currency: str
    counterparty: str  # normalised
    counterparty_iban: str  # compact
    reference: str
    value_date: date
    vendor_ids: frozenset[int] = frozenset()


@dataclass(frozen=True)
class AmountAgreement:
    basis: AmountBasis
    #: The paperwork's amount in the currency the two sides were compared in.
    matched_amount: Decimal
    matched_currency: str
    #: The rate applied, into the compared currency: paperwork → account for debits, account →
    #: paperwork for credits (None when no conversion was involved).
    fx_rate: Decimal | None
    #: |difference| / allowed difference, 0 for exact agreement.
    distance: Decimal
    reason: str


@dataclass(frozen=True)
class ScoredCandidate:
    transaction_id: int
    target_id: int  # document (debits) or receivable/credit note (credits)
    score: Decimal
    reasons: tuple[str, ...]
    amount: AmountAgreement
    date_distance: int
    target_kind: str = "document"  # or "receivable" / "credit_note" / "invoice"
    #: How the reference named the paperwork: "exact", "abbreviated", "truncated",
    #: `CUT_START` or "".
    reference_tier: str = ""
    #: When the money moved: of one payment and its repeats, the earliest is the payment.
    value_date: date | None = None


@dataclass(frozen=True)
class Ranking:
    candidates: tuple[ScoredCandidate, ...]  # best first
    is_confident: bool
    explanation: str
    #: Runners-up that did not make a confident best ambiguous: the same payment made again
    #: (possible double payments, see `rank`).
    repeats: tuple[ScoredCandidate, ...] = ()

    @property
    def best(self) -> ScoredCandidate | None:
        return self.candidates[0] if self.candidates else None


def agree_on_amount(
    *,
    amount: Decimal,
    currency: str,
    line: BankLine,
    rate: Decimal | None,
    tolerance_percent: Decimal,
) -> AmountAgreement | None:
    """Whether ``amount currency`` is what ``line`` moved: exactly in the account currency
    ("source"), exactly in Qonto's local currency ("local"), or converted with ``rate`` within
    the tolerance ("converted")."""
    currency = currency.upper()
    if line.currency == currency and line.amount == amount:
        return AmountAgreement(
            "source", amount, currency, None, ZERO, f"amount {_money(amount, currency)} equal"
        )
    if (
        line.local_currency == currency
        and line.local_amount is not None
        and line.local_amount == amount
        and line.currency != currency
    ):
        implied = (line.amount / amount).quantize(Decimal("0.0000000001")) if amount else None
        return AmountAgreement(
            "local",
            amount,
            currency,
            implied,
            ZERO,
            f"amount {_money(amount, currency)} equal to the local amount "
            f"(debited {_money(line.amount, line.currency)})",
        )
    if rate is None or currency == line.currency:
        return None
    converted = convert_at(amount, rate, line.currency)
    allowed = abs(converted) * tolerance_percent / HUNDRED
    difference = abs(line.amount - converted)
    if allowed <= 0 or difference > allowed:
        return None
    return AmountAgreement(
        "converted",
        converted,
        line.currency,
        rate,
        difference / allowed,
        f"{_money(amount, currency)} ≈ {_money(converted, line.currency)} at {rate.normalize()} "
        f"({percent(_points(difference / converted * HUNDRED) if converted else 0)} off)",
    )


def _date_points(delta: int, before: int, after: int, weight: Decimal) -> Decimal | None:
    span = after if delta >= 0 else before
    if delta > after or -delta > before:
        return None
    if span == 0:
        return weight
    return weight * (1 - Decimal(abs(delta)) / Decimal(span))


def _days(delta: int) -> str:
    if delta == 0:
        return "same day"
    unit = "day" if abs(delta) == 1 else "days"
    return f"{delta:+d} {unit}"


def counterparty_points(
    *,
    name: str,
    iban: str,
    vendor_ids: frozenset[int],
    line: BankLine,
    weight: Decimal,
) -> tuple[Decimal, str]:
    """Points for "same counterparty": IBAN equality, a shared vendor, or name similarity."""
    is_same_vendor = bool(vendor_ids & line.vendor_ids)
    if iban and line.counterparty_iban:
        if iban == line.counterparty_iban:
            return weight, "IBAN equal"
        if not is_same_vendor:
            return ZERO, f"IBAN differs ({line.counterparty_iban})"
    if is_same_vendor:
        return weight, "counterparty is the same vendor"
    similarity = counterparty_similarity(name, line.counterparty)
    if similarity >= MIN_NAME_SIMILARITY:
        return (
            weight * _points(similarity),
            f"name {whole_percent(similarity)} similar ({line.counterparty!r})",
        )
    if not line.counterparty:
        return ZERO, "no counterparty name on the transaction"
    return ZERO, f"name differs ({line.counterparty!r})"


def score_debit(
    order: PaymentOrder, line: BankLine, *, policy: MatchPolicy, rate: Decimal | None
) -> ScoredCandidate | None:
    """Score ``line`` as the debit of ``order`` (None when amount or date rule it out)."""
    delta = (line.value_date - order.execution_date).days
    date_points = _date_points(delta, policy.days_before, policy.days_after, Decimal(10))
    if date_points is None:
        return None
    amount = agree_on_amount(
        amount=order.amount,
        currency=order.currency,
        line=line,
        rate=rate,
        tolerance_percent=policy.fx_tolerance_percent,
    )
    if amount is None:
        return None
    amount_points = (
        Decimal(40) - Decimal(20) * amount.distance if amount.basis == "converted" else Decimal(40)
    )
    party_points, party_reason = counterparty_points(
        name=order.beneficiary_name,
        iban=order.beneficiary_iban,
        vendor_ids=order.vendor_ids,
        line=line,
        weight=Decimal(30),
    )
    reference_points, reference_reason = _debit_reference_points(order.reference, line.reference)
    score = _points(amount_points + party_points + reference_points + date_points)
    return ScoredCandidate(
        transaction_id=line.transaction_id,
        target_id=order.document_id,
        score=min(score, HUNDRED),
        reasons=(amount.reason, party_reason, reference_reason, f"value date {_days(delta)}"),
        amount=amount,
        date_distance=abs(delta),
    )


def _debit_reference_points(expected: str, given: str) -> tuple[Decimal, str]:
    if is_label(expected) or is_label(given):
        return Decimal(8), "no reference to compare"
    tier = compare_references(expected, given)
    if tier == "exact":
        return Decimal(20), "reference equal"
    if tier is not None:
        return Decimal(20) * PARTIAL_REFERENCE_SHARE, f"reference {tier} ({given!r})"
    return ZERO, f"references differ ({given!r})"


@dataclass(frozen=True)
class InvoiceClaim:
    """A supplier invoice waiting for the debit that paid it."""

    invoice_id: int
    number: str
    amount: Decimal
    currency: str
    issue_date: date
    name: str  # normalised supplier name
    iban: str  # compact
    vendor_ids: frozenset[int] = frozenset()


#: The reference tier of a bank line whose reference is (or ends with) the start of the number,
#: cut too short to name it (`is_cut_start`).
CUT_START = "cut start"
#: An invoice is paid from a few days before its issue date (prepayment) to this long after.
INVOICE_EARLY_DAYS = 3
INVOICE_PAYMENT_DAYS = 120
#: Paid within this many days of the issue date: the usual payment terms, full date points.
INVOICE_TERM_DAYS = 45
#: How surely a reference names an invoice number: in full, in part, by a cut start, not at all.
TIER_STRENGTH = {"exact": 3, "abbreviated": 2, "truncated": 2, CUT_START: 1, "": 0}


def payment_window(claim: InvoiceClaim) -> tuple[date, date]:
    """When an invoice may be paid: a few days before its issue date to months after."""
    return (
        claim.issue_date - timedelta(days=INVOICE_EARLY_DAYS),
        claim.issue_date + timedelta(days=INVOICE_PAYMENT_DAYS),
    )


def invoice_reference_tier(number: str, reference: str) -> str:
    """How a debit's ``reference`` names the invoice ``number``: "exact", "abbreviated",
    "truncated", `CUT_START` (the reference is, or ends with, the number's start, cut too short
    to name it) or "" (no reference to compare, or it names another number)."""
    if is_label(number) or is_label(reference):
        return ""
    tier = compare_references(number, reference)
    if tier is not None:
        return tier
    return CUT_START if is_cut_start(number, reference) else ""


def score_invoice_debit(
    claim: InvoiceClaim, line: BankLine, *, policy: MatchPolicy, rate: Decimal | None
) -> ScoredCandidate | None:
    """Score ``line`` as the debit that paid ``claim`` (None when amount or date rule it out).

    amount 35 (exact in the account or local currency; converted within the FX tolerance
    20–35), reference 30 (exact; abbreviated or truncated 21; no reference on either side 12;
    another number 0), counterparty 25 (IBAN, same vendor, or name similarity), date 10
    (within the payment terms, then down to 0 at `INVOICE_PAYMENT_DAYS`).
    """
    delta = (line.value_date - claim.issue_date).days
    if delta < -INVOICE_EARLY_DAYS or delta > INVOICE_PAYMENT_DAYS:
        return None
    amount = agree_on_amount(
        amount=claim.amount,
        currency=claim.currency,
        line=line,
        rate=rate,
        tolerance_percent=policy.fx_tolerance_percent,
    )
    if amount is None:
        return None
    amount_points = Decimal(35) - Decimal(15) * amount.distance
    party_points, party_reason = counterparty_points(
        name=claim.name, iban=claim.iban, vendor_ids=claim.vendor_ids, line=line, weight=Decimal(25)
    )
    tier, reference_points, reference_reason = _invoice_reference_points(claim.number, line)
    reasons = [amount.reason, party_reason, reference_reason]
    if (
        tier == "exact"
        and amount.basis != "converted"
        and len(normalize_reference(claim.number)) >= 4
        and not (claim.iban and line.counterparty_iban and party_points == 0)
    ):
        # The full number and the exact amount: the counterparty's name may be anything (a
        # payment provider, a misread supplier name), as long as no other IBAN contradicts it.
        reference_points += Decimal(10)
        reasons.append("reference and amount both exact")
    late = max(0, delta - INVOICE_TERM_DAYS)
    date_points = Decimal(10) * (
        1 - Decimal(late) / Decimal(INVOICE_PAYMENT_DAYS - INVOICE_TERM_DAYS)
    )
    score = _points(amount_points + party_points + reference_points + date_points)
    return ScoredCandidate(
        transaction_id=line.transaction_id,
        target_id=claim.invoice_id,
        score=min(score, HUNDRED),
        reasons=(*reasons, f"paid {_days(delta)} from the issue date"),
        amount=amount,
        date_distance=abs(delta),
        target_kind="invoice",
        reference_tier=tier,
        value_date=line.value_date,
    )


def _invoice_reference_points(number: str, line: BankLine) -> tuple[str, Decimal, str]:
    if is_label(number) or is_label(line.reference):
        return "", Decimal(12), "no reference to compare"
    tier = invoice_reference_tier(number, line.reference)
    if tier == "exact":
        return tier, Decimal(30), f"reference names invoice {number}"
    if tier == CUT_START:
        # Weak evidence: as good as no reference, but the same on a payment and its repeat.
        return tier, Decimal(12), f"reference {line.reference!r} is the start of {number}"
    if tier:
        return tier, Decimal(30) * PARTIAL_REFERENCE_SHARE, f"reference {tier} ({line.reference!r})"
    if not any(char.isdigit() for char in line.reference):
        return "", Decimal(12), f"reference without a number ({line.reference!r})"
    return "", ZERO, f"reference names another number ({line.reference!r})"


@dataclass(frozen=True)
class ReceivableTarget:
    """An open receivable, or one of our suppliers' credit notes, that a credit may settle."""

    kind: Literal["receivable", "credit_note"]
    id: int
    reference: str
    amount_due: Decimal
    currency: str
    name: str  # normalised customer (or supplier) name
    iban: str
    issue_date: date | None
    due_date: date | None
    #: Other references printed on it (its number besides its RF reference, …).
    other_references: tuple[str, ...] = ()


def score_credit(
    line: BankLine,
    target: ReceivableTarget,
    *,
    tier: MatchTier | None,
    policy: MatchPolicy,
    rate: Decimal | None,
    named: str = "",
) -> ScoredCandidate | None:
    """Score ``line`` (a credit) as a payment of ``target``. With a reference ``tier`` the
    reference leads and any amount up to what is due counts (partial payments); without one,
    the amount must equal what is due. ``named`` is the reference the credit named, when it is
    not the target's main one."""
    agreement = _credit_amount(line, target, rate=rate, policy=policy)
    if agreement is None:
        return None
    party_weight = Decimal(10) if tier is not None else Decimal(35)
    party = counterparty_points(
        name=target.name, iban=target.iban, vendor_ids=frozenset(), line=line, weight=party_weight
    )
    delta = (line.value_date - (target.due_date or target.issue_date or line.value_date)).days
    if tier is not None:
        scored = _reference_led(line, target, tier, agreement, party, policy, named)
    else:
        scored = _amount_led(line, target, agreement, party, delta)
    if scored is None:
        return None
    total, reasons = scored
    return ScoredCandidate(
        transaction_id=line.transaction_id,
        target_id=target.id,
        score=min(_points(total), HUNDRED),
        reasons=reasons,
        amount=agreement,
        date_distance=abs(delta),
        target_kind=target.kind,
    )


def _paid_after_issue(line: BankLine, target: ReceivableTarget) -> bool:
    return target.issue_date is None or line.value_date >= target.issue_date


def _reference_led(
    line: BankLine,
    target: ReceivableTarget,
    tier: MatchTier,
    agreement: AmountAgreement,
    party: tuple[Decimal, str],
    policy: MatchPolicy,
    named: str,
) -> tuple[Decimal, tuple[str, ...]] | None:
    allowed = target.amount_due * (1 + policy.fx_tolerance_percent / HUNDRED)
    if tier != "exact" and agreement.matched_amount > allowed:
        # A loose reference and more money than is due: another payment altogether.
        return None
    reference_points = Decimal(60) if tier == "exact" else Decimal(45)
    amount_points, amount_reason = _credit_amount_points(line, target, agreement)
    date_points = Decimal(5) if _paid_after_issue(line, target) else ZERO
    reasons = (f"reference {tier} ({named or target.reference})", amount_reason, party[1])
    return reference_points + amount_points + party[0] + date_points, reasons


def _amount_led(
    line: BankLine,
    target: ReceivableTarget,
    agreement: AmountAgreement,
    party: tuple[Decimal, str],
    delta: int,
) -> tuple[Decimal, tuple[str, ...]] | None:
    if party[0] == 0:
        return None
    if agreement.basis == "converted":
        if agreement.distance >= 1:
            return None
    elif agreement.matched_amount != target.amount_due:
        return None
    in_term = _paid_after_issue(line, target) and delta <= 60
    date_points = Decimal(10) if in_term else ZERO
    reference_points, reference_reason = _unnamed_reference_points(line, target)
    reasons = (
        agreement.reason + " (what is due)",
        party[1],
        "paid within the payment term" if in_term else "paid outside the payment term",
        reference_reason,
    )
    amount_points = Decimal(40) - Decimal(20) * agreement.distance
    return max(ZERO, amount_points + party[0] + date_points + reference_points), reasons


def _unnamed_reference_points(line: BankLine, target: ReceivableTarget) -> tuple[Decimal, str]:
    """What a credit's reference says when it names no receivable."""
    if not line.reference.strip():
        return Decimal(5), "no reference"
    if is_cut_start(target.reference, line.reference):
        # Cut too short to name one receivable, but the start of this one's reference.
        return Decimal(5), f"reference {line.reference!r} is the start of {target.reference}"
    if any(char.isdigit() for char in line.reference):
        # A number we do not know: most likely it pays something else.
        return Decimal(-20), f"reference names another document ({line.reference!r})"
    return ZERO, f"reference without a number ({line.reference!r})"


def _credit_amount(
    line: BankLine, target: ReceivableTarget, *, rate: Decimal | None, policy: MatchPolicy
) -> AmountAgreement | None:
    """The credit expressed in the target's currency: source, local or converted."""
    currency = target.currency.upper()
    if line.currency == currency:
        return AmountAgreement(
            "source", line.amount, currency, None, ZERO, f"received {_money(line.amount, currency)}"
        )
    if line.local_currency == currency and line.local_amount is not None:
        return AmountAgreement(
            "local",
            line.local_amount,
            currency,
            None,
            ZERO,
            f"received {_money(line.local_amount, currency)} "
            f"(booked {_money(line.amount, line.currency)})",
        )
    if rate is None or rate == 0:
        return None
    # rate: account currency → target currency (the book's own, inverted where it must be):
    # the credit converted exactly as posting would convert it.
    converted = convert_at(line.amount, rate, currency)
    allowed = abs(target.amount_due) * policy.fx_tolerance_percent / HUNDRED
    difference = abs(converted - target.amount_due)
    distance = min(Decimal(1), difference / allowed) if allowed > 0 else Decimal(1)
    if difference > allowed:
        # Outside the tolerance the amount is still usable as a partial payment.
        distance = Decimal(1)
    return AmountAgreement(
        "converted",
        converted,
        currency,
        rate,
        distance,
        f"received {_money(line.amount, line.currency)} ≈ {_money(converted, currency)} "
        f"at {rate.normalize()}",
    )


def _credit_amount_points(
    line: BankLine, target: ReceivableTarget, agreement: AmountAgreement
) -> tuple[Decimal, str]:
    received = agreement.matched_amount
    due = target.amount_due
    if agreement.basis == "converted" and agreement.distance < 1:
        return Decimal(25) - Decimal(10) * agreement.distance, agreement.reason + " — what is due"
    if received == due:
        return Decimal(25), agreement.reason + " — what is due"
    if received < due:
        return Decimal(
            15
        ), agreement.reason + f" — partial, {_money(due - received, target.currency)} still due"
    return ZERO, agreement.reason + f" — {_money(received - due, target.currency)} more than due"


#: Whether ``other`` pays the same paperwork again as ``payment`` did (its repeat).
RepeatTest = Callable[[ScoredCandidate, ScoredCandidate], bool]


def rank(
    candidates: Iterable[ScoredCandidate],
    policy: MatchPolicy,
    *,
    repeats: RepeatTest | None = None,
) -> Ranking:
    """Best first (score, then nearer date, then smaller amount distance, then lower id so
    ties are broken the same way every run); confident when the best is at or above the
    threshold and at least ``policy.margin`` ahead of the runner-up.

    With ``repeats``, runners-up within the margin do not make the ranking ambiguous when each
    one is a repeat of the payment: the money left twice (or more) for one piece of paperwork.
    Without a clear winner by score, the earliest of them at the threshold is the payment (a
    score between them differs by how the bank printed the name, not by which one paid); the
    others are kept in `Ranking.repeats`, possible double payments, not a reason to link
    neither. Below the threshold, debits whose references name the paperwork (in full, in
    part, or by the start of its number the bank kept) and repeat the earliest of them are
    proposed for review earliest first, the repeats kept all the same: money that left twice
    waits for no one's confirmation (`double_payments` flags them when the earliest went to
    the supplier)."""
    ordered = tuple(sorted(candidates, key=_rank_order))
    if not ordered:
        return Ranking((), False, "no candidate")
    best = ordered[0]
    rivals = [c for c in ordered[1:] if best.score - c.score < policy.margin]
    if best.score < policy.threshold:
        return _below_threshold(ordered, rivals, policy, repeats)
    paid_again = _repeats_of_earliest([best, *rivals], repeats, policy.threshold)
    if paid_again is not None:
        return _with_repeats(
            ordered,
            *paid_again,
            True,
            f"score {percent(paid_again[0].score)} ≥ threshold {percent(policy.threshold)}; "
            "the earliest",
        )
    if rivals:
        return Ranking(
            ordered,
            False,
            f"best score {percent(best.score)} is not clearly ahead of the runner-up "
            f"({percent(ordered[1].score)})",
        )
    return Ranking(
        ordered, True, f"score {percent(best.score)} ≥ threshold {percent(policy.threshold)}"
    )


def _rank_order(c: ScoredCandidate) -> tuple[Decimal, int, Decimal, int, str, int]:
    return (-c.score, c.date_distance, c.amount.distance, c.transaction_id, c.target_kind,
            c.target_id)  # fmt: skip


def _below_threshold(
    ordered: tuple[ScoredCandidate, ...],
    rivals: list[ScoredCandidate],
    policy: MatchPolicy,
    repeats: RepeatTest | None,
) -> Ranking:
    """Not confident; with no payment clear, only debits whose reference names the paperwork
    are one payment and its repeats (one naming another number paid something else)."""
    below = (
        f"best score {percent(ordered[0].score)} is below the threshold {percent(policy.threshold)}"
    )
    tied = [c for c in (ordered[0], *rivals) if c.reference_tier and c.score >= MIN_CANDIDATE_SCORE]
    paid_again = _repeats_of_earliest(tied, repeats, MIN_CANDIDATE_SCORE)
    if paid_again is None:
        return Ranking(ordered, False, below)
    return _with_repeats(ordered, *paid_again, False, f"{below}; the earliest")


def _repeats_of_earliest(
    group: list[ScoredCandidate], repeats: RepeatTest | None, floor: Decimal
) -> tuple[ScoredCandidate, tuple[ScoredCandidate, ...]] | None:
    """The earliest of ``group`` at ``floor`` or above, and the others, when there are others
    and each of them is a repeat of it (see `rank`)."""
    if repeats is None or len(group) < 2 or all(c.score < floor for c in group):
        return None
    first = min((c for c in group if c.score >= floor), key=_earliest)
    again = tuple(c for c in group if c is not first)
    if all(repeats(first, other) for other in again):
        return first, again
    return None


def _with_repeats(
    ordered: tuple[ScoredCandidate, ...],
    first: ScoredCandidate,
    again: tuple[ScoredCandidate, ...],
    confident: bool,
    explanation: str,
) -> Ranking:
    return Ranking(
        (first, *(c for c in ordered if c is not first)),
        confident,
        f"{explanation} of {len(again) + 1} payments of it, the others possible double payments",
        again,
    )


def _earliest(candidate: ScoredCandidate) -> tuple[date, Decimal, int]:
    """The earliest value date first, then the higher score, then the lower id."""
    return (candidate.value_date or date.max, -candidate.score, candidate.transaction_id)


def resolve_conflicts(
    rankings: dict[int, Ranking],
    policy: MatchPolicy,
    *,
    repeats: RepeatTest | None = None,
    paperwork: str = "documents",
) -> dict[int, int]:
    """{paperwork id: transaction id} of the confident matches no other paperwork also claims.

    A debit two pieces of paperwork claim confidently is given to neither (both go to review).
    A debit confirmed for one no longer competes in the others' rankings, which may leave one
    of them clearly ahead: those are ranked again, twice at most.
    """
    confident: dict[int, int] = {}
    for _ in range(3):
        claims: dict[int, list[int]] = defaultdict(list)
        for document_id, ranking in rankings.items():
            if document_id in confident:
                continue
            if ranking.is_confident and ranking.best is not None:
                claims[ranking.best.transaction_id].append(document_id)
        fresh = {ids[0]: tx for tx, ids in claims.items() if len(ids) == 1}
        for transaction_id, ids in claims.items():
            if len(ids) > 1:
                for document_id in ids:
                    ranking = rankings[document_id]
                    rankings[document_id] = Ranking(
                        ranking.candidates,
                        False,
                        f"transaction {transaction_id} also fits {paperwork} "
                        f"{', '.join(str(i) for i in ids if i != document_id)}",
                    )
        if not fresh:
            break
        confident.update(fresh)
        used = set(confident.values())
        for document_id, ranking in list(rankings.items()):
            if document_id in confident:
                continue
            remaining = [c for c in ranking.candidates if c.transaction_id not in used]
            if len(remaining) != len(ranking.candidates):
                rankings[document_id] = rank(remaining, policy, repeats=repeats)
    return confident


def worth_review(ranking: Ranking, count: int = 3) -> tuple[ScoredCandidate, ...]:
    """The best ``count`` candidates a reviewer should see (none below `MIN_CANDIDATE_SCORE`)."""
    return tuple(c for c in ranking.candidates[:count] if c.score >= MIN_CANDIDATE_SCORE)
