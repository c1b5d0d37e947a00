"""Superusers change a workspace's thresholds; the change is logged and re-routes open work."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from reconciliation.models import Decision
from reconciliation.models import DecisionAction
from reconciliation.models import InvoiceStatus
from reconciliation.models import Role
from reconciliation.models import Workspace
from tests.factories import make_invoice
from tests.factories import make_user
from tests.helpers import logged_in_client

pytestmark = pytest.mark.django_db


def _form(workspace: Workspace, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": workspace.name,
        "slug": workspace.slug,
        "home_currency": workspace.home_currency,
        "data_region": workspace.data_region,
        "review_threshold": workspace.review_threshold,
        "auto_post_threshold": workspace.auto_post_threshold,
        "match_threshold": workspace.match_threshold,
        "qonto_link_threshold": workspace.qonto_link_threshold,
        "vat_id": workspace.vat_id,
        "review_vendors_in_training": "",
        "poll_interval_minutes": workspace.poll_interval_minutes,
        "max_syncs_per_hour": workspace.max_syncs_per_hour,
        "match_days_before": workspace.match_days_before,
        "match_days_after": workspace.match_days_after,
        "fx_tolerance_percent": workspace.fx_tolerance_percent,
        "memberships-TOTAL_FORMS": "0",
        "memberships-INITIAL_FORMS": "0",
    }
    data.update(changes)
    return data


@pytest.mark.postgres
def test_threshold_change_is_logged_and_reroutes(workspace: Workspace) -> None:
    Workspace.objects.filter(pk=workspace.pk).update(review_vendors_in_training=False)
    workspace.refresh_from_db()
    invoice = make_invoice(workspace, status=InvoiceStatus.NEEDS_REVIEW, confidence=Decimal("80"))
    admin = make_user("root", superuser=True)
    client = logged_in_client(admin)
    response = client.post(
        reverse("admin:reconciliation_workspace_change", args=[workspace.pk]),
        _form(workspace, auto_post_threshold="75.00"),
        follow=True,
    )
    assert response.status_code == 200
    assert b"undecided invoice(s) routed again" in response.content
    decision = Decision.objects.get(action=DecisionAction.THRESHOLDS)
    assert (decision.actor, decision.before, decision.after) == (
        admin,
        {"auto_post_threshold": "85.00"},
        {"auto_post_threshold": "75.00"},
    )
    invoice.refresh_from_db()
    assert invoice.status in (InvoiceStatus.APPROVED, InvoiceStatus.NEEDS_REVIEW)
    assert Decision.objects.filter(invoice=invoice, action=DecisionAction.ROUTE).exists()


def test_review_threshold_above_auto_post_is_refused(workspace: Workspace) -> None:
    admin = make_user("root", superuser=True)
    client = logged_in_client(admin)
    response = client.post(
        reverse("admin:reconciliation_workspace_change", args=[workspace.pk]),
        _form(workspace, review_threshold="90.00", auto_post_threshold="85.00"),
    )
    assert response.status_code == 200
    assert b"must not exceed the auto-post one" in response.content
    workspace.refresh_from_db()
    assert workspace.review_threshold == Decimal("55.00")
    assert not Decision.objects.filter(action=DecisionAction.THRESHOLDS).exists()


def test_workspace_admins_cannot_change_thresholds(workspace: Workspace) -> None:
    member = make_user("boss", workspace=workspace, role=Role.ADMIN)
    client = logged_in_client(member)
    response = client.post(
        reverse("admin:reconciliation_workspace_change", args=[workspace.pk]),
        _form(workspace, auto_post_threshold="10.00"),
    )
    assert response.status_code == 403
    workspace.refresh_from_db()
    assert workspace.auto_post_threshold == Decimal("85.00")
