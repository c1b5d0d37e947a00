"""A filter value a list does not know goes through the one check, `base.known_value`: the list
goes to "?e=1" and says so (`UNKNOWN_FILTER_WARNING`), never every row as if unfiltered."""

from __future__ import annotations

import pytest
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.sites import site
from django.test import RequestFactory
from django.urls import reverse

from reconciliation.admin.base import known_value
from reconciliation.admin.documents import StandingFilter
from reconciliation.models import Document
from reconciliation.models import Workspace
from tests.helpers import client_for

pytestmark = pytest.mark.django_db

DOCUMENTS = reverse("admin:reconciliation_document_changelist")


def test_known_value_refuses_only_a_value_it_does_not_know() -> None:
    known_value(None, ["unreadable"])  # no filter chosen
    known_value("unreadable", ["unreadable"])
    with pytest.raises(IncorrectLookupParameters, match=r"^Unknown filter value 'bogus'\.$"):
        known_value("bogus", ["unreadable"])


def test_the_documents_status_filter_refuses_an_unknown_standing_through_known_value(
    workspace: Workspace,
) -> None:
    request = RequestFactory().get(DOCUMENTS, {"standing": "bogus"})
    standing = StandingFilter(request, {"standing": ["bogus"]}, Document, site._registry[Document])
    with pytest.raises(IncorrectLookupParameters, match=r"^Unknown filter value 'bogus'\.$"):
        standing.queryset(request, Document.objects.all())
    response = client_for(workspace).get(f"{DOCUMENTS}?standing=bogus")
    assert (response.status_code, response["Location"]) == (302, f"{DOCUMENTS}?e=1")
