from __future__ import annotations

import uuid

import pytest

from reconciliation.models import (
    AppendOnlyError,
    Decision,
    DecisionAction,
    PostAttempt,
    PostOutcome,
    Workspace,
)
from tests.factories import make_invoice

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
    decision = Decision.objects.create(
        workspace=workspace, action=DecisionAction.APPROVE, reason="ok"
    )
    decision.reason = "changed"
    with pytest.raises(AppendOnlyError):
        decision.save()
    with pytest.raises(AppendOnlyError):
        Decision.objects.all().delete()
    assert Decision.objects.get(pk=decision.pk).reason == "ok"
