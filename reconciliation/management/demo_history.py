"""The demo workspace's past, written through the product's own code paths (demo only).

`make run` shows what Well is for only if some vendors are already trained: a finance team
that has used Well for a year has reviewed ten invoices of its regular suppliers, Well has
learned where each prints its fields, and their new invoices are posted without a person.
`seed_history` plays that year: each past invoice (`connectors.sandbox.demo_data
.build_demo_history`) is stored as a document, read by the real reader, routed, reviewed by
the demo user on the review screen's path (`review.save_review`: corrections, learned layout,
training count, ledger account, approval) and marked as posted on the day it was posted. Its
rows and its decisions are dated when each event happened (in UTC): received and routed the day
before it was posted at 09:00, reviewed and approved on the day at 10:00, posted at 18:00
(`Decision.dated`, the sanctioned way to date a decision of the past). What the demo and its
user decide afterwards is dated when it is decided.
It also imports the scenario's receivables through the CSV import, as a user would, and fills
the *Exchange rates* table with a year of daily reference rates for the demo's foreign
currencies (`connectors.sandbox.demo_data.demo_reference_rates`, ECB-style, generated without
network), as a workspace has them before its first foreign invoice is read.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from typing import TYPE_CHECKING

import tablib
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from connectors.sandbox.demo_data import DEMO_RATE_SOURCE
from connectors.sandbox.demo_data import DemoScenario
from connectors.sandbox.demo_data import HistoryInvoice
from connectors.sandbox.demo_data import build_demo_history
from connectors.sandbox.demo_data import build_demo_scenario
from connectors.sandbox.demo_data import demo_reference_rates
from reconciliation import fx
from reconciliation.admin.receivable_import import ReceivableImportResource
from reconciliation.connections.flows import vat_id_from_registration
from reconciliation.models import Decision
from reconciliation.models import DecisionAction
from reconciliation.models import Document
from reconciliation.models import DocumentStatus
from reconciliation.models import ExchangeRate
from reconciliation.models import Invoice
from reconciliation.models import InvoiceStatus
from reconciliation.models import Receivable
from reconciliation.models import Vendor
from reconciliation.models import Workspace
from reconciliation.models.document import document_upload_to
from reconciliation.parsing import parse_document
from reconciliation.review import corrections_from
from reconciliation.review import save_review

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

logger = logging.getLogger(__name__)

#: Source ids of the history's documents start with this (they came from no connection).
HISTORY_SOURCE = "demo-history:"
_QONTO_IDS = uuid.UUID("5b0f9c1e-6d0c-4d1e-9a57-2f1c0de0a11e")  # namespace of history ids


@dataclass(frozen=True)
class SeedResult:
    invoices: int  # history invoices in the workspace (seeded now or before)
    seeded: int  # seeded by this call
    trained_vendors: tuple[str, ...]
    receivables: int
    rates: int = 0  # reference exchange rates of the demo in the table


def seed_demo_workspace(
    *, workspace: Workspace, user: AbstractBaseUser, seed: int = 7
) -> SeedResult:
    """Give the demo workspace its VAT id, its receivables and its history (idempotent)."""
    scenario = build_demo_scenario(seed)
    _set_vat_id(workspace, scenario)
    rates = seed_reference_rates(scenario)
    receivables = import_receivables(workspace, scenario)
    seeded = 0
    if not Document.objects.filter(
        workspace=workspace, source_file_id__startswith=HISTORY_SOURCE
    ).exists():
        for item in build_demo_history(scenario).invoices:
            seed_invoice(workspace=workspace, user=user, item=item)
            seeded += 1
    trained = tuple(
        sorted(
            vendor.name
            for vendor in Vendor.objects.for_workspace(workspace)
            if not vendor.is_in_training
        )
    )
    invoices = Document.objects.filter(
        workspace=workspace, source_file_id__startswith=HISTORY_SOURCE
    ).count()
    _convert_unconverted(workspace)
    return SeedResult(invoices, seeded, trained, receivables, rates)


def seed_reference_rates(scenario: DemoScenario) -> int:
    """The demo's daily reference rates in the *Exchange rates* table (rows already there are
    kept); returns how many of the demo's rates the table holds."""
    rates = demo_reference_rates(scenario)
    ExchangeRate.objects.bulk_create(
        [
            ExchangeRate(
                base_currency=rate.base_currency,
                quote_currency=rate.quote_currency,
                rate=rate.rate,
                rate_date=rate.rate_date,
                source=DEMO_RATE_SOURCE,
            )
            for rate in rates
        ],
        batch_size=500,
        ignore_conflicts=True,
    )
    return ExchangeRate.objects.filter(source=DEMO_RATE_SOURCE).count()


def _convert_unconverted(workspace: Workspace) -> None:
    """Invoices read before the demo had its rates (a workspace set up by an older `make run`)
    are converted now, as they would have been had the rates been there."""
    missing = Invoice.objects.for_workspace(workspace).filter(
        converted_amount__isnull=True,
        total_amount__isnull=False,
        fx_rate_source__startswith=fx.NO_RATE_PREFIX,
    )
    for invoice in missing.select_related("workspace"):
        fx.convert_invoice(invoice)
        if invoice.converted_amount is not None:
            invoice.save(update_fields=list(fx.FX_FIELDS))


def _set_vat_id(workspace: Workspace, scenario: DemoScenario) -> None:
    """Our own VAT id, as connecting Qonto would set it, before the first document is read:
    the buyer's block of a supplier invoice is never taken for the supplier."""
    organization = scenario.organization
    vat_id = vat_id_from_registration(organization["legal_country"], organization["legal_number"])
    if vat_id and not workspace.vat_id:
        Workspace.objects.filter(pk=workspace.pk, vat_id="").update(vat_id=vat_id)
        workspace.vat_id = vat_id


def import_receivables(workspace: Workspace, scenario: DemoScenario) -> int:
    """The scenario's receivables, through the admin's CSV import (unchanged rows skipped)."""
    dataset = tablib.Dataset().load(scenario.receivables_csv(), format="csv")
    result = ReceivableImportResource(workspace=workspace).import_data(
        dataset, dry_run=False, raise_errors=True
    )
    if result.has_validation_errors():
        raise ValueError("The demo receivables do not import cleanly.")
    return Receivable.objects.for_workspace(workspace).count()


@dataclass(frozen=True)
class HistoryMoments:
    """When a history invoice's events happened (UTC), as its rows and decisions say."""

    received: datetime  # stored, read and routed
    decided: datetime  # reviewed and approved
    posted: datetime  # posted to Qonto

    @classmethod
    def of(cls, item: HistoryInvoice) -> HistoryMoments:
        return cls(
            received=_at(item.posted_on - timedelta(days=1), 9),
            decided=_at(item.posted_on, 10),
            posted=_at(item.posted_on, 18),
        )


def seed_invoice(*, workspace: Workspace, user: AbstractBaseUser, item: HistoryInvoice) -> Invoice:
    """One past invoice: stored, read, reviewed and approved by `user`, posted on its day; each
    decision is dated when its event happened."""
    moments = HistoryMoments.of(item)
    document = _store(workspace, item)
    with Decision.dated(_decided_at(moments.received)):
        parse_document(document_id=document.pk)
    invoice = Invoice.objects.select_related("vendor").get(document=document)
    typed: dict[str, str] = {
        name: value for name, value in item.document.truth.items() if value is not None
    }
    typed["ledger_account"] = item.ledger_account
    with Decision.dated(_decided_at(moments.decided)):
        save_review(
            invoice=invoice,
            user=user,
            corrections=corrections_from(invoice, typed),
            approve=True,
        )
    with Decision.dated(_decided_at(moments.posted)):
        _mark_posted(invoice, item)
    _backdate(document, invoice, moments)
    return invoice


def _store(workspace: Workspace, item: HistoryInvoice) -> Document:
    content = item.document.content
    document = Document(
        workspace=workspace,
        connection=None,
        source_file_id=f"{HISTORY_SOURCE}{item.path}",
        source_path=item.path,
        original_name=item.document.filename,
        content_hash=item.document.sha256,
        size=len(content),
        mime_type="application/pdf",
    )
    document.file.name = default_storage.save(
        document_upload_to(document, item.document.filename), ContentFile(content)
    )
    document.save()
    return document


def _mark_posted(invoice: Invoice, item: HistoryInvoice) -> None:
    """Posted before the demo began: the emulated Qonto starts empty at each `make run`, so the
    id is Well's record only (a decision says so), and no origin: it was not uploaded to the
    Qonto this Well reads back, so no reading of it is awaited."""
    qonto_id = str(uuid.uuid5(_QONTO_IDS, item.document.sha256))
    with transaction.atomic():
        locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if locked.status != InvoiceStatus.APPROVED:
            raise ValueError(
                f"History invoice {item.path} is {locked.status} after its review, not approved."
            )
        locked.mark_as_posting("demo-history", timezone.now() + timedelta(minutes=1))
        locked.mark_as_posted(qonto_id)
        locked.qonto_origin = ""
        locked.save()
        Decision.record_for_invoice(
            locked,
            DecisionAction.POST,
            actor=None,
            after={"status": locked.status, "qonto_id": qonto_id},
            reason=f"Demo history: posted to Qonto on {item.posted_on.isoformat()}, before the "
            "demo began (the emulated Qonto starts without it).",
        )


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour, 0), tzinfo=UTC)


def _decided_at(moment: datetime) -> datetime:
    """A history decision's moment: its event's, never after now (a decision is not dated in
    the future; only a clock set before the demo's history would bring it back to now)."""
    return min(moment, timezone.now())


def _backdate(document: Document, invoice: Invoice, moments: HistoryMoments) -> None:
    """The rows' own dates say when it happened, as its decisions do: the dashboard's figures
    of this week are about this week."""
    Document.objects.filter(pk=document.pk, status=DocumentStatus.PARSED).update(
        received_at=moments.received, parsed_at=moments.received
    )
    Invoice.objects.filter(pk=invoice.pk).update(
        created_at=moments.received,
        decided_at=moments.decided,
        posted_at=moments.posted,
    )
