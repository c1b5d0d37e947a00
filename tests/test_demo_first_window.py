"""`make run`'s first window, without a click: setup_demo (with the workspace's history), the
emulators loaded with the demo, connect_sandbox, then the scheduler's minute. Trained vendors'
invoices are posted to the emulated Qonto, confirmations attached to their debits, a credit
lands on its receivable, the reminder is a double charge at the top of the queue, the invoice a
re-run payment batch paid twice is a possible double payment first in the matches to review,
past USD invoices are converted at the demo's reference rates, and the rest wait for a person
with their reasons."""

from __future__ import annotations

import io
import re
from collections import Counter
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.utils.formats import date_format

from connectors.sandbox import Sandbox
from connectors.sandbox.demo import load_demo
from connectors.sandbox.demo_data import DEMO_RATE_SOURCE
from connectors.sandbox.demo_data import build_demo_scenario
from reconciliation.dispatch import dispatch_due_work
from reconciliation.models import Document
from reconciliation.models import Invoice
from reconciliation.models import InvoiceStatus
from reconciliation.models import Match
from reconciliation.models import MatchKind
from reconciliation.models import MatchStatus
from reconciliation.models import Receivable
from reconciliation.models import Transaction
from reconciliation.models import Vendor
from reconciliation.models import Workspace
from reconciliation.review import QUEUE_ORDERING
from reconciliation.review import queue_documents

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

TRAINED = ["Nuage Hébergement SAS", "Tipografia Rossi S.r.l.", "Van Dijk Vertaalbureau B.V."]


def run_first_window(sandbox: Sandbox, capture: Any) -> Workspace:
    """What `make run` does before anyone clicks: set up, load and connect the emulators, then
    the scheduler's minute (the polls it queues run, and the window closes after them)."""
    load_demo(sandbox)
    call_command("setup_demo", stdout=io.StringIO())
    out = io.StringIO()
    call_command("setup_demo", stdout=out)  # `make run` again: nothing is seeded twice
    assert "Demo history" not in out.getvalue()
    assert "as demo / well-demo-2026" in out.getvalue()
    history = Document.objects.filter(source_file_id__startswith="demo-history:")
    assert history.count() == 34
    call_command("connect_sandbox", stdout=io.StringIO())
    with capture(execute=True):
        report = dispatch_due_work()
    assert len(report.polls_queued) == 2  # the Dropbox folder and the Apideck inbox
    return Workspace.objects.get(slug="demo")


def test_first_window_shows_the_whole_flow_without_a_click(
    sandbox_settings: Sandbox, django_capture_on_commit_callbacks: Any
) -> None:
    workspace = run_first_window(sandbox_settings, django_capture_on_commit_callbacks)

    check_trained_vendors_invoices_are_posted(workspace, sandbox_settings)
    check_confirmations_are_attached_and_a_credit_lands_on_its_receivable(
        workspace, sandbox_settings
    )
    check_the_reminder_is_the_double_charge_at_the_top_of_the_queue(workspace)
    check_the_batch_paid_twice_is_a_possible_double_payment_first_to_review(workspace)
    check_past_foreign_invoices_are_converted_at_reference_rates(workspace)
    check_the_dashboard_shows_a_share_auto_posted()


def check_trained_vendors_invoices_are_posted(workspace: Workspace, sandbox: Sandbox) -> None:
    trained = sorted(
        v.name for v in Vendor.objects.for_workspace(workspace) if not v.is_in_training
    )
    assert trained == TRAINED
    new = Invoice.objects.for_workspace(workspace).exclude(
        document__source_file_id__startswith="demo-history:"
    )
    posted = new.filter(status=InvoiceStatus.POSTED)
    # Every invoice of a trained vendor is posted, except the reminder held as a double charge.
    assert sorted(posted.values_list("number", flat=True)) == sorted(
        new.filter(vendor__name__in=TRAINED, is_held=False).values_list("number", flat=True)
    )
    assert posted.count() >= 3
    assert all(i.decided_by_id is None and i.confidence >= 85 for i in posted)
    uploads = sandbox.qonto.invoice_count_by_idempotency_key()
    assert set(uploads.values()) == {1}
    assert len(uploads) == posted.count()
    # The ledger account the history taught came along.
    accounts = dict(posted.values_list("vendor__name", "ledger_account").distinct())
    assert accounts == {
        "Nuage Hébergement SAS": "615600",
        "Tipografia Rossi S.r.l.": "623600",
        "Van Dijk Vertaalbureau B.V.": "622600",
    }


def check_confirmations_are_attached_and_a_credit_lands_on_its_receivable(
    workspace: Workspace, sandbox: Sandbox
) -> None:
    matches = Match.objects.for_workspace(workspace)
    attached = matches.filter(kind=MatchKind.CONFIRMATION_DEBIT, status=MatchStatus.ATTACHED)
    assert attached.count() == 6
    for match in attached.select_related("transaction"):
        assert match.transaction is not None
        assert len(sandbox.qonto.attachments_of(match.transaction.qonto_id)) == 1
    credited = matches.filter(
        kind=MatchKind.CREDIT_RECEIVABLE, status=MatchStatus.CONFIRMED, receivable__isnull=False
    )
    assert credited.count() >= 1
    assert Receivable.objects.for_workspace(workspace).filter(amount_paid__gt=0).count() >= 1


def check_the_reminder_is_the_double_charge_at_the_top_of_the_queue(workspace: Workspace) -> None:
    doubles = Match.objects.for_workspace(workspace).filter(kind=MatchKind.DOUBLE_CHARGE)
    # The reminder only: the invoice paid twice is flagged by the matcher as a possible double
    # payment, which the posting gate does not hold a second time.
    assert doubles.count() == 1
    queue = list(
        queue_documents(Document.objects.for_workspace(workspace)).order_by(*QUEUE_ORDERING)
    )
    assert queue[0].original_name.startswith("Sollecito_")
    held = [d.original_name for d in queue if d.is_double_charge]  # type: ignore[attr-defined]
    assert held[0] == queue[0].original_name
    assert held[1:] == []
    waiting = [d for d in queue[1:] if hasattr(d, "invoice")]
    assert len(waiting) >= 5
    assert all(d.invoice.routing_reasons for d in waiting)
    reasons = Counter(
        "in training" if "in training" in " ".join(d.invoice.routing_reasons) else "other"
        for d in waiting
    )
    assert reasons["in training"] >= 1  # Northwind: 4 of its 10 documents reviewed
    assert reasons["other"] >= 1  # new vendors below the auto-post threshold


def _paid_twice() -> tuple[str, str, str]:
    """The scenario's invoice paid twice: its file name, first and second debit's Qonto ids."""
    scenario = build_demo_scenario(7)
    ((second, path),) = scenario.expectations.double_payments.items()
    return scenario.file(path).filename, scenario.expectations.invoice_payments[path], second


def check_the_batch_paid_twice_is_a_possible_double_payment_first_to_review(
    workspace: Workspace,
) -> None:
    name, first, second = _paid_twice()
    matches = Match.objects.for_workspace(workspace)
    (flag,) = matches.filter(kind=MatchKind.DOUBLE_PAYMENT)
    assert flag.status == MatchStatus.PROPOSED
    assert flag.document is not None
    assert flag.document.original_name == name
    assert flag.transaction == Transaction.objects.for_workspace(workspace).get(qonto_id=second)
    assert flag.invoice is not None
    assert flag.settled_invoice == flag.invoice
    # The first debit pays the invoice: linked, not made ambiguous by the second.
    (paid,) = matches.filter(
        kind=MatchKind.INVOICE_DEBIT, invoice=flag.invoice, status=MatchStatus.CONFIRMED
    )
    assert paid.transaction is not None
    assert paid.transaction.qonto_id == first
    # Its reason names the first debit by its day, as people read it (no internal id).
    first_day = date_format(paid.transaction.value_date, "DATE_FORMAT")
    assert f"already paid by the debit of {first_day};" in flag.reasons[0]
    assert "transaction" not in flag.reasons[0]
    # First among the matches waiting for a person (double charges and payments lead).
    assert matches.for_review().first() in set(
        matches.filter(kind__in=(MatchKind.DOUBLE_CHARGE, MatchKind.DOUBLE_PAYMENT))
    )
    assert matches.for_review().filter(kind=MatchKind.DOUBLE_PAYMENT).get() == flag


def check_past_foreign_invoices_are_converted_at_reference_rates(workspace: Workspace) -> None:
    foreign = Invoice.objects.for_workspace(workspace).exclude(currency="EUR")
    assert set(foreign.values_list("currency", flat=True)) == {"USD", "GBP"}
    for invoice in foreign:
        assert invoice.converted_amount is not None, invoice.fx_rate_source
        assert invoice.fx_rate is not None
        assert invoice.fx_rate_date is not None
    past = foreign.filter(document__source_file_id__startswith="demo-history:")
    assert past.count() == 4
    assert {i.fx_rate_source for i in past} == {f"{DEMO_RATE_SOURCE} (inverted)"}
    for invoice in past:
        assert invoice.issue_date is not None
        assert invoice.fx_rate_date is not None
        assert abs((invoice.issue_date - invoice.fx_rate_date).days) <= 3  # a weekend at most


def check_the_dashboard_shows_a_share_auto_posted() -> None:
    client = Client()
    client.force_login(get_user_model().objects.get(username="demo"))
    body = client.get("/admin/").content.decode()
    figure = re.search(r'data-figure="auto_post_rate">([\d.]+) %<', body)
    assert figure is not None
    assert Decimal(figure.group(1)) > 0
