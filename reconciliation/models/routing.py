from __future__ import annotations

from typing import Self

from django.db import models

from reconciliation.models.base import TenantModel
from reconciliation.models.base import TenantQuerySet
from reconciliation.models.base import currency_field
from reconciliation.models.base import money_field
from reconciliation.models.document import DocumentKind
from reconciliation.models.workspace import review_below_auto_post
from reconciliation.models.workspace import threshold_field


class RoutingRuleQuerySet(TenantQuerySet["RoutingRule"]):
    def active(self) -> Self:
        return self.filter(is_active=True).order_by("priority", "id")


class RoutingRule(TenantModel):
    """Overrides the workspace thresholds for some documents. First matching rule wins."""

    name = models.CharField(max_length=200)
    priority = models.PositiveSmallIntegerField(default=100, help_text="Lower runs first.")
    is_active = models.BooleanField("active", default=True)
    vendor = models.ForeignKey(
        "reconciliation.Vendor",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="routing_rules",
    )
    document_kind = models.CharField(max_length=24, choices=DocumentKind.choices, blank=True)
    currency = currency_field(
        blank=True, help_text="Applies only to documents in this currency (blank: any currency)."
    )
    amount_above = money_field(
        null=True,
        blank=True,
        help_text="Applies when the total is above this amount, in the rule's currency (without "
        "one: the total converted to the workspace's home currency).",
    )
    review_threshold = threshold_field(
        55,
        help_text="In percent (0 to 100): documents this rule matches scoring below this are "
        "refused.",
    )
    auto_post_threshold = threshold_field(
        85,
        verbose_name="auto-post threshold",
        help_text="In percent (0 to 100): documents this rule matches scoring at or above this "
        "are approved without review.",
    )
    always_review = models.BooleanField(
        default=False, help_text="Never auto-approve documents this rule matches."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = RoutingRuleQuerySet.as_manager()

    class Meta:
        ordering = ["priority", "id"]
        constraints = [review_below_auto_post("routing_rule_review_below_auto_post")]

    def __str__(self) -> str:
        return self.name

    @property
    def amount_currency(self) -> str:
        """The currency `amount_above` is in: the rule's, else the workspace's home currency
        (what `invoices.routing` compares it with)."""
        return str(self.currency or self.workspace.home_currency)
