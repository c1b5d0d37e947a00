"""What a new user's tour of the demo read wrong: a bare "-" in the related filters."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import AbstractUser
from django.test import Client
from django.urls import reverse

from reconciliation.models import InvoiceStatus
from reconciliation.models import Role
from reconciliation.models import Workspace
from tests.factories import make_connection
from tests.factories import make_document
from tests.factories import make_invoice
from tests.factories import make_user
from tests.factories import make_vendor
from tests.helpers import logged_in_client

pytestmark = pytest.mark.django_db


def _client(workspace: Workspace) -> Client:
    user: AbstractUser = make_user(workspace=workspace, role=Role.REVIEWER)
    return logged_in_client(user)


def _filter_choices(response: Any, title: str) -> list[str]:
    changelist = response.context["cl"]
    (spec,) = (spec for spec in changelist.filter_specs if str(spec.title) == title)
    return [str(choice["display"]) for choice in spec.choices(changelist)]


# --- 5. the related filters' "none" choice in words ------------------------------------------


def test_the_documents_connection_filter_names_documents_without_one(
    workspace: Workspace,
) -> None:
    make_document(workspace, connection=make_connection(workspace))
    make_document(workspace, connection=None)
    response = _client(workspace).get(reverse("admin:reconciliation_document_changelist"))
    choices = _filter_choices(response, "connection")
    assert "No connection" in choices
    assert "-" not in choices


def test_the_review_queue_vendor_filter_names_documents_without_a_vendor(
    workspace: Workspace,
) -> None:
    make_invoice(workspace, vendor=make_vendor(workspace), status=InvoiceStatus.NEEDS_REVIEW)
    make_invoice(workspace, vendor=None, status=InvoiceStatus.NEEDS_REVIEW)
    response = _client(workspace).get(reverse("admin:reconciliation-review"))
    choices = _filter_choices(response, "vendor")
    assert "No vendor yet" in choices
    assert "-" not in choices
