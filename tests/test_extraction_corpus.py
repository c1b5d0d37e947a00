"""Real invoices from the corpus (copied into tests/fixtures/corpus), read from the text layer
only: every field, exactly. The embedded XML of the Factur-X files is switched off here."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciliation.extraction.engine import extract_document
from reconciliation.extraction.types import INVOICE_FIELDS
from reconciliation.extraction.types import value_to_json

FIXTURES = Path(__file__).parent / "fixtures" / "corpus"

EXPECTED = {
    "tests__compare__QualityHosting": {
        # German, two pages, seller in the one-line return address and the footer.
        "supplier_name": "QualityHosting AG",
        "supplier_vat_id": "DE232446240",
        "supplier_iban": "DE30507500940000048567",
        "supplier_domain": "qualityhosting.de",
        "invoice_number": "30064443",
        "issue_date": "2014-05-07",
        "due_date": "2014-05-21",
        "total_amount": "34.73",
        "tax_amount": None,  # printed nowhere: the text cannot say it is zero
        "currency": "EUR",
    },
    "tests__compare__free_fiber": {
        # French, month names, a masked direct-debit IBAN that is the customer's.
        "supplier_name": "Free SAS",
        "supplier_vat_id": "FR60421938861",
        "supplier_iban": None,
        "supplier_domain": "free.fr",
        "invoice_number": "562044387",
        "issue_date": "2015-07-02",
        "due_date": "2015-07-05",
        "total_amount": "29.99",
        "tax_amount": "5.00",
        "currency": "EUR",
    },
    "tests__compare__FlipkartInvoice": {
        # English (India), rupees, a discount line that says "inclusive".
        "supplier_name": "WS Retail Services Pvt. Ltd.",
        "supplier_vat_id": None,
        "supplier_iban": None,
        "supplier_domain": "flipkart.com",
        "invoice_number": "BLR_WFLD20151000982590",
        "issue_date": "2015-10-20",
        "due_date": None,
        "total_amount": "319.00",
        "tax_amount": "40.39",
        "currency": "INR",
    },
    "tests__compare__SammyMaystoneLinesTest": {
        # English (US), "#" number sign, letterhead without a legal form.
        "supplier_name": "Sammy Maystone",
        "supplier_vat_id": None,
        "supplier_iban": None,
        "supplier_domain": "fake.com",
        "invoice_number": "invoice_number_1",
        "issue_date": "2022-01-01",
        "due_date": "2022-01-31",
        "total_amount": "127.50",
        "tax_amount": "0.00",
        "currency": "USD",
    },
    "ZUGFeRDv1__correct__Intarsys__ZUGFeRD_1p0_BASIC_Einfach": {
        # Tax printed only per rate: the two rate lines add up to the total's tax.
        "supplier_name": "Lieferant GmbH",
        "supplier_vat_id": "DE123456789",
        "supplier_iban": "DE08700901001234567890",
        "supplier_domain": None,
        "invoice_number": "471102",
        "issue_date": "2013-03-05",
        "due_date": "2013-04-04",
        "total_amount": "235.62",
        "tax_amount": "37.62",
        "currency": "EUR",
    },
    "ZUGFeRDv2__fail__FNFE-factur-x-examples__Facture_FR_EN16931": {
        # A prepayment makes the amount due (470,15) differ from the total.
        "supplier_name": "Au bon moulin SARL",
        "supplier_vat_id": "FR11999999998",
        "supplier_iban": "FR2012421242124212421242124",
        "supplier_domain": "aubonmoulin.fr",
        "invoice_number": "FA-2017-0010",
        "issue_date": "2017-11-13",
        "due_date": "2017-12-13",
        "total_amount": "671.15",
        "tax_amount": "46.25",
        "currency": "EUR",
    },
    "ZUGFeRDv2__fail__MustangRE-20171118_506_ZUGFeRD1and2": {
        "supplier_name": "Bei Spiel GmbH",
        "supplier_vat_id": "DE136695976",
        "supplier_iban": "DE88200800000970375700",
        "supplier_domain": "localhost.local",
        "invoice_number": "RE-20171118/506",
        "issue_date": "2017-11-18",
        "due_date": "2017-12-09",
        "total_amount": "571.04",
        "tax_amount": "75.04",
        "currency": "EUR",
    },
    "XML-Rechnung__FX__EN16931_OEPNV": {
        # A demo IBAN and VAT id with wrong check digits, trusted because they are labelled.
        "supplier_name": "Verkehrsbetriebe GmbH",
        "supplier_vat_id": "DE123456789",
        "supplier_iban": "DE12123456789012345678",
        "supplier_domain": "verkehrsbetriebe.de",
        "invoice_number": "E2018092011804",
        "issue_date": "2018-09-20",
        "due_date": "2018-10-03",
        "total_amount": "9.00",
        "tax_amount": "0.59",
        "currency": "EUR",
    },
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_text_layer_fields(name: str) -> None:
    extraction = extract_document(FIXTURES / f"{name}.pdf", use_xml=False)
    got = {
        field: value_to_json(field, extraction.fields[field].value)
        if field in extraction.fields
        else None
        for field in INVOICE_FIELDS
    }
    assert got == EXPECTED[name]
    assert extraction.kind == "invoice"


def test_validated_and_labelled_fields_are_confident() -> None:
    extraction = extract_document(FIXTURES / "tests__compare__QualityHosting.pdf", use_xml=False)
    assert extraction.fields["supplier_vat_id"].confidence >= 0.95
    assert extraction.fields["invoice_number"].confidence >= 0.9


def test_words_and_page_sizes_cover_every_page() -> None:
    extraction = extract_document(FIXTURES / "tests__compare__QualityHosting.pdf")
    assert extraction.page_count == 2
    assert extraction.page_sizes == [(595.2757, 841.8899), (595.2757, 841.8899)]
    assert sorted({w.page for w in extraction.words}) == [1, 2]
    first = extraction.words[0]
    assert (first.page, first.text) == (1, "QualityHosting")
