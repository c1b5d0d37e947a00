"""A paid foreign-currency invoice is converted by what actually left the account: the debit
confirmed as its payment, when Qonto's ``local_amount`` is in the invoice's currency (the tour's
INV-004741 of 4,600 USD paid by a 4,293.45 EUR debit eleven days after its issue date, beyond the
seven days an observed rate may be away, was blank). Only a confirmed match counts: the matcher
converts unpaid invoices to find their debit, so a proposal must not feed the conversion."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from reconciliation import fx
from reconciliation.admin.invoice_export import ExportConversions
from reconciliation.matching.review import pick_candidate
from reconciliation.models import Invoice
from reconciliation.models import MatchKind
from reconciliation.models import MatchStatus
from reconciliation.models import Workspace
from tests.factories import make_invoice
from tests.factories import make_match
from tests.factories import make_usd_payment

pytestmark = pytest.mark.django_db

ISSUED = date(2026, 11, 3)
PAID = date(2026, 11, 14)  # eleven days later: no observed rate that far


def paid_invoice(
    workspace: Workspace,
    *,
    status: str = MatchStatus.CONFIRMED,
    kind: str = MatchKind.INVOICE_DEBIT,
    local_amount: str = "4600.00",
    **fields: object,
) -> Invoice:
    invoice = make_invoice(
        workspace,
        number="INV-004741",
        currency="USD",
        total_amount=Decimal("4600.00"),
        tax_amount=Decimal(0),
        issue_date=ISSUED,
        **fields,
    )
    debit = make_usd_payment(workspace, "4293.45", local_amount, PAID)
    make_match(
        workspace,
        kind=kind,
        status=status,
        invoice=invoice,
        document=invoice.document,
        transaction=debit,
    )
    return invoice


def converted(invoice: Invoice) -> tuple[object, ...]:
    return (invoice.converted_amount, invoice.fx_rate, invoice.fx_rate_date, invoice.fx_rate_source)


PAID_BY_DEBIT = (Decimal("4293.45"), Decimal("0.9333586957"), PAID, fx.PAID_BY_DEBIT_SOURCE)


@pytest.mark.parametrize(
    ("kind", "status"),
    [
        (MatchKind.INVOICE_DEBIT, MatchStatus.CONFIRMED),
        (MatchKind.CONFIRMATION_DEBIT, MatchStatus.ATTACHED),
    ],
)
def test_a_confirmed_debit_is_the_conversion(workspace: Workspace, kind: str, status: str) -> None:
    invoice = paid_invoice(workspace, kind=kind, status=status)

    conversion = fx.convert_invoice(invoice)

    assert conversion.is_converted
    assert converted(invoice) == PAID_BY_DEBIT


@pytest.mark.parametrize("status", [MatchStatus.PROPOSED, MatchStatus.REJECTED])
def test_a_debit_not_confirmed_does_not_convert(workspace: Workspace, status: str) -> None:
    """Why the tour's invoices were blank: the debit is eleven days after the issue date, and an
    observed rate is looked for within seven days of it."""
    invoice = paid_invoice(workspace, status=status)

    fx.convert_invoice(invoice)

    assert invoice.converted_amount is None
    assert invoice.fx_rate_source.startswith(fx.NO_RATE_PREFIX)


def test_a_partial_payment_falls_back_to_the_rate_of_the_issue_date(
    workspace: Workspace,
) -> None:
    invoice = paid_invoice(workspace, local_amount="2300.00")
    # a card payment in USD two days before the issue date
    make_usd_payment(workspace, "92.00", "100.00", date(2026, 11, 1))

    fx.convert_invoice(invoice)

    assert invoice.converted_amount == Decimal("4232.00")
    assert invoice.fx_rate_date == date(2026, 11, 1)


def test_the_export_shows_the_debit_over_a_stored_conversion(workspace: Workspace) -> None:
    """Stored at creation with the issue date's rate; the export shows what was paid (in
    memory only)."""
    invoice = paid_invoice(
        workspace,
        converted_amount=Decimal("4140.00"),
        home_currency="EUR",
        fx_rate=Decimal("0.9"),
        fx_rate_date=ISSUED,
        fx_rate_source="ECB",
    )
    queryset = Invoice.objects.filter(workspace=workspace).select_related("workspace")
    row = queryset.get()

    ExportConversions(queryset).fill(row)

    assert converted(row) == PAID_BY_DEBIT
    invoice.refresh_from_db()
    assert invoice.converted_amount == Decimal("4140.00")


def test_confirming_the_debit_stores_the_paid_conversion(workspace: Workspace) -> None:
    """The invoice page shows what is stored: once a person picks the debit, the stored
    conversion is the debit's, as in the export and at posting."""
    invoice = paid_invoice(workspace, status=MatchStatus.PROPOSED)
    match = invoice.matches.get()

    pick_candidate(match=match, user=None)

    invoice.refresh_from_db()
    assert converted(invoice) == PAID_BY_DEBIT


def test_a_window_stores_it_once(workspace: Workspace) -> None:
    invoice = paid_invoice(workspace, converted_amount=Decimal("4140.00"), home_currency="EUR")
    euro = make_invoice(workspace, currency="EUR")  # nothing to convert

    assert fx.store_paid_conversions(workspace_id=workspace.pk) == 1
    assert fx.store_paid_conversions(workspace_id=workspace.pk) == 0  # already stored

    invoice.refresh_from_db()
    euro.refresh_from_db()
    assert converted(invoice) == PAID_BY_DEBIT
    assert euro.converted_amount is None
