"""Filter headings read as words after Django's "By " and their choices start with a capital,
as every other filter's do: the Documents list's "By why it is stuck", the Invoices list's
"By who refused" ("Well, below the review threshold", "A person")."""

from __future__ import annotations

import pytest
from django.urls import reverse

from reconciliation.models import Role
from reconciliation.models import Workspace
from tests.helpers import client_for
from tests.helpers import filter_choices

pytestmark = pytest.mark.django_db

STUCK = [
    "All [chosen]",
    "Payment waiting for its debit",
    "Sent to review: nothing fits",
    "Unreadable (read again)",
    "Duplicate (not a duplicate?)",
    "Ignored",
]
REFUSED = ["All [chosen]", "Well, below the review threshold (0)", "A person (0)"]


@pytest.mark.parametrize(
    ("model", "was", "title", "choices"),
    [
        ("document", "By stuck", "why it is stuck", STUCK),
        ("invoice", "By refused by", "who refused", REFUSED),
    ],
)
def test_a_filter_is_headed_and_offers_its_choices_in_words(
    workspace: Workspace, model: str, was: str, title: str, choices: list[str]
) -> None:
    page = client_for(workspace, Role.REVIEWER).get(
        reverse(f"admin:reconciliation_{model}_changelist")
    )

    body = page.content.decode()

    assert was not in body
    assert filter_choices(body, title) == choices
