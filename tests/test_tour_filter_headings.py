"""Filter headings read as words after Django's "By " and their choices start with a capital,
as every other filter's do: the Documents list's "By why it is stuck", the Invoices list's
"By who refused" ("Well (below the review threshold)", "A person")."""

from __future__ import annotations

import pytest
from django.urls import reverse

from reconciliation.models import Role
from reconciliation.models import Workspace
from tests.helpers import client_for
from tests.helpers import filter_choices

pytestmark = pytest.mark.django_db


def test_the_documents_list_is_filtered_by_why_a_document_is_stuck(workspace: Workspace) -> None:
    page = client_for(workspace, Role.REVIEWER).get(
        reverse("admin:reconciliation_document_changelist")
    )

    body = page.content.decode()

    assert "By stuck" not in body
    assert filter_choices(body, "why it is stuck") == [
        "All [chosen]",
        "Payment waiting for its debit",
        "Sent to review: nothing fits",
        "Unreadable (read again)",
        "Duplicate (not a duplicate?)",
        "Ignored",
    ]


def test_the_invoices_list_is_filtered_by_who_refused(workspace: Workspace) -> None:
    page = client_for(workspace, Role.REVIEWER).get(
        reverse("admin:reconciliation_invoice_changelist")
    )

    body = page.content.decode()

    assert "By refused by" not in body
    assert filter_choices(body, "who refused") == [
        "All [chosen]",
        "Well (below the review threshold) (0)",
        "A person (0)",
    ]
