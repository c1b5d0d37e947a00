from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from reconciliation.models import Connection
from reconciliation.models import ConnectionStatus
from reconciliation.models import DocumentStatus
from reconciliation.models import IllegalTransitionError
from reconciliation.models import InvoiceStatus
from reconciliation.models import MatchKind
from reconciliation.models import MatchStatus
from reconciliation.models import Provider
from reconciliation.models import Workspace
from tests.factories import make_connection
from tests.factories import make_document
from tests.factories import make_invoice
from tests.factories import make_match
from tests.factories import make_user

pytestmark = pytest.mark.django_db

S = InvoiceStatus


@pytest.mark.parametrize(
    ("_case", "start", "action", "expected"),
    [
        ("review_to_approved", S.NEEDS_REVIEW, "approve", S.APPROVED),
        ("review_to_refused", S.NEEDS_REVIEW, "refuse", S.REFUSED),
        ("refused_reopened", S.REFUSED, "reopen", S.NEEDS_REVIEW),
        ("rejected_retried", S.REJECTED, "retry", S.APPROVED),
        ("failed_retried", S.FAILED, "retry", S.APPROVED),
        ("rejected_refused", S.REJECTED, "refuse", S.REFUSED),
    ],
)
def test_allowed_invoice_transitions(
    workspace: Workspace, _case: str, start: str, action: str, expected: str
) -> None:
    invoice = make_invoice(workspace, status=start)
    user = make_user(workspace=workspace)
    if action == "approve":
        invoice.approve(user)
    elif action == "refuse":
        invoice.refuse(user, "wrong supplier")
    elif action == "reopen":
        invoice.reopen(user)
    else:
        invoice.retry_posting(user)
    invoice.save()
    invoice.refresh_from_db()
    assert invoice.status == expected
    assert invoice.decided_by == user
    assert invoice.decided_at is not None


@pytest.mark.parametrize(
    ("_case", "start", "action"),
    [
        ("posted_cannot_be_approved", S.POSTED, "approve"),
        ("posted_cannot_be_refused", S.POSTED, "refuse"),
        ("approved_cannot_be_approved_again", S.APPROVED, "approve"),
        ("review_cannot_be_posted", S.NEEDS_REVIEW, "posted"),
        ("refused_cannot_be_approved", S.REFUSED, "approve"),
        ("review_cannot_be_retried", S.NEEDS_REVIEW, "retry"),
        ("posting_cannot_be_refused", S.POSTING, "refuse"),
    ],
)
def test_refused_invoice_transitions(
    workspace: Workspace, _case: str, start: str, action: str
) -> None:
    invoice = make_invoice(workspace, status=start)
    actions = {
        "approve": lambda: invoice.approve(None),
        "refuse": lambda: invoice.refuse(None, "no"),
        "posted": lambda: invoice.mark_as_posted("qonto-1"),
        "retry": lambda: invoice.retry_posting(None),
    }
    with pytest.raises(IllegalTransitionError):
        actions[action]()
    invoice.refresh_from_db()
    assert invoice.status == start


def test_posting_lifecycle_sets_and_clears_the_lease(workspace: Workspace) -> None:
    invoice = make_invoice(workspace, status=S.APPROVED)
    until = timezone.now() + timedelta(minutes=5)
    invoice.mark_as_posting("worker-1", until)
    assert (invoice.status, invoice.lease_owner, invoice.lease_until) == (
        S.POSTING,
        "worker-1",
        until,
    )
    invoice.mark_as_posted("si-123")
    assert (invoice.status, invoice.qonto_id, invoice.lease_owner, invoice.lease_until) == (
        S.POSTED,
        "si-123",
        "",
        None,
    )
    assert invoice.posted_at is not None


def test_held_invoice_cannot_be_approved_and_routes_to_review(workspace: Workspace) -> None:
    invoice = make_invoice(workspace, status=S.APPROVED)
    invoice.hold("Suspected double charge of INV-1")
    assert invoice.status == S.NEEDS_REVIEW
    with pytest.raises(IllegalTransitionError):
        invoice.approve(None)
    invoice.route(S.APPROVED, ["score 90 ≥ 85"])
    assert invoice.status == S.NEEDS_REVIEW
    assert invoice.routing_reasons == ["score 90 ≥ 85", "Held: Suspected double charge of INV-1"]


def test_document_transitions(workspace: Workspace) -> None:
    document = make_document(workspace, status=DocumentStatus.NEW)
    document.mark_as_parsing()
    assert (document.status, document.parse_attempts) == (DocumentStatus.PARSING, 1)
    document.mark_as_failed("encrypted", "The PDF is protected with a password.")
    assert (document.status, document.failure_code) == (DocumentStatus.FAILED, "encrypted")
    document.mark_as_parsing()
    document.mark_as_parsed()
    assert (document.status, document.status_reason, document.parse_attempts) == (
        DocumentStatus.PARSED,
        "",
        2,
    )
    ignored = make_document(workspace, status=DocumentStatus.IGNORED)
    with pytest.raises(IllegalTransitionError):
        ignored.mark_as_parsing()


def test_document_cannot_duplicate_itself(workspace: Workspace) -> None:
    document = make_document(workspace, status=DocumentStatus.PARSED)
    with pytest.raises(IllegalTransitionError):
        document.mark_as_duplicate_of(document, "same")


def test_document_ways_forward(workspace: Workspace) -> None:
    failed = make_document(
        workspace, status=DocumentStatus.FAILED, failure_code="pages", parse_attempts=3
    )
    failed.read_again()
    assert (failed.status, failed.failure_code, failed.parse_attempts) == (
        DocumentStatus.NEW,
        "",
        0,
    )
    original = make_document(workspace)
    copy = make_document(workspace, status=DocumentStatus.DUPLICATE, duplicate_of=original)
    copy.mark_as_not_duplicate()
    assert (copy.status, copy.is_not_duplicate, copy.duplicate_of) == (
        DocumentStatus.NEW,
        True,
        None,
    )
    parsed = make_document(workspace)
    with pytest.raises(IllegalTransitionError):
        parsed.read_again()
    parsed.send_to_review("No debit found within 7 days.")
    assert parsed.review_reason == "No debit found within 7 days."
    parsed.clear_review()
    assert parsed.review_reason == ""
    with pytest.raises(IllegalTransitionError):
        make_document(workspace, status=DocumentStatus.FAILED).send_to_review("why")
    stuck = make_document(
        workspace, status=DocumentStatus.PARSING, parse_lease_until=timezone.now()
    )
    stuck.release_to_queue()
    assert (stuck.status, stuck.parse_lease_until) == (DocumentStatus.NEW, None)


def test_match_transitions(workspace: Workspace) -> None:
    match = make_match(workspace)
    match.confirm(None)
    match.mark_as_attached()
    assert match.status == MatchStatus.ATTACHED
    with pytest.raises(IllegalTransitionError):
        match.reject(None)
    confirmation = make_match(workspace)
    with pytest.raises(IllegalTransitionError):
        confirmation.refuse(None)  # only double charges are refused
    double = make_match(workspace, kind=MatchKind.DOUBLE_CHARGE)
    double.refuse(None)
    assert double.status == MatchStatus.REFUSED


def test_the_matcher_keeps_only_proposals(workspace: Workspace) -> None:
    proposal = make_match(workspace)
    proposal.keep_as_candidate(confident=False)
    assert proposal.status == MatchStatus.PROPOSED
    proposal.keep_as_candidate(confident=True)
    assert proposal.status == MatchStatus.CONFIRMED
    with pytest.raises(IllegalTransitionError):
        proposal.keep_as_candidate(confident=True)  # a confirmed match is not re-ranked


def test_connection_revoke_wipes_tokens(workspace: Workspace) -> None:
    connection = make_connection(
        workspace,
        Provider.DROPBOX,
        access_token_ciphertext=b"x",
        refresh_token_ciphertext=b"y",
        cursor="abc",
    )
    connection.mark_as_revoked()
    connection.save()
    stored = Connection.objects.get(pk=connection.pk)
    assert (
        stored.status,
        stored.access_token_ciphertext,
        stored.refresh_token_ciphertext,
        stored.cursor,
    ) == (
        ConnectionStatus.REVOKED,
        None,
        None,
        "",
    )
    with pytest.raises(IllegalTransitionError):
        stored.mark_as_needing_reauth("401")
