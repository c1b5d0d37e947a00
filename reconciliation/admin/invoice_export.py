"""What the invoice export works out once per row: its reason codes (for the code and label
columns), and its converted amount when none is stored yet.

An invoice is converted when it is created and again when it is posted; an invoice read before
its rate was known (its foreign-currency payment not yet synced from Qonto, a rate entered
later) keeps an empty ``converted_amount`` until then. The export fills it in memory through
the one rule, `reconciliation.fx` (an ``ExchangeRate`` row first, else a rate the workspace's
own Qonto transactions show), and leaves it blank only when no rate is known: never a guess,
and never written back (what was posted stays as posted). A paid invoice shows what its
confirmed debit took from the account (`fx.paid_conversion`), as the invoice is converted
when posted.

The rates are read once per export: one `RateBook` per workspace over the dates and
currencies of the invoices that need one.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Count
from django.db.models import F
from django.db.models import Max
from django.db.models import Min
from django.db.models import Q
from django.db.models import QuerySet
from django.utils import timezone
from import_export import resources

from reconciliation import fx
from reconciliation.admin.reason_codes import invoice_codes
from reconciliation.invoices.reasons import label
from reconciliation.invoices.reasons import stated_codes
from reconciliation.models import Invoice
from reconciliation.models import InvoiceStatus

#: An invoice past approval (waiting for, being or done posting).
_APPROVED_ON = (
    InvoiceStatus.APPROVED,
    InvoiceStatus.POSTING,
    InvoiceStatus.POSTED,
    InvoiceStatus.REJECTED,
    InvoiceStatus.FAILED,
)


def auto_approved(invoice: Invoice) -> bool:
    """Well approved it itself: decided by nobody, and approved (or posted since)."""
    return (
        invoice.decided_at is not None
        and invoice.decided_by_id is None
        and invoice.status in _APPROVED_ON
    )


class ExportConversions:
    """The rate books of one export, by workspace."""

    def __init__(self, queryset: QuerySet[Invoice] | Any) -> None:
        self.books: dict[int, fx.RateBook] = {}
        self.payments: dict[int, list[fx.Payment]] = {}
        if not isinstance(queryset, QuerySet):
            return
        self._read_payments(queryset)
        today = timezone.now().date()
        spans: dict[int, tuple[set[str], list[date]]] = {}
        rows = (
            queryset.filter(converted_amount__isnull=True, total_amount__isnull=False)
            .exclude(currency="")
            .values("workspace_id", "workspace__home_currency", "currency")
            .annotate(
                first=Min("issue_date"),
                last=Max("issue_date"),
                undated=Count("pk", filter=Q(issue_date__isnull=True)),
            )
            .order_by()
        )
        for row in rows:
            currencies, dates = spans.setdefault(row["workspace_id"], (set(), []))
            currencies.update((row["currency"], row["workspace__home_currency"]))
            dates.extend(d for d in (row["first"], row["last"]) if d is not None)
            if row["undated"]:
                dates.append(today)  # converted at today's rate, as fx.convert_invoice does
        for workspace_id, (currencies, dates) in spans.items():
            self.books[workspace_id] = fx.RateBook.load(
                workspace_id=workspace_id, currencies=currencies, start=min(dates), end=max(dates)
            )

    def _read_payments(self, queryset: QuerySet[Invoice]) -> None:
        """The confirmed debits of the export's foreign-currency invoices, per workspace."""
        foreign = queryset.exclude(currency=F("workspace__home_currency")).exclude(currency="")
        workspaces = foreign.values_list("workspace_id", flat=True).order_by().distinct()
        for workspace_id in workspaces:
            ids = foreign.filter(workspace_id=workspace_id).order_by().values("pk")
            self.payments.update(fx.confirmed_payments(workspace_id=workspace_id, invoice_ids=ids))

    def fill(self, invoice: Invoice) -> None:
        """The invoice's conversion, in memory: what its confirmed debit took from the account
        when it is paid (even over a stored conversion at the issue date's rate), else the
        rate's when none is stored and a rate is known."""
        book = self.books.get(invoice.workspace_id)
        payments = self.payments.get(invoice.pk, [])
        if payments and invoice.total_amount is not None:
            home = invoice.workspace.home_currency.upper()
            currency = invoice.currency.upper()
            if fx.paid_conversion(Decimal(invoice.total_amount), currency, home, payments):
                fx.convert_invoice(invoice, rates=book, payments=payments)
                return
        if invoice.converted_amount is None and book is not None:
            fx.convert_invoice(invoice, rates=book, payments=payments)


class InvoiceExportRows(resources.ModelResource):
    """The part of the invoice export that reads more than a row's own columns."""

    def before_export(self, queryset: Any, **kwargs: Any) -> None:
        super().before_export(queryset, **kwargs)
        self.conversions = ExportConversions(queryset)

    def export_resource(self, instance: Invoice, *args: Any, **kwargs: Any) -> list[Any]:
        self.conversions.fill(instance)
        # Both reason columns read them: the reasons, not their details (`stated_codes`).
        self.row_codes = stated_codes(
            invoice_codes(instance), auto_approved=auto_approved(instance)
        )
        return list(super().export_resource(instance, *args, **kwargs))

    def dehydrate_reason_codes(self, invoice: Invoice) -> str:
        """Why it went where it is, as stable codes ("iban_changed; vendor_in_training")."""
        return "; ".join(self.row_codes)

    def dehydrate_reason_labels(self, invoice: Invoice) -> str:
        """The same reasons as people read them, from the one registry ("New IBAN (possible
        payment fraud); Vendor in training")."""
        return "; ".join(label(code) for code in self.row_codes)
