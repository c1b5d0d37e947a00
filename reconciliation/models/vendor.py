from __future__ import annotations

from typing import Self

from django.db import models

from reconciliation.models.base import IllegalTransitionError
from reconciliation.models.base import TenantModel
from reconciliation.models.base import TenantQuerySet
from reconciliation.models.base import person_field

#: A vendor's mapping is "in training" until this many of its documents were reviewed.
TRAINING_DOCUMENTS = 10


class VendorStatus(models.TextChoices):
    NEEDS_REVIEW = "needs_review", "New — needs review"
    ACTIVE = "active", "Active"
    MERGED = "merged", "Merged into another vendor"


class VendorQuerySet(TenantQuerySet["Vendor"]):
    def usable(self) -> Self:
        return self.exclude(status=VendorStatus.MERGED)


class Vendor(TenantModel):
    name = models.CharField(max_length=300)
    legal_name = models.CharField(max_length=300, blank=True)
    normalized_name = models.CharField(max_length=300, blank=True, db_index=True, editable=False)
    vat_id = models.CharField(
        "VAT id", max_length=32, blank=True, help_text="Normalised, checksum-valid."
    )
    tax_id = models.CharField(max_length=64, blank=True)
    domain = models.CharField(max_length=253, blank=True)
    ibans = models.JSONField("IBANs", default=list, blank=True)
    ledger_account = models.CharField(max_length=32, blank=True)
    aliases = models.JSONField(default=list, blank=True)
    status = models.CharField(
        max_length=16, choices=VendorStatus.choices, default=VendorStatus.NEEDS_REVIEW
    )
    merged_into = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="merged_vendors"
    )
    # How to find each field on this vendor's layout, learned from reviewer corrections.
    learned_mapping = models.JSONField(default=dict, blank=True)
    # Per field: {"tried": n, "hits": n} of the learned mapping on later documents.
    mapping_stats = models.JSONField(default=dict, blank=True)
    documents_seen = models.PositiveIntegerField(default=0)
    documents_reviewed = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = VendorQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "vat_id"],
                condition=~models.Q(vat_id="") & ~models.Q(status="merged"),
                name="vendor_unique_vat_id",
            )
        ]
        indexes = [
            models.Index(fields=["workspace", "domain"]),
            models.Index(fields=["workspace", "normalized_name"]),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_in_training(self) -> bool:
        return self.documents_reviewed < TRAINING_DOCUMENTS

    @property
    def training_progress(self) -> str:
        return f"{min(self.documents_reviewed, TRAINING_DOCUMENTS)}/{TRAINING_DOCUMENTS}"

    def mark_as_active(self) -> None:
        if self.status == VendorStatus.MERGED:
            raise IllegalTransitionError("vendor", self.status, VendorStatus.ACTIVE)
        self.status = VendorStatus.ACTIVE

    def mark_as_merged_into(self, survivor: Vendor) -> None:
        if self.status == VendorStatus.MERGED or survivor.pk == self.pk:
            raise IllegalTransitionError("vendor", self.status, VendorStatus.MERGED)
        self.status = VendorStatus.MERGED
        self.merged_into = survivor


class VendorKeyKind(models.TextChoices):
    VAT_ID = "vat_id", "VAT id"
    IBAN = "iban", "IBAN"
    DOMAIN = "domain", "Domain"
    NAME = "name", "Normalised name"
    TOKEN = "token", "Name word"


class VendorKeyQuerySet(TenantQuerySet["VendorKey"]):
    """Read through a workspace like every tenant row."""


class VendorKey(TenantModel):
    """One identifier of a vendor, indexed so resolving a document's supplier is a handful of
    index lookups instead of a scan of the workspace's vendors.

    Derived data: rebuilt from the vendor (and the vendors merged into it) by
    `reconciliation.vendors.enrichment.index_vendor`; never edited by hand.
    """

    vendor = models.ForeignKey(Vendor, on_delete=models.CASCADE, related_name="keys")
    kind = models.CharField(max_length=8, choices=VendorKeyKind.choices)
    value = models.CharField(max_length=300)

    objects = VendorKeyQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["vendor", "kind", "value"], name="vendor_key_unique")
        ]
        indexes = [models.Index(fields=["workspace", "kind", "value"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.value}"


class VendorReviewQuerySet(TenantQuerySet["VendorReview"]):
    pass


class VendorReview(TenantModel):
    """One of a vendor's documents reviewed by a person: counts toward the vendor's training
    and records which fields were confirmed, corrected and learned."""

    vendor = models.ForeignKey(Vendor, on_delete=models.CASCADE, related_name="reviews")
    invoice = models.OneToOneField(
        "reconciliation.Invoice", on_delete=models.CASCADE, related_name="vendor_review"
    )
    reviewer = person_field()
    corrected_fields = models.JSONField(default=list, blank=True)
    confirmed_fields = models.JSONField(default=list, blank=True)
    learned_fields = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = VendorReviewQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Review of {self.invoice_id} for {self.vendor_id}"
