"""The one rule for a possible double payment, on literal values: a debit that pays an invoice
again, unless its reference may as well name another open invoice of the supplier."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from reconciliation.matching.repeats import OpenInvoices
from reconciliation.matching.repeats import repeat_verdict
from reconciliation.matching.scoring import BankLine
from reconciliation.matching.scoring import InvoiceClaim
from reconciliation.matching.scoring import MatchPolicy

IBAN = "DE89370400440532013000"
POLICY = MatchPolicy(threshold=Decimal(80))
OCTOBER = InvoiceClaim(
    invoice_id=1,
    number="INV-2026-0101",
    amount=Decimal("300.00"),
    currency="EUR",
    issue_date=date(2026, 10, 2),
    name="acme supplies",
    iban=IBAN,
)
PAYMENT = BankLine(
    transaction_id=10,
    amount=Decimal("300.00"),
    currency="EUR",
    local_amount=Decimal("300.00"),
    local_currency="EUR",
    counterparty="acme supplies",
    counterparty_iban=IBAN,
    reference="INV-2026-0101",
    value_date=date(2026, 10, 6),
)


def again(reference: str) -> BankLine:
    return replace(PAYMENT, transaction_id=11, reference=reference, value_date=date(2026, 11, 20))


@pytest.mark.parametrize(
    ("reference", "others", "score"),
    [
        pytest.param("INV-2026-0101", {}, Decimal(100), id="the_same_reference"),
        pytest.param("Rechnung 2026/101", {}, Decimal(100), id="named_in_full"),
        pytest.param("INV-2026-010", {}, Decimal(90), id="cut_by_the_bank"),
        pytest.param(
            "INV-2026-010", {"number": "INV-2026-0102"}, None, id="cut_as_the_next_month_is"
        ),
        pytest.param(
            "INV-2026-010",
            {"number": "INV-2026-0102", "amount": Decimal("310.00")},
            Decimal(90),
            id="the_next_month_of_another_amount",
        ),
        pytest.param(
            "INV-2026-010",
            {"number": "INV-2026-0102", "iban": "FR7630006000011234567890189", "name": "zeta"},
            Decimal(90),
            id="another_supplier_of_the_same_amount",
        ),
        pytest.param(
            "INV-2026-0101",
            {"number": "INV-2026-01019"},
            Decimal(100),
            id="named_in_full_another_in_part",
        ),
        pytest.param(
            "INV-2026-010",
            {"number": "INV-2026-010", "amount": Decimal("12.00")},
            None,
            id="another_number_in_full",
        ),
    ],
)
def test_a_second_debit_is_a_repeat_unless_it_may_pay_another_open_invoice(
    reference: str, others: dict[str, Any], score: Decimal | None
) -> None:
    """October's INV-2026-0101 was paid on 6 Oct; another 300.00 EUR left for ACME on 20 Nov.
    ``others``: November's invoice, still open, as it differs from October's."""
    november = replace(OCTOBER, invoice_id=2, issue_date=date(2026, 11, 2), **others)
    open_invoices = OpenInvoices.of([november] if others else [])

    verdict = repeat_verdict(OCTOBER, PAYMENT, again(reference), open_invoices, POLICY)

    assert (verdict[0] if verdict else None) == score


@pytest.mark.parametrize(
    ("amount", "score"),
    [
        pytest.param(Decimal("990.00"), Decimal(80), id="within_the_fx_tolerance"),
        pytest.param(Decimal("1010.00"), None, id="beyond_it"),
    ],
)
def test_a_cut_reference_repeats_a_payment_the_bank_converted_at_another_rate(
    amount: Decimal, score: Decimal | None
) -> None:
    """A GBP invoice paid twice from the EUR account without Qonto's local amount, both
    debits reading "BT1": the same amount is the first debit's within the FX tolerance (2 %)."""
    bill = replace(OCTOBER, number="BT-10442", amount=Decimal("840.00"), currency="GBP")
    paid = replace(PAYMENT, amount=Decimal("987.21"), local_amount=None, local_currency="",
                   reference="BT1")  # fmt: skip
    second = replace(paid, transaction_id=11, amount=amount, value_date=date(2026, 11, 20))

    verdict = repeat_verdict(bill, paid, second, OpenInvoices.of([]), POLICY)

    assert (verdict[0] if verdict else None) == score


@pytest.mark.parametrize(
    ("number", "reference", "paid_on", "others", "score"),
    [
        pytest.param("RE 63826", "RE6", date(2026, 11, 20), {}, Decimal(80), id="prefix_cut_short"),
        pytest.param("RE 44354", "Kd-Nr 44812 / RE 4", date(2026, 11, 20), {}, Decimal(80),
                     id="cut_at_the_end_of_words"),
        pytest.param("INV-019006", "INV-01", date(2026, 11, 20), {}, Decimal(80),
                     id="prefix_and_zero_cut_short"),
        pytest.param("RE 63826", "", date(2026, 11, 20), {}, Decimal(70), id="no_reference"),
        pytest.param("RE 63826", "Rechnung", date(2026, 11, 20), {}, Decimal(70),
                     id="only_a_word"),
        pytest.param("RE 63826", "PB8", date(2026, 11, 20), {}, Decimal(70),
                     id="a_fragment_of_no_invoice"),
        pytest.param("RE 63826", "", date(2026, 10, 4), {}, None, id="before_it_was_paid"),
        pytest.param("RE 63826", "", date(2026, 11, 20), {"number": "RE 71002"}, None,
                     id="may_pay_the_open_invoice_of_the_same_amount"),
        pytest.param("RE 63826", "PB8", date(2026, 11, 20), {"number": "PB81202"}, None,
                     id="may_pay_the_open_invoice_it_starts"),
        pytest.param("RE 63826", "INV-076", date(2026, 11, 20),
                     {"number": "INV-076597", "amount": Decimal("250.00")}, None,
                     id="the_start_of_another_open_invoice_of_any_amount"),
        pytest.param("RE 63826", "Order 5531", date(2026, 11, 20), {}, None,
                     id="another_number"),
    ],
)  # fmt: skip
def test_a_reference_that_names_no_document_is_no_evidence_either_way(
    number: str, reference: str, paid_on: date, others: dict[str, Any], score: Decimal | None
) -> None:
    """Too short, only a prefix or a word, a fragment of no invoice, or nothing: the debit
    is judged as if it had no reference — the same amount to the same supplier after the
    invoice was paid is a possible double payment, unless it may pay another open invoice of
    the supplier of that amount. The start of the number, prefix and all, or at the end of
    the text, is weak evidence; another number rules it out."""
    october = replace(OCTOBER, number=number)
    paid = replace(PAYMENT, reference=number)
    second = replace(PAYMENT, transaction_id=11, reference=reference, value_date=paid_on)
    november = replace(OCTOBER, invoice_id=2, issue_date=date(2026, 11, 2), **others)

    verdict = repeat_verdict(
        october, paid, second, OpenInvoices.of([november] if others else []), POLICY
    )

    assert (verdict[0] if verdict else None) == score


@pytest.mark.parametrize(
    ("others", "score"),
    [
        pytest.param([], Decimal(70), id="no_other_open_invoice"),
        pytest.param([{"currency": "EUR", "amount": Decimal("990.00")}], None,
                     id="another_open_invoice_of_exactly_what_it_moved"),
        pytest.param([{"currency": "EUR", "amount": Decimal("990.10")}], Decimal(70),
                     id="another_open_invoice_of_another_amount"),
    ],
)  # fmt: skip
def test_a_converted_repeat_may_pay_another_open_invoice_of_exactly_its_amount(
    others: list[dict[str, Any]], score: Decimal | None
) -> None:
    """A GBP invoice paid with Qonto's local amount; a second EUR debit to the supplier with no
    reference is within the FX tolerance of the first — a possible double payment, unless an
    open EUR invoice of the supplier is exactly what it moved: then it may be that one's."""
    bill = replace(OCTOBER, number="BT-10442", amount=Decimal("840.00"), currency="GBP")
    paid = replace(PAYMENT, amount=Decimal("987.21"), local_amount=Decimal("840.00"),
                   local_currency="GBP", reference="BT-10442")  # fmt: skip
    second = replace(PAYMENT, transaction_id=11, amount=Decimal("990.00"), local_amount=None,
                     local_currency="", reference="", value_date=date(2026, 11, 20))  # fmt: skip
    open_invoices = [
        replace(OCTOBER, invoice_id=2 + i, number=f"INV-{i}", issue_date=date(2026, 11, 2), **o)
        for i, o in enumerate(others)
    ]

    verdict = repeat_verdict(bill, paid, second, OpenInvoices.of(open_invoices), POLICY)

    assert (verdict[0] if verdict else None) == score
