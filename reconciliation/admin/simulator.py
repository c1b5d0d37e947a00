"""The threshold simulator page of a workspace (superusers): candidate thresholds and an
optional candidate routing rule, replayed over the last 30/90/365 days before saving."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse

from reconciliation.invoices.simulator import PERIODS
from reconciliation.invoices.simulator import Candidate
from reconciliation.invoices.simulator import simulate
from reconciliation.models import DocumentKind
from reconciliation.models import RoutingRule
from reconciliation.models import Vendor
from reconciliation.models import Workspace


def _percent(*, required: bool = True) -> forms.DecimalField:
    return forms.DecimalField(
        min_value=Decimal(0), max_value=Decimal(100), decimal_places=2, required=required
    )


class SimulatorForm(forms.Form):
    review_threshold = _percent()
    auto_post_threshold = _percent()
    review_vendors_in_training = forms.BooleanField(required=False)
    days = forms.TypedChoiceField(
        choices=[(d, f"last {d} days") for d in PERIODS], coerce=int, initial=90
    )
    rule_enabled = forms.BooleanField(required=False, label="Try a routing rule too")
    rule_priority = forms.IntegerField(min_value=0, initial=100, required=False)
    rule_vendor = forms.ModelChoiceField(queryset=Vendor.objects.none(), required=False)
    rule_document_kind = forms.ChoiceField(
        choices=[("", "any"), *DocumentKind.choices], required=False
    )
    rule_currency = forms.CharField(max_length=3, required=False)
    rule_amount_above = forms.DecimalField(min_value=Decimal(0), required=False)
    rule_review_threshold = _percent(required=False)
    rule_auto_post_threshold = _percent(required=False)
    rule_always_review = forms.BooleanField(required=False)

    def __init__(self, *args: Any, workspace: Workspace, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.workspace = workspace
        vendor_field = self.fields["rule_vendor"]
        assert isinstance(vendor_field, forms.ModelChoiceField)
        vendor_field.queryset = Vendor.objects.for_workspace(workspace).order_by("name")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        review, auto_post = data.get("review_threshold"), data.get("auto_post_threshold")
        if review is not None and auto_post is not None and review > auto_post:
            raise forms.ValidationError("The review threshold must not exceed the auto-post one.")
        return data

    def candidate(self) -> Candidate:
        data = self.cleaned_data
        return Candidate(
            review_threshold=data["review_threshold"],
            auto_post_threshold=data["auto_post_threshold"],
            review_vendors_in_training=data["review_vendors_in_training"],
            rule=self._rule() if data["rule_enabled"] else None,
        )

    def _rule(self) -> RoutingRule:
        data = self.cleaned_data
        return RoutingRule(
            workspace=self.workspace,
            name="Candidate rule",
            priority=data["rule_priority"] if data["rule_priority"] is not None else 100,
            vendor=data["rule_vendor"],
            document_kind=data["rule_document_kind"] or "",
            currency=(data["rule_currency"] or "").upper(),
            amount_above=data["rule_amount_above"],
            review_threshold=data["rule_review_threshold"] or data["review_threshold"],
            auto_post_threshold=data["rule_auto_post_threshold"] or data["auto_post_threshold"],
            always_review=data["rule_always_review"],
        )


def simulator_view(
    request: HttpRequest, workspace_id: int, context: dict[str, Any]
) -> HttpResponse:
    """GET shows the form with the saved settings; POST replays (nothing is saved)."""
    if not request.user.is_superuser:
        raise PermissionDenied
    workspace = get_object_or_404(Workspace, pk=workspace_id)
    initial = {
        "review_threshold": workspace.review_threshold,
        "auto_post_threshold": workspace.auto_post_threshold,
        "review_vendors_in_training": workspace.review_vendors_in_training,
        "days": 90,
    }
    form = SimulatorForm(
        request.POST if request.method == "POST" else None, workspace=workspace, initial=initial
    )
    result = None
    if request.method == "POST" and form.is_valid():
        result = simulate(workspace, form.candidate(), days=form.cleaned_data["days"])
    return TemplateResponse(
        request,
        "admin/reconciliation/workspace/simulator.html",
        {
            **context,
            "title": f"Threshold simulator · {workspace}",
            "workspace": workspace,
            "form": form,
            "result": result,
            "rows": _rows(result) if result else [],
            "moves": _moves(result.moved) if result else [],
        },
    )


def _rows(result: Any) -> list[tuple[str, Any, Any]]:
    current, candidate = result.current, result.candidate

    def rate(value: Decimal | None) -> str:
        return f"{value} %" if value is not None else "—"

    rows: list[tuple[str, Any, Any]] = [
        ("Auto-posted", current.auto_posted, candidate.auto_posted),
        ("Sent to review", current.reviewed, candidate.reviewed),
        ("Refused", current.refused, candidate.refused),
        ("Auto-posts a reviewer later corrected", current.corrected, candidate.corrected),
        ("Expected error rate", rate(current.error_rate), rate(candidate.error_rate)),
    ]
    for name in sorted(set(current.corrected_fields) | set(candidate.corrected_fields)):
        rows.append(
            (
                f"… corrected {name}",
                current.corrected_fields.get(name, 0),
                candidate.corrected_fields.get(name, 0),
            )
        )
    return rows


def _moves(moved: dict[str, int]) -> list[tuple[str, int]]:
    """ "needs_review->approved" as "Needs review → Approved" for people."""
    labels = {"approved": "Auto-posted", "needs_review": "Review", "refused": "Refused"}
    out = []
    for key, count in moved.items():
        before, _, after = key.partition("->")
        out.append((f"{labels.get(before, before)} → {labels.get(after, after)}", count))
    return out
