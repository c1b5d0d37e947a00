"""Company names: their canonical form and how alike two of them are.

Two canonical forms, for two kinds of text:

* :func:`normalize_name` for a company as a document or a person writes it: folded, legal
  forms and fillers dropped ("Müller & Söhne GmbH" gives "muller sohne"). Vendor keys,
  `Vendor.normalized_name` and the review screens use it.
* :func:`normalize_counterparty` for a name as a bank statement line carries it: the same,
  without the words banks put in front ("VIR SEPA ACME Supplies GmbH" gives "acme supplies").
  The matcher compares both sides of a match with it.

Similarities are all in [0, 1]. Two measures, because two questions are asked:

* :func:`name_similarity`: are these the same company? Word order and small typos are
  forgiven, a shorter name inside a longer one is not ("ovh" and "ovh cloud" are 0.5).
* :func:`counterparty_similarity`: is this bank line's counterparty that company? Banks cut
  and pad names, so a name contained in the other scores 0.9.

Pure: no Django, no I/O.
"""

from __future__ import annotations

import re

from rapidfuzz import fuzz

from reconciliation.text.folding import fold


def _word_set(*lines: str) -> frozenset[str]:
    return frozenset(word for line in lines for word in line.split())


#: Legal-form words that say what kind of company it is, not which one. Compared after
#: folding and after dotted abbreviations were joined ("S.A.R.L." -> "sarl", "B.V." -> "bv").
LEGAL_FORMS: frozenset[str] = _word_set(
    "gmbh mbh ag kg kgaa ohg gbr ug ev eg se ek",  # German-speaking
    "sas sasu sarl eurl sa sca snc sci scs scop selarl sprl srl scrl sc",  # French-speaking
    "ltd limited plc llp lp llc inc incorporated corp corporation co company pvt pte pty",
    "bv nv vof cv bvba",  # Dutch, Belgian
    "spa sapa srls sl slu sau sll lda",  # Italian, Spanish, Portuguese
    "ab as asa oy oyj aps kft zrt nyrt sro doo spzoo",  # Nordic, central and eastern Europe
)
#: Words banks put in front of a counterparty on a statement line.
BANK_LABEL_WORDS: frozenset[str] = _word_set(
    "sepa vir virement prlv prelevement transfer to from cb carte"
)
# Tokens that carry no identity ("Müller & Söhne" = "Müller und Söhne").
_FILLER: frozenset[str] = frozenset({"the", "and", "und", "et"})
# Multi-word legal forms written with spaces or dots, rewritten before tokenising.
_SPECIAL_FORMS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\bsp\.?\s*z\.?\s*o\.?\s*o\.?(?=\W|$)"), " spzoo "),
    (re.compile(r"\bs\.?\s*a\.?\s*r\.?\s*l\.?(?=\W|$)"), " sarl "),
    (re.compile(r"\bs\.\s*a\.\s*s\.(?=\W|$)"), " sas "),
    (re.compile(r"\bs\.\s*p\.\s*a\.(?=\W|$)"), " spa "),
    (re.compile(r"\be\.\s*k\.(?=\W|$)"), " ek "),
    (re.compile(r"\bpvt\.?\s*ltd\.?(?=\W|$)"), " pvt ltd "),
)
_DOTTED_ABBREVIATION = re.compile(r"\b(?:[a-z]{1,2}\.){1,4}[a-z]{1,2}\b\.?")
_NON_WORD = re.compile(r"[^a-z0-9]+")
MAX_NAME_LENGTH = 300


def name_tokens(name: str) -> list[str]:
    """The words that identify a company, legal forms and fillers removed, in order.

    When nothing but legal forms is left (a company called "SA"), the folded words are kept
    so two different names never both normalise to nothing.
    """
    text = fold(name).replace("&", " and ").replace("+", " and ")
    for pattern, replacement in _SPECIAL_FORMS:
        text = pattern.sub(replacement, text)
    text = _DOTTED_ABBREVIATION.sub(lambda m: " " + m.group(0).replace(".", "") + " ", text)
    words = [word for word in _NON_WORD.split(text) if word]
    kept = [word for word in words if word not in LEGAL_FORMS and word not in _FILLER]
    return kept or words


def normalize_name(name: str | None) -> str:
    """Canonical company name for exact and fuzzy comparison ("" for no name)."""
    if not name:
        return ""
    return " ".join(name_tokens(name))[:MAX_NAME_LENGTH]


def normalize_counterparty(name: str | None) -> str:
    """:func:`normalize_name` without the words banks prefix to a statement line:
    "VIR SEPA ACME Supplies GmbH" gives "acme supplies", as "Acme-Supplies" does."""
    words = normalize_name(name).split()
    kept = [word for word in words if word not in BANK_LABEL_WORDS]
    return " ".join(kept or words)


def name_similarity(left: str, right: str) -> float:
    """In [0, 1]: how alike two *normalised* company names are, word order and small typos
    forgiven ("acme supplies" / "supplies acme" 1.0, "acme suplies" / "acme supplies" 0.96)."""
    if not left or not right:
        return 0.0
    return float(max(fuzz.ratio(left, right), fuzz.token_sort_ratio(left, right))) / 100.0


def counterparty_similarity(name: str, counterparty: str) -> float:
    """In [0, 1]: how alike a *normalised* company name and a bank line's *normalised*
    counterparty are: a name contained in the other ("ovh" in "ovh cloud") scores 0.9, a
    one-letter typo in a two-word name about 0.92."""
    if not name or not counterparty:
        return 0.0
    if name == counterparty:
        return 1.0
    return float(fuzz.WRatio(name, counterparty)) / 100.0
