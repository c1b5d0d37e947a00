from __future__ import annotations

import hashlib
from datetime import datetime
from typing import TYPE_CHECKING
from typing import Any
from typing import Self

from django.db import models
from django.utils import timezone

from reconciliation.models.base import IllegalTransitionError
from reconciliation.models.base import TenantModel
from reconciliation.models.base import TenantQuerySet
from reconciliation.models.base import confidence_field
from reconciliation.models.base import currency_field
from reconciliation.models.base import money_field
from reconciliation.models.base import optional_link
from reconciliation.models.base import person_field
from reconciliation.models.base import rate_field
from reconciliation.models.base import unique_qonto_id

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from reconciliation.models.base import OptionalLink
    from reconciliation.models.routing import RoutingRule
    from reconciliation.models.vendor import Vendor


class InvoiceStatus(models.TextChoices):
    NEW = "new", "New"
    NEEDS_REVIEW = "needs_review", "Needs review"
    REFUSED = "refused", "Refused"
    APPROVED = "approved", "Approved — waiting for the posting window"
    POSTING = "posting", "Posting to Qonto"
    POSTED = "posted", "Posted to Qonto"
    REJECTED = "rejected", "Rejected by Qonto"
    FAILED = "failed", "Posting failed — retried next window"


S = InvoiceStatus
_INVOICE_TRANSITIONS: dict[str, set[str]] = {
    S.NEW: {S.NEEDS_REVIEW, S.APPROVED, S.REFUSED},
    S.NEEDS_REVIEW: {S.NEEDS_REVIEW, S.APPROVED, S.REFUSED},
    S.REFUSED: {S.NEEDS_REVIEW},
    S.APPROVED: {S.POSTING, S.NEEDS_REVIEW, S.REFUSED},
    # NEEDS_REVIEW: the probe found an entry in Qonto that may be this invoice.
    S.POSTING: {S.POSTED, S.REJECTED, S.FAILED, S.APPROVED, S.NEEDS_REVIEW},
    S.FAILED: {S.APPROVED, S.POSTING, S.NEEDS_REVIEW, S.REFUSED},
    S.REJECTED: {S.APPROVED, S.NEEDS_REVIEW, S.REFUSED},
    S.POSTED: set(),
}
UNDECIDED_STATUSES = (S.NEW, S.NEEDS_REVIEW)
#: Where a person may link an invoice to an entry Qonto already has (automatic links happen
#: while the posting window holds the invoice).
_LINKABLE = (S.POSTING, S.NEEDS_REVIEW, S.APPROVED, S.FAILED, S.REJECTED)


class QontoOrigin(models.TextChoices):
    UPLOADED = "uploaded", "Uploaded by Well (Qonto read the PDF itself)"
    LINKED = "linked", "Linked to an entry Qonto already had"


class InvoiceQuerySet(TenantQuerySet["Invoice"]):
    def undecided(self) -> Self:
        return self.filter(status__in=UNDECIDED_STATUSES)

    def due_for_posting(self) -> Self:
        """The outbox: approved invoices (and failed ones whose backoff has passed)."""
        now = timezone.now()
        return self.filter(
            models.Q(status=S.APPROVED)
            | models.Q(status=S.FAILED, next_attempt_at__lte=now)
            | models.Q(status=S.FAILED, next_attempt_at__isnull=True),
            is_held=False,
        )

    def failed(self) -> Self:
        return self.filter(status__in=(S.FAILED, S.REJECTED))

    def differs_from_qonto(self) -> Self:
        """Posted invoices whose read-back found Qonto's values differing from the reviewed ones."""
        return self.filter(qonto_agrees=False)


def idempotency_key_for(workspace_id: int, document_id: int, content_hash: str) -> str:
    """Stable across retries, crashes and re-deploys: one key per (workspace, document, bytes)."""
    digest = hashlib.sha256(f"well:{workspace_id}:{document_id}:{content_hash}".encode())
    hexdigest = digest.hexdigest()
    # UUID-shaped, as Qonto recommends for idempotency keys.
    parts = (hexdigest[:8], hexdigest[8:12], hexdigest[12:16], hexdigest[16:20], hexdigest[20:32])
    return "-".join(parts)


class Invoice(TenantModel):
    """A supplier invoice (or credit note) read from a document, on its way to Qonto."""

    document = models.OneToOneField(
        "reconciliation.Document", on_delete=models.PROTECT, related_name="invoice"
    )
    vendor: OptionalLink[Vendor] = optional_link("reconciliation.Vendor", related_name="invoices")
    is_credit_note = models.BooleanField("credit note", default=False)

    supplier_name = models.CharField(max_length=300, blank=True)
    supplier_vat_id = models.CharField("supplier VAT id", max_length=32, blank=True)
    supplier_iban = models.CharField("supplier IBAN", max_length=34, blank=True)
    supplier_domain = models.CharField(max_length=253, blank=True)
    number = models.CharField(max_length=100, blank=True)
    normalized_number = models.CharField(max_length=100, blank=True, editable=False)
    issue_date = models.DateField(null=True, blank=True)
    due_date = models.DateField(null=True, blank=True)
    total_amount = money_field(null=True, blank=True)
    tax_amount = money_field(null=True, blank=True)
    net_amount = money_field(null=True, blank=True)
    currency = currency_field(blank=True)
    ledger_account = models.CharField(max_length=32, blank=True)

    # Converted into the workspace's home currency (with the rate used and where it came from).
    converted_amount = money_field(null=True, blank=True)
    home_currency = currency_field(blank=True)
    fx_rate = rate_field("FX rate", null=True, blank=True)
    fx_rate_date = models.DateField("FX rate date", null=True, blank=True)
    fx_rate_source = models.CharField(max_length=100, blank=True)

    # Per field: {"value", "confidence", "source", "evidence": {page, bbox, text}, "origin"}.
    fields = models.JSONField(default=dict, blank=True)
    confidence = confidence_field(null=True, blank=True)
    confidence_components = models.JSONField(default=dict, blank=True)
    routing_reasons = models.JSONField(default=list, blank=True)
    routing_rule: OptionalLink[RoutingRule] = optional_link(
        "reconciliation.RoutingRule", related_name="invoices"
    )

    status = models.CharField(max_length=16, choices=InvoiceStatus.choices, default=S.NEW)
    is_held = models.BooleanField(
        "held from posting",
        default=False,
        help_text="Set while something (e.g. a suspected double charge) keeps the invoice from "
        "being posted to Qonto; the hold reason says what.",
    )
    hold_reason = models.CharField(max_length=300, blank=True)
    decided_by = person_field()
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)

    idempotency_key = models.CharField(max_length=64, editable=False)
    qonto_id = models.CharField(max_length=64, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True, editable=False)
    lease_owner = models.CharField(max_length=64, blank=True, editable=False)
    post_attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error_code = models.CharField(max_length=100, blank=True)
    last_error = models.TextField(blank=True)
    posted_at = models.DateTimeField(null=True, blank=True)
    qonto_origin = models.CharField(max_length=16, choices=QontoOrigin.choices, blank=True)
    # Read-back: what Qonto read from the PDF, compared with the reviewed values.
    # {"qonto": {field: value}, "differences": [{"field", "label", "well", "qonto"}],
    #  "compared": [field, ...]}
    qonto_readback = models.JSONField(default=dict, blank=True)
    qonto_agrees = models.BooleanField(
        null=True, blank=True, help_text="Empty until Qonto has read the posted PDF."
    )
    qonto_checked_at = models.DateTimeField(null=True, blank=True)
    # The probe before posting: Qonto entries that may already be this invoice, with scores,
    # and what a person decided ("decision": "post_anyway" | "link").
    qonto_probe = models.JSONField(default=dict, blank=True)
    # A new version of an invoice already posted (same supplier and number, other content).
    revision_of = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="revisions"
    )
    revision_differences = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = InvoiceQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "idempotency_key"], name="invoice_unique_idempotency_key"
            ),
            unique_qonto_id("invoice_unique_qonto_id", condition=~models.Q(qonto_id="")),
        ]
        indexes = [
            models.Index(fields=["workspace", "status"]),
            models.Index(fields=["workspace", "vendor", "normalized_number"]),
            models.Index(fields=["workspace", "total_amount"]),
            models.Index(fields=["status", "lease_until"]),
            # The admin's list, newest first, a page at a time.
            models.Index(fields=["workspace", "created_at", "id"], name="invoice_created_order"),
            # The admin list's issue-date filter (its oldest date) and its "Posted at" column.
            models.Index(fields=["workspace", "issue_date", "id"], name="invoice_issue_order"),
            models.Index(fields=["workspace", "posted_at", "id"], name="invoice_posted_order"),
        ]

    def __str__(self) -> str:
        label = self.number or self.document.original_name
        return f"{self.supplier_name or 'Unknown supplier'} · {label}"

    # --- state machine -----------------------------------------------------------------------
    def can_move_to(self, target: InvoiceStatus) -> bool:
        return target in _INVOICE_TRANSITIONS[self.status]

    def _move_to(self, target: InvoiceStatus) -> None:
        if not self.can_move_to(target):
            raise IllegalTransitionError("invoice", self.status, target)
        self.status = target

    @property
    def can_approve(self) -> bool:
        return self.can_move_to(S.APPROVED) and not self.is_held and self.status != S.APPROVED

    @property
    def can_refuse(self) -> bool:
        return self.can_move_to(S.REFUSED)

    def route(self, target: InvoiceStatus, reasons: list[str]) -> None:
        if target not in (S.NEEDS_REVIEW, S.APPROVED, S.REFUSED):
            raise IllegalTransitionError("invoice", self.status, target)
        if target in (S.APPROVED, S.REFUSED) and self.is_held:
            # A held invoice (suspected repeat) is always decided by a person.
            target = S.NEEDS_REVIEW
            reasons = [*reasons, f"Held: {self.hold_reason}"]
        self._move_to(target)
        self.routing_reasons = reasons
        self.decided_by = None
        self.decided_at = timezone.now() if target != S.NEEDS_REVIEW else None

    def approve(self, user: AbstractBaseUser | None, reason: str = "") -> None:
        if self.is_held:
            raise IllegalTransitionError("held invoice", self.status, S.APPROVED)
        if self.status == S.APPROVED:
            raise IllegalTransitionError("invoice", self.status, S.APPROVED)
        self._move_to(S.APPROVED)
        self._decide(user, reason)
        self.next_attempt_at = None

    def refuse(self, user: AbstractBaseUser | None, reason: str) -> None:
        self._move_to(S.REFUSED)
        self._decide(user, reason)

    def reopen(self, user: AbstractBaseUser | None, reason: str = "") -> None:
        self._move_to(S.NEEDS_REVIEW)
        self._decide(user, reason)

    def hold(self, reason: str) -> None:
        """Keep out of posting until a reviewer decides (approved invoices go back to review)."""
        if self.status in (S.POSTED, S.POSTING):
            raise IllegalTransitionError("invoice", self.status, "held")
        self.is_held = True
        self.hold_reason = reason[:300]
        if self.status in (S.APPROVED, S.FAILED, S.REJECTED):
            self._move_to(S.NEEDS_REVIEW)

    def release_hold(self) -> None:
        self.is_held = False
        self.hold_reason = ""

    def mark_as_posting(self, lease_owner: str, lease_until: datetime) -> None:
        self._move_to(S.POSTING)
        self.lease_owner = lease_owner
        self.lease_until = lease_until

    def mark_as_posted(self, qonto_id: str) -> None:
        self._move_to(S.POSTED)
        self.qonto_id = qonto_id
        self.qonto_origin = QontoOrigin.UPLOADED
        self.posted_at = timezone.now()
        self._clear_lease()
        self.last_error = ""
        self.last_error_code = ""

    def mark_as_linked(self, qonto_id: str) -> None:
        """Qonto already holds this invoice (another route brought it): keep its id, upload
        nothing."""
        if self.status not in _LINKABLE or self.is_held:
            raise IllegalTransitionError("invoice", self.status, "linked")
        self.status = S.POSTED
        self.qonto_id = qonto_id
        self.qonto_origin = QontoOrigin.LINKED
        self.posted_at = timezone.now()
        self._clear_lease()
        self.last_error = ""
        self.last_error_code = ""
        self.next_attempt_at = None

    def probe_to_review(self, reasons: list[str]) -> None:
        """The probe found entries in Qonto that may be this invoice: a person decides."""
        self._move_to(S.NEEDS_REVIEW)
        self._clear_lease()
        self.routing_reasons = reasons
        self.decided_by = None
        self.decided_at = None

    def record_readback(self, readback: dict[str, Any], agrees: bool) -> None:
        self.qonto_readback = readback
        self.qonto_agrees = agrees
        self.qonto_checked_at = timezone.now()

    def mark_as_rejected(self, code: str, detail: str) -> None:
        self._move_to(S.REJECTED)
        self.last_error_code = code[:100]
        self.last_error = detail
        self._clear_lease()

    def mark_as_failed(self, detail: str, retry_at: datetime | None) -> None:
        self._move_to(S.FAILED)
        self.last_error = detail
        self.next_attempt_at = retry_at
        self._clear_lease()

    def release_to_outbox(self) -> None:
        """A claimed invoice whose attempt did not finish goes back to the outbox."""
        self._move_to(S.APPROVED)
        self._clear_lease()

    def retry_posting(self, user: AbstractBaseUser | None) -> None:
        """One-click retry after a rejection/failure was fixed: back into the next window."""
        if self.status not in (S.REJECTED, S.FAILED):
            raise IllegalTransitionError("invoice", self.status, S.APPROVED)
        self._move_to(S.APPROVED)
        self._decide(user, "retry")
        self.next_attempt_at = None

    def _decide(self, user: AbstractBaseUser | None, reason: str) -> None:
        self.decided_by = user  # type: ignore[assignment]
        self.decided_at = timezone.now()
        self.decision_reason = reason

    def _clear_lease(self) -> None:
        self.lease_owner = ""
        self.lease_until = None
