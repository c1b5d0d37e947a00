"""Posting against Qonto as it really behaves, shared by ``make bench-post`` and the tests:

- **keys expire between windows**: Qonto replays a key's success for 30 minutes only, and never
  an error; between windows the emulator's clock moves on 31 minutes, so a blind re-send would
  create a second supplier invoice. Faults lose answers after processing and fail items with
  ``internal_server_error``; the emulator's own count of invoices per key and per file then
  proves 0 duplicates.
- **read-back**: Qonto reads each uploaded PDF itself (the emulator's analyser reads what the
  harness PDFs say) and misreads the planted ones; a later window compares.
- **probe**: invoices that reached Qonto by another route (its e-mail inbox) are planted before
  posting: exact copies must be linked, near ones sent to review, unrelated ones ignored.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.test import override_settings

from reconciliation.models import Invoice
from reconciliation.models import InvoiceStatus
from reconciliation.models import QontoOrigin
from reconciliation.posting import RetryBudget
from reconciliation.posting import post_approved
from reconciliation.posting import release_expired_leases
from tests.posting_fixtures import BULK_PATH
from tests.posting_fixtures import invoice_values
from tests.posting_fixtures import lookup_requests
from tests.posting_fixtures import qonto_reading
from tests.posting_fixtures import seed_invoices
from tests.posting_harness import Comparison
from tests.posting_harness import blind_resends
from tests.posting_harness import compare
from tests.posting_harness import make_failed_due

if TYPE_CHECKING:
    from connectors.sandbox import QontoEmulator
    from connectors.sandbox.qonto_models import SupplierInvoice as QontoSupplierInvoiceWire
    from reconciliation.models import Workspace

KEY_LIFETIME_SECONDS = 30 * 60
#: Qonto's analysis runs this long (virtual seconds) after an upload.
ANALYSIS_SECONDS = 30
#: Misreadable fields (Qonto's names) and the field of Well's map each one shows up in.
MISREAD_FIELDS = {
    "total_amount": "total_amount",
    "currency": "currency",
    "issue_date": "issue_date",
    "due_date": "due_date",
    "invoice_number": "number",
    "total_tax_amount": "tax_amount",
    "supplier_name": "supplier_name",
    "vat_number": "supplier_vat_id",
}
QUICK = RetryBudget(max_rounds=3, base_delay=0.05, max_delay=0.2, seconds=2.0)
#: One round per window: whatever fails waits for the next window, after the keys expired.
ONE_ROUND = RetryBudget(max_rounds=1, base_delay=0.05, max_delay=0.2, seconds=1.0)


def windows_until_empty(
    workspace_id: int,
    *,
    between: Callable[[], None] = lambda: None,
    budget: RetryBudget = QUICK,
    max_windows: int = 200,
) -> int:
    """Window after window (the sweeper, then posting) until nothing waits to be posted;
    ``between`` runs after each window (the clock moves on). Returns the windows run."""
    for number in range(1, max_windows + 1):
        release_expired_leases()
        post_approved(workspace_id=workspace_id, worker_id=f"window-{number}", budget=budget)
        between()
        make_failed_due(workspace_id)
        waiting = Invoice.objects.for_workspace(workspace_id).filter(
            status__in=(InvoiceStatus.APPROVED, InvoiceStatus.POSTING, InvoiceStatus.FAILED)
        )
        if not waiting.exists():
            return number
    return max_windows


# --- keys that expire between windows ------------------------------------------------------------


@dataclass(frozen=True)
class ExpiryResult:
    comparison: Comparison
    windows: int
    minutes_advanced: int
    bulk_requests: int
    injected_faults: int
    lookups: int
    resolved_by_lookup: int
    blind_resends: int


def run_expiring_keys(
    workspace: Workspace, emulator: QontoEmulator, *, invoices: int, seed: int = 7
) -> ExpiryResult:
    seed_invoices(workspace, invoices, start=500_000)
    emulator.clear_requests()
    emulator.inject_fault(
        BULK_PATH,
        method="POST",
        faults=[
            {"drop": "after_processing"},
            {"malformed": "truncated_json"},
            {"status": 500},
            {"status": 503},
        ],
        probability=0.3,
        seed=seed,
    )
    emulator.inject_item_errors(code="internal_server_error", probability=0.1, seed=seed + 1)
    advanced = 0

    def expire_keys() -> None:
        nonlocal advanced
        emulator.clock.advance(KEY_LIFETIME_SECONDS + 60)
        advanced += (KEY_LIFETIME_SECONDS + 60) // 60

    windows = windows_until_empty(workspace.pk, between=expire_keys, budget=ONE_ROUND)
    emulator.clear_faults()
    emulator.clear_item_errors()
    bulk = emulator.requests(method="POST", path=BULK_PATH)
    return ExpiryResult(
        comparison=compare(workspace.pk, emulator),
        windows=windows,
        minutes_advanced=advanced,
        bulk_requests=len(bulk),
        injected_faults=sum(1 for entry in bulk if entry.fault is not None),
        lookups=len(lookup_requests(emulator)),
        resolved_by_lookup=_resolved_by_lookup(workspace.pk),
        blind_resends=blind_resends(emulator),
    )


def _resolved_by_lookup(workspace_id: int) -> int:
    from reconciliation.models import PostAttempt

    return (
        PostAttempt.objects.for_workspace(workspace_id)
        .filter(request_summary__operation="lookup")
        .count()
    )


# --- read-back -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReadbackResult:
    compared: int
    planted: int
    #: Planted misreads shown as a difference on exactly the misread field.
    found: int
    #: Invoices said to differ from Qonto although nothing was misread.
    false_alarms: int
    not_compared: int


def run_readback(
    workspace: Workspace, emulator: QontoEmulator, *, invoices: int, misreads: int, seed: int = 7
) -> ReadbackResult:
    ids = seed_invoices(workspace, invoices, start=600_000, with_values=True)
    emulator.invoice_analyzer = qonto_reading
    rng = random.Random(seed)
    chosen = rng.sample(ids, misreads)
    planted: dict[int, str] = {}
    for offset, invoice_id in enumerate(chosen):
        field = list(MISREAD_FIELDS)[offset % len(MISREAD_FIELDS)]
        key = Invoice.objects.get(pk=invoice_id).idempotency_key
        emulator.misread(field, idempotency_key=key)
        planted[invoice_id] = MISREAD_FIELDS[field]
    with override_settings(WELL_QONTO_MIRROR_SECONDS=0):
        windows_until_empty(workspace.pk)
        emulator.clock.advance(ANALYSIS_SECONDS + 1)  # Qonto has read every PDF by now
        post_approved(workspace_id=workspace.pk, worker_id="read-back", budget=QUICK)
    return _readback_result(workspace.pk, planted)


def _readback_result(workspace_id: int, planted: dict[int, str]) -> ReadbackResult:
    posted = Invoice.objects.for_workspace(workspace_id).filter(status=InvoiceStatus.POSTED)
    found = false_alarms = 0
    for invoice in posted.exclude(qonto_agrees__isnull=True):
        fields = [item["field"] for item in invoice.qonto_readback.get("differences", [])]
        if invoice.pk in planted:
            found += int(fields == [planted[invoice.pk]])
        elif fields:
            false_alarms += 1
    return ReadbackResult(
        compared=posted.exclude(qonto_agrees__isnull=True).count(),
        planted=len(planted),
        found=found,
        false_alarms=false_alarms,
        not_compared=posted.filter(qonto_agrees__isnull=True).count(),
    )


# --- the probe before posting --------------------------------------------------------------------


@dataclass(frozen=True)
class ProbeResult:
    comparison: Comparison
    planted: int
    linked_right: int
    wrong_links: int
    near_planted: int
    sent_to_review: int
    #: Supplier invoices Qonto holds twice: a planted one and Well's upload of the same invoice.
    second_entries: int


def run_probe(
    workspace: Workspace, emulator: QontoEmulator, *, invoices: int, copies: int, near: int
) -> ProbeResult:
    """``copies`` invoices already in Qonto (exact copies: linked), ``near`` whose Qonto entry
    has the same amount and supplier but another number and due date (review), and as many
    entries of the same supplier with nothing else in common (ignored)."""
    ids = seed_invoices(workspace, invoices, start=700_000, with_values=True)
    expected: dict[int, str] = {}
    for offset, invoice_id in enumerate(ids[:copies]):
        expected[invoice_id] = _plant(emulator, 700_000 + offset).id
    for offset in range(copies, copies + near):
        _plant(emulator, 700_000 + offset, number_suffix="-B", due_shift=40)
    for offset in range(copies + near, copies + 2 * near):
        _plant(emulator, 700_000 + offset, number_suffix="-Z", due_shift=90, cents=5)
    windows_until_empty(workspace.pk)
    return _probe_result(workspace.pk, emulator, expected, set(ids[copies : copies + near]))


def _plant(
    emulator: QontoEmulator,
    number: int,
    *,
    number_suffix: str = "",
    due_shift: int = 0,
    cents: int = 0,
) -> QontoSupplierInvoiceWire:
    from datetime import timedelta

    values = invoice_values(number)
    return emulator.plant_supplier_invoice(
        supplier_name=values["supplier_name"],
        total_amount=values["total_amount"] + Decimal(cents) / 100,
        currency=values["currency"],
        invoice_number=values["number"] + number_suffix,
        issue_date=values["issue_date"].isoformat(),
        due_date=(values["due_date"] + timedelta(days=due_shift)).isoformat(),
        total_tax_amount=values["tax_amount"],
        source_type="email",
        match_transactions=False,
    )


def _probe_result(
    workspace_id: int, emulator: QontoEmulator, expected: dict[int, str], near: set[int]
) -> ProbeResult:
    invoices = Invoice.objects.for_workspace(workspace_id)
    linked = dict(invoices.filter(qonto_origin=QontoOrigin.LINKED).values_list("pk", "qonto_id"))
    right = sum(1 for pk, qonto_id in linked.items() if expected.get(pk) == qonto_id)
    reviewed = set(
        invoices.filter(status=InvoiceStatus.NEEDS_REVIEW)
        .exclude(qonto_probe={})
        .values_list("pk", flat=True)
    )
    uploaded_copies = invoices.filter(pk__in=list(expected), qonto_origin=QontoOrigin.UPLOADED)
    return ProbeResult(
        comparison=compare(workspace_id, emulator, planted=expected),
        planted=len(expected),
        linked_right=right,
        wrong_links=len(linked) - right,
        near_planted=len(near),
        sent_to_review=len(reviewed & near),
        second_entries=uploaded_copies.count() + len(reviewed - near),
    )
