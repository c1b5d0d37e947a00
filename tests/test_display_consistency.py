"""One way to show a thing across the admin: the match status filter's short refused label,
the review screen's dates, the decisions' percentages, the export form's "Select all" label and
the document page's status."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth.models import AbstractUser
from django.urls import reverse

from reconciliation.admin.decision_display import changes
from reconciliation.admin.decision_display import percent
from reconciliation.models import Decision
from reconciliation.models import DecisionAction
from reconciliation.models import MatchKind
from reconciliation.models import MatchStatus
from reconciliation.models import Role
from reconciliation.models import Workspace
from tests.factories import make_invoice
from tests.factories import make_match
from tests.factories import make_user
from tests.helpers import logged_in_client

pytestmark = pytest.mark.django_db


def _reviewer(workspace: Workspace) -> AbstractUser:
    return make_user(workspace=workspace, role=Role.REVIEWER)


def test_the_match_status_filter_names_refused_in_few_words(workspace: Workspace) -> None:
    make_match(workspace, kind=MatchKind.DOUBLE_CHARGE, status=MatchStatus.REFUSED)
    client = logged_in_client(_reviewer(workspace))
    response = client.get(reverse("admin:reconciliation_match_changelist"))
    changelist = response.context["cl"]
    offered = [
        str(choice["display"])
        for spec in changelist.filter_specs
        if getattr(spec, "field_path", "") == "status"
        for choice in spec.choices(changelist)
    ]
    assert "Refused / refund requested" in offered
    assert not any("(double charge) /" in label for label in offered)


def test_decisions_write_percentages_as_the_lists_and_pages_do() -> None:
    rows = changes(
        {"confidence": "94.8", "review_threshold": "55.00", "score": "87"},
        {"confidence": "97.72", "review_threshold": "60.5", "score": "100.00"},
    )
    shown = {row.label: (row.before, row.after) for row in rows}
    assert shown["Confidence"] == (percent(Decimal("94.8")), "97.72 %") == ("94.80 %", "97.72 %")
    assert shown["Review threshold"] == ("55 %", "60.50 %")
    assert shown["Score"] == ("87 %", "100 %")


def test_the_review_history_and_the_invoice_list_agree_on_a_confidence(
    workspace: Workspace,
) -> None:
    invoice = make_invoice(workspace, confidence=Decimal("94.80"))
    Decision.record_for_invoice(
        invoice,
        DecisionAction.ROUTE,
        actor=None,
        before={"status": "new"},
        after={"status": "needs_review", "confidence": "94.80"},
        reason="routed",
    )
    client = logged_in_client(make_user(superuser=True))
    screen = client.get(
        reverse("admin:reconciliation-review-document", args=[invoice.document_id])
    ).content.decode()
    listed = client.get(reverse("admin:reconciliation_invoice_changelist")).content.decode()
    assert "Confidence: — → 94.80 %" in screen
    assert "94.80 %" in listed
    assert "94.8 %" not in screen
