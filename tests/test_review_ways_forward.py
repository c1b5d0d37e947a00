"""Unreadable and duplicate documents have a one-click way forward (read again, not a
duplicate, download), on the review screen and on the document page, and each is recorded."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import AbstractUser
from django.core.files.base import ContentFile
from django.urls import reverse

from connectors.sandbox.documents import render_invoice
from reconciliation import review
from reconciliation.models import Decision
from reconciliation.models import DecisionAction
from reconciliation.models import Document
from reconciliation.models import DocumentKind
from reconciliation.models import DocumentStatus
from reconciliation.models import Invoice
from reconciliation.models import Role
from reconciliation.models import Workspace
from tests.documents import invoice_spec
from tests.factories import make_document
from tests.factories import make_user
from tests.helpers import logged_in_client
from tests.helpers import review_screen

pytestmark = pytest.mark.django_db


def _stored(workspace: Workspace, **fields: Any) -> Document:
    rendered = render_invoice(invoice_spec("en"))
    document = make_document(workspace, **fields)
    document.file.save("invoice.pdf", ContentFile(rendered.content))
    return document


def _failed(workspace: Workspace) -> Document:
    return _stored(
        workspace,
        kind=DocumentKind.UNKNOWN,
        status=DocumentStatus.FAILED,
        failure_code="pages",
        status_reason="The PDF has 1 page; the limit was 0.",
        parse_attempts=1,
    )


def test_read_again_from_the_review_screen_reads_it_and_records_it(
    workspace: Workspace, django_capture_on_commit_callbacks: Any, reviewer: AbstractUser
) -> None:
    document = _failed(workspace)
    client = logged_in_client(reviewer)
    screen = review_screen(document.pk)
    page = client.get(screen).content.decode()
    assert "The PDF has 1 page; the limit was 0." in page
    assert 'value="read_again"' in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(screen, {"action": "read_again"})
    assert response.status_code == 302
    document.refresh_from_db()
    assert (document.status, document.kind, document.failure_code) == (
        DocumentStatus.PARSED,
        DocumentKind.INVOICE,
        "",
    )
    assert Invoice.objects.get(document=document).number == "INV-2024-0042"
    decision = Decision.objects.get(document=document, action=DecisionAction.READ_AGAIN)
    assert (decision.actor, decision.before["status"], decision.after) == (
        reviewer,
        "failed",
        {"status": "new"},
    )
    assert "<strong>rita</strong> · Read again" in client.get(screen).content.decode()


def test_only_an_unreadable_document_is_read_again(workspace: Workspace) -> None:
    reviewer = make_user(workspace=workspace, role=Role.REVIEWER)
    document = make_document(workspace, status=DocumentStatus.PARSED)
    with pytest.raises(review.ReviewError, match="Only an unreadable document"):
        review.read_again(document=document, user=reviewer)
    assert not Decision.objects.filter(document=document).exists()


def test_not_a_duplicate_from_the_document_page_reads_it_as_its_own(
    workspace: Workspace, django_capture_on_commit_callbacks: Any
) -> None:
    admin = make_user("ada", workspace=workspace, role=Role.ADMIN)
    original = make_document(workspace, original_name="first.pdf")
    copy = _stored(
        workspace,
        status=DocumentStatus.DUPLICATE,
        duplicate_of=original,
        status_reason="Same file as “first.pdf”; not read twice.",
    )
    client = logged_in_client(admin)
    page = client.get(reverse("admin:reconciliation_document_change", args=[copy.pk]))
    body = page.content.decode()
    assert 'value="not_duplicate_selected"' in body
    assert reverse("admin:reconciliation-review-file", args=[copy.pk]) in body
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:reconciliation_document_changelist"),
            {"action": "not_duplicate_selected", "_selected_action": [copy.pk], "_from_page": "1"},
        )
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:reconciliation_document_change", args=[copy.pk])
    copy.refresh_from_db()
    assert (copy.status, copy.is_not_duplicate, copy.duplicate_of_id) == (
        DocumentStatus.PARSED,
        True,
        None,
    )
    assert Invoice.objects.filter(document=copy).count() == 1
    decision = Decision.objects.get(document=copy, action=DecisionAction.NOT_DUPLICATE)
    assert (decision.actor, decision.before["duplicate_of"], decision.after) == (
        admin,
        original.pk,
        {"status": "new", "is_not_duplicate": True},
    )


def test_read_again_as_a_bulk_action_skips_what_cannot(workspace: Workspace) -> None:
    admin = make_user("ada", workspace=workspace, role=Role.ADMIN)
    failed = _failed(workspace)
    parsed = make_document(workspace, original_name="fine.pdf")
    client = logged_in_client(admin)
    response = client.post(
        reverse("admin:reconciliation_document_changelist"),
        {"action": "read_again_selected", "_selected_action": [failed.pk, parsed.pk]},
        follow=True,
    )
    messages = [str(m) for m in response.context["messages"]]
    assert messages == [
        "Read again 1 document.",
        "Skipped fine.pdf: Only an unreadable document whose file is stored can be read again.",
    ]
    failed.refresh_from_db()
    assert failed.status == DocumentStatus.NEW


def test_an_auditor_has_no_way_forward_actions(workspace: Workspace) -> None:
    auditor = make_user("audrey", workspace=workspace, role=Role.AUDITOR)
    document = _failed(workspace)
    client = logged_in_client(auditor)
    assert 'value="read_again"' not in client.get(review_screen(document.pk)).content.decode()
    response = client.post(
        reverse("admin:reconciliation_document_changelist"),
        {"action": "read_again_selected", "_selected_action": [document.pk]},
    )
    assert response.status_code in (200, 302, 403)
    document.refresh_from_db()
    assert document.status == DocumentStatus.FAILED
