"""Read-only audit trails: post attempts, sync runs and decisions, exportable as CSV and XLSX
(what the list shows: its filters and search, the user's workspaces)."""

from __future__ import annotations

from typing import Any
from typing import ClassVar
from typing import TypeVar

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Field
from django.http import HttpRequest
from django.utils.html import format_html_join
from django.utils.safestring import SafeString

from reconciliation.admin import decision_display
from reconciliation.admin.base import NamedEmptyChoice
from reconciliation.admin.base import ReadOnlyTenantAdmin
from reconciliation.admin.base import RelatedOnly
from reconciliation.admin.decision_display import WELL
from reconciliation.admin.decision_display import actor_label
from reconciliation.admin.decision_display import rule_vendor_ids
from reconciliation.admin.decision_display import rule_vendor_names
from reconciliation.admin.resources import SYNC_RUN_COUNTS
from reconciliation.admin.resources import PostAttemptResource
from reconciliation.admin.resources import SyncRunResource
from reconciliation.admin.resources import sync_details_text
from reconciliation.admin.volume import RelatedWithRows
from reconciliation.models import Decision
from reconciliation.models import PostAttempt
from reconciliation.models import SyncRun
from reconciliation.models import TenantModel
from reconciliation.reports.decision_log import DecisionLogResource
from reconciliation.text.percents import with_percents

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


class ConnectionFilter(RelatedWithRows):
    """The connections some run was of, each named as a connection is everywhere (two Dropbox
    folders apart); matching runs, of no connection, under their own choice."""

    empty_label = "No connection (matching)"


@admin.register(SyncRun)
class SyncRunAdmin(AuditTrailAdmin[SyncRun]):
    resource_classes = [SyncRunResource]
    moment = "started_at"
    columns = ["connection_shown", "kind", "trigger", "status", *SYNC_RUN_COUNTS, "error"]
    list_filter = ["kind", "status", ("connection", ConnectionFilter)]
    list_select_related = ["workspace", "connection"]
    search_fields = ["error"]

    readonly_fields = ["connection_shown", "details_shown"]
    # A run's page: what it counted and its details in words (as the Sync runs export writes
    # them); the recorded JSON stays, collapsed, for support.
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "workspace",
                    "connection_shown",
                    "kind",
                    "trigger",
                    "status",
                    "started_at",
                    "finished_at",
                    *SYNC_RUN_COUNTS,
                    "items_failed",
                    "error",
                    "details_shown",
                ]
            },
        ),
        ("Raw record", {"classes": ["collapse"], "fields": ["details"]}),
    ]

    @admin.display(description="Connection", ordering="connection")
    def connection_shown(self, obj: SyncRun) -> str:
        """Which folder or bank account the run was of ("Dropbox · folder “/Invoices”")."""
        return obj.connection.display_name if obj.connection is not None else "—"

    @admin.display(description="Details")
    def details_shown(self, obj: SyncRun) -> str:
        """What the run recorded besides its counts, in words ("Credits confirmed: 3;
        Seconds: 0.41"), as the Sync runs export's Details column."""
        return sync_details_text(obj.details) or "—"


class ActorFilter(NamedEmptyChoice, RelatedOnly):
    """The decisions' actors, Well's own decisions (no actor) under "Well", not "-"."""

    empty_label = WELL


@admin.register(Decision)
class DecisionAdmin(AuditTrailAdmin[Decision]):
    # The decisions export, with what changed and the thresholds / rule / mapping in force.
    resource_classes = [DecisionLogResource]
    moment = "created_at"
    columns = ["action", "actor_name", "invoice", "document", "reason_shown"]
    list_filter = ["action", ("actor", ActorFilter)]
    list_select_related = ["workspace", "actor", "invoice", "invoice__document", "document"]
    search_fields = ["reason", "invoice__number", "document__original_name"]

    readonly_fields = ["actor_name", "vendor_named", "what_changed", "reason_shown"]
    # A decision's page: what was decided, by whom, about what, and what changed in words (as
    # the decisions export's "Changes"); the recorded JSON stays, collapsed, for support.
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "created_at",
                    "workspace",
                    "action",
                    "actor_name",
                    "invoice",
                    "document",
                    "match",
                    "vendor_named",
                    "what_changed",
                    "reason_shown",
                ]
            },
        ),
        ("Raw record", {"classes": ["collapse"], "fields": ["before", "after"]}),
    ]

    def get_object(
        self, request: HttpRequest, object_id: str, from_field: str | None = None
    ) -> Decision | None:
        """Django's look-up of the page's decision, read with its match's bank line, which
        "What changed" names (`decision_display.loaded_bank_line` names a line read with its
        decision only); the list reads no match and joins none."""
        queryset = self.get_queryset(request).select_related("match__transaction")
        field = Decision._meta.pk if from_field is None else Decision._meta.get_field(from_field)
        if not isinstance(field, Field):  # a relation's reverse side: no such decision
            return None
        try:
            return queryset.get(**{field.name: field.to_python(object_id)})
        except (Decision.DoesNotExist, ValidationError, ValueError):
            return None

    @admin.display(description="Actor", ordering="actor")
    def actor_name(self, obj: Decision) -> str:
        """The person who decided, or "Well" for Well's own decisions."""
        return actor_label(obj.actor)

    @admin.display(description="Reason", ordering="reason")
    def reason_shown(self, obj: Decision) -> str:
        """The reason as written, its percentages as every page writes them ("Confidence
        58.59 % is below the auto-post threshold 85 %", `with_percents`)."""
        return with_percents(obj.reason)

    @admin.display(description="Vendor")
    def vendor_named(self, obj: Decision) -> str:
        """The vendor the decision is about; a decision naming none (a match's, a flag's)
        shows its invoice's, said to be the invoice's (as the export's vendor column reads)."""
        if obj.vendor is not None:
            return obj.vendor.name
        vendor = obj.invoice.vendor if obj.invoice is not None else None
        return f"{vendor.name} (vendor of the invoice)" if vendor is not None else "—"

    @admin.display(description="What changed")
    def what_changed(self, obj: Decision) -> SafeString | str:
        """Before → after per field, in words, as the decisions export's "Changes" column."""
        rows = decision_display.stated_changes(
            obj,
            currency=obj.invoice.currency if obj.invoice is not None else "",
            vendor_names=rule_vendor_names(
                rule_vendor_ids(obj.before, obj.after), [obj.workspace_id]
            ),
        )
        return (
            format_html_join(
                "", "<div>{}: {} → {}</div>", ((c.label, c.before, c.after) for c in rows)
            )
            or "—"
        )
