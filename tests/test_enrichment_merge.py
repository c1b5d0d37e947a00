"""Merging two vendors that turned out to be the same company."""

from __future__ import annotations

import pytest

from reconciliation.extraction.types import ExtractedField
from reconciliation.extraction.types import Extraction
from reconciliation.models import Decision
from reconciliation.models import DecisionAction
from reconciliation.models import Invoice
from reconciliation.models import RoutingRule
from reconciliation.models import Vendor
from reconciliation.models import VendorStatus
from reconciliation.models import Workspace
from reconciliation.models.vendor import VendorKey
from reconciliation.models.vendor import VendorReview
from reconciliation.vendors.keys import index_vendor
from reconciliation.vendors.merging import MergeError
from reconciliation.vendors.merging import merge_vendors
from reconciliation.vendors.resolution import resolve_vendor
from tests.factories import make_invoice
from tests.factories import make_user
from tests.factories import make_workspace

pytestmark = pytest.mark.django_db

VAT = "DE136695976"
IBAN_A = "DE89370400440532013000"
IBAN_B = "FR7630004000010001234567830"


def make(workspace: Workspace, name: str, **fields: object) -> Vendor:
    vendor = Vendor.objects.create(workspace=workspace, name=name, **fields)
    index_vendor(vendor=vendor)
    return vendor


def extraction(**values: str) -> Extraction:
    return Extraction(
        kind="invoice",
        kind_confidence=0.9,
        fields={k: ExtractedField(k, v, 0.9, "text") for k, v in values.items()},
        page_count=1,
        has_text_layer=True,
        language="en",
        source="text",
    )


def test_merge_moves_invoices_rules_and_reviews_and_keeps_the_audit(workspace: Workspace) -> None:
    user = make_user("merger", workspace=workspace)
    survivor = make(
        workspace,
        "Acme Supplies GmbH",
        ibans=[IBAN_A],
        status=VendorStatus.ACTIVE,
        documents_seen=4,
        documents_reviewed=3,
        learned_mapping={"invoice_number": {"relation": "right", "label": "invoice no"}},
        mapping_stats={"invoice_number": {"tried": 2, "hits": 2}},
    )
    duplicate = make(
        workspace,
        "ACME Supplies Deutschland",
        legal_name="Acme Supplies Deutschland GmbH",
        vat_id=VAT,
        domain="acme.de",
        ibans=[IBAN_B, IBAN_A],
        ledger_account="6100",
        documents_seen=2,
        documents_reviewed=1,
        learned_mapping={
            "invoice_number": {"relation": "below", "label": "nr"},
            "issue_date": {"relation": "right", "label": "date"},
        },
        mapping_stats={
            "invoice_number": {"tried": 1, "hits": 0},
            "issue_date": {"tried": 1, "hits": 1},
        },
    )
    invoices = [make_invoice(workspace, vendor=duplicate) for _ in range(2)]
    kept_invoice = make_invoice(workspace, vendor=survivor)
    rule = RoutingRule.objects.create(workspace=workspace, name="Acme", vendor=duplicate)
    review = VendorReview.objects.create(workspace=workspace, vendor=duplicate, invoice=invoices[0])
    earlier = Decision.objects.create(
        workspace=workspace, action=DecisionAction.EDIT, vendor=duplicate, reason="earlier"
    )

    result = merge_vendors(survivor=survivor, duplicate=duplicate, user=user)

    assert result.moved == {"invoice": 2, "routingrule": 1, "vendorreview": 1}
    survivor.refresh_from_db()
    duplicate.refresh_from_db()
    assert set(Invoice.objects.filter(vendor=survivor)) == {*invoices, kept_invoice}
    rule.refresh_from_db()
    review.refresh_from_db()
    assert (rule.vendor, review.vendor) == (survivor, survivor)
    assert (duplicate.status, duplicate.merged_into) == (VendorStatus.MERGED, survivor)
    assert survivor.aliases == ["ACME Supplies Deutschland", "Acme Supplies Deutschland GmbH"]
    assert survivor.ibans == [IBAN_A, IBAN_B]
    assert (survivor.vat_id, survivor.domain, survivor.ledger_account) == (VAT, "acme.de", "6100")
    assert (survivor.documents_seen, survivor.documents_reviewed) == (6, 4)
    assert survivor.learned_mapping == {
        "invoice_number": {"relation": "right", "label": "invoice no"},
        "issue_date": {"relation": "right", "label": "date"},
    }
    assert survivor.mapping_stats == {
        "invoice_number": {"tried": 3, "hits": 2},
        "issue_date": {"tried": 1, "hits": 1},
    }
    assert VendorKey.objects.filter(vendor=duplicate).count() == 0
    earlier.refresh_from_db()
    assert earlier.vendor == duplicate
    decision = Decision.objects.get(action=DecisionAction.MERGE_VENDOR)
    assert (decision.actor, decision.vendor, decision.workspace) == (user, survivor, workspace)
    assert decision.before["duplicate"]["vat_id"] == VAT
    assert decision.after["moved"] == {"invoice": 2, "routingrule": 1, "vendorreview": 1}
    assert decision.reason == (
        f"Merged “ACME Supplies Deutschland” (#{duplicate.pk}) into “Acme Supplies GmbH” "
        f"(#{survivor.pk})."
    )


def test_documents_of_the_duplicate_find_the_survivor_afterwards(workspace: Workspace) -> None:
    survivor = make(workspace, "Acme Supplies GmbH", vat_id=VAT)
    duplicate = make(workspace, "Zenith Trading", ibans=[IBAN_B], domain="zenith.example")
    merge_vendors(survivor=survivor, duplicate=duplicate, user=None)

    by_iban = resolve_vendor(workspace=workspace, extraction=extraction(supplier_iban=IBAN_B))
    by_name = resolve_vendor(
        workspace=workspace, extraction=extraction(supplier_name="Zenith Trading Ltd")
    )
    by_domain = resolve_vendor(
        workspace=workspace, extraction=extraction(supplier_domain="ap@zenith.example")
    )

    assert [r.vendor for r in (by_iban, by_name, by_domain)] == [survivor, survivor, survivor]
    assert [r.matched_by for r in (by_iban, by_name, by_domain)] == ["iban", "name", "domain"]


def test_a_differing_vat_id_of_the_duplicate_still_finds_the_survivor(
    workspace: Workspace,
) -> None:
    survivor = make(workspace, "Acme Supplies GmbH", vat_id=VAT)
    duplicate = make(workspace, "Acme France", vat_id="FR40303265045")

    merge_vendors(survivor=survivor, duplicate=duplicate, user=None)

    survivor.refresh_from_db()
    assert survivor.vat_id == VAT
    found = resolve_vendor(
        workspace=workspace, extraction=extraction(supplier_vat_id="FR40303265045")
    )
    assert (found.vendor, found.matched_by) == (survivor, "vat_id")


@pytest.mark.parametrize("case", ["same_vendor_case", "other_workspace_case", "merged_case"])
def test_impossible_merges_are_refused(workspace: Workspace, case: str) -> None:
    survivor = make(workspace, "Acme")
    if case == "same_vendor_case":
        duplicate = survivor
    elif case == "other_workspace_case":
        duplicate = make(make_workspace("Other"), "Acme")
    else:
        duplicate = make(workspace, "Acme Old")
        merge_vendors(survivor=survivor, duplicate=duplicate, user=None)

    with pytest.raises(MergeError):
        merge_vendors(survivor=survivor, duplicate=duplicate, user=None)

    assert Decision.objects.filter(action=DecisionAction.MERGE_VENDOR).count() == (
        1 if case == "merged_case" else 0
    )
    survivor.refresh_from_db()
    assert survivor.status != VendorStatus.MERGED
