"""Scores and rankings, on literal values: every point and every reason is pinned."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from reconciliation.matching.scoring import AmountAgreement
from reconciliation.matching.scoring import BankLine
from reconciliation.matching.scoring import MatchPolicy
from reconciliation.matching.scoring import PaymentOrder
from reconciliation.matching.scoring import ReceivableTarget
from reconciliation.matching.scoring import ScoredCandidate
from reconciliation.matching.scoring import agree_on_amount
from reconciliation.matching.scoring import rank
from reconciliation.matching.scoring import score_credit
from reconciliation.matching.scoring import score_debit

POLICY = MatchPolicy(threshold=Decimal(80))
IBAN = "DE89370400440532013000"


def order(**changes: object) -> PaymentOrder:
    values: dict[str, object] = {
        "document_id": 1,
        "amount": Decimal("1250.00"),
        "currency": "EUR",
        "execution_date": date(2026, 11, 2),
        "beneficiary_name": "acme supplies",
        "beneficiary_iban": IBAN,
        "reference": "INV-2026-0042",
    }
    values.update(changes)
    return PaymentOrder(**values)  # type: ignore[arg-type]


def line(**changes: object) -> BankLine:
    values: dict[str, object] = {
        "transaction_id": 10,
        "amount": Decimal("1250.00"),
        "currency": "EUR",
        "local_amount": Decimal("1250.00"),
        "local_currency": "EUR",
        "counterparty": "acme supplies",
        "counterparty_iban": IBAN,
        "reference": "INV-2026-0042",
        "value_date": date(2026, 11, 2),
    }
    values.update(changes)
    return BankLine(**values)  # type: ignore[arg-type]


def test_everything_agreeing_scores_one_hundred() -> None:
    scored = score_debit(order(), line(), policy=POLICY, rate=None)

    assert scored is not None
    assert scored.score == Decimal("100.00")
    assert scored.reasons == (
        "amount 1,250.00 EUR equal",
        "IBAN equal",
        "reference equal",
        "value date same day",
    )
    assert scored.amount.basis == "source"


def test_points_add_up_for_name_missing_reference_and_late_date() -> None:
    scored = score_debit(
        order(beneficiary_iban="", reference=""),
        line(counterparty="acme suppl", value_date=date(2026, 11, 4)),
        policy=POLICY,
        rate=None,
    )

    assert scored is not None
    # 40 amount + 30 × 0.87 name + 8 (no reference) + 10 × (1 − 2/7) date.
    assert scored.score == Decimal("81.24")
    assert scored.reasons[1:] == (
        "name 87 % similar ('acme suppl')",
        "no reference to compare",
        "value date +2 days",
    )


def test_a_different_iban_gives_no_counterparty_points() -> None:
    scored = score_debit(
        order(), line(counterparty_iban="FR7630006000011234567890189"), policy=POLICY, rate=None
    )

    assert scored is not None
    assert scored.score == Decimal("70.00")
    assert scored.reasons[1] == "IBAN differs (FR7630006000011234567890189)"


def test_the_same_vendor_outweighs_a_different_iban() -> None:
    scored = score_debit(
        order(vendor_ids=frozenset({7})),
        line(counterparty_iban="FR7630006000011234567890189", vendor_ids=frozenset({7})),
        policy=POLICY,
        rate=None,
    )

    assert scored is not None
    assert (scored.score, scored.reasons[1]) == (
        Decimal("100.00"),
        "counterparty is the same vendor",
    )


@pytest.mark.parametrize(
    ("value_date", "included"),
    [
        pytest.param(date(2026, 10, 30), True, id="three_days_before_case"),
        pytest.param(date(2026, 10, 29), False, id="four_days_before_case"),
        pytest.param(date(2026, 11, 9), True, id="seven_days_after_case"),
        pytest.param(date(2026, 11, 10), False, id="eight_days_after_case"),
    ],
)
def test_date_window_is_minus_three_plus_seven(value_date: date, included: bool) -> None:
    scored = score_debit(order(), line(value_date=value_date), policy=POLICY, rate=None)

    assert (scored is not None) is included


def test_amount_must_be_exact_in_the_same_currency() -> None:
    assert score_debit(order(), line(amount=Decimal("1250.01")), policy=POLICY, rate=None) is None


def test_foreign_amount_matches_the_local_amount_exactly() -> None:
    agreement = agree_on_amount(
        amount=Decimal("1000.00"),
        currency="USD",
        line=line(amount=Decimal("921.66"), local_amount=Decimal("1000.00"), local_currency="USD"),
        rate=None,
        tolerance_percent=Decimal(2),
    )

    assert agreement == AmountAgreement(
        "local",
        Decimal("1000.00"),
        "USD",
        Decimal("0.9216600000"),
        Decimal(0),
        "amount 1,000.00 USD equal to the local amount (debited 921.66 EUR)",
    )


def test_foreign_amount_converted_within_the_tolerance() -> None:
    agreement = agree_on_amount(
        amount=Decimal("1000.00"),
        currency="USD",
        line=line(amount=Decimal("930.00"), local_amount=None, local_currency="EUR"),
        rate=Decimal("0.92"),
        tolerance_percent=Decimal(2),
    )

    assert agreement is not None
    assert (agreement.basis, agreement.matched_amount, agreement.matched_currency) == (
        "converted",
        Decimal("920.00"),
        "EUR",
    )
    # 10.00 off out of 18.40 allowed.
    assert agreement.distance == Decimal("10.00") / Decimal("18.4000")


def test_foreign_amount_outside_the_tolerance_is_no_candidate() -> None:
    agreement = agree_on_amount(
        amount=Decimal("1000.00"),
        currency="USD",
        line=line(amount=Decimal("940.00"), local_amount=None, local_currency="EUR"),
        rate=Decimal("0.92"),
        tolerance_percent=Decimal(2),
    )

    assert agreement is None


def candidate(transaction_id: int, score: str, distance: int = 0) -> ScoredCandidate:
    agreement = AmountAgreement("source", Decimal(1), "EUR", None, Decimal(0), "")
    return ScoredCandidate(transaction_id, 1, Decimal(score), (), agreement, distance)


def test_rank_is_confident_at_the_threshold_and_clearly_ahead() -> None:
    ranking = rank([candidate(2, "70.00"), candidate(1, "80.00")], POLICY)

    assert ranking.is_confident is True
    assert [c.transaction_id for c in ranking.candidates] == [1, 2]


def test_rank_just_below_the_threshold_is_not_confident() -> None:
    ranking = rank([candidate(1, "79.99")], POLICY)

    assert (ranking.is_confident, ranking.explanation) == (
        False,
        "best score 79.99 % is below the threshold 80 %",
    )


def test_rank_too_close_to_the_runner_up_is_not_confident() -> None:
    ranking = rank([candidate(1, "95.00"), candidate(2, "85.01")], POLICY)

    assert (ranking.is_confident, ranking.explanation) == (
        False,
        "best score 95 % is not clearly ahead of the runner-up (85.01 %)",
    )


def test_ties_break_on_date_distance_then_id() -> None:
    ranking = rank(
        [candidate(3, "90.00", distance=2), candidate(2, "90.00", 1), candidate(1, "90.00", 1)],
        POLICY,
    )

    assert [c.transaction_id for c in ranking.candidates] == [1, 2, 3]


def paid_on(transaction_id: int, score: str, day: date) -> ScoredCandidate:
    return replace(
        candidate(transaction_id, score, distance=(day - date(2026, 11, 2)).days),
        reference_tier="truncated",
        value_date=day,
    )


@pytest.mark.parametrize(
    ("scores", "is_repeat", "confident", "first", "asked"),
    [
        pytest.param(("90.00", "92.00"), True, True, 7, [(7, 8)], id="the_earliest_among_equals"),
        pytest.param(("79.00", "85.00"), True, True, 8, [(8, 7)], id="earliest_at_the_threshold"),
        pytest.param(("90.00", "92.00"), False, False, 8, [(7, 8)], id="a_rival_is_no_repeat"),
        pytest.param(("70.00", "92.00"), True, True, 8, [], id="a_clear_winner_by_score"),
    ],
)
def test_repeats_of_the_payment_do_not_make_the_ranking_ambiguous(
    scores: tuple[str, str],
    is_repeat: bool,
    confident: bool,
    first: int,
    asked: list[tuple[int, int]],
) -> None:
    """Runners-up within the margin that pay the same paperwork again leave the ranking
    confident: without a clear winner by score the earliest at the threshold is the payment
    and the others (asked about against it) its repeats; one that is no repeat (another
    invoice's payment, perhaps) is a rival. Debit 7 is paid on 6 Nov, 8 on 22 Nov."""
    questions: list[tuple[int, int]] = []

    def repeat_test(payment: ScoredCandidate, other: ScoredCandidate) -> bool:
        questions.append((payment.transaction_id, other.transaction_id))
        return is_repeat

    earlier, later = scores
    candidates = [paid_on(8, later, date(2026, 11, 22)), paid_on(7, earlier, date(2026, 11, 6))]

    ranking = rank(candidates, POLICY, repeats=repeat_test)

    assert (ranking.is_confident, ranking.candidates[0].transaction_id) == (confident, first)
    assert questions == asked
    expected = [other for payment, other in asked] if confident else []
    assert [c.transaction_id for c in ranking.repeats] == expected


def receivable(**changes: object) -> ReceivableTarget:
    values: dict[str, object] = {
        "kind": "receivable",
        "id": 5,
        "reference": "INV-2026-0042",
        "amount_due": Decimal("500.00"),
        "currency": "EUR",
        "name": "client",
        "iban": IBAN,
        "issue_date": date(2026, 10, 1),
        "due_date": date(2026, 10, 31),
    }
    values.update(changes)
    return ReceivableTarget(**values)  # type: ignore[arg-type]


def test_credit_with_exact_reference_and_full_amount() -> None:
    scored = score_credit(
        line(amount=Decimal("500.00"), counterparty="client"),
        receivable(),
        tier="exact",
        policy=POLICY,
        rate=None,
    )

    assert scored is not None
    assert scored.score == Decimal("100.00")
    assert scored.reasons == (
        "reference exact (INV-2026-0042)",
        "received 500.00 EUR — what is due",
        "IBAN equal",
    )


def test_partial_credit_with_exact_reference_is_still_confident() -> None:
    scored = score_credit(
        line(amount=Decimal("200.00"), counterparty="someone", counterparty_iban=""),
        receivable(),
        tier="exact",
        policy=POLICY,
        rate=None,
    )

    assert scored is not None
    # 60 reference + 15 partial + 0 counterparty + 5 date.
    assert scored.score == Decimal("80.00")
    assert scored.reasons[1] == "received 200.00 EUR — partial, 300.00 EUR still due"


def test_credit_without_reference_needs_the_amount_due_and_a_counterparty() -> None:
    matched = score_credit(
        line(amount=Decimal("500.00"), reference="", counterparty="client"),
        receivable(),
        tier=None,
        policy=POLICY,
        rate=None,
    )
    other_amount = score_credit(
        line(amount=Decimal("499.00"), reference="", counterparty="client"),
        receivable(),
        tier=None,
        policy=POLICY,
        rate=None,
    )
    stranger = score_credit(
        line(amount=Decimal("500.00"), reference="", counterparty="zeta", counterparty_iban=""),
        receivable(),
        tier=None,
        policy=POLICY,
        rate=None,
    )

    assert matched is not None
    assert matched.score == Decimal("90.00")
    assert (other_amount, stranger) == (None, None)
