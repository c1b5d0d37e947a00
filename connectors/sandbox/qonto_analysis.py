"""What Qonto does to a supplier invoice after the upload: its own analysis of the file, and its
own attachment matcher. Both run on the emulator's virtual clock, deterministically.

- **Analysis.** An upload is created with every extracted field null and ``analyzed_at`` null
  (status ``to_review``: the published status enum has no "analysing" state). At
  ``created_at + analysis_delay`` (virtual seconds, default 30) Qonto has read the file: the
  emulator fills ``supplier_name``, ``invoice_number``, ``total_amount``, ``currency``,
  ``issue_date``, ``due_date``, ``total_tax_amount``, ``vat_number``, ``iban`` from the PDF
  (:mod:`.invoice_reader`: the embedded Factur-X XML, else the text), or with
  ``invoice_analyzer`` instead when one is set, applies the misreads asked for, and sets
  ``analyzed_at`` = ``updated_at`` = that moment. Work due by "now" is done before any API
  answer, so a read never sees a state older than the clock.
- **Matcher** (on unless the upload said ``skip_attachment_matcher=true``). Once analysed, an
  invoice is matched to one debit transaction that is not declined, whose amount equals the
  invoice total (``local_amount``/``local_currency``, or ``amount``/``currency``), emitted
  between 7 days before the issue date and 30 days after the due date (issue date when there
  is none), and whose label or counterparty name contains the supplier name without its legal
  form, or whose reference, label or note contains the invoice number. Among several, the one
  emitted closest to the due date wins (then the earliest, then the smallest id). A
  transaction already matched to another supplier invoice, or holding 5 attachments, is
  skipped. A transaction arriving later is matched against analysed, unmatched invoices the
  same way. The match puts **the supplier invoice's own attachment** (same id as its
  ``attachment_id``, the file name sent with the upload) on the transaction, bumps its
  ``updated_at``, and lists the transaction in the invoice's ``matched_transactions``. That is
  how a client tells Qonto's attachments from the ones it uploaded itself through
  ``POST /v2/transactions/{id}/attachments`` (which get an id of their own): the published
  attachment object carries no "source" field.
"""

from __future__ import annotations

import base64
import dataclasses
import re
import unicodedata
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from datetime import timedelta
from decimal import Decimal
from decimal import InvalidOperation
from typing import TYPE_CHECKING
from typing import Any

from connectors.sandbox.invoice_reader import read_invoice
from connectors.sandbox.qonto_models import Attachment
from connectors.sandbox.qonto_models import SupplierInvoice
from connectors.sandbox.qonto_models import Transaction
from connectors.sandbox.qonto_models import iso
from connectors.sandbox.server import control_json
from connectors.sandbox.wire import Request
from connectors.sandbox.wire import Response
from connectors.sandbox.wire import json_response

if TYPE_CHECKING:
    from connectors.sandbox.qonto import QontoEmulator

ANALYSIS_SECONDS = 30.0
DAYS_BEFORE_ISSUE = 7
DAYS_AFTER_DUE = 30
MAX_ATTACHMENTS = 5
#: Fields a misread can corrupt (Qonto's wire names).
MISREADABLE = (
    "supplier_name",
    "invoice_number",
    "total_amount",
    "currency",
    "issue_date",
    "due_date",
    "total_tax_amount",
    "vat_number",
    "iban",
)
PLANT_SOURCES = {"email": "email_forward", "direct_upload": "supplier_invoices"}
_LEGAL_FORMS = frozenset(
    {
        "sas",
        "sasu",
        "sarl",
        "eurl",
        "sa",
        "sca",
        "snc",
        "gmbh",
        "ag",
        "kg",
        "ug",
        "ohg",
        "bv",
        "nv",
        "vof",
        "bvba",
        "srl",
        "spa",
        "sl",
        "slu",
        "ltd",
        "llc",
        "inc",
        "plc",
        "co",
        "corp",
        "company",
        "limited",
    }
)


@dataclass(frozen=True)
class Misread:
    """Make the analysis read ``field`` as ``value`` for the uploads this selects."""

    field: str
    value: Any
    idempotency_key: str | None = None
    file_sha256: str | None = None
    invoice_id: str | None = None

    def selects(self, invoice: SupplierInvoice) -> bool:
        return (
            (self.idempotency_key is None or invoice.idempotency_key == self.idempotency_key)
            and (self.file_sha256 is None or invoice.file_sha256 == self.file_sha256)
            and (self.invoice_id is None or invoice.id == self.invoice_id)
        )

    def apply(self, invoice: SupplierInvoice) -> None:
        """Read the field wrong: as ``value``, or (None) as a corruption of the true value."""
        true_value = invoice.extracted.get(self.field)
        invoice.extracted[self.field] = (
            self.value if self.value is not None else corrupt(self.field, true_value)
        )


def add_invoice(emulator: QontoEmulator, invoice: SupplierInvoice) -> None:
    """Register a freshly uploaded invoice: duplicate flags, and its analysis scheduled."""
    for other in emulator.supplier_invoices.values():
        if other.file_sha256 == invoice.file_sha256:
            other.has_duplicates = invoice.has_duplicates = True
    invoice.analysis_due_at = invoice.created_at + timedelta(seconds=emulator.analysis_delay)
    emulator.supplier_invoices[invoice.id] = invoice
    emulator.pending_analysis[invoice.id] = invoice


def settle(emulator: QontoEmulator) -> None:
    """Run every analysis due by now, oldest first (each at its own due time)."""
    now = emulator.clock.now()
    due = [
        invoice
        for invoice in emulator.pending_analysis.values()
        if invoice.analysis_due_at is None or invoice.analysis_due_at <= now
    ]
    for invoice in sorted(due, key=lambda i: (i.analysis_due_at or now, i.created_at)):
        analyse(emulator, invoice, at=invoice.analysis_due_at or now)


def analyse(emulator: QontoEmulator, invoice: SupplierInvoice, *, at: datetime) -> None:
    attachment = emulator.attachments[invoice.attachment_id]
    if emulator.invoice_analyzer is not None:
        fields = emulator.invoice_analyzer(attachment.file_name, attachment.content) or {}
    else:
        fields = read_invoice(attachment.content)
    invoice.extracted.update(fields)
    for misread in emulator.misreads:
        if misread.selects(invoice):
            misread.apply(invoice)
    _analysed(emulator, invoice, at=at)


def _analysed(emulator: QontoEmulator, invoice: SupplierInvoice, *, at: datetime) -> None:
    """The analysis is done at ``at``: off the queue, dated, and handed to the matcher."""
    invoice.analysis_due_at = None
    emulator.pending_analysis.pop(invoice.id, None)
    invoice.analyzed_at = invoice.updated_at = at
    if invoice.use_matcher:
        match_invoice(emulator, invoice, at=at)


def add_misread(
    emulator: QontoEmulator,
    field: str,
    value: Any = None,
    *,
    idempotency_key: str | None = None,
    file_sha256: str | None = None,
    invoice_id: str | None = None,
) -> Misread:
    """Register a misread (``value`` None: a deterministic corruption of the true value). An
    invoice already analysed is re-read at once (its ``updated_at`` moves to now)."""
    if field not in MISREADABLE:
        raise ValueError(f"field must be one of {MISREADABLE}")
    if idempotency_key is None and file_sha256 is None and invoice_id is None:
        raise ValueError("choose the upload: idempotency_key, file_sha256 or invoice_id")
    settle(emulator)
    misread = Misread(field, value, idempotency_key, file_sha256, invoice_id)
    emulator.misreads.append(misread)
    now = emulator.clock.now()
    for invoice in emulator.supplier_invoices.values():
        if misread.selects(invoice) and invoice.analyzed_at is not None:
            misread.apply(invoice)
            invoice.updated_at = now
    return misread


def corrupt(field: str, value: Any) -> Any:
    """A plausible misreading: one cent more, one day later, another currency, a digit or
    letter swapped; a missing value is read as something."""
    if field in ("total_amount", "total_tax_amount"):
        return str(Decimal(str(value or "0")) + Decimal("1.00"))
    if field in ("issue_date", "due_date"):
        day = date.fromisoformat(value) if value else date(2026, 1, 1)
        return (day + timedelta(days=1)).isoformat()
    if field == "currency":
        return "USD" if value == "EUR" else "EUR"
    text = str(value or "X")
    last = text[-1]
    swapped = str((int(last) + 1) % 10) if last.isdigit() else ("x" if last != "x" else "y")
    return text[:-1] + swapped


def plant(
    emulator: QontoEmulator,
    *,
    supplier_name: str,
    total_amount: Decimal | str,
    currency: str = "EUR",
    invoice_number: str | None = None,
    issue_date: str | None = None,
    due_date: str | None = None,
    total_tax_amount: Decimal | str | None = None,
    vat_number: str | None = None,
    iban: str | None = None,
    source_type: str = "email",
    file_name: str | None = None,
    content: bytes | None = None,
    status: str = "to_review",
    match_transactions: bool = True,
) -> SupplierInvoice:
    """A supplier invoice that reached Qonto by another route (its e-mail inbox, a manual
    upload in the web app): already analysed, no idempotency key."""
    if source_type not in PLANT_SOURCES:
        raise ValueError(f"source_type must be one of {sorted(PLANT_SOURCES)}")
    settle(emulator)
    now = emulator.clock.now()
    invoice_id = str(uuid.uuid4())
    attachment = _planted_file(
        emulator,
        at=now,
        file_name=file_name or f"{invoice_number or invoice_id}.pdf",
        content=content or b"%PDF-1.4\n% planted supplier invoice " + invoice_id.encode(),
    )
    extracted = {
        "supplier_name": supplier_name,
        "invoice_number": invoice_number,
        "total_amount": str(total_amount),
        "currency": currency,
        "issue_date": issue_date,
        "due_date": due_date,
        "total_tax_amount": str(total_tax_amount) if total_tax_amount is not None else None,
        "vat_number": vat_number,
        "iban": iban,
    }
    invoice = SupplierInvoice.of_attachment(
        attachment,
        id=invoice_id,
        at=now,
        source=PLANT_SOURCES[source_type],
        status=status,
        extracted={name: value for name, value in extracted.items() if value is not None},
        source_type=source_type,
        use_matcher=match_transactions,
    )
    add_invoice(emulator, invoice)
    _analysed(emulator, invoice, at=now)
    return invoice


def _planted_file(
    emulator: QontoEmulator, *, at: datetime, file_name: str, content: bytes
) -> Attachment:
    attachment = Attachment.new(at, file_name, "application/pdf", content)
    emulator.attachments[attachment.id] = attachment
    return attachment


# --- the attachment matcher ----------------------------------------------------------------------


def match_invoice(
    emulator: QontoEmulator, invoice: SupplierInvoice, *, at: datetime
) -> Transaction | None:
    if invoice.matched_transaction_ids or _target_day(invoice) is None:
        return None
    candidates = [
        transaction
        for transaction in emulator.transactions.values()
        if transaction.id not in emulator.claimed_transactions and _agrees(invoice, transaction)
    ]
    if not candidates:
        return None
    target = _target_day(invoice)
    assert target is not None
    chosen = min(candidates, key=lambda t: (abs((_emitted(t) - target).days), _emitted(t), t.id))
    _attach(emulator, invoice, chosen, at=at)
    return chosen


def match_transaction(emulator: QontoEmulator, transaction: Transaction) -> None:
    """A new transaction: Qonto's matcher looks for an analysed invoice still unmatched."""
    if transaction.id in emulator.claimed_transactions or transaction.side != "debit":
        return
    # Oldest upload first: the dict keeps creation order.
    for invoice in emulator.supplier_invoices.values():
        if (
            invoice.use_matcher
            and invoice.analyzed_at is not None
            and not invoice.matched_transaction_ids
            and _agrees(invoice, transaction)
        ):
            _attach(emulator, invoice, transaction, at=emulator.clock.now())
            return


def _attach(
    emulator: QontoEmulator, invoice: SupplierInvoice, transaction: Transaction, *, at: datetime
) -> None:
    attachment = emulator.attachments[invoice.attachment_id]
    attachment.transaction_id = transaction.id
    if attachment.id not in transaction.attachment_ids:
        transaction.attachment_ids.append(attachment.id)
    transaction.wire["updated_at"] = iso(at)
    invoice.matched_transaction_ids.append(transaction.id)
    emulator.claimed_transactions.add(transaction.id)
    invoice.updated_at = max(invoice.updated_at, at)


def _agrees(invoice: SupplierInvoice, transaction: Transaction) -> bool:
    wire = transaction.wire
    if transaction.side != "debit" or transaction.status == "declined":
        return False
    if len(transaction.attachment_ids) >= MAX_ATTACHMENTS:
        return False
    amount = _decimal(invoice.extracted.get("total_amount"))
    currency = invoice.extracted.get("currency")
    issue = _day(invoice.extracted.get("issue_date"))
    target = _target_day(invoice)
    if amount is None or currency is None or issue is None or target is None:
        return False
    same_amount = any(
        _decimal(wire.get(value)) == amount and wire.get(unit) == currency
        for value, unit in (("local_amount", "local_currency"), ("amount", "currency"))
    )
    emitted = _emitted(transaction)
    in_window = (
        issue - timedelta(days=DAYS_BEFORE_ISSUE)
        <= emitted
        <= target + timedelta(days=DAYS_AFTER_DUE)
    )
    return (
        same_amount and in_window and (_names_agree(invoice, wire) or _number_agrees(invoice, wire))
    )


def _names_agree(invoice: SupplierInvoice, wire: Mapping[str, Any]) -> bool:
    core = " ".join(
        token
        for token in _tokens(invoice.extracted.get("supplier_name"))
        if token not in _LEGAL_FORMS
    )
    if not core:
        return False
    return any(
        f" {core} " in f" {' '.join(_tokens(wire.get(name)))} "
        for name in ("label", "clean_counterparty_name")
    )


def _number_agrees(invoice: SupplierInvoice, wire: Mapping[str, Any]) -> bool:
    number = "".join(_tokens(invoice.extracted.get("invoice_number")))
    if len(number) < 3:
        return False
    return any(
        number in "".join(_tokens(wire.get(name))) for name in ("reference", "label", "note")
    )


def _tokens(text: object) -> list[str]:
    if not isinstance(text, str):
        return []
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.findall(r"[a-z0-9]+", folded)


def _target_day(invoice: SupplierInvoice) -> date | None:
    return _day(invoice.extracted.get("due_date")) or _day(invoice.extracted.get("issue_date"))


def _emitted(transaction: Transaction) -> date:
    moment = transaction.moment("emitted_at") or transaction.moment("created_at")
    assert moment is not None
    return moment.date()


def _day(value: object) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def _decimal(value: object) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value)).quantize(Decimal("0.01"))
    except InvalidOperation:
        return None


# --- control API ---------------------------------------------------------------------------------


def control_plant(emulator: QontoEmulator, request: Request, params: dict[str, str]) -> Response:
    """``POST /_sandbox/supplier_invoices``: :func:`plant`'s fields (``content_base64`` for
    the file)."""
    payload = control_json(request)
    if "content_base64" in payload:
        payload["content"] = base64.b64decode(payload.pop("content_base64"))
    invoice = emulator.plant_supplier_invoice(**payload)
    return json_response(201, {"supplier_invoice": invoice.to_json(emulator.organization_id)})


def control_misread(emulator: QontoEmulator, request: Request, params: dict[str, str]) -> Response:
    """``POST /_sandbox/misreads``: ``{"field", "value"?, "idempotency_key" | "file_sha256" |
    "invoice_id"}``."""
    misread = emulator.misread(**control_json(request))
    return json_response(201, dataclasses.asdict(misread))
