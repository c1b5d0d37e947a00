from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING
from typing import Any
from typing import Self

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.core.validators import MinValueValidator
from django.db import models

from reconciliation.models.base import confidence_field
from reconciliation.models.base import currency_field

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser
    from django.contrib.auth.models import AnonymousUser

PERCENT_VALIDATORS = [MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))]


def threshold_field(default: int, **kwargs: Any) -> models.DecimalField[Any, Any]:
    """A routing threshold: a confidence in [0, 100]."""
    return confidence_field(default=Decimal(default), validators=PERCENT_VALIDATORS, **kwargs)


def review_below_auto_post(name: str) -> models.CheckConstraint:
    """The pair of thresholds is ordered: below review is refused, from auto-post approved."""
    return models.CheckConstraint(
        condition=models.Q(review_threshold__lte=models.F("auto_post_threshold")),
        name=name,
        violation_error_message="The review threshold must not exceed the auto-post one.",
    )


class Role(models.TextChoices):
    ADMIN = "admin", "Administrator"
    REVIEWER = "reviewer", "Reviewer"
    AUDITOR = "auditor", "Auditor (read-only)"


class DataRegion(models.TextChoices):
    EU = "eu", "European Union"
    UK = "uk", "United Kingdom"
    US = "us", "United States"


class WorkspaceQuerySet(models.QuerySet["Workspace"]):
    def for_user(self, user: AbstractBaseUser | AnonymousUser) -> Self:
        if not user.is_authenticated or not user.is_active:
            return self.none()
        if getattr(user, "is_superuser", False):
            return self
        return self.filter(memberships__user=user).distinct()

    def named(self, key: str) -> Workspace | None:
        """The workspace an operator names on the command line: by id when all digits, else by
        slug."""
        return self.filter(**({"pk": int(key)} if key.isdigit() else {"slug": key})).first()


class Workspace(models.Model):
    """One company: its connections, documents, thresholds and members."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60, unique=True)
    home_currency = currency_field(default="EUR")
    vat_id = models.CharField(
        "our VAT id",
        max_length=32,
        blank=True,
        help_text="The company's own VAT id: a document showing it as the supplier's was misread "
        "(it is the buyer block).",
    )
    data_region = models.CharField(
        max_length=8,
        choices=DataRegion.choices,
        default=DataRegion.EU,
        help_text="Where the workspace's files are stored (one storage per region). Change it "
        "with `manage.py move_workspace_region`, which moves the files.",
    )
    # Set while move_workspace_region copies the files out of this region (reads fall back to
    # it until the move is finished); empty otherwise.
    region_move_from = models.CharField(
        max_length=8, choices=DataRegion.choices, blank=True, editable=False
    )

    review_threshold = threshold_field(
        55,
        help_text="Documents scoring below this are refused.",
    )
    auto_post_threshold = threshold_field(
        85,
        verbose_name="auto-post threshold",
        help_text="Documents scoring at or above this are approved without review.",
    )
    match_threshold = threshold_field(
        80,
        help_text="A payment match at or above this is attached to the Qonto transaction.",
    )
    qonto_link_threshold = threshold_field(
        85,
        help_text="Before posting, an entry already in Qonto scoring at or above this is linked "
        "instead of uploading the invoice again; from 55 up to it, a person decides.",
    )
    review_vendors_in_training = models.BooleanField(
        default=True,
        help_text="Send a vendor's documents to review until ten of them have been reviewed.",
    )
    poll_interval_minutes = models.PositiveSmallIntegerField(
        "poll interval (minutes)",
        default=15,
        validators=[MinValueValidator(1), MaxValueValidator(1440)],
    )
    max_syncs_per_hour = models.PositiveSmallIntegerField(
        default=4, validators=[MinValueValidator(1), MaxValueValidator(60)]
    )
    match_days_before = models.PositiveSmallIntegerField(
        default=3, help_text="A debit may be this many days before the payment's execution date."
    )
    match_days_after = models.PositiveSmallIntegerField(
        default=7, help_text="A debit may be this many days after the payment's execution date."
    )
    fx_tolerance_percent = models.DecimalField(
        "FX tolerance (%)",
        max_digits=5,
        decimal_places=2,
        default=Decimal("2.00"),
        help_text="Allowed difference when comparing amounts converted between currencies.",
    )

    # AES-256-GCM data key of this workspace, wrapped by the master key (connectors.crypto).
    wrapped_data_key = models.BinaryField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = WorkspaceQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [review_below_auto_post("workspace_review_below_auto_post")]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        if (
            self.review_threshold is not None
            and self.auto_post_threshold is not None
            and self.review_threshold > self.auto_post_threshold
        ):
            raise ValidationError(
                {"review_threshold": "The review threshold must not exceed the auto-post one."}
            )


class Membership(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.REVIEWER)
    wants_digest = models.BooleanField(
        "daily digest",
        default=True,
        help_text="Administrators receive a daily e-mail digest of the workspace (queue, stuck "
        "work, failures, fraud holds, yesterday's auto-posts).",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "user"], name="membership_unique_user")
        ]
        ordering = ["workspace__name", "user__username"]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} of {self.workspace}"


class DigestSent(models.Model):
    """One daily digest to one person for one workspace: claimed (inserted) before the e-mail
    goes out, so a second run the same day finds the row and sends nothing."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField(help_text="The UTC day the digest is for.")
    claimed_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "workspace", "day"], name="digest_sent_once_per_day"
            )
        ]
        ordering = ["-day", "-id"]

    def __str__(self) -> str:
        return f"Digest {self.day} · {self.user} · {self.workspace}"
