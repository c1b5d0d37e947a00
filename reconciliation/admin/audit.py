"""Read-only audit trails: post attempts, sync runs and decisions, exportable as CSV and XLSX
(what the list shows: its filters and search, the user's workspaces)."""

from __future__ import annotations

from typing import Any
from typing import ClassVar
from typing import TypeVar

from django.contrib import admin

from reconciliation.admin.base import ReadOnlyTenantAdmin
from reconciliation.admin.base import RelatedOnly
from reconciliation.admin.resources import SYNC_RUN_COUNTS
from reconciliation.admin.resources import PostAttemptResource
from reconciliation.admin.resources import SyncRunResource
from reconciliation.models import Decision
from reconciliation.models import PostAttempt
from reconciliation.models import SyncRun
from reconciliation.models import TenantModel
from reconciliation.reports.decision_log import DecisionLogResource

_T = TypeVar("_T", bound=TenantModel)


class AuditTrailAdmin(ReadOnlyTenantAdmin[_T]):
    """An audit trail's list: each row's moment and workspace first, then its `columns`;
    browsed by the moment's dates."""

    #: When a row happened.
    moment: ClassVar[str]
    #: The list's columns after the moment and the workspace.
    columns: ClassVar[list[str]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.list_display = [cls.moment, "workspace", *cls.columns]
        cls.date_hierarchy = cls.moment


@admin.register(PostAttempt)
class PostAttemptAdmin(AuditTrailAdmin[PostAttempt]):
    resource_classes = [PostAttemptResource]
    moment = "started_at"
    columns = [
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


@admin.register(SyncRun)
class SyncRunAdmin(AuditTrailAdmin[SyncRun]):
    resource_classes = [SyncRunResource]
    moment = "started_at"
    columns = ["kind", "trigger", "status", *SYNC_RUN_COUNTS, "error"]
    list_filter = ["kind", "status", ("connection", RelatedOnly)]
    list_select_related = ["workspace"]
    search_fields = ["error"]


@admin.register(Decision)
class DecisionAdmin(AuditTrailAdmin[Decision]):
    # The decisions export, with what changed and the thresholds / rule / mapping in force.
    resource_classes = [DecisionLogResource]
    moment = "created_at"
    columns = ["action", "actor", "invoice", "document", "reason"]
    list_filter = ["action", ("actor", RelatedOnly)]
    list_select_related = ["workspace", "actor", "invoice", "invoice__document", "document"]
    search_fields = ["reason", "invoice__number", "document__original_name"]
