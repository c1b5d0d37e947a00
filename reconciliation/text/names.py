"""Counterparty names and IBANs as the matcher compares them."""

from __future__ import annotations

import re

from rapidfuzz import fuzz

from reconciliation.text.normalize import normalize_name as normalize_company_name

#: Words banks put in front of a counterparty on a statement line.
BANK_LABEL_WORDS = frozenset(
    {"sepa", "vir", "virement", "prlv", "prelevement", "transfer", "to", "from", "cb", "carte"}
)


def normalize_name(name: str | None) -> str:
    """The vendors' canonical company name (legal forms dropped, ASCII, lower case) without
    the words banks prefix to a statement line: "VIR SEPA ACME Supplies GmbH" gives
    ``"acme supplies"``, as "Acme-Supplies" does."""
    normalized = normalize_company_name(name)
    words = normalized.split()
    kept = [word for word in words if word not in BANK_LABEL_WORDS]
    return " ".join(kept or words)


def name_similarity(first: str, second: str) -> float:
    """Similarity in [0, 1] of two *normalised* names: a name contained in the other ("ovh" in
    "ovh cloud") scores 0.9, a one-letter typo in a two-word name about 0.92."""
    if not first or not second:
        return 0.0
    if first == second:
        return 1.0
    return float(fuzz.WRatio(first, second)) / 100.0


def compact_iban(iban: str | None) -> str:
    """Upper case without separators; no check-digit validation (a statement IBAN is the bank's,
    and comparing two compact strings is all the matcher needs)."""
    return re.sub(r"[^A-Z0-9]", "", (iban or "").upper())[:34]
