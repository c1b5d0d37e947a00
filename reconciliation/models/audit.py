"""Audit rows: append-only records of what Well did and who decided what."""

from __future__ import annotations

import json
from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from datetime import timedelta
from typing import TYPE_CHECKING
from typing import Any
from typing import NoReturn
from typing import Self
from typing import TypedDict
from typing import Unpack

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone

from reconciliation.models.base import TenantModel
from reconciliation.models.base import TenantQuerySet
from reconciliation.models.base import optional_link
from reconciliation.models.base import person_field

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser
    from django.contrib.auth.models import AnonymousUser

    from reconciliation.models.banking import Match
    from reconciliation.models.base import OptionalLink
    from reconciliation.models.connection import Connection
    from reconciliation.models.document import Document
    from reconciliation.models.invoice import Invoice
    from reconciliation.models.vendor import Vendor
    from reconciliation.models.workspace import Workspace


class AppendOnlyError(Exception):
    """An audit row was about to be changed or deleted."""


class AppendOnlyQuerySet(TenantQuerySet[Any]):
    def delete(self) -> NoReturn:
        raise AppendOnlyError("Audit rows are never deleted.")

    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError("Audit rows are changed only through their model methods.")

    def _unguarded_update(self, **kwargs: Any) -> int:
        return super().update(**kwargs)


class PostOutcome(models.TextChoices):
    PENDING = "pending", "In flight"
    POSTED = "posted", "Posted"
    TRANSIENT = "transient", "Transient failure (retried)"
    AUTH = "auth", "Authorisation failure"
    REJECTED = "rejected", "Rejected by Qonto"
    UNKNOWN = "unknown", "Outcome unknown (checked before re-posting)"
    LOCAL = "local", "Refused locally before any call"


class PostAttemptQuerySet(AppendOnlyQuerySet):
    def finished(self) -> Self:
        return self.filter(finished_at__isnull=False)

    def in_flight(self) -> Self:
        return self.filter(finished_at__isnull=True)


class PostAttempt(TenantModel):
    """One try to hand one invoice to Qonto. Written before the call, completed after it."""

    invoice = models.ForeignKey(
        "reconciliation.Invoice", on_delete=models.PROTECT, related_name="post_attempts_log"
    )
    connection: OptionalLink[Connection] = optional_link(
        "reconciliation.Connection", related_name="post_attempts"
    )
    batch_id = models.UUIDField(db_index=True)
    attempt_number = models.PositiveIntegerField(default=1)
    idempotency_key = models.CharField(max_length=64, db_index=True)
    request_summary = models.JSONField(default=dict, blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    outcome = models.CharField(
        max_length=12, choices=PostOutcome.choices, default=PostOutcome.PENDING
    )
    item_result = models.JSONField(default=dict, blank=True)
    error_code = models.CharField(max_length=100, blank=True)
    error_pointer = models.CharField(max_length=300, blank=True)
    error_detail = models.TextField(blank=True)
    trace_id = models.CharField(max_length=100, blank=True)
    qonto_id = models.CharField(max_length=64, blank=True)

    objects = PostAttemptQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(fields=["workspace", "outcome", "started_at"]),
            models.Index(fields=["invoice", "started_at"]),
        ]

    def __str__(self) -> str:
        return f"Attempt {self.attempt_number} · {self.get_outcome_display()}"

    @property
    def is_finished(self) -> bool:
        return self.finished_at is not None

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Guard, not behaviour: a finished attempt is history and can never be rewritten.
        if (
            not self._state.adding
            and type(self).objects.filter(pk=self.pk, finished_at__isnull=False).exists()
        ):
            raise AppendOnlyError("A finished post attempt cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("Post attempts are never deleted.")

    def finish(
        self,
        *,
        outcome: PostOutcome,
        http_status: int | None = None,
        item_result: dict[str, Any] | None = None,
        error_code: str = "",
        error_pointer: str = "",
        error_detail: str = "",
        trace_id: str = "",
        qonto_id: str = "",
    ) -> None:
        """Complete the attempt exactly once (a conditional UPDATE refuses a second finish)."""
        now = timezone.now()
        values: dict[str, Any] = {
            "finished_at": now,
            "duration_ms": max(0, int((now - self.started_at).total_seconds() * 1000)),
            "outcome": outcome,
            "http_status": http_status,
            "item_result": item_result or {},
            "error_code": error_code[:100],
            "error_pointer": error_pointer[:300],
            "error_detail": error_detail,
            "trace_id": trace_id[:100],
            "qonto_id": qonto_id,
        }
        queryset: PostAttemptQuerySet = type(self).objects.filter(
            pk=self.pk, finished_at__isnull=True
        )
        if queryset._unguarded_update(**values) != 1:
            raise AppendOnlyError("This post attempt was already finished.")
        for name, value in values.items():
            setattr(self, name, value)


class SyncKind(models.TextChoices):
    FILES = "files", "Folder poll"
    TRANSACTIONS = "transactions", "Transaction sync"
    POSTING = "posting", "Posting window"
    MATCHING = "matching", "Matching"


class SyncStatus(models.TextChoices):
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    PARTIAL = "partial", "Partly failed"
    FAILED = "failed", "Failed"


class SyncTrigger(models.TextChoices):
    """What started a sync run."""

    SCHEDULE = "schedule", "On schedule"
    MANUAL = "manual", "Sync now (by hand)"
    WINDOW = "window", "Window closing"


class SyncRunQuerySet(TenantQuerySet["SyncRun"]):
    def running(self) -> Self:
        return self.filter(status=SyncStatus.RUNNING)

    def still_running(self, workspace_id: int, kind: SyncKind, *, lease: timedelta) -> Self:
        """Runs of `kind` in the workspace that still hold it: running and started within
        `lease` (an older running row belongs to a worker taken for dead)."""
        return (
            self.for_workspace(workspace_id)
            .running()
            .filter(kind=kind, started_at__gt=timezone.now() - lease)
        )


class SyncRun(TenantModel):
    """One poll of a folder, sync of transactions or posting window — for the status page."""

    connection: OptionalLink[Connection] = optional_link(
        "reconciliation.Connection", related_name="sync_runs"
    )
    kind = models.CharField(max_length=16, choices=SyncKind.choices)
    trigger = models.CharField(
        max_length=16, choices=SyncTrigger.choices, default=SyncTrigger.SCHEDULE
    )
    status = models.CharField(max_length=12, choices=SyncStatus.choices, default=SyncStatus.RUNNING)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    files_seen = models.PositiveIntegerField(default=0)
    files_new = models.PositiveIntegerField(default=0)
    files_duplicate = models.PositiveIntegerField(default=0)
    files_skipped = models.PositiveIntegerField(default=0)
    files_failed = models.PositiveIntegerField(default=0)
    items_seen = models.PositiveIntegerField(default=0, help_text="Transactions or invoices.")
    items_changed = models.PositiveIntegerField(default=0)
    items_failed = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    details = models.JSONField(default=dict, blank=True)

    objects = SyncRunQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["connection", "kind", "started_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.get_status_display()}"

    def finish(self, status: SyncStatus, error: str = "") -> None:
        self.status = status
        self.error = error
        self.finished_at = timezone.now()

    def finish_with_counts(
        self,
        status: SyncStatus,
        *,
        seen: int,
        changed: int,
        failed: int,
        details: dict[str, Any],
        error: str = "",
    ) -> None:
        """Close the run with what it did: the counts and details the status page shows, and
        the error cut to the first 4,000 characters."""
        self.items_seen = seen
        self.items_changed = changed
        self.items_failed = failed
        self.details = details
        self.finish(status, error[:4000])


class DecisionAction(models.TextChoices):
    ROUTE = "route", "Routed automatically"
    APPROVE = "approve", "Approved"
    REFUSE = "refuse", "Refused"
    # A possible double payment answered "refund requested": the supplier is asked for the
    # money back (not a refusal of the invoice, which was paid).
    REFUND_REQUESTED = "refund_requested", "Refund requested"
    REOPEN = "reopen", "Reopened"
    EDIT = "edit", "Fields corrected"
    RETRY = "retry", "Posting retried"
    POST = "post", "Posted to Qonto"
    LINK_QONTO = "link_qonto", "Linked to an entry Qonto already had"
    POST_ANYWAY = "post_anyway", "Posted although Qonto may have it"
    HOLD = "hold", "Held"
    NOT_DUPLICATE = "not_duplicate", "Marked not a duplicate"
    PICK_MATCH = "pick_match", "Match picked"
    REJECT_MATCHES = "reject_matches", "No match"
    MERGE_VENDOR = "merge_vendor", "Vendors merged"
    THRESHOLDS = "thresholds", "Thresholds changed"
    RULE = "rule", "Routing rule changed"
    CONNECTION = "connection", "Connection changed"
    READ_AGAIN = "read_again", "Read again"
    SEND_TO_REVIEW = "send_to_review", "Sent to review"
    SET_ASIDE = "set_aside", "Set aside (nothing to do)"


class DecisionNotes(TypedDict, total=False):
    """What a decision says besides the rows it is about (see `Decision.record`)."""

    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None
    reason: str


class InvoiceDecisionDetails(DecisionNotes, total=False):
    """`DecisionNotes` and the other rows a decision about an invoice may name."""

    vendor: Vendor | int | None
    match: Match | int | None


def _about(model: str) -> models.ForeignKey[Any, Any]:
    """A row a decision is about: optional, and the decision outlives it (its history stays
    readable when the row is deleted); `row.decisions` lists them."""
    return optional_link(model, related_name="decisions")


class DecisionQuerySet(AppendOnlyQuerySet):
    pass


#: The moment the decisions recorded inside `Decision.dated` are given (None: when written).
_dated: ContextVar[datetime | None] = ContextVar("decision_dated", default=None)


class Decision(TenantModel):
    """Who decided what, when, with the values before and after. Never changed or deleted."""

    action = models.CharField(max_length=20, choices=DecisionAction.choices)
    actor = person_field(help_text="Empty when Well decided on its own.")
    invoice: OptionalLink[Invoice] = _about("reconciliation.Invoice")
    document: OptionalLink[Document] = _about("reconciliation.Document")
    match: OptionalLink[Match] = _about("reconciliation.Match")
    vendor: OptionalLink[Vendor] = _about("reconciliation.Vendor")
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = DecisionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        who = self.actor or "Well"
        return f"{self.get_action_display()} by {who}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("A decision is history and cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("Decisions are never deleted.")

    @staticmethod
    def values_of(
        row: models.Model,
        names: Iterable[str],
        convert: Mapping[str, Callable[[Any], Any]] | None = None,
    ) -> dict[str, Any]:
        """What a decision records of a row, as its `before` or `after`: each named field's
        value in that order (a link by its id), through `convert`'s function where it names
        the field."""
        convert = convert or {}
        values: dict[str, Any] = {}
        for name in names:
            field = row._meta.get_field(name)
            value = getattr(row, field.attname if isinstance(field, models.Field) else name)
            values[name] = convert[name](value) if name in convert else value
        return values

    @classmethod
    def record(
        cls,
        *,
        workspace: Workspace | int,
        action: DecisionAction,
        actor: AbstractBaseUser | AnonymousUser | None,
        invoice: Invoice | int | None = None,
        document: Document | int | None = None,
        match: Match | int | None = None,
        vendor: Vendor | int | None = None,
        before: Mapping[str, Any] | None = None,
        after: Mapping[str, Any] | None = None,
        reason: str = "",
    ) -> Decision:
        """The one place a decision is written. `actor` is the person (None when Well decided on
        its own); invoice / document / match / vendor are the rows it is about (a row or its id),
        so each one's history shows it; before / after are stored as plain JSON (Decimals and
        dates as strings) so every writer stores values the same way.

        The decision is dated when it is written (the product's every decision), or, for
        seeding and tests only, by the `dated` block it is recorded in. Either way it is
        inserted once with that moment and never changed."""
        decision = cls(
            action=action,
            actor_id=_actor_id(actor),
            before=_plain_json(before),
            after=_plain_json(after),
            reason=reason,
            created_at=_moment(_dated.get()),
        )
        for name, value in (
            ("workspace", workspace),
            ("invoice", invoice),
            ("document", document),
            ("match", match),
            ("vendor", vendor),
        ):
            setattr(
                decision,
                f"{name}_id",
                value if value is None or isinstance(value, int) else value.pk,
            )
        decision.save(force_insert=True)
        return decision

    @staticmethod
    @contextmanager
    def dated(moment: datetime) -> Iterator[None]:
        """Seeding and tests only, the one way to date a decision of the past: the decisions
        recorded inside the block, by whichever code path records them (reading a document, a
        review, a direct `record`), are dated `moment` (time-zone aware, not after now; an inner
        block's moment wins). The demo's history replays the product's paths for events of the
        past; their decisions say when each happened."""
        token = _dated.set(_moment(moment))
        try:
            yield
        finally:
            _dated.reset(token)

    @classmethod
    def record_for_invoice(
        cls,
        invoice: Invoice,
        action: DecisionAction,
        *,
        actor: AbstractBaseUser | AnonymousUser | None,
        **details: Unpack[InvoiceDecisionDetails],
    ) -> Decision:
        """`record` for a decision about one invoice: its workspace, the invoice and its
        document come from the invoice, so the decision shows in both histories. The vendor
        is named by the caller (the invoice's, another one, or none)."""
        return cls.record(
            workspace=invoice.workspace_id,
            action=action,
            actor=actor,
            invoice=invoice,
            document=invoice.document_id,
            **details,
        )

    @classmethod
    def record_for_match(
        cls,
        match: Match,
        action: DecisionAction,
        *,
        actor: AbstractBaseUser | AnonymousUser | None,
        **notes: Unpack[DecisionNotes],
    ) -> Decision:
        """`record` for a decision about one match: its workspace, invoice and document come
        from the match, so the decision shows in the history of each."""
        return cls.record(
            workspace=match.workspace_id,
            action=action,
            actor=actor,
            invoice=match.invoice_id,
            document=match.document_id,
            match=match,
            **notes,
        )


def _moment(at: datetime | None) -> datetime:
    """When a decision is dated: `at` (a `dated` block's moment), checked (aware, not in the
    future), else now."""
    now = timezone.now()
    if at is None:
        return now
    if timezone.is_naive(at):
        raise ValueError("A decision's moment needs its time zone.")
    if at > now:
        raise ValueError("A decision cannot be dated after it is written.")
    return at


def _actor_id(actor: AbstractBaseUser | AnonymousUser | None) -> int | None:
    if actor is None or not actor.is_authenticated:
        return None
    return int(actor.pk)


def _plain_json(values: Mapping[str, Any] | None) -> dict[str, Any]:
    if not values:
        return {}
    plain: dict[str, Any] = json.loads(json.dumps(dict(values), cls=DjangoJSONEncoder))
    return plain
