"""Vendors (training progress, learned mapping, merging) and the routing rules that can
single them out (superusers only; every change is logged and re-routes undecided invoices)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib import messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.db.models import OuterRef
from django.db.models import QuerySet
from django.db.models import Subquery
from django.http import HttpRequest
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.utils.html import format_html
from django.utils.html import format_html_join

from reconciliation.admin.bank_details import history_table
from reconciliation.admin.base import LinesField
from reconciliation.admin.base import WorkspaceScopedAdmin
from reconciliation.admin.decision_display import field_label
from reconciliation.admin.decision_display import percent_column
from reconciliation.invoices.routing import record_rule_change
from reconciliation.invoices.routing import rule_snapshot
from reconciliation.models import TRAINING_DOCUMENTS
from reconciliation.models import Role
from reconciliation.models import RoutingRule
from reconciliation.models import Vendor
from reconciliation.models import VendorStatus
from reconciliation.money import format_money
from reconciliation.text.domains import is_shared_domain
from reconciliation.text.domains import normalize_domain
from reconciliation.text.identifiers import compact_vat_id
from reconciliation.text.identifiers import normalize_iban
from reconciliation.text.identifiers import normalize_vat_id
from reconciliation.text.percents import whole_percent
from reconciliation.vendors.enrichment import accounts_by_use
from reconciliation.vendors.enrichment import ledger_account_for
from reconciliation.vendors.keys import index_vendor
from reconciliation.vendors.merging import MergeError
from reconciliation.vendors.merging import merge_vendors

MERGE_TEMPLATE = "admin/reconciliation/vendor/merge_confirmation.html"
#: Who the vendor is and how it is paid: the head of its page and of its form.
IDENTITY_FIELDS = [
    "workspace",
    "name",
    "legal_name",
    "status",
    "vat_id",
    "tax_id",
    "domain",
    "ibans",
]

#: What Well keeps about the vendor by itself: the tail of its page, never typed.
LEARNED_FIELDS = [
    "training_progress_bar",
    "mapping_table",
    "normalized_name",
    "merged_into",
    "documents_seen",
    "documents_reviewed",
    "created_at",
]


class VendorForm(forms.ModelForm[Vendor]):
    """Identifiers are stored normalised, so lookups by VAT id, IBAN and domain find them."""

    ibans = LinesField(label="IBANs", required=False, help_text="One IBAN per line.")
    aliases = LinesField(required=False, help_text="One name per line.")

    class Meta:
        model = Vendor
        fields = [*IDENTITY_FIELDS, "aliases", "ledger_account"]

    def clean_status(self) -> str:
        status = str(self.cleaned_data.get("status") or VendorStatus.NEEDS_REVIEW)
        previous = self.instance.status if self.instance.pk else None
        if status == VendorStatus.MERGED and previous != VendorStatus.MERGED:
            raise ValidationError("Use the “Merge selected vendors” action to merge a vendor.")
        return status

    def _normalized(
        self, name: str, normalize: Callable[[str], str | None], invalid: Callable[[str], str]
    ) -> str:
        """The field as stored ("" when left empty); `invalid` says why a typed value is not."""
        raw = str(self.cleaned_data.get(name) or "")
        if not raw.strip():
            return ""
        value = normalize(raw)
        if value is None:
            raise ValidationError(invalid(raw))
        return value

    def clean_vat_id(self) -> str:
        return self._normalized(
            "vat_id", normalize_vat_id, lambda raw: f"{compact_vat_id(raw)} is not a valid VAT id."
        )

    def clean_domain(self) -> str:
        domain = self._normalized(
            "domain", normalize_domain, lambda raw: "Enter a domain such as example.com."
        )
        if domain and is_shared_domain(domain):
            raise ValidationError(f"{domain} is a shared mail host; it identifies nobody.")
        return domain

    def clean_ibans(self) -> list[str]:
        raw = self.cleaned_data.get("ibans") or []
        ibans: list[str] = []
        for value in raw:
            iban = normalize_iban(str(value))
            if iban is None:
                raise ValidationError(f"{value} is not a valid IBAN.")
            if iban not in ibans:
                ibans.append(iban)
        return ibans

    def clean_aliases(self) -> list[str]:
        raw = self.cleaned_data.get("aliases") or []
        return [str(alias).strip() for alias in raw if str(alias).strip()]


@admin.register(Vendor)
class VendorAdmin(WorkspaceScopedAdmin[Vendor]):
    form = VendorForm
    add_roles = frozenset({Role.ADMIN, Role.REVIEWER})
    list_display = [
        "name",
        "workspace",
        "vat_id",
        "domain",
        "account_in_use",
        "status",
        "training_progress",
        "mapping_hit_rate",
        "documents_seen",
    ]
    list_filter = ["status"]
    list_select_related = ["workspace"]
    search_fields = ["name", "legal_name", "normalized_name", "vat_id", "domain"]
    actions = ["merge_selected"]
    fields = [
        *IDENTITY_FIELDS,
        "bank_detail_history",
        "aliases",
        "ledger_account",
        "account_from_history",
        *LEARNED_FIELDS,
    ]
    readonly_fields = ["bank_detail_history", "account_from_history", *LEARNED_FIELDS]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Vendor]:
        most_used = accounts_by_use(OuterRef("workspace_id"), OuterRef("pk"))
        return (
            super()
            .get_queryset(request)
            .annotate(used_account=Subquery(most_used.values("ledger_account")[:1]))
        )

    @admin.display(description="Ledger account", ordering="ledger_account")
    def account_in_use(self, obj: Vendor) -> str:
        """The account the review screen fills in: the most used on the vendor's approved
        invoices (the same rule), else the vendor's default."""
        used = getattr(obj, "used_account", None)
        if used:
            return format_html('{} <span class="well-quiet">(from history)</span>', used)
        return obj.ledger_account or "—"

    @admin.display(description="Account filled in on review")
    def account_from_history(self, obj: Vendor) -> str:
        if not obj.pk:
            return "—"
        account, origin = ledger_account_for(obj)
        return format_html("{} — {}", account, origin) if account else "None yet."

    def get_readonly_fields(self, request: HttpRequest, obj: Vendor | None = None) -> list[str]:
        fields = list(self.readonly_fields)
        if obj is not None:
            fields.insert(0, "workspace")
        return fields

    @admin.display(description="Training", ordering="documents_reviewed")
    def training_progress(self, obj: Vendor) -> str:
        return obj.training_progress

    @admin.display(description="Training (documents reviewed)")
    def training_progress_bar(self, obj: Vendor) -> str:
        reviewed = min(obj.documents_reviewed, TRAINING_DOCUMENTS)
        state = "in training" if obj.is_in_training else "trained"
        return format_html(
            '<progress max="{}" value="{}"></progress> {} — {}',
            TRAINING_DOCUMENTS,
            reviewed,
            obj.training_progress,
            state,
        )

    @admin.display(description="Bank-detail history")
    def bank_detail_history(self, obj: Vendor) -> str:
        return history_table(obj) if obj.pk else "—"

    @admin.display(description="Mapping hits")
    def mapping_hit_rate(self, obj: Vendor) -> str:
        tried = sum(int(v.get("tried", 0)) for v in (obj.mapping_stats or {}).values())
        hits = sum(int(v.get("hits", 0)) for v in (obj.mapping_stats or {}).values())
        return f"{whole_percent(hits / tried)} of {tried}" if tried else "—"

    @admin.display(description="Learned mapping (per field)")
    def mapping_table(self, obj: Vendor) -> str:
        mapping: dict[str, Any] = obj.learned_mapping or {}
        stats: dict[str, Any] = obj.mapping_stats or {}
        names = sorted(set(mapping) | set(stats))
        if not names:
            return "Nothing learned yet: corrections on the review screen teach it."
        rows = []
        for name in names:
            rule = mapping.get(name) or {}
            counts = stats.get(name) or {}
            tried = int(counts.get("tried", 0))
            hits = int(counts.get("hits", 0))
            rows.append(
                (
                    field_label(name),
                    _describe_rule(rule),
                    tried,
                    hits,
                    whole_percent(hits / tried) if tried else "—",
                    int(counts.get("confirmed", 0)),
                    int(counts.get("corrected", 0)),
                )
            )
        body = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            rows,
        )
        return format_html(
            '<table class="well-mapping"><thead><tr><th>Field</th><th>How it is found</th>'
            "<th>Tried</th><th>Hits</th><th>Hit rate</th><th>Confirmed</th>"
            "<th>Corrected</th></tr></thead><tbody>{}</tbody></table>",
            body,
        )

    def save_model(self, request: HttpRequest, obj: Vendor, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        index_vendor(vendor=obj)

    @admin.action(description="Merge selected vendors…", permissions=["change"])
    def merge_selected(
        self, request: HttpRequest, queryset: QuerySet[Vendor]
    ) -> HttpResponse | None:
        vendors = list(queryset.select_related("workspace").order_by("pk"))
        problem = self._merge_problem(request, vendors)
        if problem:
            self.message_user(request, problem, messages.ERROR)
            return None
        survivor_id = request.POST.get("survivor", "")
        if request.POST.get("post") == "yes" and survivor_id.isdigit():
            return self._merge_confirmed(request, vendors, int(survivor_id))
        context = {
            **self.admin_site.each_context(request),
            "title": "Merge vendors",
            "opts": self.model._meta,
            "vendors": vendors,
            "action": "merge_selected",
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "default_survivor": max(vendors, key=lambda v: (v.documents_reviewed, -v.pk)).pk,
        }
        return TemplateResponse(request, MERGE_TEMPLATE, context)

    def _merge_problem(self, request: HttpRequest, vendors: list[Vendor]) -> str:
        if len(vendors) < 2:
            return "Select at least two vendors to merge."
        if len({v.workspace_id for v in vendors}) > 1:
            return "Vendors of different workspaces cannot be merged."
        if any(v.status == VendorStatus.MERGED for v in vendors):
            return "A vendor that was already merged cannot be merged again."
        if not all(self.has_change_permission(request, v) for v in vendors):
            return "Your role in this workspace does not allow merging vendors."
        return ""

    def _merge_confirmed(
        self, request: HttpRequest, vendors: list[Vendor], survivor_id: int
    ) -> HttpResponse | None:
        survivor = next((v for v in vendors if v.pk == survivor_id), None)
        if survivor is None:
            self.message_user(
                request, "Pick the vendor to keep among the selected.", messages.ERROR
            )
            return None
        merged = 0
        for duplicate in vendors:
            if duplicate.pk == survivor.pk:
                continue
            try:
                merge_vendors(survivor=survivor, duplicate=duplicate, user=request.user)  # type: ignore[arg-type]
            except MergeError as error:
                self.message_user(request, f"{duplicate}: {error}", messages.ERROR)
                continue
            survivor.refresh_from_db()
            merged += 1
        self.message_user(
            request,
            f"Merged {merged} vendor{'s' if merged != 1 else ''} into “{survivor.name}”.",
            messages.SUCCESS,
        )
        return None


def _describe_rule(rule: dict[str, Any]) -> str:
    relation = rule.get("relation")
    if relation == "right":
        return f"right of “{rule.get('label', '')}”"
    if relation == "below":
        return f"below “{rule.get('label', '')}”"
    if relation == "constant":
        return f"printed as “{rule.get('token', '')}”"
    if relation == "position":
        across, down = (
            whole_percent(float(rule.get("x", 0))),
            whole_percent(float(rule.get("y", 0))),
        )
        return f"at {across} across, {down} down"
    return "—"


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
        "amount_above_shown",
        # The thresholds in percent, as the workspaces list and the review screen show them.
        "review_percent",
        "auto_post_percent",
        "always_review",
    ]
    list_filter = ["is_active", "document_kind"]
    list_select_related = ["workspace", "vendor"]
    search_fields = ["name"]
    autocomplete_fields = ["vendor"]
    review_percent = percent_column(RoutingRule, "review_threshold")
    auto_post_percent = percent_column(RoutingRule, "auto_post_threshold")

    @admin.display(description="Amount above", ordering="amount_above")
    def amount_above_shown(self, obj: RoutingRule) -> str:
        """As the other lists show money ("5,000.00 EUR"); without a currency of its own, the
        rule's amount is in the workspace's home currency."""
        return format_money(obj.amount_above, obj.amount_currency)

    def save_model(self, request: HttpRequest, obj: RoutingRule, form: Any, change: bool) -> None:
        before = None
        if change:
            previous = RoutingRule.objects.filter(pk=obj.pk).first()
            before = rule_snapshot(previous) if previous is not None else None
        super().save_model(request, obj, form, change)
        result = record_rule_change(
            workspace=obj.workspace,
            user=request.user,  # type: ignore[arg-type]
            before=before,
            after=rule_snapshot(obj),
        )
        if result.changed:
            self.message_user(
                request, f"Re-routed {result.changed} undecided invoice(s) with the new rule."
            )

    def delete_model(self, request: HttpRequest, obj: RoutingRule) -> None:
        before = rule_snapshot(obj)
        workspace = obj.workspace
        super().delete_model(request, obj)
        record_rule_change(workspace=workspace, user=request.user, before=before, after=None)  # type: ignore[arg-type]

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[RoutingRule]) -> None:
        for rule in list(queryset.select_related("workspace")):
            self.delete_model(request, rule)
