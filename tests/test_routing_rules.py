"""Routing rules override the workspace thresholds; changes re-route undecided invoices."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from reconciliation.invoices.routing import record_rule_change
from reconciliation.invoices.routing import record_threshold_change
from reconciliation.invoices.routing import reroute_undecided
from reconciliation.invoices.routing import route_invoice
from reconciliation.invoices.routing import rule_snapshot
from reconciliation.invoices.routing import threshold_values
from reconciliation.invoices.scoring import Score
from reconciliation.models import Decision
from reconciliation.models import DecisionAction
from reconciliation.models import DocumentKind
from reconciliation.models import Invoice
from reconciliation.models import InvoiceStatus
from reconciliation.models import RoutingRule
from reconciliation.models import Vendor
from reconciliation.models import Workspace
from tests.factories import make_document
from tests.factories import make_invoice
from tests.factories import make_trained_vendor
from tests.factories import make_user
from tests.factories import make_workspace
from tests.helpers import logged_in_client

pytestmark = pytest.mark.django_db


def trained(workspace: Workspace, name: str = "Acme") -> Vendor:
    return make_trained_vendor(workspace, name, reviewed=12)


def routed(
    workspace: Workspace, value: str, *, vendor: Vendor | None = None, **fields: Any
) -> Invoice:
    kind = fields.pop("kind", DocumentKind.INVOICE)
    invoice = make_invoice(
        workspace,
        document=make_document(workspace, kind=kind),
        vendor=vendor or trained(workspace, f"Vendor {value}"),
        status=InvoiceStatus.NEW,
        confidence=None,
        **fields,
    )
    route_invoice(invoice=invoice, score=Score(value=Decimal(value)))
    return invoice


def rule(workspace: Workspace, name: str, priority: int, **fields: object) -> RoutingRule:
    return RoutingRule.objects.create(workspace=workspace, name=name, priority=priority, **fields)


def test_the_first_matching_active_rule_by_priority_wins(workspace: Workspace) -> None:
    acme = trained(workspace)
    rule(
        workspace,
        "Disabled",
        1,
        vendor=acme,
        is_active=False,
        review_threshold=Decimal(10),
        auto_post_threshold=Decimal(50),
    )
    strict = rule(
        workspace, "Big invoices", 10, amount_above=Decimal("1000"), auto_post_threshold=Decimal(95)
    )
    lenient = rule(
        workspace,
        "Acme",
        20,
        vendor=acme,
        review_threshold=Decimal(30),
        auto_post_threshold=Decimal(70),
    )

    big = routed(workspace, "90.00", vendor=acme, total_amount=Decimal("1500.00"))
    small = routed(workspace, "75.00", vendor=acme, total_amount=Decimal("200.00"))

    assert (big.status, big.routing_rule) == (InvoiceStatus.NEEDS_REVIEW, strict)
    # What sends it to review first, the rule that set the thresholds after.
    assert big.routing_reasons == [
        f"Confidence 90 % is below the auto-post threshold 95 % (rule “Big invoices” "
        f"(#{strict.pk}, priority 10)).",
        "Routing rule “Big invoices” applies: thresholds 55 % / 95 %.",
    ]
    assert (small.status, small.routing_rule) == (InvoiceStatus.APPROVED, lenient)


@pytest.mark.parametrize(
    ("criteria", "invoice_fields", "applies"),
    [
        pytest.param({"currency": "USD"}, {"currency": "USD"}, True, id="currency_case"),
        pytest.param({"currency": "USD"}, {"currency": "EUR"}, False, id="other_currency_case"),
        pytest.param(
            {"document_kind": DocumentKind.CREDIT_NOTE},
            {"kind": DocumentKind.CREDIT_NOTE},
            True,
            id="kind_case",
        ),
        pytest.param({"document_kind": DocumentKind.CREDIT_NOTE}, {}, False, id="other_kind_case"),
        pytest.param(
            {"amount_above": Decimal("119.00")},
            {"total_amount": Decimal("119.00")},
            False,
            id="amount_equal_is_not_above_case",
        ),
        pytest.param(
            {"amount_above": Decimal("500"), "currency": "USD"},
            {"total_amount": Decimal("600"), "currency": "USD"},
            True,
            id="all_criteria_case",
        ),
        pytest.param(
            {"amount_above": Decimal("500")},
            {"total_amount": Decimal("90"), "currency": "USD", "converted_amount": Decimal("600")},
            True,
            id="converted_amount_case",
        ),
        pytest.param({}, {}, True, id="catch_all_case"),
    ],
)
def test_rule_criteria(
    workspace: Workspace,
    criteria: dict[str, Any],
    invoice_fields: dict[str, Any],
    applies: bool,
) -> None:
    always = rule(workspace, "Review these", 5, always_review=True, **criteria)

    invoice = routed(workspace, "99.00", **invoice_fields)

    assert invoice.routing_rule == (always if applies else None)
    assert invoice.status == (InvoiceStatus.NEEDS_REVIEW if applies else InvoiceStatus.APPROVED)
    if applies:
        assert invoice.routing_reasons[0] == "Routing rule “Review these” always sends to review."


def test_rules_of_another_workspace_do_not_apply(workspace: Workspace) -> None:
    rule(make_workspace("Other"), "Everything to review", 1, always_review=True)

    invoice = routed(workspace, "99.00")

    assert (invoice.status, invoice.routing_rule) == (InvoiceStatus.APPROVED, None)


def test_a_threshold_change_is_logged_and_reroutes_undecided_invoices(workspace: Workspace) -> None:
    admin = make_user("boss", superuser=True)
    waiting = routed(workspace, "80.00")
    auto_approved = routed(workspace, "88.00")
    auto_refused = routed(workspace, "50.00")
    person_approved = routed(workspace, "70.00")
    person_approved.approve(admin, "looked fine")
    person_approved.save()
    Decision.objects.create(
        workspace=workspace,
        action=DecisionAction.APPROVE,
        actor_id=admin.pk,
        invoice=person_approved,
    )
    posted = routed(workspace, "90.00")
    posted.mark_as_posting("worker", posted.created_at)
    posted.save()
    before = threshold_values(workspace)

    workspace.review_threshold = Decimal("45")
    workspace.auto_post_threshold = Decimal("90")
    workspace.save()
    result = record_threshold_change(workspace=workspace, user=admin, before=before)

    assert result.moved == {"approved->needs_review": 1, "refused->needs_review": 1}
    assert result.examined == 3
    for invoice in (waiting, auto_approved, auto_refused, person_approved, posted):
        invoice.refresh_from_db()
    assert [i.status for i in (waiting, auto_approved, auto_refused, person_approved, posted)] == [
        InvoiceStatus.NEEDS_REVIEW,
        InvoiceStatus.NEEDS_REVIEW,
        InvoiceStatus.NEEDS_REVIEW,
        InvoiceStatus.APPROVED,
        InvoiceStatus.POSTING,
    ]
    assert waiting.routing_reasons == [
        "Confidence 80 % is below the auto-post threshold 90 % (workspace)."
    ]
    change = Decision.objects.get(action=DecisionAction.THRESHOLDS)
    assert (change.actor, change.before, change.after) == (
        admin,
        {"review_threshold": "55.00", "auto_post_threshold": "85.00"},
        {"review_threshold": "45.00", "auto_post_threshold": "90.00"},
    )
    assert change.reason == ("review_threshold: 55.00 → 45.00; auto_post_threshold: 85.00 → 90.00")


def test_lowering_the_auto_post_threshold_approves_waiting_invoices(workspace: Workspace) -> None:
    waiting = routed(workspace, "80.00")
    workspace.auto_post_threshold = Decimal("80")
    workspace.save()

    result = reroute_undecided(workspace=workspace)

    waiting.refresh_from_db()
    assert (result.changed, waiting.status) == (1, InvoiceStatus.APPROVED)
    assert list(
        Decision.objects.filter(invoice=waiting)
        .order_by("pk")
        .values_list("after__status", flat=True)
    ) == ["needs_review", "approved"]


def test_an_unchanged_threshold_logs_nothing(workspace: Workspace) -> None:
    before = threshold_values(workspace)

    result = record_threshold_change(workspace=workspace, user=None, before=before)

    assert (result.examined, result.changed) == (0, 0)
    assert not Decision.objects.filter(action=DecisionAction.THRESHOLDS).exists()


def test_a_new_rule_is_logged_and_applied_to_undecided_invoices(workspace: Workspace) -> None:
    vendor = trained(workspace)
    waiting = routed(workspace, "75.00", vendor=vendor)
    lenient = rule(workspace, "Trusted", 1, vendor=vendor, auto_post_threshold=Decimal(70))

    result = record_rule_change(
        workspace=workspace, user=None, before=None, after=rule_snapshot(lenient)
    )

    waiting.refresh_from_db()
    assert (result.changed, waiting.status, waiting.routing_rule) == (
        1,
        InvoiceStatus.APPROVED,
        lenient,
    )
    logged = Decision.objects.get(action=DecisionAction.RULE)
    assert (logged.before, logged.after["name"], logged.reason) == (
        {},
        "Trusted",
        "Routing rule “Trusted” created.",
    )


def test_a_rule_snapshot_records_its_settings_and_nothing_else(workspace: Workspace) -> None:
    """The log records a rule's id and each setting its page lets a superuser change, in the
    page's order: a field added to routing rules is a setting it records unless told otherwise."""
    big = rule(workspace, "Big invoices", 3, amount_above=Decimal("5000"))
    page = logged_in_client(make_user(superuser=True)).get(
        reverse("admin:reconciliation_routingrule_change", args=[big.pk])
    )

    snapshot = rule_snapshot(big)

    assert list(snapshot) == ["id", *page.context["adminform"].form.fields]
    assert (snapshot["name"], snapshot["amount_above"]) == ("Big invoices", "5000")
