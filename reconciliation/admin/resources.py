"""django-import-export Resources: the audit exports (CSV and XLSX).

The admin hands each Resource the rows its changelist shows (filters and search applied,
scoped to the user's workspaces); `filter_export` only adds the joins the columns need, so an
export of any size costs a fixed number of queries. Related rows are written by name, not by
id, so an auditor can read the file without the database.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC
from datetime import datetime
from decimal import Decimal
from typing import Any
from typing import ClassVar

from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models import QuerySet
from import_export import fields
from import_export import resources
from import_export import widgets
from import_export.declarative import ModelDeclarativeMetaclass
from import_export.forms import SelectableFieldsExportForm

from reconciliation.admin.decision_display import AMOUNT_BASIS_LABELS
from reconciliation.admin.decision_display import percent
from reconciliation.admin.invoice_export import InvoiceExportRows

# The receivables CSV import (it writes rows) lives apart; re-exported for its callers.
from reconciliation.admin.receivable_import import (
    ReceivableImportResource as ReceivableImportResource,
)
from reconciliation.admin.standing import standing_label
from reconciliation.admin.standing import with_standing
from reconciliation.models import Connection
from reconciliation.models import Decision
from reconciliation.models import Document
from reconciliation.models import Invoice
from reconciliation.models import Match
from reconciliation.models import PostAttempt
from reconciliation.models import Receivable
from reconciliation.models import RoutingRule
from reconciliation.models import SyncRun
from reconciliation.models import Transaction
from reconciliation.models import Vendor
from reconciliation.money import MONEY_DECIMAL_PLACES
from reconciliation.money import currency_field_of
from reconciliation.money import is_known_currency
from reconciliation.money import quantize_known
from reconciliation.reports.spreadsheets import Amount
from reconciliation.reports.spreadsheets import column_header


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


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str) if value else ""


def _listed(values: Any) -> str:
    """A JSON list of names or references in one cell: "a; b"."""
    return "; ".join(str(value) for value in values or [])


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
        for render, kind in ((_json, "as_json"), (_listed, "as_list")):
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


def _username(user: Any) -> str:
    return user.get_username() if user is not None else ""


class InvoiceResource(InvoiceExportRows, TenantAuditResource):
    """Invoices; their reason columns and missing conversions: `InvoiceExportRows`."""

    document = fields.Field(attribute="document__original_name", column_name="document")
    vendor = fields.Field(attribute="vendor__name", column_name="vendor")
    vendor_vat_id = fields.Field(attribute="vendor__vat_id", column_name="vendor_vat_id")
    labelled = ("status",)
    computed = ("decided_by", "decision", "reason_codes", "reason_labels")

    class Meta:
        model = Invoice
        name = "Invoices (audit)"
        fields = (
            "id",
            "workspace",
            "document",
            "vendor",
            "vendor_vat_id",
            "supplier_name",
            "supplier_vat_id",
            "supplier_iban",
            "number",
            "issue_date",
            "due_date",
            "net_amount",
            "tax_amount",
            "total_amount",
            "currency",
            "converted_amount",
            "home_currency",
            "fx_rate",
            "fx_rate_date",
            "ledger_account",
            "confidence",
            "status",
            "status_code",
            "reason_codes",
            "reason_labels",
            "decision",
            "decided_by",
            "decided_at",
            "decision_reason",
            "qonto_id",
            "posted_at",
            "post_attempts",
            "last_error_code",
            "created_at",
        )

    related = ("document", "vendor", "decided_by")

    def dehydrate_decided_by(self, invoice: Invoice) -> str:
        return _username(invoice.decided_by) if invoice.decided_at else ""

    def dehydrate_fx_rate(self, invoice: Invoice) -> Decimal | str:
        """The rate used, as stored (ten decimals; a number in XLSX); 1 when nothing was
        converted (an invoice in the home currency), not 1.0000000000 nor a blank (an auditor
        reads a blank as a missing rate)."""
        if invoice.fx_rate is None:
            return ""
        if (invoice.currency or "").upper() == (invoice.home_currency or "").upper():
            return Decimal(1)
        return Decimal(invoice.fx_rate)

    def dehydrate_decision(self, invoice: Invoice) -> str:
        """Who decided: a person, Well's routing, or nobody yet."""
        if invoice.decided_at is None:
            return "Not decided yet"
        return "A reviewer" if invoice.decided_by_id else "Automatic (routing rules)"


class PostAttemptResource(TenantAuditResource):
    invoice_number = fields.Field(attribute="invoice__number", column_name="invoice_number")
    supplier = fields.Field(attribute="invoice__supplier_name", column_name="supplier")
    as_json = ("request_summary", "item_result")

    class Meta:
        model = PostAttempt
        name = "Post attempts (audit)"
        fields = (
            "id",
            "workspace",
            "invoice",
            "invoice_number",
            "supplier",
            "batch_id",
            "attempt_number",
            "idempotency_key",
            "started_at",
            "finished_at",
            "duration_ms",
            "http_status",
            "outcome",
            "error_code",
            "error_pointer",
            "error_detail",
            "trace_id",
            "qonto_id",
            "request_summary",
            "item_result",
        )

    related = ("invoice",)


class MatchResource(TenantAuditResource):
    document_name = fields.Field(attribute="document__original_name", column_name="document")
    invoice_number = fields.Field(attribute="invoice__number", column_name="invoice_number")
    transaction_qonto_id = fields.Field(
        attribute="transaction__qonto_id", column_name="transaction_qonto_id"
    )
    transaction_amount = fields.Field(
        attribute="transaction__amount", column_name="transaction_amount"
    )
    transaction_currency = fields.Field(
        attribute="transaction__currency", column_name="transaction_currency"
    )
    counterparty = fields.Field(
        attribute="transaction__counterparty_name", column_name="counterparty"
    )
    receivable_reference = fields.Field(
        attribute="receivable__reference", column_name="receivable_reference"
    )
    settled_invoice_number = fields.Field(
        attribute="settled_invoice__number", column_name="settled_invoice_number"
    )
    as_list = ("reasons",)
    computed = ("decided_by",)
    labelled = ("kind", "status", "amount_basis")
    money_currencies: ClassVar[dict[str, str]] = {"transaction_amount": "transaction__currency"}

    class Meta:
        model = Match
        name = "Matches (audit)"
        fields = (
            "id",
            "workspace",
            "kind",
            "kind_code",
            "status",
            "status_code",
            "document_name",
            "invoice_number",
            "transaction_qonto_id",
            "transaction_amount",
            "transaction_currency",
            "counterparty",
            "receivable_reference",
            "settled_invoice_number",
            "score",
            "rank",
            "reasons",
            "amount_basis",
            "amount_basis_code",
            "matched_amount",
            "matched_currency",
            "fx_rate",
            "decided_by",
            "decided_at",
            "attached_at",
            "attach_error",
            "created_at",
        )

    related = ("document", "invoice", "transaction", "receivable", "settled_invoice", "decided_by")

    def dehydrate_decided_by(self, match: Match) -> str:
        return _username(match.decided_by)

    def dehydrate_kind(self, match: Match) -> str:
        """As the list says it: a credit-note refund is one, not "Credit ↔ receivable"."""
        return match.kind_label

    def dehydrate_status(self, match: Match) -> str:
        """In the words of its kind, as the list says it ("Refund requested")."""
        return match.status_label

    def dehydrate_amount_basis(self, match: Match) -> str:
        """How the amount agreed with the bank line, as the list's filter says it."""
        return AMOUNT_BASIS_LABELS.get(match.amount_basis, match.amount_basis)


class DecisionResource(TenantAuditResource):
    # The decision log (reports.decision_log) adds its own computed columns.
    computed: ClassVar[tuple[str, ...]] = ("actor", "vendor_name")
    labelled = ("action",)
    as_json = ("before", "after")
    invoice_number = fields.Field(attribute="invoice__number", column_name="invoice_number")
    document_name = fields.Field(attribute="document__original_name", column_name="document_name")

    class Meta:
        model = Decision
        name = "Decisions history (audit)"
        fields = (
            "id",
            "created_at",
            "workspace",
            "action",
            "action_code",
            "actor",
            "invoice",
            "invoice_number",
            "document",
            "document_name",
            "match",
            "vendor_name",
            "before",
            "after",
            "reason",
        )

    related = ("actor", "invoice__vendor", "document", "vendor")

    def dehydrate_actor(self, decision: Decision) -> str:
        return _username(decision.actor) or "Well"

    def dehydrate_vendor_name(self, decision: Decision) -> str:
        """The vendor the decision names, else its invoice's: a decision about a match (a
        pick, a refused double charge) names none of its own."""
        vendor = decision.vendor or (decision.invoice.vendor if decision.invoice else None)
        return vendor.name if vendor is not None else ""


#: What a sync run counted, in the order the list and the export show it.
SYNC_RUN_COUNTS = (
    "files_seen",
    "files_new",
    "files_duplicate",
    "files_skipped",
    "files_failed",
    "items_seen",
    "items_changed",
)


#: What a sync run's details count, in the words people read (in this order; any other key
#: follows, its name in words). A Qonto transactions sync's "accounts" lists the bank accounts'
#: ids: only how many is written.
SYNC_DETAIL_LABELS = {
    # Folder polls
    "cursor_reset": "Folder listed again from the start",
    "file_errors": "Files not fetched",
    # Qonto transactions
    "created": "Transactions new",
    "updated": "Transactions updated",
    "unchanged": "Transactions unchanged",
    "pages": "Pages read",
    "accounts": "Bank accounts",
    "synced_until": "Synced until",
    # Matching
    "confirmed": "Payment confirmations matched to a debit",
    "proposed": "Payment confirmations sent to review",
    "invoices_settled": "Invoices linked to their debit",
    "invoices_proposed": "Invoices sent to review",
    "double_charges": "Possible double charges",
    "double_payments": "Possible double payments",
    "paid_refused": "Refused invoices paid",
    "credits_confirmed": "Credits confirmed",
    "credits_proposed": "Credits sent to review",
    "receivables_paid": "Receivables paid",
    "unmatched": "Payment documents unmatched",
    "unreadable": "Payment documents unreadable",
    "seconds": "Seconds",
    # Posting window
    "transactions_synced": "Transactions synced",
    "matches_confirmed": "Matches confirmed",
    "attachments": "Attachments sent",
    "linked_to_qonto_entries": "Linked to Qonto entries",
    "sent_to_review_by_probe": "Sent to review (maybe already in Qonto)",
    "read_back": "Compared with Qonto's reading",
    "differs_from_qonto": "Differs from Qonto",
}


def _detail_value(key: str, value: Any) -> str:
    if key == "accounts" and isinstance(value, list | dict):
        return str(len(value))
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list):
        return " | ".join(str(item) for item in value) or "—"
    if isinstance(value, dict):
        return _json(value) or "—"
    return str(value)


def sync_details_text(details: Any) -> str:
    """A sync run's details as people read them ("Credits confirmed: 3; Seconds: 0.41"), not as
    the JSON they are stored in; nothing written for none."""
    if not isinstance(details, dict):
        return _json(details)
    known = [key for key in SYNC_DETAIL_LABELS if key in details]
    others = sorted(key for key in details if key not in SYNC_DETAIL_LABELS)
    return "; ".join(
        f"{SYNC_DETAIL_LABELS.get(key) or column_header(key)}: {_detail_value(key, details[key])}"
        for key in (*known, *others)
    )


class SyncRunResource(TenantAuditResource):
    connection_label = fields.Field(column_name="connection")
    labelled = ("kind", "trigger", "status")
    computed = ("details",)

    class Meta:
        model = SyncRun
        name = "Sync runs (audit)"
        fields = (
            "id",
            "workspace",
            "connection_label",
            "kind",
            "kind_code",
            "trigger",
            "trigger_code",
            "status",
            "status_code",
            "started_at",
            "finished_at",
            *SYNC_RUN_COUNTS,
            "items_failed",
            "error",
            "details",
        )

    related = ("connection",)

    def dehydrate_connection_label(self, run: SyncRun) -> str:
        """As the Sync runs list names it: account or provider, and the folder watched."""
        return run.connection.display_name if run.connection is not None else ""

    def dehydrate_details(self, run: SyncRun) -> str:
        return sync_details_text(run.details)


class DocumentResource(TenantAuditResource):
    connection_label = fields.Field(column_name="connection")
    labelled = ("kind",)
    #: Where the document stands, as the Documents list and its page say it ("Needs review",
    #: code ``needs_review``), from `standing.with_standing`; not the file's own status.
    status = fields.Field(attribute="standing", column_name="status")
    status_code = fields.Field(attribute="standing", column_name="status_code")

    class Meta:
        model = Document
        name = "Documents (audit)"
        fields = (
            "id",
            "workspace",
            "connection_label",
            "original_name",
            "source_path",
            "content_hash",
            "size",
            "kind",
            "kind_code",
            "status",
            "status_code",
            "status_reason",
            "failure_code",
            "page_count",
            "language",
            "review_reason",
            "received_at",
            "parsed_at",
        )

    related = ("connection",)

    def filter_export(self, queryset: QuerySet[Any], **kwargs: Any) -> QuerySet[Any]:
        documents = super().filter_export(queryset, **kwargs)
        # The list sorted by its Status column hands over its rows with their standing already.
        return documents if "standing" in documents.query.annotations else with_standing(documents)

    def dehydrate_status(self, document: Document) -> str:
        return standing_label(document)

    def dehydrate_connection_label(self, document: Document) -> str:
        return str(document.connection) if document.connection is not None else ""


class VendorResource(TenantAuditResource):
    as_list = ("ibans", "aliases")

    class Meta:
        model = Vendor
        name = "Vendors (audit)"
        fields = (
            "id",
            "workspace",
            "name",
            "legal_name",
            "vat_id",
            "tax_id",
            "domain",
            "ibans",
            "ledger_account",
            "aliases",
            "status",
            "documents_seen",
            "documents_reviewed",
            "created_at",
        )


class TransactionResource(TenantAuditResource):
    class Meta:
        model = Transaction
        name = "Bank transactions (audit)"
        fields = ("id", "workspace", "qonto_id", *Transaction.BANK_LINE_FIELDS)

    deferred = ("raw", "attachment_ids")


class ConnectionResource(TenantAuditResource):
    """What an auditor may know of a connection: never its tokens, cursor or keys."""

    computed = ("owner",)

    class Meta:
        model = Connection
        name = "Connections (audit)"
        fields = (
            "id",
            "workspace",
            "provider",
            "status",
            "owner",
            "account_label",
            "watched_folder",
            "scopes",
            "token_expires_at",
            "last_sync_at",
            "last_success_at",
            "last_post_at",
            "last_error",
            "last_error_at",
            "created_at",
        )

    related = ("owner",)

    def dehydrate_owner(self, connection: Connection) -> str:
        return _username(connection.owner)


class ReceivableResource(TenantAuditResource):
    as_list = ("other_references",)

    class Meta:
        model = Receivable
        name = "Receivables (audit)"
        fields = (
            "id",
            "workspace",
            "reference",
            "customer_name",
            "customer_iban",
            "amount",
            "amount_paid",
            "currency",
            "issue_date",
            "due_date",
            "other_references",
            "status",
            "created_at",
        )


class RoutingRuleResource(TenantAuditResource):
    """Every condition of a rule (vendor, document kind, currency, amount above) and every
    setting (thresholds in percent, always review, active: "Yes" / "No")."""

    vendor = fields.Field(attribute="vendor__name", column_name="vendor")
    labelled = ("document_kind",)
    #: Without a currency of its own, the amount is in the workspace's home currency.
    money_currencies: ClassVar[dict[str, str]] = {"amount_above": "amount_currency"}

    class Meta:
        model = RoutingRule
        name = "Routing rules (audit)"
        fields = (
            "id",
            "workspace",
            "name",
            "priority",
            "is_active",
            "vendor",
            "document_kind",
            "document_kind_code",
            "currency",
            "amount_above",
            "review_threshold",
            "auto_post_threshold",
            "always_review",
            "created_at",
            "updated_at",
        )

    related = ("vendor",)

    def dehydrate_review_threshold(self, rule: RoutingRule) -> str:
        """In percent, as the admin shows thresholds ("55 %", "72.50 %")."""
        return percent(rule.review_threshold)

    def dehydrate_auto_post_threshold(self, rule: RoutingRule) -> str:
        return percent(rule.auto_post_threshold)


#: The export of each model an admin offers, when the admin names none of its own.
EXPORT_RESOURCES: dict[type[models.Model], type[AuditResource]] = {
    Connection: ConnectionResource,
    Decision: DecisionResource,
    Document: DocumentResource,
    Invoice: InvoiceResource,
    Match: MatchResource,
    PostAttempt: PostAttemptResource,
    Receivable: ReceivableResource,
    RoutingRule: RoutingRuleResource,
    SyncRun: SyncRunResource,
    Transaction: TransactionResource,
    Vendor: VendorResource,
}


def export_resource_classes(model: type[models.Model], declared: Any) -> list[type[AuditResource]]:
    """The resources an admin exports through: those it declares that derive from
    ``AuditResource``, else the model's entry above. A model without one cannot be exported
    (django-import-export's default resource would offer every column, tokens included)."""
    chosen = [
        resource
        for resource in declared or ()
        if isinstance(resource, type) and issubclass(resource, AuditResource)
    ]
    if not chosen and model in EXPORT_RESOURCES:
        chosen = [EXPORT_RESOURCES[model]]
    if not chosen:
        raise ImproperlyConfigured(f"{model.__name__} has no audit export resource.")
    return chosen
