"""The vendor admin: training progress, learned mapping, merging; routing rules are logged."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from reconciliation.admin.vendors import MERGE_TEMPLATE
from reconciliation.models import Decision
from reconciliation.models import DecisionAction
from reconciliation.models import Invoice
from reconciliation.models import InvoiceStatus
from reconciliation.models import Role
from reconciliation.models import RoutingRule
from reconciliation.models import Vendor
from reconciliation.models import VendorStatus
from reconciliation.models import Workspace
from reconciliation.models.vendor import VendorKey
from reconciliation.vendors.keys import index_vendor
from tests.factories import make_invoice
from tests.factories import make_workspace
from tests.helpers import client_for

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:reconciliation_vendor_changelist"


def vendor(workspace: Workspace, name: str, **fields: object) -> Vendor:
    created = Vendor.objects.create(workspace=workspace, name=name, **fields)
    index_vendor(vendor=created)
    return created


def merge_post(client: Client, vendors: list[Vendor], **extra: str) -> object:
    data = {"action": "merge_selected", "_selected_action": [str(v.pk) for v in vendors], **extra}
    return client.post(reverse(CHANGELIST), data)


def test_changelist_shows_training_progress_and_hit_rate_of_own_vendors_only(
    workspace: Workspace,
) -> None:
    vendor(
        workspace,
        "Acme Supplies",
        documents_reviewed=3,
        mapping_stats={
            "invoice_number": {"tried": 4, "hits": 3},
            "total_amount": {"tried": 4, "hits": 4},
        },
    )
    vendor(make_workspace("Other"), "Hidden Rival GmbH", documents_reviewed=9)
    client = client_for(workspace)

    response = client.get(reverse(CHANGELIST))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Acme Supplies" in page
    assert "3/10" in page
    assert "88 % of 8" in page
    assert "Hidden Rival" not in page


def test_change_page_shows_the_learned_mapping_per_field(workspace: Workspace) -> None:
    acme = vendor(
        workspace,
        "Acme Supplies",
        documents_reviewed=12,
        learned_mapping={
            "invoice_number": {"relation": "right", "label": "invoice no"},
            "currency": {"relation": "constant", "token": "€"},
        },
        mapping_stats={"invoice_number": {"tried": 5, "hits": 4, "confirmed": 3, "corrected": 1}},
    )
    client = client_for(workspace)

    response = client.get(reverse("admin:reconciliation_vendor_change", args=[acme.pk]))

    page = response.content.decode()
    assert '<progress max="10" value="10"></progress> 10/10 — trained' in page
    assert (
        "<tr><td>Invoice number</td><td>right of “invoice no”</td><td>5</td><td>4</td>"
        "<td>80 %</td><td>3</td><td>1</td></tr>"
    ) in page
    assert "<tr><td>Currency</td><td>printed as “€”</td><td>0</td><td>0</td><td>—</td>" in page


def test_another_workspaces_vendor_is_a_404(workspace: Workspace) -> None:
    rival = vendor(make_workspace("Other"), "Hidden Rival GmbH")
    client = client_for(workspace)

    response = client.get(reverse("admin:reconciliation_vendor_change", args=[rival.pk]))

    assert response.status_code == 404


def test_saving_a_vendor_normalises_and_indexes_its_identifiers(workspace: Workspace) -> None:
    acme = vendor(workspace, "Acme Supplies")
    client = client_for(workspace)

    response = client.post(
        reverse("admin:reconciliation_vendor_change", args=[acme.pk]),
        {
            "name": "Acme Supplies",
            "legal_name": "Acme Supplies GmbH",
            "status": VendorStatus.ACTIVE,
            "vat_id": "de 136 695 976",
            "tax_id": "",
            "domain": "https://www.Acme.de/impressum",
            "ibans": "de89 3704 0044 0532 0130 00\nDE89 3704 0044 0532 0130 00\n",
            "aliases": "ACME Lieferungen\n\n",
            "ledger_account": "6000",
        },
    )

    assert response.status_code == 302
    acme.refresh_from_db()
    assert (acme.vat_id, acme.domain, acme.ibans, acme.aliases, acme.ledger_account) == (
        "DE136695976",
        "acme.de",
        ["DE89370400440532013000"],
        ["ACME Lieferungen"],
        "6000",
    )
    assert set(
        VendorKey.objects.filter(vendor=acme).exclude(kind="token").values_list("kind", "value")
    ) == {
        ("vat_id", "DE136695976"),
        ("domain", "acme.de"),
        ("iban", "DE89370400440532013000"),
        ("name", "acme supplies"),
        ("name", "acme lieferungen"),
    }


@pytest.mark.parametrize(
    ("typed", "error"),
    [
        ({"vat_id": "DE123456789"}, "DE123456789 is not a valid VAT id."),
        ({"domain": "not a domain"}, "Enter a domain such as example.com."),
        ({"domain": "gmail.com"}, "gmail.com is a shared mail host; it identifies nobody."),
    ],
)
def test_an_invalid_identifier_is_refused_by_the_form(
    workspace: Workspace, typed: dict[str, str], error: str
) -> None:
    acme = vendor(workspace, "Acme Supplies")
    client = client_for(workspace)

    response = client.post(
        reverse("admin:reconciliation_vendor_change", args=[acme.pk]),
        {"name": "Acme", "status": VendorStatus.ACTIVE, "ibans": "", "aliases": "", **typed},
    )

    assert response.status_code == 200
    assert error in response.content.decode()
    acme.refresh_from_db()
    assert (acme.name, acme.vat_id, acme.domain) == ("Acme Supplies", "", "")


def test_merge_action_asks_for_confirmation_then_merges(workspace: Workspace) -> None:
    keep = vendor(workspace, "Acme Supplies GmbH", documents_reviewed=4)
    twin = vendor(workspace, "ACME Supplies Deutschland", ibans=["DE89370400440532013000"])
    invoice = make_invoice(workspace, vendor=twin)
    client = client_for(workspace)

    confirmation = merge_post(client, [keep, twin])

    assert confirmation.status_code == 200  # type: ignore[attr-defined]
    assert confirmation.templates[0].name == MERGE_TEMPLATE  # type: ignore[attr-defined]
    page = confirmation.content.decode()  # type: ignore[attr-defined]
    assert f'value="{keep.pk}" id="survivor-{keep.pk}" checked' in page
    assert "ACME Supplies Deutschland" in page
    assert Vendor.objects.get(pk=twin.pk).status == VendorStatus.NEEDS_REVIEW

    done = merge_post(client, [keep, twin], post="yes", survivor=str(keep.pk))

    assert done.status_code == 302  # type: ignore[attr-defined]
    twin.refresh_from_db()
    invoice.refresh_from_db()
    assert (twin.status, twin.merged_into, invoice.vendor) == (VendorStatus.MERGED, keep, keep)
    assert [str(m) for m in get_messages(done.wsgi_request)] == [  # type: ignore[attr-defined]
        "Merged 1 vendor into “Acme Supplies GmbH”."
    ]
    assert Decision.objects.filter(action=DecisionAction.MERGE_VENDOR, vendor=keep).count() == 1


def test_vendors_of_two_workspaces_cannot_be_merged(workspace: Workspace) -> None:
    mine = vendor(workspace, "Acme")
    theirs = vendor(make_workspace("Other"), "Acme")
    client = client_for(None, superuser=True)

    response = merge_post(client, [mine, theirs], post="yes", survivor=str(mine.pk))

    assert response.status_code == 302  # type: ignore[attr-defined]
    assert [str(m) for m in get_messages(response.wsgi_request)] == [  # type: ignore[attr-defined]
        "Vendors of different workspaces cannot be merged."
    ]
    assert Vendor.objects.filter(status=VendorStatus.MERGED).count() == 0


def test_a_reviewer_cannot_reach_another_workspaces_vendor_through_the_action(
    workspace: Workspace,
) -> None:
    mine = vendor(workspace, "Acme")
    theirs = vendor(make_workspace("Other"), "Acme Rival")
    client = client_for(workspace)

    response = merge_post(client, [mine, theirs], post="yes", survivor=str(theirs.pk))

    assert [str(m) for m in get_messages(response.wsgi_request)] == [  # type: ignore[attr-defined]
        "Select at least two vendors to merge."
    ]
    assert Vendor.objects.filter(status=VendorStatus.MERGED).count() == 0


def test_an_auditor_cannot_merge(workspace: Workspace) -> None:
    first, second = vendor(workspace, "Acme"), vendor(workspace, "Acme Two")
    client = client_for(workspace, Role.AUDITOR)

    merge_post(client, [first, second], post="yes", survivor=str(first.pk))

    assert Vendor.objects.filter(status=VendorStatus.MERGED).count() == 0
    assert not Decision.objects.filter(action=DecisionAction.MERGE_VENDOR).exists()


def test_a_rule_saved_in_the_admin_is_logged_and_reroutes(workspace: Workspace) -> None:
    acme = vendor(workspace, "Acme", status=VendorStatus.ACTIVE, documents_reviewed=10)
    waiting = make_invoice(
        workspace, vendor=acme, status=InvoiceStatus.NEEDS_REVIEW, confidence=Decimal("75.00")
    )
    client = client_for(None, superuser=True)

    response = client.post(
        reverse("admin:reconciliation_routingrule_add"),
        {
            "workspace": workspace.pk,
            "name": "Trusted Acme",
            "priority": 10,
            "is_active": "on",
            "vendor": acme.pk,
            "document_kind": "",
            "currency": "",
            "amount_above": "",
            "review_threshold": "55",
            "auto_post_threshold": "70",
        },
    )

    assert response.status_code == 302
    created = RoutingRule.objects.get()
    logged = Decision.objects.get(action=DecisionAction.RULE)
    assert (logged.reason, logged.after["auto_post_threshold"]) == (
        "Routing rule “Trusted Acme” created.",
        "70.00",
    )
    waiting.refresh_from_db()
    assert (waiting.status, waiting.routing_rule) == (InvoiceStatus.APPROVED, created)
    assert Invoice.objects.filter(status=InvoiceStatus.APPROVED).count() == 1


def test_reviewers_can_read_but_not_change_rules(workspace: Workspace) -> None:
    rule = RoutingRule.objects.create(workspace=workspace, name="Big ones")
    client = client_for(workspace)

    view = client.get(reverse("admin:reconciliation_routingrule_change", args=[rule.pk]))
    change = client.post(
        reverse("admin:reconciliation_routingrule_change", args=[rule.pk]),
        {"name": "Mine now", "priority": 1, "review_threshold": "0", "auto_post_threshold": "0"},
    )

    assert view.status_code == 200
    assert change.status_code == 403
    rule.refresh_from_db()
    assert rule.name == "Big ones"
    assert not Decision.objects.filter(action=DecisionAction.RULE).exists()


def test_the_vendor_page_shows_ibans_and_aliases_one_per_line(workspace: Workspace) -> None:
    acme = vendor(
        workspace,
        "Acme Supplies",
        ibans=["DE89370400440532013000", "FR7630006000011234567890189"],
        aliases=["ACME Ltd"],
    )
    page = client_for(workspace).get(reverse("admin:reconciliation_vendor_change", args=[acme.pk]))
    text = page.content.decode()
    assert ">\nDE89370400440532013000\nFR7630006000011234567890189</textarea>" in text
    assert ">\nACME Ltd</textarea>" in text
    assert "[&quot;" not in text
