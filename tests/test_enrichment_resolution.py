"""Vendor resolution: strongest key first, fuzzy names over an indexed candidate set."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reconciliation.extraction.types import ExtractedField
from reconciliation.extraction.types import Extraction
from reconciliation.models import Vendor
from reconciliation.models import VendorStatus
from reconciliation.models import Workspace
from reconciliation.models.vendor import VendorKey
from reconciliation.vendors.keys import index_vendor
from reconciliation.vendors.resolution import VendorResolution
from reconciliation.vendors.resolution import resolve_vendor
from tests.factories import make_workspace

pytestmark = pytest.mark.django_db

VAT_DE = "DE136695976"
VAT_FR = "FR40303265045"
IBAN_DE = "DE89370400440532013000"
IBAN_FR = "FR7630004000010001234567830"


def extraction(**values: str) -> Extraction:
    fields = {
        name: ExtractedField(name=name, value=value, confidence=0.9, source="text")
        for name, value in values.items()
    }
    fields.setdefault(
        "total_amount",
        ExtractedField(name="total_amount", value=Decimal("119.00"), confidence=0.9, source="text"),
    )
    return Extraction(
        kind="invoice",
        kind_confidence=0.95,
        fields=fields,
        page_count=1,
        has_text_layer=True,
        language="en",
        source="text",
    )


def vendor(workspace: Workspace, name: str, **fields: object) -> Vendor:
    created = Vendor.objects.create(
        workspace=workspace, name=name, status=VendorStatus.ACTIVE, **fields
    )
    index_vendor(vendor=created)
    return created


def resolve(workspace: Workspace, **values: str) -> VendorResolution:
    """The vendor resolved for an invoice from which ``values`` were read."""
    return resolve_vendor(workspace=workspace, extraction=extraction(**values))


def test_vat_id_wins_over_iban_domain_and_name(workspace: Workspace) -> None:
    by_vat = vendor(workspace, "Northwind Traders GmbH", vat_id=VAT_DE)
    vendor(workspace, "Other Iban Ltd", ibans=[IBAN_DE])
    vendor(workspace, "Other Domain SA", domain="acme.example")
    vendor(workspace, "Acme Supplies GmbH")

    result = resolve(
        workspace,
        supplier_name="Acme Supplies GmbH",
        supplier_vat_id="DE 136 695 976",
        supplier_iban=IBAN_DE,
        supplier_domain="billing@acme.example",
    )

    assert (result.vendor, result.matched_by, result.created) == (by_vat, "vat_id", False)
    assert result.matched_value == VAT_DE
    assert result.conflicts == (
        f"The IBAN {IBAN_DE} belongs to another vendor, “Other Iban Ltd”.",
        "The domain acme.example belongs to another vendor, “Other Domain SA”.",
        "The document's supplier name “Acme Supplies GmbH” does not look like "
        "“Northwind Traders GmbH”, found by its VAT id.",
    )
    assert result.strength == pytest.approx(1.0 - 3 * 0.15)


def test_the_other_vendors_of_conflicts_are_named_with_one_query(workspace: Workspace) -> None:
    vendor(workspace, "Northwind Traders GmbH", vat_id=VAT_DE)

    def queries(**values: str) -> tuple[int, tuple[str, ...]]:
        with CaptureQueriesContext(connection) as captured:
            result = resolve(
                workspace, supplier_name="Northwind Traders GmbH", supplier_vat_id=VAT_DE, **values
            )
        return len(captured.captured_queries), result.conflicts

    alone, none = queries()
    vendor(workspace, "Other Iban Ltd", ibans=[IBAN_DE])
    vendor(workspace, "Other Domain SA", domain="acme.example")
    both, conflicts = queries(supplier_iban=IBAN_DE, supplier_domain="billing@acme.example")

    assert (none, both - alone) == ((), 1)
    assert conflicts == (
        f"The IBAN {IBAN_DE} belongs to another vendor, “Other Iban Ltd”.",
        "The domain acme.example belongs to another vendor, “Other Domain SA”.",
    )


def test_iban_is_used_when_the_vat_id_fails_its_checksum(workspace: Workspace) -> None:
    by_iban = vendor(workspace, "Acme Supplies GmbH", ibans=[IBAN_DE], vat_id="")

    result = resolve(
        workspace,
        supplier_name="Acme Supplies GmbH",
        supplier_vat_id="DE123456789",
        supplier_iban="de89 3704 0044 0532 0130 00",
    )

    assert (result.vendor, result.matched_by, result.strength) == (by_iban, "iban", 0.95)
    assert result.conflicts == ()


def test_domain_comes_from_an_email_address_and_ignores_subdomains(workspace: Workspace) -> None:
    by_domain = vendor(workspace, "Acme Supplies GmbH", domain="acme.co.uk")

    result = resolve(
        workspace, supplier_name="ACME SUPPLIES LIMITED", supplier_domain="invoices@mail.acme.co.uk"
    )

    assert (result.vendor, result.matched_by, result.strength) == (by_domain, "domain", 0.85)


def test_a_shared_mail_host_never_identifies_a_vendor(workspace: Workspace) -> None:
    vendor(workspace, "Someone Else", domain="gmail.com")

    result = resolve(workspace, supplier_name="Jane Plumbing", supplier_domain="jane@gmail.com")

    assert (result.matched_by, result.created) == ("new", True)
    assert result.vendor is not None
    assert result.vendor.domain == ""


@pytest.mark.parametrize(
    ("printed", "expected_by"),
    [
        pytest.param("ACME Supplies G.m.b.H.", "name", id="dotted_legal_form_case"),
        pytest.param("Acme Supplies Ltd", "name", id="other_legal_form_case"),
        pytest.param("Acme Suplies GmbH", "name", id="typo_case"),
        pytest.param("Supplies Acme", "name", id="word_order_case"),
    ],
)
def test_fuzzy_names_find_the_vendor(workspace: Workspace, printed: str, expected_by: str) -> None:
    acme = vendor(workspace, "Acme Supplies GmbH")
    vendor(workspace, "Acme Logistics GmbH")
    vendor(workspace, "Supplies Direct Ltd")

    result = resolve(workspace, supplier_name=printed)

    assert (result.vendor, result.matched_by, result.created) == (acme, expected_by, False)


def test_exact_normalised_name_is_stronger_than_a_fuzzy_one(workspace: Workspace) -> None:
    acme = vendor(workspace, "Acme Supplies GmbH")

    exact = resolve(workspace, supplier_name="ACME SUPPLIES SARL")
    fuzzy = resolve(workspace, supplier_name="Acme Suplies GmbH")

    assert (exact.vendor, exact.strength, exact.name_similarity) == (acme, 0.8, 1.0)
    assert fuzzy.vendor == acme
    assert fuzzy.name_similarity == 0.96
    assert fuzzy.strength == pytest.approx(0.6 + 0.2 * 6 / 10)


def test_a_different_company_with_a_similar_name_is_a_new_vendor(workspace: Workspace) -> None:
    vendor(workspace, "Acme Supplies GmbH")

    result = resolve(workspace, supplier_name="Acme Logistics GmbH")

    assert (result.matched_by, result.created) == ("new", True)


def test_unknown_supplier_becomes_a_vendor_needing_review(workspace: Workspace) -> None:
    result = resolve(
        workspace,
        supplier_name="Brand New GmbH",
        supplier_vat_id="DE 136695976",
        supplier_iban=IBAN_DE,
        supplier_domain="https://www.brand-new.de/contact",
    )

    created = result.vendor
    assert created is not None
    assert (result.matched_by, result.created, result.strength) == ("new", True, 0.3)
    assert (created.name, created.status, created.vat_id, created.domain, created.ibans) == (
        "Brand New GmbH",
        VendorStatus.NEEDS_REVIEW,
        VAT_DE,
        "brand-new.de",
        [IBAN_DE],
    )
    assert (created.normalized_name, created.documents_seen) == ("brand new", 1)
    assert sorted(VendorKey.objects.filter(vendor=created).values_list("kind", "value")) == [
        ("domain", "brand-new.de"),
        ("iban", IBAN_DE),
        ("name", "brand new"),
        ("token", "brand"),
        ("token", "new"),
        ("vat_id", VAT_DE),
    ]


def test_the_next_document_of_a_new_vendor_finds_it(workspace: Workspace) -> None:
    first = resolve(workspace, supplier_name="Brand New GmbH", supplier_vat_id=VAT_FR)
    second = resolve(workspace, supplier_name="Brand New", supplier_vat_id=VAT_FR)

    assert first.vendor is not None
    assert (second.vendor, second.matched_by, second.created) == (first.vendor, "vat_id", False)
    first.vendor.refresh_from_db()
    assert first.vendor.documents_seen == 2


def test_nothing_to_go_on_resolves_to_no_vendor(workspace: Workspace) -> None:
    result = resolve(
        workspace,
    )

    assert (result.vendor, result.matched_by, result.strength) == (None, "none", 0.0)
    assert Vendor.objects.count() == 0


def test_vendors_of_another_workspace_are_never_matched(workspace: Workspace) -> None:
    other = make_workspace("Other")
    vendor(other, "Acme Supplies GmbH", vat_id=VAT_DE)

    result = resolve(workspace, supplier_name="Acme Supplies GmbH", supplier_vat_id=VAT_DE)

    assert result.created is True
    assert result.vendor is not None
    assert result.vendor.workspace_id == workspace.pk


def test_a_shared_iban_is_decided_by_the_name(workspace: Workspace) -> None:
    vendor(workspace, "Factoring Partner AG", ibans=[IBAN_FR])
    acme = vendor(workspace, "Acme Supplies GmbH", ibans=[IBAN_FR])

    result = resolve(workspace, supplier_name="Acme Supplies", supplier_iban=IBAN_FR)

    assert (result.vendor, result.matched_by, result.strength) == (acme, "iban", 0.8)


def _lookup_queries(workspace: Workspace) -> tuple[int, Vendor | None]:
    with CaptureQueriesContext(connection) as captured:
        result = resolve(workspace, supplier_name="Zeta Widgtes GmbH")
    return len(captured.captured_queries), result.vendor


def test_resolution_cost_does_not_grow_with_the_number_of_vendors(workspace: Workspace) -> None:
    zeta = vendor(workspace, "Zeta Widgets GmbH")
    few = _lookup_queries(workspace)
    crowded = make_workspace("Crowded")
    for number in range(300):
        vendor(crowded, f"Supplier {number:03d} Trading Ltd")
    crowded_zeta = vendor(crowded, "Zeta Widgets GmbH")

    many = _lookup_queries(crowded)

    assert few == (8, zeta)
    assert many == (8, crowded_zeta)
