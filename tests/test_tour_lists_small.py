"""Small things the tour met: confirmations in the singular for one row, no bulk delete beside
Disconnect, and a favicon."""

from __future__ import annotations

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse

from reconciliation.models import InvoiceStatus
from reconciliation.models import Role
from reconciliation.models import Workspace
from tests.factories import make_invoice
from tests.factories import make_user
from tests.helpers import logged_in_client

pytestmark = pytest.mark.django_db


def test_reopening_one_refused_invoice_is_asked_in_the_singular(workspace: Workspace) -> None:
    invoice = make_invoice(workspace, status=InvoiceStatus.REFUSED)
    client = logged_in_client(make_user(workspace=workspace, role=Role.REVIEWER))
    page = client.post(
        reverse("admin:reconciliation_invoice_changelist"),
        {"action": "reopen_selected", ACTION_CHECKBOX_NAME: [invoice.pk]},
    )
    content = page.content.decode()
    assert "Send this refused invoice back to the review queue?" in content
    assert "these 1" not in content


def test_connections_offer_disconnect_but_no_bulk_delete(workspace: Workspace) -> None:
    client = logged_in_client(make_user(workspace=workspace, role=Role.ADMIN))
    page = client.get(reverse("admin:reconciliation_connection_changelist"))
    actions = [name for name, _ in page.context["action_form"].fields["action"].choices if name]
    assert actions == ["sync_now", "disconnect"]


def test_the_favicon_is_served_and_linked(workspace: Workspace) -> None:
    redirect = Client().get("/favicon.ico")
    assert redirect.status_code == 301
    assert redirect["Location"] == "/static/well/favicon.ico"
    assert finders.find("well/favicon.ico") is not None
    client = logged_in_client(make_user(workspace=workspace, role=Role.REVIEWER))
    page = client.get(reverse("admin:reconciliation_invoice_changelist"))
    assert '<link rel="icon" href="/static/well/favicon.ico"' in page.content.decode()
