"""The threshold simulator at volume: seed N decided documents and time `simulate`.

Imported by bench/routing.py once Django is set up (it owns the settings and the database).
The history is bulk-inserted: 40 vendors (a quarter in training), confidences spread over
40–100, stored score components with a per-field confidence, one in ten corrected by a person.
"""

from __future__ import annotations

import hashlib
import random
import time
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from reconciliation.invoices.simulator import Candidate
from reconciliation.invoices.simulator import Simulation
from reconciliation.invoices.simulator import simulate
from reconciliation.models import Decision
from reconciliation.models import DecisionAction
from reconciliation.models import Document
from reconciliation.models import DocumentKind
from reconciliation.models import DocumentStatus
from reconciliation.models import Invoice
from reconciliation.models import InvoiceStatus
from reconciliation.models import RoutingRule
from reconciliation.models import Vendor
from reconciliation.models import Workspace
from reconciliation.models import idempotency_key_for

_DECIDED = (InvoiceStatus.POSTED, InvoiceStatus.APPROVED, InvoiceStatus.REFUSED)


@dataclass(frozen=True)
class Timing:
    documents: int
    seconds: float
    cpu_seconds: float  # this process's CPU: the machine is shared, wall time is not ours alone
    queries: int
    result: Simulation


def seed_history(count: int, seed: int = 17) -> Workspace:
    rng = random.Random(seed)
    workspace = Workspace.objects.create(name="Simulator bench", slug=f"sim-bench-{seed}-{count}")
    vendors = Vendor.objects.bulk_create(
        Vendor(workspace=workspace, name=f"Vendor {i}", documents_reviewed=2 if i % 4 else 12)
        for i in range(40)
    )
    RoutingRule.objects.create(
        workspace=workspace, name="Large invoices", amount_above=Decimal(5000), priority=10
    )
    documents = Document.objects.bulk_create(
        Document(
            workspace=workspace,
            source_file_id=f"id:sim-{i}",
            original_name=f"sim-{i}.pdf",
            content_hash=hashlib.sha256(f"sim-{seed}-{i}".encode()).hexdigest(),
            kind=DocumentKind.CREDIT_NOTE if i % 20 == 0 else DocumentKind.INVOICE,
            status=DocumentStatus.PARSED,
        )
        for i in range(count)
    )
    invoices = Invoice.objects.bulk_create(
        _invoice(workspace, document, rng.choice(vendors), rng) for document in documents
    )
    reviewer = get_user_model().objects.create_user(username=f"sim-reviewer-{seed}-{count}")
    Decision.objects.bulk_create(
        Decision(
            workspace=workspace,
            action=DecisionAction.EDIT,
            actor_id=reviewer.pk,
            invoice=invoice,
            after={rng.choice(("total_amount", "issue_date", "number")): "x"},
        )
        for invoice in invoices
        if rng.random() < 0.1
    )
    return workspace


def _invoice(
    workspace: Workspace, document: Document, vendor: Vendor, rng: random.Random
) -> Invoice:
    confidence = Decimal(rng.randint(4000, 10000)) / 100
    field = rng.uniform(0.7, 1.0)
    return Invoice(
        workspace=workspace,
        document=document,
        vendor=vendor,
        idempotency_key=idempotency_key_for(workspace.pk, document.pk, document.content_hash),
        currency=rng.choice(("EUR", "EUR", "EUR", "USD")),
        total_amount=Decimal(rng.randint(100, 900000)) / 100,
        confidence=confidence,
        confidence_components={
            "components": [
                {"key": "field:total_amount", "label": "Total", "value": field, "points": 0},
                {"key": "check:totals", "label": "Totals add up", "value": 1, "points": 2.5},
            ],
            "blocking": [],
            "must_review": [],
        },
        status=rng.choice(_DECIDED),
    )


def time_simulator(count: int) -> Timing:
    workspace = seed_history(count)
    candidate = Candidate(Decimal(60), Decimal(80))
    simulate(workspace, candidate, days=365)  # warm caches (templates, rules) once
    with CaptureQueriesContext(connection) as captured:
        started, cpu = time.perf_counter(), time.process_time()
        result = simulate(workspace, candidate, days=365)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    return Timing(count, seconds, cpu, len(captured.captured_queries), result)


def print_timing(count: int) -> None:
    timing = time_simulator(count)
    r = timing.result
    print(f"\nThreshold simulator: {timing.documents:,} decided documents, 365 days, 55/85 → 60/80")
    print(
        f"{'settings':<12}{'auto-post':>10}{'review':>9}{'refused':>9}{'corrected':>11}{'error':>8}"
    )
    for name, o in (("saved", r.current), ("candidate", r.candidate)):
        rate = f"{o.error_rate}%" if o.error_rate is not None else "—"
        print(
            f"{name:<12}{o.auto_posted:>10}{o.reviewed:>9}{o.refused:>9}{o.corrected:>11}{rate:>8}"
        )
    print(
        f"simulate(): {timing.seconds:.2f} s wall, {timing.cpu_seconds:.2f} s CPU for "
        f"{timing.documents:,} documents, {timing.queries} queries (target < 2 s)"
    )
