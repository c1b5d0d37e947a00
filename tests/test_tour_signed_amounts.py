"""One sign rule for bank lines: a debit reads "−985.00 EUR" and a credit "+985.00 EUR" on the
Transactions list as on the Matches list (the stored amount is unsigned, `side` says which)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from reconciliation.models import Role
from reconciliation.models import Side
from reconciliation.models import Workspace
from reconciliation.models.banking import signed_money
from tests.factories import make_match
from tests.factories import make_transaction
from tests.factories import make_user
from tests.helpers import column_cells
from tests.helpers import logged_in_client

pytestmark = pytest.mark.django_db


def _cells(workspace: Workspace, model: str, column: str) -> list[str]:
    client = logged_in_client(make_user(workspace=workspace, role=Role.ADMIN))
    response = client.get(reverse(f"admin:reconciliation_{model}_changelist"))
    assert response.status_code == 200
    return sorted(column_cells(response.content.decode(), column))


def test_the_transactions_list_signs_as_the_matches_list(workspace: Workspace) -> None:
    debit = make_transaction(workspace, side=Side.DEBIT, amount=Decimal("985.00"))
    credit = make_transaction(workspace, side=Side.CREDIT, amount=Decimal("1200.00"))
    make_match(workspace, transaction=debit)
    make_match(workspace, transaction=credit)
    transactions = _cells(workspace, "transaction", "money")
    assert transactions == ["+1,200.00 EUR", "−985.00 EUR"]
    assert _cells(workspace, "match", "bank_amount") == transactions


def test_a_foreign_debit_is_signed_in_both_currencies(workspace: Workspace) -> None:
    make_transaction(
        workspace,
        side=Side.DEBIT,
        amount=Decimal("100.00"),
        currency="USD",
        local_amount=Decimal("92.50"),
        local_currency="EUR",
    )
    assert _cells(workspace, "transaction", "money") == ["−100.00 USD"]
    assert _cells(workspace, "transaction", "local_money") == ["−92.50 EUR"]


def test_a_missing_amount_is_a_dash_without_a_sign() -> None:
    assert signed_money(None, "EUR", Side.DEBIT) == "—"
