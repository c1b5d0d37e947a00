"""Admin pages of the domain models (list, search, filters, read-only audit)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import QuerySet
from django.forms import ModelChoiceField
from django.http import HttpRequest

from reconciliation.access import MANAGE_ROLES, roles_by_workspace
from reconciliation.admin.base import ReadOnlyTenantAdmin, WorkspaceScopedAdmin
from reconciliation.models import (
    Connection,
    Decision,
    Document,
    ExchangeRate,
    Invoice,
    Match,
    Membership,
    PostAttempt,
    Receivable,
    Role,
    RoutingRule,
    SyncRun,
    Transaction,
    Vendor,
    Workspace,
)
from reconciliation.money import format_money

RelatedOnly = admin.RelatedOnlyFieldListFilter


class MembershipInline(admin.TabularInline[Membership, Workspace]):
    model = Membership
    extra = 1
    autocomplete_fields = ["user"]


@admin.register(Workspace)
class WorkspaceAdmin(admin.ModelAdmin[Workspace]):
    """Superusers manage workspaces, members and thresholds; members see their own."""

    list_display = [
        "name",
        "slug",
        "home_currency",
        "review_threshold",
        "auto_post_threshold",
        "match_threshold",
        "poll_interval_minutes",
    ]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]
    fieldsets = [
        (None, {"fields": ["name", "slug", "home_currency", "data_region"]}),
        (
            "Routing thresholds (percent)",
            {
                "fields": [
                    "review_threshold",
                    "auto_post_threshold",
                    "match_threshold",
                    "review_vendors_in_training",
                ]
            },
        ),
        (
            "Syncing and matching",
            {
                "fields": [
                    "poll_interval_minutes",
                    "max_syncs_per_hour",
                    "match_days_before",
                    "match_days_after",
                    "fx_tolerance_percent",
                ]
            },
        ),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Workspace]:
        return (
            super()
            .get_queryset(request)
            .filter(pk__in=Workspace.objects.for_user(request.user).values("pk"))
        )

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser or bool(roles_by_workspace(request))

    def has_view_permission(self, request: HttpRequest, obj: Workspace | None = None) -> bool:
        if request.user.is_superuser:
            return True
        roles = roles_by_workspace(request)
        return bool(roles) if obj is None else obj.pk in roles

    def has_change_permission(self, request: HttpRequest, obj: Workspace | None = None) -> bool:
        return request.user.is_superuser

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    def has_delete_permission(self, request: HttpRequest, obj: Workspace | None = None) -> bool:
        return request.user.is_superuser


@admin.register(Connection)
class ConnectionAdmin(WorkspaceScopedAdmin[Connection]):
    change_roles = MANAGE_ROLES
    list_display = [
        "__str__",
        "workspace",
        "provider",
        "status",
        "watched_folder",
        "token_expires_at",
        "last_sync_at",
        "last_error",
    ]
    list_filter = ["provider", "status"]
    list_select_related = ["workspace"]
    search_fields = ["account_label", "watched_folder", "external_account_id"]
    readonly_fields = [
        "provider",
        "status",
        "account_label",
        "external_account_id",
        "consumer_id",
        "scopes",
        "token_expires_at",
        "token_refreshed_at",
        "synced_until",
        "last_sync_started_at",
        "last_sync_at",
        "last_success_at",
        "last_post_at",
        "last_error",
        "last_error_at",
    ]
    fields = ("workspace", "owner", "watched_folder", *readonly_fields)

    def formfield_for_foreignkey(
        self, db_field: models.ForeignKey[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> ModelChoiceField[Any] | None:
        if db_field.name == "owner" and not request.user.is_superuser:
            # Only people of your own workspaces can be told about a connection.
            kwargs["queryset"] = (
                get_user_model()
                .objects.filter(memberships__workspace_id__in=list(roles_by_workspace(request)))
                .distinct()
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj: Connection | None = None) -> list[str]:
        if obj is not None:
            return ["workspace", *self.readonly_fields]
        return list(self.readonly_fields)


@admin.register(Document)
class DocumentAdmin(WorkspaceScopedAdmin[Document]):
    list_display = [
        "original_name",
        "workspace",
        "kind",
        "status",
        "status_reason",
        "page_count",
        "received_at",
    ]
    list_filter = ["status", "kind", ("connection", RelatedOnly)]
    list_select_related = ["workspace"]
    search_fields = ["original_name", "source_path", "content_hash"]
    date_hierarchy = "received_at"
    readonly_fields = [
        "connection",
        "source_file_id",
        "source_path",
        "source_revision",
        "original_name",
        "content_hash",
        "size",
        "mime_type",
        "kind",
        "kind_confidence",
        "status",
        "status_reason",
        "failure_code",
        "duplicate_of",
        "page_count",
        "has_text_layer",
        "language",
        "parse_attempts",
        "received_at",
        "parsed_at",
    ]
    exclude = ["file", "extraction", "words"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Vendor)
class VendorAdmin(WorkspaceScopedAdmin[Vendor]):
    add_roles = frozenset({Role.ADMIN, Role.REVIEWER})
    list_display = [
        "name",
        "workspace",
        "vat_id",
        "domain",
        "ledger_account",
        "status",
        "training_progress",
    ]
    list_filter = ["status"]
    list_select_related = ["workspace"]
    search_fields = ["name", "legal_name", "vat_id", "domain"]
    readonly_fields = [
        "normalized_name",
        "merged_into",
        "learned_mapping",
        "mapping_stats",
        "documents_seen",
        "documents_reviewed",
        "created_at",
    ]

    @admin.display(description="Training", ordering="documents_reviewed")
    def training_progress(self, obj: Vendor) -> str:
        return obj.training_progress


class PostAttemptInline(admin.TabularInline[PostAttempt, Invoice]):
    model = PostAttempt
    extra = 0
    can_delete = False
    show_change_link = True
    readonly_fields = [
        "started_at",
        "attempt_number",
        "outcome",
        "http_status",
        "error_code",
        "error_detail",
        "trace_id",
        "qonto_id",
        "duration_ms",
    ]
    fields = tuple(readonly_fields)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Invoice)
class InvoiceAdmin(WorkspaceScopedAdmin[Invoice]):
    list_display = [
        "__str__",
        "workspace",
        "number",
        "issue_date",
        "total",
        "confidence",
        "status",
        "vendor",
    ]
    list_filter = ["status", "is_held", ("vendor", RelatedOnly)]
    list_select_related = ["workspace", "vendor", "document"]
    search_fields = ["number", "supplier_name", "supplier_vat_id", "qonto_id"]
    autocomplete_fields = ["vendor"]
    inlines = [PostAttemptInline]
    readonly_fields = [
        "document",
        "status",
        "confidence",
        "confidence_components",
        "routing_reasons",
        "routing_rule",
        "is_held",
        "hold_reason",
        "decided_by",
        "decided_at",
        "decision_reason",
        "idempotency_key",
        "qonto_id",
        "post_attempts",
        "last_error_code",
        "last_error",
        "posted_at",
        "converted_amount",
        "home_currency",
        "fx_rate",
        "fx_rate_date",
        "fx_rate_source",
    ]
    exclude = ["fields", "lease_until", "lease_owner", "next_attempt_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description="Total", ordering="total_amount")
    def total(self, obj: Invoice) -> str:
        return format_money(obj.total_amount, obj.currency)


@admin.register(Transaction)
class TransactionAdmin(ReadOnlyTenantAdmin[Transaction]):
    list_display = [
        "value_date",
        "workspace",
        "side",
        "money",
        "local_money",
        "counterparty_name",
        "reference",
        "status",
    ]
    list_filter = ["side", "status", "operation_type"]
    list_select_related = ["workspace"]
    search_fields = ["counterparty_name", "reference", "qonto_id"]
    date_hierarchy = "value_date"
    exclude = ["raw"]

    @admin.display(description="Amount", ordering="amount")
    def money(self, obj: Transaction) -> str:
        return format_money(obj.amount, obj.currency)

    @admin.display(description="Local amount", ordering="local_amount")
    def local_money(self, obj: Transaction) -> str:
        if obj.local_currency in ("", obj.currency):
            return ""
        return format_money(obj.local_amount, obj.local_currency)


@admin.register(Receivable)
class ReceivableAdmin(WorkspaceScopedAdmin[Receivable]):
    add_roles = frozenset({Role.ADMIN, Role.REVIEWER})
    delete_roles = MANAGE_ROLES
    list_display = [
        "reference",
        "workspace",
        "customer_name",
        "money",
        "due",
        "due_date",
        "status",
    ]
    list_filter = ["status"]
    list_select_related = ["workspace"]
    search_fields = ["reference", "customer_name"]
    readonly_fields = ["amount_paid", "status"]

    @admin.display(description="Amount", ordering="amount")
    def money(self, obj: Receivable) -> str:
        return format_money(obj.amount, obj.currency)

    @admin.display(description="Still due")
    def due(self, obj: Receivable) -> str:
        return format_money(obj.amount_due, obj.currency)


@admin.register(Match)
class MatchAdmin(WorkspaceScopedAdmin[Match]):
    list_display = ["__str__", "workspace", "kind", "status", "score", "document", "transaction"]
    list_filter = ["kind", "status"]
    list_select_related = ["workspace", "document", "transaction"]
    search_fields = ["document__original_name", "transaction__counterparty_name"]
    readonly_fields = [
        "kind",
        "status",
        "document",
        "invoice",
        "transaction",
        "receivable",
        "settled_invoice",
        "score",
        "rank",
        "reasons",
        "amount_basis",
        "matched_amount",
        "matched_currency",
        "fx_rate",
        "attached_at",
        "attach_error",
        "decided_by",
        "decided_at",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(PostAttempt)
class PostAttemptAdmin(ReadOnlyTenantAdmin[PostAttempt]):
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
    list_display = [
        "started_at",
        "workspace",
        "kind",
        "trigger",
        "status",
        "files_seen",
        "files_new",
        "files_duplicate",
        "files_skipped",
        "files_failed",
        "items_seen",
        "items_changed",
        "error",
    ]
    list_filter = ["kind", "status", ("connection", RelatedOnly)]
    list_select_related = ["workspace"]
    search_fields = ["error"]
    date_hierarchy = "started_at"


@admin.register(Decision)
class DecisionAdmin(ReadOnlyTenantAdmin[Decision]):
    list_display = ["created_at", "workspace", "action", "actor", "invoice", "reason"]
    list_filter = ["action"]
    list_select_related = ["workspace", "actor", "invoice", "invoice__document"]
    search_fields = ["reason", "invoice__number"]
    date_hierarchy = "created_at"


@admin.register(RoutingRule)
class RoutingRuleAdmin(WorkspaceScopedAdmin[RoutingRule]):
    """Rules are set by superusers; members can read them to understand a routing."""

    change_roles = frozenset()
    list_display = [
        "name",
        "workspace",
        "priority",
        "is_active",
        "vendor",
        "document_kind",
        "currency",
        "amount_above",
        "review_threshold",
        "auto_post_threshold",
        "always_review",
    ]
    list_filter = ["is_active", "document_kind"]
    list_select_related = ["workspace", "vendor"]
    search_fields = ["name"]
    autocomplete_fields = ["vendor"]


@admin.register(ExchangeRate)
class ExchangeRateAdmin(admin.ModelAdmin[ExchangeRate]):
    list_display = ["rate_date", "base_currency", "quote_currency", "rate", "source"]
    list_filter = ["source", "base_currency", "quote_currency"]
    date_hierarchy = "rate_date"

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser or bool(roles_by_workspace(request))

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser or bool(roles_by_workspace(request))
