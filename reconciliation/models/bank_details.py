"""A vendor's bank details over time, and the invoices held because they changed."""

from __future__ import annotations

from typing import TYPE_CHECKING
from typing import Self

from django.db import models
from django.utils import timezone

from reconciliation.models.base import IllegalTransitionError
from reconciliation.models.base import TenantModel
from reconciliation.models.base import TenantQuerySet
from reconciliation.models.base import optional_link
from reconciliation.models.base import person_field

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from reconciliation.models.base import OptionalLink
    from reconciliation.models.invoice import Invoice


class BankAccountOrigin(models.TextChoices):
    HISTORY = "history", "Known before bank-detail checks began"
    FIRST = "first", "The vendor's first IBAN (nothing to compare with)"
    CONFIRMED = "confirmed", "New IBAN confirmed by two people"


class VendorBankAccountQuerySet(TenantQuerySet["VendorBankAccount"]):
    pass


class VendorBankAccount(TenantModel):
    """One IBAN a vendor has been paid to (or is known to use): the vendor's bank-detail
    history. Only IBANs here are "known"; a new one becomes known through a four-eyes
    confirmation (`BankDetailChange`)."""

    vendor = models.ForeignKey(
        "reconciliation.Vendor", on_delete=models.CASCADE, related_name="bank_accounts"
    )
    iban = models.CharField(max_length=34)
    country = models.CharField(max_length=2, blank=True)
    bank_code = models.CharField(max_length=20, blank=True)
    origin = models.CharField(max_length=12, choices=BankAccountOrigin.choices)
    first_seen_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)
    first_invoice: OptionalLink[Invoice] = optional_link("reconciliation.Invoice", related_name="+")
    confirmed_by = person_field()
    confirmed_at = models.DateTimeField(null=True, blank=True)

    objects = VendorBankAccountQuerySet.as_manager()

    class Meta:
        ordering = ["vendor", "first_seen_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["vendor", "iban"], name="vendor_bank_account_unique")
        ]

    def __str__(self) -> str:
        return f"{self.iban} ({self.get_origin_display()})"


class BankChangeStatus(models.TextChoices):
    PENDING = "pending", "Waiting for two confirmations"
    HALF_CONFIRMED = "half_confirmed", "Confirmed once — a second person must confirm"
    CONFIRMED = "confirmed", "Confirmed by two people"
    REFUSED = "refused", "Refused"


class BankDetailChangeQuerySet(TenantQuerySet["BankDetailChange"]):
    def open(self) -> Self:
        return self.filter(status__in=(BankChangeStatus.PENDING, BankChangeStatus.HALF_CONFIRMED))


class BankDetailChange(TenantModel):
    """An invoice whose IBAN its vendor never used before: held until two different people
    confirmed the new bank details (four-eyes), or refused."""

    invoice = models.OneToOneField(
        "reconciliation.Invoice", on_delete=models.CASCADE, related_name="bank_detail_change"
    )
    vendor = models.ForeignKey(
        "reconciliation.Vendor", on_delete=models.CASCADE, related_name="bank_detail_changes"
    )
    iban = models.CharField(max_length=34)
    known_ibans = models.JSONField(default=list, blank=True)
    code = models.CharField(max_length=40)
    reason = models.TextField()
    status = models.CharField(
        max_length=16, choices=BankChangeStatus.choices, default=BankChangeStatus.PENDING
    )
    first_confirmed_by = person_field()
    first_confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = person_field()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    #: When the workspace's administrators were e-mailed (once per invoice).
    alerted_at = models.DateTimeField(null=True, blank=True)
    alerted_to = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = BankDetailChangeQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.iban} · {self.get_status_display()}"

    @property
    def is_open(self) -> bool:
        return self.status in (BankChangeStatus.PENDING, BankChangeStatus.HALF_CONFIRMED)

    def confirm_once(self, user: AbstractBaseUser) -> None:
        if self.status != BankChangeStatus.PENDING:
            raise IllegalTransitionError("bank detail change", self.status, "confirmed once")
        self.status = BankChangeStatus.HALF_CONFIRMED
        self.first_confirmed_by = user  # type: ignore[assignment]
        self.first_confirmed_at = timezone.now()

    def confirm_twice(self, user: AbstractBaseUser) -> None:
        """The second confirmation: by someone else than the first (checked by the caller
        too, with a sentence; here as the invariant)."""
        if self.status != BankChangeStatus.HALF_CONFIRMED:
            raise IllegalTransitionError("bank detail change", self.status, "confirmed")
        if self.first_confirmed_by_id == user.pk:
            raise IllegalTransitionError("bank detail change", "confirmed by the same person", "")
        self.status = BankChangeStatus.CONFIRMED
        self.confirmed_by = user  # type: ignore[assignment]
        self.confirmed_at = timezone.now()

    def mark_as_refused(self) -> None:
        if not self.is_open:
            raise IllegalTransitionError("bank detail change", self.status, "refused")
        self.status = BankChangeStatus.REFUSED
