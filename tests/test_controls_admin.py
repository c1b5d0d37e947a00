"""The controls in the admin: the review screen's four-eyes confirmation of new bank details,
the vendor page's bank-detail history."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from reconciliation.models import BankChangeStatus
from reconciliation.models import BankDetailChange
from reconciliation.models import Invoice
from reconciliation.models import InvoiceStatus
from reconciliation.models import Role
from reconciliation.models import Workspace
from tests.factories import PASSWORD
from tests.factories import make_routed_invoice
from tests.factories import make_trained_vendor
from tests.factories import make_user

pytestmark = pytest.mark.django_db

KNOWN = "DE89370400440532013000"
NEW = "LT121000011101001000"


def held_invoice(workspace: Workspace) -> Invoice:
    vendor = make_trained_vendor(workspace, "Acme Supplies GmbH", ibans=[KNOWN])
    return make_routed_invoice(workspace, vendor, "97.00", supplier_iban=NEW)


def signed_in(workspace: Workspace, username: str, role: Role = Role.REVIEWER) -> Client:
    client = Client()
    make_user(username, workspace=workspace, role=role)
    assert client.login(username=username, password=PASSWORD)
    return client


def confirm(client: Client, invoice: Invoice) -> list[str]:
    url = reverse("admin:reconciliation-review-document", args=[invoice.document_id])
    response = client.post(url, {"action": "confirm_bank_details"}, follow=True)
    assert response.status_code == 200
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_the_review_screen_shows_the_fraud_warning(workspace: Workspace) -> None:
    invoice = held_invoice(workspace)
    client = signed_in(workspace, "alice")

    page = client.get(
        reverse("admin:reconciliation-review-document", args=[invoice.document_id])
    ).content.decode()

    assert "New bank details — possible payment fraud" in page
    assert f"Confirm {NEW}" in page


def test_a_self_approval_is_refused_on_the_review_screen(workspace: Workspace) -> None:
    invoice = held_invoice(workspace)
    alice = signed_in(workspace, "alice")

    first = confirm(alice, invoice)
    second = confirm(alice, invoice)

    assert first[-1].startswith("Confirmed once. A second person must confirm")
    assert second[-1] == (
        "Four-eyes: you gave the first confirmation of these bank details; another person "
        "must give the second."
    )
    assert BankDetailChange.objects.get(invoice=invoice).status == BankChangeStatus.HALF_CONFIRMED


def test_two_people_confirm_and_the_vendor_page_lists_the_history(workspace: Workspace) -> None:
    invoice = held_invoice(workspace)
    confirm(signed_in(workspace, "alice"), invoice)
    bob = signed_in(workspace, "bob", Role.ADMIN)

    messages = confirm(bob, invoice)
    page = bob.get(
        reverse("admin:reconciliation_vendor_change", args=[invoice.vendor_id])
    ).content.decode()

    assert messages[-1] == (
        f"Bank details {NEW} confirmed by two people; now known for the vendor. The invoice "
        "is approved for the next posting window."
    )
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.APPROVED
    assert "Bank-detail history" in page
    assert KNOWN in page
    assert NEW in page
    assert "New IBAN confirmed by two people" in page
    assert ">bob<" in page


def test_an_auditor_cannot_confirm_bank_details(workspace: Workspace) -> None:
    invoice = held_invoice(workspace)
    auditor = signed_in(workspace, "audrey", Role.AUDITOR)
    url = reverse("admin:reconciliation-review-document", args=[invoice.document_id])

    response = auditor.post(url, {"action": "confirm_bank_details"})

    assert response.status_code == 403
    assert BankDetailChange.objects.get(invoice=invoice).status == BankChangeStatus.PENDING
