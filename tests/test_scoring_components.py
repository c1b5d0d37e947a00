"""Document confidence: explained components, exact values."""

from __future__ import annotations

import math
from datetime import UTC
from datetime import date
from datetime import datetime
from decimal import Decimal

import pytest

from reconciliation.extraction.types import ExtractedField
from reconciliation.extraction.types import Extraction
from reconciliation.invoices.scoring import Score
from reconciliation.invoices.scoring import score_invoice
from reconciliation.models import Document
from reconciliation.models import Invoice
from reconciliation.models import Vendor
from reconciliation.models import Workspace
from reconciliation.vendors.enrichment import EnrichmentResult
from reconciliation.vendors.enrichment import FieldConflict
from reconciliation.vendors.resolution import VendorResolution
from tests.factories import make_document
from tests.factories import make_invoice

pytestmark = pytest.mark.django_db

RECEIVED = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


def fields(**overrides: tuple[object, float] | None) -> dict[str, ExtractedField]:
    values: dict[str, tuple[object, float] | None] = {
        "supplier_name": ("Acme Supplies GmbH", 1.0),
        "invoice_number": ("A-17", 1.0),
        "issue_date": (date(2026, 3, 5), 1.0),
        "due_date": (date(2026, 4, 4), 1.0),
        "total_amount": (Decimal("119.00"), 1.0),
        "tax_amount": (Decimal("19.00"), 1.0),
        "net_amount": (Decimal("100.00"), 1.0),
        "currency": ("EUR", 1.0),
        "supplier_vat_id": ("DE136695976", 1.0),
    }
    values.update(overrides)
    return {
        name: ExtractedField(name, value, confidence, "text")  # type: ignore[arg-type]
        for name, pair in values.items()
        if pair is not None
        for value, confidence in [pair]
    }


def extraction(read: dict[str, ExtractedField], **options: object) -> Extraction:
    values: dict[str, object] = {
        "kind": "invoice",
        "kind_confidence": 1.0,
        "fields": read,
        "page_count": 1,
        "has_text_layer": True,
        "language": "de",
        "source": "text",
    }
    values.update(options)
    return Extraction(**values)  # type: ignore[arg-type]


def resolution(
    vendor: Vendor | None, matched_by: str = "vat_id", strength: float = 1.0
) -> VendorResolution:
    return VendorResolution(vendor=vendor, matched_by=matched_by, strength=strength, created=False)  # type: ignore[arg-type]


@pytest.fixture
def invoice(workspace: Workspace) -> Invoice:
    document = make_document(workspace)
    Document.objects.filter(pk=document.pk).update(received_at=RECEIVED)
    document.refresh_from_db()
    return make_invoice(workspace, document=document, confidence=None)


@pytest.fixture
def vendor(workspace: Workspace) -> Vendor:
    return Vendor.objects.create(workspace=workspace, name="Acme Supplies GmbH")


def score(
    invoice: Invoice,
    read: dict[str, ExtractedField],
    *,
    found: VendorResolution,
    conflicts: tuple[FieldConflict, ...] = (),
    duplicate: bool = False,
    **options: object,
) -> Score:
    return score_invoice(
        invoice=invoice,
        extraction=extraction(read, **options),
        resolution=found,
        enrichment=EnrichmentResult(fields=read, conflicts=conflicts),
        duplicate_suspected=duplicate,
    )


def test_a_perfect_document_of_a_known_vendor_scores_100(invoice: Invoice, vendor: Vendor) -> None:
    result = score(invoice, fields(), found=resolution(vendor))

    assert result.value == Decimal("100.00")
    assert (result.blocking, result.must_review) == ((), ())
    assert [(c.key, c.factor, c.points) for c in result.components] == [
        ("field:supplier_name", 1.0, 0.0),
        ("field:invoice_number", 1.0, 0.0),
        ("field:issue_date", 1.0, 0.0),
        ("field:total_amount", 1.0, 0.0),
        ("field:currency", 1.0, 0.0),
        ("check:totals", 1.0, 0.0),
        ("check:dates", 1.0, 0.0),
        ("check:vat_id", 1.0, 0.0),
        ("check:currency", 1.0, 0.0),
        ("vendor", 1.0, 0.0),
        ("kind", 1.0, 0.0),
    ]
    invoice.refresh_from_db()
    assert invoice.confidence == Decimal("100.00")
    assert invoice.confidence_components["score"] == "100.00"
    assert invoice.confidence_components["components"][2] == {
        "key": "field:issue_date",
        "label": "Issue date",
        "value": 1.0,
        "factor": 1.0,
        "points": 0.0,
        "detail": "100 %, read from the text",
    }


def test_required_fields_count_by_their_geometric_mean(invoice: Invoice, vendor: Vendor) -> None:
    read = fields(invoice_number=("A-17", 0.81), currency=("EUR", 0.64))

    result = score(invoice, read, found=resolution(vendor))

    expected = 100 * math.exp((math.log(0.81) + math.log(0.64)) / 5)
    assert result.value == Decimal(str(expected)).quantize(Decimal("0.01"), rounding="ROUND_DOWN")
    assert result.value == Decimal("87.68")
    by_key = {c.key: c for c in result.components}
    assert by_key["field:currency"].factor == pytest.approx(0.64**0.2)
    assert by_key["field:currency"].points + by_key["field:invoice_number"].points == pytest.approx(
        100 - 87.68, abs=0.02
    )
    assert result.weakest(1)[0].key == "field:currency"


def test_a_missing_required_field_blocks_approval(invoice: Invoice, vendor: Vendor) -> None:
    result = score(invoice, fields(total_amount=None), found=resolution(vendor))

    assert result.value == Decimal("81.51")  # 0.36 ** (1/5)
    assert result.blocking == ("Total not found.",)


@pytest.mark.parametrize(
    ("overrides", "key", "factor", "detail"),
    [
        pytest.param(
            {"net_amount": (Decimal("90.00"), 1.0)},
            "check:totals",
            0.7,
            "90.00 + 19.00 ≠ 119.00",
            id="totals_case",
        ),
        pytest.param(
            {"net_amount": (Decimal("1052.00"), 1.0), "tax_amount": (Decimal("231.44"), 1.0)},
            "check:totals",
            0.7,
            "1,052.00 + 231.44 ≠ 119.00",  # separators, as the rest of the screens
            id="totals_thousands_case",
        ),
        pytest.param(
            {"issue_date": (date(2026, 6, 1), 1.0), "due_date": None},
            "check:dates",
            0.75,
            "issued in the future (2026-06-01)",
            id="future_case",
        ),
        pytest.param(
            {"due_date": (date(2026, 1, 1), 1.0)},
            "check:dates",
            0.8,
            "due 2026-01-01 before issue 2026-03-05",
            id="due_before_issue_case",
        ),
        pytest.param(
            {"issue_date": (date(2023, 1, 5), 1.0), "due_date": None},
            "check:dates",
            0.9,
            "issued more than two years ago (2023-01-05)",
            id="old_case",
        ),
        pytest.param(
            {"supplier_vat_id": ("DE123456789", 1.0)},
            "check:vat_id",
            0.9,
            "DE123456789 fails the format or check digits",
            id="vat_case",
        ),
        pytest.param(
            {"currency": ("XYZ", 1.0)},
            "check:currency",
            0.5,
            "XYZ is not ISO 4217",
            id="currency_case",
        ),
    ],
)
def test_failed_checks_lower_the_score_with_their_reason(
    invoice: Invoice,
    vendor: Vendor,
    overrides: dict[str, tuple[object, float] | None],
    key: str,
    factor: float,
    detail: str,
) -> None:
    result = score(invoice, fields(**overrides), found=resolution(vendor))

    component = next(c for c in result.components if c.key == key)
    assert (component.factor, component.detail) == (factor, detail)
    assert result.value == Decimal(str(round(100 * factor, 2))).quantize(Decimal("0.01"))
    assert component.points == pytest.approx(100 - 100 * factor)


def test_vendor_strength_conflicts_and_duplicates_are_factors(
    invoice: Invoice, vendor: Vendor
) -> None:
    conflict = FieldConflict("supplier_iban", "GB82", "DE89", "IBAN differs")
    found = VendorResolution(
        vendor=vendor,
        matched_by="name",
        strength=0.8,
        created=False,
        name_similarity=1.0,
        conflicts=("The IBAN X belongs to another vendor, “Nuage Hébergement SAS”.",),
    )

    result = score(invoice, fields(), found=found, conflicts=(conflict,), duplicate=True)

    by_key = {c.key: c for c in result.components}
    assert by_key["vendor"].factor == pytest.approx(0.85 + 0.15 * 0.8)
    assert by_key["vendor"].detail == "“Acme Supplies GmbH” found by its name (100 % alike)"
    assert by_key["conflict:vendor"].factor == 0.85
    assert by_key["conflict:supplier_iban"].detail == "IBAN differs"
    assert by_key["duplicate"].factor == 0.6
    assert result.value == Decimal("42.04")  # 100 × 0.97 × 0.85 × 0.85 × 0.6


def test_a_new_vendor_costs_less_than_no_vendor(invoice: Invoice, vendor: Vendor) -> None:
    new = score(invoice, fields(), found=resolution(vendor, "new", 0.3))
    nobody = score(invoice, fields(), found=resolution(None, "none", 0.0))

    assert (new.value, nobody.value) == (Decimal("89.50"), Decimal("85.00"))


def test_a_scan_must_be_reviewed(invoice: Invoice) -> None:
    result = score(
        invoice,
        {},
        found=resolution(None, "none", 0.0),
        has_text_layer=False,
        kind="other",
        kind_confidence=0.1,
        source="none",
    )

    assert result.must_review == ("No text layer: the document is a scan and needs a person.",)
    assert "No text layer." in result.blocking
    assert result.value == Decimal("17.20")  # 0.36 × 0.1 ** 0.25 × 0.85


def test_stored_score_is_read_back_for_rerouting(invoice: Invoice, vendor: Vendor) -> None:
    result = score(invoice, fields(currency=None), found=resolution(vendor))
    invoice.refresh_from_db()

    again = Score.from_invoice(invoice)

    assert (again.value, again.blocking, again.must_review) == (
        result.value,
        result.blocking,
        result.must_review,
    )
    assert [c.to_json() for c in again.components] == [c.to_json() for c in result.components]


def test_a_doubtful_field_costs_no_more_than_a_missing_one(
    invoice: Invoice, vendor: Vendor
) -> None:
    doubtful = score(invoice, fields(issue_date=(date(2026, 3, 5), 0.17)), found=resolution(vendor))
    missing = score(invoice, fields(issue_date=None, due_date=None), found=resolution(vendor))

    assert doubtful.value == missing.value == Decimal("81.51")
    assert doubtful.blocking == ()
    assert missing.blocking == ("Issue date not found.",)
    issue = next(c for c in doubtful.components if c.key == "field:issue_date")
    assert (issue.value, issue.detail) == (0.17, "17 %, read from the text")
