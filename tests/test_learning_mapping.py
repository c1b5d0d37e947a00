"""The learned per-vendor mapping, on small PDFs of one layout whose values move."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from fpdf import FPDF

from reconciliation.extraction.engine import extract_document
from reconciliation.extraction.types import Evidence
from reconciliation.extraction.types import ExtractedField
from reconciliation.extraction.types import Extraction
from reconciliation.learning import LearnedField
from reconciliation.learning import apply_learned_mapping
from reconciliation.learning import combine_with_learned
from reconciliation.learning import learn_from_correction
from reconciliation.learning import learned_confidence
from reconciliation.models import Vendor
from reconciliation.models import VendorStatus
from reconciliation.models import Workspace

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Layout:
    """One vendor's invoice: fixed labels, values that change, a block offset in mm."""

    number: str
    issued: str
    total: str
    dx: float = 0.0
    dy: float = 0.0


def render(path: Path, layout: Layout) -> Extraction:
    pdf = FPDF(unit="mm", format="A4")
    pdf.add_page()
    pdf.set_font("helvetica", size=14)
    pdf.text(20, 20, "Nordlicht Papier GmbH")
    pdf.set_font("helvetica", size=10)
    pdf.text(20, 26, "Hafenstrasse 4, 20457 Hamburg")
    x, y = 120 + layout.dx, 40 + layout.dy
    pdf.text(x, y, "Order date:")
    pdf.text(x + 30, y, "01.02.2024")
    pdf.text(x, y + 7, "Rechnungsnummer:")
    pdf.text(x + 34, y + 7, layout.number)
    pdf.text(x, y + 14, "Date:")
    pdf.text(x + 30, y + 14, layout.issued)
    pdf.text(20, 90, "Beratung Projekt Nordlicht")
    pdf.text(150, 90, "100,00 EUR")
    pdf.text(120 + layout.dx, 150 + layout.dy, "Zu zahlen:")
    pdf.text(160 + layout.dx, 150 + layout.dy, layout.total)
    pdf.text(180 + layout.dx, 150 + layout.dy, "EUR")
    pdf.output(str(path))
    return extract_document(path, use_xml=False)


FIRST = Layout(number="NP-2024-0012", issued="05.03.2024", total="1.234,56")
MOVED = Layout(number="NP-2024-0157", issued="17.04.2024", total="98,70", dx=-12.0, dy=18.0)


@pytest.fixture
def documents(tmp_path: Path) -> tuple[Extraction, Extraction]:
    return render(tmp_path / "first.pdf", FIRST), render(tmp_path / "moved.pdf", MOVED)


@pytest.fixture
def vendor(workspace: Workspace) -> Vendor:
    return Vendor.objects.create(
        workspace=workspace, name="Nordlicht Papier GmbH", status=VendorStatus.ACTIVE
    )


def correct(vendor: Vendor, document: Extraction, name: str, value: str) -> LearnedField | None:
    """A reviewer's correction of field ``name`` to ``value`` on ``document``."""
    return learn_from_correction(
        vendor=vendor,
        document_words=document.words,
        page_sizes=document.page_sizes,
        field=name,
        corrected_value=value,
    )


def teach(vendor: Vendor, document: Extraction, values: dict[str, str]) -> None:
    for name, value in values.items():
        assert correct(vendor, document, name, value) is not None, name


def test_mapping_learned_on_one_document_reads_the_next_with_values_moved(
    vendor: Vendor, documents: tuple[Extraction, Extraction]
) -> None:
    first, moved = documents
    teach(
        vendor,
        first,
        {
            "invoice_number": "NP-2024-0012",
            "issue_date": "2024-03-05",
            "total_amount": "1234.56",
            "supplier_name": "Nordlicht Papier GmbH",
            "currency": "EUR",
        },
    )

    found = apply_learned_mapping(vendor=vendor, words=moved.words, page_sizes=moved.page_sizes)

    assert {name: f.value for name, f in found.items()} == {
        "currency": "EUR",
        "invoice_number": "NP-2024-0157",
        "issue_date": date(2024, 4, 17),
        "supplier_name": "Nordlicht Papier GmbH",
        "total_amount": Decimal("98.70"),
    }
    assert {f.source for f in found.values()} == {"learned"}
    assert found["invoice_number"].confidence == pytest.approx(0.85 + 0.12 * 0.5)
    evidence = found["issue_date"].evidence
    assert evidence is not None
    assert (evidence.page, evidence.text) == (1, "17.04.2024")
    assert evidence.bbox is not None
    assert evidence.bbox[0] == pytest.approx((120 - 12 + 30) * 72 / 25.4, abs=1.0)


def test_what_is_stored_is_the_label_position_and_format(
    vendor: Vendor, documents: tuple[Extraction, Extraction]
) -> None:
    first, _ = documents
    teach(vendor, first, {"invoice_number": "NP-2024-0012", "issue_date": "2024-03-05"})

    vendor.refresh_from_db()
    number = vendor.learned_mapping["invoice_number"]
    issued = vendor.learned_mapping["issue_date"]
    assert (number["relation"], number["label"], number["words"], number["shape"]) == (
        "right",
        "rechnungsnummer",
        1,
        "A-9-9",
    )
    assert (issued["relation"], issued["label"], issued["example"]) == (
        "right",
        "date",
        "05.03.2024",
    )
    assert "month_first" not in issued  # a dotted date is read day first, never ambiguous
    assert number["samples"] == 1


def test_tried_and_hit_counts_are_kept_per_field(
    vendor: Vendor, documents: tuple[Extraction, Extraction], tmp_path: Path
) -> None:
    first, moved = documents
    teach(vendor, first, {"invoice_number": "NP-2024-0012", "total_amount": "1234.56"})
    other_layout = render(tmp_path / "other.pdf", Layout("X", "", "12,00"))

    apply_learned_mapping(vendor=vendor, words=moved.words, page_sizes=moved.page_sizes)
    apply_learned_mapping(
        vendor=vendor, words=other_layout.words, page_sizes=other_layout.page_sizes
    )

    vendor.refresh_from_db()
    assert vendor.mapping_stats == {
        "invoice_number": {"tried": 2, "hits": 1},
        "total_amount": {"tried": 2, "hits": 2},
    }


def test_a_value_that_is_not_printed_teaches_nothing(
    vendor: Vendor, documents: tuple[Extraction, Extraction]
) -> None:
    first, _ = documents

    learned = correct(vendor, first, "invoice_number", "NOT-ON-THE-PAGE")

    assert learned is None
    vendor.refresh_from_db()
    assert vendor.learned_mapping == {}


def test_an_unlabelled_amount_is_not_learned_by_its_position(
    vendor: Vendor, documents: tuple[Extraction, Extraction]
) -> None:
    first, _ = documents

    learned = correct(vendor, first, "total_amount", "100.00")

    assert learned is not None
    assert (learned.rule["relation"], learned.rule["label"]) == (
        "right",
        "beratung projekt nordlicht",
    )


def field(name: str, value: object, confidence: float, source: str = "text") -> ExtractedField:
    return ExtractedField(name, value, confidence, source, Evidence(1, None, str(value)))  # type: ignore[arg-type]


def test_agreement_raises_confidence_and_disagreement_lowers_it() -> None:
    extracted = {
        "invoice_number": field("invoice_number", "NP-2024-0157", 0.9),
        "issue_date": field("issue_date", date(2024, 4, 17), 0.8),
        "total_amount": field("total_amount", Decimal("98.70"), 0.97, "xml"),
    }
    learned = {
        "invoice_number": field("invoice_number", "np-2024-0157", 0.91, "learned"),
        "issue_date": field("issue_date", date(2024, 4, 1), 0.91, "learned"),
        "total_amount": field("total_amount", Decimal("1.00"), 0.91, "learned"),
        "currency": field("currency", "EUR", 0.91, "learned"),
    }

    combined = combine_with_learned(extracted=extracted, learned=learned)

    number = combined.fields["invoice_number"]
    assert (number.value, number.source) == ("NP-2024-0157", "learned")
    assert number.confidence == pytest.approx(1 - 0.1 * 0.09 * 2)
    issued = combined.fields["issue_date"]
    assert issued.value == date(2024, 4, 1)
    assert issued.confidence == pytest.approx(0.91 * 0.6)
    assert combined.fields["total_amount"] == extracted["total_amount"]
    assert combined.fields["currency"] == learned["currency"]
    assert (combined.agreed, combined.disagreed, combined.learned_only) == (
        ("invoice_number",),
        ("issue_date",),
        ("currency",),
    )


def test_learned_confidence_grows_as_reviewers_confirm() -> None:
    assert [
        learned_confidence({}),
        learned_confidence({"confirmed": 3}),
        learned_confidence({"confirmed": 3, "corrected": 3}),
    ] == [0.91, 0.946, 0.91]
