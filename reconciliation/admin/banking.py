"""The bank side: transactions, receivables (with CSV import) and exchange rates, and the
match columns and inlines their pages show (the Matches list itself: `admin.matches`).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from import_export.admin import ImportMixin
from import_export.forms import ConfirmImportForm
from import_export.forms import ImportForm

from reconciliation.admin.base import PlainListTitle
from reconciliation.admin.base import ReadOnlyTenantAdmin
from reconciliation.admin.base import WorkspaceScopedAdmin
from reconciliation.admin.receivable_import import ReceivableImportResource
from reconciliation.admin.unknown_filters import known_value
from reconciliation.admin.volume import OPERATION_TYPES
from reconciliation.admin.volume import BigListMixin
from reconciliation.admin.volume import choices_filter
from reconciliation.admin.volume import date_filter
from reconciliation.models import ExchangeRate
from reconciliation.models import Match
from reconciliation.models import Receivable
from reconciliation.models import ReceivableStatus
from reconciliation.models import Role
from reconciliation.models import Transaction
from reconciliation.models import Workspace
from reconciliation.models.banking import signed_money
from reconciliation.money import format_money
from reconciliation.money import format_rate
from reconciliation.text.identifiers import compact_iban
from reconciliation.text.names import normalize_counterparty
from reconciliation.text.percents import percent
from reconciliation.text.references import normalize_reference
from reconciliation.web.access import MANAGE_ROLES
from reconciliation.web.access import roles_by_workspace
from reconciliation.web.access import workspace_ids_with


class MatchColumns:
    """A match's kind and status as people read them, and its score as a percentage."""

    @admin.display(description="Kind", ordering="kind")
    def match_kind(self, obj: Match) -> str:
        """The words of the Kind filter's choices (`Match.kind_label`: a credit-note refund
        says so), short enough for a row of two lines."""
        return obj.kind_label

    @admin.display(description="Status", ordering="status")
    def match_status(self, obj: Match) -> str:
        return obj.status_label

    @admin.display(description="Score", ordering="score")
    def match_score(self, obj: Match) -> str:
        return percent(obj.score)


class MatchInline(MatchColumns, admin.TabularInline[Match, Any]):
    """Read-only: what a transaction or receivable was matched with."""

    model = Match
    extra = 0
    can_delete = False
    show_change_link = True
    fields = readonly_fields = (
        "match_kind",
        "match_status",
        "match_score",
        "document",
        "receivable",
        "matched",
        "decided_by",
    )
    ordering = ["-created_at"]

    @admin.display(description="Amount")
    def matched(self, obj: Match) -> str:
        return format_money(obj.matched_amount, obj.matched_currency)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Match]:
        return super().get_queryset(request).select_related("document", "receivable", "decided_by")


class TransactionMatchInline(MatchInline):
    fk_name = "transaction"


class ReceivableMatchInline(MatchInline):
    fk_name = "receivable"
    verbose_name_plural = "payments received"


@admin.register(Transaction)
class TransactionAdmin(BigListMixin, ReadOnlyTenantAdmin[Transaction]):
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
    list_filter = [
        "side",
        "status",
        choices_filter("operation_type", "operation type", OPERATION_TYPES),
        date_filter("value_date", "value date"),
    ]
    list_select_related = ["workspace"]
    search_fields = ["counterparty_name", "reference", "normalized_reference", "qonto_id"]
    exclude = ["raw"]
    inlines = [TransactionMatchInline]

    @admin.display(description="Amount", ordering="amount")
    def money(self, obj: Transaction) -> str:
        return signed_money(obj.amount, obj.currency, obj.side)

    @admin.display(description="Local amount", ordering="local_amount")
    def local_money(self, obj: Transaction) -> str:
        if obj.local_currency in ("", obj.currency):
            return ""
        return signed_money(obj.local_amount, obj.local_currency, obj.side)


# --- receivables ---------------------------------------------------------------------------


class ReceivableImportForm(ImportForm):
    workspace = forms.ModelChoiceField(queryset=Workspace.objects.none(), required=True)
    field_order = ["workspace", "resource", "import_file", "format"]


class ReceivableConfirmImportForm(ConfirmImportForm):
    workspace = forms.ModelChoiceField(
        queryset=Workspace.objects.none(), widget=forms.HiddenInput()
    )


class ReceivableStatusFilter(admin.SimpleListFilter):
    title = "payment"
    parameter_name = "payment"

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin[Any]
    ) -> list[tuple[str, str]]:
        return [("due", "Still due (open or partly paid)"), *ReceivableStatus.choices]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        known_value(value, ["due", *ReceivableStatus.values])
        if value == "due":
            return queryset.filter(
                status__in=(ReceivableStatus.OPEN, ReceivableStatus.PARTIALLY_PAID)
            )
        return queryset.filter(status=value) if value is not None else queryset


@admin.register(Receivable)
class ReceivableAdmin(ImportMixin, WorkspaceScopedAdmin[Receivable]):
    add_roles = frozenset({Role.ADMIN, Role.REVIEWER})
    delete_roles = MANAGE_ROLES
    resource_classes = [ReceivableImportResource]
    import_export_change_list_template = "admin/import_export/change_list_import_export.html"
    import_form_class = ReceivableImportForm
    confirm_form_class = ReceivableConfirmImportForm
    list_display = [
        "reference",
        "workspace",
        "customer_name",
        "money",
        "paid",
        "due",
        "due_date",
        "status",
    ]
    list_filter = [ReceivableStatusFilter]
    list_select_related = ["workspace"]
    search_fields = ["reference", "normalized_reference", "customer_name"]
    readonly_fields = ["amount_paid", "due", "status"]
    inlines = [ReceivableMatchInline]

    @admin.display(description="Amount", ordering="amount")
    def money(self, obj: Receivable) -> str:
        return format_money(obj.amount, obj.currency)

    @admin.display(description="Paid", ordering="amount_paid")
    def paid(self, obj: Receivable) -> str:
        return format_money(obj.amount_paid, obj.currency)

    @admin.display(description="Still due")
    def due(self, obj: Receivable) -> str:
        if obj.amount is None:  # the add form
            return "—"
        return format_money(obj.amount_due, obj.currency)

    def save_model(self, request: HttpRequest, obj: Receivable, form: Any, change: bool) -> None:
        obj.normalized_reference = normalize_reference(obj.reference)[:140]
        obj.normalized_customer = normalize_counterparty(obj.customer_name)
        obj.customer_iban = compact_iban(obj.customer_iban)
        obj.refresh_status()  # a corrected amount may change what is still due
        super().save_model(request, obj, form, change)

    # Import: into one workspace the user may add receivables to.
    def has_import_permission(self, request: HttpRequest) -> bool:
        return self.has_add_permission(request)

    def _importable_workspaces(self, request: HttpRequest) -> QuerySet[Workspace]:
        if request.user.is_superuser:
            return Workspace.objects.all()
        return Workspace.objects.filter(pk__in=workspace_ids_with(request, self.add_roles))

    def create_import_form(self, request: HttpRequest) -> Any:
        form = super().create_import_form(request)
        choices = self._importable_workspaces(request)
        form.fields["workspace"].queryset = choices
        if not form.is_bound and choices.count() == 1:
            form.fields["workspace"].initial = choices.first()
        return form

    def create_confirm_form(self, request: HttpRequest, import_form: Any = None) -> Any:
        form = super().create_confirm_form(request, import_form)
        form.fields["workspace"].queryset = self._importable_workspaces(request)
        return form

    def get_confirm_form_initial(self, request: HttpRequest, import_form: Any) -> dict[str, Any]:
        initial: dict[str, Any] = super().get_confirm_form_initial(request, import_form)
        if import_form is not None:
            initial["workspace"] = import_form.cleaned_data["workspace"].pk
        return initial

    def get_import_resource_kwargs(self, request: HttpRequest, **kwargs: Any) -> dict[str, Any]:
        form = kwargs.get("form")
        workspace = None
        if form is not None and form.is_bound and form.is_valid():
            workspace = form.cleaned_data.get("workspace")
        return {"workspace": workspace}

    def get_import_data_kwargs(self, **kwargs: Any) -> dict[str, Any]:
        kwargs.pop("form", None)
        return kwargs


@admin.register(ExchangeRate)
class ExchangeRateAdmin(PlainListTitle, admin.ModelAdmin[ExchangeRate]):
    list_display = ["rate_date", "base_currency", "quote_currency", "rate_value", "source"]
    list_filter = ["source", "base_currency", "quote_currency"]
    date_hierarchy = "rate_date"

    @admin.display(description="Rate", ordering="rate")
    def rate_value(self, obj: ExchangeRate) -> str:
        """Without trailing zeros ("1.0742", not the stored "1.0742000000")."""
        return format_rate(obj.rate)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser or bool(roles_by_workspace(request))

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.is_superuser or bool(roles_by_workspace(request))
