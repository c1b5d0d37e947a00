"""The integration status page: is each connection healthy, and what needs a human."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import admin
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from reconciliation.models import (
    Connection,
    Document,
    DocumentStatus,
    Invoice,
    InvoiceStatus,
    SyncRun,
)


@dataclass(frozen=True)
class ConnectionHealth:
    connection: Connection
    last_runs: list[SyncRun]


def integration_status(request: HttpRequest) -> HttpResponse:
    connections = list(
        Connection.objects.for_user(request.user).select_related("workspace", "owner")
    )
    runs_by_connection: dict[int, list[SyncRun]] = {}
    for run in (
        SyncRun.objects.for_user(request.user)
        .filter(connection__in=connections)
        .order_by("-started_at")[:200]
    ):
        if run.connection_id is not None:
            runs_by_connection.setdefault(run.connection_id, [])
            if len(runs_by_connection[run.connection_id]) < 5:
                runs_by_connection[run.connection_id].append(run)
    invoices = Invoice.objects.for_user(request.user)
    queues = invoices.aggregate(
        needs_review=Count("pk", filter=Q(status=InvoiceStatus.NEEDS_REVIEW)),
        approved=Count("pk", filter=Q(status=InvoiceStatus.APPROVED)),
        posting=Count("pk", filter=Q(status=InvoiceStatus.POSTING)),
        failed=Count("pk", filter=Q(status=InvoiceStatus.FAILED)),
        rejected=Count("pk", filter=Q(status=InvoiceStatus.REJECTED)),
    )
    documents = Document.objects.for_user(request.user)
    document_queues = documents.aggregate(
        waiting=Count("pk", filter=Q(status__in=(DocumentStatus.NEW, DocumentStatus.PARSING))),
        failed=Count("pk", filter=Q(status=DocumentStatus.FAILED)),
    )
    context: dict[str, Any] = {
        **admin.site.each_context(request),
        "title": "Integration status",
        "health": [ConnectionHealth(c, runs_by_connection.get(c.pk, [])) for c in connections],
        "queues": queues,
        "document_queues": document_queues,
        "rejected": invoices.filter(status=InvoiceStatus.REJECTED).select_related(
            "workspace", "document"
        )[:100],
        "failed": invoices.filter(status=InvoiceStatus.FAILED).select_related(
            "workspace", "document"
        )[:100],
        "failed_documents": documents.filter(status=DocumentStatus.FAILED).select_related(
            "workspace"
        )[:50],
    }
    return TemplateResponse(request, "admin/reconciliation/integration_status.html", context)
