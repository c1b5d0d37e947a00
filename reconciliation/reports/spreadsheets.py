"""The audit exports' XLSX: an amount is a number cell with its currency's minor units as its
number format ("#,##0.00" for EUR, "#,##0" for JPY), not "General".

django-import-export hands tablib a Dataset of plain values and tablib's XLSX writer knows no
number formats, so an exported amount is an `Amount`: a Decimal (written as a number, never as
text) that carries its format. `AmountsXLSXFormat` is tablib's XLSX writer that applies it;
`register` puts it in tablib's place for "xlsx" when the app is ready. Reading XLSX and every
other cell are tablib's own; CSV never sees the difference (an Amount reads as its Decimal).

`column_header` names an export's columns as people read them ("Vendor VAT id", "Decided at
(UTC)"), the same on the export form and in the file.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tablib.formats import registry
from tablib.formats._xlsx import XLSXFormat

from reconciliation.money import quantize
from reconciliation.money import spreadsheet_format

#: Words a header writes otherwise than in lower case.
_HEADER_WORDS = {
    "bic": "BIC",
    "fx": "FX",
    "http": "HTTP",
    "iban": "IBAN",
    "ibans": "IBANs",
    "ms": "(ms)",
    "qonto": "Qonto",
    "url": "URL",
    "vat": "VAT",
}
#: Word pairs a header writes as one hyphenated word, as the model fields name them.
_HEADER_PHRASES = {"auto_post": "auto-post"}


def column_header(name: str, *, utc: bool = False) -> str:
    """``vendor_vat_id`` as "Vendor VAT id"; a timestamp column says it is in UTC."""
    if name == "id":
        return "ID"
    for phrase, written in _HEADER_PHRASES.items():
        name = name.replace(phrase, written)
    text = " ".join(_HEADER_WORDS.get(word, word) for word in name.split("_") if word)
    text = text[:1].upper() + text[1:]
    return f"{text} (UTC)" if utc else text


class Amount(Decimal):
    """An amount rounded to its currency's minor units, with the number format to show it."""

    number_format: str

    def __new__(cls, value: Decimal, currency: str) -> Amount:
        amount = super().__new__(cls, quantize(value, currency.upper()))
        amount.number_format = spreadsheet_format(currency)
        return amount


class AmountsXLSXFormat(XLSXFormat):
    """tablib's XLSX writer, then each `Amount` cell given its number format."""

    @classmethod
    def dset_sheet(cls, dataset: Any, ws: Any, **options: Any) -> None:
        super().dset_sheet(dataset, ws, **options)
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                if isinstance(cell.value, Amount):
                    cell.number_format = cell.value.number_format


def register() -> None:
    """tablib's "xlsx" written by `AmountsXLSXFormat` (called from the app's ``ready``)."""
    registry.register("xlsx", AmountsXLSXFormat)
