"""The machinery every audit export (CSV and XLSX) is built on: `AuditResource` and
`TenantAuditResource`, the columns a resource declares by name (`computed`, `labelled`,
`as_json`, `as_list`), headers in words, cells escaped against formula injection, secret and
binary columns never written, timestamps in UTC, and the export form. The exports themselves:
`admin.resources`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC
from datetime import datetime
from typing import Any
from typing import ClassVar

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import QuerySet
from import_export import fields
from import_export import resources
from import_export import widgets
from import_export.declarative import ModelDeclarativeMetaclass
from import_export.forms import SelectableFieldsExportForm

from reconciliation.money import MONEY_DECIMAL_PLACES
from reconciliation.money import currency_field_of
from reconciliation.money import is_known_currency
from reconciliation.money import quantize_known
from reconciliation.reports.spreadsheets import Amount
from reconciliation.reports.spreadsheets import column_header
from reconciliation.text.percents import with_percents


class UtcDateTimeWidget(widgets.DateTimeWidget):
    """Timestamps as ISO 8601 in UTC ("2026-11-27T05:58:25Z"), in CSV and XLSX alike: an
    audit file must not depend on the server's time zone."""

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        if not isinstance(value, datetime):
            return ""
        return value.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


class YesNoWidget(widgets.BooleanWidget):
    """A yes/no setting in words ("Yes", "No"), as the admin's lists and pages show it, not
    1 / 0; blank when unknown. Text in XLSX too: a spreadsheet's TRUE/FALSE reads as code."""

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        if value is None:
            return ""
        return "Yes" if value else "No"


#: OWASP's rule: a spreadsheet reads a cell starting with one of these as a formula (or DDE).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
#: A plain signed number ("-12.50", "-1 234,56") is a value, not a formula: left alone.
_PLAIN_NUMBER = re.compile(r"^[-+]?\d[\d\s\u00a0\u202f]*(?:[.,]\d+)*$")
#: Never exported, whatever a resource lists: token material, cursors and keys.
_SECRET_NAME = re.compile(r"token|cursor|ciphertext|secret|password|wrapped|data_key", re.I)
_SECRET_ALLOWED = frozenset({"token_expires_at", "token_refreshed_at"})


def escape_cell(value: Any) -> Any:
    """Text that a spreadsheet would run is written with a leading apostrophe, so the auditor
    sees the text (``'=HYPERLINK(...)``) and Excel or LibreOffice never evaluates it."""
    if (
        isinstance(value, str)
        and value.startswith(FORMULA_TRIGGERS)
        and not _PLAIN_NUMBER.match(value)
    ):
        return "'" + value
    return value


def is_secret_field(name: str) -> bool:
    return name not in _SECRET_ALLOWED and bool(_SECRET_NAME.search(name))


def json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str) if value else ""


def _listed(values: Any) -> str:
    """A JSON list of names, references or reasons in one cell: "a; b" (a reason's
    percentages written as everywhere else, "85 %")."""
    return "; ".join(with_percents(str(value)) for value in values or [])


def _rendered(render: Callable[[Any], str], attribute: str) -> Callable[[Any], str]:
    return lambda row: render(getattr(row, attribute))


def _choice_label(attribute: str) -> Callable[[Any], str]:
    """A coded column as people read it: the label of its model field's choices (a code the
    choices do not know reads as itself)."""

    def label(row: Any) -> str:
        display = getattr(row, f"get_{attribute}_display", None)
        value = display() if callable(display) else getattr(row, attribute)
        return "" if value is None else str(value)

    return label


def _declare_labelled(column: str, bases: tuple[type, ...], attrs: dict[str, Any]) -> None:
    """`column` as people read it (the resource's dehydrate_<column> if it has one, else the
    choices' label) and `<column>_code`, the code as stored."""
    method = f"dehydrate_{column}"
    own = method in attrs or any(hasattr(base, method) for base in bases)
    attrs.setdefault(
        column,
        fields.Field(
            attribute=column,
            column_name=column,
            dehydrate_method=None if own else _choice_label(column),
        ),
    )
    attrs.setdefault(f"{column}_code", fields.Field(attribute=column, column_name=f"{column}_code"))


class _AuditResourceMetaclass(ModelDeclarativeMetaclass):
    """Declares the columns a resource names in `computed`, `labelled`, `as_json` and `as_list`
    (each named as it is written), before import-export collects the declared columns."""

    def __new__(mcs, name: str, bases: tuple[type, ...], attrs: dict[str, Any]) -> Any:
        for column in attrs.get("computed", ()):
            attrs.setdefault(column, fields.Field(column_name=column))
        for column in attrs.get("labelled", ()):
            _declare_labelled(column, bases, attrs)
        for render, kind in ((json_text, "as_json"), (_listed, "as_list")):
            for column in attrs.get(kind, ()):
                method = _rendered(render, column)
                attrs.setdefault(column, fields.Field(column_name=column, dehydrate_method=method))
        return super().__new__(mcs, name, bases, attrs)


class AuditResource(resources.ModelResource, metaclass=_AuditResourceMetaclass):
    """The one base of every export: cells escaped against formula injection, binary and secret
    columns never offered nor written, timestamps in UTC."""

    #: Columns no attribute holds: each is worked out by the resource's dehydrate_<column>.
    computed: ClassVar[tuple[str, ...]] = ()
    #: Coded columns written as people read them ("Needs review"), each with its code beside
    #: it in "<column>_code" ("needs_review") for software reading the file; both must be in
    #: the resource's ``Meta.fields``.
    labelled: ClassVar[tuple[str, ...]] = ()
    #: JSON fields of the model, written as JSON text.
    as_json: ClassVar[tuple[str, ...]] = ()
    #: JSON lists of the model, written as "a; b".
    as_list: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def widget_from_django_field(cls, f: Any, default: Any = widgets.Widget) -> Any:
        if isinstance(f, models.DateTimeField):
            return UtcDateTimeWidget
        if isinstance(f, models.BooleanField):
            return YesNoWidget
        return super().widget_from_django_field(f, default)

    def get_export_order(self) -> tuple[str, ...]:
        return tuple(name for name in super().get_export_order() if self._exportable(name))

    def get_export_headers(self, selected_fields: Any = None) -> list[str]:
        return [self.header_of(field) for field in self.get_export_fields(selected_fields)]

    @classmethod
    def header_of(cls, field: Any) -> str:
        """The column as people read it: the model field's own name where it was given one
        ("Auto-post threshold", "Poll interval (minutes)"), else its column's ("Vendor VAT
        id", "Created at (UTC)")."""
        utc = isinstance(field.widget, UtcDateTimeWidget)
        named = cls._verbose_name(field)
        if named:
            return f"{named} (UTC)" if utc else named
        return column_header(str(field.column_name), utc=utc)

    @classmethod
    def _verbose_name(cls, field: Any) -> str:
        """The verbose name the model gives the column's field, if it gives one of its own
        (not the field's name in words); never for a "… code" column."""
        if not field.attribute or field.attribute != field.column_name:
            return ""
        try:
            model_field = cls._meta.model._meta.get_field(field.attribute)
        except FieldDoesNotExist:
            return ""
        verbose = str(getattr(model_field, "verbose_name", "") or "")
        if verbose == model_field.name.replace("_", " "):
            return ""
        return verbose[:1].upper() + verbose[1:]

    def get_export_fields(self, selected_fields: Any = None) -> list[Any]:
        # Asked again for every row; the answer depends only on the columns chosen, so it is
        # worked out once (10,000 rows: 4.5 s of an export's 13 s before).
        known: dict[tuple[str, ...], list[Any]] = self.__dict__.setdefault("_export_fields", {})
        key = tuple(str(name) for name in selected_fields or ())
        if key not in known:
            known[key] = [
                field
                for field in super().get_export_fields(selected_fields)
                if self._exportable(self.get_field_name(field))
            ]
        return known[key]

    #: Money columns that are not fields of the model: column -> attribute of their currency.
    money_currencies: ClassVar[dict[str, str]] = {}

    def export_field(self, field: Any, instance: Any, **kwargs: Any) -> Any:
        dehydrate, currency_attribute = self._column(field)
        if currency_attribute is None:
            value = dehydrate(instance) if dehydrate else field.export(instance, **kwargs)
            return escape_cell(value)
        # An amount carries its currency's minor units (1052.00 EUR, 1052 JPY), as a number;
        # in XLSX (native types) a number cell formatted with them.
        currency = fields.Field(attribute=currency_attribute).get_value(instance)
        amount = quantize_known(field.get_value(instance), currency)
        if kwargs.get("force_native_type") and amount is not None and is_known_currency(currency):
            return Amount(amount, str(currency))
        return escape_cell(field.widget.render(amount, **kwargs))

    def _column(self, field: Any) -> tuple[Any, str | None]:
        """The column's dehydrate method (None: its attribute) and, for an amount, the attribute
        of its currency: looked up once per column, not per cell (import-export looks up the
        column's name and method for each cell: 100,000 rows, 4 s)."""
        columns: dict[int, tuple[Any, str | None]] = self.__dict__.setdefault("_columns", {})
        if id(field) not in columns:
            name = self.get_field_name(field)
            method = field.get_dehydrate_method(name)
            columns[id(field)] = (
                method if callable(method) else getattr(self, method, None),
                self._currency_attribute(name),
            )
        return columns[id(field)]

    def _currency_attribute(self, name: str) -> str | None:
        if name in self.money_currencies:
            return self.money_currencies[name]
        model_meta = self._meta.model._meta
        try:
            model_field = model_meta.get_field(name)
            model_meta.get_field(currency_field_of(name))
        except FieldDoesNotExist:
            return None
        is_money = isinstance(model_field, models.DecimalField) and (
            model_field.decimal_places == MONEY_DECIMAL_PLACES
        )
        return currency_field_of(name) if is_money else None

    def _exportable(self, name: str) -> bool:
        field = self.fields.get(name)
        column = getattr(field, "column_name", None) or name
        if is_secret_field(name) or is_secret_field(str(column)):
            return False
        try:
            model_field = self._meta.model._meta.get_field(getattr(field, "attribute", name))
        except FieldDoesNotExist:  # a computed or related column, not a field of the model
            return True
        return not isinstance(model_field, models.BinaryField)


class AuditExportForm(SelectableFieldsExportForm):
    """The export form, its column checkboxes named as the file's headers, its format menu
    starting on the first format (CSV) and naming each as people write it ("CSV", "XLSX")."""

    def _init_formats(self, formats: Any) -> None:
        super()._init_formats(formats)
        menu = self.fields["format"]
        menu.choices = [(value, str(title).upper()) for value, title in menu.choices if value]
        menu.initial = "0"

    def _get_field_label(self, resource: Any, field_name: str) -> str:
        field = resource.fields.get(field_name)
        if field is None or not issubclass(resource, AuditResource):
            return str(super()._get_field_label(resource, field_name))
        return str(resource.header_of(field))


class TenantAuditResource(AuditResource):
    """An export of one model's rows: the workspace by name, and every relation the columns
    read joined in the export's one query (an export of any size costs the same queries)."""

    workspace = fields.Field(attribute="workspace__name", column_name="workspace")
    #: The relations the columns read, besides the workspace.
    related: ClassVar[tuple[str, ...]] = ()

    #: Columns no export cell reads, left in the database (a transaction's raw JSON).
    deferred: ClassVar[tuple[str, ...]] = ()

    def filter_export(self, queryset: QuerySet[Any], **kwargs: Any) -> QuerySet[Any]:
        return queryset.select_related("workspace", *self.related).defer(*self.deferred)
