"""Volume for benchmarks: realistic rows written in bulk (``manage.py seed_volume``).

Rows get their primary keys here (taken above the table's current maximum, sequences moved on
afterwards), so documents, invoices, transactions and matches reference each other without
reading anything back. PostgreSQL receives them through COPY, SQLite through ``bulk_create``
in large batches. Files are a few real PDFs from the sandbox generator, stored once and shared
by every document with the same content, as Well itself stores a file once per content.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from decimal import Decimal
from itertools import islice
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management.color import no_style
from django.db import connection
from django.db import models
from django.db import transaction
from django.db.models import Max

from connectors.sandbox.documents import generate_vendor_stream
from reconciliation.models import Connection
from reconciliation.models import ConnectionStatus
from reconciliation.models import Document
from reconciliation.models import DocumentKind
from reconciliation.models import DocumentStatus
from reconciliation.models import Invoice
from reconciliation.models import InvoiceStatus
from reconciliation.models import Match
from reconciliation.models import MatchKind
from reconciliation.models import MatchStatus
from reconciliation.models import Provider
from reconciliation.models import Side
from reconciliation.models import Transaction
from reconciliation.models import TransactionStatus
from reconciliation.models import Vendor
from reconciliation.models import VendorStatus
from reconciliation.models import Workspace
from reconciliation.models.invoice import idempotency_key_for
from reconciliation.text.names import normalize_counterparty
from reconciliation.text.names import normalize_name
from reconciliation.text.references import normalize_reference
from reconciliation.text.references import remittance_reference

BATCH = 20_000
#: Three years of paperwork ending today: the admin's date filters see every period.
HISTORY_DAYS = 3 * 365


@dataclass(frozen=True)
class StoredPdf:
    name: str
    sha256: str
    size: int
    content: bytes = field(default=b"", repr=False)


@dataclass
class SeedReport:
    workspaces: int = 0
    vendors: int = 0
    documents: int = 0
    invoices: int = 0
    transactions: int = 0
    matches: int = 0
    files: int = 0
    workspace_ids: list[int] = field(default_factory=list)


def store_pdfs(count: int, seed: int) -> list[StoredPdf]:
    """``count`` small real invoices from the sandbox generator (stored per workspace, sealed
    with its key, by ``seed_workspace``)."""
    stored = []
    for pdf in islice(generate_vendor_stream(seed, count), count):
        stored.append(StoredPdf(pdf.sha256, pdf.sha256, len(pdf.content), pdf.content))
    return stored


def _pdf_name(workspace_id: int, pdf: StoredPdf) -> str:
    return f"documents/{workspace_id}/{pdf.sha256[:2]}/{pdf.sha256}.pdf"


def _store_for(workspace_id: int, pdfs: list[StoredPdf]) -> None:
    for pdf in pdfs:
        default_storage.save(_pdf_name(workspace_id, pdf), ContentFile(pdf.content))


class Ids:
    """Primary keys handed out above each table's maximum."""

    def __init__(self) -> None:
        self._next: dict[type[models.Model], int] = {}

    def take(self, model: type[models.Model], count: int) -> range:
        if model not in self._next:
            self._next[model] = (model._default_manager.aggregate(m=Max("pk"))["m"] or 0) + 1
        start = self._next[model]
        self._next[model] = start + count
        return range(start, start + count)

    def reset_sequences(self) -> None:
        statements = connection.ops.sequence_reset_sql(no_style(), list(self._next))
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)


def insert(model: type[models.Model], rows: Iterable[dict[str, Any]]) -> int:
    """Write rows (attribute names → values, ``id`` included) in batches."""
    total = 0
    iterator = iter(rows)
    while batch := list(islice(iterator, BATCH)):
        if connection.vendor == "postgresql":
            _copy(model, batch)
        else:
            model._default_manager.bulk_create([model(**row) for row in batch], batch_size=2000)
        total += len(batch)
    return total


def _copy(model: type[models.Model], batch: list[dict[str, Any]]) -> None:
    fields = [f for f in model._meta.concrete_fields]
    defaults = {f.attname: _default_of(f) for f in fields}
    columns = ", ".join(connection.ops.quote_name(str(f.column)) for f in fields)
    table = connection.ops.quote_name(model._meta.db_table)
    json_columns = {f.attname for f in fields if isinstance(f, models.JSONField)}
    with connection.cursor() as cursor, cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in batch:
            values = []
            for f in fields:
                value = row.get(f.attname, defaults[f.attname])
                if f.attname in json_columns:
                    value = json.dumps(value)
                values.append(value)
            copy.write_row(values)


def _default_of(f: models.Field[Any, Any]) -> Any:
    if isinstance(f, models.DateTimeField) and (f.auto_now or f.auto_now_add):
        return datetime.now(tz=UTC)
    return f.get_default()


@dataclass(frozen=True)
class Sizes:
    documents: int
    transactions: int


def seed_workspace(
    index: int, sizes: Sizes, pdfs: list[StoredPdf], ids: Ids, rng: random.Random
) -> SeedReport:
    """One workspace with its connections, vendors, documents, invoices, debits and matches."""
    report = SeedReport(workspaces=1)
    with transaction.atomic():
        workspace = Workspace.objects.create(name=f"Volume {index}", slug=f"volume-{index}")
        report.workspace_ids.append(workspace.pk)
        bank = Connection.objects.create(
            workspace=workspace,
            provider=Provider.QONTO,
            status=ConnectionStatus.ACTIVE,
            account_label="Qonto",
        )
        Connection.objects.create(
            workspace=workspace,
            provider=Provider.DROPBOX,
            status=ConnectionStatus.ACTIVE,
            watched_folder="/Invoices",
            account_label="Dropbox",
        )
        _store_for(workspace.pk, pdfs)
        vendors = _vendors(workspace.pk, max(5, min(300, sizes.documents // 300)), ids, rng)
        report.vendors = insert(Vendor, vendors)
        plan = _DocumentPlan(workspace.pk, sizes.documents, vendors, pdfs, ids, rng)
        report.documents = insert(Document, plan.documents())
        report.invoices = insert(Invoice, plan.invoices())
        payments = _Payments(workspace.pk, bank.pk, plan.paid, sizes.transactions, ids, rng)
        report.transactions = insert(Transaction, payments.transactions())
        report.matches = insert(Match, payments.matches())
    return report


def _vendors(workspace_id: int, count: int, ids: Ids, rng: random.Random) -> list[dict[str, Any]]:
    stems = ("Atelier", "Nordic", "Blue", "Rhein", "Porto", "Helios", "Delta", "Alpine")
    trades = ("Hosting", "Print", "Logistics", "Catering", "Software", "Energy", "Office")
    forms = ("SAS", "GmbH", "BV", "Ltd", "SL", "SRL")
    rows = []
    for pk in ids.take(Vendor, count):
        name = f"{rng.choice(stems)} {rng.choice(trades)} {pk} {rng.choice(forms)}"
        rows.append(
            {
                "id": pk,
                "workspace_id": workspace_id,
                "name": name,
                "normalized_name": normalize_name(name),
                "status": VendorStatus.ACTIVE,
                "documents_seen": 0,
                "documents_reviewed": 10,
            }
        )
    return rows


_KINDS = (
    (DocumentKind.INVOICE, 88),
    (DocumentKind.CREDIT_NOTE, 4),
    (DocumentKind.PAYMENT_CONFIRMATION, 5),
    (DocumentKind.OTHER, 3),
)
_DOCUMENT_STATUSES = (
    (DocumentStatus.PARSED, 96),
    (DocumentStatus.FAILED, 2),
    (DocumentStatus.DUPLICATE, 1.5),
    (DocumentStatus.NEW, 0.5),
)
# Old paperwork is settled; the last weeks still hold the undecided and the failed.
_OLD_INVOICES = (
    (InvoiceStatus.POSTED, 93),
    (InvoiceStatus.REFUSED, 5),
    (InvoiceStatus.REJECTED, 2),
)
_RECENT_INVOICES = (
    (InvoiceStatus.NEEDS_REVIEW, 45),
    (InvoiceStatus.APPROVED, 10),
    (InvoiceStatus.POSTED, 35),
    (InvoiceStatus.FAILED, 5),
    (InvoiceStatus.REFUSED, 5),
)


def _pick(rng: random.Random, weighted: tuple[tuple[Any, float], ...]) -> Any:
    values, weights = zip(*weighted, strict=True)
    return rng.choices(values, weights)[0]


@dataclass(frozen=True)
class _Paid:
    invoice_id: int
    document_id: int
    vendor_name: str
    number: str
    total: Decimal
    day: date


class _DocumentPlan:
    """The documents of one workspace, then the invoices read from them."""

    def __init__(
        self,
        workspace_id: int,
        count: int,
        vendors: list[dict[str, Any]],
        pdfs: list[StoredPdf],
        ids: Ids,
        rng: random.Random,
    ) -> None:
        self.workspace_id, self.count, self.vendors, self.pdfs = workspace_id, count, vendors, pdfs
        self.ids, self.rng = ids, rng
        self.now = datetime.now(tz=UTC)
        self.readable: list[tuple[int, str, str, datetime, bool]] = []
        self.paid: list[_Paid] = []

    def documents(self) -> Iterator[dict[str, Any]]:
        rng = self.rng
        for n, pk in enumerate(self.ids.take(Document, self.count)):
            pdf = self.pdfs[pk % len(self.pdfs)]
            kind = _pick(rng, _KINDS)
            status = _pick(rng, _DOCUMENT_STATUSES)
            # Spread over the history, newest last (ids grow with time as in production).
            received = self.now - timedelta(days=HISTORY_DAYS * (self.count - n) / self.count)
            if status == DocumentStatus.PARSED and kind in (
                DocumentKind.INVOICE,
                DocumentKind.CREDIT_NOTE,
            ):
                self.readable.append(
                    (pk, pdf.sha256, kind, received, self.now - received < timedelta(days=45))
                )
            yield {
                "id": pk,
                "workspace_id": self.workspace_id,
                "source_file_id": f"id:volume-{pk}",
                "source_path": f"/Invoices/{received:%Y/%m}/scan-{pk}.pdf",
                "original_name": f"scan-{pk}.pdf",
                "content_hash": pdf.sha256,
                "size": pdf.size,
                "mime_type": "application/pdf",
                "file": _pdf_name(self.workspace_id, pdf),
                "kind": kind if status != DocumentStatus.NEW else DocumentKind.UNKNOWN,
                "kind_confidence": Decimal("0.9500"),
                "status": status,
                "status_reason": "Not a PDF we can read." if status == "failed" else "",
                "failure_code": "unreadable" if status == DocumentStatus.FAILED else "",
                "page_count": 1,
                "has_text_layer": True,
                "language": rng.choice(("fr", "de", "en", "nl", "es", "it")),
                "extraction": {"source": "text", "warnings": []},
                "words": [],
                "received_at": received,
                "parsed_at": received + timedelta(seconds=4),
            }

    def invoices(self) -> Iterator[dict[str, Any]]:
        rng = self.rng
        invoice_ids = self.ids.take(Invoice, len(self.readable))
        for pk, (document_id, sha, kind, received, recent) in zip(
            invoice_ids, self.readable, strict=True
        ):
            vendor = self.vendors[rng.randrange(len(self.vendors))]
            status = _pick(rng, _RECENT_INVOICES if recent else _OLD_INVOICES)
            net = Decimal(rng.randint(1_000, 900_000)) / 100
            tax = (net * Decimal("0.20")).quantize(Decimal("0.01"))
            number = f"INV-{received:%Y}-{pk:06d}"
            issued = received.date() - timedelta(days=rng.randint(0, 6))
            if status == InvoiceStatus.POSTED and kind == DocumentKind.INVOICE:
                self.paid.append(_Paid(pk, document_id, vendor["name"], number, net + tax, issued))
            yield {
                "id": pk,
                "workspace_id": self.workspace_id,
                "document_id": document_id,
                "vendor_id": vendor["id"],
                "is_credit_note": kind == DocumentKind.CREDIT_NOTE,
                "supplier_name": vendor["name"],
                "number": number,
                "normalized_number": normalize_reference(number)[:100],
                "issue_date": issued,
                "due_date": issued + timedelta(days=30),
                "total_amount": net + tax,
                "tax_amount": tax,
                "net_amount": net,
                "currency": "EUR" if rng.random() < 0.9 else rng.choice(("GBP", "USD", "CHF")),
                "confidence": Decimal(rng.randint(4000, 9900)) / 100,
                "fields": {},
                "routing_reasons": ["Seeded for volume"],
                "status": status,
                "idempotency_key": idempotency_key_for(self.workspace_id, document_id, sha),
                "qonto_id": f"qonto-si-{pk}" if status == InvoiceStatus.POSTED else "",
                "posted_at": received + timedelta(hours=1) if status == "posted" else None,
                "created_at": received,
                "updated_at": received,
            }


class _Payments:
    """Debits paying the posted invoices (most of them matched), the rest of the statement."""

    def __init__(
        self,
        workspace_id: int,
        connection_id: int,
        paid: list[_Paid],
        count: int,
        ids: Ids,
        rng: random.Random,
    ) -> None:
        self.workspace_id, self.connection_id, self.count = workspace_id, connection_id, count
        self.paid = paid[: int(count * 0.6)]
        self.ids, self.rng = ids, rng
        self.transaction_ids = self.ids.take(Transaction, count)

    def transactions(self) -> Iterator[dict[str, Any]]:
        rng = self.rng
        now = datetime.now(tz=UTC)
        for n, pk in enumerate(self.transaction_ids):
            if n < len(self.paid):
                paid = self.paid[n]
                side, amount, name = Side.DEBIT, paid.total, paid.vendor_name
                reference, day = f"Payment {paid.number}", paid.day + timedelta(days=3)
            else:
                side = Side.DEBIT if rng.random() < 0.75 else Side.CREDIT
                amount = Decimal(rng.randint(100, 2_000_000)) / 100
                name = rng.choice(("Card payment", "SEPA transfer", "Client SARL", "Fees"))
                reference = f"REF{pk:09d}" if rng.random() < 0.5 else ""
                day = (now - timedelta(days=rng.randint(0, HISTORY_DAYS))).date()
            moment = datetime(day.year, day.month, day.day, 10, tzinfo=UTC)
            yield {
                "id": pk,
                "workspace_id": self.workspace_id,
                "connection_id": self.connection_id,
                "qonto_id": f"volume-tx-{pk}",
                "side": side,
                "status": TransactionStatus.COMPLETED,
                "operation_type": _operation_type(n),
                "amount": amount,
                "currency": "EUR",
                "counterparty_name": name,
                "normalized_counterparty": _normalized_counterparty(name),
                "reference": reference,
                "normalized_reference": remittance_reference(reference).normalized[:140],
                "emitted_at": moment,
                "settled_at": moment,
                "value_date": day,
                "qonto_updated_at": moment,
                "attachment_ids": [],
                "raw": {},
                "synced_at": moment,
            }

    def matches(self) -> Iterator[dict[str, Any]]:
        match_ids = self.ids.take(Match, len(self.paid))
        for pk, paid, transaction_id in zip(
            match_ids, self.paid, self.transaction_ids, strict=False
        ):
            # The last few are still proposals: the review queue has payments to decide.
            proposed = pk % 50 == 0
            yield {
                "id": pk,
                "workspace_id": self.workspace_id,
                "kind": MatchKind.INVOICE_DEBIT,
                "status": MatchStatus.PROPOSED if proposed else MatchStatus.CONFIRMED,
                "invoice_id": paid.invoice_id,
                "document_id": paid.document_id,
                "transaction_id": transaction_id,
                "score": Decimal("92.00"),
                "reasons": ["Same amount", "Invoice number in the reference"],
                "amount_basis": "source",
                "matched_amount": paid.total,
                "matched_currency": "EUR",
                "created_at": datetime(paid.day.year, paid.day.month, paid.day.day, tzinfo=UTC),
            }


def _operation_type(n: int) -> str:
    """1 in 100 a direct debit, 1 in 10 a card payment: filters of known sizes for exports."""
    if n % 100 == 99:
        return "direct_debit"
    return "card" if n % 10 == 4 else "transfer"


_COUNTERPARTIES: dict[str, str] = {}


def _normalized_counterparty(name: str) -> str:
    """Names repeat across a statement: normalise each once."""
    if name not in _COUNTERPARTIES:
        _COUNTERPARTIES[name] = normalize_counterparty(name)
    return _COUNTERPARTIES[name]
