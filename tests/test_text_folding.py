"""Folding: comparison keys, offset-keeping search text, reference text."""

from __future__ import annotations

from reconciliation.text.folding import fold, fold_keeping_offsets, fold_upper_ascii


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
