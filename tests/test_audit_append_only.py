from __future__ import annotations

import uuid
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from reconciliation.models import AppendOnlyError
from reconciliation.models import Decision
from reconciliation.models import DecisionAction
from reconciliation.models import PostAttempt
from reconciliation.models import PostOutcome
from reconciliation.models import Workspace
from tests.factories import make_invoice
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def _attempt(workspace: Workspace) -> PostAttempt:
    invoice = make_invoice(workspace)
    return PostAttempt.objects.create(
        workspace=workspace,
        invoice=invoice,
        batch_id=uuid.uuid4(),
        idempotency_key=invoice.idempotency_key,
        request_summary={"files": 1},
    )


def test_attempt_finishes_once(workspace: Workspace) -> None:
    attempt = _attempt(workspace)
    attempt.finish(outcome=PostOutcome.POSTED, http_status=200, qonto_id="si-1")
    stored = PostAttempt.objects.get(pk=attempt.pk)
    assert (stored.outcome, stored.http_status, stored.qonto_id) == (
        PostOutcome.POSTED,
        200,
        "si-1",
    )
    assert stored.finished_at is not None
    assert stored.duration_ms is not None
    with pytest.raises(AppendOnlyError):
        attempt.finish(outcome=PostOutcome.REJECTED)
    assert PostAttempt.objects.get(pk=attempt.pk).outcome == PostOutcome.POSTED


def test_finished_attempt_cannot_be_saved_or_deleted(workspace: Workspace) -> None:
    attempt = _attempt(workspace)
    attempt.finish(outcome=PostOutcome.TRANSIENT, http_status=503)
    attempt.error_detail = "rewritten"
    with pytest.raises(AppendOnlyError):
        attempt.save()
    with pytest.raises(AppendOnlyError):
        attempt.delete()
    with pytest.raises(AppendOnlyError):
        PostAttempt.objects.filter(pk=attempt.pk).delete()
    with pytest.raises(AppendOnlyError):
        PostAttempt.objects.filter(pk=attempt.pk).update(outcome=PostOutcome.POSTED)
    assert PostAttempt.objects.get(pk=attempt.pk).error_detail == ""


def test_decisions_are_never_rewritten(workspace: Workspace) -> None:
    decision = Decision.record(
        workspace=workspace, action=DecisionAction.APPROVE, actor=None, reason="ok"
    )
    decision.reason = "changed"
    with pytest.raises(AppendOnlyError):
        decision.save()
    with pytest.raises(AppendOnlyError):
        Decision.objects.all().delete()
    assert Decision.objects.get(pk=decision.pk).reason == "ok"


def test_decision_record_links_rows_and_stores_plain_values(workspace: Workspace) -> None:
    invoice = make_invoice(workspace)
    user = make_user(workspace=workspace)
    decision = Decision.record(
        workspace=workspace.pk,
        action=DecisionAction.EDIT,
        actor=user,
        invoice=invoice,
        document=invoice.document_id,
        before={"total_amount": Decimal("10.50"), "issue_date": date(2026, 3, 1)},
        after={"total_amount": Decimal("10.05"), "issue_date": None},
        reason="Corrected total_amount.",
    )
    stored = Decision.objects.get(pk=decision.pk)
    assert (stored.workspace_id, stored.actor_id, stored.invoice_id, stored.document_id) == (
        workspace.pk,
        user.pk,
        invoice.pk,
        invoice.document_id,
    )
    assert stored.match_id is None
    assert stored.before == {"total_amount": "10.50", "issue_date": "2026-03-01"}
    assert stored.after == {"total_amount": "10.05", "issue_date": None}
    assert decision.before == stored.before


def test_decision_record_without_actor_is_wells_own(workspace: Workspace) -> None:
    decision = Decision.record(workspace=workspace, action=DecisionAction.ROUTE, actor=None)
    assert (decision.actor_id, decision.before, decision.after, str(decision)) == (
        None,
        {},
        {},
        "Routed automatically by Well",
    )


def test_decisions_are_written_in_one_place() -> None:
    """Every Decision row of the product goes through Decision.record."""
    root = Path(__file__).resolve().parent.parent / "reconciliation"
    writers = [
        f"{path.relative_to(root)}:{number}"
        for path in sorted(root.rglob("*.py"))
        if "migrations" not in path.parts
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if "Decision.objects.create(" in line or "Decision.objects.bulk_create(" in line
    ]
    assert writers == []


def test_a_decision_of_the_past_is_dated_once_when_written(workspace: Workspace) -> None:
    """A `dated` block (seeding and tests only) dates a decision when it was decided; it is
    still inserted once and never changed."""
    moment = datetime(2026, 3, 2, 10, tzinfo=UTC)
    with Decision.dated(moment):
        decision = Decision.record(
            workspace=workspace, action=DecisionAction.APPROVE, actor=None, reason="ok"
        )
    assert Decision.objects.get(pk=decision.pk).created_at == moment
    decision.created_at = timezone.now()
    with pytest.raises(AppendOnlyError):
        decision.save()
    with pytest.raises(AppendOnlyError):
        Decision.objects.filter(pk=decision.pk).update(created_at=timezone.now())
    assert Decision.objects.get(pk=decision.pk).created_at == moment


def test_decisions_recorded_in_a_dated_block_are_dated_by_it(workspace: Workspace) -> None:
    """Whatever code path records them (here record_for_invoice); an inner block's moment
    wins, and after the blocks decisions are dated when written again."""
    invoice = make_invoice(workspace)
    moment = datetime(2026, 3, 2, 9, tzinfo=UTC)
    later = moment + timedelta(hours=9)
    with Decision.dated(moment):
        routed = Decision.record_for_invoice(invoice, DecisionAction.ROUTE, actor=None)
        with Decision.dated(later):
            posted = Decision.record_for_invoice(invoice, DecisionAction.POST, actor=None)
    live = Decision.record_for_invoice(invoice, DecisionAction.HOLD, actor=None)
    assert (routed.created_at, posted.created_at) == (moment, later)
    assert timezone.now() - live.created_at < timedelta(minutes=1)


@pytest.mark.parametrize(
    ("moment", "refusal"),
    [
        (datetime(2026, 3, 2, 10), "needs its time zone"),
        (timezone.now() + timedelta(hours=1), "dated after it is written"),
    ],
    ids=["naive", "future"],
)
def test_a_decision_is_never_dated_without_its_zone_or_in_the_future(
    workspace: Workspace, moment: datetime, refusal: str
) -> None:
    with pytest.raises(ValueError, match=refusal), Decision.dated(moment):
        Decision.record(workspace=workspace, action=DecisionAction.ROUTE, actor=None)
    assert not Decision.objects.exists()
