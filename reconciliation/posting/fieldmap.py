"""The product's field map between Well's reviewed invoice and Qonto's reading of the PDF, and the
one comparison used wherever two readings of an invoice meet: the read-back (Well against
Qonto) and a revision (a new version of an invoice already posted, against the posted one).

Values are normalised before comparing, so only real differences show: amounts as Decimals to
the cent, currencies upper case, supplier names case-, accent- and legal-form-folded
(reconciliation.text.names), invoice numbers by the reference normaliser, tax ids compact."""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from decimal import InvalidOperation
from typing import Any

from reconciliation.models import Invoice
from reconciliation.models import QontoSupplierInvoice
from reconciliation.text.identifiers import compact_vat_id
from reconciliation.text.names import normalize_name
from reconciliation.text.references import normalize_reference

_CENT = Decimal("0.01")


@dataclass(frozen=True)
class MappedField:
    #: Well's name (an Invoice column).
    name: str
    label: str
    #: The same field on Qonto's reading (a `QontoSupplierInvoice` column).
    qonto: str
    normalise: Callable[[Any], Any]
    #: Compared only when Qonto returned a value (Qonto reads tax ids only sometimes).
    only_when_returned: bool = False


@dataclass(frozen=True)
class Difference:
    field: str
    label: str
    well: str
    other: str

    def to_json(self) -> dict[str, str]:
        return {"field": self.field, "label": self.label, "well": self.well, "qonto": self.other}


def _amount(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value)).quantize(_CENT)
    except (InvalidOperation, ValueError):
        return None


def _upper(value: Any) -> str | None:
    return str(value).strip().upper() or None if value else None


def _day(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def _name(value: Any) -> str | None:
    return normalize_name(str(value)) or None if value else None


def _number(value: Any) -> str | None:
    return normalize_reference(str(value)) or None if value else None


def _tax_id(value: Any) -> str | None:
    return compact_vat_id(str(value)) or None if value else None


FIELD_MAP: tuple[MappedField, ...] = (
    MappedField("total_amount", "Total amount", "total_amount", _amount),
    MappedField("currency", "Currency", "currency", _upper),
    MappedField("issue_date", "Issue date", "issue_date", _day),
    MappedField("due_date", "Due date", "due_date", _day),
    MappedField("number", "Invoice number", "invoice_number", _number),
    MappedField("tax_amount", "Tax amount", "tax_amount", _amount),
    MappedField("supplier_name", "Supplier name", "supplier_name", _name),
    MappedField("supplier_vat_id", "Tax id", "vat_number", _tax_id, only_when_returned=True),
)


def invoice_values(invoice: Invoice) -> dict[str, Any]:
    """Well's reviewed values, under Well's names."""
    return {field.name: getattr(invoice, field.name) for field in FIELD_MAP}


def qonto_values(entry: QontoSupplierInvoice) -> dict[str, Any]:
    """What Qonto read from the PDF (its mirrored row), under Well's names."""
    return {field.name: getattr(entry, field.qonto) for field in FIELD_MAP}


def differences(well: Mapping[str, Any], other: Mapping[str, Any]) -> list[Difference]:
    """Field by field, after normalising both sides; a value on one side only is a difference
    (except a tax id Qonto did not return)."""
    found: list[Difference] = []
    for field in FIELD_MAP:
        mine, theirs = field.normalise(well.get(field.name)), field.normalise(other.get(field.name))
        if theirs is None and field.only_when_returned:
            continue
        if mine != theirs:
            found.append(
                Difference(
                    field.name,
                    field.label,
                    display(well.get(field.name)),
                    display(other.get(field.name)),
                )
            )
    return found


def compared_fields(other: Mapping[str, Any]) -> list[str]:
    return [
        field.name
        for field in FIELD_MAP
        if not (field.only_when_returned and field.normalise(other.get(field.name)) is None)
    ]


def display(value: Any) -> str:
    """As a person reads it on the invoice page ("—" for nothing)."""
    if value is None or value == "":
        return "—"
    if isinstance(value, Decimal):
        return f"{value.quantize(_CENT)}"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
