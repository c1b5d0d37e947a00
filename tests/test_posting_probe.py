"""The probe before posting: an invoice Qonto already has (its e-mail inbox, a manual upload) is
linked, not uploaded a second time; a near one goes to a person with its candidates; Well's own
uploads are never candidates."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from connectors.sandbox import QontoEmulator
from reconciliation.models import Connection
from reconciliation.models import Decision
from reconciliation.models import DecisionAction
from reconciliation.models import Invoice
from reconciliation.models import InvoiceStatus
from reconciliation.models import QontoOrigin
from reconciliation.models import QontoSupplierInvoice
from reconciliation.models import SyncKind
from reconciliation.models import SyncRun
from reconciliation.models import Workspace
from reconciliation.posting import post_approved
from reconciliation.posting import retry_invoice
from reconciliation.posting.linking import LinkError
from reconciliation.posting.linking import link_invoice
from reconciliation.posting.linking import post_anyway
from reconciliation.posting.probe import probe
from reconciliation.posting.probe import score
from reconciliation.window import close_window
from tests.factories import make_user
from tests.posting_fixtures import BULK_PATH
from tests.posting_fixtures import LIST_PATH
from tests.posting_fixtures import invoice_values
from tests.posting_fixtures import mirror_now
from tests.posting_fixtures import refuse_locally
from tests.posting_fixtures import seed_invoices
from tests.posting_scenarios import run_probe

pytestmark = pytest.mark.django_db


def plant_copy(emulator: QontoEmulator, number: int, **changes: Any) -> str:
    values = invoice_values(number)
    fields: dict[str, Any] = {
        "supplier_name": values["supplier_name"],
        "total_amount": values["total_amount"],
        "invoice_number": values["number"],
        "issue_date": values["issue_date"].isoformat(),
        "due_date": values["due_date"].isoformat(),
        "match_transactions": False,
    }
    fields.update(changes)
    return emulator.plant_supplier_invoice(**fields).id


def sent_to_review_beside_a_near_copy(
    workspace: Workspace, emulator: QontoEmulator
) -> tuple[int, str]:
    """Invoice H-000007, for which Qonto holds a near entry (another number and due date): the
    first window sends it to review. Returns its id and the near entry's Qonto id."""
    [pk] = seed_invoices(workspace, 1, start=7, with_values=True)
    planted = plant_copy(emulator, 7, invoice_number="H-000007-B", due_date="2027-01-01")
    post_approved(workspace_id=workspace.pk, worker_id="worker-a")
    assert Invoice.objects.get(pk=pk).status == InvoiceStatus.NEEDS_REVIEW
    return pk, planted


def entry(workspace: Workspace, connection: Connection, **fields: Any) -> QontoSupplierInvoice:
    values: dict[str, Any] = {
        "workspace": workspace,
        "connection": connection,
        "qonto_id": "q-1",
        "supplier_name": "Harness Supplies SARL",
        "normalized_supplier": "harness supplies",
        "invoice_number": "H-000007",
        "normalized_number": "H000007",
        "total_amount": Decimal("107.40"),
        "currency": "EUR",
        "due_date": date(2026, 11, 7),
    }
    values.update(fields)
    return QontoSupplierInvoice.objects.create(**values)


def test_scores_add_up_as_documented(workspace: Workspace, qonto: Connection) -> None:
    [pk] = seed_invoices(workspace, 1, start=7, with_values=True)
    invoice = Invoice.objects.get(pk=pk)
    assert (invoice.total_amount, invoice.due_date) == (Decimal("107.40"), date(2026, 11, 7))
    same = entry(workspace, qonto)
    no_number = entry(workspace, qonto, qonto_id="q-2", invoice_number="", normalized_number="")
    near_due = entry(
        workspace, qonto, qonto_id="q-3", normalized_number="", due_date=date(2026, 11, 9)
    )
    other_amount = entry(
        workspace, qonto, qonto_id="q-4", total_amount=Decimal("107.41"), normalized_number=""
    )
    other_currency = entry(workspace, qonto, qonto_id="q-5", currency="USD")

    assert score(invoice, same).score == 100
    assert score(invoice, no_number).score == 85
    assert score(invoice, near_due).score == 75
    assert score(invoice, other_amount).score == 50
    assert score(invoice, other_currency).score == 75
    assert score(invoice, no_number).reasons == (
        "same amount (+35)",
        "same supplier name (+30)",
        "same due date (+20)",
    )
    assert probe(invoice, [no_number], threshold=85).verdict == "link"
    assert probe(invoice, [no_number], threshold=90).verdict == "review"
    assert probe(invoice, [near_due, other_amount], threshold=85).verdict == "review"
    assert probe(invoice, [other_amount], threshold=85).verdict == "post"
    # Two entries good enough to link: a person picks one.
    assert probe(invoice, [same, no_number], threshold=85).verdict == "review"


def test_an_entry_with_another_invoice_number_is_never_linked(
    workspace: Workspace, qonto: Connection
) -> None:
    [pk] = seed_invoices(workspace, 1, start=7, with_values=True)
    invoice = Invoice.objects.get(pk=pk)
    Invoice.objects.filter(pk=pk).update(number="NH-2026-11-B", normalized_number="NH202611B")
    invoice.refresh_from_db()
    sibling = entry(workspace, qonto, invoice_number="NH-2026-11-A", normalized_number="NH202611A")

    candidate = score(invoice, sibling)
    result = probe(invoice, [sibling], threshold=85)

    assert (candidate.score, candidate.numbers_differ) == (85, True)
    assert candidate.reasons == (
        "same amount (+35)",
        "same supplier name (+30)",
        "same due date (+20)",
        "different invoice number (never linked automatically)",
    )
    assert result.verdict == "review"
    assert [(c.qonto_id, c.score) for c in result.candidates] == [("q-1", 84)]
    assert probe(invoice, [sibling], threshold=70).candidates[0].score == 69
    assert probe(invoice, [sibling], threshold=70).verdict == "review"


def test_a_sibling_invoice_already_in_qonto_sends_the_invoice_to_review_not_linked(
    workspace: Workspace, qonto: Connection, qonto_emulator: QontoEmulator
) -> None:
    [pk] = seed_invoices(workspace, 1, start=7, with_values=True)
    Invoice.objects.filter(pk=pk).update(number="NH-2026-11-B", normalized_number="NH202611B")
    planted = plant_copy(qonto_emulator, 7, invoice_number="NH-2026-11-A")

    report = post_approved(workspace_id=workspace.pk, worker_id="worker-a")

    invoice = Invoice.objects.get(pk=pk)
    assert (invoice.status, invoice.qonto_id) == (InvoiceStatus.NEEDS_REVIEW, "")
    assert (report.linked, report.posted) == (0, 0)
    assert qonto_emulator.requests(method="POST", path=BULK_PATH) == []
    assert invoice.qonto_probe["outcome"] == "review"
    assert [(c["qonto_id"], c["score"]) for c in invoice.qonto_probe["candidates"]] == [
        (planted, 84)
    ]


def test_an_invoice_qonto_already_has_is_linked_not_uploaded(
    workspace: Workspace, qonto: Connection, qonto_emulator: QontoEmulator
) -> None:
    [pk] = seed_invoices(workspace, 1, start=7, with_values=True)
    planted = plant_copy(qonto_emulator, 7)

    report = post_approved(workspace_id=workspace.pk, worker_id="worker-a")

    invoice = Invoice.objects.get(pk=pk)
    assert (invoice.status, invoice.qonto_id, invoice.qonto_origin) == (
        InvoiceStatus.POSTED,
        planted,
        QontoOrigin.LINKED,
    )
    assert (report.linked, report.posted, report.requests) == (1, 0, 0)
    assert qonto_emulator.requests(method="POST", path=BULK_PATH) == []
    [decision] = Decision.objects.filter(invoice=invoice)
    assert decision.action == DecisionAction.LINK_QONTO
    assert decision.actor is None
    assert decision.after == {"status": "posted", "qonto_id": planted, "score": 100}
    assert invoice.qonto_probe["outcome"] == "linked"
    assert [c["qonto_id"] for c in invoice.qonto_probe["candidates"]] == [planted]


def test_a_near_entry_sends_the_invoice_to_review_with_its_candidates(
    workspace: Workspace, qonto: Connection, qonto_emulator: QontoEmulator
) -> None:
    [pk] = seed_invoices(workspace, 1, start=7, with_values=True)
    planted = plant_copy(qonto_emulator, 7, invoice_number="H-000007-B", due_date="2027-01-01")

    report = post_approved(workspace_id=workspace.pk, worker_id="worker-a")

    invoice = Invoice.objects.get(pk=pk)
    assert invoice.status == InvoiceStatus.NEEDS_REVIEW
    assert (report.probe_review, report.requests) == (1, 0)
    assert invoice.lease_owner == ""
    assert invoice.qonto_probe["outcome"] == "review"
    [candidate] = invoice.qonto_probe["candidates"]
    assert (candidate["qonto_id"], candidate["score"]) == (planted, 65)
    assert invoice.routing_reasons == [
        "Qonto may already have this invoice: 1 entry scoring 65/100 (links at 85). "
        "Link one, or post anyway."
    ]
    [decision] = Decision.objects.filter(invoice=invoice)
    assert (decision.action, decision.actor, decision.after) == (
        DecisionAction.ROUTE,
        None,
        {"status": "needs_review", "candidates": [planted]},
    )


def test_post_anyway_uploads_it_in_the_next_window_without_probing_again(
    workspace: Workspace, qonto: Connection, qonto_emulator: QontoEmulator
) -> None:
    pk, _ = sent_to_review_beside_a_near_copy(workspace, qonto_emulator)
    reviewer = make_user("rita", workspace=workspace)

    result = post_anyway(invoice_id=pk, user=reviewer)
    report = post_approved(workspace_id=workspace.pk, worker_id="worker-b")

    assert result.status == InvoiceStatus.APPROVED
    invoice = Invoice.objects.get(pk=pk)
    assert (invoice.status, invoice.qonto_origin, report.posted) == (
        InvoiceStatus.POSTED,
        QontoOrigin.UPLOADED,
        1,
    )
    actions = set(Decision.objects.filter(invoice=invoice).values_list("action", "actor"))
    assert actions == {
        (DecisionAction.ROUTE, None),
        (DecisionAction.POST_ANYWAY, reviewer.pk),
        (DecisionAction.POST, None),
    }


def test_a_person_links_a_candidate(
    workspace: Workspace, qonto: Connection, qonto_emulator: QontoEmulator
) -> None:
    pk, planted = sent_to_review_beside_a_near_copy(workspace, qonto_emulator)
    reviewer = make_user("rita", workspace=workspace)

    link_invoice(invoice_id=pk, qonto_id=planted, user=reviewer)

    invoice = Invoice.objects.get(pk=pk)
    assert (invoice.status, invoice.qonto_id, invoice.qonto_origin) == (
        InvoiceStatus.POSTED,
        planted,
        QontoOrigin.LINKED,
    )
    assert invoice.decided_by == reviewer
    decision = Decision.objects.get(invoice=invoice, action=DecisionAction.LINK_QONTO)
    assert (decision.actor, decision.before, decision.after) == (
        reviewer,
        {"status": "needs_review", "qonto_id": ""},
        {"status": "posted", "qonto_id": planted},
    )
    with pytest.raises(LinkError, match="is posted to qonto"):
        post_anyway(invoice_id=pk, user=reviewer)


def test_wells_own_uploads_are_never_candidates(
    workspace: Workspace, qonto: Connection, qonto_emulator: QontoEmulator
) -> None:
    # Two invoices alike (supplier, amount, due date: 85 points): the first is uploaded; the
    # second must not be linked to Well's own upload of the first. (With the same number too,
    # the gate before posting would hold the second as a possible double payment.)
    [first] = seed_invoices(workspace, 1, start=7, with_values=True)
    post_approved(workspace_id=workspace.pk, worker_id="worker-a")
    [second] = seed_invoices(workspace, 1, start=8, with_values=True)
    alike = {**invoice_values(7), "number": "H-000008", "normalized_number": "H000008"}
    Invoice.objects.filter(pk=second).update(**alike)
    mirror_now(workspace)
    mirrored = QontoSupplierInvoice.objects.get(qonto_id=Invoice.objects.get(pk=first).qonto_id)
    assert mirrored.is_well_upload

    post_approved(workspace_id=workspace.pk, worker_id="worker-b")

    assert Invoice.objects.get(pk=second).qonto_origin == QontoOrigin.UPLOADED
    with pytest.raises(LinkError, match="is not in Well's copy of Qonto"):
        link_invoice(invoice_id=second, qonto_id=mirrored.qonto_id, user=None)


def test_planted_copies_are_linked_and_near_ones_reviewed(
    workspace: Workspace, qonto: Connection, qonto_emulator: QontoEmulator
) -> None:
    result = run_probe(workspace, qonto_emulator, invoices=30, copies=6, near=4)

    assert (result.linked_right, result.planted, result.wrong_links) == (6, 6, 0)
    assert (result.sent_to_review, result.near_planted, result.second_entries) == (4, 4, 0)
    assert (result.comparison.lost, result.comparison.duplicates) == (0, 0)
    assert result.comparison.by_status == {"posted": 26, "needs_review": 4}


def test_the_link_threshold_is_the_workspaces(
    workspace: Workspace, qonto: Connection, qonto_emulator: QontoEmulator
) -> None:
    assert Workspace._meta.get_field("qonto_link_threshold").default == Decimal(85)
    workspace.qonto_link_threshold = Decimal(90)
    workspace.save(update_fields=["qonto_link_threshold"])
    [pk] = seed_invoices(workspace, 1, start=7, with_values=True)
    plant_copy(qonto_emulator, 7, invoice_number="H-000007-B")  # 85: amount, supplier, due date

    post_approved(workspace_id=workspace.pk, worker_id="worker-a")

    invoice = Invoice.objects.get(pk=pk)
    assert invoice.status == InvoiceStatus.NEEDS_REVIEW
    assert [c["score"] for c in invoice.qonto_probe["candidates"]] == [85]
    assert invoice.qonto_probe["threshold"] == 90


def test_approving_after_the_probe_counts_as_post_anyway(
    workspace: Workspace, qonto: Connection, qonto_emulator: QontoEmulator
) -> None:
    pk, _ = sent_to_review_beside_a_near_copy(workspace, qonto_emulator)
    reviewer = make_user("rita", workspace=workspace)
    invoice = Invoice.objects.get(pk=pk)
    invoice.approve(reviewer, "approved on the review screen")
    invoice.save()

    report = post_approved(workspace_id=workspace.pk, worker_id="worker-b")

    assert (report.posted, report.probe_review) == (1, 0)
    assert Invoice.objects.get(pk=pk).qonto_origin == QontoOrigin.UPLOADED


def test_without_qonto_s_list_an_invoice_never_sent_waits(
    workspace: Workspace, qonto: Connection, qonto_emulator: QontoEmulator
) -> None:
    [pk] = seed_invoices(workspace, 1, start=7, with_values=True)
    qonto_emulator.inject_fault(LIST_PATH, {"status": 503}, method="GET", count=10)

    report = post_approved(workspace_id=workspace.pk, worker_id="worker-a")

    invoice = Invoice.objects.get(pk=pk)
    assert (report.failed, report.requests, invoice.status) == (1, 0, InvoiceStatus.FAILED)
    assert invoice.last_error_code == "probe_failed"
    assert qonto_emulator.requests(method="POST", path=BULK_PATH) == []
    assert report.errors[-1].startswith("Qonto's supplier invoices could not be listed: ")
    assert report.errors[0] == "1 invoice(s) failed, retried next window (probe_failed)"

    qonto_emulator.clear_faults()
    Invoice.objects.filter(pk=pk).update(next_attempt_at=None)
    again = post_approved(workspace_id=workspace.pk, worker_id="worker-b")

    assert (again.posted, again.mirror_error) == (1, "")


def test_the_window_run_counts_the_links_it_made(
    workspace: Workspace, qonto: Connection, qonto_emulator: QontoEmulator
) -> None:
    seed_invoices(workspace, 1, start=7, with_values=True)
    plant_copy(qonto_emulator, 7)

    report = close_window(workspace_id=workspace.pk)

    run = SyncRun.objects.get(workspace=workspace, kind=SyncKind.POSTING)
    assert report.status == "closed"
    assert run.details["linked_to_qonto_entries"] == 1
    assert run.details["sent_to_review_by_probe"] == 0


def test_an_invoice_refused_locally_then_retried_is_still_probed(
    workspace: Workspace, qonto: Connection, qonto_emulator: QontoEmulator
) -> None:
    [pk] = seed_invoices(workspace, 1, start=7, with_values=True)
    invoice = Invoice.objects.get(pk=pk)
    # Window 1: refused here for want of the file; meanwhile the supplier e-mails it to Qonto's
    # inbox and a reviewer clicks Retry.
    refuse_locally(workspace, invoice)
    planted = plant_copy(qonto_emulator, 7)
    mirror_now(workspace)
    retry_invoice(invoice_id=pk, user=None)

    report = post_approved(workspace_id=workspace.pk, worker_id="worker-a")

    invoice.refresh_from_db()
    assert (invoice.status, invoice.qonto_id, invoice.qonto_origin) == (
        InvoiceStatus.POSTED,
        planted,
        QontoOrigin.LINKED,
    )
    assert (report.linked, report.posted) == (1, 0)
    assert qonto_emulator.requests(method="POST", path=BULK_PATH) == []
