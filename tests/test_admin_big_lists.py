"""The big lists' filters and searches that replace per-row queries (reconciliation/admin/volume.py)
give the rows the admin's own would: by date, by operation type, a match found through any of
its relations."""

from __future__ import annotations

from datetime import date
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from reconciliation.admin.volume import OPERATION_TYPES
from reconciliation.admin.volume import EstimatedCountPaginator
from reconciliation.admin.volume import date_period
from reconciliation.admin.volume import search_related
from reconciliation.models import Document
from reconciliation.models import Match
from reconciliation.models import Role
from reconciliation.models import Transaction
from reconciliation.models import Workspace
from tests.factories import PASSWORD
from tests.factories import make_document
from tests.factories import make_invoice
from tests.factories import make_match
from tests.factories import make_transaction
from tests.factories import make_user
from tests.factories import make_vendor
from tests.factories import make_workspace

pytestmark = pytest.mark.django_db


def _client(workspace: Workspace) -> Client:
    client = Client()
    user = make_user(workspace=workspace, role=Role.REVIEWER)
    assert client.login(username=user.username, password=PASSWORD)
    return client


def _listed(client: Client, model: str, query: dict[str, str]) -> tuple[list[Any], Any]:
    response = client.get(reverse(f"admin:reconciliation_{model}_changelist"), query)
    assert response.status_code == 200
    changelist = response.context["cl"]
    return list(changelist.result_list), changelist


def _choices(changelist: Any, title: str) -> list[str]:
    spec = next(spec for spec in changelist.filter_specs if spec.title == title)
    return [str(label) for _, label in spec.lookup_choices]


def test_transactions_filter_by_year_then_month(workspace: Workspace) -> None:
    old = make_transaction(workspace, value_date=date(2024, 3, 10))
    later = make_transaction(workspace, value_date=date(2024, 11, 2), connection=old.connection)
    today = make_transaction(workspace, value_date=timezone.localdate(), connection=old.connection)
    client = _client(workspace)

    rows, changelist = _listed(client, "transaction", {})
    assert {row.pk for row in rows} == {old.pk, later.pk, today.pk}
    years = [str(year) for year in range(timezone.localdate().year, 2023, -1)]
    assert _choices(changelist, "value date") == [
        "Today",
        "Past 7 days",
        "This month",
        "This year",
        *years,
    ]

    rows, changelist = _listed(client, "transaction", {"value_date_range": "2024"})
    assert {row.pk for row in rows} == {old.pk, later.pk}
    assert "March 2024" in _choices(changelist, "value date")
    rows, _ = _listed(client, "transaction", {"value_date_range": "2024-03"})
    assert [row.pk for row in rows] == [old.pk]
    rows, _ = _listed(client, "transaction", {"value_date_range": "today"})
    assert [row.pk for row in rows] == [today.pk]


def test_documents_filter_by_day_received(workspace: Workspace) -> None:
    recent = make_document(workspace)
    old = make_document(workspace)
    Document.objects.filter(pk=old.pk).update(received_at=timezone.now() - timedelta(days=400))
    client = _client(workspace)

    rows, _ = _listed(client, "document", {"received_at_range": "today"})
    assert [row.pk for row in rows] == [recent.pk]
    last_year = str(timezone.localdate(timezone.now() - timedelta(days=400)).year)
    rows, _ = _listed(client, "document", {"received_at_range": last_year})
    assert [row.pk for row in rows] == [old.pk]


def test_operation_types_are_listed_without_reading_the_rows(workspace: Workspace) -> None:
    card = make_transaction(workspace, operation_type="card")
    make_transaction(workspace, operation_type="transfer", connection=card.connection)
    odd = make_transaction(workspace, operation_type="sepa_instant", connection=card.connection)
    client = _client(workspace)

    rows, changelist = _listed(client, "transaction", {"operation_type__exact": "card"})
    assert [row.pk for row in rows] == [card.pk]
    assert _choices(changelist, "operation type") == list(OPERATION_TYPES.values())
    # A type Qonto adds later still filters when named in the address.
    rows, changelist = _listed(client, "transaction", {"operation_type__exact": "sepa_instant"})
    assert [row.pk for row in rows] == [odd.pk]
    assert _choices(changelist, "operation type")[-1] == "sepa_instant"


def test_match_search_finds_a_match_through_each_relation(workspace: Workspace) -> None:
    invoice = make_invoice(workspace, number="INV-7781")
    by_number = make_match(workspace, invoice=invoice)
    by_document = make_match(workspace, document=make_document(workspace, original_name="x.pdf"))
    by_counterparty = make_match(
        workspace, transaction=make_transaction(workspace, counterparty_name="Porto Lda")
    )
    by_reference = make_match(
        workspace,
        transaction=make_transaction(
            workspace, counterparty_name="Someone", reference="Porto invoice 12"
        ),
    )
    client = _client(workspace)

    def found(term: str) -> set[int]:
        rows, _ = _listed(client, "match", {"q": term})
        return {row.pk for row in rows}

    assert found("inv-7781") == {by_number.pk}
    assert found("X.PDF") == {by_document.pk}
    assert found("porto") == {by_counterparty.pk, by_reference.pk}
    assert found("porto 12") == {by_reference.pk}  # every word, each in some field
    assert found('"invoice 12"') == {by_reference.pk}
    assert found("nowhere") == set()


def test_match_search_reads_only_the_readers_workspaces(workspace: Workspace) -> None:
    ours = make_match(workspace, transaction=make_transaction(workspace, reference="Porto 1"))
    other = make_workspace()
    theirs = make_match(other, transaction=make_transaction(other, reference="Porto 2"))
    fields = ["transaction__reference"]

    everywhere = search_related(Match.objects.all(), "porto", fields)
    narrowed = search_related(Match.objects.all(), "porto", fields, [workspace.pk])

    assert {match.pk for match in everywhere} == {ours.pk, theirs.pk}
    assert [match.pk for match in narrowed] == [ours.pk]


@pytest.mark.parametrize(
    ("value", "period"),
    [
        ("today", (date(2026, 12, 31), date(2027, 1, 1))),
        ("7d", (date(2026, 12, 25), date(2027, 1, 1))),
        ("month", (date(2026, 12, 1), date(2027, 1, 1))),
        ("year", (date(2026, 1, 1), date(2027, 1, 1))),
        ("2024", (date(2024, 1, 1), date(2025, 1, 1))),
        ("2024-02", (date(2024, 2, 1), date(2024, 3, 1))),
        ("2024-13", None),
        ("20x4", None),
        ("", None),
    ],
)
def test_date_periods(value: str, period: tuple[date, date] | None) -> None:
    assert date_period(value, date(2026, 12, 31)) == period


def test_vendor_filter_offers_the_vendors_of_listed_invoices(workspace: Workspace) -> None:
    used = make_vendor(workspace, name="Used GmbH")
    make_vendor(workspace, name="Idle GmbH")
    other = make_workspace()
    make_invoice(other, vendor=make_vendor(other, name="Elsewhere SA"))
    make_invoice(workspace, vendor=used)
    client = _client(workspace)

    _, changelist = _listed(client, "invoice", {})
    assert _choices(changelist, "vendor") == ["Used GmbH"]
    rows, _ = _listed(client, "invoice", {"vendor__id__exact": str(used.pk)})
    assert [row.vendor_id for row in rows] == [used.pk]


def test_lists_are_counted_exactly_up_to_the_limit_then_at_least_to_it(
    workspace: Workspace,
) -> None:
    first = make_transaction(workspace)
    for _ in range(5):
        make_transaction(workspace, connection=first.connection)
    rows = Transaction.objects.filter(workspace=workspace).order_by("-value_date", "-id")

    class UpToThree(EstimatedCountPaginator):
        exact_up_to = 3

    assert EstimatedCountPaginator(rows, 100).count == 6
    assert UpToThree(rows, 100).count >= 4  # PostgreSQL's estimate, never below what was seen
