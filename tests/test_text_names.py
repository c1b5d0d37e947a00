"""Company names: one canonical form per kind of text, similarities all in [0, 1]."""

from __future__ import annotations

from reconciliation.text.names import counterparty_similarity
from reconciliation.text.names import name_similarity
from reconciliation.text.names import normalize_counterparty
from reconciliation.text.names import normalize_name


def test_a_company_name_loses_its_legal_form_accents_and_fillers() -> None:
    assert [
        normalize_name("Müller & Söhne GmbH"),
        normalize_name("ACME S.A.R.L."),
        normalize_name("Société Générale SA"),
        normalize_name("SA"),
        normalize_name(None),
    ] == ["muller sohne", "acme", "societe generale", "sa", ""]


def test_a_company_name_keeps_words_banks_put_on_statement_lines() -> None:
    assert normalize_name("Transfer Solutions BV") == "transfer solutions"


def test_a_counterparty_loses_the_words_banks_prefix() -> None:
    assert [
        normalize_counterparty("VIR SEPA ACME Supplies GmbH"),
        normalize_counterparty("Acme-Supplies"),
        normalize_counterparty("SEPA"),
    ] == ["acme supplies", "acme supplies", "sepa"]


def test_name_similarity_is_a_fraction_forgiving_word_order_and_typos() -> None:
    assert [
        name_similarity("acme supplies", "supplies acme"),
        name_similarity("acme suplies", "acme supplies"),
        name_similarity("ovh", "ovh cloud"),
        name_similarity("", "acme"),
    ] == [1.0, 0.96, 0.5, 0.0]


def test_counterparty_similarity_is_a_fraction_forgiving_a_cut_name() -> None:
    assert [
        counterparty_similarity("ovh", "ovh cloud"),
        counterparty_similarity("acme", "acme"),
        counterparty_similarity("acme", ""),
    ] == [0.9, 1.0, 0.0]
