"""Embedded e-invoice XML in OASIS UBL 2.1 (``Invoice`` and ``CreditNote`` roots), which is also
XRechnung's UBL syntax and Peppol BIS Billing 3.0.

Read into the same `CiiInvoice` as CII (same fields, same exact values, same kind decision by
type code), with the same element helpers: elements matched by local name, amounts in the
document currency when several are given. Field mapping (EN 16931 business terms):

    supplier_name    AccountingSupplierParty/Party/PartyLegalEntity/RegistrationName (BT-27),
                     else PartyName/Name (BT-28)
    supplier_vat_id  PartyTaxScheme/CompanyID whose TaxScheme/ID is VAT (BT-31), else any
    supplier_iban    PaymentMeans/PayeeFinancialAccount/ID (BT-84)
    supplier_domain  Party/Contact/ElectronicMail, else an e-mail EndpointID
    invoice_number   ID (BT-1); issue_date IssueDate (BT-2)
    due_date         DueDate (BT-9), else PaymentMeans/PaymentDueDate (UBL 2.1 credit notes)
    total_amount     LegalMonetaryTotal/TaxInclusiveAmount (BT-112), else PayableAmount
    net_amount       LegalMonetaryTotal/TaxExclusiveAmount (BT-109)
    tax_amount       TaxTotal/TaxAmount in the document currency (BT-110)
    currency         DocumentCurrencyCode (BT-5)
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from typing import Any

from reconciliation.extraction.cii import CiiInvoice
from reconciliation.extraction.cii import _child
from reconciliation.extraction.cii import _children
from reconciliation.extraction.cii import _date
from reconciliation.extraction.cii import _local
from reconciliation.extraction.cii import _money
from reconciliation.extraction.cii import _text
from reconciliation.extraction.cii import _xml_root

if TYPE_CHECKING:
    from lxml.etree import _Element

UBL_ROOTS = {"Invoice": "InvoiceTypeCode", "CreditNote": "CreditNoteTypeCode"}
#: A credit note without a type code is still one (UNTDID 1001 code 381).
CREDIT_NOTE_DEFAULT = "381"


def parse_ubl(data: bytes) -> CiiInvoice | None:
    """Read the invoice fields from a UBL Invoice or CreditNote; None when it is not UBL or
    carries none of them."""
    root = _xml_root(data)
    if root is None or _local(root) not in UBL_ROOTS:
        return None
    kind = _local(root)
    type_code = _text(_child(root, UBL_ROOTS[kind]))
    if type_code is None and kind == "CreditNote":
        type_code = CREDIT_NOTE_DEFAULT
    currency = _text(_child(root, "DocumentCurrencyCode"))
    currency = currency.upper() if currency else None
    party = _child(root, "AccountingSupplierParty", "Party")
    totals = _child(root, "LegalMonetaryTotal")
    values: dict[str, Any] = {
        "supplier_name": _text(_child(party, "PartyLegalEntity", "RegistrationName"))
        or _text(_child(party, "PartyName", "Name")),
        "invoice_number": _text(_child(root, "ID")),
        "issue_date": _date(_child(root, "IssueDate")),
        "due_date": _due_date(root),
        "total_amount": _total(totals, currency),
        "net_amount": _money(_children(totals, "TaxExclusiveAmount"), currency),
        "tax_amount": _tax(root, currency),
        "currency": currency,
        "supplier_vat_id": _vat_id(party),
        "supplier_iban": _iban(root),
        "supplier_domain": _domain(party),
    }
    fields = {name: value for name, value in values.items() if value is not None}
    if not fields:
        return None
    return CiiInvoice(fields=fields, type_code=type_code, net_amount=values["net_amount"])


def _total(totals: _Element | None, currency: str | None) -> Any:
    total = _money(_children(totals, "TaxInclusiveAmount"), currency)
    return total if total is not None else _money(_children(totals, "PayableAmount"), currency)


def _due_date(root: _Element) -> Any:
    due = _date(_child(root, "DueDate"))
    if due is not None:
        return due
    for means in _children(root, "PaymentMeans"):
        due = _date(_child(means, "PaymentDueDate"))
        if due is not None:
            return due
    return None


def _tax(root: _Element, currency: str | None) -> Any:
    """The tax total in the document currency (a second TaxTotal may give it in the tax
    currency)."""
    amounts = [a for total in _children(root, "TaxTotal") for a in _children(total, "TaxAmount")]
    return _money(amounts, currency)


def _vat_id(party: _Element | None) -> str | None:
    schemes: dict[str, str] = {}
    for scheme in _children(party, "PartyTaxScheme"):
        number = _text(_child(scheme, "CompanyID"))
        if number:
            kind = (_text(_child(scheme, "TaxScheme", "ID")) or "").upper()
            schemes.setdefault(kind, number)
    vat = schemes.get("VAT") or next(iter(schemes.values()), None)
    return vat.replace(" ", "").upper() if vat else None


def _iban(root: _Element) -> str | None:
    for means in _children(root, "PaymentMeans"):
        account = _text(_child(means, "PayeeFinancialAccount", "ID"))
        if account:
            return account.replace(" ", "").upper()
    return None


def _domain(party: _Element | None) -> str | None:
    endpoint = _child(party, "EndpointID")
    candidates = [_text(_child(party, "Contact", "ElectronicMail"))]
    if endpoint is not None and (endpoint.get("schemeID") or "").upper() == "EM":
        candidates.append(_text(endpoint))
    for address in candidates:
        if address and "@" in address:
            host = address.rsplit("@", 1)[1].strip().strip(">").lower()
            if "." in host:
                return host
    return None
