"""Routing by the workspace thresholds: refused below 55, review below 85, approved from 85."""

from __future__ import annotations

from decimal import Decimal

import pytest

from reconciliation.invoices.routing import route_invoice
from reconciliation.invoices.scoring import Score
from reconciliation.invoices.scoring import ScoreComponent
from reconciliation.models import Decision
from reconciliation.models import DecisionAction
from reconciliation.models import Invoice
from reconciliation.models import InvoiceStatus
from reconciliation.models import Vendor
from reconciliation.models import Workspace
from tests.factories import make_document
from tests.factories import make_invoice
from tests.factories import make_trained_vendor

pytestmark = pytest.mark.django_db


def new_invoice(workspace: Workspace, vendor: Vendor | None = None) -> Invoice:
    return make_invoice(
        workspace,
        vendor=vendor or make_trained_vendor(workspace),
        status=InvoiceStatus.NEW,
        confidence=None,
    )


def scored(value: str, *components: ScoreComponent, blocking: tuple[str, ...] = ()) -> Score:
    return Score(value=Decimal(value), components=components, blocking=blocking)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param("54.90", InvoiceStatus.REFUSED, id="just_below_review_case"),
        pytest.param("54.99", InvoiceStatus.REFUSED, id="hair_below_review_case"),
        pytest.param("55.00", InvoiceStatus.NEEDS_REVIEW, id="review_threshold_case"),
        pytest.param("84.90", InvoiceStatus.NEEDS_REVIEW, id="just_below_auto_post_case"),
        pytest.param("84.99", InvoiceStatus.NEEDS_REVIEW, id="hair_below_auto_post_case"),
        pytest.param("85.00", InvoiceStatus.APPROVED, id="auto_post_threshold_case"),
        pytest.param("100.00", InvoiceStatus.APPROVED, id="perfect_case"),
    ],
)
def test_thresholds_at_the_boundaries(workspace: Workspace, value: str, expected: str) -> None:
    invoice = new_invoice(workspace)

    decision = route_invoice(invoice=invoice, score=scored(value))

    invoice.refresh_from_db()
    assert (decision.status, invoice.status, invoice.confidence) == (
        expected,
        expected,
        Decimal(value),
    )
    assert (decision.review_threshold, decision.auto_post_threshold, decision.rule) == (
        Decimal("55.00"),
        Decimal("85.00"),
        None,
    )


def test_reasons_name_the_threshold_and_a_decision_is_written(workspace: Workspace) -> None:
    invoice = new_invoice(workspace)
    weak = ScoreComponent(
        "field:currency", "Currency", 0.64, 0.9146, "64 %, read from the text", 8.2
    )

    route_invoice(invoice=invoice, score=scored("54.90", weak))

    invoice.refresh_from_db()
    assert invoice.routing_reasons == [
        "Confidence 54.90 % is below the review threshold 55 % (workspace).",
        "Cost 8.2 points — Currency: 64 %, read from the text.",
    ]
    assert (invoice.decided_by, invoice.routing_rule) == (None, None)
    decision = Decision.objects.get(invoice=invoice)
    assert (decision.action, decision.actor, decision.vendor_id, decision.document_id) == (
        DecisionAction.ROUTE,
        None,
        invoice.vendor_id,
        invoice.document_id,
    )
    assert decision.before == {"status": "new"}
    assert decision.after == {
        "status": "refused",
        "confidence": "54.90",
        "rule": None,
        "review_threshold": "55.00",
        "auto_post_threshold": "85.00",
        "reason_codes": ["below_review_threshold", "score_cost"],
    }
    assert decision.reason == " ".join(invoice.routing_reasons)


def test_workspace_thresholds_are_the_ones_used(workspace: Workspace) -> None:
    workspace.review_threshold = Decimal("40")
    workspace.auto_post_threshold = Decimal("95")
    workspace.save()
    low, mid = new_invoice(workspace), new_invoice(workspace)

    route_invoice(invoice=low, score=scored("45.00"))
    route_invoice(invoice=mid, score=scored("90.00"))

    assert (low.status, mid.status) == (InvoiceStatus.NEEDS_REVIEW, InvoiceStatus.NEEDS_REVIEW)
    assert mid.routing_reasons == [
        "Confidence 90 % is below the auto-post threshold 95 % (workspace)."
    ]


def test_a_vendor_in_training_goes_to_review_unless_turned_off(workspace: Workspace) -> None:
    learning = Vendor.objects.create(workspace=workspace, name="Newco", documents_reviewed=3)
    invoice = new_invoice(workspace, learning)

    route_invoice(invoice=invoice, score=scored("97.00"))

    assert invoice.status == InvoiceStatus.NEEDS_REVIEW
    assert invoice.routing_reasons == [
        "Vendor “Newco” is in training (3/10 reviewed).",
        "Confidence 97 % reaches the auto-post threshold 85 % (workspace).",
    ]

    workspace.review_vendors_in_training = False
    workspace.save()
    other = new_invoice(workspace, learning)
    route_invoice(invoice=other, score=scored("97.00"))

    assert other.status == InvoiceStatus.APPROVED


def test_blocking_reasons_and_a_weak_field_keep_an_invoice_in_review(
    workspace: Workspace,
) -> None:
    blocked, weak = new_invoice(workspace), new_invoice(workspace)
    shaky = ScoreComponent("field:issue_date", "Issue date", 0.8, 0.956, "80 %, read from the text")

    route_invoice(invoice=blocked, score=scored("90.00", blocking=("Total not found.",)))
    route_invoice(invoice=weak, score=scored("96.00", shaky))

    assert (blocked.status, weak.status) == (InvoiceStatus.NEEDS_REVIEW, InvoiceStatus.NEEDS_REVIEW)
    assert blocked.routing_reasons[0] == "Total not found."
    assert weak.routing_reasons[0] == (
        "Issue date was read with 80 % confidence, below the auto-post threshold 85 %."
    )


def test_a_scan_goes_to_review_even_with_a_low_score(workspace: Workspace) -> None:
    invoice = new_invoice(workspace)
    scan = Score(
        value=Decimal("17.20"),
        must_review=("No text layer: the document is a scan and needs a person.",),
        blocking=("No text layer.",),
    )

    route_invoice(invoice=invoice, score=scan)

    assert invoice.status == InvoiceStatus.NEEDS_REVIEW
    assert invoice.routing_reasons[-1] == (
        "No text layer: the document is a scan and needs a person."
    )


def test_a_held_invoice_is_never_approved_by_routing(workspace: Workspace) -> None:
    invoice = new_invoice(workspace)
    invoice.hold("possible double charge")

    route_invoice(invoice=invoice, score=scored("99.00"))

    assert invoice.status == InvoiceStatus.NEEDS_REVIEW
    assert invoice.routing_reasons[-1] == "Held: possible double charge"
    assert make_document(workspace).pk != invoice.document_id
