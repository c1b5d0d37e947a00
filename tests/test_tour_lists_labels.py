"""Yes/no fields are named for what they say ("Held from posting", "Attachment refused by
Qonto"), in the lists' filters and on the pages, and their help text explains, not answers."""

from __future__ import annotations

import pytest
from django.urls import reverse

from reconciliation.models import Invoice
from reconciliation.models import Match
from reconciliation.models import Role
from reconciliation.models import Workspace
from tests.factories import make_invoice
from tests.factories import make_user
from tests.helpers import logged_in_client

pytestmark = pytest.mark.django_db


def _filter_titles(workspace: Workspace, model: str) -> list[str]:
    client = logged_in_client(make_user(workspace=workspace, role=Role.REVIEWER))
    response = client.get(reverse(f"admin:reconciliation_{model}_changelist"))
    assert response.status_code == 200
    return [str(spec.title) for spec in response.context["cl"].filter_specs]


def test_the_boolean_filters_are_named_for_what_they_say(workspace: Workspace) -> None:
    assert "held from posting" in _filter_titles(workspace, "invoice")
    assert "attachment refused by Qonto" in _filter_titles(workspace, "match")


def test_the_boolean_fields_help_text_does_not_read_as_the_answer() -> None:
    held = Invoice._meta.get_field("is_held")
    blocked = Match._meta.get_field("is_attach_blocked")
    assert (str(held.verbose_name), str(blocked.verbose_name)) == (
        "held from posting",
        "attachment refused by Qonto",
    )
    assert str(held.help_text).startswith("Set while")
    assert str(blocked.help_text).startswith("Set when")


def test_the_invoice_page_labels_the_hold(workspace: Workspace) -> None:
    invoice = make_invoice(workspace)
    client = logged_in_client(make_user(workspace=workspace, role=Role.REVIEWER))
    page = client.get(reverse("admin:reconciliation_invoice_change", args=[invoice.pk]))
    content = page.content.decode()
    assert "Held from posting:" in content
    assert "Is held" not in content
