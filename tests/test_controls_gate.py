"""The pre-post double-payment gate: an invoice the bank already paid (by hand), or that Well
already has under another spelling of its supplier, is held before it reaches Qonto; one click
releases it (and it posts) or refuses it."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import AbstractUser

from connectors.sandbox import QontoEmulator
from reconciliation.invoices.reasons import code_of
from reconciliation.invoices.reasons import sentence
from reconciliation.matching import refuse_double_charge
from reconciliation.models import Connection
from reconciliation.models import Decision
from reconciliation.models import DecisionAction
from reconciliation.models import Invoice
from reconciliation.models import InvoiceStatus
from reconciliation.models import Match
from reconciliation.models import MatchKind
from reconciliation.models import MatchStatus
from reconciliation.models import Transaction
from reconciliation.models import TransactionStatus
from reconciliation.models import Vendor
from reconciliation.models import Workspace
from reconciliation.posting import PostingReport
from reconciliation.posting import post_approved
from reconciliation.posting import retry_invoice
from reconciliation.posting.gate import is_gate_hit
from reconciliation.posting.gate import release
from tests.factories import make_bank_detail_change
from tests.factories import make_invoice
from tests.factories import make_transaction
from tests.posting_fixtures import BULK_PATH
from tests.posting_fixtures import invoice_values
from tests.posting_fixtures import refuse_locally
from tests.posting_fixtures import seed_invoices

pytestmark = pytest.mark.django_db

NUMBER = 7
VALUES = invoice_values(NUMBER)  # H-000007, 107.40 EUR, issued 2026-10-08, due 2026-11-07


@pytest.fixture
def pk(workspace: Workspace, qonto: Connection) -> int:
    """Approved invoice H-000007 with its reviewed values, ready to post on ``qonto``."""
    [seeded] = seed_invoices(workspace, 1, start=NUMBER, with_values=True)
    return seeded


@pytest.fixture
def hit(workspace: Workspace, qonto: Connection, pk: int) -> Match:
    """The gate's flag on invoice ``pk``: paid by hand from the bank, then a posting window."""
    _, match = caught_by_the_gate(workspace, qonto, pk)
    return match


def assert_held_as_double_payment(
    invoice: Invoice, report: PostingReport, emulator: QontoEmulator
) -> None:
    """The window held ``invoice`` for review as a possible double payment and sent nothing."""
    invoice.refresh_from_db()
    assert (invoice.status, invoice.is_held, invoice.qonto_id) == (
        InvoiceStatus.NEEDS_REVIEW,
        True,
        "",
    )
    assert code_of(invoice.hold_reason) == "possible_double_payment"
    assert (report.posted, report.probe_review) == (0, 1)
    assert emulator.requests(method="POST", path=BULK_PATH) == []


def paid_by_hand(workspace: Workspace, qonto: Connection, **fields: Any) -> Any:
    fields.setdefault("amount", VALUES["total_amount"])
    fields.setdefault("counterparty_name", "VIR SEPA HARNESS SUPPLIES")
    fields.setdefault("value_date", VALUES["issue_date"] + timedelta(days=2))
    fields.setdefault("reference", "facture H7")
    return make_transaction(workspace, qonto, **fields)


def caught_by_the_gate(
    workspace: Workspace, qonto: Connection, pk: int, **fields: Any
) -> tuple[Transaction, Match]:
    """Invoice ``pk`` paid by hand from the bank (``fields`` for the debit), then a posting
    window: the debit and the gate's match on the invoice."""
    debit = paid_by_hand(workspace, qonto, **fields)
    post_approved(workspace_id=workspace.pk, worker_id="worker-a")
    return debit, Match.objects.get(invoice_id=pk)


def test_the_gate_catches_an_invoice_already_paid_from_the_bank_by_hand(
    workspace: Workspace, qonto: Connection, pk: int, qonto_emulator: QontoEmulator
) -> None:
    debit = paid_by_hand(workspace, qonto, qonto_id="tx-by-hand")

    report = post_approved(workspace_id=workspace.pk, worker_id="worker-a")

    invoice = Invoice.objects.get(pk=pk)
    assert_held_as_double_payment(invoice, report, qonto_emulator)
    match = Match.objects.get(invoice=invoice)
    assert (match.kind, match.status, match.transaction_id, match.settled_invoice_id) == (
        MatchKind.DOUBLE_CHARGE,
        MatchStatus.PROPOSED,
        debit.pk,
        None,
    )
    assert is_gate_hit(match)
    assert match.reasons == [
        "Possible double payment: the bank already paid 107.40 EUR to “VIR SEPA HARNESS "
        "SUPPLIES” on 2026-10-10 (transaction tx-by-hand, reference facture H7) — invoice "
        "H-000007 may have been paid by hand."
    ]
    decision = Decision.objects.get(invoice=invoice, action=DecisionAction.HOLD)
    assert (decision.actor, decision.after["code"]) == (None, "possible_double_payment")


def test_a_released_invoice_posts(
    workspace: Workspace, hit: Match, reviewer: AbstractUser, qonto_emulator: QontoEmulator
) -> None:
    released = release(match=hit, user=reviewer)
    report = post_approved(workspace_id=workspace.pk, worker_id="worker-a")

    invoice = Invoice.objects.get(pk=hit.invoice_id)
    match = Match.objects.get(pk=hit.pk)
    assert (released.status, released.is_held) == (InvoiceStatus.APPROVED, False)
    assert (match.status, match.decided_by_id) == (MatchStatus.DISMISSED, reviewer.pk)
    assert invoice.status == InvoiceStatus.POSTED
    assert report.posted == 1
    assert len(qonto_emulator.requests(method="POST", path=BULK_PATH)) == 1
    actions = list(
        Decision.objects.filter(invoice=invoice).order_by("pk").values_list("action", flat=True)
    )
    assert actions[:3] == [
        DecisionAction.HOLD,
        DecisionAction.NOT_DUPLICATE,
        DecisionAction.APPROVE,
    ]


def test_refusing_the_hit_refuses_the_invoice(
    workspace: Workspace, hit: Match, reviewer: AbstractUser, qonto_emulator: QontoEmulator
) -> None:
    refuse_double_charge(match=hit, user=reviewer)
    post_approved(workspace_id=workspace.pk, worker_id="worker-a")

    assert Invoice.objects.get(pk=hit.invoice_id).status == InvoiceStatus.REFUSED
    assert qonto_emulator.requests(method="POST", path=BULK_PATH) == []


def test_a_debit_of_the_source_currency_amount_is_a_hit(
    workspace: Workspace, qonto: Connection, pk: int
) -> None:
    Invoice.objects.filter(pk=pk).update(currency="USD")

    debit, match = caught_by_the_gate(
        workspace,
        qonto,
        pk,
        amount=Decimal("99.12"),
        local_amount=VALUES["total_amount"],
        local_currency="USD",
    )

    assert (match.transaction_id, match.amount_basis) == (debit.pk, "local")
    assert "99.12 EUR (107.40 USD)" in match.reasons[0]


def test_the_iban_finds_the_beneficiary_whatever_the_bank_line_calls_it(
    workspace: Workspace, qonto: Connection, pk: int
) -> None:
    Invoice.objects.filter(pk=pk).update(supplier_iban="FR1420041010050500013M02606")

    debit, match = caught_by_the_gate(
        workspace,
        qonto,
        pk,
        counterparty_name="HS PAYMENTS",
        counterparty_iban="FR14 2004 1010 0505 0001 3M02 606",
    )

    assert match.transaction_id == debit.pk


@pytest.mark.parametrize(
    "debit_fields",
    [
        pytest.param({"status": TransactionStatus.PENDING}, id="pending_case"),
        pytest.param({"counterparty_name": "Other Company SA"}, id="other_beneficiary_case"),
        pytest.param({"amount": Decimal("107.41")}, id="other_amount_case"),
        pytest.param({"value_date": VALUES["issue_date"] - timedelta(days=4)}, id="before_case"),
        pytest.param(
            {"value_date": VALUES["due_date"] + timedelta(days=8)}, id="after_window_case"
        ),
    ],
)
def test_what_is_not_a_payment_of_the_invoice_posts(
    workspace: Workspace, qonto: Connection, pk: int, debit_fields: dict[str, Any]
) -> None:
    paid_by_hand(workspace, qonto, **debit_fields)

    post_approved(workspace_id=workspace.pk, worker_id="worker-a")

    assert Invoice.objects.get(pk=pk).status == InvoiceStatus.POSTED
    assert not Match.objects.filter(invoice_id=pk).exists()


def test_the_same_invoice_under_another_supplier_spelling_is_a_hit(
    workspace: Workspace, qonto: Connection, pk: int
) -> None:
    earlier = make_invoice(
        workspace,
        status=InvoiceStatus.POSTED,
        supplier_name="HARNESS SUPPLIES S.A.R.L.",
        supplier_vat_id="FR 40 303 265 045",
        number="H 000007",
        normalized_number=VALUES["normalized_number"],
        total_amount=VALUES["total_amount"],
    )

    post_approved(workspace_id=workspace.pk, worker_id="worker-a")

    invoice = Invoice.objects.get(pk=pk)
    match = Match.objects.get(invoice=invoice)
    assert (invoice.status, invoice.is_held) == (InvoiceStatus.NEEDS_REVIEW, True)
    assert (match.settled_invoice_id, match.transaction_id) == (earlier.pk, None)
    assert match.reasons == [
        "Possible double payment: invoice H 000007 of 107.40 EUR from “HARNESS SUPPLIES "
        "S.A.R.L.” is already in Well (posted to Qonto); this one repeats its number and "
        "amount."
    ]


def test_a_released_hit_is_not_raised_again(
    workspace: Workspace, hit: Match, reviewer: AbstractUser
) -> None:
    release(match=hit, user=reviewer)

    post_approved(workspace_id=workspace.pk, worker_id="worker-a")

    assert Match.objects.filter(invoice_id=hit.invoice_id).count() == 1
    assert Invoice.objects.get(pk=hit.invoice_id).status == InvoiceStatus.POSTED


def test_unconfirmed_bank_details_are_never_posted_whatever_released_the_hold(
    workspace: Workspace, qonto: Connection, pk: int, qonto_emulator: QontoEmulator
) -> None:
    invoice = Invoice.objects.get(pk=pk)
    vendor = Vendor.objects.create(workspace=workspace, name="Harness Supplies SARL")
    make_bank_detail_change(
        invoice,
        vendor,
        "LT121000011101001000",
        code="iban_bank_changed",
        reason=sentence(
            "iban_bank_changed",
            iban="LT121000011101001000",
            vendor=vendor.name,
            known="FR1420041010050500013M02606",
            change="bank FR 20041 → LT 10000",
        ).text,
    )

    post_approved(workspace_id=workspace.pk, worker_id="worker-a")

    invoice.refresh_from_db()
    assert (invoice.status, invoice.is_held) == (InvoiceStatus.NEEDS_REVIEW, True)
    assert code_of(invoice.hold_reason) == "iban_bank_changed"
    assert qonto_emulator.requests(method="POST", path=BULK_PATH) == []


def test_a_payment_the_matcher_already_linked_is_not_a_hit(
    workspace: Workspace, qonto: Connection, pk: int
) -> None:
    debit = paid_by_hand(workspace, qonto)
    Match.objects.create(
        workspace=workspace,
        kind=MatchKind.INVOICE_DEBIT,
        status=MatchStatus.CONFIRMED,
        invoice_id=pk,
        transaction=debit,
        score=Decimal(95),
    )

    post_approved(workspace_id=workspace.pk, worker_id="worker-a")

    assert Invoice.objects.get(pk=pk).status == InvoiceStatus.POSTED
    assert not Match.objects.filter(invoice_id=pk, kind=MatchKind.DOUBLE_CHARGE).exists()


def test_a_debit_flagged_as_the_invoice_s_double_payment_is_not_a_second_hold(
    workspace: Workspace, qonto: Connection, pk: int
) -> None:
    """The matcher linked the invoice's payment and flagged the same money leaving again as a
    possible double payment: the gate does not hold the invoice for that debit a second time."""
    paid, again = paid_by_hand(workspace, qonto), paid_by_hand(workspace, qonto)
    for kind, status, debit in (
        (MatchKind.INVOICE_DEBIT, MatchStatus.CONFIRMED, paid),
        (MatchKind.DOUBLE_PAYMENT, MatchStatus.PROPOSED, again),
    ):
        Match.objects.create(workspace=workspace, kind=kind, status=status, invoice_id=pk,
                             transaction=debit, score=Decimal(95))  # fmt: skip

    post_approved(workspace_id=workspace.pk, worker_id="worker-a")

    assert Invoice.objects.get(pk=pk).status == InvoiceStatus.POSTED
    assert not Match.objects.filter(invoice_id=pk, kind=MatchKind.DOUBLE_CHARGE).exists()


def test_an_invoice_refused_locally_then_retried_is_still_gated(
    workspace: Workspace, qonto: Connection, pk: int, qonto_emulator: QontoEmulator
) -> None:
    invoice = Invoice.objects.get(pk=pk)
    # Window 1: refused here for want of the file; meanwhile someone pays it by hand, the file
    # comes back and a reviewer clicks Retry.
    refuse_locally(workspace, invoice)
    debit = paid_by_hand(workspace, qonto)
    retry_invoice(invoice_id=pk, user=None)

    report = post_approved(workspace_id=workspace.pk, worker_id="worker-a")

    assert_held_as_double_payment(invoice, report, qonto_emulator)
    assert Match.objects.get(invoice=invoice).transaction_id == debit.pk


def test_a_hold_lifted_without_answering_its_flag_comes_back(
    workspace: Workspace, hit: Match, reviewer: AbstractUser, qonto_emulator: QontoEmulator
) -> None:
    # Another answer lifts the hold and approves the invoice; the gate's flag stays proposed.
    invoice = Invoice.objects.get(pk=hit.invoice_id)
    invoice.release_hold()
    invoice.approve(reviewer, "bank details confirmed by two people")
    invoice.save()

    report = post_approved(workspace_id=workspace.pk, worker_id="worker-a")

    assert_held_as_double_payment(invoice, report, qonto_emulator)
    # The same flag is raised again, not a second one.
    flags = Match.objects.filter(invoice_id=invoice.pk)
    assert list(flags.values_list("pk", "status", "transaction")) == [
        (hit.pk, MatchStatus.PROPOSED, hit.transaction_id)
    ]
    holds = Decision.objects.filter(invoice_id=invoice.pk, action=DecisionAction.HOLD)
    assert list(holds.values_list("match_id", flat=True)) == [hit.pk, hit.pk]
