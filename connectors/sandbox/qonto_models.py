"""Records the Qonto emulator keeps, and their JSON as Qonto's reference shows it
(../shared/reference/qonto.md §3b, §4b, §5, §6)."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from decimal import ROUND_HALF_UP
from decimal import Decimal
from typing import Any

from connectors.sandbox.clock import iso_millis
from connectors.sandbox.constants import QONTO_MEMBERSHIP_ID
from connectors.sandbox.documents.qonto_objects import SUBJECT_TYPES

CENT = Decimal("0.01")
# The published ``status[]`` enum; "reversed" appears in one field description only and the
# real API answers 400 ``status_invalid`` to it.
TRANSACTION_STATUSES = ("pending", "declined", "completed")
# Idempotency keys (the ``X-Qonto-Idempotency-Key`` header and the bulk items' keys) are
# remembered 30 minutes, successful answers only (docs: "Idempotent requests").
IDEMPOTENCY_SECONDS = 30 * 60


def decimal_string(value: Decimal) -> str:
    return str(value.quantize(CENT, rounding=ROUND_HALF_UP))


def cents(value: Decimal) -> int:
    return int((value * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def money(value: Decimal | None, currency: str | None) -> dict[str, str] | None:
    """Supplier-invoice money: a decimal string plus ISO currency."""
    if value is None or currency is None:
        return None
    return {"value": decimal_string(value), "currency": currency}


def number(value: Decimal) -> float:
    """Transactions carry floats (with ``*_cents`` integers beside them); two decimals are
    exactly representable as the shortest float repr, so no digit is lost on the wire."""
    return float(value.quantize(CENT, rounding=ROUND_HALF_UP))


def iso(moment: datetime | None) -> str | None:
    return iso_millis(moment) if moment is not None else None


@dataclass
class CachedAnswer:
    """A successful answer kept for its idempotency key."""

    expires_at: float
    status: int
    body: bytes
    content_type: str | None


@dataclass
class Attachment:
    id: str
    created_at: datetime
    file_name: str
    content_type: str
    content: bytes
    # Uploads to a transaction become visible on it only once "processed" (virtual time).
    visible_at: float = 0.0
    transaction_id: str | None = None
    idempotency_key: str | None = None

    @classmethod
    def new(
        cls,
        at: datetime,
        file_name: str,
        content_type: str,
        content: bytes,
        *,
        idempotency_key: str | None = None,
    ) -> Attachment:
        """A file uploaded ``at``, under a fresh id."""
        return cls(
            id=str(uuid.uuid4()),
            created_at=at,
            file_name=file_name,
            content_type=content_type,
            content=content,
            idempotency_key=idempotency_key,
        )

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()

    def to_json(self, url: str) -> dict[str, Any]:
        return {
            "id": self.id,
            "created_at": iso(self.created_at),
            "file_name": self.file_name,
            "file_size": str(len(self.content)),
            "file_content_type": self.content_type,
            "url": url,
            "probative_attachment": {"status": "unavailable"},
        }


def parse_time(raw: str) -> datetime | None:
    """An ISO 8601 / RFC 3339 time (``Z`` allowed; naive means UTC), or None."""
    try:
        moment = datetime.fromisoformat(raw.strip())
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


# The operation types seeding knows by their subject type; any other is seeded as "Other".
SEEDED_SUBJECT_TYPES = {
    operation: SUBJECT_TYPES[operation]
    for operation in ("transfer", "income", "card", "direct_debit", "qonto_fee")
}


def seeded_counterparty(iban: str | None, bic: str | None) -> tuple[str, str] | None:
    """A seeded transaction names its counterparty only when given an IBAN or a BIC."""
    return (iban or "", bic or "") if iban or bic else None


@dataclass
class Transaction:
    """A transaction kept in Qonto's wire form (``attachment_ids`` excepted, which depend on
    upload processing), so seeded objects come back exactly as they went in."""

    wire: dict[str, Any]
    attachment_ids: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        return str(self.wire["id"])

    @property
    def bank_account_id(self) -> str:
        return str(self.wire["bank_account_id"])

    @property
    def status(self) -> str:
        return str(self.wire["status"])

    @property
    def side(self) -> str:
        return str(self.wire["side"])

    @property
    def operation_type(self) -> str:
        return str(self.wire["operation_type"])

    def moment(self, name: str) -> datetime | None:
        value = self.wire.get(name)
        return parse_time(value) if isinstance(value, str) else None

    def to_json(
        self, *, visible_attachment_ids: list[str], embedded: dict[str, Any]
    ) -> dict[str, Any]:
        payload = dict(self.wire)
        payload["attachment_ids"] = visible_attachment_ids
        payload.update(embedded)
        return payload


def wire_value(value: Any) -> Any:
    """A Python value as Qonto writes it in a transaction (Decimal → float, time → ISO)."""
    if isinstance(value, Decimal):
        return number(value)
    if isinstance(value, datetime):
        return iso(value)
    return value


# Extracted fields a supplier invoice may carry after Qonto's analysis.
EXTRACTED_FIELDS = (
    "invoice_number",
    "supplier_name",
    "issuer_name",
    "vat_number",
    "tin",
    "description",
    "issue_date",
    "due_date",
    "payment_date",
    "iban",
    "currency",
    "total_amount",
    "total_amount_excluding_taxes",
    "total_tax_amount",
    "payable_amount",
)


@dataclass
class SupplierInvoice:
    id: str
    idempotency_key: str
    attachment_id: str
    file_name: str
    file_sha256: str
    created_at: datetime
    updated_at: datetime
    source: str
    meta: dict[str, Any]
    status: str = "to_review"
    analyzed_at: datetime | None = None
    extracted: dict[str, Any] = field(default_factory=dict)
    has_duplicates: bool = False
    # "direct_upload" for API uploads; planted ones say how they reached Qonto ("email", ...).
    source_type: str = "direct_upload"
    # Qonto's analysis runs at this virtual time (None once done, or never for planted ones).
    analysis_due_at: datetime | None = None
    # Off when the upload said ``skip_attachment_matcher=true``.
    use_matcher: bool = True
    matched_transaction_ids: list[str] = field(default_factory=list)

    @classmethod
    def of_attachment(
        cls,
        attachment: Attachment,
        *,
        id: str,
        at: datetime,
        source: str,
        idempotency_key: str = "",
        meta: dict[str, Any] | None = None,
        **details: Any,
    ) -> SupplierInvoice:
        """A new invoice of ``attachment``'s file, created (and last updated) ``at``."""
        return cls(
            id=id,
            idempotency_key=idempotency_key,
            attachment_id=attachment.id,
            file_name=attachment.file_name,
            file_sha256=attachment.sha256,
            created_at=at,
            updated_at=at,
            source=source,
            meta={} if meta is None else meta,
            **details,
        )

    def to_json(self, organization_id: str) -> dict[str, Any]:
        return {
            "id": self.id,
            "organization_id": organization_id,
            "status": self.status,
            "file_name": self.file_name,
            "attachment_id": self.attachment_id,
            "display_attachment_id": self.attachment_id,
            **self._analysis_json(),
            "initiator_id": QONTO_MEMBERSHIP_ID,
            "source_type": self.source_type,
            "source": self.source,
            "created_at": iso(self.created_at),
            "updated_at": iso(self.updated_at),
            "analyzed_at": iso(self.analyzed_at),
            # The spec's bulk and list examples carry an empty string for a live invoice.
            "deleted_at": "",
            "request_transfer": None,
            "is_einvoice": False,
            "e_invoice_type": None,
            "einvoicing_lifecycle_events": [],
            "has_duplicates": self.has_duplicates,
            "has_discrepancies": False,
            "declined_note": None,
            "is_attachment_invoice": True,
            "attachment_category": "INVOICE",
            "is_attachment_non_financial": False,
            "is_credit_note": False,
            "related_invoices": [],
            "matched_transactions": list(self.matched_transaction_ids),
            "matched_transactions_ids": list(self.matched_transaction_ids),
            "transfer_ids": [],
            "meta": {
                "integration_type": self.meta.get("integration_type"),
                "connector": self.meta.get("connector"),
                "accounting_recorded_at": None,
                "accounting_recorded_source": None,
            },
            "available_actions": {
                "mark_as_paid": True,
                "unmark_as_paid": False,
                "reject": True,
                "archive": True,
            },
            "approval_workflow": None,
        }

    def _analysis_json(self) -> dict[str, Any]:
        """The fields Qonto's analysis reads from the file (null until it has run)."""
        fields = self.extracted
        currency = fields.get("currency")

        def amount(name: str) -> dict[str, str] | None:
            value = fields.get(name)
            return money(Decimal(str(value)), currency) if value is not None else None

        total_tax = amount("total_tax_amount")
        return {
            "invoice_number": fields.get("invoice_number"),
            "supplier_name": fields.get("supplier_name"),
            "issuer_name": fields.get("issuer_name", fields.get("supplier_name")),
            "supplier_id": None,
            "vat_number": fields.get("vat_number"),
            "tin": fields.get("tin"),
            "description": fields.get("description"),
            "total_amount": amount("total_amount"),
            "total_amount_excluding_taxes": amount("total_amount_excluding_taxes"),
            "total_tax_amount": total_tax,
            "taxes": [{"tax_amount": total_tax, "tax_rate": fields.get("tax_rate")}]
            if total_tax is not None
            else [],
            "payable_amount": amount("payable_amount") or amount("total_amount"),
            "total_amount_credit_notes": None,
            "issue_date": fields.get("issue_date"),
            "due_date": fields.get("due_date"),
            "payment_date": fields.get("payment_date"),
            "scheduled_date": None,
            "iban": fields.get("iban"),
        }


@dataclass
class Organization:
    """One Qonto organisation and everything its tokens see: an OAuth token is granted for one
    organisation and every ``/v2`` call answers for that organisation only."""

    profile: dict[str, Any]
    bank_accounts: dict[str, dict[str, Any]] = field(default_factory=dict)
    transactions: dict[str, Transaction] = field(default_factory=dict)
    attachments: dict[str, Attachment] = field(default_factory=dict)
    supplier_invoices: dict[str, SupplierInvoice] = field(default_factory=dict)
    invoices_by_key: dict[str, SupplierInvoice] = field(default_factory=dict)
    idempotent_answers: dict[str, CachedAnswer] = field(default_factory=dict)
    pending_analysis: dict[str, SupplierInvoice] = field(default_factory=dict)
    # Transactions Qonto's attachment matcher already matched.
    claimed_transactions: set[str] = field(default_factory=set)

    @property
    def id(self) -> str:
        return str(self.profile["id"])


def french_iban(bank: str, branch: str, account: str) -> str:
    """A French IBAN with a valid RIB key and IBAN check digits (account: 11 digits)."""
    rib_key = 97 - (89 * int(bank) + 15 * int(branch) + 3 * int(account)) % 97
    bban = f"{bank}{branch}{account}{rib_key:02d}"
    check = 98 - int(bban + "152700") % 97  # "FR00" moved to the end, letters as numbers
    return f"FR{check:02d}{bban}"
