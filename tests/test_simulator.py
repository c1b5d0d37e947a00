from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from reconciliation.invoices.routing import decide_route
from reconciliation.invoices.scoring import Score
from reconciliation.invoices.simulator import Candidate
from reconciliation.invoices.simulator import simulate
from reconciliation.models import Decision
from reconciliation.models import DecisionAction
from reconciliation.models import Invoice
from reconciliation.models import InvoiceStatus
from reconciliation.models import Role
from reconciliation.models import RoutingRule
from reconciliation.models import Vendor
from reconciliation.models import Workspace
from tests.factories import make_invoice
from tests.factories import make_user
from tests.factories import make_vendor
from tests.factories import make_workspace
from tests.helpers import logged_in_client

pytestmark = pytest.mark.django_db


def _components(field_confidence: float) -> dict[str, object]:
    return {
        "components": [
            {
                "key": "field:total_amount",
                "label": "Total",
                "value": field_confidence,
                "factor": 1,
                "detail": "read",
                "points": 0,
            }
        ]
    }


def _seed(workspace: Workspace) -> tuple[Vendor, Vendor]:
    """40 decided invoices of a trained vendor at 50, 60, …, 95 (four each), 10 of a vendor in
    training at 90, two still waiting for review, and one decided 200 days ago."""
    trained = make_vendor(workspace, "Trained GmbH", documents_reviewed=12)
    learning = make_vendor(workspace, "New Supplier SAS", documents_reviewed=2)
    reviewer = make_user("ana", workspace=workspace)
    for step, confidence in enumerate(range(50, 100, 5)):
        for copy in range(4):
            status = InvoiceStatus.POSTED if confidence >= 85 else InvoiceStatus.REFUSED
            invoice = make_invoice(
                workspace,
                vendor=trained,
                confidence=Decimal(confidence),
                confidence_components=_components(0.99),
                status=status,
            )
            if copy == 0 and step % 2 == 0:
                # A person corrected a field of one invoice at 50, 60, 70, 80 and 90.
                Decision.record(
                    workspace=workspace,
                    action=DecisionAction.EDIT,
                    actor=reviewer,
                    invoice=invoice,
                    after={"total_amount": "120.00", "vendor": {"iban": "x"}},
                )
    for _ in range(10):
        make_invoice(
            workspace,
            vendor=learning,
            confidence=Decimal(90),
            confidence_components=_components(0.99),
            status=InvoiceStatus.APPROVED,
        )
    for _ in range(2):
        make_invoice(workspace, vendor=trained, confidence=Decimal(95))  # undecided
    old = make_invoice(workspace, vendor=trained, confidence=Decimal(95), status="posted")
    Invoice.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=200))
    # Well's own corrections are no reviewer's.
    Decision.record(
        workspace=workspace, action=DecisionAction.EDIT, actor=None, invoice=old, after={"x": 1}
    )
    return trained, learning


def _direct_replay(workspace: Workspace, review: str, auto_post: str) -> dict[str, int]:
    """Every decided invoice of the last 90 days, read back whole, through decide_route."""
    counts = {"approved": 0, "needs_review": 0, "refused": 0}
    rules = list(RoutingRule.objects.for_workspace(workspace).active())
    for invoice in Invoice.objects.filter(
        workspace=workspace,
        status__in=["refused", "approved", "posted"],
        created_at__gte=timezone.now() - timedelta(days=90),
    ).select_related("document", "vendor", "workspace"):
        invoice.workspace.review_threshold = Decimal(review)
        invoice.workspace.auto_post_threshold = Decimal(auto_post)
        status = decide_route(invoice=invoice, score=Score.from_invoice(invoice), rules=rules)
        counts[status.status] += 1
    return counts


def test_simulator_counts_equal_a_direct_replay_on_a_seeded_history() -> None:
    workspace = make_workspace(review_threshold=Decimal(55), auto_post_threshold=Decimal(85))
    _seed(workspace)

    result = simulate(workspace, Candidate(Decimal(65), Decimal(75)), days=90)

    direct = _direct_replay(workspace, "65", "75")
    assert (result.candidate.auto_posted, result.candidate.reviewed, result.candidate.refused) == (
        direct["approved"],
        direct["needs_review"],
        direct["refused"],
    )
    assert result.documents == 50
    # Trained vendor: 75..95 (five steps of four) auto-post; 65, 70 review; 50, 55, 60 refused.
    # The vendor in training always goes to review.
    assert (result.candidate.auto_posted, result.candidate.reviewed, result.candidate.refused) == (
        20,
        18,
        12,
    )
    assert (result.current.auto_posted, result.current.reviewed, result.current.refused) == (
        12,
        34,
        4,
    )
    # Corrected would-be auto-posts: the ones at 80 and 90 (candidate); 90 only (saved).
    assert result.candidate.corrected == 2
    assert result.candidate.corrected_fields == {"total_amount": 2}
    assert result.candidate.error_rate == Decimal("10.0")
    assert result.current.corrected == 1
    assert result.moved == {"needs_review->approved": 8, "needs_review->refused": 8}


def test_simulator_training_policy_and_candidate_rule() -> None:
    workspace = make_workspace(review_threshold=Decimal(55), auto_post_threshold=Decimal(85))
    trained, _learning = _seed(workspace)

    off = simulate(workspace, Candidate(Decimal(55), Decimal(85), review_vendors_in_training=False))
    assert off.candidate.auto_posted == 22  # the ten at 90 of the vendor in training join
    assert off.moved == {"needs_review->approved": 10}

    strict = RoutingRule(
        workspace=workspace, name="Trained vendor to review", vendor=trained, always_review=True
    )
    ruled = simulate(workspace, Candidate(Decimal(55), Decimal(85), rule=strict))
    assert (ruled.candidate.auto_posted, ruled.candidate.reviewed, ruled.candidate.refused) == (
        0,
        46,
        4,
    )
    assert not RoutingRule.objects.exists()  # nothing saved


def test_simulator_looks_back_the_chosen_period_only() -> None:
    workspace = make_workspace()
    _seed(workspace)

    year = simulate(workspace, Candidate(Decimal(55), Decimal(85)), days=365)

    assert year.documents == 51
    assert year.candidate.auto_posted == 13
    assert year.candidate.corrected == 1  # Well's own edit of the old one does not count


def test_simulator_page_shows_the_replay_to_superusers_only() -> None:
    workspace = make_workspace(review_threshold=Decimal(55), auto_post_threshold=Decimal(85))
    _seed(workspace)
    url = f"/admin/reconciliation/workspace/{workspace.pk}/simulator/"
    admin = logged_in_client(make_user("root", superuser=True))
    boss = make_user("boss", workspace=workspace, role=Role.ADMIN)
    member = logged_in_client(boss)

    form = {"review_threshold": "65", "auto_post_threshold": "75", "days": "90"}
    page = admin.post(url, {**form, "review_vendors_in_training": "on"})

    assert page.status_code == 200
    assert page.context["result"].candidate.auto_posted == 20
    assert ("Auto-posted", 12, 20) in page.context["rows"]
    assert ("… corrected total_amount", 1, 2) in page.context["rows"]
    assert b"Threshold simulator" in page.content
    assert page.context["moves"] == [("Review → Auto-posted", 8), ("Review → Refused", 8)]
    assert member.get(url).status_code == 403
    change = admin.get(f"/admin/reconciliation/workspace/{workspace.pk}/change/")
    assert url.encode() in change.content
    workspace.refresh_from_db()
    assert workspace.auto_post_threshold == Decimal(85)  # nothing saved
