"""Mirror of the supplier invoices Qonto holds (whatever route they took: Well's uploads, Qonto's
e-mail inbox, a manual upload in its web app, another tool). Well probes it before posting so an
invoice Qonto already has is linked, not uploaded a second time."""

from __future__ import annotations

from typing import Self

from django.db import models

from reconciliation.models.base import TenantModel
from reconciliation.models.base import TenantQuerySet
from reconciliation.models.base import currency_field
from reconciliation.models.base import money_field
from reconciliation.models.base import unique_qonto_id


class QontoSupplierInvoiceQuerySet(TenantQuerySet["QontoSupplierInvoice"]):
    def probe_candidates(self) -> Self:
        """What another route put into Qonto: never an upload of Well's own, never deleted."""
        return self.filter(is_well_upload=False, deleted=False)


class QontoSupplierInvoice(TenantModel):
    """One supplier invoice as Qonto lists it, with the values Qonto read from its file."""

    connection = models.ForeignKey(
        "reconciliation.Connection", on_delete=models.PROTECT, related_name="supplier_invoices"
    )
    qonto_id = models.CharField(max_length=64)
    status = models.CharField(max_length=32, blank=True)
    source = models.CharField(max_length=40, blank=True)
    file_name = models.CharField(max_length=300, blank=True)
    attachment_id = models.CharField(max_length=64, blank=True)
    supplier_name = models.CharField(max_length=300, blank=True)
    normalized_supplier = models.CharField(max_length=300, blank=True, editable=False)
    vat_number = models.CharField(max_length=32, blank=True)
    invoice_number = models.CharField(max_length=100, blank=True)
    normalized_number = models.CharField(max_length=100, blank=True, editable=False)
    total_amount = money_field(null=True, blank=True)
    tax_amount = money_field(null=True, blank=True)
    currency = currency_field(blank=True)
    issue_date = models.DateField(null=True, blank=True)
    due_date = models.DateField(null=True, blank=True)
    #: Uploaded by Well (its file name carries our document id): never a probe candidate.
    is_well_upload = models.BooleanField(default=False)
    deleted = models.BooleanField(default=False)
    qonto_created_at = models.DateTimeField(null=True, blank=True)
    qonto_updated_at = models.DateTimeField(null=True, blank=True)
    analyzed_at = models.DateTimeField(null=True, blank=True)
    raw = models.JSONField(default=dict, blank=True)
    synced_at = models.DateTimeField(auto_now=True)

    objects = QontoSupplierInvoiceQuerySet.as_manager()

    class Meta:
        ordering = ["-qonto_updated_at"]
        constraints = [unique_qonto_id("qonto_supplier_invoice_unique_id")]
        indexes = [
            models.Index(fields=["workspace", "is_well_upload", "total_amount"]),
            models.Index(fields=["connection", "qonto_updated_at"]),
        ]

    def __str__(self) -> str:
        label = self.invoice_number or self.qonto_id
        return f"{self.supplier_name or 'Unknown supplier'} · {label}"
