"""The review queue's two filters of why a document waits, with distinct scopes: "By situation"
(`ReasonFilter`, parameter ``reason``) from the rows' own facts — a double charge, a payment to
match, a vendor in training… — and "By routing reason" (`QueueReasonCodeFilter`, parameter
``code``) from the reasons Well wrote, without the ones a situation already covers. The
dashboard's "Review queue by reason" counts with the same `code_condition`; an unknown value of
either filter is refused as Django refuses an invalid lookup ("?e=1")."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Q
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.http import urlencode

from reconciliation.admin.reason_codes import DocumentReasonCodeFilter
from reconciliation.admin.unknown_filters import known_value
from reconciliation.invoices.reasons import label as reason_label
from reconciliation.models import VendorStatus

#: The reason codes a situation of `ReasonFilter` covers: "By routing reason" leaves them out
#: (a link by one of these codes still filters, and shows it chosen).
COVERED_CODES = frozenset({"payment_to_match", "vendor_in_training", "no_text_layer"})


#: The situations of `ReasonFilter` whose rows are exactly a reason code's (the same
#: `code_condition`): a link by that code opens the situation, so the choice a person sees
#: chosen is the one the queue offers for it.
SITUATION_OF_CODE = {"vendor_in_training": "training"}


def queue_query(code: str) -> str:
    """The review queue's query listing the rows of reason `code` (the dashboard's links):
    by its situation when one is exactly its rows, else by the ``code`` filter."""
    situation = SITUATION_OF_CODE.get(code)
    return urlencode({"reason": situation} if situation else {"code": code})


def code_condition(code: str) -> Q:
    """The queue's rows Well wrote reason `code` for (held, routed, or sent to review by it):
    the one definition of the ``code`` filter, the "Vendor in training" situation and the
    dashboard's "Review queue by reason" counts, so a count is the rows its link opens."""
    return DocumentReasonCodeFilter.condition(code)


class ReasonFilter(admin.SimpleListFilter):
    """Why a document is in the queue, from the rows' own facts (not from reason wording); the
    situations a reason code also names go by that code's label."""

    title = "situation"
    parameter_name = "reason"

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin[Any]
    ) -> list[tuple[str, str]]:
        return [
            ("double_charge", reason_label("double_charge")),
            ("payment_match", reason_label("payment_to_match")),
            ("held", "Held out of posting"),
            ("new_vendor", "New or unknown vendor"),
            ("training", reason_label("vendor_in_training")),
            ("conflict", "Conflicts with the vendor record"),
            ("rule", "Routing rule"),
            ("no_text", reason_label("no_text_layer")),
            ("nothing_fits", "Payment or advice nothing fits"),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        conditions: dict[str, Q] = {
            "double_charge": Q(is_double_charge=True),
            "payment_match": Q(open_candidates__gt=0),
            "held": Q(invoice__is_held=True),
            "new_vendor": Q(invoice__vendor__isnull=True)
            | Q(invoice__vendor__status=VendorStatus.NEEDS_REVIEW),
            # Training sent it here (routing wrote it), not every invoice of such a vendor.
            "training": code_condition("vendor_in_training"),
            # Scoring stores each conflict as a component keyed "conflict:<field>".
            "conflict": Q(invoice__confidence_components__components__icontains='"conflict:'),
            "rule": Q(invoice__routing_rule__isnull=False),
            "no_text": Q(has_text_layer=False),
            "nothing_fits": ~Q(review_reason=""),
        }
        known_value(value, conditions)
        return queryset.filter(conditions[value]) if value is not None else queryset


class QueueReasonCodeFilter(DocumentReasonCodeFilter):
    """The reasons Well wrote that no situation of `ReasonFilter` covers."""

    title = "routing reason"

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin[Any]
    ) -> list[tuple[str, str]]:
        return [
            (code, name)
            for code, name in super().lookups(request, model_admin)
            if code not in COVERED_CODES or code == self.value()
        ]
