"""The integration status page: per workspace, is each connection healthy, what waits in which
queue, what went wrong recently (grouped by cause), and what needs a human — rejected invoices
with a one-click Retry, a Reconnect button when a connection needs re-authorisation."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta
from typing import Any
from typing import cast

from django.contrib import admin
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.db.models import OuterRef
from django.db.models import Q
from django.db.models import Subquery
from django.http import HttpRequest
from django.http import HttpResponse
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from reconciliation import posting
from reconciliation.admin.qonto_panel import AWAITING_QONTO_READING
from reconciliation.connections.flows import consent_origins
from reconciliation.models import Connection
from reconciliation.models import ConnectionStatus
from reconciliation.models import Document
from reconciliation.models import DocumentStatus
from reconciliation.models import IllegalTransitionError
from reconciliation.models import Invoice
from reconciliation.models import InvoiceStatus
from reconciliation.models import PostAttempt
from reconciliation.models import PostOutcome
from reconciliation.models import QontoOrigin
from reconciliation.models import SyncRun
from reconciliation.models import SyncStatus
from reconciliation.models import Workspace
from reconciliation.posting import linking
from reconciliation.posting import revisions
from reconciliation.web.access import EDIT_ROLES
from reconciliation.web.access import MANAGE_ROLES
from reconciliation.web.access import has_role

#: How far back "recent errors" look.
ERROR_WINDOW = timedelta(days=7)
MAX_LISTED = 100
_PROBLEM_OUTCOMES = (
    PostOutcome.TRANSIENT,
    PostOutcome.AUTH,
    PostOutcome.REJECTED,
    PostOutcome.UNKNOWN,
    PostOutcome.LOCAL,
)
_CAUSES = {
    "rate_limited": "Qonto asked Well to slow down (HTTP 429)",
    "no_answer": "No answer: timeout or connection dropped after sending",
    "no_connection": "Could not reach Qonto",
    "protocol_error": "Qonto's answer could not be read",
    "internal_server_error": "Qonto could not process a file",
    "lookup_failed": "Could not check Qonto before re-sending",
    "lease_expired": "A posting worker stopped mid-call",
    "left_in_flight": "A posting worker stopped mid-call",
    "worker_stopped": "A posting worker stopped mid-call",
    "file_too_large": "File over Qonto's 10 MB limit (refused before sending)",
    "file_missing": "Well holds no copy of the file",
    "file_changed": "Stored file differs from the one reviewed",
    "qonto_id_taken": "Qonto answered with an id already linked elsewhere",
    "probe_failed": "Could not list Qonto's invoices to check it does not have it already",
}


@dataclass(frozen=True)
class ConnectionHealth:
    connection: Connection
    last_runs: list[SyncRun]
    can_reconnect: bool

    @property
    def needs_reconnect(self) -> bool:
        return self.connection.status in (ConnectionStatus.NEEDS_REAUTH, ConnectionStatus.REVOKED)


@dataclass(frozen=True)
class ErrorGroup:
    source: str  # "posting" or the sync kind
    cause: str
    code: str
    count: int
    last_seen: datetime
    example: str


@dataclass(frozen=True)
class WorkspaceStatus:
    workspace: Workspace
    connections: list[ConnectionHealth]
    queues: dict[str, int]
    errors: list[ErrorGroup]
    rejected: list[Invoice]
    failed: list[Invoice]
    failed_documents: list[Document]
    can_retry: bool


def _cause(outcome: str, code: str, status: int | None) -> str:
    if outcome == PostOutcome.AUTH:
        return "Qonto refused the authorisation (reconnect Qonto)"
    if outcome == PostOutcome.REJECTED:
        return f"Rejected by Qonto ({code or f'HTTP {status}'})"
    if code in _CAUSES:
        return _CAUSES[code]
    if code.startswith("http_5"):
        return f"Qonto server error (HTTP {code[5:]})"
    return f"{PostOutcome(outcome).label} ({code or 'no code'})"


def _posting_errors(workspace_ids: list[int], since: datetime) -> dict[int, list[ErrorGroup]]:
    rows = (
        PostAttempt.objects.filter(
            workspace_id__in=workspace_ids, started_at__gte=since, outcome__in=_PROBLEM_OUTCOMES
        )
        .order_by("-started_at", "-pk")
        .values_list(
            "workspace_id", "outcome", "error_code", "http_status", "error_detail", "started_at"
        )[:5000]
    )
    groups: dict[tuple[int, str], dict[str, Any]] = {}
    for workspace_id, outcome, code, status, detail, started_at in rows:
        cause = _cause(outcome, code, status)
        group = groups.setdefault(
            (workspace_id, cause),
            {"code": code, "count": 0, "last_seen": started_at, "example": detail},
        )
        group["count"] += 1
    result: dict[int, list[ErrorGroup]] = defaultdict(list)
    for (workspace_id, cause), group in groups.items():
        result[workspace_id].append(ErrorGroup(source="posting", cause=cause, **group))
    return result


def _sync_errors(workspace_ids: list[int], since: datetime) -> dict[int, list[ErrorGroup]]:
    rows = (
        SyncRun.objects.filter(
            workspace_id__in=workspace_ids,
            started_at__gte=since,
            status__in=(SyncStatus.FAILED, SyncStatus.PARTIAL),
        )
        .exclude(error="")
        .order_by("-started_at", "-pk")
        .values_list("workspace_id", "kind", "error", "started_at")[:2000]
    )
    groups: dict[tuple[int, str, str], dict[str, Any]] = {}
    for workspace_id, kind, error, started_at in rows:
        first_line = error.strip().splitlines()[0][:160]
        group = groups.setdefault(
            (workspace_id, kind, first_line),
            {"count": 0, "last_seen": started_at, "example": error},
        )
        group["count"] += 1
    result: dict[int, list[ErrorGroup]] = defaultdict(list)
    for (workspace_id, kind, first_line), group in groups.items():
        result[workspace_id].append(ErrorGroup(source=kind, cause=first_line, code="", **group))
    return result


def _queues(workspace_ids: list[int]) -> dict[int, dict[str, int]]:
    counts: dict[int, dict[str, int]] = {pk: {} for pk in workspace_ids}
    invoice_counts = (
        Invoice.objects.filter(workspace_id__in=workspace_ids)
        .values("workspace_id")
        .annotate(
            needs_review=Count("pk", filter=Q(status=InvoiceStatus.NEEDS_REVIEW)),
            approved=Count("pk", filter=Q(status=InvoiceStatus.APPROVED)),
            posting=Count("pk", filter=Q(status=InvoiceStatus.POSTING)),
            failed=Count("pk", filter=Q(status=InvoiceStatus.FAILED)),
            rejected=Count("pk", filter=Q(status=InvoiceStatus.REJECTED)),
            posted=Count("pk", filter=Q(status=InvoiceStatus.POSTED)),
            differs_from_qonto=Count("pk", filter=Q(qonto_agrees=False)),
            agreeing_with_qonto=Count("pk", filter=Q(qonto_agrees=True)),
            not_read_by_qonto=Count("pk", filter=AWAITING_QONTO_READING),
            linked_to_qonto=Count("pk", filter=Q(qonto_origin=QontoOrigin.LINKED)),
            qonto_candidates=Count(
                "pk",
                filter=Q(status=InvoiceStatus.NEEDS_REVIEW, qonto_probe__outcome="review"),
            ),
            revised_after_posting=Count("pk", filter=Q(revision_of__isnull=False, is_held=True)),
        )
    )
    for row in invoice_counts:
        values = cast(dict[str, Any], row)
        counts[values.pop("workspace_id")].update(values)
    document_counts = (
        Document.objects.filter(workspace_id__in=workspace_ids)
        .values("workspace_id")
        .annotate(
            documents_waiting=Count(
                "pk", filter=Q(status__in=(DocumentStatus.NEW, DocumentStatus.PARSING))
            ),
            documents_failed=Count("pk", filter=Q(status=DocumentStatus.FAILED)),
        )
    )
    for document_row in document_counts:
        values = cast(dict[str, Any], document_row)
        counts[values.pop("workspace_id")].update(values)
    names = (
        "documents_waiting",
        "documents_failed",
        "needs_review",
        "approved",
        "posting",
        "failed",
        "rejected",
        "posted",
        "differs_from_qonto",
        "agreeing_with_qonto",
        "not_read_by_qonto",
        "linked_to_qonto",
        "qonto_candidates",
        "revised_after_posting",
    )
    return {pk: {name: values.get(name, 0) for name in names} for pk, values in counts.items()}


def _rejecting_attempt(field: str) -> Subquery:
    """A field of the attempt that rejected the invoice (the latest rejection)."""
    return Subquery(
        PostAttempt.objects.filter(
            invoice=OuterRef("pk"), outcome__in=(PostOutcome.REJECTED, PostOutcome.LOCAL)
        )
        .order_by("-started_at", "-pk")
        .values(field)[:1]
    )


def _by_workspace(invoices: list[Invoice]) -> dict[int, list[Invoice]]:
    grouped: dict[int, list[Invoice]] = defaultdict(list)
    for invoice in invoices:
        grouped[invoice.workspace_id].append(invoice)
    return grouped


def integration_status(request: HttpRequest) -> HttpResponse:
    workspaces = list(Workspace.objects.for_user(request.user).order_by("name"))
    workspace_ids = [workspace.pk for workspace in workspaces]
    since = timezone.now() - ERROR_WINDOW
    posting_errors = _posting_errors(workspace_ids, since)
    sync_errors = _sync_errors(workspace_ids, since)
    queues = _queues(workspace_ids)
    rejected, failed, failed_documents = _to_act_on(workspace_ids)
    by_workspace = _connection_health(request, workspace_ids)
    statuses = [
        WorkspaceStatus(
            workspace=workspace,
            connections=by_workspace.get(workspace.pk, []),
            queues=queues[workspace.pk],
            errors=sorted(
                posting_errors.get(workspace.pk, []) + sync_errors.get(workspace.pk, []),
                key=lambda group: (-group.count, group.cause),
            ),
            rejected=rejected.get(workspace.pk, []),
            failed=failed.get(workspace.pk, []),
            failed_documents=failed_documents.get(workspace.pk, []),
            can_retry=has_role(request, workspace.pk, EDIT_ROLES),
        )
        for workspace in workspaces
    ]
    context: dict[str, Any] = {
        **admin.site.each_context(request),
        "title": "Integration status",
        "workspaces": statuses,
        "error_window_days": ERROR_WINDOW.days,
    }
    response = TemplateResponse(request, "admin/reconciliation/integration_status.html", context)
    # The Reconnect buttons POST to the connect flow, which redirects to the consent page.
    response._csp_update = {"form-action": consent_origins()}  # type: ignore[attr-defined]
    return response


def _connection_health(
    request: HttpRequest, workspace_ids: list[int]
) -> dict[int, list[ConnectionHealth]]:
    connections = list(
        Connection.objects.filter(workspace_id__in=workspace_ids)
        .select_related("owner")
        .order_by("provider", "pk")
    )
    runs_by_connection: dict[int, list[SyncRun]] = defaultdict(list)
    for run in SyncRun.objects.filter(connection__in=connections).order_by("-started_at")[:500]:
        if run.connection_id is not None and len(runs_by_connection[run.connection_id]) < 5:
            runs_by_connection[run.connection_id].append(run)
    by_workspace: dict[int, list[ConnectionHealth]] = defaultdict(list)
    for connection in connections:
        by_workspace[connection.workspace_id].append(
            ConnectionHealth(
                connection=connection,
                last_runs=runs_by_connection.get(connection.pk, []),
                can_reconnect=has_role(request, connection.workspace_id, MANAGE_ROLES),
            )
        )
    return by_workspace


def _to_act_on(
    workspace_ids: list[int],
) -> tuple[dict[int, list[Invoice]], dict[int, list[Invoice]], dict[int, list[Document]]]:
    """Rejected invoices (with Qonto's pointer and trace id), failed ones, unreadable files."""
    rejected = _by_workspace(
        list(
            Invoice.objects.filter(workspace_id__in=workspace_ids, status=InvoiceStatus.REJECTED)
            .select_related("document")
            .annotate(
                qonto_pointer=_rejecting_attempt("error_pointer"),
                qonto_trace_id=_rejecting_attempt("trace_id"),
                attempt_outcome=_rejecting_attempt("outcome"),
            )
            .order_by("-updated_at", "-pk")[:MAX_LISTED]
        )
    )
    failed = _by_workspace(
        list(
            Invoice.objects.filter(workspace_id__in=workspace_ids, status=InvoiceStatus.FAILED)
            .select_related("document")
            .order_by("next_attempt_at", "pk")[:MAX_LISTED]
        )
    )
    failed_documents: dict[int, list[Document]] = defaultdict(list)
    for document in Document.objects.filter(
        workspace_id__in=workspace_ids, status=DocumentStatus.FAILED
    ).order_by("-received_at", "-pk")[:MAX_LISTED]:
        failed_documents[document.workspace_id].append(document)
    return rejected, failed, failed_documents


@require_POST
def retry_posting(request: HttpRequest, invoice_id: int) -> HttpResponse:
    """The one-click Retry: back into the outbox for the next posting window."""
    invoice = get_object_or_404(
        Invoice.objects.for_user(request.user).select_related("document"), pk=invoice_id
    )
    if not has_role(request, invoice.workspace_id, EDIT_ROLES):
        raise PermissionDenied("Only reviewers and administrators of this workspace can retry.")
    user = request.user if request.user.is_authenticated else None
    try:
        posting.retry_invoice(invoice_id=invoice.pk, user=user)
    except IllegalTransitionError:
        messages.warning(
            request, f"{invoice} is {invoice.get_status_display().lower()}; nothing to retry."
        )
    else:
        messages.success(request, f"{invoice} goes to Qonto in the next posting window.")
    return HttpResponseRedirect(
        reverse("admin:reconciliation-integration-status") + f"#workspace-{invoice.workspace_id}"
    )


def _back_to_invoice(invoice_id: int) -> HttpResponse:
    return HttpResponseRedirect(reverse("admin:reconciliation_invoice_change", args=[invoice_id]))


def _editable_invoice(request: HttpRequest, invoice_id: int) -> Invoice:
    invoice = get_object_or_404(Invoice.objects.for_user(request.user), pk=invoice_id)
    if not has_role(request, invoice.workspace_id, EDIT_ROLES):
        raise PermissionDenied("Only reviewers and administrators of this workspace can decide.")
    return invoice


@dataclass(frozen=True)
class _InvoiceButton:
    """One of the invoice page's buttons: the act (called with the invoice's id, the person and
    the URL's other values), the error by which it is refused, and the sentences shown
    (`str.format`ted with the invoice, the URL's values and, when refused, the error)."""

    act: Callable[..., object]
    refusal: type[Exception]
    done: str
    refused: str = "{error}"


def _invoice_button(button: _InvoiceButton) -> Callable[..., HttpResponse]:
    """The button's view: the act on the invoice, a message saying whether it was done or
    refused (and why), back to the invoice page."""

    @require_POST
    def view(request: HttpRequest, invoice_id: int, **url: Any) -> HttpResponse:
        invoice = _editable_invoice(request, invoice_id)
        try:
            button.act(invoice_id=invoice.pk, user=request.user, **url)
        except button.refusal as error:
            messages.warning(request, button.refused.format(invoice=invoice, error=error, **url))
        else:
            messages.success(request, button.done.format(invoice=invoice, **url))
        return _back_to_invoice(invoice.pk)

    return view


#: "Link to this entry": Qonto already has it; nothing is uploaded.
link_to_qonto = _invoice_button(
    _InvoiceButton(
        linking.link_invoice, linking.LinkError, "{invoice} is linked to Qonto entry {qonto_id}."
    )
)
#: "Post anyway": none of Qonto's entries is this invoice.
post_anyway = _invoice_button(
    _InvoiceButton(
        linking.post_anyway,
        linking.LinkError,
        "{invoice} goes to Qonto in the next posting window.",
    )
)
#: "Post as its own entry", for a revision of a posted invoice.
post_revision = _invoice_button(
    _InvoiceButton(
        revisions.post_revision_as_new,
        IllegalTransitionError,
        "{invoice} goes to Qonto as its own entry next window.",
        "{invoice} is not waiting as a revision.",
    )
)
