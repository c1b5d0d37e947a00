"""Work whose task was lost is picked up again by the sweeper, so no window stays open."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from reconciliation.dispatch import sweep_stuck_work
from reconciliation.models import Document
from reconciliation.models import DocumentStatus
from reconciliation.models import Workspace
from reconciliation.window import window_is_open
from tests.factories import make_document

pytestmark = pytest.mark.django_db

PDF = Path(__file__).parent / "fixtures/corpus/XML-Rechnung__FX__EN16931_OEPNV.pdf"


def test_a_new_document_whose_parse_task_was_lost_is_read_by_the_sweeper(
    workspace: Workspace, django_capture_on_commit_callbacks: Any
) -> None:
    # The document row was committed but its parse task never ran (the broker lost it).
    document = make_document(workspace, status=DocumentStatus.NEW)
    document.file.save("lost.pdf", ContentFile(PDF.read_bytes()), save=True)
    Document.objects.filter(pk=document.pk).update(received_at=timezone.now() - timedelta(hours=6))
    assert window_is_open(workspace.pk)
    with django_capture_on_commit_callbacks(execute=True):
        sweep_stuck_work()
    document.refresh_from_db()
    assert document.status == DocumentStatus.PARSED
    assert not window_is_open(workspace.pk)


def test_a_fresh_new_document_is_left_to_its_own_task(
    workspace: Workspace, django_capture_on_commit_callbacks: Any
) -> None:
    document = make_document(workspace, status=DocumentStatus.NEW)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        sweep_stuck_work()
    assert callbacks == []
    document.refresh_from_db()
    assert document.status == DocumentStatus.NEW
