"""The one base every tenant admin uses: rows, dropdowns, filters and exports per workspace."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING
from typing import Any
from typing import ClassVar
from typing import TypeVar

from django import forms
from django.contrib import admin
from django.contrib import messages
from django.contrib.admin.options import IS_POPUP_VAR
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import ERROR_FLAG
from django.contrib.admin.views.main import ChangeList
from django.db import models
from django.db.models import QuerySet
from django.http import Http404
from django.http import HttpRequest
from django.http import HttpResponse
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils.html import format_html
from django.utils.text import capfirst
from import_export.admin import ExportMixin

from reconciliation.admin.resource_base import AuditExportForm
from reconciliation.admin.resources import export_resource_classes
from reconciliation.admin.unknown_filters import UNKNOWN_FILTER_WARNING
from reconciliation.admin.unknown_filters import known_choices
from reconciliation.models import Role
from reconciliation.models import TenantModel
from reconciliation.models import Workspace
from reconciliation.money import MONEY_DECIMAL_PLACES
from reconciliation.money import currency_field_of
from reconciliation.money import quantize_known
from reconciliation.web.access import ALL_ROLES
from reconciliation.web.access import EDIT_ROLES
from reconciliation.web.access import has_role
from reconciliation.web.access import roles_by_workspace
from reconciliation.web.access import workspace_ids_with

if TYPE_CHECKING:
    from django.forms import ModelChoiceField
    from django.http import HttpResponse

_T = TypeVar("_T", bound=TenantModel)

RelatedOnly = admin.RelatedOnlyFieldListFilter


class NamedEmptyChoice(admin.RelatedFieldListFilter):
    """A related-row filter whose choice for rows pointing to none says so ("No connection")
    instead of the admin's bare "-"; `empty_label` words it otherwise."""

    empty_label: ClassVar[str] = ""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        label = self.empty_label or f"No {self.field.verbose_name}"
        self.empty_value_display = format_html("{}", label)


def sees_several_workspaces(request: HttpRequest) -> bool:
    """Whether a workspace column or filter tells this user anything: a member of several, or a
    superuser on a server that holds several (asked once per request)."""
    if not request.user.is_superuser:
        return len(roles_by_workspace(request)) > 1
    several: bool | None = getattr(request, "_well_several_workspaces", None)
    if several is None:
        several = Workspace.objects.all()[:2].count() > 1
        request._well_several_workspaces = several  # type: ignore[attr-defined]
    return several


class WorkspaceListFilter(admin.SimpleListFilter):
    """Lists only the workspaces the user belongs to."""

    title = "workspace"
    parameter_name = "workspace"

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin[Any]
    ) -> list[tuple[str, str]]:
        return [(str(w.pk), w.name) for w in Workspace.objects.for_user(request.user)]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if value and value.isdigit():
            return queryset.filter(workspace_id=int(value))
        return queryset


class ChoicesCheckedChangeList(ChangeList):
    """A list (and its export, built on it) whose address gives a field of fixed choices a
    value it does not have ("?status=nonsense") refuses it as an unknown filter ("?e=1"), not
    "0 results"; a custom filter's own parameter is left to it (it knows its values:
    "?kind__exact=credit_note_refund")."""

    def get_queryset(
        self, request: HttpRequest, exclude_parameters: list[str | None] | None = None
    ) -> QuerySet[Any]:
        queryset: QuerySet[Any] = super().get_queryset(request, exclude_parameters)
        owned = [
            name
            for spec in self.filter_specs
            if not isinstance(spec, admin.FieldListFilter)
            for name in spec.expected_parameters()
            if name is not None
        ]
        known_choices(self.model, self.get_filters_params(), owned)
        return queryset


class PlainListTitle:
    """A list page titled by what it lists ("Matches", "Invoices"), not Django's "Select match
    to change"; a pop-up picker keeps its "Select …", a page that words its own title keeps it.
    Opened with a filter it does not know ("?e=1"), it says so (`UNKNOWN_FILTER_WARNING`)."""

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if IS_POPUP_VAR not in request.GET and IS_POPUP_VAR not in request.POST:
            opts = self.model._meta  # type: ignore[attr-defined]
            extra_context = {"title": capfirst(opts.verbose_name_plural), **(extra_context or {})}
        response: HttpResponse = super().changelist_view(  # type: ignore[misc]
            request, extra_context
        )
        if ERROR_FLAG in request.GET and isinstance(response, TemplateResponse):
            # Only on the list shown (not on a redirect, whose list would say it twice).
            messages.warning(request, UNKNOWN_FILTER_WARNING)
        return response


class EditsNothingByHand:
    """A change page on which nothing is edited by hand (its ways forward are buttons posting
    elsewhere): no Save buttons, and a POST to it is turned away unread, never saved over what
    a worker just wrote (sent back to the page; refused as Django refuses it, 403 or 404, to
    whoever may not change the row or cannot see it)."""

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        if request.method == "POST":
            obj = self.get_object(request, unquote(object_id))  # type: ignore[attr-defined]
            may_change = self.has_change_permission  # type: ignore[attr-defined]
            if obj is not None and may_change(request, obj):
                return HttpResponseRedirect(request.path)
        context = {"show_save": False, "show_save_and_continue": False, **(extra_context or {})}
        response: HttpResponse = super().change_view(  # type: ignore[misc]
            request, object_id, form_url, context
        )
        return response


class WorkspaceScopedAdmin(PlainListTitle, ExportMixin, admin.ModelAdmin[_T]):
    """Scopes everything an admin page shows or accepts to the user's workspaces.

    Permissions come from the user's role in the row's workspace, not from Django's
    per-model permissions: a reviewer of workspace A is nobody in workspace B.
    """

    #: Roles that may change / add / delete rows of this model (superusers always may).
    change_roles: frozenset[Role] = EDIT_ROLES
    add_roles: frozenset[Role] = frozenset()
    delete_roles: frozenset[Role] = frozenset()
    view_roles: frozenset[Role] = ALL_ROLES
    #: The export form's columns named as the file's headers.
    export_form_class = AuditExportForm
    #: CSV with a byte-order mark: Excel reads it as UTF-8 ("Nuage Hébergement", not
    #: "Nuage HÃ©bergement"); imports read "utf-8-sig" too, with or without the mark.
    to_encoding = "utf-8-sig"

    # --- rows -------------------------------------------------------------------------------
    def get_queryset(self, request: HttpRequest) -> QuerySet[_T]:
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(workspace_id__in=workspace_ids_with(request, self.view_roles))

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return ChoicesCheckedChangeList

    def _get_obj_does_not_exist_redirect(
        self, request: HttpRequest, opts: Any, object_id: str
    ) -> HttpResponseRedirect:
        # Django redirects to the index with a message; an id outside your workspaces is a 404.
        raise Http404("No such row in your workspaces.")

    # --- permissions --------------------------------------------------------------------------
    def _workspace_of(self, obj: _T | None) -> int | None:
        return obj.workspace_id if obj is not None else None

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser or bool(roles_by_workspace(request))

    def has_view_permission(self, request: HttpRequest, obj: _T | None = None) -> bool:
        return has_role(request, self._workspace_of(obj), self.view_roles)

    def has_change_permission(self, request: HttpRequest, obj: _T | None = None) -> bool:
        return bool(self.change_roles or request.user.is_superuser) and has_role(
            request, self._workspace_of(obj), self.change_roles
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return bool(self.add_roles or request.user.is_superuser) and has_role(
            request, None, self.add_roles
        )

    def has_delete_permission(self, request: HttpRequest, obj: _T | None = None) -> bool:
        return bool(self.delete_roles or request.user.is_superuser) and has_role(
            request, self._workspace_of(obj), self.delete_roles
        )

    def has_export_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    def export_action(self, request: HttpRequest) -> HttpResponse:
        try:
            response: HttpResponse = super().export_action(request)
        except IncorrectLookupParameters:
            # A filter the list does not know: back to the list, which says so as Django does.
            return HttpResponseRedirect(f"{request.path.removesuffix('export/')}?{ERROR_FLAG}=1")
        return response

    def get_export_resource_classes(self, request: HttpRequest) -> list[type[Any]]:
        # Every export goes through the one escaping, token-free base resource.
        return export_resource_classes(self.model, self.resource_classes)

    def get_valid_export_item_pks(self, request: HttpRequest) -> QuerySet[Any]:
        # "Export selected" may only name rows of the user's own workspaces.
        return self.get_queryset(request).values_list("pk", flat=True)

    # --- forms -----------------------------------------------------------------------------------
    def get_form(
        self, request: HttpRequest, obj: _T | None = None, change: bool = False, **kwargs: Any
    ) -> Any:
        return with_money_inputs(super().get_form(request, obj, change, **kwargs))

    def get_readonly_fields(self, request: HttpRequest, obj: _T | None = None) -> Any:
        readonly = tuple(super().get_readonly_fields(request, obj))
        if obj is not None and "workspace" not in readonly:
            readonly += ("workspace",)  # a row never moves to another workspace (the model refuses)
        return readonly

    def formfield_for_dbfield(
        self, db_field: models.Field[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> Any:
        if isinstance(db_field, models.JSONField) and db_field.default is list:
            # A list of names or references: one a line, never a JSON textarea.
            return LinesField(
                required=not db_field.blank,
                label=capfirst(str(db_field.verbose_name)),
                help_text=db_field.help_text or "One a line.",
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def formfield_for_foreignkey(
        self, db_field: models.ForeignKey[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> ModelChoiceField[Any] | None:
        field: ModelChoiceField[Any] | None = super().formfield_for_foreignkey(
            db_field, request, **kwargs
        )
        if field is None or request.user.is_superuser:
            return field
        related = db_field.related_model
        editable_ids = workspace_ids_with(request, self.change_roles | self.add_roles)
        queryset = field.queryset
        if queryset is None:
            return field
        if related is Workspace:
            field.queryset = queryset.filter(pk__in=editable_ids)
        elif isinstance(related, type) and issubclass(related, TenantModel):
            field.queryset = queryset.filter(workspace_id__in=editable_ids)
        return field

    def get_list_display(self, request: HttpRequest) -> Any:
        columns = list(super().get_list_display(request))
        if "workspace" in columns and not sees_several_workspaces(request):
            columns.remove("workspace")  # one workspace: the column would say the same each row
        return columns

    def get_list_filter(self, request: HttpRequest) -> list[Any]:
        filters = list(super().get_list_filter(request))
        if sees_several_workspaces(request):
            filters.insert(0, WorkspaceListFilter)
        return filters

    def save_model(self, request: HttpRequest, obj: _T, form: Any, change: bool) -> None:
        if not change and getattr(obj, "workspace_id", None) is None:
            editable = workspace_ids_with(request, self.add_roles)
            if len(editable) == 1:
                obj.workspace_id = editable[0]
        super().save_model(request, obj, form, change)


class LinesField(forms.Field):
    """A list typed one value per line (the model stores it as a JSON list), not raw JSON."""

    widget = forms.Textarea(attrs={"rows": 3, "cols": 40})

    def prepare_value(self, value: Any) -> Any:
        return "\n".join(str(item) for item in value) if isinstance(value, list) else value

    def to_python(self, value: Any) -> list[str]:
        return [line.strip() for line in str(value or "").splitlines() if line.strip()]


def with_money_inputs(form_class: Any) -> Any:
    """The form with its amount inputs showing the currency's minor units ("4530.00" for EUR,
    not the stored "4530.000")."""

    class MoneyInputsForm(form_class):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            for name, field in self.fields.items():
                if getattr(field, "decimal_places", None) != MONEY_DECIMAL_PLACES:
                    continue
                value = self.initial.get(name)
                if isinstance(value, Decimal):
                    currency = getattr(self.instance, currency_field_of(name), "")
                    self.initial[name] = quantize_known(value, currency)

    MoneyInputsForm.__name__ = form_class.__name__
    return MoneyInputsForm


class ReadOnlyTenantAdmin(WorkspaceScopedAdmin[_T]):
    """Mirrors and audit rows: visible and exportable, never edited through the admin."""

    change_roles = frozenset()

    def has_change_permission(self, request: HttpRequest, obj: _T | None = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: _T | None = None) -> bool:
        return False

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        extra_context = {
            **(extra_context or {}),
            "show_save": False,
            "show_save_and_continue": False,
        }
        return super().changeform_view(request, object_id, form_url, extra_context)
