"""Enrichment: fill what the document lacks from the vendor; never overwrite a stronger value."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from reconciliation.extraction.types import Evidence
from reconciliation.extraction.types import ExtractedField
from reconciliation.models import InvoiceStatus
from reconciliation.models import Vendor
from reconciliation.models import VendorStatus
from reconciliation.models import Workspace
from reconciliation.vendors.enrichment import FieldConflict
from reconciliation.vendors.enrichment import enrich_fields
from tests.factories import make_invoice

pytestmark = pytest.mark.django_db

VAT = "DE136695976"
IBAN = "DE89370400440532013000"


def read(name: str, value: object, confidence: float, source: str = "text") -> ExtractedField:
    evidence = Evidence(page=1, bbox=(10.0, 20.0, 90.0, 30.0), text=str(value))
    return ExtractedField(name, value, confidence, source, evidence)  # type: ignore[arg-type]


def known_vendor(workspace: Workspace, **fields: object) -> Vendor:
    values: dict[str, object] = {
        "name": "Acme Supplies",
        "legal_name": "Acme Supplies GmbH",
        "vat_id": VAT,
        "domain": "acme.de",
        "ibans": [IBAN],
        "ledger_account": "6000",
        "status": VendorStatus.ACTIVE,
    }
    values.update(fields)
    return Vendor.objects.create(workspace=workspace, **values)


def test_missing_identity_is_filled_from_the_vendor_with_its_origin(workspace: Workspace) -> None:
    vendor = known_vendor(workspace)
    fields = {"invoice_number": read("invoice_number", "A-17", 0.9)}

    result = enrich_fields(vendor=vendor, fields=fields)

    assert result.enriched == (
        "supplier_name",
        "supplier_vat_id",
        "supplier_iban",
        "supplier_domain",
    )
    filled = result.fields["supplier_vat_id"]
    assert (filled.value, filled.confidence, filled.source, filled.evidence) == (
        VAT,
        0.95,
        "enriched",
        None,
    )
    assert result.fields["supplier_name"].value == "Acme Supplies GmbH"
    assert result.origins["supplier_iban"] == "Filled from the vendor record “Acme Supplies”."
    assert result.fields["invoice_number"] == fields["invoice_number"]
    assert result.conflicts == ()


def test_a_stronger_document_value_is_never_overwritten(workspace: Workspace) -> None:
    vendor = known_vendor(workspace, status=VendorStatus.NEEDS_REVIEW)
    document_name = read("supplier_name", "ACME Supplies Deutschland", 0.9)

    result = enrich_fields(vendor=vendor, fields={"supplier_name": document_name})

    assert result.fields["supplier_name"] == document_name
    assert "supplier_name" not in result.enriched
    assert result.origins["supplier_name"] == "Read from the document."


def test_a_weaker_document_name_is_replaced_by_the_reviewed_vendor_name(
    workspace: Workspace,
) -> None:
    vendor = known_vendor(workspace)

    result = enrich_fields(
        vendor=vendor, fields={"supplier_name": read("supplier_name", "Rechnung", 0.4)}
    )

    replaced = result.fields["supplier_name"]
    assert (replaced.value, replaced.confidence, replaced.source) == (
        "Acme Supplies GmbH",
        0.95,
        "enriched",
    )
    assert result.enriched == (
        "supplier_name",
        "supplier_vat_id",
        "supplier_iban",
        "supplier_domain",
    )
    assert result.conflicts == ()


def test_an_agreeing_document_value_gains_the_vendors_confidence(workspace: Workspace) -> None:
    vendor = known_vendor(workspace)
    fields = {
        "supplier_vat_id": read("supplier_vat_id", "DE 136 695 976", 0.7),
        "supplier_name": read("supplier_name", "ACME SUPPLIES G.m.b.H.", 0.8),
    }

    result = enrich_fields(vendor=vendor, fields=fields)

    assert result.fields["supplier_vat_id"].value == "DE 136 695 976"
    assert result.fields["supplier_vat_id"].confidence == 0.95
    assert result.fields["supplier_vat_id"].evidence == fields["supplier_vat_id"].evidence
    assert result.fields["supplier_name"].confidence == 0.95
    assert result.confirmed == ("supplier_name", "supplier_vat_id")


def test_a_conflicting_vat_id_lowers_confidence_and_is_listed(workspace: Workspace) -> None:
    vendor = known_vendor(workspace)
    document_vat = read("supplier_vat_id", "FR40303265045", 0.99)

    result = enrich_fields(vendor=vendor, fields={"supplier_vat_id": document_vat})

    kept = result.fields["supplier_vat_id"]
    assert (kept.value, kept.source) == ("FR40303265045", "text")
    assert kept.confidence == pytest.approx(0.99 * 0.6)
    assert result.conflicts == (
        FieldConflict(
            field="supplier_vat_id",
            document_value="FR40303265045",
            vendor_value=VAT,
            message=(
                "The document's VAT id FR40303265045 differs from the vendor record "
                f"“Acme Supplies”: {VAT}."
            ),
        ),
    )


def test_a_weak_conflicting_iban_is_replaced_but_still_listed(workspace: Workspace) -> None:
    vendor = known_vendor(workspace)

    result = enrich_fields(
        vendor=vendor,
        fields={"supplier_iban": read("supplier_iban", "GB82WEST12345698765432", 0.5)},
    )

    replaced = result.fields["supplier_iban"]
    assert (replaced.value, replaced.source) == (IBAN, "enriched")
    assert replaced.confidence == pytest.approx(0.95 * 0.6)
    assert [c.field for c in result.conflicts] == ["supplier_iban"]


def test_a_second_known_iban_is_no_conflict(workspace: Workspace) -> None:
    vendor = known_vendor(workspace, ibans=[IBAN, "FR7630004000010001234567830"])

    result = enrich_fields(
        vendor=vendor,
        fields={"supplier_iban": read("supplier_iban", "FR76 3000 4000 0100 0123 4567 830", 0.9)},
    )

    assert result.conflicts == ()
    assert result.confirmed == ("supplier_iban",)


def test_an_unchecked_iban_agrees_however_its_separators_are_written(
    workspace: Workspace,
) -> None:
    # The check digits fail (a typo somewhere), so only the written IBAN can be compared:
    # both sides lose every separator, as the vendor's keys do.
    vendor = known_vendor(workspace, ibans=["DE88 3704 0044 0532 0130 00"])

    result = enrich_fields(
        vendor=vendor,
        fields={"supplier_iban": read("supplier_iban", "DE88-3704-0044-0532-0130-00", 0.9)},
    )

    assert (result.conflicts, result.confirmed) == ((), ("supplier_iban",))


def test_ledger_account_is_the_one_most_used_on_approved_invoices(workspace: Workspace) -> None:
    vendor = known_vendor(workspace)
    for account, status in [
        ("6100", InvoiceStatus.APPROVED),
        ("6100", InvoiceStatus.POSTED),
        ("6200", InvoiceStatus.POSTED),
        ("6300", InvoiceStatus.NEEDS_REVIEW),
        ("6300", InvoiceStatus.REFUSED),
        ("6300", InvoiceStatus.NEEDS_REVIEW),
    ]:
        make_invoice(workspace, vendor=vendor, ledger_account=account, status=status)

    result = enrich_fields(vendor=vendor, fields={})

    assert (result.ledger_account, result.ledger_account_origin) == (
        "6100",
        "Most used account on 2 approved invoices of “Acme Supplies”.",
    )
    assert result.to_invoice_fields()["ledger_account"] == {
        "value": "6100",
        "confidence": None,
        "source": "enriched",
        "evidence": None,
        "origin": "Most used account on 2 approved invoices of “Acme Supplies”.",
    }


def test_ledger_account_falls_back_to_the_vendors_own(workspace: Workspace) -> None:
    vendor = known_vendor(workspace)

    result = enrich_fields(vendor=vendor, fields={})

    assert (result.ledger_account, result.ledger_account_origin) == (
        "6000",
        "Default account of the vendor “Acme Supplies”.",
    )


def test_without_a_vendor_the_fields_pass_through(workspace: Workspace) -> None:
    fields = {"invoice_number": read("invoice_number", "A-17", 0.9)}

    result = enrich_fields(vendor=None, fields=fields)

    assert (result.fields, result.enriched, result.conflicts, result.ledger_account) == (
        fields,
        (),
        (),
        "",
    )


def test_invoice_columns_and_fields_json(workspace: Workspace) -> None:
    vendor = known_vendor(workspace, ledger_account="")
    fields = {
        "invoice_number": read("invoice_number", "A-17", 0.91234),
        "issue_date": read("issue_date", date(2026, 3, 5), 0.9),
        "total_amount": read("total_amount", Decimal("-119.00"), 0.9),
        "currency": read("currency", "eur", 0.8),
    }

    result = enrich_fields(vendor=vendor, fields=fields)

    assert result.invoice_columns() == {
        "number": "A-17",
        "issue_date": date(2026, 3, 5),
        "total_amount": Decimal("119.00"),
        "currency": "EUR",
        "supplier_name": "Acme Supplies GmbH",
        "supplier_vat_id": VAT,
        "supplier_iban": IBAN,
        "supplier_domain": "acme.de",
    }
    assert result.to_invoice_fields()["invoice_number"] == {
        "value": "A-17",
        "confidence": 0.9123,
        "source": "text",
        "evidence": {"page": 1, "bbox": [10.0, 20.0, 90.0, 30.0], "text": "A-17"},
        "origin": "",
    }
    assert result.to_invoice_fields()["issue_date"]["value"] == "2026-03-05"
