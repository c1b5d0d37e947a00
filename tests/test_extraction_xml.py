"""Embedded Factur-X / ZUGFeRD / XRechnung CII XML: exact values, confidence 1.0, and the
evidence box where the same value is printed."""

from __future__ import annotations

import io
import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import facturx
from pypdf import PdfWriter

from connectors.sandbox.documents import LineItem
from connectors.sandbox.documents import render_invoice
from reconciliation.extraction.engine import extract_document
from reconciliation.extraction.types import INVOICE_FIELDS
from reconciliation.extraction.types import Extraction
from reconciliation.extraction.types import value_to_json
from tests.documents import invoice_spec

FIXTURES = Path(__file__).parent / "fixtures" / "corpus"

CREDIT_NOTE_XML = """<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryInvoice
    xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"
    xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"
    xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100">
  <rsm:ExchangedDocumentContext>
    <ram:GuidelineSpecifiedDocumentContextParameter>
      <ram:ID>urn:cen.eu:en16931:2017</ram:ID>
    </ram:GuidelineSpecifiedDocumentContextParameter>
  </rsm:ExchangedDocumentContext>
  <rsm:ExchangedDocument>
    <ram:ID>AV-2024-007</ram:ID>
    <ram:TypeCode>381</ram:TypeCode>
    <ram:IssueDateTime>
      <udt:DateTimeString format="102">20240314</udt:DateTimeString>
    </ram:IssueDateTime>
  </rsm:ExchangedDocument>
  <rsm:SupplyChainTradeTransaction>
    <ram:ApplicableHeaderTradeAgreement>
      <ram:SellerTradeParty>
        <ram:Name>Boulangerie
          Martin SARL</ram:Name>
        <ram:DefinedTradeContact>
          <ram:EmailURIUniversalCommunication>
            <ram:URIID>compta@martin.fr</ram:URIID>
          </ram:EmailURIUniversalCommunication>
        </ram:DefinedTradeContact>
        <ram:SpecifiedTaxRegistration>
          <ram:ID schemeID="FC">123/456/789</ram:ID>
        </ram:SpecifiedTaxRegistration>
        <ram:SpecifiedTaxRegistration>
          <ram:ID schemeID="VA">FR60421938861</ram:ID>
        </ram:SpecifiedTaxRegistration>
      </ram:SellerTradeParty>
      <ram:BuyerTradeParty><ram:Name>Acme Retail SAS</ram:Name></ram:BuyerTradeParty>
    </ram:ApplicableHeaderTradeAgreement>
    <ram:ApplicableHeaderTradeDelivery/>
    <ram:ApplicableHeaderTradeSettlement>
      <ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>
      <ram:SpecifiedTradeSettlementPaymentMeans>
        <ram:TypeCode>58</ram:TypeCode>
        <ram:PayeePartyCreditorFinancialAccount>
          <ram:IBANID>FR76 3000 6000 0112 3456 7890 189</ram:IBANID>
        </ram:PayeePartyCreditorFinancialAccount>
      </ram:SpecifiedTradeSettlementPaymentMeans>
      <ram:SpecifiedTradePaymentTerms>
        <ram:DueDateDateTime>
          <udt:DateTimeString format="102">20240413</udt:DateTimeString>
        </ram:DueDateDateTime>
      </ram:SpecifiedTradePaymentTerms>
      <ram:SpecifiedTradeSettlementHeaderMonetarySummation>
        <ram:LineTotalAmount>2598.90</ram:LineTotalAmount>
        <ram:TaxBasisTotalAmount>2598.90</ram:TaxBasisTotalAmount>
        <ram:TaxTotalAmount currencyID="USD">999.99</ram:TaxTotalAmount>
        <ram:TaxTotalAmount currencyID="EUR">506.79</ram:TaxTotalAmount>
        <ram:GrandTotalAmount>3105.69</ram:GrandTotalAmount>
        <ram:DuePayableAmount>3105.69</ram:DuePayableAmount>
      </ram:SpecifiedTradeSettlementHeaderMonetarySummation>
    </ram:ApplicableHeaderTradeSettlement>
  </rsm:SupplyChainTradeTransaction>
</rsm:CrossIndustryInvoice>
"""


def truth(name: str) -> dict[str, object]:
    record = json.loads((FIXTURES / f"{name}.json").read_text())
    return {k: v for k, v in record["fields"].items() if v is not None}


def as_json(extraction: Extraction) -> dict[str, object]:
    """The fields read from the XML (the page fills the gaps separately)."""
    return {
        name: value_to_json(name, extraction.fields[name].value)
        for name in INVOICE_FIELDS
        if name in extraction.fields and extraction.fields[name].source == "xml"
    }


def test_zugferd_1_values_are_exact(tmp_path: Path) -> None:
    name = "ZUGFeRDv1__correct__Intarsys__ZUGFeRD_1p0_BASIC_Einfach"
    extraction = extract_document(FIXTURES / f"{name}.pdf")
    assert extraction.source == "xml"
    assert as_json(extraction) == truth(name)
    assert {f.confidence for f in extraction.fields.values() if f.source == "xml"} == {1.0}


def test_fields_the_xml_leaves_out_come_from_the_page() -> None:
    name = "ZUGFeRDv1__correct__Intarsys__ZUGFeRD_1p0_BASIC_Einfach"
    extraction = extract_document(FIXTURES / f"{name}.pdf")
    due = extraction.fields["due_date"]
    assert (due.value, due.source) == (date(2013, 4, 4), "text")
    assert due.confidence < 1.0
    assert {n for n, f in extraction.fields.items() if f.source == "text"} == {"due_date"}


def test_factur_x_values_are_exact() -> None:
    name = "ZUGFeRDv2__fail__FNFE-factur-x-examples__Facture_FR_EN16931"
    extraction = extract_document(FIXTURES / f"{name}.pdf")
    assert as_json(extraction) == truth(name)


def test_xrechnung_values_are_exact() -> None:
    name = "XML-Rechnung__FX__EN16931_OEPNV"
    assert as_json(extract_document(FIXTURES / f"{name}.pdf")) == truth(name)


def test_a_hybrid_file_is_read_from_its_newer_xml() -> None:
    name = "ZUGFeRDv2__fail__MustangRE-20171118_506_ZUGFeRD1and2"
    assert as_json(extract_document(FIXTURES / f"{name}.pdf")) == truth(name)


def test_xml_values_point_at_the_printed_text() -> None:
    extraction = extract_document(
        FIXTURES / "ZUGFeRDv2__fail__FNFE-factur-x-examples__Facture_FR_EN16931.pdf"
    )
    total = extraction.fields["total_amount"]
    assert total.evidence is not None
    assert (total.evidence.page, total.evidence.text) == (1, "Total TTC 671,15 €")
    assert total.evidence.bbox == (522.9, 457.11, 553.43, 467.11)
    iban = extraction.fields["supplier_iban"]
    assert iban.evidence is not None
    assert iban.evidence.text.startswith("IBAN : FR20 1242 1242")


def test_xml_off_reads_the_text_layer() -> None:
    extraction = extract_document(
        FIXTURES / "ZUGFeRDv2__fail__FNFE-factur-x-examples__Facture_FR_EN16931.pdf", use_xml=False
    )
    assert extraction.source == "text"
    assert {f.source for f in extraction.fields.values()} == {"text"}
    assert extraction.value("total_amount") == Decimal("671.15")


def test_generated_factur_x_credit_note(tmp_path: Path) -> None:
    spec = invoice_spec(
        "fr",
        invoice_number="AV-2024-007",
        due_date=None,
        lines=(LineItem("Remboursement", Decimal(1), Decimal("2598.90"), Decimal("19.5")),),
        is_credit_note=True,
    )
    pdf = facturx.generate_from_binary(
        render_invoice(spec).content,
        CREDIT_NOTE_XML.encode(),
        flavor="factur-x",
        level="en16931",
        check_xsd=False,
    )
    path = tmp_path / "avoir.pdf"
    path.write_bytes(pdf)
    extraction = extract_document(path)
    assert (extraction.kind, extraction.source) == ("credit_note", "xml")
    assert {name: f.value for name, f in extraction.fields.items() if f.source == "xml"} == {
        "supplier_name": "Boulangerie Martin SARL",
        "invoice_number": "AV-2024-007",
        "issue_date": date(2024, 3, 14),
        "due_date": date(2024, 4, 13),
        "total_amount": Decimal("3105.69"),
        "tax_amount": Decimal("506.79"),
        "net_amount": Decimal("2598.90"),
        "currency": "EUR",
        "supplier_vat_id": "FR60421938861",
        "supplier_iban": "FR7630006000011234567890189",
        "supplier_domain": "martin.fr",
    }
    assert extract_document(path, use_xml=False).source == "text"


def test_an_attachment_that_is_not_cii_is_ignored(tmp_path: Path) -> None:
    spec = invoice_spec("de", invoice_number="R-1", due_date=None)
    writer = PdfWriter(clone_from=io.BytesIO(render_invoice(spec).content))
    writer.add_attachment(
        "factur-x.xml",
        b'<?xml version="1.0"?>'
        b'<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"/>',
    )
    path = tmp_path / "ubl.pdf"
    with path.open("wb") as handle:
        writer.write(handle)
    extraction = extract_document(path)
    assert extraction.source == "text"
    assert extraction.value("invoice_number") == "R-1"
