from __future__ import annotations

from datetime import date

import pytest

from reconciliation.extraction.dates import find_dates


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "Invoice Date: August 3 , 2014", date(2014, 8, 3), id="english_month_day_case"
        ),
        pytest.param("Date: 3 March 2024", date(2024, 3, 3), id="english_day_month_case"),
        pytest.param("Rechnungsdatum 7. Mai 2014", date(2014, 5, 7), id="german_case"),
        pytest.param("Facture du 02 Juillet 2015", date(2015, 7, 2), id="french_case"),
        pytest.param("le 1er février 2024", date(2024, 2, 1), id="french_first_case"),
        pytest.param("Factuurdatum 5 maart 2023", date(2023, 3, 5), id="dutch_case"),
        pytest.param("Fecha: 8 de marzo de 2024", date(2024, 3, 8), id="spanish_case"),
        pytest.param("Data fattura 3 febbraio 2024", date(2024, 2, 3), id="italian_case"),
        pytest.param("Date: Jan 1, 2022", date(2022, 1, 1), id="abbreviated_case"),
        pytest.param("vom 05.03.2018", date(2018, 3, 5), id="dotted_case"),
        pytest.param("Datum 8-9-2022", date(2022, 9, 8), id="dashed_case"),
        pytest.param("Date de facture 13/11/2017", date(2017, 11, 13), id="slashed_case"),
        pytest.param("Zahlungsziel 21.05.14", date(2014, 5, 21), id="two_digit_year_case"),
        pytest.param("issued at 2020-11-21", date(2020, 11, 21), id="iso_case"),
    ],
)
def test_date_forms(text: str, expected: date) -> None:
    assert [d.value for d in find_dates(text)] == [expected]


def test_slashed_dates_read_month_first_for_us_documents() -> None:
    assert [d.value for d in find_dates("03/05/2024", month_first=True)] == [date(2024, 3, 5)]
    assert [d.value for d in find_dates("03/05/2024")] == [date(2024, 5, 3)]


def test_only_the_valid_reading_is_kept() -> None:
    assert [d.value for d in find_dates("12/31/2020")] == [date(2020, 12, 31)]


def test_slashed_dates_with_both_readings_are_flagged_dotted_ones_are_not() -> None:
    assert [d.ambiguous for d in find_dates("03/05/2024 and 03.05.2024")] == [True, False]


def test_periods_and_times_are_not_dates() -> None:
    assert find_dates("01.05.14-31.05.14") == []
    assert [d.value for d in find_dates("20.03.2018 17:09:28")] == [date(2018, 3, 20)]
