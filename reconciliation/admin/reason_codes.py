"""Reason codes in the admin: a filter by code (the invoice list and the review queue; an
unknown code is refused through `unknown_filters.known_value`, as every list's filters are),
the codes of an invoice for the exports, and the review queue counted by leading code for the
dashboard. The codes come from the one registry, `reconciliation.invoices.reasons`."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Q
from django.db.models import QuerySet
from django.http import HttpRequest

from reconciliation.admin.unknown_filters import known_value
from reconciliation.invoices import reasons
from reconciliation.invoices.reasons import REGISTRY
from reconciliation.invoices.reasons import codes_of
from reconciliation.invoices.reasons import label
from reconciliation.invoices.reasons import marker
from reconciliation.models import Invoice

#: The codes a list can be filtered by: what refuses, holds or sends to review.
FILTER_CODES = tuple(
    code for code, kind in REGISTRY.items() if kind.effect != "info" and marker(code)
)


def invoice_sentences(invoice: Invoice) -> list[str]:
    """Every sentence saying why the invoice is where it is, the hold first."""
    return reasons.invoice_sentences(
        is_held=invoice.is_held,
        hold_reason=invoice.hold_reason,
        routing_reasons=invoice.routing_reasons or [],
    )


def invoice_codes(invoice: Invoice) -> list[str]:
    return codes_of(invoice_sentences(invoice))


class _ReasonCodeFilter(admin.SimpleListFilter):
    title = "reason code"
    parameter_name = "code"
    #: Where the sentences are, from the listed model.
    paths: tuple[str, ...] = ()

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin[Any]
    ) -> list[tuple[str, str]]:
        return [(code, label(code)) for code in FILTER_CODES]

    @classmethod
    def condition(cls, code: str) -> Q:
        """The rows Well wrote reason `code` for: its marker in any of the sentences at
        `paths` (held, routed, or sent to review by it)."""
        words = marker(code)
        condition = Q(pk__in=[])
        for path in cls.paths:
            condition |= Q(**{f"{path}__icontains": words})
        return condition

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        """The rows of the chosen code; an unknown code is refused (the list goes to "?e=1"
        and says so), never every row as if no code were chosen."""
        value = self.value()
        known_value(value, FILTER_CODES)
        return queryset.filter(self.condition(value)) if value is not None else queryset


class InvoiceReasonCodeFilter(_ReasonCodeFilter):
    paths = ("routing_reasons", "hold_reason")


class DocumentReasonCodeFilter(_ReasonCodeFilter):
    paths = ("invoice__routing_reasons", "invoice__hold_reason", "review_reason")
