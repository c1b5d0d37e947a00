"""Invoice fields read through the labels of each language, on every layout the generator
draws (the demo's five and the four unseen ones)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from connectors.sandbox.documents import LAYOUTS
from connectors.sandbox.documents.model import UNSEEN_LAYOUTS
from reconciliation.extraction.types import INVOICE_FIELDS
from reconciliation.extraction.types import Extraction
from tests.documents import LANGUAGES
from tests.documents import SELLERS
from tests.documents import invoice_spec
from tests.documents import read_invoice
from tests.documents import truth_values


def values(extraction: Extraction) -> dict[str, object]:
    return {name: extraction.value(name) for name in INVOICE_FIELDS}


@pytest.mark.parametrize("layout", LAYOUTS + UNSEEN_LAYOUTS)
@pytest.mark.parametrize("language", LANGUAGES)
def test_all_fields_per_language_and_layout(tmp_path: Path, language: str, layout: str) -> None:
    extraction, document = read_invoice(tmp_path, invoice_spec(language, layout))
    assert values(extraction) == truth_values(document)
    assert extraction.kind == "invoice"
    assert extraction.language == language
    assert extraction.source == "text"


@pytest.mark.parametrize("language", LANGUAGES)
def test_month_names_per_language(tmp_path: Path, language: str) -> None:
    extraction, _ = read_invoice(tmp_path, invoice_spec(language, date_style="long"))
    assert (extraction.value("issue_date"), extraction.value("due_date")) == (
        date(2024, 3, 14),
        date(2024, 4, 13),
    )


def test_the_buyer_vat_id_is_not_the_supplier_one(tmp_path: Path) -> None:
    seller = replace(SELLERS["fr"], vat_id=None)
    extraction, _ = read_invoice(tmp_path, invoice_spec("fr", supplier=seller))
    assert extraction.value("supplier_vat_id") is None


def test_the_buyer_name_is_not_the_supplier(tmp_path: Path) -> None:
    extraction, _ = read_invoice(tmp_path, invoice_spec("de", "din_letter"))
    assert extraction.value("supplier_name") == "Müller Haustechnik GmbH"
    assert extraction.fields["supplier_name"].evidence is not None
    assert extraction.fields["supplier_name"].evidence.page == 1


def test_every_field_has_evidence_on_the_page(tmp_path: Path) -> None:
    extraction, _ = read_invoice(tmp_path, invoice_spec("en"))
    number = extraction.fields["invoice_number"]
    assert number.evidence is not None
    assert number.evidence.page == 1
    assert number.evidence.bbox is not None
    x0, top, x1, bottom = number.evidence.bbox
    words = [
        w.text
        for w in extraction.words
        if w.x0 >= x0 - 0.1 and w.x1 <= x1 + 0.1 and w.top >= top - 0.1 and w.bottom <= bottom + 0.1
    ]
    assert words == ["INV-2024-0042"]
    assert all(
        f.evidence is not None and f.evidence.bbox is not None for f in extraction.fields.values()
    )
