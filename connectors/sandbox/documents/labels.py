"""Printed wording of every document in the six demo languages, kept as data in ``labels.json``
next to this module: per language, each label by its key, in the same order in every language.
The invoice labels come first, then those of payment confirmations (from ``pc_title``), of
remittance notices (from ``rn_title``), and last the party headings, other dates and bank
headings printed by the unseen layouts only (from ``ship_to``)."""

from __future__ import annotations

import json
from pathlib import Path

LABELS: dict[str, dict[str, str]] = json.loads(
    Path(__file__).with_name("labels.json").read_text("utf-8")
)


def labels_for(language: str) -> dict[str, str]:
    return LABELS[language]
