"""Embedded e-invoice XML: finding the attachment and reading UN/CEFACT CII.

Covers ZUGFeRD 1.0 (``CrossIndustryDocument``) and ZUGFeRD 2.x / Factur-X / XRechnung-CII
(``CrossIndustryInvoice``). Elements are matched by local name so every namespace version
reads the same way. An attachment that is not CII is tried as UBL 2.1 (XRechnung UBL,
``reconciliation.extraction.ubl``), read into the same `CiiInvoice`.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from datetime import date
from decimal import Decimal
from decimal import InvalidOperation
from typing import TYPE_CHECKING
from typing import Any

if TYPE_CHECKING:
    from lxml.etree import _Element
    from pdfminer.pdfdocument import PDFDocument

MAX_XML_BYTES = 5_000_000
# The attachment names the standards use, best first: when a hybrid file carries both a
# ZUGFeRD 1.0 and a 2.x XML, the newer one is the one the sender maintains.
PREFERRED_NAMES = ("factur-x.xml", "xrechnung.xml", "zugferd-invoice.xml")
CREDIT_NOTE_CODES = frozenset({"381", "261", "262", "396", "532"})


@dataclass
class CiiInvoice:
    fields: dict[str, Any] = field(default_factory=dict)
    type_code: str | None = None
    net_amount: Decimal | None = None
    attachment: str = ""


def embedded_files(doc: PDFDocument, *, max_files: int = 20) -> list[tuple[str, bytes]]:
    """(name, bytes) of the files attached to the document catalog (EmbeddedFiles name tree
    and the PDF/A-3 /AF array), at most ``max_files`` and only small ones."""
    from pdfminer.pdftypes import PDFStream
    from pdfminer.pdftypes import resolve1

    found: dict[str, bytes] = {}
    seen: set[int] = set()

    def add_filespec(name: str, spec: object) -> None:
        spec = resolve1(spec)
        if not isinstance(spec, dict) or len(found) >= max_files:
            return
        ef = resolve1(spec.get("EF"))
        if not isinstance(ef, dict):
            return
        stream = resolve1(ef.get("UF") or ef.get("F"))
        if not isinstance(stream, PDFStream) or id(stream) in seen:
            return
        seen.add(id(stream))
        declared = resolve1(stream.get("Length"))
        if isinstance(declared, int) and declared > MAX_XML_BYTES:
            return
        label = name or _decode_name(resolve1(spec.get("UF") or spec.get("F")))
        if not label.lower().endswith(".xml"):
            return
        data = stream.get_data()
        if len(data) <= MAX_XML_BYTES:
            found.setdefault(label, data)

    def walk(node: object, depth: int) -> None:
        node = resolve1(node)
        if not isinstance(node, dict) or depth > 8:
            return
        names = resolve1(node.get("Names"))
        if isinstance(names, list):
            for i in range(0, len(names) - 1, 2):
                add_filespec(_decode_name(resolve1(names[i])), names[i + 1])
        kids = resolve1(node.get("Kids"))
        if isinstance(kids, list):
            for kid in kids[:100]:
                walk(kid, depth + 1)

    catalog = doc.catalog
    names = resolve1(catalog.get("Names"))
    if isinstance(names, dict):
        walk(names.get("EmbeddedFiles"), 0)
    associated = resolve1(catalog.get("AF"))
    if isinstance(associated, list):
        for spec in associated[:max_files]:
            add_filespec("", spec)
    return list(found.items())


def _decode_name(raw: object) -> str:
    if isinstance(raw, bytes):
        if raw.startswith(b"\xfe\xff"):
            return raw[2:].decode("utf-16-be", "replace")
        return raw.decode("latin-1")
    return str(raw) if raw is not None else ""


def read_embedded_invoice(doc: PDFDocument) -> CiiInvoice | None:
    files = embedded_files(doc)
    ranked = sorted(
        files,
        key=lambda item: (
            PREFERRED_NAMES.index(item[0].lower())
            if item[0].lower() in PREFERRED_NAMES
            else len(PREFERRED_NAMES)
        ),
    )
    from reconciliation.extraction.ubl import parse_ubl

    for name, data in ranked:
        invoice = parse_cii(data) or parse_ubl(data)
        if invoice is not None:
            invoice.attachment = name
            return invoice
    return None


def _local(element: _Element) -> str:
    tag = element.tag
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _child(element: _Element | None, *names: str) -> _Element | None:
    """Follow a path of local names, first match at each step."""
    current = element
    for name in names:
        if current is None:
            return None
        current = next((c for c in current if _local(c) == name), None)
    return current


def _children(element: _Element | None, name: str) -> list[_Element]:
    if element is None:
        return []
    return [c for c in element if _local(c) == name]


def _text(element: _Element | None) -> str | None:
    if element is None or element.text is None:
        return None
    value = " ".join(element.text.split())  # names wrap over lines in some generators
    return value or None


def _date(element: _Element | None) -> date | None:
    holder = _child(element, "DateTimeString")
    if holder is None:
        holder = element
    raw = _text(holder)
    if raw is None:
        return None
    digits = raw.replace("-", "")
    try:
        if len(digits) >= 8 and digits[:8].isdigit():
            return date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        return None
    return None


def _money(elements: list[_Element], currency: str | None) -> Decimal | None:
    """The amount in the invoice currency when several currencies are given."""
    chosen = None
    for element in elements:
        if currency is None or element.get("currencyID") in (None, currency):
            chosen = element
            break
    if chosen is None and elements:
        chosen = elements[0]
    raw = _text(chosen)
    if raw is None:
        return None
    try:
        return Decimal(raw)
    except InvalidOperation:
        return None


def _xml_root(data: bytes) -> _Element | None:
    """The document's root, parsed without entities, network or huge trees; None when the
    bytes are not well-formed XML."""
    from lxml import etree

    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, huge_tree=False, remove_comments=True
    )
    try:
        return etree.fromstring(data, parser=parser)
    except etree.XMLSyntaxError:
        return None


def _either(element: _Element | None, name: str, older: str) -> _Element | None:
    """The child by its CII D16B name, else by its older (D11 / ZUGFeRD 1.0) name."""
    found = _child(element, name)
    return found if found is not None else _child(element, older)


def parse_cii(data: bytes) -> CiiInvoice | None:
    """Read the ten invoice fields from a CII document; None when it is not CII."""
    root = _xml_root(data)
    if root is None or _local(root) not in ("CrossIndustryInvoice", "CrossIndustryDocument"):
        return None
    header = _either(root, "ExchangedDocument", "HeaderExchangedDocument")
    transaction = _either(
        root, "SupplyChainTradeTransaction", "SpecifiedSupplyChainTradeTransaction"
    )
    agreement = _either(
        transaction, "ApplicableHeaderTradeAgreement", "ApplicableSupplyChainTradeAgreement"
    )
    settlement = _either(
        transaction, "ApplicableHeaderTradeSettlement", "ApplicableSupplyChainTradeSettlement"
    )
    summation = _either(
        settlement,
        "SpecifiedTradeSettlementHeaderMonetarySummation",
        "SpecifiedTradeSettlementMonetarySummation",
    )
    seller = _child(agreement, "SellerTradeParty")
    currency = _text(_child(settlement, "InvoiceCurrencyCode"))
    invoice = CiiInvoice(
        type_code=_text(_child(header, "TypeCode")),
        net_amount=_money(_children(summation, "TaxBasisTotalAmount"), currency),
    )
    values: dict[str, Any] = {
        "supplier_name": _text(_child(seller, "Name")),
        "invoice_number": _text(_child(header, "ID")),
        "issue_date": _date(_child(header, "IssueDateTime")),
        "due_date": _cii_due_date(settlement),
        "total_amount": _money(_children(summation, "GrandTotalAmount"), currency),
        "tax_amount": _money(_children(summation, "TaxTotalAmount"), currency),
        "currency": currency.upper() if currency else None,
        "supplier_vat_id": _cii_vat_id(seller),
        "supplier_iban": _cii_iban(settlement),
        "supplier_domain": _seller_domain(seller),
        "net_amount": invoice.net_amount,
    }
    invoice.fields = {name: value for name, value in values.items() if value is not None}
    return invoice


def _cii_due_date(settlement: _Element | None) -> date | None:
    for terms in _children(settlement, "SpecifiedTradePaymentTerms"):
        due = _date(_child(terms, "DueDateDateTime"))
        if due is not None:
            return due
    return None


def _cii_vat_id(seller: _Element | None) -> str | None:
    """The VAT registration (scheme VA), else the fiscal number (FC), spaces removed."""
    registrations: dict[str, str] = {}
    for registration in _children(seller, "SpecifiedTaxRegistration"):
        identifier = _child(registration, "ID")
        number = _text(identifier)
        if identifier is not None and number:
            registrations.setdefault((identifier.get("schemeID") or "").upper(), number)
    vat = registrations.get("VA") or registrations.get("FC")
    return vat.replace(" ", "").upper() if vat else None


def _cii_iban(settlement: _Element | None) -> str | None:
    for means in _children(settlement, "SpecifiedTradeSettlementPaymentMeans"):
        iban = _text(_child(means, "PayeePartyCreditorFinancialAccount", "IBANID"))
        if iban:
            return iban.replace(" ", "").upper()
    return None


def _seller_domain(seller: _Element | None) -> str | None:
    addresses: list[str | None] = []
    for contact in _children(seller, "DefinedTradeContact"):
        addresses.append(_text(_child(contact, "EmailURIUniversalCommunication", "URIID")))
    addresses.append(_text(_child(seller, "URIUniversalCommunication", "URIID")))
    for address in addresses:
        if address and "@" in address:
            host = address.rsplit("@", 1)[1].strip().strip(">").lower()
            if "." in host:
                return host
    return None
