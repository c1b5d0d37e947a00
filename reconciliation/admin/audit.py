"""Read-only audit trails: post attempts, sync runs and decisions, exportable as CSV and XLSX
(what the list shows: its filters and search, the user's workspaces)."""

from __future__ import annotations

from django.contrib import admin

from reconciliation.admin.base import ReadOnlyTenantAdmin
from reconciliation.admin.base import RelatedOnly
from reconciliation.admin.documents import EXPORT_TEMPLATE
from reconciliation.admin.resources import SYNC_RUN_COUNTS
from reconciliation.admin.resources import PostAttemptResource
from reconciliation.admin.resources import SyncRunResource
from reconciliation.models import Decision
from reconciliation.models import PostAttempt
from reconciliation.models import SyncRun
from reconciliation.reports.decision_log import DecisionLogResource


@admin.register(PostAttempt)
class PostAttemptAdmin(ReadOnlyTenantAdmin[PostAttempt]):
    resource_classes = [PostAttemptResource]
    export_template_name = EXPORT_TEMPLATE
    list_display = [
        "started_at",
        "workspace",
        "invoice",
        "attempt_number",
        "outcome",
        "http_status",
        "error_code",
        "trace_id",
        "duration_ms",
    ]
    list_filter = ["outcome"]
    list_select_related = ["workspace", "invoice", "invoice__document"]
    search_fields = ["idempotency_key", "trace_id", "qonto_id", "invoice__number"]
    date_hierarchy = "started_at"


@admin.register(SyncRun)
class SyncRunAdmin(ReadOnlyTenantAdmin[SyncRun]):
    resource_classes = [SyncRunResource]
    export_template_name = EXPORT_TEMPLATE
    list_display = [
        "started_at",
        "workspace",
        "kind",
        "trigger",
        "status",
        *SYNC_RUN_COUNTS,
        "error",
    ]
    list_filter = ["kind", "status", ("connection", RelatedOnly)]
    list_select_related = ["workspace"]
    search_fields = ["error"]
    date_hierarchy = "started_at"


@admin.register(Decision)
class DecisionAdmin(ReadOnlyTenantAdmin[Decision]):
    # The decisions export, with what changed and the thresholds / rule / mapping in force.
    resource_classes = [DecisionLogResource]
    export_template_name = EXPORT_TEMPLATE
    list_display = ["created_at", "workspace", "action", "actor", "invoice", "document", "reason"]
    list_filter = ["action", ("actor", RelatedOnly)]
    list_select_related = ["workspace", "actor", "invoice", "invoice__document", "document"]
    search_fields = ["reason", "invoice__number", "document__original_name"]
    date_hierarchy = "created_at"
