"""Vendors and the routing rules that can single them out."""

from __future__ import annotations

from django.contrib import admin

from reconciliation.admin.base import WorkspaceScopedAdmin
from reconciliation.models import (
    Role,
    RoutingRule,
    Vendor,
)


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
