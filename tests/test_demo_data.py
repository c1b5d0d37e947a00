"""The demo paperwork is deterministic, realistic and says exactly what its truth says."""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from dataclasses import replace
from datetime import date
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import facturx
import pdfplumber
import pytest
from lxml import etree
from schwifty import IBAN
from stdnum import iban as stdnum_iban
from stdnum import iso11649
from stdnum.be import ogm_vcs
from stdnum.util import get_cc_module

from connectors.sandbox import demo_data
from connectors.sandbox.documents import BULK_TRANSACTION_KEYS
from connectors.sandbox.documents import INVOICE_FIELDS
from connectors.sandbox.documents import NOISE_TAGS
from connectors.sandbox.documents import PAYMENT_FIELDS
from connectors.sandbox.documents import LineItem
from connectors.sandbox.documents import OtherSpec
from connectors.sandbox.documents import PaymentConfirmationSpec
from connectors.sandbox.documents import RemittanceNoticeSpec
from connectors.sandbox.documents import RenderedDocument
from connectors.sandbox.documents import belgian_structured_reference
from connectors.sandbox.documents import build_demo_scenario
from connectors.sandbox.documents import generate_bulk
from connectors.sandbox.documents import generate_vendor_stream
from connectors.sandbox.documents import render_invoice
from connectors.sandbox.documents import render_other
from connectors.sandbox.documents import render_payment_confirmation
from connectors.sandbox.documents import render_remittance_notice
from connectors.sandbox.documents import rf_reference
from connectors.sandbox.documents.formatting import format_date
from connectors.sandbox.documents.formatting import format_money
from reconciliation.extraction import types as extraction_types
from tests.documents import ALBRECHT
from tests.documents import LUMEN
from tests.documents import albrecht_invoice

# Qonto's documented keys (../shared/reference/qonto.md §4b and §6), kept as data written out from
# the reference, not imported from the code under test, so a dropped key fails here.
DOCUMENTED = json.loads(
    (Path(__file__).resolve().parent / "fixtures" / "qonto_documented_keys.json").read_text("utf-8")
)
DOCUMENTED_TRANSACTION_KEYS = set(DOCUMENTED["transaction"])
DOCUMENTED_BANK_ACCOUNT_KEYS = set(DOCUMENTED["bank_account"])
DOCUMENTED_ORGANIZATION_KEYS = set(DOCUMENTED["organization"])
COUNTERPARTY_KEYS = set(DOCUMENTED["counterparty"])
QONTO_TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")

# Month names as a reader would list them, to parse printed dates independently.
MONTHS = {
    "en": "january february march april may june july august september october november december",
    "fr": "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
    "de": "januar februar märz april mai juni juli august september oktober november dezember",
    "nl": "januari februari maart april mei juni juli augustus september oktober november december",
    "es": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre "
    "diciembre",
    "it": "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre "
    "novembre dicembre",
}

# 1,000.00 at 19 % + 34.56 at 7 % → net 1,034.56, tax 192.42, total 1,226.98 (two rates).
LINES = (
    LineItem("Druck Kataloge", Decimal(4), Decimal("250.00"), Decimal(19)),
    LineItem("Fachbuch", Decimal(1), Decimal("34.56"), Decimal(7)),
)


@pytest.fixture(scope="module")
def scenario() -> demo_data.DemoScenario:
    return build_demo_scenario(7)


def pdf_text(content: bytes) -> str:
    with pdfplumber.open(io.BytesIO(content)) as pdf:
        return "\n".join(page.extract_text() or "" for page in pdf.pages)


def squash(text: str) -> str:
    return " ".join(text.split())


def parse_printed_amount(printed: str) -> Decimal:
    """ "1.234,56 €" / "€1,234.56" / "EUR 1 234,56" / "-193,60 €" → Decimal, whatever the
    language: the last separator followed by exactly two digits is the decimal mark."""
    sign = "-" if "-" in printed else ""
    body = re.sub(r"[^\d.,]", "", printed)
    whole, fraction = body[:-3], body[-2:]
    assert body[-3] in ".,", printed
    return Decimal(f"{sign}{re.sub(r'[^0-9]', '', whole) or '0'}.{fraction}")


def parse_printed_date(printed: str, language: str) -> date:
    text = printed.lower().replace(",", " ").replace(".", " ").replace(" de ", " ")
    numbers = re.findall(r"\d+", text)
    if re.fullmatch(r"\d{4}-\d\d-\d\d", printed):
        return date.fromisoformat(printed)
    if len(numbers) == 3:
        day, month, year = (int(n) for n in numbers)
        return date(year, month, day)
    words = [w for w in re.split(r"\s+", text) if w and not w.isdigit()]
    month = MONTHS[language].split().index(words[0]) + 1
    day, year = int(numbers[0]), int(numbers[1])
    return date(year, month, day)


def test_field_names_match_the_extraction_contract() -> None:
    assert INVOICE_FIELDS == extraction_types.INVOICE_FIELDS
    assert PAYMENT_FIELDS == extraction_types.PAYMENT_FIELDS


def test_demo_data_module_reexports_the_package() -> None:
    assert demo_data.build_demo_scenario is build_demo_scenario
    assert demo_data.generate_bulk is generate_bulk
    assert "render_invoice" in demo_data.__all__


def test_same_seed_gives_the_same_bytes_truth_and_transactions(
    scenario: demo_data.DemoScenario,
) -> None:
    again = build_demo_scenario(7)
    assert [(path, doc.sha256) for path, doc in again.files] == [
        (path, doc.sha256) for path, doc in scenario.files
    ]
    assert [doc.truth for _, doc in again.files] == [doc.truth for _, doc in scenario.files]
    assert again.transactions == scenario.transactions
    assert again.receivables == scenario.receivables
    assert again.expectations == scenario.expectations


def test_another_seed_moves_amounts_and_identifiers(scenario: demo_data.DemoScenario) -> None:
    other = build_demo_scenario(8)
    assert [doc.kind for _, doc in other.files] == [doc.kind for _, doc in scenario.files]
    # Only the newsletter, which holds no amount or identifier, stays the same.
    same = {doc.sha256 for _, doc in other.files} & {doc.sha256 for _, doc in scenario.files}
    assert [doc.kind for _, doc in scenario.files if doc.sha256 in same] == ["other"]
    assert other.organization["bank_accounts"][0]["iban"] != scenario.bank_accounts[0]["iban"]


def test_scenario_holds_each_case_once(scenario: demo_data.DemoScenario) -> None:
    kinds = Counter(doc.kind for _, doc in scenario.files)
    assert kinds == {
        "invoice": 18,
        "credit_note": 1,
        "payment_confirmation": 6,
        "wire_notice": 1,
        "other": 1,
    }
    expect = scenario.expectations
    assert len(expect.duplicates) == 1
    assert len(expect.double_payment_requests) == 1
    assert len(expect.double_payments) == 1
    assert len(expect.credit_notes) == 1
    assert len(expect.near_duplicate_debits) == 1
    assert len(expect.confirmation_matches) == 6
    assert list(expect.abbreviated_references.values()) == ["INV-2026-0042"]
    languages = {doc.language for _, doc in scenario.files if doc.kind == "invoice"}
    assert languages == {"en", "fr", "de", "nl", "es", "it"}
    layouts = {doc.layout for _, doc in scenario.files if doc.kind == "invoice"}
    assert layouts == {"classic", "centered", "seller_right", "din_letter", "saas"}
    currencies = {doc.truth["currency"] for _, doc in scenario.files if doc.kind == "invoice"}
    assert currencies == {"EUR", "USD", "GBP"}
    assert sum(1 for _, doc in scenario.files if doc.extra.get("facturx") == "BASIC") == 3


def test_paths_are_dropbox_month_folders(scenario: demo_data.DemoScenario) -> None:
    paths = [path for path, _ in scenario.files]
    assert len(set(paths)) == len(paths)
    for path, document in scenario.files:
        assert re.fullmatch(r"/Invoices/\d{4}-\d\d/[^/]+\.pdf", path), path
        assert path.endswith("/" + document.filename)


@pytest.mark.parametrize("index", range(26), ids=lambda index: f"file_{index}_case")
def test_rendered_pdf_prints_its_truth(scenario: demo_data.DemoScenario, index: int) -> None:
    _, document = scenario.files[index]
    text = squash(pdf_text(document.content))
    fields = INVOICE_FIELDS if document.kind in {"invoice", "credit_note"} else PAYMENT_FIELDS
    if document.kind == "other":
        assert all(value is None for value in document.truth.values())
        assert document.printed == {}
        return
    assert set(document.truth) == set(fields)
    for name in fields:
        value = document.truth[name]
        if value is None:
            continue
        printed = document.printed[name]
        assert squash(printed) in text, (name, printed)
        if name in {"total_amount", "tax_amount", "amount"}:
            assert parse_printed_amount(printed) == Decimal(value)
        elif name in {"issue_date", "due_date", "execution_date"}:
            assert parse_printed_date(printed, document.language).isoformat() == value
        elif name in {"supplier_vat_id", "supplier_iban", "beneficiary_iban"}:
            assert printed.replace(" ", "") == value
        elif name == "currency":
            assert printed in {value, {"EUR": "€", "USD": "$", "GBP": "£"}[value]}
        else:
            assert printed == value


@pytest.mark.parametrize(
    ("language", "layout", "money_style", "date_style", "total", "tax", "issued"),
    [
        ("de", "din_letter", "symbol", "numeric", "1.226,98 €", "192,42 €", "05.03.2026"),
        ("fr", "classic", "symbol", "long", "1 226,98 €", "192,42 €", "5 mars 2026"),
        ("en", "saas", "symbol", "long", "€1,226.98", "€192.42", "5 March 2026"),
        ("en", "seller_right", "code", "us_long", "EUR 1,226.98", "EUR 192.42", "March 5, 2026"),
        ("nl", "seller_right", "symbol", "numeric", "€ 1.226,98", "€ 192,42", "05-03-2026"),
        ("es", "centered", "code", "long", "1.226,98 EUR", "192,42 EUR", "5 de marzo de 2026"),
        ("it", "centered", "symbol", "numeric", "€ 1.226,98", "€ 192,42", "05/03/2026"),
        ("fr", "classic", "code", "numeric", "1 226,98 EUR", "192,42 EUR", "05/03/2026"),
    ],
    ids=lambda value: str(value),
)
def test_invoice_prints_local_number_and_date_formats(
    language: str,
    layout: Any,
    money_style: Any,
    date_style: Any,
    total: str,
    tax: str,
    issued: str,
) -> None:
    spec = albrecht_invoice(
        LINES,
        language=language,
        layout=layout,
        money_style=money_style,
        date_style=date_style,
    )
    document = render_invoice(spec)
    text = squash(pdf_text(document.content))
    assert total in text
    assert tax in text
    assert issued in text
    assert "DE89 3704 0044 0532 0130 00" in text
    assert "RE-2026-0815" in text
    assert "druckerei-albrecht.de" in text
    assert document.truth == {
        "supplier_name": "Druckerei Albrecht GmbH",
        "supplier_vat_id": "DE136695976",
        "supplier_iban": "DE89370400440532013000",
        "supplier_domain": "druckerei-albrecht.de",
        "invoice_number": "RE-2026-0815",
        "issue_date": "2026-03-05",
        "due_date": "2026-04-04",
        "total_amount": "1226.98",
        "tax_amount": "192.42",
        "currency": "EUR",
    }
    assert document.extra["net_amount"] == "1034.56"


def test_money_and_date_formatters_follow_each_locale() -> None:
    amount = Decimal("1234.56")
    assert format_money(amount, "EUR", "de", "symbol") == "1.234,56 €"
    assert format_money(amount, "EUR", "en", "symbol") == "€1,234.56"
    assert format_money(amount, "EUR", "fr", "code") == "1 234,56 EUR"
    assert format_money(amount, "GBP", "en", "symbol") == "£1,234.56"
    assert format_money(amount, "USD", "en", "code") == "USD 1,234.56"
    assert format_money(-amount, "EUR", "es", "symbol") == "-1.234,56 €"
    day = date(2024, 3, 5)
    assert format_date(day, "de", "numeric") == "05.03.2024"
    assert format_date(day, "en", "long") == "5 March 2024"
    assert format_date(day, "fr", "long") == "5 mars 2024"
    assert format_date(day, "de", "long") == "5. März 2024"
    assert format_date(day, "nl", "long") == "5 maart 2024"
    assert format_date(day, "it", "long") == "5 marzo 2024"
    assert format_date(day, "en", "us_long") == "March 5, 2024"


def _ibans_and_vat_ids(scenario: demo_data.DemoScenario) -> tuple[set[str], set[str]]:
    ibans: set[str] = set()
    vat_ids: set[str] = set()
    for _, document in scenario.files:
        for name in ("supplier_iban", "beneficiary_iban"):
            if document.truth.get(name):
                ibans.add(str(document.truth[name]))
        if document.truth.get("supplier_vat_id"):
            vat_ids.add(str(document.truth["supplier_vat_id"]))
    for transaction in scenario.transactions:
        for key in ("transfer", "income", "direct_debit"):
            if transaction[key] and transaction[key]["counterparty_account_number"]:
                ibans.add(transaction[key]["counterparty_account_number"])
    ibans |= {row["customer_iban"] for row in scenario.receivables}
    ibans |= {account["iban"] for account in scenario.bank_accounts}
    return ibans, vat_ids


def test_every_iban_and_vat_id_has_valid_checksums(scenario: demo_data.DemoScenario) -> None:
    ibans, vat_ids = _ibans_and_vat_ids(scenario)
    assert len(ibans) >= 20
    assert {iban[:2] for iban in ibans} >= {"FR", "DE", "NL", "ES", "IT", "GB", "BE"}
    for iban in ibans:
        assert stdnum_iban.is_valid(iban), iban
        assert str(IBAN(iban, validate_bban=True)) == iban
    assert {vat_id[:2] for vat_id in vat_ids} == {"FR", "DE", "NL", "ES", "IT", "GB"}
    for vat_id in vat_ids:
        module = get_cc_module(vat_id[:2].lower(), "vat")
        assert module is not None
        assert module.is_valid(vat_id), vat_id
    assert scenario.bank_accounts[0]["iban"][4:9] == "16958"  # Qonto's bank code
    assert scenario.bank_accounts[0]["bic"] == "QNTOFRP1XXX"


def test_facturx_xml_is_embedded_valid_and_agrees_with_the_truth(
    scenario: demo_data.DemoScenario,
) -> None:
    embedded = [doc for _, doc in scenario.files if doc.extra.get("facturx")]
    assert len(embedded) == 3
    namespaces = {
        "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
        "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
        "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
    }
    for document in embedded:
        name, xml = facturx.get_xml_from_pdf(document.content, check_xsd=True)
        assert name == "factur-x.xml"
        tree = etree.fromstring(xml)
        assert facturx.get_level(tree) == "basic"

        def first(path: str, tree: Any = tree) -> str:
            return str(tree.xpath(path, namespaces=namespaces)[0].text)

        assert first("//rsm:ExchangedDocument/ram:ID") == document.truth["invoice_number"]
        assert first("//ram:GrandTotalAmount") == document.truth["total_amount"]
        assert first("//ram:TaxTotalAmount") == document.truth["tax_amount"]
        assert first("//ram:SellerTradeParty/ram:Name") == document.truth["supplier_name"]
        assert first("//ram:IBANID") == document.truth["supplier_iban"]
        issued = str(document.truth["issue_date"]).replace("-", "")
        assert first("//ram:IssueDateTime/udt:DateTimeString") == issued


def test_invoices_without_facturx_embed_no_xml(scenario: demo_data.DemoScenario) -> None:
    plain = next(doc for _, doc in scenario.files if doc.layout == "din_letter")
    assert facturx.get_xml_from_pdf(plain.content, check_xsd=False) == (False, False)


def test_transactions_carry_every_documented_key(scenario: demo_data.DemoScenario) -> None:
    assert len(scenario.transactions) == 43
    for transaction in scenario.transactions:
        assert set(transaction) == DOCUMENTED_TRANSACTION_KEYS
        assert UUID.match(transaction["id"])
        assert transaction["amount_cents"] == round(transaction["amount"] * 100)
        assert transaction["local_amount_cents"] == round(transaction["local_amount"] * 100)
        assert transaction["currency"] == "EUR"
        assert transaction["side"] in {"credit", "debit"}
        for key in ("emitted_at", "created_at", "updated_at"):
            assert QONTO_TIMESTAMP.match(transaction[key])
        if transaction["status"] == "completed":
            assert QONTO_TIMESTAMP.match(transaction["settled_at"])
            assert isinstance(transaction["settled_balance_cents"], int)
        else:
            assert transaction["settled_at"] is None
            assert transaction["settled_balance"] is None
        for key in ("transfer", "income", "direct_debit"):
            if transaction[key] is not None:
                assert set(transaction[key]) == COUNTERPARTY_KEYS
    statuses = Counter(t["status"] for t in scenario.transactions)
    assert statuses == {"completed": 41, "pending": 1, "declined": 1}
    operations = {t["operation_type"] for t in scenario.transactions}
    assert operations == {"transfer", "income", "card", "direct_debit", "qonto_fee"}
    foreign = {t["local_currency"] for t in scenario.transactions} - {"EUR"}
    assert foreign == {"USD", "GBP"}


def test_bank_accounts_and_organization_follow_the_reference(
    scenario: demo_data.DemoScenario,
) -> None:
    assert set(scenario.organization) == DOCUMENTED_ORGANIZATION_KEYS
    assert scenario.organization["bank_accounts"] == scenario.bank_accounts
    for account in scenario.bank_accounts:
        assert set(account) == DOCUMENTED_BANK_ACCOUNT_KEYS
    main = scenario.bank_accounts[0]
    settled = [t for t in scenario.transactions if t["status"] == "completed"]
    last = max(settled, key=lambda t: (t["settled_at"], t["id"]))
    assert main["balance_cents"] == last["settled_balance_cents"]
    pending = sum(t["amount_cents"] for t in scenario.transactions if t["status"] == "pending")
    assert main["authorized_balance_cents"] == main["balance_cents"] - pending
    assert all(t["bank_account_id"] == main["id"] for t in scenario.transactions)


def test_expectations_name_existing_files_and_transactions(
    scenario: demo_data.DemoScenario,
) -> None:
    paths = {path for path, _ in scenario.files}
    transactions = {t["id"]: t for t in scenario.transactions}
    expect = scenario.expectations
    for path, transaction_id in expect.confirmation_matches.items():
        document = scenario.file(path)
        transaction = transactions[transaction_id]
        assert document.kind == "payment_confirmation"
        assert transaction["side"] == "debit"
        assert transaction["local_currency"] == document.truth["currency"]
        assert Decimal(str(transaction["local_amount"])) == Decimal(str(document.truth["amount"]))
        assert transaction["reference"] == document.truth["reference"]
        assert transaction["emitted_at"][:10] == document.truth["execution_date"]
    for path, transaction_id in expect.invoice_payments.items():
        assert path in paths
        assert transactions[transaction_id]["side"] == "debit"
    references = {row["reference"] for row in scenario.receivables}
    for transaction_id, reference in expect.receivable_payments.items():
        assert transactions[transaction_id]["side"] == "credit"
        assert reference in references
    for decoy, real in expect.near_duplicate_debits.items():
        assert transactions[decoy]["amount_cents"] == transactions[real]["amount_cents"]
        assert transactions[decoy]["label"] != transactions[real]["label"]


def test_forwarded_copy_is_the_same_invoice_in_other_bytes(
    scenario: demo_data.DemoScenario,
) -> None:
    ((copy_path, original_path),) = scenario.expectations.duplicates.items()
    copy, original = scenario.file(copy_path), scenario.file(original_path)
    assert copy.filename == f"Fwd_{original.filename}"
    assert copy.truth == original.truth
    assert copy.sha256 != original.sha256
    assert "Forwarded message" in pdf_text(copy.content)


def test_reminder_requests_an_invoice_already_paid(scenario: demo_data.DemoScenario) -> None:
    ((reminder_path, paid_path),) = scenario.expectations.double_payment_requests.items()
    reminder, paid = scenario.file(reminder_path), scenario.file(paid_path)
    assert reminder.kind == "invoice"
    assert reminder.truth == paid.truth
    assert paid_path in scenario.expectations.invoice_payments
    assert "Sollecito di pagamento" in pdf_text(reminder.content)


def test_a_rerun_payment_batch_pays_an_invoice_twice(scenario: demo_data.DemoScenario) -> None:
    ((second_id, path),) = scenario.expectations.double_payments.items()
    invoice = scenario.file(path)
    transactions = {t["id"]: t for t in scenario.transactions}
    first, second = (
        transactions[scenario.expectations.invoice_payments[path]],
        transactions[second_id],
    )
    assert invoice.kind == "invoice"
    for debit in (first, second):
        assert debit["side"] == "debit"
        assert debit["status"] == "completed"
        assert debit["operation_type"] == "transfer"
        assert Decimal(str(debit["amount"])) == Decimal(invoice.truth["total_amount"] or "")
        assert debit["reference"] == invoice.truth["invoice_number"]
        assert debit["transfer"]["counterparty_account_number"] == invoice.truth["supplier_iban"]
    days = (
        date.fromisoformat(second["emitted_at"][:10]) - date.fromisoformat(first["emitted_at"][:10])
    ).days
    assert 2 <= days <= 7
    assert (invoice.truth["issue_date"] or "") < first["emitted_at"][:10]
    # No other paperwork explains the second debit, and no other invoice has its total.
    assert second_id not in scenario.expectations.invoice_payments.values()
    assert second_id not in scenario.expectations.confirmation_matches.values()
    totals = [d.truth["total_amount"] for _, d in scenario.files if d.kind == "invoice"]
    assert totals.count(invoice.truth["total_amount"]) == 1


def test_reference_rates_cover_every_foreign_invoice_ecb_style(
    scenario: demo_data.DemoScenario,
) -> None:
    rates = demo_data.demo_reference_rates(scenario)
    assert rates == demo_data.demo_reference_rates(build_demo_scenario(7))
    assert {(r.base_currency, r.quote_currency) for r in rates} == {("EUR", "USD"), ("EUR", "GBP")}
    assert all(r.rate_date.weekday() < 5 and r.rate_date <= scenario.anchor for r in rates)
    assert all(Decimal("1.0") < r.rate < Decimal("1.2") for r in rates if r.quote_currency == "USD")
    assert all(Decimal("0.8") < r.rate < Decimal("0.9") for r in rates if r.quote_currency == "GBP")
    history = demo_data.build_demo_history(scenario)
    documents = [d for _, d in scenario.files] + [i.document for i in history.invoices]
    foreign = [d.truth for d in documents if d.kind == "invoice" and d.truth["currency"] != "EUR"]
    assert {truth["currency"] for truth in foreign} == {"USD", "GBP"}
    by_quote: dict[str, list[date]] = {}
    for rate in rates:
        by_quote.setdefault(rate.quote_currency, []).append(rate.rate_date)
    for truth in foreign:
        issued = date.fromisoformat(truth["issue_date"] or "")
        nearest = min(abs((day - issued).days) for day in by_quote[truth["currency"] or ""])
        assert nearest <= 3
    # On a day the account converted, the reference rate is the bank's plus its spread.
    for transaction in scenario.transactions:
        if transaction["local_currency"] == "EUR" or transaction["status"] != "completed":
            continue
        day = date.fromisoformat(transaction["emitted_at"][:10])
        day -= timedelta(days=max(0, day.weekday() - 4))  # a weekend's: Friday's rate
        (reference,) = [
            r.rate
            for r in rates
            if r.rate_date == day and r.quote_currency == transaction["local_currency"]
        ]
        bank = Decimal(str(transaction["local_amount"])) / Decimal(str(transaction["amount"]))
        assert bank < reference < bank * Decimal("1.006")


def test_credit_note_is_negative_and_refers_to_its_invoice(
    scenario: demo_data.DemoScenario,
) -> None:
    ((credit_path, invoice_path),) = scenario.expectations.credit_notes.items()
    credit, invoice = scenario.file(credit_path), scenario.file(invoice_path)
    assert credit.kind == "credit_note"
    assert Decimal(str(credit.truth["total_amount"])) < 0
    assert credit.extra["credited_invoice_number"] == invoice.truth["invoice_number"]
    assert f"Rectifica la factura {invoice.truth['invoice_number']}" in pdf_text(credit.content)
    (refund_id,) = scenario.expectations.refunds
    refund = next(t for t in scenario.transactions if t["id"] == refund_id)
    assert refund["side"] == "credit"
    assert Decimal(str(refund["amount"])) == -Decimal(str(credit.truth["total_amount"]))


def test_inbound_wire_carries_an_abbreviated_reference(
    scenario: demo_data.DemoScenario,
) -> None:
    ((credit_id, reference),) = scenario.expectations.abbreviated_references.items()
    credit = next(t for t in scenario.transactions if t["id"] == credit_id)
    receivable = next(r for r in scenario.receivables if r["reference"] == reference)
    assert credit["reference"] == "inv 42"
    assert Decimal(str(credit["amount"])) == Decimal(receivable["amount"])
    assert credit["income"]["counterparty_account_number"] == receivable["customer_iban"]
    (notice,) = [doc for _, doc in scenario.files if doc.kind == "wire_notice"]
    assert notice.truth["reference"] == "inv 42"
    assert notice.truth["beneficiary_iban"] == scenario.bank_accounts[0]["iban"]
    assert "INV-2026-0042" not in pdf_text(notice.content)


def test_structured_references_have_valid_check_digits(
    scenario: demo_data.DemoScenario,
) -> None:
    assert rf_reference("539007547034") == "RF18539007547034"
    assert rf_reference("INV20260044") == "RF19INV20260044"
    assert belgian_structured_reference(108068171) == "+++010/8068/17183+++"
    assert belgian_structured_reference(97) == "+++000/0000/09797+++"
    credits = [t["reference"] for t in scenario.transactions if t["side"] == "credit"]
    rf = [ref for ref in credits if ref and ref.startswith("RF")]
    assert rf == ["RF19INV20260044"]
    assert iso11649.is_valid(rf[0])
    structured = [row["reference"] for row in scenario.receivables if "+++" in row["reference"]]
    assert len(structured) == 1
    assert ogm_vcs.is_valid(structured[0])
    digits = structured[0].strip("+").replace("/", "")
    assert digits in credits


def test_receivables_csv_round_trips(scenario: demo_data.DemoScenario) -> None:
    text = scenario.receivables_csv()
    assert text.splitlines()[0] == (
        "reference,customer_name,customer_iban,amount,currency,issue_date,due_date"
    )
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows == scenario.receivables
    assert len(rows) == 6
    assert [row["reference"] for row in rows][:2] == ["INV-2026-0041", "INV-2026-0042"]
    for row in rows:
        assert Decimal(row["amount"]) > 0
        assert date.fromisoformat(row["issue_date"]) < date.fromisoformat(row["due_date"])


def test_foreign_currency_confirmation_shows_source_and_converted_amounts() -> None:
    payer = replace(LUMEN, vat_id=None, iban="FR7616958000016631011843232")
    document = render_payment_confirmation(
        PaymentConfirmationSpec(
            payer=payer,
            beneficiary=ALBRECHT,
            amount=Decimal("2232.00"),
            currency="GBP",
            execution_date=date(2026, 10, 28),
            reference="BL-INV-2209",
            transfer_id="SWF-0000000001",
            language="de",
            debited_amount=Decimal("2527.46"),
            exchange_rate=Decimal("0.8831"),
            fee=Decimal("5.00"),
        )
    )
    text = squash(pdf_text(document.content))
    assert "Überweisungsbestätigung" in text
    assert "2.232,00 £" in text
    assert "2.527,46 €" in text
    assert "1 EUR = 0,8831 GBP" in text
    assert "28.10.2026" in text
    assert document.truth == {
        "amount": "2232.00",
        "currency": "GBP",
        "execution_date": "2026-10-28",
        "beneficiary_name": "Druckerei Albrecht GmbH",
        "beneficiary_iban": "DE89370400440532013000",
        "reference": "BL-INV-2209",
    }
    assert document.extra["debited_amount"] == "2527.46"


def test_remittance_notice_names_us_as_beneficiary() -> None:
    document = render_remittance_notice(
        RemittanceNoticeSpec(
            payer=ALBRECHT,
            beneficiary=LUMEN,
            amount=Decimal("3180.00"),
            currency="EUR",
            execution_date=date(2026, 11, 21),
            reference="inv 42",
            language="en",
            invoices_paid=("42",),
        )
    )
    text = squash(pdf_text(document.content))
    assert document.kind == "wire_notice"
    assert "Remittance advice" in text
    assert "€3,180.00" in text
    assert "inv 42" in text
    assert document.truth["beneficiary_name"] == "Atelier Lumen SAS"
    assert document.truth["beneficiary_iban"] is None


@pytest.mark.parametrize(
    ("kind", "language", "title"),
    [
        ("newsletter", "fr", "Lettre d'information"),
        ("contract", "fr", "CONTRAT DE PRESTATION DE SERVICES"),
        ("contract", "de", "DIENSTLEISTUNGSVERTRAG"),
        ("newsletter", "it", "Newsletter"),
    ],
)
def test_other_documents_have_no_invoice_truth(kind: Any, language: str, title: str) -> None:
    document = render_other(
        OtherSpec(
            kind=kind,
            sender=ALBRECHT,
            recipient=LUMEN,
            issue_date=date(2026, 11, 2),
            language=language,
        )
    )
    assert document.kind == "other"
    assert document.truth == dict.fromkeys(INVOICE_FIELDS)
    assert title in pdf_text(document.content)


def test_vendor_stream_keeps_its_layout_and_moves_its_values() -> None:
    documents = list(generate_vendor_stream(11, 6))
    assert len(documents) == 6
    assert len({doc.layout for doc in documents}) == 1
    assert len({doc.language for doc in documents}) == 1
    assert len({doc.truth["supplier_name"] for doc in documents}) == 1
    assert len({doc.truth["supplier_iban"] for doc in documents}) == 1
    assert len({doc.truth["invoice_number"] for doc in documents}) == 6
    assert len({doc.truth["total_amount"] for doc in documents}) >= 5
    issued = [str(doc.truth["issue_date"]) for doc in documents]
    assert issued == sorted(issued)
    for document in documents:
        text = squash(pdf_text(document.content))
        for name, printed in document.printed.items():
            assert squash(printed) in text, (name, printed)


def test_vendor_stream_is_deterministic_and_prefix_stable() -> None:
    longer = [doc.sha256 for doc in generate_vendor_stream(23, 5)]
    shorter = [doc.sha256 for doc in generate_vendor_stream(23, 3)]
    assert shorter == longer[:3]
    assert [doc.sha256 for doc in generate_vendor_stream(23, 5)] == longer


def test_vendor_stream_jitter_moves_the_words() -> None:
    def first_word_positions(seed: int, jitter: bool) -> set[tuple[float, float]]:
        positions = set()
        for document in generate_vendor_stream(seed, 4, layout_jitter=jitter):
            with pdfplumber.open(io.BytesIO(document.content)) as pdf:
                word = pdf.pages[0].extract_words()[0]
            positions.add((round(word["x0"], 1), round(word["top"], 1)))
        return positions

    assert len(first_word_positions(5, jitter=True)) == 4
    assert len(first_word_positions(5, jitter=False)) == 1


def _check_bulk(n_documents: int, n_transactions: int, seed: int) -> None:
    bulk = generate_bulk(n_documents, n_transactions, seed)
    documents = list(bulk.documents())
    assert len(documents) == n_documents
    expected = {d["truth_transaction_id"]: d for d in documents if d["truth_transaction_id"]}
    seen = 0
    found: dict[str, dict[str, Any]] = {}
    for transaction in bulk.transactions():
        seen += 1
        if transaction["id"] in expected:
            found[transaction["id"]] = transaction
    assert seen == n_transactions
    assert found.keys() == expected.keys()
    for transaction_id, document in expected.items():
        transaction = found[transaction_id]
        tags = set(document["noise"])
        assert transaction["side"] == ("credit" if document["kind"] == "receivable" else "debit")
        if document["currency"] != "EUR":
            assert transaction["local_currency"] == document["currency"]
            assert transaction["local_amount_cents"] == int(Decimal(document["amount"]) * 100)
        elif not tags & {"inbound_fee", "partial_payment"}:
            assert transaction["amount_cents"] == int(Decimal(document["amount"]) * 100)


def test_bulk_documents_and_transactions_agree() -> None:
    _check_bulk(300, 30_000, seed=3)


def test_bulk_streams_are_deterministic_and_well_formed() -> None:
    bulk = generate_bulk(200, 5_000, seed=9)
    assert list(bulk.documents()) == list(bulk.documents())
    first = list(bulk.transactions())
    assert first == list(bulk.transactions())
    assert len({t["id"] for t in first}) == 5_000
    assert all(set(t) == set(BULK_TRANSACTION_KEYS) for t in first)
    full = next(iter(bulk.transactions(qonto_shape=True)))
    assert set(full) == DOCUMENTED_TRANSACTION_KEYS
    tags = Counter(tag for d in bulk.documents() for tag in d["noise"])
    assert set(tags) <= set(NOISE_TAGS)
    assert {"fx", "truncated_reference", "near_duplicate_same_counterparty"} <= set(tags)
    assert list(bulk.truth()) == [(d["id"], d["truth_transaction_id"]) for d in bulk.documents()]


def test_bulk_refuses_fewer_transactions_than_documents() -> None:
    with pytest.raises(ValueError, match="no fewer transactions than documents"):
        generate_bulk(10, 5, seed=1)


@pytest.mark.slow
def test_bulk_yields_the_benchmark_counts() -> None:
    bulk = generate_bulk(10_000, 1_000_000, seed=0)
    assert sum(1 for _ in bulk.documents()) == 10_000
    assert sum(1 for _ in bulk.transactions()) == 1_000_000


def test_rendered_document_hash_is_of_its_bytes() -> None:
    document = RenderedDocument(
        filename="a.pdf", content=b"%PDF-1.4", kind="other", truth={}, language="en", layout="x"
    )
    assert document.sha256 == "e16fa5d9b51928755db85b917f0297babaf22c7a47e97d9212adab56e61ba04e"
