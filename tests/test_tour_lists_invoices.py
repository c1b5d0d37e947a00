"""The invoices list as the README's tour reads it: filtered on posted to Qonto, by date, and
sorted by when each invoice was posted."""

from __future__ import annotations

from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from reconciliation.models import Invoice
from reconciliation.models import InvoiceStatus
from reconciliation.models import Role
from reconciliation.models import Workspace
from tests.factories import PASSWORD
from tests.factories import make_invoice
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def _listed(workspace: Workspace, query: dict[str, str]) -> tuple[list[int], Any]:
    client = Client()
    user = make_user(workspace=workspace, role=Role.REVIEWER)
    assert client.login(username=user.username, password=PASSWORD)
    response = client.get(reverse("admin:reconciliation_invoice_changelist"), query)
    assert response.status_code == 200
    changelist = response.context["cl"]
    return [row.pk for row in changelist.result_list], changelist


def _posted(workspace: Workspace, issued: date, posted: datetime) -> Invoice:
    invoice = make_invoice(workspace, status=InvoiceStatus.POSTED, issue_date=issued)
    Invoice.objects.filter(pk=invoice.pk).update(posted_at=posted)
    return invoice


def test_invoices_filter_by_issue_date(workspace: Workspace) -> None:
    march = make_invoice(workspace, issue_date=date(2024, 3, 10))
    november = make_invoice(workspace, issue_date=date(2024, 11, 2))
    make_invoice(workspace, issue_date=timezone.localdate())

    rows, changelist = _listed(workspace, {"issue_date_range": "2024"})
    assert set(rows) == {march.pk, november.pk}
    titles = [str(spec.title) for spec in changelist.filter_specs]
    assert "issue date" in titles
    assert "posted to Qonto" in titles
    rows, _ = _listed(workspace, {"issue_date_range": "2024-03"})
    assert rows == [march.pk]


def test_invoices_sort_by_posted_at_and_filter_by_it(workspace: Workspace) -> None:
    first = _posted(workspace, date(2026, 1, 5), datetime(2026, 2, 1, 9, tzinfo=UTC))
    last = _posted(workspace, date(2026, 1, 2), timezone.now())
    middle = _posted(workspace, date(2026, 1, 9), timezone.now() - timedelta(days=40))
    make_invoice(workspace)  # not posted

    _, changelist = _listed(workspace, {})
    column = changelist.list_display.index("posted_at")
    rows, _ = _listed(workspace, {"status__exact": "posted", "o": f"-{column}"})
    assert rows == [last.pk, middle.pk, first.pk]
    rows, _ = _listed(workspace, {"posted_at_range": "today"})
    assert rows == [last.pk]


def test_invoices_posted_at_column_is_labelled(workspace: Workspace) -> None:
    _posted(workspace, date(2026, 1, 5), timezone.now())
    client = Client()
    user = make_user(workspace=workspace, role=Role.REVIEWER)
    assert client.login(username=user.username, password=PASSWORD)
    response = client.get(reverse("admin:reconciliation_invoice_changelist"))
    assert 'class="sortable column-posted_at' in response.content.decode()
    assert ">Posted at</a>" in response.content.decode()
