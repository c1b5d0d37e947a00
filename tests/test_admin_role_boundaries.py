"""Roles hold per workspace: admin of A and auditor of B is nobody in B; decided invoices are
history, not a form."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from reconciliation.models import ConnectionStatus
from reconciliation.models import Decision
from reconciliation.models import DecisionAction
from reconciliation.models import InvoiceStatus
from reconciliation.models import Membership
from reconciliation.models import Provider
from reconciliation.models import Role
from tests.factories import make_connection
from tests.factories import make_invoice
from tests.factories import make_user
from tests.factories import make_vendor
from tests.factories import make_workspace
from tests.helpers import logged_in_client

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("action", ["disconnect", "sync_now"])
def test_admin_of_a_and_auditor_of_b_cannot_act_on_b_connections(action: str) -> None:
    a, b = make_workspace("A"), make_workspace("B")
    user = make_user(workspace=a, role=Role.ADMIN)
    Membership.objects.create(workspace=b, user=user, role=Role.AUDITOR)
    b_connection = make_connection(b, Provider.DROPBOX)
    logged_in_client(user).post(
        reverse("admin:reconciliation_connection_changelist"),
        {"action": action, "_selected_action": [b_connection.pk], "confirmed": "yes"},
    )
    b_connection.refresh_from_db()
    assert b_connection.status == ConnectionStatus.ACTIVE
    assert b_connection.last_sync_started_at is None


def test_a_connection_owner_must_belong_to_its_workspace() -> None:
    a, b = make_workspace("A"), make_workspace("B")
    stranger = make_user(workspace=b, role=Role.ADMIN)
    connection = make_connection(a, Provider.DROPBOX, owner=stranger)
    with pytest.raises(ValidationError, match="member of this workspace"):
        connection.full_clean()


def test_a_posted_invoice_cannot_be_edited_from_the_invoice_admin() -> None:
    a = make_workspace("A")
    user = make_user(workspace=a, role=Role.REVIEWER)
    invoice = make_invoice(a, status=InvoiceStatus.POSTED, qonto_id="q-1")
    client = logged_in_client(user)
    response = client.post(
        reverse("admin:reconciliation_invoice_change", args=[invoice.pk]),
        {"total_amount": "9999.00", "currency": "EUR", "ledger_account": "6000"},
    )
    assert response.status_code == 403
    invoice.refresh_from_db()
    assert (invoice.total_amount, invoice.ledger_account) == (Decimal("119.000"), "")


def test_amounts_are_never_edited_outside_the_review_screen() -> None:
    a = make_workspace("A")
    user = make_user(workspace=a, role=Role.REVIEWER)
    invoice = make_invoice(a, status=InvoiceStatus.NEEDS_REVIEW)
    page = logged_in_client(user).get(
        reverse("admin:reconciliation_invoice_change", args=[invoice.pk])
    )
    editable = set(page.context["adminform"].form.fields)
    assert editable == {"vendor", "ledger_account"}


def test_vendor_reassignment_in_the_invoice_admin_is_recorded() -> None:
    a = make_workspace("A")
    user = make_user(workspace=a, role=Role.REVIEWER)
    old, new = make_vendor(a, name="Old GmbH"), make_vendor(a, name="New GmbH")
    invoice = make_invoice(a, status=InvoiceStatus.NEEDS_REVIEW, vendor=old)
    response = logged_in_client(user).post(
        reverse("admin:reconciliation_invoice_change", args=[invoice.pk]),
        {
            "vendor": new.pk,
            "ledger_account": "6064",
            "post_attempts_log-TOTAL_FORMS": "0",
            "post_attempts_log-INITIAL_FORMS": "0",
            "decisions-TOTAL_FORMS": "0",
            "decisions-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    invoice.refresh_from_db()
    assert (invoice.vendor, invoice.ledger_account) == (new, "6064")
    decision = Decision.objects.get(invoice=invoice, action=DecisionAction.EDIT)
    assert (decision.actor, decision.before, decision.after) == (
        user,
        {"vendor": old.pk, "ledger_account": ""},
        {"vendor": new.pk, "ledger_account": "6064"},
    )
