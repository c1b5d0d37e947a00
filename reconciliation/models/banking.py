from __future__ import annotations

from decimal import Decimal
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
from reconciliation.models.base import person_field
from reconciliation.models.base import rate_field
from reconciliation.models.base import unique_qonto_id
from reconciliation.money import format_money
from reconciliation.text.percents import percent

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from reconciliation.models.base import OptionalLink
    from reconciliation.models.document import Document
    from reconciliation.models.invoice import Invoice


class Side(models.TextChoices):
    DEBIT = "debit", "Debit (money out)"
    CREDIT = "credit", "Credit (money in)"


class TransactionStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    COMPLETED = "completed", "Completed"
    DECLINED = "declined", "Declined"
    REVERSED = "reversed", "Reversed"


class TransactionQuerySet(TenantQuerySet["Transaction"]):
    def debits(self) -> Self:
        return self.filter(side=Side.DEBIT)

    def credits(self) -> Self:
        return self.filter(side=Side.CREDIT)

    def unmatched(self) -> Self:
        return self.exclude(matches__status__in=(MatchStatus.CONFIRMED, MatchStatus.ATTACHED))


class Transaction(TenantModel):
    """Mirror of one Qonto transaction. Amounts are unsigned; `side` gives the direction."""

    connection = models.ForeignKey(
        "reconciliation.Connection", on_delete=models.PROTECT, related_name="transactions"
    )
    qonto_id = models.CharField(max_length=64)
    transaction_slug = models.CharField(max_length=100, blank=True)
    bank_account_id = models.CharField(max_length=64, blank=True)
    side = models.CharField(max_length=8, choices=Side.choices)
    status = models.CharField(max_length=12, choices=TransactionStatus.choices)
    operation_type = models.CharField(max_length=40, blank=True)
    amount = money_field()
    currency = currency_field()
    local_amount = money_field(null=True, blank=True)
    local_currency = currency_field(blank=True)
    counterparty_name = models.CharField(max_length=300, blank=True)
    normalized_counterparty = models.CharField(max_length=300, blank=True, editable=False)
    counterparty_iban = models.CharField("counterparty IBAN", max_length=34, blank=True)
    reference = models.CharField(max_length=300, blank=True)
    normalized_reference = models.CharField(max_length=140, blank=True, editable=False)
    note = models.TextField(blank=True)
    emitted_at = models.DateTimeField(null=True, blank=True)
    settled_at = models.DateTimeField(null=True, blank=True)
    # Date used for matching: settlement when known, emission otherwise (indexed).
    value_date = models.DateField(null=True, blank=True)
    qonto_updated_at = models.DateTimeField(null=True, blank=True)
    attachment_ids = models.JSONField(default=list, blank=True)
    raw = models.JSONField(default=dict, blank=True)
    synced_at = models.DateTimeField(auto_now=True)

    #: The bank line as Qonto states it, in reading order: what each sync rewrites and what an
    #: auditor's export shows (the normalized copies, Qonto's stamps and the raw answer aside).
    BANK_LINE_FIELDS = (
        "bank_account_id",
        "side",
        "status",
        "operation_type",
        "amount",
        "currency",
        "local_amount",
        "local_currency",
        "counterparty_name",
        "counterparty_iban",
        "reference",
        "note",
        "emitted_at",
        "settled_at",
        "value_date",
    )

    objects = TransactionQuerySet.as_manager()

    class Meta:
        ordering = ["-value_date", "-id"]
        constraints = [unique_qonto_id("transaction_unique_qonto_id")]
        indexes = [
            models.Index(fields=["workspace", "side", "amount", "value_date"]),
            models.Index(fields=["workspace", "side", "local_amount", "value_date"]),
            models.Index(fields=["workspace", "normalized_reference"]),
            models.Index(fields=["workspace", "value_date"]),
            # The list (and its export, read through a cursor) of one operation type, in order.
            models.Index(
                fields=["workspace", "operation_type", "value_date", "id"],
                name="transaction_type_order",
            ),
            # Matching: debits synced since the last window; foreign-currency operations (the
            # rates the workspace's own payments show) without reading every transaction.
            models.Index(fields=["workspace", "side", "synced_at"]),
            models.Index(fields=["workspace", "local_currency", "currency", "value_date"]),
        ]

    def __str__(self) -> str:
        amount = signed_money(self.amount, self.currency, self.side)
        return f"{amount} · {self.counterparty_name or self.qonto_id}"


def signed_money(amount: Decimal | None, currency: str, side: str) -> str:
    """A bank line's amount signed as the bank reads it: "−985.00 EUR" out, "+985.00 EUR" in
    (stored unsigned, `side` says which); the one rule of every screen that shows one."""
    if amount is None:
        return format_money(amount, currency)
    return f"{'−' if side == Side.DEBIT else '+'}{format_money(amount, currency)}"


class ReceivableStatus(models.TextChoices):
    OPEN = "open", "Open"
    PARTIALLY_PAID = "partially_paid", "Partially paid"
    PAID = "paid", "Paid"
    CANCELLED = "cancelled", "Cancelled"


class ReceivableQuerySet(TenantQuerySet["Receivable"]):
    def open(self) -> Self:
        return self.filter(status__in=(ReceivableStatus.OPEN, ReceivableStatus.PARTIALLY_PAID))


class Receivable(TenantModel):
    """What a customer owes us; inbound wires are matched against these."""

    reference = models.CharField(max_length=140)
    normalized_reference = models.CharField(max_length=140, blank=True, editable=False)
    customer_name = models.CharField(max_length=300)
    normalized_customer = models.CharField(max_length=300, blank=True, editable=False)
    customer_iban = models.CharField("customer IBAN", max_length=34, blank=True)
    amount = money_field()
    amount_paid = money_field(default=Decimal(0))
    currency = currency_field(default="EUR")
    issue_date = models.DateField(null=True, blank=True)
    due_date = models.DateField(null=True, blank=True)
    # Every other reference printed on it (its number, an RF or +++…+++ reference): a customer
    # may pay by any of them.
    other_references = models.JSONField(default=list, blank=True)
    status = models.CharField(
        max_length=16, choices=ReceivableStatus.choices, default=ReceivableStatus.OPEN
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ReceivableQuerySet.as_manager()

    class Meta:
        ordering = ["-issue_date", "reference"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "reference"], name="receivable_unique_ref")
        ]
        indexes = [
            models.Index(fields=["workspace", "normalized_reference"]),
            models.Index(fields=["workspace", "status", "amount"]),
        ]

    def __str__(self) -> str:
        return f"{self.reference} · {self.customer_name}"

    @property
    def amount_due(self) -> Decimal:
        return Decimal(self.amount) - Decimal(self.amount_paid)

    def record_payment(self, amount: Decimal) -> None:
        if self.status == ReceivableStatus.CANCELLED:
            raise IllegalTransitionError("receivable", self.status, "paid")
        self.amount_paid += amount
        self.refresh_status()

    def refresh_status(self) -> None:
        """Open / partially paid / paid from what was paid against what is owed (after a
        payment, or after the amount itself was corrected or re-imported)."""
        if self.status == ReceivableStatus.CANCELLED:
            return
        if self.amount_paid >= self.amount:
            self.status = ReceivableStatus.PAID
        elif self.amount_paid > 0:
            self.status = ReceivableStatus.PARTIALLY_PAID
        else:
            self.status = ReceivableStatus.OPEN


class MatchKind(models.TextChoices):
    # Said short enough for the Matches list's Kind column (two lines at most); its filter, the
    # match's page and the exports say the same words (`Match.kind_label`).
    CONFIRMATION_DEBIT = "confirmation_debit", "Confirmation ↔ debit"
    INVOICE_DEBIT = "invoice_debit", "Invoice ↔ debit"
    CREDIT_RECEIVABLE = "credit_receivable", "Credit ↔ receivable"
    DOUBLE_CHARGE = "double_charge", "Double charge"
    # A second debit for an invoice a first debit already paid (the money left twice).
    DOUBLE_PAYMENT = "double_payment", "Possible double payment"
    # A refused invoice the bank shows as paid: a person should know.
    PAID_REFUSED = "paid_refused", "Refused, but paid"
    # A customer's remittance advice (money sent to us) ↔ the credit and the receivable it pays.
    REMITTANCE_CREDIT = "remittance_credit", "Remittance ↔ credit"


class MatchStatus(models.TextChoices):
    PROPOSED = "proposed", "Proposed — needs review"
    CONFIRMED = "confirmed", "Confirmed"
    ATTACHED = "attached", "Attached in Qonto"
    REJECTED = "rejected", "Rejected (not this one)"
    REFUSED = "refused", "Refused / refund requested"
    DISMISSED = "dismissed", "Not a duplicate"


M = MatchStatus
#: What "refused" means per flag: a double charge (a second request never paid) is refused; for
#: a double payment (the money left twice) the supplier is asked for a refund. The stored
#: status is the same; `MatchStatus.REFUSED`'s label names both (the status filter).
REFUSED_LABELS: dict[str, str] = {
    MatchKind.DOUBLE_CHARGE: "Refused (double charge)",
    MatchKind.DOUBLE_PAYMENT: "Refund requested",
}
#: A credit matched to one of our suppliers' credit notes (the supplier paid it back), not to a
#: customer's receivable: matched as a credit (`MatchKind.CREDIT_RECEIVABLE`), read as what it is.
CREDIT_NOTE_REFUND = "Credit-note refund"
#: The matches `Match.is_credit_note_refund` reads so, as a query.
CREDIT_NOTE_REFUNDS = models.Q(
    kind=MatchKind.CREDIT_RECEIVABLE, receivable__isnull=True, invoice__isnull=False
)
#: Flags a person answers in one click (refuse / refund requested, or not a duplicate).
FLAG_KINDS = (MatchKind.DOUBLE_CHARGE, MatchKind.DOUBLE_PAYMENT, MatchKind.PAID_REFUSED)
_MATCH_TRANSITIONS: dict[str, set[str]] = {
    M.PROPOSED: {M.CONFIRMED, M.REJECTED, M.REFUSED, M.DISMISSED},
    M.CONFIRMED: {M.ATTACHED, M.REJECTED},
    M.ATTACHED: set(),
    M.REJECTED: {M.PROPOSED, M.CONFIRMED},
    M.REFUSED: set(),
    M.DISMISSED: set(),
}


class MatchQuerySet(TenantQuerySet["Match"]):
    def proposed(self) -> Self:
        return self.filter(status=M.PROPOSED)

    def to_attach(self) -> Self:
        """Confirmed confirmation↔debit matches whose PDF is not yet on the Qonto transaction
        (and that Qonto did not refuse for good)."""
        return self.filter(
            status=M.CONFIRMED, kind=MatchKind.CONFIRMATION_DEBIT, is_attach_blocked=False
        )

    def double_charges(self) -> Self:
        return self.filter(kind=MatchKind.DOUBLE_CHARGE)

    def for_review(self) -> Self:
        """Proposals waiting for a person: double charges first, then the highest scores."""
        return (
            self.filter(status=M.PROPOSED)
            .annotate(
                is_double_charge=models.Case(
                    models.When(
                        kind__in=(MatchKind.DOUBLE_CHARGE, MatchKind.DOUBLE_PAYMENT),
                        then=models.Value(0),
                    ),
                    default=models.Value(1),
                    output_field=models.IntegerField(),
                )
            )
            .order_by("is_double_charge", "created_at", "rank", "-score", "id")
        )


def _linked(to: Any, related_name: str = "matches") -> models.ForeignKey[Any, Any]:
    """A row a match links (paperwork or money): a match may have none of some kind, and goes
    when the row goes."""
    return models.ForeignKey(
        to, on_delete=models.CASCADE, null=True, blank=True, related_name=related_name
    )


class Match(TenantModel):
    """A proposed or decided link between paperwork and money."""

    kind = models.CharField(max_length=24, choices=MatchKind.choices)
    status = models.CharField(max_length=12, choices=MatchStatus.choices, default=M.PROPOSED)
    document: OptionalLink[Document] = _linked("reconciliation.Document")
    invoice: OptionalLink[Invoice] = _linked("reconciliation.Invoice")
    transaction: OptionalLink[Transaction] = _linked(Transaction)
    receivable: OptionalLink[Receivable] = _linked(Receivable)
    # Double charge: the earlier, already settled invoice this request repeats.
    settled_invoice: OptionalLink[Invoice] = _linked(
        "reconciliation.Invoice", related_name="repeated_by"
    )
    score = confidence_field(default=Decimal(0))
    rank = models.PositiveSmallIntegerField(default=1)
    reasons = models.JSONField(default=list, blank=True)
    # Which amounts agreed: "source" (same currency), "local" (Qonto local amount), "converted".
    amount_basis = models.CharField(max_length=12, blank=True)
    matched_amount = money_field(null=True, blank=True)
    matched_currency = currency_field(blank=True)
    fx_rate = rate_field("FX rate", null=True, blank=True)
    idempotency_key = models.CharField(max_length=64, blank=True, editable=False)
    attached_at = models.DateTimeField(null=True, blank=True)
    attach_error = models.TextField(blank=True)
    # First upload attempt (the idempotency key is stored with it, before the call).
    attach_started_at = models.DateTimeField(null=True, blank=True, editable=False)
    attach_attempts = models.PositiveSmallIntegerField(default=0, editable=False)
    is_attach_blocked = models.BooleanField(
        "attachment refused by Qonto",
        default=False,
        help_text="Set when Qonto refuses the file for good or the file is missing; the upload "
        "is not retried until someone clicks Retry the upload.",
    )
    decided_by = person_field()
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = MatchQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "rank"]
        verbose_name_plural = "matches"
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "kind", "document", "transaction"],
                condition=models.Q(transaction__isnull=False, document__isnull=False),
                name="match_unique_document_transaction",
            ),
            models.UniqueConstraint(
                fields=["workspace", "kind", "transaction", "receivable"],
                condition=models.Q(transaction__isnull=False, receivable__isnull=False),
                name="match_unique_transaction_receivable",
            ),
            models.UniqueConstraint(
                fields=["workspace", "invoice", "settled_invoice"],
                condition=models.Q(kind="double_charge"),
                name="match_unique_double_charge",
            ),
        ]
        indexes = [
            models.Index(fields=["workspace", "kind", "status"]),
            # The review queue's proposals (double charges, candidates) by document.
            models.Index(
                fields=["document"],
                condition=models.Q(status="proposed"),
                name="match_proposed_document",
            ),
        ]

    def __str__(self) -> str:
        # The score as the lists say it ("100 %", "94.80 %"), not the stored "100.00".
        return f"{self.kind_label} ({self.status_label}, {percent(self.score)})"

    @property
    def is_credit_note_refund(self) -> bool:
        """A credit matched to a supplier's credit note (its invoice), not to a receivable."""
        return (
            self.kind == MatchKind.CREDIT_RECEIVABLE
            and self.receivable_id is None
            and self.invoice_id is not None
        )

    @property
    def kind_label(self) -> str:
        """The kind as people read it: a credit-note refund is one (`CREDIT_NOTE_REFUND`), not
        a payment of a receivable; the list's Kind column, its filter, the page and the export
        say it so, in the same words."""
        return CREDIT_NOTE_REFUND if self.is_credit_note_refund else str(self.get_kind_display())

    @property
    def status_label(self) -> str:
        """The status as people read it for this kind of match (see `REFUSED_LABELS`)."""
        if self.status == M.REFUSED and self.kind in REFUSED_LABELS:
            return REFUSED_LABELS[self.kind]
        return str(self.get_status_display())

    def _move_to(self, target: MatchStatus, user: AbstractBaseUser | None) -> None:
        if target not in _MATCH_TRANSITIONS[self.status]:
            raise IllegalTransitionError("match", self.status, target)
        self.status = target
        self.decided_by = user  # type: ignore[assignment]
        self.decided_at = timezone.now()

    def keep_as_candidate(self, *, confident: bool) -> None:
        """The matcher keeps this proposal (or new row) at a window: confirmed when it is the
        confident best, otherwise proposed for review (a proposal stays one)."""
        if self.status != M.PROPOSED:
            target = M.CONFIRMED if confident else M.PROPOSED
            raise IllegalTransitionError("match", self.status, target)
        if confident:
            self.status = M.CONFIRMED

    def confirm(self, user: AbstractBaseUser | None) -> None:
        self._move_to(M.CONFIRMED, user)

    def reject(self, user: AbstractBaseUser | None) -> None:
        self._move_to(M.REJECTED, user)

    def refuse(self, user: AbstractBaseUser | None) -> None:
        if self.kind not in FLAG_KINDS:
            raise IllegalTransitionError("match", self.status, M.REFUSED)
        self._move_to(M.REFUSED, user)

    def dismiss(self, user: AbstractBaseUser | None) -> None:
        if self.kind not in FLAG_KINDS:
            raise IllegalTransitionError("match", self.status, M.DISMISSED)
        self._move_to(M.DISMISSED, user)

    def ask_again(self) -> None:
        """A refused double charge is asked again when a person reopens its invoice: the
        matcher never undoes a refusal, only that decision does."""
        if self.kind not in FLAG_KINDS or self.status != M.REFUSED:
            raise IllegalTransitionError("match", self.status, M.PROPOSED)
        self.status, self.decided_by, self.decided_at = M.PROPOSED, None, None

    def mark_as_attached(self) -> None:
        if self.status != M.CONFIRMED:
            raise IllegalTransitionError("match", self.status, M.ATTACHED)
        self.status = M.ATTACHED
        self.attached_at = timezone.now()
        self.attach_error = ""
        self.is_attach_blocked = False

    def block_attach(self, reason: str) -> None:
        """Stop retrying the upload: a person must fix the cause, then `unblock_attach`."""
        if self.status != M.CONFIRMED:
            raise IllegalTransitionError("match", self.status, "attach blocked")
        self.is_attach_blocked = True
        self.attach_error = reason[:4000]

    def unblock_attach(self) -> None:
        self.is_attach_blocked = False


class ExchangeRate(models.Model):
    """A rate observed or entered: 1 `base_currency` = `rate` `quote_currency` on `rate_date`."""

    base_currency = currency_field()
    quote_currency = currency_field()
    rate = rate_field()
    rate_date = models.DateField()
    source = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-rate_date"]
        constraints = [
            models.UniqueConstraint(
                fields=["base_currency", "quote_currency", "rate_date", "source"],
                name="exchange_rate_unique",
            )
        ]

    def __str__(self) -> str:
        return f"1 {self.base_currency} = {self.rate} {self.quote_currency} ({self.rate_date})"
