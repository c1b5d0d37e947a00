"""`match_window`: everything the matcher does once per sync window, in one batch."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import transaction as db_transaction
from django.utils import timezone

from reconciliation.matching.confirmations import match_confirmations
from reconciliation.matching.credits import match_credits
from reconciliation.matching.double_charges import detect_double_charges
from reconciliation.matching.fx import RateBook
from reconciliation.matching.invoices import (
    InvoiceDirectory,
    link_invoices_to_debits,
    settled_invoices,
)
from reconciliation.matching.scoring import MatchPolicy
from reconciliation.matching.sources import VendorDirectory
from reconciliation.models import SyncKind, SyncRun, SyncStatus, Workspace

logger = logging.getLogger("reconciliation.matching")

#: A matching run older than this is taken for dead (its worker stopped).
MATCH_LEASE = timedelta(minutes=30)


@dataclass
class MatchReport:
    workspace_id: int
    status: str = "done"  # done | busy (another worker is matching this workspace)
    #: Payment confirmations confirmed against a debit in this window (attached at its end).
    confirmed: int = 0
    #: Confirmations sent to review with candidates.
    proposed: int = 0
    unmatched_document_ids: list[int] = field(default_factory=list)
    unreadable_document_ids: list[int] = field(default_factory=list)
    invoices_settled: int = 0
    double_charges: int = 0
    held_invoice_ids: list[int] = field(default_factory=list)
    credits_considered: int = 0
    credits_confirmed: int = 0
    credits_proposed: int = 0
    receivables_paid: int = 0
    partial_payments: int = 0
    seconds: float = 0.0
    sync_run_id: int | None = None


def _claim(workspace_id: int) -> SyncRun | None:
    """One matching run per workspace at a time: the running SyncRun row is the lock (taken
    under the workspace's row lock); a run older than `MATCH_LEASE` is taken for dead."""
    now = timezone.now()
    with db_transaction.atomic():
        Workspace.objects.select_for_update().get(pk=workspace_id)
        running = SyncRun.objects.for_workspace(workspace_id).filter(
            kind=SyncKind.MATCHING, status=SyncStatus.RUNNING
        )
        for stale in running.filter(started_at__lte=now - MATCH_LEASE):
            stale.finish(SyncStatus.FAILED, "The worker stopped before matching finished.")
            stale.save(update_fields=["status", "error", "finished_at"])
        if running.filter(started_at__gt=now - MATCH_LEASE).exists():
            return None
        return SyncRun.objects.create(
            workspace_id=workspace_id, kind=SyncKind.MATCHING, trigger="window", started_at=now
        )


def policy_for(workspace: Workspace) -> MatchPolicy:
    return MatchPolicy(
        threshold=workspace.match_threshold,
        days_before=workspace.match_days_before,
        days_after=workspace.match_days_after,
        fx_tolerance_percent=workspace.fx_tolerance_percent,
    )


def match_window(*, workspace_id: int, today: date | None = None) -> MatchReport:
    """Match the workspace's paperwork and bank lines, once per sync window.

    Writes only Well's own rows (matches, holds, receivable payments, decisions). The one
    write to Qonto it prepares — attaching confirmations to their transactions — happens
    later, in `attach_confirmed` at the end of the window. One run per workspace at a time:
    a second concurrent call returns at once with ``status="busy"``.
    """
    started = time.monotonic()
    workspace = Workspace.objects.get(pk=workspace_id)
    today = today or timezone.now().date()
    policy = policy_for(workspace)
    home = workspace.home_currency.upper()
    previous = (
        SyncRun.objects.for_workspace(workspace_id)
        .filter(kind=SyncKind.MATCHING, status=SyncStatus.SUCCEEDED)
        .order_by("-started_at")
        .values_list("started_at", flat=True)
        .first()
    )
    run = _claim(workspace_id)
    if run is None:
        logger.info("matching of workspace %s is already running", workspace_id)
        return MatchReport(workspace_id=workspace_id, status="busy")
    report = MatchReport(workspace_id=workspace_id, sync_run_id=run.pk)
    try:
        vendors = VendorDirectory.load(workspace_id)
        invoices = InvoiceDirectory.load(workspace_id, today=today)
        settled = settled_invoices(workspace_id)
        rates = RateBook.load(
            {home, "EUR", "USD", "GBP", "CHF", *(f.currency for f in invoices.facts.values())},
            today - timedelta(days=550),
            today,
        )
        report.invoices_settled = link_invoices_to_debits(
            workspace_id=workspace_id, invoices=invoices, vendors=vendors, settled=settled
        ).linked
        confirmations = match_confirmations(
            workspace_id=workspace_id,
            home_currency=home,
            policy=policy,
            vendors=vendors,
            rates=rates,
            invoices=invoices,
            settled=settled,
        )
        report.confirmed = confirmations.confirmed
        report.proposed = confirmations.proposed
        report.unmatched_document_ids = confirmations.unmatched_document_ids
        report.unreadable_document_ids = confirmations.unreadable_document_ids
        doubles = detect_double_charges(
            workspace_id=workspace_id,
            invoices=invoices,
            settled=settled,
            orders=confirmations.orders,
            confirmed_pairs=confirmations.confirmed_pairs,
            candidate_ids=confirmations.candidate_ids,
        )
        report.double_charges = doubles.flagged
        report.held_invoice_ids = doubles.held_invoice_ids
        # Overlap by a minute: a credit stored while the previous run was starting is seen.
        since = previous - timedelta(minutes=1) if previous is not None else None
        credits = match_credits(
            workspace_id=workspace_id,
            policy=policy,
            vendors=vendors,
            rates=rates,
            today=today,
            since=since,
        )
        report.credits_considered = credits.considered
        report.credits_confirmed = credits.confirmed
        report.credits_proposed = credits.proposed
        report.receivables_paid = credits.receivables_paid
        report.partial_payments = credits.partial_payments
    except Exception as error:
        run.finish(SyncStatus.FAILED, f"{type(error).__name__}: {error}"[:4000])
        run.save()
        raise
    report.seconds = round(time.monotonic() - started, 3)
    run.items_seen = confirmations.considered + credits.considered
    run.items_changed = report.confirmed + report.credits_confirmed + report.double_charges
    run.details = {
        "confirmed": report.confirmed,
        "proposed": report.proposed,
        "unmatched": len(report.unmatched_document_ids),
        "unreadable": len(report.unreadable_document_ids),
        "invoices_settled": report.invoices_settled,
        "double_charges": report.double_charges,
        "credits_confirmed": report.credits_confirmed,
        "credits_proposed": report.credits_proposed,
        "receivables_paid": report.receivables_paid,
        "seconds": report.seconds,
    }
    run.finish(SyncStatus.SUCCEEDED)
    run.save()
    logger.info("matching window of workspace %s: %s", workspace_id, run.details)
    return report
