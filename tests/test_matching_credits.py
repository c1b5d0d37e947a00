"""Inbound credits ↔ receivables: references first (exact, RF, structured, abbreviated,
truncated), then amount + counterparty; partial payments leave the rest due."""

from __future__ import annotations

from datetime import UTC
from datetime import date
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from time_machine import TimeMachineFixture

from reconciliation.matching import match_window
from reconciliation.matching import pick_candidate
from reconciliation.matching import reject_credit_candidates
from reconciliation.models import Connection
from reconciliation.models import Decision
from reconciliation.models import DecisionAction
from reconciliation.models import Match
from reconciliation.models import MatchKind
from reconciliation.models import MatchStatus
from reconciliation.models import Receivable
from reconciliation.models import ReceivableStatus
from reconciliation.models import Side
from reconciliation.models import Transaction
from reconciliation.models import Workspace
from tests.factories import make_exchange_rate
from tests.factories import make_invoice
from tests.factories import make_receivable
from tests.factories import make_transaction
from tests.factories import make_user
from tests.test_matching_confirmations import TODAY

pytestmark = pytest.mark.django_db
pytest_plugins = ["tests.plugins.matching"]

CLIENT_IBAN = "FR7630006000011234567890189"


def receivable(
    workspace: Workspace, reference: str, amount: str = "500.00", **fields: Any
) -> Receivable:
    fields.setdefault("customer_name", "Client SARL")
    fields.setdefault("issue_date", date(2026, 10, 1))
    fields.setdefault("due_date", date(2026, 10, 31))
    return make_receivable(workspace, reference=reference, amount=Decimal(amount), **fields)


def credit(
    workspace: Workspace, bank: Connection, amount: str, reference: str, **fields: Any
) -> Transaction:
    fields.setdefault("counterparty_name", "CLIENT SARL")
    fields.setdefault("normalized_counterparty", "client")
    fields.setdefault("counterparty_iban", "")
    fields.setdefault("value_date", date(2026, 11, 10))
    fields.setdefault("local_amount", Decimal(amount))
    fields.setdefault("local_currency", "EUR")
    return make_transaction(
        workspace, bank, side=Side.CREDIT, amount=Decimal(amount), reference=reference, **fields
    )


def credit_matches(transaction: Transaction) -> list[tuple[int | None, int | None, str, int]]:
    return [
        (m.receivable_id, m.invoice_id, m.status, m.rank)
        for m in Match.objects.filter(
            transaction=transaction, kind=MatchKind.CREDIT_RECEIVABLE
        ).order_by("rank", "id")
    ]


def state(item: Receivable) -> tuple[Decimal, str, Decimal]:
    item.refresh_from_db()
    return item.amount_paid, item.status, item.amount_due


def test_exact_reference_pays_the_receivable(workspace: Workspace, bank: Connection) -> None:
    owed = receivable(workspace, "INV-2026-0042")
    other = receivable(workspace, "INV-2026-0043")
    paid = credit(workspace, bank, "500.00", "Facture INV-2026-0042 merci")

    report = match_window(workspace_id=workspace.pk, today=TODAY)

    assert credit_matches(paid) == [(owed.pk, None, MatchStatus.CONFIRMED, 1)]
    assert state(owed) == (Decimal("500.000"), ReceivableStatus.PAID, Decimal("0.000"))
    assert state(other)[1] == ReceivableStatus.OPEN
    assert (report.credits_confirmed, report.receivables_paid) == (1, 1)
    match = Match.objects.get(transaction=paid)
    assert (match.amount_basis, match.matched_amount, match.matched_currency) == (
        "source",
        Decimal("500.000"),
        "EUR",
    )


@pytest.mark.postgres
def test_partial_payments_leave_the_rest_due(workspace: Workspace, bank: Connection) -> None:
    owed = receivable(workspace, "INV-2026-0042")
    credit(workspace, bank, "200.00", "INV-2026-0042 acompte", value_date=date(2026, 11, 5))

    match_window(workspace_id=workspace.pk, today=TODAY)
    assert state(owed) == (Decimal("200.000"), ReceivableStatus.PARTIALLY_PAID, Decimal("300.000"))

    credit(workspace, bank, "300.00", "INV-2026-0042 solde", value_date=date(2026, 11, 20))
    match_window(workspace_id=workspace.pk, today=TODAY)

    assert state(owed) == (Decimal("500.000"), ReceivableStatus.PAID, Decimal("0.000"))
    assert Match.objects.filter(receivable=owed, status=MatchStatus.CONFIRMED).count() == 2


def test_abbreviated_reference_collapses_onto_the_only_receivable(
    workspace: Workspace, bank: Connection
) -> None:
    owed = receivable(workspace, "INV-2024-0042")
    receivable(workspace, "INV-2024-0142")
    paid = credit(workspace, bank, "500.00", "inv 42")

    match_window(workspace_id=workspace.pk, today=TODAY)

    assert credit_matches(paid) == [(owed.pk, None, MatchStatus.CONFIRMED, 1)]
    assert Match.objects.get(transaction=paid).reasons[0] == "reference abbreviated (INV-2024-0042)"


@pytest.mark.postgres
def test_ambiguous_abbreviation_goes_to_review_with_candidates(
    workspace: Workspace, bank: Connection
) -> None:
    older = receivable(workspace, "INV-2023-0042")
    newer = receivable(workspace, "INV-2024-0042")
    paid = credit(workspace, bank, "500.00", "inv 42")

    report = match_window(workspace_id=workspace.pk, today=TODAY)

    assert credit_matches(paid) == [
        (older.pk, None, MatchStatus.PROPOSED, 1),
        (newer.pk, None, MatchStatus.PROPOSED, 2),
    ]
    assert state(older)[1] == state(newer)[1] == ReceivableStatus.OPEN
    assert (report.credits_confirmed, report.credits_proposed) == (0, 1)


def test_abbreviation_is_disambiguated_by_the_amount(
    workspace: Workspace, bank: Connection
) -> None:
    receivable(workspace, "INV-2023-0042", "730.00")
    newer = receivable(workspace, "INV-2024-0042", "500.00")
    paid = credit(workspace, bank, "500.00", "inv 42")

    match_window(workspace_id=workspace.pk, today=TODAY)

    assert credit_matches(paid) == [(newer.pk, None, MatchStatus.CONFIRMED, 1)]


def test_truncated_reference_with_the_customer_iban(workspace: Workspace, bank: Connection) -> None:
    owed = receivable(workspace, "INV-2026-00421", customer_iban=CLIENT_IBAN)
    paid = credit(
        workspace, bank, "500.00", "PAYMENT INVOICE INV-2026-004", counterparty_iban=CLIENT_IBAN
    )

    match_window(workspace_id=workspace.pk, today=TODAY)

    assert credit_matches(paid) == [(owed.pk, None, MatchStatus.CONFIRMED, 1)]
    assert Match.objects.get(transaction=paid).reasons[0] == "reference truncated (INV-2026-00421)"


@pytest.mark.parametrize(
    ("reference", "remittance"),
    [
        pytest.param("RF18 5390 0754 7034", "RF18539007547034", id="creditor_reference_case"),
        pytest.param("+++010/8068/17183+++", "010806817183", id="structured_case"),
    ],
)
def test_structured_references_pay_their_receivable(
    workspace: Workspace, bank: Connection, reference: str, remittance: str
) -> None:
    owed = receivable(workspace, reference)
    paid = credit(workspace, bank, "500.00", remittance)

    match_window(workspace_id=workspace.pk, today=TODAY)

    assert credit_matches(paid) == [(owed.pk, None, MatchStatus.CONFIRMED, 1)]


def test_without_reference_the_amount_and_iban_decide(
    workspace: Workspace, bank: Connection
) -> None:
    owed = receivable(workspace, "INV-9", customer_iban=CLIENT_IBAN)
    known = credit(workspace, bank, "500.00", "", counterparty_iban=CLIENT_IBAN)
    stranger = credit(
        workspace, bank, "500.00", "", counterparty_name="ZETA", normalized_counterparty="zeta"
    )

    match_window(workspace_id=workspace.pk, today=TODAY)

    assert credit_matches(known) == [(owed.pk, None, MatchStatus.CONFIRMED, 1)]
    assert credit_matches(stranger) == []


@pytest.mark.postgres
def test_foreign_receivable_is_paid_in_its_currency(workspace: Workspace, bank: Connection) -> None:
    owed = receivable(workspace, "EXP-2026-7", "1000.00", currency="USD")
    paid = credit(
        workspace,
        bank,
        "921.66",
        "EXP-2026-7",
        local_amount=Decimal("1000.00"),
        local_currency="USD",
    )

    match_window(workspace_id=workspace.pk, today=TODAY)

    match = Match.objects.get(transaction=paid)
    assert (match.receivable_id, match.status, match.amount_basis, match.matched_amount) == (
        owed.pk,
        MatchStatus.CONFIRMED,
        "local",
        Decimal("1000.000"),
    )
    assert state(owed)[:2] == (Decimal("1000.000"), ReceivableStatus.PAID)


def test_supplier_credit_note_refund_is_matched(workspace: Workspace, bank: Connection) -> None:
    note = make_invoice(
        workspace, is_credit_note=True, number="AV-2026-12", total_amount=Decimal("-80.00"),
        supplier_name="Acme Supplies",
    )  # fmt: skip
    refund = credit(
        workspace, bank, "80.00", "Avoir AV-2026-12", counterparty_name="ACME SUPPLIES",
        normalized_counterparty="acme supplies",
    )  # fmt: skip

    match_window(workspace_id=workspace.pk, today=TODAY)

    assert credit_matches(refund) == [(None, note.pk, MatchStatus.CONFIRMED, 1)]


def test_a_credit_note_refund_is_not_taken_for_an_invoice_sharing_its_numbers(
    workspace: Workspace, bank: Connection
) -> None:
    """ "CN-2026-31" and our receivable "INV-2026-00031" share 2026 and 31 (the receivable's
    key is even the longer one): the credit says "Credit note", so it refunds the credit note."""
    owed = receivable(workspace, "INV-2026-00031", amount="64.00")
    note = make_invoice(
        workspace, is_credit_note=True, number="CN-2026-31", total_amount=Decimal("-64.00"),
        supplier_name="Client SARL",
    )  # fmt: skip
    refund = credit(workspace, bank, "64.00", "Credit note CN-2026-31")

    match_window(workspace_id=workspace.pk, today=TODAY)

    assert credit_matches(refund) == [(None, note.pk, MatchStatus.CONFIRMED, 1)]
    assert state(owed)[1] == ReceivableStatus.OPEN


def test_a_later_window_only_looks_at_new_credits(
    workspace: Workspace, bank: Connection, time_machine: TimeMachineFixture
) -> None:
    time_machine.move_to(datetime(2026, 11, 27, 7, 50, tzinfo=UTC))
    receivable(workspace, "INV-1")
    credit(workspace, bank, "999.00", "Stripe payout")
    time_machine.move_to(datetime(2026, 11, 27, 8, 0, tzinfo=UTC))
    assert match_window(workspace_id=workspace.pk, today=TODAY).credits_considered == 1
    time_machine.move_to(datetime(2026, 11, 27, 8, 15, tzinfo=UTC))
    credit(workspace, bank, "12.00", "Interest")

    report = match_window(workspace_id=workspace.pk, today=TODAY)

    assert report.credits_considered == 1


def test_reviewer_picks_a_credit_candidate(workspace: Workspace, bank: Connection) -> None:
    user = make_user(workspace=workspace)
    older = receivable(workspace, "INV-2023-0042")
    newer = receivable(workspace, "INV-2024-0042")
    paid = credit(workspace, bank, "500.00", "inv 42")
    match_window(workspace_id=workspace.pk, today=TODAY)

    pick_candidate(match=Match.objects.get(transaction=paid, receivable=newer), user=user)

    assert credit_matches(paid) == [
        (older.pk, None, MatchStatus.REJECTED, 1),
        (newer.pk, None, MatchStatus.CONFIRMED, 1),
    ]
    assert state(newer)[:2] == (Decimal("500.000"), ReceivableStatus.PAID)
    assert state(older)[:2] == (Decimal("0.000"), ReceivableStatus.OPEN)


def test_none_of_these_for_a_credit(workspace: Workspace, bank: Connection) -> None:
    user = make_user(workspace=workspace)
    receivable(workspace, "INV-2023-0042")
    receivable(workspace, "INV-2024-0042")
    paid = credit(workspace, bank, "500.00", "inv 42")
    match_window(workspace_id=workspace.pk, today=TODAY)

    result = reject_credit_candidates(transaction=paid, user=user)
    receivable(workspace, "INV-2025-0042")
    match_window(workspace_id=workspace.pk, today=TODAY)

    assert [status for _, _, status, _ in credit_matches(paid)] == [MatchStatus.REJECTED] * 2
    assert len(result.rejected_match_ids) == 2
    decision = Decision.objects.get(action=DecisionAction.REJECT_MATCHES)
    assert (decision.actor_id, decision.before["transaction"]) == (user.pk, paid.qonto_id)


def test_a_reference_cut_too_short_still_agrees_with_the_amount_and_iban(
    workspace: Workspace, bank: Connection
) -> None:
    owed = receivable(workspace, "INV-2026-00326", customer_iban=CLIENT_IBAN)
    receivable(workspace, "INV-2026-00327", "730.00")
    paid = credit(workspace, bank, "500.00", "INV-2026", counterparty_iban=CLIENT_IBAN)

    match_window(workspace_id=workspace.pk, today=TODAY)

    assert credit_matches(paid) == [(owed.pk, None, MatchStatus.CONFIRMED, 1)]
    assert Match.objects.get(transaction=paid).reasons[3] == (
        "reference 'INV-2026' is the start of INV-2026-00326"
    )


def test_a_credit_naming_another_document_is_only_proposed(
    workspace: Workspace, bank: Connection
) -> None:
    owed = receivable(workspace, "INV-2026-00326", customer_iban=CLIENT_IBAN)
    paid = credit(workspace, bank, "500.00", "RE-2026-48213", counterparty_iban=CLIENT_IBAN)

    match_window(workspace_id=workspace.pk, today=TODAY)

    match = Match.objects.get(transaction=paid)
    assert (match.receivable_id, match.status, match.score) == (
        owed.pk,
        MatchStatus.PROPOSED,
        Decimal("65.00"),
    )
    assert state(owed)[1] == ReceivableStatus.OPEN


def test_an_undated_receivable_is_looked_for_in_older_credits(
    workspace: Workspace, bank: Connection
) -> None:
    owed = receivable(workspace, "INV-2026-0042", issue_date=None, due_date=None)
    paid = credit(workspace, bank, "500.00", "INV-2026-0042", value_date=date(2026, 6, 1))

    match_window(workspace_id=workspace.pk, today=TODAY)

    assert credit_matches(paid) == [(owed.pk, None, MatchStatus.CONFIRMED, 1)]


def test_a_bank_cut_reference_lands_on_the_receivable_its_amount_fits(
    workspace: Workspace, bank: Connection
) -> None:
    receivable(workspace, "INV-2026-00013", "100.00")
    owed = receivable(workspace, "INV-2026-01383", customer_iban=CLIENT_IBAN)
    paid = credit(workspace, bank, "500.00", "INV-2026-013", counterparty_iban=CLIENT_IBAN)

    match_window(workspace_id=workspace.pk, today=TODAY)

    assert credit_matches(paid) == [(owed.pk, None, MatchStatus.CONFIRMED, 1)]
    assert Match.objects.get(transaction=paid).reasons[0] == "reference truncated (INV-2026-01383)"


def test_converted_full_payment_settles_the_receivable(
    workspace: Workspace, bank: Connection
) -> None:
    make_exchange_rate("USD", "EUR", "0.92", date(2026, 11, 9))
    owed = receivable(workspace, "EXP-2026-7", "1000.00", currency="USD")
    paid = credit(workspace, bank, "919.00", "EXP-2026-7", local_amount=None, local_currency="")
    match_window(workspace_id=workspace.pk, today=TODAY)
    match = Match.objects.get(transaction=paid)
    assert (match.status, match.amount_basis) == (MatchStatus.CONFIRMED, "converted")
    assert state(owed)[:2] == (Decimal("1000.000"), ReceivableStatus.PAID)


@pytest.mark.parametrize(
    ("main", "remittance"),
    [
        pytest.param("RF18 5390 0754 7034", "Facture C-2026-0192 merci", id="rf_main_number_paid"),
        pytest.param("+++090/9337/55493+++", "C20260192", id="structured_main_number_glued"),
        pytest.param("C-2026-0192", "RF18 5390 0754 7034", id="number_main_rf_paid"),
    ],
)
def test_a_receivable_is_paid_by_any_of_its_references(
    workspace: Workspace, bank: Connection, main: str, remittance: str
) -> None:
    other = "RF18 5390 0754 7034" if main == "C-2026-0192" else "C-2026-0192"
    item = receivable(workspace, main, "740.00", other_references=[other])
    receivable(workspace, "C-2026-0193", "740.00")
    paid = credit(workspace, bank, "740.00", remittance)

    match_window(workspace_id=workspace.pk, today=TODAY)

    assert credit_matches(paid) == [(item.pk, None, MatchStatus.CONFIRMED, 1)]
    assert state(item) == (Decimal("740.00"), ReceivableStatus.PAID, Decimal("0.00"))
