"""A value a field of fixed choices does not have ("?status=nonsense", "?kind__exact=nonsense",
"?status__in=posted,nonsense") is refused as every unknown filter is, by the one rule of the
admins' shared base (`unknown_filters.known_choices`): the list goes to "?e=1" and says so
(`UNKNOWN_FILTER_WARNING`), never "0 results" as if nothing had that value."""

from __future__ import annotations

import pytest
from django.contrib.admin.options import IncorrectLookupParameters
from django.test import Client

from reconciliation.admin.unknown_filters import UNKNOWN_FILTER_WARNING
from reconciliation.admin.unknown_filters import field_choices
from reconciliation.admin.unknown_filters import known_choices
from reconciliation.models import Decision
from reconciliation.models import DecisionAction
from reconciliation.models import Document
from reconciliation.models import InvoiceStatus
from reconciliation.models import MatchKind
from reconciliation.models import MatchStatus
from reconciliation.models import Role
from reconciliation.models import RoutingRule
from reconciliation.models import SyncKind
from reconciliation.models import Workspace
from tests.factories import make_invoice
from tests.factories import make_match
from tests.factories import make_sync_run
from tests.helpers import client_for
from tests.helpers import visible_text

pytestmark = pytest.mark.django_db

INVOICES = "/admin/reconciliation/invoice/"
MATCHES = "/admin/reconciliation/match/"
QUEUE = "/admin/review/"


def _refused(client: Client, path: str, query: str) -> None:
    """``path?query`` goes to ``path?e=1``, which warns once."""
    response = client.get(f"{path}?{query}", follow=True)
    assert response.redirect_chain == [(f"{path}?e=1", 302)]
    assert visible_text(response.content.decode()).count(UNKNOWN_FILTER_WARNING) == 1


@pytest.mark.parametrize(
    ("path", "query"),
    [
        (INVOICES, "status=nonsense"),
        (INVOICES, "status__exact=nonsense"),
        (MATCHES, "status__exact=nonsense"),
        ("/admin/reconciliation/decision/", "action__exact=nonsense"),
        ("/admin/reconciliation/syncrun/", "kind__exact=nonsense"),
        ("/admin/reconciliation/syncrun/", "status__exact=nonsense"),
        ("/admin/reconciliation/vendor/", "status__exact=nonsense"),
        ("/admin/reconciliation/connection/", "provider__exact=nonsense"),
        ("/admin/reconciliation/receivable/", "status__exact=nonsense"),
        ("/admin/reconciliation/receivable/", "payment=nonsense"),  # its own filter's value
        ("/admin/reconciliation/transaction/", "side__exact=nonsense"),
        (QUEUE, "kind__exact=nonsense"),
    ],
)
def test_a_value_the_field_does_not_have_is_refused_and_the_list_says_so(
    workspace: Workspace, path: str, query: str
) -> None:
    _refused(client_for(workspace, Role.ADMIN), path, query)


def test_a_value_among_the_choices_still_filters(workspace: Workspace) -> None:
    make_invoice(workspace, number="INV-OPEN")
    make_invoice(workspace, number="INV-DONE", status=InvoiceStatus.POSTED)
    client = client_for(workspace)
    for query in ("status=posted", "status__exact=posted", "status__in=posted,refused"):
        response = client.get(f"{INVOICES}?{query}")
        page = response.content.decode()
        assert (response.status_code, "INV-DONE" in page, "INV-OPEN" in page) == (200, True, False)
    queue = client.get(f"{QUEUE}?kind__exact=invoice")
    assert (queue.status_code, "INV-OPEN" in queue.content.decode()) == (200, True)


def test_an_empty_value_a_field_stores_still_filters(workspace: Workspace) -> None:
    """A routing rule's document kind is empty for "any kind": that value is one it has."""
    RoutingRule.objects.create(workspace=workspace, name="Any kind", document_kind="")
    RoutingRule.objects.create(workspace=workspace, name="Invoices", document_kind="invoice")
    client = client_for(workspace, Role.ADMIN)
    response = client.get("/admin/reconciliation/routingrule/?document_kind__exact=")
    page = response.content.decode()
    assert (response.status_code, "Any kind" in page, ">Invoices<" in page) == (200, True, False)
    _refused(client, INVOICES, "status__exact=")  # an invoice always has a status


def test_one_unknown_value_among_several_is_refused(workspace: Workspace) -> None:
    make_invoice(workspace, number="INV-OPEN")
    _refused(client_for(workspace), INVOICES, "status__in=needs_review,nonsense")


def test_django_own_parameters_and_a_custom_filter_value_are_left_alone(
    workspace: Workspace,
) -> None:
    make_match(workspace, kind=MatchKind.DOUBLE_CHARGE)
    make_sync_run(workspace, kind=SyncKind.MATCHING)
    client = client_for(workspace, Role.ADMIN)
    # The kind filter knows a kind the field does not store (its own value, its own check).
    assert client.get(f"{MATCHES}?kind__exact=credit_note_refund").status_code == 200
    assert client.get(f"{MATCHES}?status__exact={MatchStatus.PROPOSED}&o=-2&p=1").status_code == 200
    assert client.get("/admin/reconciliation/syncrun/?kind__exact=matching&q=x").status_code == 200
    decisions = f"/admin/reconciliation/decision/?action__exact={DecisionAction.APPROVE}"
    assert client.get(decisions).status_code == 200


def test_a_yes_no_field_given_neither_is_refused_as_django_refuses_it(
    workspace: Workspace,
) -> None:
    make_invoice(workspace, number="INV-OPEN")
    client = client_for(workspace)
    _refused(client, INVOICES, "is_held__exact=nonsense")
    assert client.get(f"{INVOICES}?is_held__exact=0").status_code == 200


def test_the_rule_reads_choices_through_relations_and_leaves_other_parameters() -> None:
    assert field_choices(Document, "invoice__status__exact") == frozenset(InvoiceStatus.values)
    assert field_choices(Decision, "action") == frozenset(DecisionAction.values)
    for other in ("o", "q", "_changelist_filters", "original_name", "kind__isnull", "invoice"):
        assert field_choices(Document, other) is None
    known_choices(Document, {"invoice__status__in": ["posted,refused"]}, owned=[])
    known_choices(Document, {"kind__exact": ["nonsense"]}, owned=["kind__exact"])
    with pytest.raises(IncorrectLookupParameters, match=r"^Unknown filter value 'nonsense'\.$"):
        known_choices(Document, {"invoice__status__in": ["posted,nonsense"]}, owned=[])
