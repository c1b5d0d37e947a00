"""Reference normalisation: what people and banks write compares equal when it is the same."""

from __future__ import annotations

import pytest

from reconciliation.text.references import ReferenceIndex
from reconciliation.text.references import compare_references
from reconciliation.text.references import creditor_reference_in
from reconciliation.text.references import is_cut_start
from reconciliation.text.references import is_label
from reconciliation.text.references import is_valid_creditor_reference
from reconciliation.text.references import is_valid_structured_communication
from reconciliation.text.references import normalize_reference
from reconciliation.text.references import parse_reference
from reconciliation.text.references import remittance_reference
from reconciliation.text.references import structured_communication_in


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("INV-2024-0042", "20240042", id="dashes_case"),
        pytest.param("inv 2024/0042", "20240042", id="lower_case_slash_case"),
        pytest.param("INV20240042", "20240042", id="glued_case"),
        pytest.param("  Inv.  2024 . 0042 ", "20240042", id="spaces_and_dots_case"),
        pytest.param("Facture N° 00123", "123", id="french_prefixes_leading_zeros_case"),
        pytest.param("FACT-77", "77", id="fact_case"),
        pytest.param("FAC 0077", "77", id="fac_case"),
        pytest.param("RE 2024-01", "202401", id="re_case"),
        pytest.param("RG-5", "5", id="rg_case"),
        pytest.param("No. 12", "12", id="no_case"),
        pytest.param("Rechnung Nr. 4711", "4711", id="german_case"),
        pytest.param("RENAULT-42", "RENAULT42", id="word_not_a_prefix_case"),
        pytest.param("Société Générale 12", "SOCIETEGENERALE12", id="accents_case"),
        pytest.param("", "", id="empty_case"),
    ],
)
def test_free_references_normalise(text: str, expected: str) -> None:
    assert normalize_reference(text) == expected


def test_tokens_drop_prefixes_and_leading_zeros() -> None:
    parsed = parse_reference("INV-2024-0042")

    assert (parsed.kind, parsed.tokens, parsed.dotted) == ("free", ("2024", "42"), "2024.42")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("RF18 5390 0754 7034", "RF18539007547034", id="grouped_case"),
        pytest.param("rf18539007547034", "RF18539007547034", id="compact_lower_case"),
        pytest.param("Payment RF18 5390 0754 7034 thanks", "RF18539007547034", id="in_text_case"),
        pytest.param("RF712348231", "RF712348231", id="short_body_case"),
    ],
)
def test_creditor_references_are_recognised_with_their_check_digits(
    text: str, expected: str
) -> None:
    parsed = parse_reference(text)

    assert (parsed.kind, parsed.normalized, parsed.check_failed) == ("rf", expected, False)
    assert is_valid_creditor_reference(expected)


def test_creditor_reference_with_wrong_check_digits_is_free_text_and_flagged() -> None:
    parsed = parse_reference("RF18 5390 0754 7035")

    assert (parsed.kind, parsed.normalized, parsed.check_failed) == (
        "free",
        "RF18539007547035",
        True,
    )
    assert creditor_reference_in("RF18 5390 0754 7035") is None
    assert not is_valid_creditor_reference("RF18539007547035")


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("+++010/8068/17183+++", id="plus_case"),
        pytest.param("***010/8068/17183***", id="stars_case"),
        pytest.param("010/8068/17183", id="slashes_only_case"),
        pytest.param("+++ 010 / 8068 / 17183 +++", id="spaced_case"),
        pytest.param("+++010806817183+++", id="wrapped_digits_case"),
        pytest.param("Mededeling +++010/8068/17183+++ factuur", id="in_text_case"),
    ],
)
def test_belgian_structured_communications_are_recognised(text: str) -> None:
    parsed = parse_reference(text)

    assert (parsed.kind, parsed.normalized) == ("structured", "10806817183")
    assert structured_communication_in(text) == ("010806817183", False)
    assert is_valid_structured_communication("010806817183")


def test_structured_communication_with_wrong_mod97_is_flagged() -> None:
    parsed = parse_reference("+++010/8068/17180+++")

    assert parsed.kind == "free"
    assert parsed.check_failed is True
    assert structured_communication_in("+++010/8068/17180+++") == (None, True)
    assert not is_valid_structured_communication("010806817180")


def test_structured_communication_and_its_bare_digits_compare_equal() -> None:
    assert normalize_reference("+++010/8068/17183+++") == normalize_reference("010806817183")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("Payment INV-2024-0042 thanks", "20240042", id="words_around_case"),
        pytest.param("inv 2024 0042", "20240042", id="spaced_digit_groups_case"),
        pytest.param("Facture N° 42 du 12/03/2024", "42", id="number_after_prefix_not_date_case"),
        pytest.param("VIR RF18 5390 0754 7034", "RF18539007547034", id="creditor_case"),
        pytest.param("thanks a lot", "THANKSALOT", id="words_only_case"),
    ],
)
def test_remittance_text_yields_its_reference(text: str, expected: str) -> None:
    assert remittance_reference(text).normalized == expected


def make_index(*references: str) -> ReferenceIndex[str]:
    index: ReferenceIndex[str] = ReferenceIndex()
    for reference in references:
        index.add(reference, reference)
    return index


def found(index: ReferenceIndex[str], text: str) -> list[tuple[str, str]]:
    return sorted((hit.tier, item) for hit, item in index.find(text))


def test_exact_reference_inside_a_remittance_text() -> None:
    index = make_index("INV-2024-0042", "INV-2024-0043")

    assert found(index, "Virement Facture INV-2024-0042 merci") == [("exact", "INV-2024-0042")]
    assert found(index, "inv 2024 42") == [("exact", "INV-2024-0042")]
    assert found(index, "INV20240043") == [("exact", "INV-2024-0043")]


def test_longer_agreement_wins_over_a_shorter_reference() -> None:
    index = make_index("INV-2024-0042", "INV-42")

    assert found(index, "INV-2024-0042") == [("exact", "INV-2024-0042")]
    assert found(index, "inv 42") == [("exact", "INV-42")]


def test_abbreviated_reference_collapses_onto_the_only_candidate() -> None:
    index = make_index("INV-2024-0042", "INV-2024-0142", "INV-2024-0043")

    assert found(index, "inv 42") == [("abbreviated", "INV-2024-0042")]


def test_abbreviated_reference_with_two_candidates_returns_both() -> None:
    index = make_index("INV-2024-0042", "INV-2023-0042")

    assert found(index, "inv 42") == [
        ("abbreviated", "INV-2023-0042"),
        ("abbreviated", "INV-2024-0042"),
    ]


def test_truncated_reference_matches_by_its_start() -> None:
    index = make_index("INV-2024-0042", "INV-2024-0117", "INV-2023-0042")

    assert found(index, "Payment of invoice INV-2024-00") == [("truncated", "INV-2024-0042")]
    assert found(index, "INV-2024-0") == [
        ("truncated", "INV-2024-0042"),
        ("truncated", "INV-2024-0117"),
    ]


def test_too_short_a_truncation_is_not_trusted() -> None:
    index = make_index("INV-2024-0042")

    assert found(index, "INV-20") == []


def test_creditor_and_structured_references_are_found_in_texts() -> None:
    index = make_index("RF18 5390 0754 7034", "+++010/8068/17183+++")

    assert found(index, "rf18539007547034") == [("exact", "RF18 5390 0754 7034")]
    assert found(index, "Mededeling 010806817183") == [("exact", "+++010/8068/17183+++")]


def test_compare_references_gives_the_tier() -> None:
    assert compare_references("INV-2024-0042", "INV 2024 0042") == "exact"
    assert compare_references("INV-2024-0042", "paid inv 42") == "abbreviated"
    assert compare_references("INV-2024-0042", "INV-2024-00") == "truncated"
    assert compare_references("INV-2024-0042", "INV-2024-0043") is None
    assert compare_references("", "INV-2024-0042") is None


def test_find_all_keeps_every_tier_a_cut_reference_may_mean() -> None:
    index = make_index("INV-2026-00013", "INV-2026-01383", "INV-2025-00013")

    assert sorted((hit.tier, item) for hit, item in index.find_all("INV-2026-013")) == [
        ("abbreviated", "INV-2025-00013"),
        ("exact", "INV-2026-00013"),
        ("truncated", "INV-2026-01383"),
    ]
    assert found(index, "INV-2026-013") == [("exact", "INV-2026-00013")]


def test_a_creditor_reference_names_the_reference_it_wraps() -> None:
    index: ReferenceIndex[str] = ReferenceIndex()
    index.add("INV-2026-0044", "noorderlicht")
    index.add("INV-2026-0045", "okapi")
    hits = index.find("RF19INV20260044")
    assert [(hit.tier, item) for hit, item in hits] == [("exact", "noorderlicht")]
    # A wrong check digit is no creditor reference: no exact claim on its payload.
    assert [hit.tier for hit, _ in index.find("RF18INV20260044")] != ["exact"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("/ référence", True, id="french_label"),
        pytest.param("Votre référence :", True, id="your_reference"),
        pytest.param("Verwendungszweck", True, id="german_purpose"),
        pytest.param("", True, id="empty"),
        pytest.param("INV-2026-0311", False, id="a_number"),
        pytest.param("Ref 42", False, id="label_and_number"),
        pytest.param("Loyer octobre", False, id="words_that_say_something"),
    ],
)
def test_a_label_is_told_from_a_reference(text: str, expected: bool) -> None:
    assert is_label(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("Credit note CN-2026-66", [("exact", "CN-2026-66")], id="credit_note_words"),
        pytest.param("Gutschrift 2026-66", [("abbreviated", "CN-2026-66")], id="german_word"),
        pytest.param("Rechnung INV 2026 66", [("exact", "INV-2026-00066")], id="invoice_words"),
        pytest.param("Avoir 66", [("abbreviated", "CN-2026-66")], id="abbreviated_credit_note"),
        pytest.param("2026-66 thanks", [("exact", "INV-2026-00066")], id="no_kind_named"),
    ],
)
def test_a_number_does_not_name_a_document_of_another_kind(
    text: str, expected: list[tuple[str, str]]
) -> None:
    """ "CN-2026-66" and "INV-2026-00066" share their numbers (2026.66); when the remittance
    names a kind (CN, Gutschrift, Avoir / INV, Rechnung), only a reference of that kind (or of
    none) matches. Without a kind word the longest agreement wins, as before."""
    index = make_index("INV-2026-00066", "CN-2026-66")

    assert found(index, text) == expected


def test_a_reference_knows_the_kind_its_leading_word_names() -> None:
    kinds = [
        parse_reference(text).document_kind
        for text in ("INV-2026-00066", "CN-2026-66", "GS-0104", "AV3004", "BT69279", "")
    ]

    assert kinds == ["invoice", "credit_note", "credit_note", "credit_note", "", ""]


@pytest.mark.parametrize(
    ("expected", "given", "cut"),
    [
        pytest.param("BT69279", "BT6", True, id="bank_cut_three_characters"),
        pytest.param("RE 10042", "RE 10", True, id="prefix_and_two_digits"),
        pytest.param("BT69279", "BT7", False, id="another_start"),
        pytest.param("BT69279", "BT69279", False, id="the_whole_number"),
        pytest.param("BT69279", "BT", False, id="no_digit"),
        pytest.param("INV-2026-0042", "", False, id="empty"),
    ],
)
def test_a_reference_cut_to_its_start_is_told_apart(expected: str, given: str, cut: bool) -> None:
    assert is_cut_start(expected, given) is cut


#: References of every kind and shape: prefixes, zeros, short keys, letters, RF, structured.
SHAPES = (
    "INV-2024-0042",
    "inv 2024/0117",
    "INV20240042",
    "RE 63826",
    "BT69279",
    "2024-00042",
    "000/0001/23457",
    "+++010/8068/17183+++",
    "RF18 5390 0754 7034",
    "RF19INV20260044",
    "CN-2026-66",
    "A7",
    "42",
    "N° 0005AB",
    "FA-0-0-12",
    "Kd-Nr 44812",
    "X9Y8Z7W6V5U4",
    "1080681718301",
    "INV 1080681718301",
)


def _texts_naming(reference: str) -> list[str]:
    """What banks make of a reference: as written, without separators, cut at each length,
    its last number alone, in a sentence, and with letters and zeros around it."""
    squeezed = "".join(char for char in reference if char.isalnum())
    last = reference.replace("/", " ").replace("-", " ").split()[-1]
    cuts = [reference[:end] for end in range(1, len(reference))]
    return [
        reference,
        squeezed,
        f"Payment {reference} thanks",
        f"inv {last}",
        f"{last.lstrip('0')}",
        f"Rechnung vom 02.06.20 {reference[:6]}",
        f"Kd-Nr 7 / {squeezed[:4]}",
        f"0{squeezed}",
        f"Réf. {reference} – merci",
        *cuts,
        *(f"Virement {cut}" for cut in cuts),
    ]


def test_the_quick_pre_tests_never_change_an_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    from reconciliation.text import references

    # A structured communication glued to what comes before it starts inside a word.
    glued = ["BE010/8068/17183", "Nr 5010/8068/17183", "X010/8068/17183+++"]
    texts = sorted({text for shape in SHAPES for text in _texts_naming(shape)} | set(glued))
    index = make_index(*SHAPES)

    def answers() -> list[object]:
        for cached in (compare_references, references._single):
            cached.cache_clear()
        return [
            *(sorted((hit.tier, item) for hit, item in index.find_all(text)) for text in texts),
            *(found(index, text) for text in texts),
            *(
                (compare_references(shape, text), is_cut_start(shape, text))
                for shape in SHAPES
                for text in texts
            ),
        ]

    quick = answers()
    monkeypatch.setattr(references.ReferenceIndex, "_may_name", lambda self, text: True)
    monkeypatch.setattr(references, "_may_start", lambda key, text: True)
    slow = answers()

    assert quick == slow
    # Not a vacuous comparison: every tier and a cut start are among the answers.
    tiers = {tier for pair in quick if isinstance(pair, tuple) for tier in pair if tier}
    assert {"exact", "abbreviated", "truncated", True} <= tiers
