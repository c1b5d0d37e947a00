"""The daily digest: one e-mail per workspace administrator who wants it, once per UTC day.

Contents: the review queue and its oldest item, stuck work by cause (the dashboard's lists),
yesterday's post failures by cause, fraud holds (new bank details waiting for two people),
and what Well posted on its own yesterday with totals per currency (`money.format_money`).

Idempotent: a `DigestSent` row, unique on (user, workspace, day), is inserted before the e-mail
goes out; a second run (or a second worker) the same day fails to insert it and sends nothing.
A send that fails keeps its row with the error: never twice beats at least once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError
from django.db import transaction
from django.db.models import Count
from django.db.models import Q
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone

from reconciliation.admin.dashboard import FAILED_OUTCOMES
from reconciliation.admin.dashboard import WorkspaceDashboard
from reconciliation.admin.dashboard import _invoice_figures
from reconciliation.admin.dashboard import _stuck
from reconciliation.models import BankChangeStatus
from reconciliation.models import BankDetailChange
from reconciliation.models import Connection
from reconciliation.models import DigestSent
from reconciliation.models import Invoice
from reconciliation.models import InvoiceStatus
from reconciliation.models import Membership
from reconciliation.models import PostAttempt
from reconciliation.models import PostOutcome
from reconciliation.models import Role
from reconciliation.models import Workspace
from reconciliation.money import format_money

logger = logging.getLogger(__name__)

#: Digests go out from this UTC hour on (the schedule runs hourly; the claim keeps it to one).
DIGEST_HOUR_UTC = 6
FRAUD_HOLDS = (BankChangeStatus.PENDING, BankChangeStatus.HALF_CONFIRMED)


@dataclass(frozen=True)
class Digest:
    workspace: Workspace
    day: date  # the day it is sent; "yesterday" is the day before
    queue: int
    oldest: str  # "2 days", "" when the queue is empty
    stuck: list[tuple[str, int]] = field(default_factory=list)
    failures: list[tuple[str, int]] = field(default_factory=list)
    fraud_holds: int = 0
    auto_posted: int = 0
    totals: list[tuple[str, Decimal, int]] = field(default_factory=list)  # currency, sum, count

    @property
    def subject(self) -> str:
        return f"Well · {self.workspace.name} · {self.day:%d %b %Y}"


@dataclass(frozen=True)
class DigestRun:
    sent: int = 0
    already: int = 0
    failed: int = 0


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time.min, tzinfo=UTC)
    return start, start + timedelta(days=1)


def build_digest(workspace: Workspace, now: datetime) -> Digest:
    """The figures of one workspace at `now`; yesterday is the UTC day before `now`'s."""
    today = now.astimezone(UTC).date()
    start, end = _day_bounds(today - timedelta(days=1))
    board = WorkspaceDashboard(workspace=workspace, review_url="")
    board.connections = list(Connection.objects.filter(workspace=workspace))
    _invoice_figures({workspace.pk: board}, [workspace.pk], now)
    _stuck({workspace.pk: board}, [workspace.pk], several=False)
    posted = (
        Invoice.objects.for_workspace(workspace)
        .filter(
            status=InvoiceStatus.POSTED,
            decided_by__isnull=True,
            posted_at__gte=start,
            posted_at__lt=end,
        )
        .values("currency")
        .annotate(total=Sum("total_amount"), n=Count("pk"))
        .order_by("currency")
    )
    totals = [(row["currency"], row["total"] or Decimal(0), row["n"]) for row in posted]
    return Digest(
        workspace=workspace,
        day=today,
        queue=board.backlog,
        oldest=board.oldest_label,
        stuck=[(item.label, item.count) for item in board.stuck if item.count],
        failures=_failures(workspace, start, end),
        fraud_holds=BankDetailChange.objects.filter(
            workspace=workspace, status__in=FRAUD_HOLDS
        ).count(),
        auto_posted=sum(n for _, _, n in totals),
        totals=totals,
    )


def _failures(workspace: Workspace, start: datetime, end: datetime) -> list[tuple[str, int]]:
    labels = dict(PostOutcome.choices)
    rows = (
        PostAttempt.objects.for_workspace(workspace)
        .filter(started_at__gte=start, started_at__lt=end, outcome__in=FAILED_OUTCOMES)
        .values("outcome", "error_code")
        .annotate(n=Count("pk"))
        .order_by("-n", "outcome", "error_code")
    )
    found = []
    for row in rows:
        cause = str(labels.get(row["outcome"], row["outcome"]))
        found.append((f"{cause}: {row['error_code']}" if row["error_code"] else cause, row["n"]))
    return found


def render_digest(digest: Digest, site_url: str) -> str:
    """The e-mail's plain text."""
    lines = [f"{digest.workspace.name}: Well's day, {digest.day:%d %B %Y} (UTC)", ""]
    queue = f"Review queue: {digest.queue} document{'s' if digest.queue != 1 else ''}"
    lines.append(f"{queue}, the oldest waiting {digest.oldest}." if digest.queue else f"{queue}.")
    lines.append("Stuck work:" if digest.stuck else "Nothing stuck.")
    lines += [f"  - {label}: {count}" for label, count in digest.stuck]
    failed = sum(n for _, n in digest.failures)
    lines.append(f"Post failures yesterday: {failed}")
    lines += [f"  - {cause}: {count}" for cause, count in digest.failures]
    lines.append(f"Fraud holds (new bank details to confirm by two people): {digest.fraud_holds}")
    lines.append(f"Posted by Well on its own yesterday: {digest.auto_posted}")
    for currency, total, count in digest.totals:
        plural = "s" if count != 1 else ""
        lines.append(f"  - {format_money(total, currency, locale='en')} ({count} invoice{plural})")
    lines += ["", f"Open Well: {site_url}{reverse('admin:index')}"]
    preferences = reverse("admin:reconciliation-digest-preferences")
    lines.append(f"You receive this as an administrator; turn it off at {site_url}{preferences}")
    return "\n".join(lines) + "\n"


def recipients(workspace: Workspace) -> list[Membership]:
    """Administrators of the workspace who want the digest and have an address."""
    return list(
        Membership.objects.filter(
            workspace=workspace, role=Role.ADMIN, wants_digest=True, user__is_active=True
        )
        .exclude(user__email="")
        .select_related("user")
        .order_by("user_id")
    )


def claim(membership: Membership, day: date) -> DigestSent | None:
    """Insert the day's row for this person and workspace; None when it exists already."""
    try:
        with transaction.atomic():
            return DigestSent.objects.create(
                workspace_id=membership.workspace_id, user_id=membership.user_id, day=day
            )
    except IntegrityError:
        return None


def send_daily_digests(now: datetime | None = None) -> DigestRun:
    """Send today's digest to every administrator who wants it and has not had it today."""
    now = now or timezone.now()
    if now.astimezone(UTC).hour < DIGEST_HOUR_UTC:
        return DigestRun()
    site = settings.WELL_BASE_URL
    sent = already = failed = 0
    for workspace in Workspace.objects.filter(
        Q(memberships__role=Role.ADMIN) & Q(memberships__wants_digest=True)
    ).distinct():
        people = recipients(workspace)
        if not people:
            continue
        digest = build_digest(workspace, now)
        body = render_digest(digest, site)
        for membership in people:
            row = claim(membership, digest.day)
            if row is None:
                already += 1
                continue
            try:
                send_mail(digest.subject, body, None, [membership.user.email])
            except Exception as error:  # the row stays: never twice beats at least once
                DigestSent.objects.filter(pk=row.pk).update(error=str(error)[:500])
                logger.exception(
                    "digest not sent: user=%s workspace=%s", membership.user_id, workspace.pk
                )
                failed += 1
                continue
            DigestSent.objects.filter(pk=row.pk).update(sent_at=timezone.now())
            sent += 1
    return DigestRun(sent=sent, already=already, failed=failed)
