"""The Qonto emulator's own reading of an uploaded invoice PDF (what Qonto's analysis returns).

Deterministic and deliberately small, it reads what the sandbox's document generator
(:mod:`connectors.sandbox.documents`) puts in a PDF:

1. the embedded Factur-X / ZUGFeRD CII XML when there is one (exact values);
2. otherwise the text layer: the language is the one whose printed labels
   (:func:`documents.labels.labels_for`) occur most; each field is the value printed after its
   label (same line, or the next one), dates and amounts in that language's formats; the tax is
   the total minus the net total; the supplier's VAT id is the labelled one in the seller's
   block or beside the supplier's name, never the one in the buyer's block; the issue date may
   stand under the bare word "Date"; the supplier name is the PDF's ``Author`` (else the first
   line).

Anything unreadable (not a PDF, a scan without text, an unknown layout) leaves the field out,
as Qonto leaves it null. Qonto-side names: ``supplier_name``, ``invoice_number``,
``issue_date``, ``due_date``, ``total_amount``, ``currency``, ``total_tax_amount``,
``vat_number``, ``iban``.
"""

from __future__ import annotations

import io
import logging
import re
from datetime import date
from decimal import Decimal
from decimal import InvalidOperation
from typing import Any

import pypdf
from lxml import etree

from connectors.sandbox.documents.formatting import MONTHS
from connectors.sandbox.documents.formatting import SYMBOLS
from connectors.sandbox.documents.labels import labels_for

LANGUAGES = ("en", "fr", "de", "nl", "es", "it")
# The customer's name, street, city, country and VAT id follow the bill-to label.
CUSTOMER_BLOCK_LINES = 6
_DETECT_KEYS = ("invoice_number", "issue_date", "due_date", "net_total", "amount_due", "total")
_CURRENCY_OF_SYMBOL = {symbol: code for code, symbol in SYMBOLS.items()}
_AMOUNT = re.compile(r"-?\d{1,3}(?:[ .,\u00a0\u202f]\d{3})*[.,]\d{2}(?!\d)|-?\d+[.,]\d{2}(?!\d)")
_CODE = re.compile(r"\b([A-Z]{3})\b")
_VAT_ID = re.compile(r"^[A-Z]{2}[0-9A-Z]{8,12}$")
_IBAN = re.compile(r"^[A-Z]{2}\d{2}[0-9A-Z]{10,30}$")
_SEPARATORS = re.compile(r"\s[·|]\s")
_XML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)

logging.getLogger("pypdf").setLevel(logging.ERROR)


def read_invoice(content: bytes) -> dict[str, Any]:
    """Qonto's analysis of ``content``: the fields it could read (possibly none)."""
    try:
        reader = pypdf.PdfReader(io.BytesIO(content))
        xml = _embedded_xml(reader)
        if xml is not None:
            fields = read_cii(xml)
            if fields:
                return fields
        text = "\n".join(page.extract_text() or "" for page in reader.pages)
        author = reader.metadata.get("/Author") if reader.metadata is not None else None
    except Exception:  # a file Qonto cannot read is left unanalysed
        return {}
    return read_text(text, author=str(author) if author else None)


def _embedded_xml(reader: pypdf.PdfReader) -> bytes | None:
    for name, payloads in reader.attachments.items():
        if name.lower().endswith(".xml") and payloads:
            return payloads[0]
    return None


# --- Factur-X / CII ------------------------------------------------------------------------------


def read_cii(xml: bytes) -> dict[str, Any]:
    try:
        root = etree.fromstring(xml, _XML_PARSER)
    except etree.XMLSyntaxError:
        return {}

    def first(path: str) -> Any:
        found = root.xpath(path)
        return found[0] if found else None

    def text(path: str) -> str | None:
        node = first(path)
        value = node.text if node is not None and hasattr(node, "text") else node
        return str(value).strip() if value else None

    def day(path: str) -> str | None:
        raw = text(path)
        return f"{raw[:4]}-{raw[4:6]}-{raw[6:8]}" if raw and len(raw) == 8 else None

    seller = "//*[local-name()='SellerTradeParty']"
    summary = "//*[local-name()='SpecifiedTradeSettlementHeaderMonetarySummation']"
    fields = {
        "supplier_name": text(f"{seller}/*[local-name()='Name']"),
        "vat_number": text(
            f"{seller}/*[local-name()='SpecifiedTaxRegistration']/*[local-name()='ID']"
            "[@schemeID='VA']"
        ),
        "invoice_number": text("//*[local-name()='ExchangedDocument']/*[local-name()='ID']"),
        "issue_date": day("//*[local-name()='IssueDateTime']/*[local-name()='DateTimeString']"),
        "due_date": day("//*[local-name()='DueDateDateTime']/*[local-name()='DateTimeString']"),
        "currency": text("//*[local-name()='InvoiceCurrencyCode']"),
        "total_amount": text(f"{summary}/*[local-name()='GrandTotalAmount']"),
        "total_tax_amount": text(f"{summary}/*[local-name()='TaxTotalAmount']"),
        "iban": text(
            "//*[local-name()='PayeePartyCreditorFinancialAccount']/*[local-name()='IBANID']"
        ),
    }
    return {name: value for name, value in fields.items() if value}


# --- text layer ----------------------------------------------------------------------------------


def read_text(text: str, *, author: str | None = None) -> dict[str, Any]:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        return {}
    language = detect_language(text)
    words = labels_for(language)
    fields: dict[str, Any] = {"supplier_name": author or lines[0]}
    number = _labelled(lines, words["invoice_number"]) or _labelled(
        lines, words["credit_note_number"]
    )
    if number:
        fields["invoice_number"] = number.split()[0]
    # The issue date may stand under the bare word "Date" (never "Delivery date", "Due date").
    for name, labels in (
        ("issue_date", (words["issue_date"], words.get("date", ""))),
        ("due_date", (words["due_date"],)),
    ):
        parsed = next(
            (day for label in labels if label and (day := _labelled_date(lines, label, language))),
            None,
        )
        if parsed is not None:
            fields[name] = parsed.isoformat()
    total_line = _labelled_line(lines, words["amount_due"]) or _labelled_line(lines, words["total"])
    total = _last_amount(total_line, language) if total_line else None
    if total is not None and total_line is not None:
        fields["total_amount"] = str(total)
        currency = _currency(total_line)
        if currency:
            fields["currency"] = currency
        net_line = _labelled_line(lines, words["net_total"])
        net = _last_amount(net_line, language) if net_line else None
        if net is not None:
            fields["total_tax_amount"] = str(total - net)
    fields.update(_identifiers(lines, words, fields["supplier_name"]))
    return fields


def detect_language(text: str) -> str:
    folded = text.casefold()
    scores = {
        language: sum(labels_for(language)[key].casefold() in folded for key in _DETECT_KEYS)
        for language in LANGUAGES
    }
    return max(LANGUAGES, key=lambda language: scores[language])


def _labelled_line(lines: list[str], label: str) -> str | None:
    """The text after ``label`` on the first line starting with it (or the next line when the
    label stands alone)."""
    wanted = label.casefold()
    for index, line in enumerate(lines):
        if not line.casefold().startswith(wanted):
            continue
        rest = line[len(label) :]
        if rest and rest[0].isalnum() and not wanted.endswith((".", "°")):
            continue  # "Total" must not match "Totale"
        rest = rest.lstrip(" :.").strip()
        if rest:
            return rest
        if index + 1 < len(lines):
            return lines[index + 1]
    return None


def _labelled_date(lines: list[str], label: str, language: str) -> date | None:
    """The date printed right after ``label`` (same line or the next): the value must start
    with a digit or a month name, so "Date d'échéance" is not read as a "Date"."""
    wanted = label.casefold()
    months = {month.casefold() for month in MONTHS[language]}
    for index, line in enumerate(lines):
        if not line.casefold().startswith(wanted):
            continue
        rest = line[len(label) :]
        if rest and rest[0].isalnum():
            continue
        value = rest.lstrip(" :.").strip() or (lines[index + 1] if index + 1 < len(lines) else "")
        first = (re.findall(r"\w+", value.casefold()) or [""])[0]
        if first[:1].isdigit() or first in months:
            parsed = parse_date(value, language)
            if parsed is not None:
                return parsed
    return None


def _labelled(lines: list[str], label: str) -> str | None:
    value = _labelled_line(lines, label)
    return _SEPARATORS.split(value)[0].strip() if value else None


def parse_date(value: str, language: str) -> date | None:
    numeric = re.search(r"(\d{4})-(\d{2})-(\d{2})", value)
    if numeric:
        return _date(int(numeric[1]), int(numeric[2]), int(numeric[3]))
    numeric = re.search(r"(\d{1,2})[./-](\d{1,2})[./-](\d{4})", value)
    if numeric:
        return _date(int(numeric[3]), int(numeric[2]), int(numeric[1]))
    months = [month.casefold() for month in MONTHS[language]]
    words = re.findall(r"\w+", value.casefold())
    month = next((months.index(word) + 1 for word in words if word in months), None)
    numbers = [int(word) for word in words if word.isdigit()]
    years = [n for n in numbers if n > 31]
    days = [n for n in numbers if n <= 31]
    if month is None or not years or not days:
        return None
    return _date(years[0], month, days[0])


def _date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _last_amount(line: str, language: str) -> Decimal | None:
    found = _AMOUNT.findall(line)
    if not found:
        return None
    decimal_mark = "." if language == "en" else ","
    raw = found[-1]
    digits = re.sub(r"[^\d" + re.escape(decimal_mark) + "-]", "", raw)
    try:
        return Decimal(digits.replace(decimal_mark, "."))
    except InvalidOperation:
        return None


def _currency(line: str) -> str | None:
    for symbol, code in _CURRENCY_OF_SYMBOL.items():
        if symbol in line:
            return code
    match = _CODE.search(line)
    return match.group(1) if match else None


def _identifiers(lines: list[str], words: dict[str, str], supplier: str) -> dict[str, str]:
    """The supplier's VAT id (see :func:`_owners`) and IBAN (the only one printed)."""
    found: dict[str, str] = {}
    vat_id = _supplier_vat_id(lines, words, supplier)
    if vat_id:
        found["vat_number"] = vat_id
    iban = _labelled(lines, words["iban"])
    compact = re.sub(r"\s", "", iban or "")
    if not _IBAN.match(compact):
        compact = _first_valid_iban(lines) or ""
    if compact:
        found["iban"] = compact
    return found


def _supplier_vat_id(lines: list[str], words: dict[str, str], supplier: str) -> str | None:
    owners = _owners(lines, words, supplier)
    candidates: list[tuple[str | None, str]] = []
    for index, line in enumerate(lines):
        position = line.casefold().find(words["vat_id"].casefold())
        if position < 0:
            continue
        compact = _vat_after(line[position + len(words["vat_id"]) :], lines[index + 1 : index + 3])
        if compact:
            owner = "seller" if supplier.casefold() in line.casefold() else owners[index]
            candidates.append((owner, compact))
    sellers = [vat for owner, vat in candidates if owner == "seller"]
    others = [vat for owner, vat in candidates if owner is None]
    if sellers:
        return sellers[0]
    if others:
        # With the buyer's block found, the first other one; without, the footer's (last).
        bought = any(owner == "buyer" for owner, _ in candidates)
        return others[0] if bought else others[-1]
    return None


def _vat_after(rest: str, following: list[str]) -> str | None:
    """The VAT id after its label, or, when the label stands alone (a column printed as
    label above value), the first of the next lines that is a VAT id and nothing else."""
    rest = rest.lstrip(" :.")
    if rest.strip():
        compact = re.sub(r"\s", "", _SEPARATORS.split(rest)[0])
        return compact if _VAT_ID.match(compact) else None
    return next((line.strip() for line in following if _VAT_ID.match(line.strip())), None)


_IBAN_IN_TEXT = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[0-9A-Z]{4}){2,7}(?: ?[0-9A-Z]{1,4})?\b")


def _first_valid_iban(lines: list[str]) -> str | None:
    """An IBAN printed among other words (a bank column beside an address): the first
    sequence of IBAN shape whose check digits hold."""
    for line in lines:
        for match in _IBAN_IN_TEXT.finditer(line):
            compact = match.group(0).replace(" ", "")
            if _IBAN.match(compact) and _iban_checks(compact):
                return compact
    return None


def _iban_checks(iban: str) -> bool:
    digits = "".join(str(int(char, 36)) for char in iban[4:] + iban[:4])
    return int(digits) % 97 == 1


def _owners(lines: list[str], words: dict[str, str], supplier: str) -> list[str | None]:
    """Whose address block each line belongs to: "buyer" after a bill-to / sold-to / ship-to
    heading or a window letter's one-line return address (top half), "seller" after a seller
    heading or the supplier's name on a line of its own; a block ends at the next heading or
    after ``CUSTOMER_BLOCK_LINES`` lines."""
    buyer = tuple(
        words[key].casefold() for key in ("bill_to", "buyer_alt", "ship_to") if words.get(key)
    )
    seller = tuple(words[key].casefold() for key in ("seller", "seller_alt") if words.get(key))
    return_address = f"{supplier} · ".casefold()
    owners: list[str | None] = []
    owner: str | None = None
    left = 0
    for index, line in enumerate(lines):
        folded = line.casefold()
        # A return address sits above the window, never in the footer.
        above = folded.startswith(return_address) and index < len(lines) // 2
        if folded.startswith(buyer) or above:
            owner, left = "buyer", CUSTOMER_BLOCK_LINES + 1
        elif folded.startswith(seller) or folded == supplier.casefold():
            owner, left = "seller", CUSTOMER_BLOCK_LINES + 1
        left -= 1
        if left <= 0:
            owner = None
        owners.append(owner)
    return owners
