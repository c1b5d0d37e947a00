"""A filter value a list does not know goes through the one check,
`unknown_filters.known_value`: the list goes to "?e=1" and says so (`UNKNOWN_FILTER_WARNING`),
never every row as if unfiltered."""

from __future__ import annotations

import pytest
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.sites import site
from django.test import RequestFactory
from django.urls import reverse

from reconciliation.admin.documents import StandingFilter
from reconciliation.admin.unknown_filters import UNKNOWN_FILTER_WARNING
from reconciliation.admin.unknown_filters import known_value
from reconciliation.models import Document
from reconciliation.models import Workspace
from tests.factories import make_invoice
from tests.helpers import client_for
from tests.helpers import visible_text

pytestmark = pytest.mark.django_db

DOCUMENTS = reverse("admin:reconciliation_document_changelist")
INVOICES = reverse("admin:reconciliation_invoice_changelist")


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


def test_the_invoices_reason_code_filter_warns_of_a_code_it_does_not_know(
    workspace: Workspace,
) -> None:
    make_invoice(workspace, number="INV-1", routing_reasons=[])
    client = client_for(workspace)
    response = client.get(f"{INVOICES}?code=no_such_code", follow=True)
    assert response.redirect_chain == [(f"{INVOICES}?e=1", 302)]
    assert visible_text(response.content.decode()).count(UNKNOWN_FILTER_WARNING) == 1
    known = client.get(f"{INVOICES}?code=vendor_in_training")  # a known code still filters
    assert (known.status_code, "INV-1" in known.content.decode()) == (200, False)
