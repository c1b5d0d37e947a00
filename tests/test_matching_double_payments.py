"""Double payments: a second debit for an invoice already paid is flagged, whatever the bank
kept of its reference, in whichever window it arrives; a reference naming another number or a
debit before the payment is no repeat."""

from __future__ import annotations

from datetime import UTC
from datetime import date
from datetime import datetime
from decimal import Decimal

import pytest
from time_machine import TimeMachineFixture

from reconciliation.matching import match_window
from reconciliation.models import Connection
from reconciliation.models import Match
from reconciliation.models import MatchKind
from reconciliation.models import MatchStatus
from reconciliation.models import Provider
from reconciliation.models import Vendor
from reconciliation.models import Workspace
from tests.factories import make_connection
from tests.factories import make_vendor
from tests.test_matching_invoice_debits import ACME_IBAN
from tests.test_matching_invoice_debits import TODAY
from tests.test_matching_invoice_debits import debit
from tests.test_matching_invoice_debits import invoice
from tests.test_matching_invoice_debits import links

pytestmark = pytest.mark.django_db


@pytest.fixture
def bank(workspace: Workspace) -> Connection:
    return make_connection(workspace, Provider.QONTO, watched_folder="")


@pytest.fixture
def acme(workspace: Workspace) -> Vendor:
    return make_vendor(workspace, "ACME Supplies GmbH", ibans=[ACME_IBAN])


def flags() -> list[tuple[int | None, int | None, Decimal]]:
    return list(
        Match.objects.filter(kind=MatchKind.DOUBLE_PAYMENT)
        .order_by("id")
        .values_list("invoice_id", "transaction_id", "score")
    )


@pytest.mark.parametrize(
    ("second_reference", "flagged"),
    [
        pytest.param("PB7", True, id="the_same_short_cut"),
        pytest.param("PB8", False, id="the_start_of_another_number"),
        pytest.param("Order 5531", False, id="another_number"),
    ],
)
def test_a_reference_cut_too_short_is_weak_evidence_of_a_repeat(
    workspace: Workspace, bank: Connection, acme: Vendor, second_reference: str, flagged: bool
) -> None:
    """The bank kept 3 characters of "PB71604": too short to name the invoice, so the first
    debit is linked on its amount and IBAN; the same supplier debited the same amount again
    a week later with the same cut reference, which is a possible double payment."""
    bill = invoice(workspace, vendor=acme, number="PB71604", total_amount=Decimal("318.40"))
    first = debit(workspace, bank, amount=Decimal("318.40"), reference="PB7",
                  value_date=date(2026, 11, 6))  # fmt: skip
    again = debit(workspace, bank, amount=Decimal("318.40"), reference=second_reference,
                  value_date=date(2026, 11, 13))  # fmt: skip

    report = match_window(workspace_id=workspace.pk, today=TODAY)

    assert links()[0] == (bill.pk, first.pk, MatchStatus.CONFIRMED, "source")
    assert flags() == ([(bill.pk, again.pk, Decimal("80.00"))] if flagged else [])
    assert report.double_payments == int(flagged)


def test_a_short_reference_before_the_payment_is_no_repeat(
    workspace: Workspace, bank: Connection, acme: Vendor
) -> None:
    """Weak evidence counts only after the payment: a same-amount debit with a cut reference
    before it is something else the supplier was paid."""
    bill = invoice(workspace, vendor=acme, number="PB71604", total_amount=Decimal("318.40"))
    debit(workspace, bank, amount=Decimal("318.40"), reference="PB7 ACME",
          value_date=date(2026, 11, 1))  # fmt: skip
    paid = debit(workspace, bank, amount=Decimal("318.40"), reference="PB71604",
                 value_date=date(2026, 11, 20))  # fmt: skip

    match_window(workspace_id=workspace.pk, today=TODAY)

    assert links()[0] == (bill.pk, paid.pk, MatchStatus.CONFIRMED, "source")
    assert flags() == []


def test_a_repeat_synced_in_a_later_window_is_flagged_then(
    workspace: Workspace, bank: Connection, acme: Vendor, time_machine: TimeMachineFixture
) -> None:
    time_machine.move_to(datetime(2026, 11, 27, 8, 0, tzinfo=UTC))
    bill = invoice(workspace, vendor=acme, number="INV-2026-0077", total_amount=Decimal("96"))
    first = debit(workspace, bank, amount=Decimal("96.00"), reference="INV-2026-0077",
                  value_date=date(2026, 11, 5))  # fmt: skip
    match_window(workspace_id=workspace.pk, today=TODAY)
    time_machine.move_to(datetime(2026, 11, 27, 8, 15, tzinfo=UTC))
    again = debit(workspace, bank, amount=Decimal("96.00"), reference="inv 2026 77",
                  value_date=date(2026, 11, 26))  # fmt: skip
    time_machine.move_to(datetime(2026, 11, 27, 8, 30, tzinfo=UTC))

    report = match_window(workspace_id=workspace.pk, today=TODAY)
    match_window(workspace_id=workspace.pk, today=TODAY)

    assert links() == [(bill.pk, first.pk, MatchStatus.CONFIRMED, "source")]
    assert flags() == [(bill.pk, again.pk, Decimal("100.00"))]
    assert report.double_payments == 1


def test_a_foreign_invoice_paid_once_in_its_currency_and_again_converted_is_flagged(
    workspace: Workspace, bank: Connection, acme: Vendor
) -> None:
    """The first debit carries Qonto's local amount (840.00 GBP), the second only the EUR the
    day's rate made of it: the same amount in the invoice's currency, the same reference — one
    payment and its repeat, not two rivals."""
    bill = invoice(workspace, vendor=acme, number="BT-10442", currency="GBP",
                   total_amount=Decimal("840.00"))  # fmt: skip
    first = debit(workspace, bank, amount=Decimal("987.21"), local_amount=Decimal("840.00"),
                  local_currency="GBP", reference="BT-10442",
                  value_date=date(2026, 11, 9))  # fmt: skip
    again = debit(workspace, bank, amount=Decimal("979.85"), reference="BT-10442",
                  value_date=date(2026, 11, 30))  # fmt: skip

    match_window(workspace_id=workspace.pk, today=TODAY)

    assert links()[0] == (bill.pk, first.pk, MatchStatus.CONFIRMED, "local")
    assert flags() == [(bill.pk, again.pk, Decimal("100.00"))]
