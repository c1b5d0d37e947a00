"""Workspaces, members and provider connections."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib import messages
from django.contrib.admin import helpers
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import models
from django.db.models import QuerySet
from django.forms import ModelChoiceField
from django.http import HttpRequest
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern
from django.urls import path
from django.urls import reverse
from django.utils.html import format_html

from reconciliation.admin.base import PlainListTitle
from reconciliation.admin.base import WorkspaceScopedAdmin
from reconciliation.admin.decision_display import percent_column
from reconciliation.admin.preferences import digest_preferences_view
from reconciliation.admin.simulator import simulator_view
from reconciliation.connections.flows import consent_origins
from reconciliation.connections.flows import disconnect
from reconciliation.connections.flows import folder_name
from reconciliation.intake.folder_polls import request_sync
from reconciliation.invoices.routing import record_threshold_change
from reconciliation.invoices.routing import threshold_values
from reconciliation.models import Connection
from reconciliation.models import Membership
from reconciliation.models import Provider
from reconciliation.models import Workspace
from reconciliation.web.access import MANAGE_ROLES
from reconciliation.web.access import roles_by_workspace
from reconciliation.web.access import workspace_ids_with


class MembershipInline(admin.TabularInline[Membership, Workspace]):
    model = Membership
    extra = 1
    autocomplete_fields = ["user"]


@admin.register(Workspace)
class WorkspaceAdmin(PlainListTitle, admin.ModelAdmin[Workspace]):
    """Superusers manage workspaces, members and thresholds; members see their own."""

    list_display = [
        "name",
        "slug",
        "home_currency",
        # The thresholds in percent, as the review screen and the simulator show them.
        "review_percent",
        "auto_post_percent",
        "match_percent",
        "poll_interval_minutes",
    ]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]
    fieldsets = [
        (None, {"fields": ["name", "slug", "vat_id", "home_currency", "data_region"]}),
        (
            "Routing thresholds (percent)",
            {
                "fields": [
                    "review_threshold",
                    "auto_post_threshold",
                    "match_threshold",
                    "qonto_link_threshold",
                    "review_vendors_in_training",
                    "threshold_simulator",
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

    readonly_fields = ["threshold_simulator"]

    review_percent = percent_column(Workspace, "review_threshold")
    auto_post_percent = percent_column(Workspace, "auto_post_threshold")
    match_percent = percent_column(Workspace, "match_threshold")

    @admin.display(description="Before saving")
    def threshold_simulator(self, obj: Workspace) -> str:
        if not obj.pk:
            return "—"
        url = reverse("admin:reconciliation_workspace_simulator", args=[obj.pk])
        return format_html('<a href="{}">Simulate other thresholds or a rule…</a>', url)

    def get_urls(self) -> list[URLPattern]:
        simulator = path(
            "<int:workspace_id>/simulator/",
            self.admin_site.admin_view(self.simulator),
            name="reconciliation_workspace_simulator",
        )
        preferences = path(
            "digest-preferences/",
            self.admin_site.admin_view(self.digest_preferences),
            name="reconciliation-digest-preferences",
        )
        return [simulator, preferences, *super().get_urls()]

    def simulator(self, request: HttpRequest, workspace_id: int) -> HttpResponse:
        return simulator_view(request, workspace_id, dict(self.admin_site.each_context(request)))

    def digest_preferences(self, request: HttpRequest) -> HttpResponse:
        return digest_preferences_view(request, dict(self.admin_site.each_context(request)))

    def save_model(self, request: HttpRequest, obj: Workspace, form: Any, change: bool) -> None:
        """Threshold changes are logged (who, before → after) and re-route undecided invoices."""
        stored = Workspace.objects.filter(pk=obj.pk).first() if change else None
        before = threshold_values(stored) if stored is not None else None
        super().save_model(request, obj, form, change)
        if before is None:
            return
        user = request.user if isinstance(request.user, User) else None
        result = record_threshold_change(workspace=obj, user=user, before=before)
        if result.examined:
            self.message_user(
                request,
                f"Thresholds changed: {result.examined} undecided invoice(s) routed again.",
                messages.INFO,
            )

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
    change_list_template = "admin/reconciliation/connection/change_list.html"
    actions = ["sync_now", "disconnect"]
    list_display = [
        "__str__",
        "workspace",
        "provider",
        "status",
        "watched_folder_shown",
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

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        # Disconnect revokes the provider's tokens and keeps the history; a bulk delete beside
        # it would drop the row with its tokens unrevoked.
        return {k: v for k, v in super().get_actions(request).items() if k != "delete_selected"}

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

    def save_model(self, request: HttpRequest, obj: Connection, form: Any, change: bool) -> None:
        if change and "watched_folder" in form.changed_data:
            # The provider's cursor belongs to the old folder: list the new one from scratch.
            obj.cursor = ""
            obj.watched_folder_name = folder_name(obj)
        super().save_model(request, obj, form, change)

    @admin.display(description="Watched folder", ordering="watched_folder")
    def watched_folder_shown(self, obj: Connection) -> str:
        """The folder's name or path; a folder stored by an id (Apideck) keeps the id only as
        the name's tooltip, for support."""
        label = obj.watched_folder_label
        if not label:
            return "—"
        if obj.watched_folder and obj.watched_folder != label:
            return format_html('<span title="{}">{}</span>', obj.watched_folder, label)
        return label

    @staticmethod
    def _managed(request: HttpRequest, queryset: QuerySet[Connection]) -> QuerySet[Connection]:
        """Actions act only where the user administers: seeing a row is not managing it."""
        if request.user.is_superuser:
            return queryset
        return queryset.filter(workspace_id__in=workspace_ids_with(request, MANAGE_ROLES))

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Connections are made by the Connect buttons (OAuth / Vault), never typed in.
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Connection | None = None) -> list[str]:
        if obj is not None:
            return ["workspace", *self.readonly_fields]
        return list(self.readonly_fields)

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        managed = Workspace.objects.for_user(request.user)
        if not request.user.is_superuser:
            managed = managed.filter(pk__in=workspace_ids_with(request, MANAGE_ROLES))
        extra_context = {
            **(extra_context or {}),
            "connect_workspaces": list(managed),
            "connect_providers": [(p.value, p.label) for p in Provider],
        }
        response = super().changelist_view(request, extra_context)
        # Connect buttons POST here and are redirected to the provider's consent page; CSP's
        # form-action covers that redirect, so this page allows exactly the configured hosts.
        response._csp_update = {"form-action": consent_origins()}  # type: ignore[attr-defined]
        return response

    @admin.action(
        description="Disconnect (revoke at the provider and wipe tokens)", permissions=["change"]
    )
    def disconnect(
        self, request: HttpRequest, queryset: QuerySet[Connection]
    ) -> TemplateResponse | None:
        user = request.user
        assert isinstance(user, User)  # the admin only serves authenticated users
        connections = list(self._managed(request, queryset).select_related("workspace"))
        if request.POST.get("confirmed") != "yes":
            # Revoking cannot be undone from here (the user must consent again): say so first.
            return TemplateResponse(
                request,
                "admin/reconciliation/connection/disconnect_confirmation.html",
                {
                    **self.admin_site.each_context(request),
                    "title": "Disconnect?",
                    "connections": connections,
                    "opts": self.model._meta,
                    "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                },
            )
        results = [disconnect(connection=c, user=user) for c in connections]
        for result in results:
            level = messages.SUCCESS if result.revoked_at_provider else messages.WARNING
            self.message_user(request, f"{result.connection}: {result.message}", level)
        return None

    @admin.action(description="Sync now (within the hourly limit)", permissions=["change"])
    def sync_now(self, request: HttpRequest, queryset: QuerySet[Connection]) -> None:
        for connection in self._managed(request, queryset).select_related("workspace"):
            outcome = request_sync(connection=connection)
            self.message_user(request, f"{connection}: {outcome.message}", outcome.level)
