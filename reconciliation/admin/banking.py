"""The bank side: transactions, receivables, matches and exchange rates."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from reconciliation.access import MANAGE_ROLES, roles_by_workspace
from reconciliation.admin.base import ReadOnlyTenantAdmin, WorkspaceScopedAdmin
from reconciliation.models import (
    ExchangeRate,
    Match,
    Receivable,
    Role,
    Transaction,
)
from reconciliation.money import format_money


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


@admin.register(ExchangeRate)
class ExchangeRateAdmin(admin.ModelAdmin[ExchangeRate]):
    list_display = ["rate_date", "base_currency", "quote_currency", "rate", "source"]
    list_filter = ["source", "base_currency", "quote_currency"]
    date_hierarchy = "rate_date"

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser or bool(roles_by_workspace(request))

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser or bool(roles_by_workspace(request))
