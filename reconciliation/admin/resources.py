"""django-import-export Resources: the audit exports (CSV and XLSX), one per model; the base
they are built on is `admin.resource_base`.

The admin hands each Resource the rows its changelist shows (filters and search applied,
scoped to the user's workspaces); `filter_export` only adds the joins the columns need, so an
export of any size costs a fixed number of queries. Related rows are written by name, not by
id, so an auditor can read the file without the database.
"""

from __future__ import annotations

import re
from datetime import UTC
from datetime import datetime
from decimal import Decimal
from typing import Any
from typing import ClassVar

from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models import QuerySet
from django.utils.dateformat import format as format_date
from import_export import fields

from reconciliation.admin.decision_display import AMOUNT_BASIS_LABELS
from reconciliation.admin.decision_display import actor_label
from reconciliation.admin.invoice_export import InvoiceExportRows
from reconciliation.admin.resource_base import AuditResource
from reconciliation.admin.resource_base import TenantAuditResource
from reconciliation.admin.resource_base import json_text
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
from reconciliation.reports.spreadsheets import column_header
from reconciliation.text.percents import percent
from reconciliation.text.percents import with_percents


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
        return actor_label(decision.actor)

    def dehydrate_vendor_name(self, decision: Decision) -> str:
        """The vendor the decision names, else its invoice's: a decision about a match (a
        pick, a refused double charge) names none of its own."""
        vendor = decision.vendor or (decision.invoice.vendor if decision.invoice else None)
        return vendor.name if vendor is not None else ""

    def dehydrate_reason(self, decision: Decision) -> str:
        """As the decision's page shows it: its percentages as every page writes them."""
        return with_percents(decision.reason)


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


#: A moment as a run's details store it: ISO 8601 with its time ("2026-12-06T18:29:05.88+00:00").
_ISO_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def _written_moment(text: str) -> str:
    """A stored moment as the admin writes one, in UTC ("6 Dec 2026 18:29 UTC"); any other
    text (or a moment with no time zone) as it is."""
    if not _ISO_MOMENT.match(text):
        return text
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text
    if moment.tzinfo is None:
        return text
    return f"{format_date(moment.astimezone(UTC), 'j M Y H:i')} UTC"


def _detail_value(key: str, value: Any) -> str:
    if key == "accounts" and isinstance(value, list | dict):
        return str(len(value))
    if value is None:
        return "—"
    if isinstance(value, str):
        return _written_moment(value)
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, list):
        return " | ".join(str(item) for item in value) or "—"
    if isinstance(value, dict):
        return json_text(value) or "—"
    return str(value)


def sync_details_text(details: Any) -> str:
    """A sync run's details as people read them ("Credits confirmed: 3; Seconds: 0.41"), not as
    the JSON they are stored in; nothing written for none."""
    if not isinstance(details, dict):
        return json_text(details)
    known = [key for key in SYNC_DETAIL_LABELS if key in details]
    others = sorted(key for key in details if key not in SYNC_DETAIL_LABELS)
    return "; ".join(
        f"{SYNC_DETAIL_LABELS.get(key) or column_header(key)}: {_detail_value(key, details[key])}"
        for key in (*known, *others)
    )


class ConnectionRowsResource(TenantAuditResource):
    """Rows that came through a connection name it as the lists do (its account or provider,
    and the folder it watches), never with its status: that changes after the fact."""

    connection_label = fields.Field(column_name="connection")
    related: ClassVar[tuple[str, ...]] = ("connection",)

    def dehydrate_connection_label(self, row: SyncRun | Document) -> str:
        return row.connection.display_name if row.connection is not None else ""


class SyncRunResource(ConnectionRowsResource):
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

    def dehydrate_details(self, run: SyncRun) -> str:
        return sync_details_text(run.details)


class DocumentResource(ConnectionRowsResource):
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

    def filter_export(self, queryset: QuerySet[Any], **kwargs: Any) -> QuerySet[Any]:
        return with_standing(super().filter_export(queryset, **kwargs))

    def dehydrate_status(self, document: Document) -> str:
        return standing_label(document)


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
