"""UBL 2.1 invoices and credit notes (XRechnung UBL) embedded in a PDF read like CII: exact
values from the XML, the document's kind from its root and type code."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from pathlib import Path

from pypdf import PdfWriter

from connectors.sandbox.documents import render_invoice
from reconciliation.extraction.engine import extract_document
from reconciliation.extraction.ubl import parse_ubl
from tests.documents import invoice_spec

_NAMESPACES = """
    xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
    xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2\""""

# After the OASIS UBL 2.1 example invoice, with XRechnung's customization id.
UBL_INVOICE = f"""<?xml version="1.0" encoding="UTF-8"?>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"{_NAMESPACES}>
  <cbc:UBLVersionID>2.1</cbc:UBLVersionID>
  <cbc:CustomizationID>urn:cen.eu:en16931:2017#compliant#urn:xeinkauf.de:kosit:xrechnung_3.0</cbc:CustomizationID>
  <cbc:ID>RE-2024-0815</cbc:ID>
  <cbc:IssueDate>2024-05-02</cbc:IssueDate>
  <cbc:DueDate>2024-06-01</cbc:DueDate>
  <cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>
  <cbc:Note>Leistungszeitraum April 2024</cbc:Note>
  <cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>
  <cbc:TaxCurrencyCode>USD</cbc:TaxCurrencyCode>
  <cac:AccountingSupplierParty>
    <cac:Party>
      <cbc:EndpointID schemeID="EM">rechnung@kontor-nord.de</cbc:EndpointID>
      <cac:PartyName><cbc:Name>Kontor Nord</cbc:Name></cac:PartyName>
      <cac:PostalAddress>
        <cbc:StreetName>Hafenstraße 12</cbc:StreetName>
        <cbc:CityName>Hamburg</cbc:CityName>
        <cbc:PostalZone>20457</cbc:PostalZone>
        <cac:Country><cbc:IdentificationCode>DE</cbc:IdentificationCode></cac:Country>
      </cac:PostalAddress>
      <cac:PartyTaxScheme>
        <cbc:CompanyID>201/113/40209</cbc:CompanyID>
        <cac:TaxScheme><cbc:ID>FC</cbc:ID></cac:TaxScheme>
      </cac:PartyTaxScheme>
      <cac:PartyTaxScheme>
        <cbc:CompanyID>de 123 456 789</cbc:CompanyID>
        <cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme>
      </cac:PartyTaxScheme>
      <cac:PartyLegalEntity>
        <cbc:RegistrationName>Kontor Nord
          Handels GmbH</cbc:RegistrationName>
      </cac:PartyLegalEntity>
    </cac:Party>
  </cac:AccountingSupplierParty>
  <cac:AccountingCustomerParty>
    <cac:Party>
      <cac:PartyLegalEntity>
        <cbc:RegistrationName>Acme Retail SAS</cbc:RegistrationName>
      </cac:PartyLegalEntity>
      <cac:PartyTaxScheme>
        <cbc:CompanyID>FR60421938861</cbc:CompanyID>
        <cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme>
      </cac:PartyTaxScheme>
    </cac:Party>
  </cac:AccountingCustomerParty>
  <cac:PaymentMeans>
    <cbc:PaymentMeansCode>58</cbc:PaymentMeansCode>
    <cac:PayeeFinancialAccount>
      <cbc:ID>DE89 3704 0044 0532 0130 00</cbc:ID>
    </cac:PayeeFinancialAccount>
  </cac:PaymentMeans>
  <cac:PaymentTerms><cbc:Note>30 Tage netto</cbc:Note></cac:PaymentTerms>
  <cac:TaxTotal>
    <cbc:TaxAmount currencyID="EUR">190.00</cbc:TaxAmount>
    <cac:TaxSubtotal>
      <cbc:TaxableAmount currencyID="EUR">1000.00</cbc:TaxableAmount>
      <cbc:TaxAmount currencyID="EUR">190.00</cbc:TaxAmount>
      <cac:TaxCategory>
        <cbc:ID>S</cbc:ID><cbc:Percent>19</cbc:Percent>
        <cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme>
      </cac:TaxCategory>
    </cac:TaxSubtotal>
  </cac:TaxTotal>
  <cac:TaxTotal><cbc:TaxAmount currencyID="USD">205.20</cbc:TaxAmount></cac:TaxTotal>
  <cac:LegalMonetaryTotal>
    <cbc:LineExtensionAmount currencyID="EUR">1000.00</cbc:LineExtensionAmount>
    <cbc:TaxExclusiveAmount currencyID="EUR">1000.00</cbc:TaxExclusiveAmount>
    <cbc:TaxInclusiveAmount currencyID="EUR">1190.00</cbc:TaxInclusiveAmount>
    <cbc:PrepaidAmount currencyID="EUR">190.00</cbc:PrepaidAmount>
    <cbc:PayableAmount currencyID="EUR">1000.00</cbc:PayableAmount>
  </cac:LegalMonetaryTotal>
  <cac:InvoiceLine>
    <cbc:ID>1</cbc:ID>
    <cbc:InvoicedQuantity unitCode="HUR">10</cbc:InvoicedQuantity>
    <cbc:LineExtensionAmount currencyID="EUR">1000.00</cbc:LineExtensionAmount>
    <cac:Item><cbc:Name>Beratung</cbc:Name></cac:Item>
    <cac:Price><cbc:PriceAmount currencyID="EUR">100.00</cbc:PriceAmount></cac:Price>
  </cac:InvoiceLine>
</Invoice>
"""

# UBL 2.1 credit note: no DueDate at the root (the payment means carry it), CreditNoteLine.
UBL_CREDIT_NOTE = f"""<?xml version="1.0" encoding="UTF-8"?>
<CreditNote xmlns="urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"{_NAMESPACES}>
  <cbc:UBLVersionID>2.1</cbc:UBLVersionID>
  <cbc:ID>GS-77</cbc:ID>
  <cbc:IssueDate>2024-05-20</cbc:IssueDate>
  <cbc:CreditNoteTypeCode>381</cbc:CreditNoteTypeCode>
  <cbc:DocumentCurrencyCode>CHF</cbc:DocumentCurrencyCode>
  <cac:AccountingSupplierParty>
    <cac:Party>
      <cac:PartyName><cbc:Name>Alpenlicht AG</cbc:Name></cac:PartyName>
      <cac:PartyTaxScheme>
        <cbc:CompanyID>CHE-123.456.788 MWST</cbc:CompanyID>
        <cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme>
      </cac:PartyTaxScheme>
      <cac:Contact><cbc:ElectronicMail>billing@alpenlicht.ch</cbc:ElectronicMail></cac:Contact>
    </cac:Party>
  </cac:AccountingSupplierParty>
  <cac:PaymentMeans>
    <cbc:PaymentMeansCode>30</cbc:PaymentMeansCode>
    <cbc:PaymentDueDate>2024-06-19</cbc:PaymentDueDate>
    <cac:PayeeFinancialAccount><cbc:ID>CH9300762011623852957</cbc:ID></cac:PayeeFinancialAccount>
  </cac:PaymentMeans>
  <cac:TaxTotal><cbc:TaxAmount currencyID="CHF">16.20</cbc:TaxAmount></cac:TaxTotal>
  <cac:LegalMonetaryTotal>
    <cbc:TaxExclusiveAmount currencyID="CHF">200.00</cbc:TaxExclusiveAmount>
    <cbc:TaxInclusiveAmount currencyID="CHF">216.20</cbc:TaxInclusiveAmount>
    <cbc:PayableAmount currencyID="CHF">216.20</cbc:PayableAmount>
  </cac:LegalMonetaryTotal>
  <cac:CreditNoteLine>
    <cbc:ID>1</cbc:ID>
    <cbc:CreditedQuantity unitCode="C62">2</cbc:CreditedQuantity>
    <cbc:LineExtensionAmount currencyID="CHF">200.00</cbc:LineExtensionAmount>
    <cac:Item><cbc:Name>Rückgabe Leuchte</cbc:Name></cac:Item>
  </cac:CreditNoteLine>
</CreditNote>
"""


def _pdf_with(tmp_path: Path, name: str, xml: str, *, language: str = "de") -> Path:
    spec = invoice_spec(language, invoice_number="PRINTED-1", due_date=None)
    writer = PdfWriter(clone_from=io.BytesIO(render_invoice(spec).content))
    writer.add_attachment(name, xml.encode())
    path = tmp_path / "ubl.pdf"
    with path.open("wb") as handle:
        writer.write(handle)
    return path


def _xml_fields(path: Path) -> tuple[str, str, dict[str, object]]:
    extraction = extract_document(path)
    values: dict[str, object] = {
        n: f.value for n, f in extraction.fields.items() if f.source == "xml"
    }
    assert {f.confidence for f in extraction.fields.values() if f.source == "xml"} == {1.0}
    return extraction.kind, extraction.source, values


def test_embedded_ubl_invoice_reads_exact_values(tmp_path: Path) -> None:
    path = _pdf_with(tmp_path, "xrechnung.xml", UBL_INVOICE)

    assert _xml_fields(path) == (
        "invoice",
        "xml",
        {
            "supplier_name": "Kontor Nord Handels GmbH",
            "invoice_number": "RE-2024-0815",
            "issue_date": date(2024, 5, 2),
            "due_date": date(2024, 6, 1),
            "total_amount": Decimal("1190.00"),
            "tax_amount": Decimal("190.00"),
            "net_amount": Decimal("1000.00"),
            "currency": "EUR",
            "supplier_vat_id": "DE123456789",
            "supplier_iban": "DE89370400440532013000",
            "supplier_domain": "kontor-nord.de",
        },
    )
    assert extract_document(path, use_xml=False).source == "text"


def test_embedded_ubl_credit_note_is_a_credit_note(tmp_path: Path) -> None:
    path = _pdf_with(tmp_path, "invoice.xml", UBL_CREDIT_NOTE)

    assert _xml_fields(path) == (
        "credit_note",
        "xml",
        {
            "supplier_name": "Alpenlicht AG",
            "invoice_number": "GS-77",
            "issue_date": date(2024, 5, 20),
            "due_date": date(2024, 6, 19),
            "total_amount": Decimal("216.20"),
            "tax_amount": Decimal("16.20"),
            "net_amount": Decimal("200.00"),
            "currency": "CHF",
            "supplier_vat_id": "CHE-123.456.788MWST",
            "supplier_iban": "CH9300762011623852957",
            "supplier_domain": "alpenlicht.ch",
        },
    )


def test_a_credit_note_without_type_code_and_an_empty_ubl() -> None:
    bare = UBL_CREDIT_NOTE.replace("<cbc:CreditNoteTypeCode>381</cbc:CreditNoteTypeCode>", "")
    parsed = parse_ubl(bare.encode())
    assert parsed is not None
    assert parsed.type_code == "381"
    empty = b'<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"/>'
    assert parse_ubl(empty) is None
    assert parse_ubl(b"<Order/>") is None
    assert parse_ubl(b"not xml") is None
