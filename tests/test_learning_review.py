"""A reviewer's corrections: stored on the invoice, audited, learned, counted toward training."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from fpdf import FPDF

from reconciliation.extraction.engine import extract_document
from reconciliation.extraction.types import Extraction
from reconciliation.learning import CorrectionError
from reconciliation.learning import apply_learned_mapping
from reconciliation.learning import record_review
from reconciliation.models import Decision
from reconciliation.models import DecisionAction
from reconciliation.models import IllegalTransitionError
from reconciliation.models import Invoice
from reconciliation.models import InvoiceStatus
from reconciliation.models import Vendor
from reconciliation.models import VendorStatus
from reconciliation.models import Workspace
from reconciliation.models.vendor import VendorKey
from reconciliation.models.vendor import VendorReview
from reconciliation.vendors.keys import index_vendor
from tests.factories import make_document
from tests.factories import make_invoice
from tests.factories import make_user

pytestmark = pytest.mark.django_db

IBAN = "DE89370400440532013000"


def render(path: Path, number: str, total: str, shift: float = 0.0) -> Extraction:
    pdf = FPDF(unit="mm", format="A4")
    pdf.add_page()
    pdf.set_font("helvetica", size=14)
    pdf.text(20, 20, "Nordlicht Papier GmbH")
    pdf.set_font("helvetica", size=10)
    pdf.text(20, 26, f"IBAN {IBAN}")
    pdf.text(120, 40 + shift, "Invoice no.")
    pdf.text(150, 40 + shift, number)
    pdf.text(120, 47 + shift, "Invoice date:")
    pdf.text(150, 47 + shift, "05/03/2024")
    pdf.text(120, 150 + shift, "Amount due:")
    pdf.text(160, 150 + shift, total)
    pdf.output(str(path))
    return extract_document(path, use_xml=False)


def invoice_for(workspace: Workspace, vendor: Vendor, extraction: Extraction) -> Invoice:
    data = extraction.to_json()
    words = data.pop("words")
    document = make_document(workspace, extraction=data, words=words)
    fields = {
        "invoice_number": {"value": "WRONG-1", "confidence": 0.6, "source": "text"},
        "issue_date": {
            "value": "2024-03-05",
            "confidence": 0.9,
            "source": "text",
            "evidence": {"page": 1, "bbox": [424.0, 125.0, 480.0, 135.0], "text": "05/03/2024"},
        },
        "supplier_iban": {"value": IBAN, "confidence": 0.95, "source": "text"},
        "currency": {"value": "EUR", "confidence": 0.7, "source": "learned"},
    }
    return make_invoice(
        workspace,
        document=document,
        vendor=vendor,
        number="WRONG-1",
        supplier_iban=IBAN,
        total_amount=Decimal("10.00"),
        fields=fields,
    )


@pytest.fixture
def vendor(workspace: Workspace) -> Vendor:
    created = Vendor.objects.create(workspace=workspace, name="Nordlicht Papier GmbH")
    index_vendor(vendor=created)
    return created


def test_corrections_are_stored_audited_and_learned(
    workspace: Workspace, vendor: Vendor, tmp_path: Path
) -> None:
    reviewer = make_user("rita", workspace=workspace)
    first = render(tmp_path / "a.pdf", "NP-0042", "1.234,56")
    invoice = invoice_for(workspace, vendor, first)

    result = record_review(
        invoice=invoice,
        user=reviewer,
        corrections={"invoice_number": "NP-0042", "total_amount": "1234.56", "currency": "EUR"},
        approve=False,
    )

    assert (result.corrected, result.learned, result.counted) == (
        ("invoice_number", "total_amount"),
        ("invoice_number", "total_amount"),
        False,
    )
    invoice.refresh_from_db()
    assert (invoice.number, invoice.total_amount, invoice.status) == (
        "NP-0042",
        Decimal("1234.56"),
        InvoiceStatus.NEEDS_REVIEW,
    )
    entry = invoice.fields["invoice_number"]
    assert (entry["value"], entry["confidence"], entry["source"], entry["origin"]) == (
        "NP-0042",
        1.0,
        "reviewer",
        "Corrected by rita.",
    )
    assert entry["evidence"]["text"] == "NP-0042"
    edit = Decision.objects.get(action=DecisionAction.EDIT)
    assert (edit.actor, edit.invoice, edit.vendor) == (reviewer, invoice, vendor)
    assert (edit.before, edit.after) == (
        {"invoice_number": "WRONG-1", "total_amount": "10.000"},
        {"invoice_number": "NP-0042", "total_amount": "1234.56"},
    )
    vendor.refresh_from_db()
    assert sorted(vendor.learned_mapping) == ["invoice_number", "total_amount"]
    assert vendor.documents_reviewed == 0

    second = render(tmp_path / "b.pdf", "NP-0077", "99,00", shift=12.0)
    found = apply_learned_mapping(vendor=vendor, words=second.words, page_sizes=second.page_sizes)
    assert {k: v.value for k, v in found.items()} == {
        "invoice_number": "NP-0077",
        "total_amount": Decimal("99.00"),
    }


def test_approval_counts_once_activates_the_vendor_and_learns_confirmed_fields(
    workspace: Workspace, vendor: Vendor, tmp_path: Path
) -> None:
    reviewer = make_user("rita", workspace=workspace)
    invoice = invoice_for(workspace, vendor, render(tmp_path / "a.pdf", "NP-0042", "12,00"))

    result = record_review(
        invoice=invoice, user=reviewer, corrections={"invoice_number": "NP-0042"}, approve=True
    )

    assert result.counted is True
    assert result.documents_reviewed == 1
    assert result.confirmed == ("supplier_iban", "issue_date", "currency")
    assert result.learned == ("invoice_number", "issue_date", "supplier_iban")
    assert result.vendor_updates == {"status": "active", "ibans": [IBAN]}
    invoice.refresh_from_db()
    assert (invoice.status, invoice.decided_by) == (InvoiceStatus.APPROVED, reviewer)
    vendor.refresh_from_db()
    assert (vendor.status, vendor.ibans, vendor.training_progress) == (
        VendorStatus.ACTIVE,
        [IBAN],
        "1/10",
    )
    assert vendor.mapping_stats == {"currency": {"confirmed": 1}}
    assert vendor.learned_mapping["issue_date"]["month_first"] is False
    review = VendorReview.objects.get(invoice=invoice)
    assert (review.vendor, review.reviewer, review.corrected_fields) == (
        vendor,
        reviewer,
        ["invoice_number"],
    )
    assert list(
        Decision.objects.filter(invoice=invoice).order_by("pk").values_list("action", flat=True)
    ) == [DecisionAction.EDIT, DecisionAction.APPROVE]

    invoice.reopen(reviewer, "second look")
    invoice.save()
    again = record_review(invoice=invoice, user=reviewer, corrections={}, approve=True)

    assert (again.counted, again.documents_reviewed) == (False, 1)


def test_a_correction_of_a_learned_value_is_counted_against_the_mapping(
    workspace: Workspace, vendor: Vendor, tmp_path: Path
) -> None:
    invoice = invoice_for(workspace, vendor, render(tmp_path / "a.pdf", "NP-0042", "12,00"))

    record_review(invoice=invoice, user=None, corrections={"currency": "USD"}, approve=False)

    vendor.refresh_from_db()
    assert vendor.mapping_stats == {"currency": {"corrected": 1}}
    invoice.refresh_from_db()
    assert invoice.currency == "USD"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        pytest.param("issue_date", "05/03/2024", id="date_not_iso_case"),
        pytest.param("total_amount", "twelve", id="amount_case"),
        pytest.param("currency", "EURO", id="currency_case"),
        pytest.param("colour", "blue", id="unknown_field_case"),
    ],
)
def test_values_that_do_not_fit_their_field_are_refused(
    workspace: Workspace, vendor: Vendor, tmp_path: Path, field: str, value: str
) -> None:
    invoice = invoice_for(workspace, vendor, render(tmp_path / "a.pdf", "NP-0042", "12,00"))

    with pytest.raises(CorrectionError):
        record_review(invoice=invoice, user=None, corrections={field: value}, approve=True)

    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.NEEDS_REVIEW
    assert Decision.objects.count() == 0


def test_a_held_invoice_cannot_be_approved_and_nothing_is_kept(
    workspace: Workspace, vendor: Vendor, tmp_path: Path
) -> None:
    invoice = invoice_for(workspace, vendor, render(tmp_path / "a.pdf", "NP-0042", "12,00"))
    invoice.hold("possible double charge")
    invoice.save()

    with pytest.raises(IllegalTransitionError):
        record_review(
            invoice=invoice, user=None, corrections={"invoice_number": "NP-0042"}, approve=True
        )

    invoice.refresh_from_db()
    vendor.refresh_from_db()
    assert (invoice.number, vendor.documents_reviewed, vendor.learned_mapping) == ("WRONG-1", 0, {})
    assert Decision.objects.count() == 0
    assert invoice.issue_date == date(2026, 11, 2)


def test_a_vendor_identity_taken_from_a_misread_is_corrected_with_it(
    workspace: Workspace, tmp_path: Path
) -> None:
    buyer_vat, seller_vat = "FR40303265045", "DE136695976"
    misread = Vendor.objects.create(
        workspace=workspace, name="Rechnung", vat_id=buyer_vat, ibans=["GB82WEST12345698765432"]
    )
    index_vendor(vendor=misread)
    invoice = invoice_for(workspace, misread, render(tmp_path / "a.pdf", "NP-0042", "12,00"))
    invoice.fields = {
        **invoice.fields,
        "supplier_name": {"value": "Rechnung", "confidence": 0.4, "source": "text"},
        "supplier_vat_id": {"value": buyer_vat, "confidence": 0.7, "source": "text"},
        "supplier_iban": {"value": "GB82WEST12345698765432", "confidence": 0.7, "source": "text"},
    }
    invoice.save()

    result = record_review(
        invoice=invoice,
        user=None,
        corrections={
            "supplier_name": "Nordlicht Papier GmbH",
            "supplier_vat_id": seller_vat,
            "supplier_iban": IBAN,
        },
        approve=False,
    )

    misread.refresh_from_db()
    assert (misread.name, misread.vat_id, misread.ibans) == (
        "Nordlicht Papier GmbH",
        seller_vat,
        [IBAN],
    )
    assert result.vendor_updates == {
        "vat_id": seller_vat,
        "ibans": [IBAN],
        "name": "Nordlicht Papier GmbH",
    }
    edit = Decision.objects.get(action=DecisionAction.EDIT)
    assert edit.after["vendor"] == result.vendor_updates
    keys = set(VendorKey.objects.filter(vendor=misread).values_list("kind", "value"))
    assert ("vat_id", seller_vat) in keys
    assert ("vat_id", buyer_vat) not in keys
