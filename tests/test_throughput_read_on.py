"""A parse task reads on through its workspace's waiting documents with the same reader (a reader
serves one workspace and costs more to start than most PDFs cost to read), claiming each as the
document's own task would: nothing is read twice, another workspace's documents wait for theirs."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone
from django_q.conf import Conf
from django_q.models import OrmQ

from connectors.sandbox.documents import render_invoice
from reconciliation import parsing
from reconciliation import tasks
from reconciliation import window
from reconciliation.models import Document
from reconciliation.models import DocumentKind
from reconciliation.models import DocumentStatus
from reconciliation.models import Workspace
from tests.documents import invoice_spec
from tests.factories import make_document
from tests.factories import make_workspace

pytestmark = pytest.mark.django_db


def _waiting(workspace: Workspace, number: str, **fields: object) -> Document:
    fields.setdefault("status", DocumentStatus.NEW)
    document = make_document(workspace, kind=DocumentKind.OTHER, original_name="f.pdf", **fields)
    content = render_invoice(invoice_spec("en", invoice_number=number)).content
    document.file.save("f.pdf", ContentFile(content), save=True)
    return document


def _statuses(*documents: Document) -> list[str]:
    return [Document.objects.get(pk=d.pk).status for d in documents]


def test_a_parse_task_reads_its_workspaces_waiting_documents_after_its_own() -> None:
    acme, other = make_workspace("ACME RETAIL S.A.S."), make_workspace("Other Ltd")
    first, second, third = (_waiting(acme, f"INV-{n}") for n in (1, 2, 3))
    elsewhere = _waiting(other, "INV-9")

    results = window.read_document(document_id=second.pk)

    assert [(r.document_id, r.outcome) for r in results] == [
        (second.pk, "parsed"),
        (first.pk, "parsed"),
        (third.pk, "parsed"),
    ]
    assert _statuses(first, second, third, elsewhere) == ["parsed", "parsed", "parsed", "new"]
    # The tasks queued for the documents read on find them read.
    assert parsing.parse_document(document_id=third.pk).outcome == "skipped"


def test_reading_on_leaves_a_document_another_worker_holds_and_stops_at_its_budget() -> None:
    acme = make_workspace("ACME RETAIL S.A.S.")
    held = _waiting(
        acme,
        "INV-1",
        status=DocumentStatus.PARSING,
        parse_lease_until=timezone.now() + timedelta(minutes=5),
    )
    second, third = _waiting(acme, "INV-2"), _waiting(acme, "INV-3")

    results = parsing.read_on(workspace_id=acme.pk, documents=1)

    assert [(r.document_id, r.outcome) for r in results] == [(second.pk, "parsed")]
    assert _statuses(held, second, third) == ["parsing", "parsed", "new"]


def test_the_parse_task_says_how_many_more_it_read() -> None:
    acme = make_workspace("ACME RETAIL S.A.S.")
    own, other = _waiting(acme, "INV-1"), _waiting(acme, "INV-2")

    assert tasks.parse_document(own.pk) == "parsed (+1 more of its workspace)"
    assert tasks.parse_document(other.pk) == "skipped"


def test_a_task_whose_document_was_read_on_queues_no_window_closing(
    django_capture_on_commit_callbacks: Any,
) -> None:
    acme = make_workspace("ACME RETAIL S.A.S.")
    read_on_by_another = _waiting(acme, "INV-1", status=DocumentStatus.PARSED)

    with django_capture_on_commit_callbacks() as queued:
        results = window.read_document(document_id=read_on_by_another.pk)

    assert [r.outcome for r in results] == ["skipped"]
    assert queued == []  # the task that read it asked whether the window closed


def test_the_sweeper_queues_a_long_waiting_document_again_only_when_the_broker_is_empty(
    django_capture_on_commit_callbacks: Any,
) -> None:
    acme = make_workspace("ACME RETAIL S.A.S.")
    waiting = _waiting(acme, "INV-1")
    Document.objects.filter(pk=waiting.pk).update(received_at=timezone.now() - timedelta(hours=1))
    OrmQ.objects.create(
        key=Conf.CLUSTER_NAME,
        payload="a task waiting its turn",
        lock=timezone.now() - timedelta(seconds=1),
    )

    with django_capture_on_commit_callbacks() as queued_while_busy:
        parsing.requeue_stale()
    OrmQ.objects.all().delete()
    with django_capture_on_commit_callbacks() as queued_when_empty:
        parsing.requeue_stale()

    assert (len(queued_while_busy), len(queued_when_empty)) == (0, 1)


def test_reading_on_ends_in_time_for_the_task_clusters_timeout(settings: Any) -> None:
    """Own document + read-on + one last document + storing must fit before django-q kills the
    worker; a reader's wall time raised towards the timeout leaves no time to read on."""
    acme = make_workspace("ACME RETAIL S.A.S.")
    waiting = _waiting(acme, "INV-1")
    settings.WELL_PARSE_WALL_SECONDS = 30
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "timeout": 300}
    assert parsing.read_on_budget() == 230

    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "timeout": 70}
    assert parsing.read_on_budget() == 0
    assert parsing.read_on(workspace_id=acme.pk) == []
    assert _statuses(waiting) == ["new"]
