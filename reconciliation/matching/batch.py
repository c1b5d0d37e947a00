"""`match_window`: everything the matcher does once per sync window, in one batch."""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import datetime
from datetime import timedelta

from django.db import transaction as db_transaction
from django.utils import timezone

from reconciliation import fx
from reconciliation.fx import RateBook
from reconciliation.matching.confirmations import match_confirmations
from reconciliation.matching.credits import match_credits
from reconciliation.matching.double_charges import detect_double_charges
from reconciliation.matching.double_payments import detect_double_payments
from reconciliation.matching.invoice_debits import link_invoices_to_debits
from reconciliation.matching.invoice_debits import surface_paid_refused
from reconciliation.matching.invoices import InvoiceDirectory
from reconciliation.matching.invoices import settled_invoices
from reconciliation.matching.scoring import MatchPolicy
from reconciliation.matching.sources import Context
from reconciliation.matching.sources import VendorDirectory
from reconciliation.matching.waiting import follow_up_payments
from reconciliation.models import SyncKind
from reconciliation.models import SyncRun
from reconciliation.models import SyncStatus
from reconciliation.models import Workspace
from reconciliation.models.audit import SyncTrigger

logger = logging.getLogger("reconciliation.matching")

#: A matching run older than this is taken for dead (its worker stopped).
MATCH_LEASE = timedelta(minutes=30)
#: How far back exchange rates are loaded (the oldest invoice a window still matches).
RATE_LOOKBACK_DAYS = 550
#: The youngest-generation threshold of Python's garbage collector during a window (see
#: `_fewer_collections`).
WINDOW_GC_THRESHOLD = 50_000
#: What a matching run records in its details.
DETAILS = (
    "confirmed",
    "proposed",
    "invoices_settled",
    "invoices_proposed",
    "double_charges",
    "double_payments",
    "paid_refused",
    "credits_confirmed",
    "credits_proposed",
    "receivables_paid",
    "seconds",
)


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
    #: Invoices linked straight to the debit that paid them / sent to review with candidates.
    invoices_settled: int = 0
    invoices_proposed: int = 0
    double_charges: int = 0
    #: Second debits for an invoice already paid, flagged for a person.
    double_payments: int = 0
    #: Refused invoices the bank shows as paid, put in front of a person.
    paid_refused: int = 0
    held_invoice_ids: list[int] = field(default_factory=list)
    credits_considered: int = 0
    credits_confirmed: int = 0
    credits_proposed: int = 0
    receivables_paid: int = 0
    partial_payments: int = 0
    seconds: float = 0.0
    sync_run_id: int | None = None


def _claim(workspace_id: int, trigger: str) -> SyncRun | None:
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
        if SyncRun.objects.still_running(
            workspace_id, SyncKind.MATCHING, lease=MATCH_LEASE
        ).exists():
            return None
        return SyncRun.objects.create(
            workspace_id=workspace_id, kind=SyncKind.MATCHING, trigger=trigger, started_at=now
        )


def policy_for(workspace: Workspace) -> MatchPolicy:
    return MatchPolicy(
        threshold=workspace.match_threshold,
        days_before=workspace.match_days_before,
        days_after=workspace.match_days_after,
        fx_tolerance_percent=workspace.fx_tolerance_percent,
    )


def match_window(
    *, workspace_id: int, today: date | None = None, trigger: str = SyncTrigger.WINDOW
) -> MatchReport:
    """Match the workspace's paperwork and bank lines, once per sync window.

    Writes only Well's own rows (matches, holds, receivable payments, decisions). The one
    write to Qonto it prepares — attaching confirmations to their transactions — happens
    later, in `attach_confirmed` at the end of the window. One run per workspace at a time:
    a second concurrent call returns at once with ``status="busy"``. `trigger` is what started
    the window (its run says so: "Sync now (by hand)" after a person's Sync now).
    """
    started = time.monotonic()
    previous = (
        SyncRun.objects.for_workspace(workspace_id)
        .filter(kind=SyncKind.MATCHING, status=SyncStatus.SUCCEEDED)
        .order_by("-started_at")
        .values_list("started_at", "finished_at")
        .first()
    )
    run = _claim(workspace_id, trigger)
    if run is None:
        logger.info("matching of workspace %s is already running", workspace_id)
        return MatchReport(workspace_id=workspace_id, status="busy")
    report = MatchReport(workspace_id=workspace_id, sync_run_id=run.pk)
    try:
        with _fewer_collections():
            considered = _match(report, today=today or timezone.now().date(), previous=previous)
    except Exception as error:
        run.finish(SyncStatus.FAILED, f"{type(error).__name__}: {error}"[:4000])
        run.save()
        raise
    report.seconds = round(time.monotonic() - started, 3)
    run.items_seen = considered
    run.items_changed = (
        report.confirmed
        + report.credits_confirmed
        + report.invoices_settled
        + report.double_charges
        + report.double_payments
    )
    run.details = {name: getattr(report, name) for name in DETAILS}
    run.details["unmatched"] = len(report.unmatched_document_ids)
    run.details["unreadable"] = len(report.unreadable_document_ids)
    run.finish(SyncStatus.SUCCEEDED)
    run.save()
    logger.info("matching window of workspace %s: %s", workspace_id, run.details)
    return report


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """Run the collector every `WINDOW_GC_THRESHOLD` new objects instead of Python's 700.

    A window keeps a million bank lines and their candidates alive while it allocates millions
    of short-lived objects that form no cycles (tuples, Decimals, strings); with the default
    thresholds the collector re-scans the live ones over and over — measured, a fifth of the
    first window of `make bench-match`. Memory is unchanged: reference counting still frees
    everything that is not a cycle at once. The process's thresholds are restored after (they
    are the process's: windows run one per worker process, never in threads side by side).
    """
    before = gc.get_threshold()
    gc.set_threshold(max(before[0], WINDOW_GC_THRESHOLD), before[1], before[2])
    try:
        yield
    finally:
        gc.set_threshold(*before)


def _context(workspace_id: int, today: date, invoices: InvoiceDirectory) -> Context:
    workspace = Workspace.objects.get(pk=workspace_id)
    home = workspace.home_currency.upper()
    currencies = {home, "EUR", "USD", "GBP", "CHF", *(f.currency for f in invoices.facts.values())}
    rates = RateBook.load(
        workspace_id=workspace_id,
        currencies=currencies,
        start=today - timedelta(days=RATE_LOOKBACK_DAYS),
        end=today,
    )
    return Context(
        workspace_id, home, policy_for(workspace), VendorDirectory.load(workspace_id), rates
    )


def _match(
    report: MatchReport, *, today: date, previous: tuple[datetime, datetime | None] | None
) -> int:
    """The window's steps, in order: invoices paid straight from the bank, confirmations,
    repeats (double charges, double payments, refused invoices found paid), credits.
    Returns how many pieces of paperwork and credits were considered."""
    workspace_id = report.workspace_id
    # Overlap by a minute: a row stored while the previous run was starting is seen.
    since = previous[0] - timedelta(minutes=1) if previous is not None else None
    checked_until = (previous[1] or previous[0]) if previous is not None else None
    invoices = InvoiceDirectory.load(workspace_id, today=today)
    settled = settled_invoices(workspace_id)
    context = _context(workspace_id, today, invoices)
    linked = link_invoices_to_debits(context, invoices=invoices, settled=settled)
    report.invoices_settled, report.invoices_proposed = linked.linked, linked.proposed
    confirmations = match_confirmations(context, invoices=invoices, settled=settled)
    report.confirmed = confirmations.confirmed
    report.proposed = confirmations.proposed
    report.unmatched_document_ids = confirmations.unmatched_document_ids
    report.unreadable_document_ids = confirmations.unreadable_document_ids
    doubles = detect_double_charges(
        workspace_id=workspace_id, invoices=invoices, settled=settled, confirmations=confirmations
    )
    report.double_charges = doubles.flagged
    report.held_invoice_ids = doubles.held_invoice_ids
    report.double_payments = detect_double_payments(
        context,
        invoices=invoices,
        settled=settled,
        since=since,
        checked_until=checked_until,
        repeats=linked.repeats,
        proposed=linked.proposed_repeats,
    ).flagged
    report.paid_refused = surface_paid_refused(workspace_id, invoices, settled)
    credits = match_credits(context, today=today, since=since)
    report.credits_considered = credits.considered
    report.credits_confirmed = credits.confirmed
    report.credits_proposed = credits.proposed
    report.receivables_paid = credits.receivables_paid
    report.partial_payments = credits.partial_payments
    follow_up_payments(workspace_id=workspace_id, today=today)
    # Paid foreign-currency invoices show what their confirmed debit took (fx.convert_invoice).
    fx.store_paid_conversions(workspace_id=workspace_id)
    return confirmations.considered + credits.considered + len(invoices.facts)
