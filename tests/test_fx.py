"""Conversion into the workspace's home currency: the rate, its date and its source are kept with
the converted amount; without a known rate the invoice says so and nothing is invented."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from connectors.sandbox import Sandbox
from reconciliation import fx
from reconciliation.matching import match_window
from reconciliation.models import Invoice
from reconciliation.models import InvoiceStatus
from reconciliation.models import Match
from reconciliation.models import MatchKind
from reconciliation.models import MatchStatus
from reconciliation.models import Provider
from reconciliation.models import Side
from reconciliation.models import TransactionStatus
from reconciliation.models import Workspace
from reconciliation.posting import post_approved
from tests.factories import make_connection
from tests.factories import make_exchange_rate
from tests.factories import make_invoice
from tests.factories import make_receivable
from tests.factories import make_transaction
from tests.factories import make_usd_payment
from tests.factories import make_workspace
from tests.posting_fixtures import seed_invoices
from tests.test_matching_confirmations import payment_document

pytestmark = pytest.mark.django_db

ISSUED = date(2026, 11, 2)


def usd_invoice(workspace: Workspace, total: str = "100.00") -> Invoice:
    return make_invoice(
        workspace,
        currency="USD",
        total_amount=Decimal(total),
        issue_date=ISSUED,
        status=InvoiceStatus.APPROVED,
    )


def test_same_currency_converts_at_one(workspace: Workspace) -> None:
    invoice = make_invoice(workspace, currency="EUR", total_amount=Decimal("119.00"))

    conversion = fx.convert_invoice(invoice)

    assert conversion.is_converted
    assert invoice.converted_amount == Decimal("119.00")
    assert (invoice.home_currency, invoice.fx_rate) == ("EUR", Decimal(1))
    assert invoice.fx_rate_date == invoice.issue_date
    assert invoice.fx_rate_source == "same currency"


def test_reference_rate_of_the_issue_date(workspace: Workspace) -> None:
    make_exchange_rate("USD", "EUR", "0.9200000000", date(2026, 10, 30))
    make_exchange_rate("USD", "EUR", "0.9250000000", ISSUED)
    make_exchange_rate("USD", "EUR", "0.9300000000", date(2026, 11, 3))
    invoice = usd_invoice(workspace)

    fx.convert_invoice(invoice)

    assert (invoice.currency, invoice.total_amount) == ("USD", Decimal("100.00"))
    assert invoice.converted_amount == Decimal("92.50")
    assert invoice.fx_rate == Decimal("0.9250000000")
    assert invoice.fx_rate_date == ISSUED
    assert invoice.fx_rate_source == "ECB"


def test_latest_rate_before_the_date_wins_over_a_closer_later_one(workspace: Workspace) -> None:
    make_exchange_rate("USD", "EUR", "0.9200000000", date(2026, 10, 28))
    make_exchange_rate("USD", "EUR", "0.9300000000", date(2026, 11, 3))
    invoice = usd_invoice(workspace)

    fx.convert_invoice(invoice)

    assert (invoice.fx_rate, invoice.fx_rate_date) == (Decimal("0.9200000000"), date(2026, 10, 28))


def test_a_later_rate_is_used_only_when_none_came_before(workspace: Workspace) -> None:
    make_exchange_rate("USD", "EUR", "0.9300000000", date(2026, 11, 5))
    invoice = usd_invoice(workspace)

    fx.convert_invoice(invoice)

    assert (invoice.fx_rate_date, invoice.converted_amount) == (
        date(2026, 11, 5),
        Decimal("93.00"),
    )


def test_inverse_row_is_inverted(workspace: Workspace) -> None:
    make_exchange_rate("EUR", "USD", "1.2500000000", ISSUED)
    invoice = usd_invoice(workspace)

    fx.convert_invoice(invoice)

    assert invoice.fx_rate == Decimal("0.8000000000")
    assert invoice.converted_amount == Decimal("80.00")
    assert invoice.fx_rate_source == "ECB (inverted)"


def test_rate_observed_on_a_qonto_card_payment(workspace: Workspace) -> None:
    make_usd_payment(workspace, "92.14", "100.00", date(2026, 11, 1), qonto_id="tx-card-1")
    invoice = usd_invoice(workspace, "250.00")

    fx.convert_invoice(invoice)

    assert invoice.fx_rate == Decimal("0.9214000000")
    assert invoice.converted_amount == Decimal("230.35")
    assert invoice.fx_rate_date == date(2026, 11, 1)
    assert invoice.fx_rate_source == "Qonto transaction tx-card-1"


def test_several_payments_of_one_day_give_their_median(workspace: Workspace) -> None:
    for amount, qonto_id in (("91.00", "a"), ("92.00", "b"), ("99.00", "c")):
        make_usd_payment(workspace, amount, "100.00", ISSUED, qonto_id=qonto_id)
    invoice = usd_invoice(workspace)

    fx.convert_invoice(invoice)

    assert invoice.fx_rate == Decimal("0.9200000000")
    assert invoice.fx_rate_source == "Qonto transactions of 2026-11-02 (median of 3)"


@pytest.mark.parametrize(
    "case",
    [
        pytest.param("other_workspace", id="other_workspace_case"),
        pytest.param("pending", id="pending_payment_case"),
        pytest.param("too_old", id="too_old_case"),
    ],
)
def test_no_rate_is_said_never_invented(workspace: Workspace, case: str) -> None:
    owner = make_workspace("Other SARL") if case == "other_workspace" else workspace
    make_usd_payment(
        owner,
        "92.00",
        "100.00",
        date(2026, 10, 1) if case == "too_old" else ISSUED,
        status=TransactionStatus.PENDING if case == "pending" else TransactionStatus.COMPLETED,
    )
    if case == "too_old":
        make_exchange_rate("USD", "EUR", "0.9000000000", date(2026, 10, 20))
    invoice = usd_invoice(workspace)

    conversion = fx.convert_invoice(invoice)

    assert not conversion.is_converted
    assert (invoice.converted_amount, invoice.fx_rate, invoice.fx_rate_date) == (None, None, None)
    assert invoice.home_currency == "EUR"
    assert invoice.fx_rate_source == "No rate known for USD→EUR within 7 days of 2026-11-02"
    assert (invoice.currency, invoice.total_amount) == ("USD", Decimal("100.00"))


def test_reference_rate_is_preferred_to_an_observed_one(workspace: Workspace) -> None:
    make_usd_payment(workspace, "95.00", "100.00", ISSUED)
    make_exchange_rate("USD", "EUR", "0.9100000000", date(2026, 10, 31))
    invoice = usd_invoice(workspace)

    fx.convert_invoice(invoice)

    assert (invoice.fx_rate, invoice.fx_rate_source) == (Decimal("0.9100000000"), "ECB")


def test_home_currency_with_no_minor_unit_is_rounded_to_it(workspace: Workspace) -> None:
    workspace.home_currency = "JPY"
    workspace.save()
    make_exchange_rate("USD", "JPY", "151.3456000000", ISSUED)
    invoice = usd_invoice(workspace, "10.00")

    fx.convert_invoice(invoice)

    assert invoice.converted_amount == Decimal("1513")
    assert invoice.home_currency == "JPY"


def test_posting_records_the_conversion(
    workspace: Workspace, sandbox_settings: Sandbox, connect_with_emulator_tokens: Any
) -> None:
    connect_with_emulator_tokens(workspace, Provider.QONTO, sandbox_settings.qonto)
    converted, unknown = seed_invoices(workspace, 2)
    Invoice.objects.filter(pk=converted).update(
        currency="USD", total_amount=Decimal("100.00"), issue_date=ISSUED
    )
    Invoice.objects.filter(pk=unknown).update(
        currency="CHF", total_amount=Decimal("100.00"), issue_date=ISSUED
    )
    make_exchange_rate("USD", "EUR", "0.9250000000", ISSUED)

    report = post_approved(workspace_id=workspace.pk, worker_id="worker-a")

    assert report.posted == 2
    first = Invoice.objects.get(pk=converted)
    assert (first.converted_amount, first.fx_rate, first.fx_rate_source) == (
        Decimal("92.50"),
        Decimal("0.9250000000"),
        "ECB",
    )
    second = Invoice.objects.get(pk=unknown)
    assert second.status == InvoiceStatus.POSTED
    assert second.converted_amount is None
    assert second.fx_rate_source == "No rate known for CHF→EUR within 7 days of 2026-11-02"


def test_posting_and_matching_convert_an_invoice_to_the_same_amount(workspace: Workspace) -> None:
    """One rule: the rate observed on a Qonto card payment three days before (the matcher's old
    rule, backwards over ExchangeRate rows only, knew no rate at all)."""
    make_usd_payment(
        workspace,
        "92.14",
        "100.00",
        date(2026, 10, 30),
        counterparty_name="Card shop",
        qonto_id="tx-card-1",
    )
    invoice = make_invoice(
        workspace,
        currency="USD",
        total_amount=Decimal("250.00"),
        number="US-7781",
        issue_date=ISSUED,
        status=InvoiceStatus.POSTED,
    )
    fx.convert_invoice(invoice)
    invoice.save(update_fields=list(fx.FX_FIELDS))
    paid = make_transaction(
        workspace,
        amount=Decimal("230.35"),
        reference="US-7781",
        counterparty_name="Acme Supplies GmbH",
        normalized_counterparty="acme supplies",
        value_date=ISSUED,
    )

    match_window(workspace_id=workspace.pk, today=date(2026, 11, 20))

    link = Match.objects.get(kind=MatchKind.INVOICE_DEBIT, invoice=invoice)
    assert (invoice.converted_amount, invoice.fx_rate) == (Decimal("230.35"), Decimal("0.9214"))
    assert (link.transaction_id, link.status, link.amount_basis) == (
        paid.pk,
        MatchStatus.CONFIRMED,
        "converted",
    )
    assert (link.matched_amount, link.matched_currency, link.fx_rate) == (
        invoice.converted_amount,
        "EUR",
        invoice.fx_rate,
    )


def test_a_rate_published_after_the_date_serves_posting_and_matching_alike(
    workspace: Workspace,
) -> None:
    """An invoice of a Saturday when only Monday's rate is known: both use it."""
    make_exchange_rate("USD", "EUR", "0.9300000000", date(2026, 11, 2))
    saturday = date(2026, 10, 31)
    book = fx.RateBook.load(
        workspace_id=workspace.pk, currencies=("USD", "EUR"), start=saturday, end=saturday
    )
    invoice = usd_invoice(workspace)
    invoice.issue_date = saturday

    conversion = fx.convert_invoice(invoice)

    assert conversion.converted_amount == Decimal("93.00")
    assert fx.convert_amount(Decimal("100.00"), "USD", "EUR", on=saturday, rates=book) == (
        Decimal("93.00"),
        conversion.rate,
    )


def test_a_credit_and_a_confirmation_convert_as_posting_does(workspace: Workspace) -> None:
    """One rate of ten decimals: 2756.33 EUR is 2991.62 USD at the book's inverted rate
    (1.0853653227) but 2991.63 USD divided by the direct one; matching uses the book's."""
    day = date(2026, 11, 9)
    make_exchange_rate("USD", "EUR", "0.9213487653", day)
    book = fx.RateBook.load(
        workspace_id=workspace.pk, currencies=("USD", "EUR"), start=day, end=day
    )
    bank = make_connection(workspace, Provider.QONTO, watched_folder="")
    to_usd = fx.convert_amount(Decimal("2756.33"), "EUR", "USD", on=day, rates=book)
    to_eur = fx.convert_amount(Decimal("2991.79"), "USD", "EUR", on=day, rates=book)
    assert to_usd is not None
    assert to_eur is not None
    make_receivable(workspace, reference="EXP-2026-7", amount=to_usd[0], currency="USD",
                    customer_name="Client SARL", issue_date=date(2026, 10, 1),
                    due_date=date(2026, 10, 31))  # fmt: skip
    received = make_transaction(workspace, bank, side=Side.CREDIT, amount=Decimal("2756.33"),
                                reference="EXP-2026-7", local_amount=None, local_currency="",
                                counterparty_name="CLIENT SARL", normalized_counterparty="client",
                                value_date=day)  # fmt: skip
    order = payment_document(workspace, amount="2991.79", currency="USD",
                             execution_date=day.isoformat(), beneficiary_name="Globex Corporation",
                             reference="PO-778")  # fmt: skip
    make_transaction(workspace, bank, side=Side.DEBIT, amount=to_eur[0], reference="PO-778",
                     local_amount=None, local_currency="", counterparty_name="GLOBEX CORPORATION",
                     normalized_counterparty="globex", value_date=day)  # fmt: skip

    match_window(workspace_id=workspace.pk, today=date(2026, 11, 27))

    assert (to_usd[0], to_usd[1].rate, to_eur[0]) == (
        Decimal("2991.62"),
        Decimal("1.0853653227"),
        Decimal("2756.48"),
    )
    paid = Match.objects.get(transaction=received)
    sent = Match.objects.get(document=order)
    assert [(m.matched_amount, m.matched_currency, m.fx_rate, m.status) for m in (paid, sent)] == [
        (to_usd[0], "USD", to_usd[1].rate, MatchStatus.CONFIRMED),
        (to_eur[0], "EUR", to_eur[1].rate, MatchStatus.CONFIRMED),
    ]
