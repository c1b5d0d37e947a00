"""Reason codes in the admin: a filter by code (the invoice list and the review queue), the
codes of an invoice for the exports, and the review queue counted by leading code for the
dashboard. The codes come from the one registry, `reconciliation.invoices.reasons`."""

from __future__ import annotations

from collections import Counter
from collections import defaultdict
from typing import Any

from django.contrib import admin
from django.db.models import Q
from django.db.models import QuerySet
from django.http import HttpRequest

from reconciliation.invoices import reasons
from reconciliation.invoices.reasons import REGISTRY
from reconciliation.invoices.reasons import codes_of
from reconciliation.invoices.reasons import label
from reconciliation.invoices.reasons import leading_code
from reconciliation.invoices.reasons import marker
from reconciliation.models import Document
from reconciliation.models import Invoice
from reconciliation.models import InvoiceStatus

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


def _condition(code: str, paths: tuple[str, ...]) -> Q:
    words = marker(code)
    condition = Q(pk__in=[])
    for path in paths:
        condition |= Q(**{f"{path}__icontains": words})
    return condition


class _ReasonCodeFilter(admin.SimpleListFilter):
    title = "reason code"
    parameter_name = "code"
    #: Where the sentences are, from the listed model.
    paths: tuple[str, ...] = ()

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin[Any]
    ) -> list[tuple[str, str]]:
        return [(code, label(code)) for code in FILTER_CODES]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if value in FILTER_CODES:
            return queryset.filter(_condition(value, self.paths))
        return queryset


class InvoiceReasonCodeFilter(_ReasonCodeFilter):
    paths = ("routing_reasons", "hold_reason")


class DocumentReasonCodeFilter(_ReasonCodeFilter):
    paths = ("invoice__routing_reasons", "invoice__hold_reason", "review_reason")


def queue_by_code(workspace_ids: list[int]) -> dict[int, list[tuple[str, int]]]:
    """Per workspace: the review queue (invoices waiting for a person, payments Well sent to
    review) counted by the code that sent each there, largest first."""
    counts: dict[int, Counter[str]] = defaultdict(Counter)
    waiting = Invoice.objects.filter(
        workspace_id__in=workspace_ids, status=InvoiceStatus.NEEDS_REVIEW
    ).only("workspace_id", "is_held", "hold_reason", "routing_reasons")
    for invoice in waiting.iterator(chunk_size=2000):
        counts[invoice.workspace_id][leading_code(invoice_sentences(invoice)) or "other"] += 1
    documents = (
        Document.objects.filter(workspace_id__in=workspace_ids, invoice__isnull=True)
        .exclude(review_reason="")
        .values_list("workspace_id", "review_reason")
    )
    for workspace_id, reason in documents.iterator(chunk_size=2000):
        counts[workspace_id][leading_code([reason]) or "other"] += 1
    return {
        workspace_id: sorted(found.items(), key=lambda item: (-item[1], item[0]))
        for workspace_id, found in counts.items()
    }
