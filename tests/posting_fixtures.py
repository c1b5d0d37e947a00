"""Posting fixtures shared by the posting tests and ``bench/post.py`` (bench imports them from
here, never the other way round): approved invoices with stored PDFs, a Qonto connection on the
emulator's tokens, the values Qonto "reads" from those PDFs, and request filters."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from collections.abc import Mapping
from datetime import date
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from reconciliation.connections.tokens import qonto_client_for
from reconciliation.intake.supplier_invoices import refresh_supplier_invoices
from reconciliation.models import Connection
from reconciliation.models import ConnectionStatus
from reconciliation.models import Document
from reconciliation.models import DocumentKind
from reconciliation.models import DocumentStatus
from reconciliation.models import Invoice
from reconciliation.models import InvoiceStatus
from reconciliation.models import Provider
from reconciliation.models import Workspace
from reconciliation.models import idempotency_key_for
from reconciliation.posting import RetryBudget
from reconciliation.posting import post_approved
from reconciliation.text.references import normalize_reference
from tests.helpers import store_emulator_tokens

if TYPE_CHECKING:
    from connectors.sandbox import QontoEmulator
    from connectors.sandbox.server import LoggedRequest

BULK_PATH = "/v2/supplier_invoices/bulk"
LIST_PATH = "/v2/supplier_invoices"
SUPPLIER = "Harness Supplies SARL"
SUPPLIER_VAT_ID = "FR40303265045"
FIRST_ISSUE = date(2026, 10, 1)
_NUMBER = re.compile(rb"Supplier invoice H-(\d{6})")


def quick_budget(rounds: int = 3, seconds: float = 5) -> RetryBudget:
    """A retry budget with short delays, so a test's retries take milliseconds."""
    return RetryBudget(max_rounds=rounds, base_delay=0.01, max_delay=0.05, seconds=seconds)


def invoice_pdf(number: int, *, padding: int = 6_000) -> bytes:
    """A small, unique PDF-looking file (the emulator checks the magic bytes, not the layout)."""
    body = f"Supplier invoice H-{number:06d}\n".encode() * 8
    return b"%PDF-1.7\n" + body + b"%" + b"x" * padding + b"\n%%EOF\n"


def invoice_values(number: int) -> dict[str, Any]:
    """The reviewed values of seeded invoice ``number`` (what its PDF says)."""
    total = Decimal(100 + number % 900) + Decimal("0.40")
    tax = (total / Decimal(6)).quantize(Decimal("0.01"))
    issued = FIRST_ISSUE + timedelta(days=number % 28)
    return {
        "supplier_name": SUPPLIER,
        "supplier_vat_id": SUPPLIER_VAT_ID,
        "number": f"H-{number:06d}",
        "normalized_number": normalize_reference(f"H-{number:06d}"),
        "currency": "EUR",
        "total_amount": total,
        "tax_amount": tax,
        "net_amount": total - tax,
        "issue_date": issued,
        "due_date": issued + timedelta(days=30),
    }


def qonto_reading(file_name: str, content: bytes) -> Mapping[str, Any] | None:
    """Qonto's analysis of a seeded PDF (``QontoEmulator.invoice_analyzer``): the same values
    as ``invoice_values``, in Qonto's names; None for any other file."""
    found = _NUMBER.search(content)
    if found is None:
        return None
    values = invoice_values(int(found.group(1)))
    return {
        "supplier_name": values["supplier_name"],
        "vat_number": values["supplier_vat_id"],
        "invoice_number": values["number"],
        "total_amount": str(values["total_amount"]),
        "currency": values["currency"],
        "total_tax_amount": str(values["tax_amount"]),
        "issue_date": values["issue_date"].isoformat(),
        "due_date": values["due_date"].isoformat(),
    }


def seed_invoices(
    workspace: Workspace,
    count: int,
    *,
    start: int = 0,
    content: Callable[[int], bytes] | None = None,
    with_values: bool = False,
) -> list[int]:
    """``count`` approved invoices, each with its own stored PDF; returns their ids. With
    ``with_values`` they carry the reviewed values of ``invoice_values``."""
    make = content or invoice_pdf
    documents: list[Document] = []
    for number in range(start, start + count):
        data = make(number)
        digest = hashlib.sha256(data).hexdigest()
        name = default_storage.save(
            f"documents/{workspace.pk}/{digest[:2]}/{digest}.pdf", ContentFile(data)
        )
        documents.append(
            Document(
                workspace=workspace,
                source_file_id=f"id:bench-{workspace.pk}-{number}",
                source_path=f"/Invoices/H-{number:06d}.pdf",
                original_name=f"H-{number:06d}.pdf",
                content_hash=digest,
                size=len(data),
                mime_type="application/pdf",
                file=name,
                kind=DocumentKind.INVOICE,
                status=DocumentStatus.PARSED,
            )
        )
    created = Document.objects.bulk_create(documents)
    invoices = Invoice.objects.bulk_create(
        Invoice(
            workspace=workspace,
            document=document,
            status=InvoiceStatus.APPROVED,
            idempotency_key=idempotency_key_for(workspace.pk, document.pk, document.content_hash),
            **_values(start + offset, with_values),
        )
        for offset, document in enumerate(created)
    )
    return [invoice.pk for invoice in invoices]


def _values(number: int, full: bool) -> dict[str, Any]:
    if full:
        return invoice_values(number)
    return {"supplier_name": SUPPLIER, "number": f"H-{number:06d}", "currency": "EUR"}


def refuse_locally(workspace: Workspace, invoice: Invoice) -> None:
    """Post ``invoice`` while Well holds no copy of its file: refused here, never sent (one LOCAL
    attempt, REJECTED); the file is then put back so a Retry can send it."""
    stored = invoice.document.file.name
    Document.objects.filter(pk=invoice.document_id).update(file="")
    post_approved(workspace_id=workspace.pk, worker_id="worker-a")
    invoice.refresh_from_db()
    assert (invoice.status, invoice.post_attempts) == (InvoiceStatus.REJECTED, 1)
    Document.objects.filter(pk=invoice.document_id).update(file=stored)


def connect_qonto(workspace: Workspace, emulator: QontoEmulator) -> Connection:
    """An active Qonto connection holding (encrypted) tokens the emulator issued."""
    connection = Connection.objects.create(
        workspace=workspace,
        provider=Provider.QONTO,
        status=ConnectionStatus.ACTIVE,
        account_label="Qonto · harness",
    )
    return store_emulator_tokens(connection, emulator)


def mirror_now(workspace: Workspace) -> None:
    """Refresh the mirror of Qonto's supplier invoices now (the next posting window then finds
    it fresh and does not list them again within WELL_QONTO_MIRROR_SECONDS)."""
    connection = Connection.objects.for_workspace(workspace).banks().get()
    refresh_supplier_invoices(connection, qonto_client_for(connection), force=True)


def sent_keys(emulator: QontoEmulator) -> list[str]:
    """The idempotency keys of every upload Qonto received, in order (a key sent twice, twice)."""
    return [
        part["value"]
        for entry in emulator.requests(method="POST", path=BULK_PATH)
        for part in entry.body
        if part["name"] == "supplier_invoices[][idempotency_key]"
    ]


def lookup_requests(emulator: QontoEmulator) -> list[LoggedRequest]:
    """Listings of Qonto's supplier invoices made to look ours up before a re-send (by creation
    time), not the mirror's (by update time)."""
    return [
        entry
        for entry in emulator.requests(method="GET", path=LIST_PATH)
        if "filter[created_at_from]" in entry.query
    ]


def mirror_requests(emulator: QontoEmulator) -> list[LoggedRequest]:
    return [
        entry
        for entry in emulator.requests(method="GET", path=LIST_PATH)
        if "filter[updated_at_from]" in entry.query
    ]
