from __future__ import annotations

from decimal import Decimal

import pytest

from reconciliation.extraction.amounts import find_amounts
from reconciliation.extraction.amounts import guess_decimal_mark
from reconciliation.extraction.amounts import parse_number


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("1.234,56", Decimal("1234.56"), id="german_case"),
        pytest.param("1,234.56", Decimal("1234.56"), id="english_case"),
        pytest.param("1'234.56", Decimal("1234.56"), id="swiss_case"),
        pytest.param("1 234,56", Decimal("1234.56"), id="french_case"),
        pytest.param("1.234.567,89", Decimal("1234567.89"), id="millions_case"),
        pytest.param("1,23,456.78", Decimal("123456.78"), id="indian_case"),
        pytest.param("-8,79", Decimal("-8.79"), id="leading_minus_case"),
        pytest.param("8,79-", Decimal("-8.79"), id="trailing_minus_case"),
        pytest.param("529,87", Decimal("529.87"), id="decimal_comma_case"),
        pytest.param("4.11", Decimal("4.11"), id="decimal_dot_case"),
    ],
)
def test_number_formats(text: str, expected: Decimal) -> None:
    parsed = parse_number(text)
    assert parsed is not None
    assert parsed[0] == expected


def test_three_digits_after_one_separator_follow_the_document_mark() -> None:
    assert parse_number("1.234", ",") == (Decimal("1234"), False, True)
    assert parse_number("1.234", ".") == (Decimal("1.234"), True, True)
    assert parse_number("1.234") == (Decimal("1234"), False, True)


def test_amounts_in_a_line_skip_dates_percentages_and_identifiers() -> None:
    text = "RE-20140703/502 vom 05.03.2018: 19 % USt 37,62 EUR, Summe 235,62"
    assert [a.value for a in find_amounts(text, ",")] == [Decimal("37.62"), Decimal("235.62")]


def test_currency_code_glued_to_the_amount() -> None:
    assert [a.value for a in find_amounts("Total EUR34,73", ",")] == [Decimal("34.73")]


def test_space_grouping_is_offered_both_ways() -> None:
    found = [(a.value, a.spaced) for a in find_amounts("Total 1 278.61", ".")]
    assert found == [
        (Decimal("1278.61"), True),
        (Decimal("1"), False),
        (Decimal("278.61"), False),
    ]


def test_two_amounts_printed_without_a_gap_are_split() -> None:
    values = [a.value for a in find_amounts("Steuerbetrag 163,16183,14", ",")]
    assert values == [Decimal("163.16"), Decimal("183.14")]


def test_unit_prices_with_four_decimals_are_not_money() -> None:
    assert [a.is_money for a in find_amounts("9,9000 198,00", ",")] == [False, True]


def test_decimal_mark_comes_from_the_amounts_with_two_decimals() -> None:
    assert guess_decimal_mark(["Summe 1.234,56", "USt 19,00", "Total 3.5"]) == ","
    assert guess_decimal_mark(["Total $1,234.56", "Tax 0.00"]) == "."
    assert guess_decimal_mark(["no amounts here"]) is None
