"""A minimal Factur-X BASIC (EN 16931 subset) CII invoice for the vendors that send one.

Written by hand rather than with factur-x's generator: that one stamps the current time into
the PDF, and the demo must be byte-for-byte reproducible. The element order follows the
Factur-X 1.0 BASIC XSD; tests validate the output against it.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from xml.sax.saxutils import escape

from connectors.sandbox.documents.model import InvoiceSpec
from connectors.sandbox.documents.model import LineItem
from connectors.sandbox.documents.model import Party
from connectors.sandbox.documents.model import TaxLine

FACTURX_FILENAME = "factur-x.xml"
BASIC_GUIDELINE = "urn:cen.eu:en16931:2017#compliant#urn:factur-x.eu:1p0:basic"

_NAMESPACES = (
    'xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100" '
    'xmlns:ram="urn:un:unece:uncefact:data:standard:'
    'ReusableAggregateBusinessInformationEntity:100" '
    'xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100"'
)


def _date(value: date) -> str:
    return f'<udt:DateTimeString format="102">{value:%Y%m%d}</udt:DateTimeString>'


def _amount(value: Decimal) -> str:
    # A credit note (type 381) carries positive amounts in CII; the sign lives in the type code.
    return f"{abs(value):.2f}"


def _rate(value: Decimal) -> str:
    return f"{value:.2f}"


def _category(rate: Decimal, reverse_charge: bool) -> str:
    if rate != 0:
        return "S"
    return "AE" if reverse_charge else "Z"


def _party(tag: str, party: Party) -> str:
    parts = [f"<ram:{tag}>", f"<ram:Name>{escape(party.name)}</ram:Name>"]
    parts.append(
        "<ram:PostalTradeAddress>"
        f"<ram:PostcodeCode>{escape(party.postcode)}</ram:PostcodeCode>"
        f"<ram:LineOne>{escape(party.street)}</ram:LineOne>"
        f"<ram:CityName>{escape(party.city)}</ram:CityName>"
        f"<ram:CountryID>{party.country}</ram:CountryID>"
        "</ram:PostalTradeAddress>"
    )
    if party.email:
        parts.append(
            "<ram:URIUniversalCommunication>"
            f'<ram:URIID schemeID="EM">{escape(party.email)}</ram:URIID>'
            "</ram:URIUniversalCommunication>"
        )
    if party.vat_id:
        parts.append(
            "<ram:SpecifiedTaxRegistration>"
            f'<ram:ID schemeID="VA">{party.vat_id}</ram:ID>'
            "</ram:SpecifiedTaxRegistration>"
        )
    parts.append(f"</ram:{tag}>")
    return "".join(parts)


def _line_item(number: int, line: LineItem, reverse_charge: bool) -> str:
    return (
        "<ram:IncludedSupplyChainTradeLineItem>"
        "<ram:AssociatedDocumentLineDocument>"
        f"<ram:LineID>{number}</ram:LineID>"
        "</ram:AssociatedDocumentLineDocument>"
        "<ram:SpecifiedTradeProduct>"
        f"<ram:Name>{escape(line.description)}</ram:Name>"
        "</ram:SpecifiedTradeProduct>"
        "<ram:SpecifiedLineTradeAgreement><ram:NetPriceProductTradePrice>"
        f"<ram:ChargeAmount>{_amount(line.unit_price)}</ram:ChargeAmount>"
        "</ram:NetPriceProductTradePrice></ram:SpecifiedLineTradeAgreement>"
        "<ram:SpecifiedLineTradeDelivery>"
        f'<ram:BilledQuantity unitCode="C62">{abs(line.quantity):.4f}</ram:BilledQuantity>'
        "</ram:SpecifiedLineTradeDelivery>"
        "<ram:SpecifiedLineTradeSettlement>"
        "<ram:ApplicableTradeTax><ram:TypeCode>VAT</ram:TypeCode>"
        f"<ram:CategoryCode>{_category(line.tax_rate, reverse_charge)}</ram:CategoryCode>"
        f"<ram:RateApplicablePercent>{_rate(line.tax_rate)}</ram:RateApplicablePercent>"
        "</ram:ApplicableTradeTax>"
        "<ram:SpecifiedTradeSettlementLineMonetarySummation>"
        f"<ram:LineTotalAmount>{_amount(line.net)}</ram:LineTotalAmount>"
        "</ram:SpecifiedTradeSettlementLineMonetarySummation>"
        "</ram:SpecifiedLineTradeSettlement>"
        "</ram:IncludedSupplyChainTradeLineItem>"
    )


def _trade_tax(tax_line: TaxLine, reverse_charge: bool) -> str:
    exemption = ""
    if tax_line.rate == 0 and reverse_charge:
        exemption = "<ram:ExemptionReason>Reverse charge</ram:ExemptionReason>"
    return (
        "<ram:ApplicableTradeTax>"
        f"<ram:CalculatedAmount>{_amount(tax_line.tax)}</ram:CalculatedAmount>"
        "<ram:TypeCode>VAT</ram:TypeCode>"
        f"{exemption}"
        f"<ram:BasisAmount>{_amount(tax_line.base)}</ram:BasisAmount>"
        f"<ram:CategoryCode>{_category(tax_line.rate, reverse_charge)}</ram:CategoryCode>"
        f"<ram:RateApplicablePercent>{_rate(tax_line.rate)}</ram:RateApplicablePercent>"
        "</ram:ApplicableTradeTax>"
    )


def _header_settlement(spec: InvoiceSpec, reverse_charge: bool) -> str:
    """The ApplicableHeaderTradeSettlement element: reference, currency, IBAN, taxes, due date,
    totals and the credited invoice, in the XSD's order (optional parts left out when unset)."""
    totals = spec.totals()
    payment_reference = ""
    if spec.payment_reference:
        payment_reference = (
            f"<ram:PaymentReference>{escape(spec.payment_reference)}</ram:PaymentReference>"
        )
    payment_means = ""
    if spec.supplier.iban:
        payment_means = (
            "<ram:SpecifiedTradeSettlementPaymentMeans><ram:TypeCode>58</ram:TypeCode>"
            "<ram:PayeePartyCreditorFinancialAccount>"
            f"<ram:IBANID>{spec.supplier.iban}</ram:IBANID>"
            "</ram:PayeePartyCreditorFinancialAccount>"
            "</ram:SpecifiedTradeSettlementPaymentMeans>"
        )
    terms = ""
    if spec.due_date:
        terms = (
            "<ram:SpecifiedTradePaymentTerms><ram:DueDateDateTime>"
            f"{_date(spec.due_date)}"
            "</ram:DueDateDateTime></ram:SpecifiedTradePaymentTerms>"
        )
    document_reference = ""
    if spec.credited_invoice_number:
        document_reference = (
            "<ram:InvoiceReferencedDocument>"
            f"<ram:IssuerAssignedID>{escape(spec.credited_invoice_number)}</ram:IssuerAssignedID>"
            "</ram:InvoiceReferencedDocument>"
        )
    taxes = "".join(_trade_tax(tax_line, reverse_charge) for tax_line in totals.taxes)
    return (
        "<ram:ApplicableHeaderTradeSettlement>"
        f"{payment_reference}"
        f"<ram:InvoiceCurrencyCode>{spec.currency}</ram:InvoiceCurrencyCode>"
        f"{payment_means}"
        f"{taxes}"
        f"{terms}"
        "<ram:SpecifiedTradeSettlementHeaderMonetarySummation>"
        f"<ram:LineTotalAmount>{_amount(totals.net)}</ram:LineTotalAmount>"
        f"<ram:TaxBasisTotalAmount>{_amount(totals.net)}</ram:TaxBasisTotalAmount>"
        f'<ram:TaxTotalAmount currencyID="{spec.currency}">'
        f"{_amount(totals.tax)}</ram:TaxTotalAmount>"
        f"<ram:GrandTotalAmount>{_amount(totals.total)}</ram:GrandTotalAmount>"
        f"<ram:DuePayableAmount>{_amount(totals.total)}</ram:DuePayableAmount>"
        "</ram:SpecifiedTradeSettlementHeaderMonetarySummation>"
        f"{document_reference}"
        "</ram:ApplicableHeaderTradeSettlement>"
    )


def build_cii_xml(spec: InvoiceSpec) -> bytes:
    """The invoice as a Factur-X BASIC CrossIndustryInvoice document (UTF-8 bytes)."""
    reverse_charge = spec.tax_note is not None
    type_code = "381" if spec.is_credit_note else "380"
    lines = "".join(
        _line_item(number, line, reverse_charge) for number, line in enumerate(spec.lines, start=1)
    )
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<rsm:CrossIndustryInvoice {_NAMESPACES}>"
        "<rsm:ExchangedDocumentContext><ram:GuidelineSpecifiedDocumentContextParameter>"
        f"<ram:ID>{BASIC_GUIDELINE}</ram:ID>"
        "</ram:GuidelineSpecifiedDocumentContextParameter></rsm:ExchangedDocumentContext>"
        "<rsm:ExchangedDocument>"
        f"<ram:ID>{escape(spec.invoice_number)}</ram:ID>"
        f"<ram:TypeCode>{type_code}</ram:TypeCode>"
        f"<ram:IssueDateTime>{_date(spec.issue_date)}</ram:IssueDateTime>"
        "</rsm:ExchangedDocument>"
        "<rsm:SupplyChainTradeTransaction>"
        f"{lines}"
        "<ram:ApplicableHeaderTradeAgreement>"
        f"{_party('SellerTradeParty', spec.supplier)}"
        f"{_party('BuyerTradeParty', spec.buyer)}"
        "</ram:ApplicableHeaderTradeAgreement>"
        "<ram:ApplicableHeaderTradeDelivery/>"
        f"{_header_settlement(spec, reverse_charge)}"
        "</rsm:SupplyChainTradeTransaction>"
        "</rsm:CrossIndustryInvoice>\n"
    )
    return xml.encode("utf-8")


def facturx_xmp(spec: InvoiceSpec) -> str:
    """XMP packet body declaring the Factur-X extension schema (PDF/A-3 style metadata)."""
    title = escape(f"{spec.supplier.name}: {spec.invoice_number}")
    return (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/">'
        "<pdfaid:part>3</pdfaid:part><pdfaid:conformance>B</pdfaid:conformance>"
        "</rdf:Description>"
        '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f'<dc:title><rdf:Alt><rdf:li xml:lang="x-default">{title}</rdf:li></rdf:Alt></dc:title>'
        "</rdf:Description>"
        '<rdf:Description rdf:about="" '
        'xmlns:fx="urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#">'
        "<fx:DocumentType>INVOICE</fx:DocumentType>"
        f"<fx:DocumentFileName>{FACTURX_FILENAME}</fx:DocumentFileName>"
        "<fx:Version>1.0</fx:Version><fx:ConformanceLevel>BASIC</fx:ConformanceLevel>"
        "</rdf:Description>"
        "</rdf:RDF></x:xmpmeta>"
    )
