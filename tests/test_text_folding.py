"""Folding: comparison keys, offset-keeping search text, reference text."""

from __future__ import annotations

from datetime import date

from reconciliation.extraction.dates import find_dates
from reconciliation.text.folding import fold
from reconciliation.text.folding import fold_keeping_offsets
from reconciliation.text.folding import fold_upper_ascii
from reconciliation.text.references import normalize_reference


def test_fold_gives_comparison_keys() -> None:
    assert [fold("Société Générale"), fold("Straße"), fold("STRASSE")] == [
        "societe generale",
        "strasse",
        "strasse",
    ]


def test_fold_keeping_offsets_keeps_one_character_for_one() -> None:
    text = "Février … Straße ﬁn İ"
    folded = fold_keeping_offsets(text)
    assert (folded, len(folded)) == ("fevrier . straße fn I", len(text))


def test_fold_upper_ascii_gives_reference_text() -> None:
    assert fold_upper_ascii("Facture N° 12-é") == "FACTURE N 12-E"


def test_month_names_are_read_in_a_text_folding_would_lengthen() -> None:
    # "…" and "ﬁ" decompose to several characters; the date reader still finds the month.
    found = find_dates("Facture … ﬁnale du 3 février 2024")
    assert [(d.value, d.text, d.start) for d in found] == [(date(2024, 2, 3), "3 février 2024", 19)]


def test_references_are_compared_as_upper_case_ascii() -> None:
    assert normalize_reference("Fact. n° 2024-0042") == normalize_reference("FACT N 2024-0042")
