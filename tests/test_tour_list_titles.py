"""Every list page is titled by what it lists ("Matches", "Invoices"), not Django's "Select
match to change"; a pop-up picker keeps its "Select …", the review queue keeps its own title."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils.text import capfirst

from reconciliation.models import Role
from reconciliation.models import Workspace
from tests.factories import make_user
from tests.helpers import logged_in_client
from tests.helpers import section

pytestmark = pytest.mark.django_db

LISTS = [
    (model._meta.model_name, capfirst(str(model._meta.verbose_name_plural)))
    for model in admin.site._registry
    if model._meta.app_label == "reconciliation"
]


@pytest.mark.parametrize(("model", "title"), LISTS)
def test_a_list_page_is_titled_by_what_it_lists(
    workspace: Workspace, model: str, title: str
) -> None:
    client = logged_in_client(make_user(workspace=workspace, role=Role.ADMIN))
    response = client.get(reverse(f"admin:reconciliation_{model}_changelist"))
    assert response.status_code == 200
    assert response.context["title"] == title
    content = response.content.decode()
    assert f"<h1>{title}</h1>" in content
    assert "Select " not in section(content, "<h1>", "</h1>")


def test_the_named_lists_read_plainly(workspace: Workspace) -> None:
    titles = dict(LISTS)
    assert (titles["match"], titles["invoice"], titles["transaction"]) == (
        "Matches",
        "Invoices",
        "Transactions",
    )


def test_a_pop_up_picker_still_says_select(workspace: Workspace) -> None:
    client = logged_in_client(make_user(workspace=workspace, role=Role.ADMIN))
    url = reverse("admin:reconciliation_vendor_changelist")
    response = client.get(url, {"_popup": "1", "_to_field": "id"})
    assert response.context["title"] == "Select vendor"


def test_the_review_queue_keeps_its_own_title(workspace: Workspace) -> None:
    client = logged_in_client(make_user(workspace=workspace, role=Role.ADMIN))
    response = client.get(reverse("admin:reconciliation-review"))
    assert response.context["title"] == "Review queue"
