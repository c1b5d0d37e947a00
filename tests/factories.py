"""Small row factories for tests: explicit keyword arguments, sensible defaults."""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterable
from datetime import date
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.utils import timezone

from reconciliation.invoices.routing import route_invoice
from reconciliation.invoices.scoring import Score
from reconciliation.models import BankAccountOrigin
from reconciliation.models import BankDetailChange
from reconciliation.models import Connection
from reconciliation.models import ConnectionStatus
from reconciliation.models import Document
from reconciliation.models import DocumentKind
from reconciliation.models import DocumentStatus
from reconciliation.models import ExchangeRate
from reconciliation.models import Invoice
from reconciliation.models import InvoiceStatus
from reconciliation.models import Match
from reconciliation.models import MatchKind
from reconciliation.models import MatchStatus
from reconciliation.models import Membership
from reconciliation.models import Provider
from reconciliation.models import Receivable
from reconciliation.models import Role
from reconciliation.models import Side
from reconciliation.models import SyncKind
from reconciliation.models import SyncRun
from reconciliation.models import Transaction
from reconciliation.models import TransactionStatus
from reconciliation.models import Vendor
from reconciliation.models import VendorBankAccount
from reconciliation.models import VendorStatus
from reconciliation.models import Workspace
from reconciliation.models import idempotency_key_for

_sequence = itertools.count(1)

PASSWORD = "correct-horse-battery-staple"


def make_workspace(name: str | None = None, **fields: Any) -> Workspace:
    n = next(_sequence)
    name = name or f"Workspace {n}"
    return Workspace.objects.create(name=name, slug=fields.pop("slug", f"ws-{n}"), **fields)


def make_user(
    username: str | None = None,
    *,
    workspace: Workspace | None = None,
    role: Role = Role.REVIEWER,
    superuser: bool = False,
) -> AbstractUser:
    username = username or f"user{next(_sequence)}"
    user_model = get_user_model()
    user: AbstractUser = user_model.objects.create_user(  # type: ignore[attr-defined]
        username=username,
        email=f"{username}@example.com",
        password=PASSWORD,
        is_staff=True,
        is_superuser=superuser,
    )
    if workspace is not None:
        Membership.objects.create(workspace=workspace, user=user, role=role)
    return user


def make_connection(
    workspace: Workspace, provider: Provider = Provider.DROPBOX, **fields: Any
) -> Connection:
    fields.setdefault("status", ConnectionStatus.ACTIVE)
    fields.setdefault("watched_folder", "/Invoices" if provider != Provider.QONTO else "")
    fields.setdefault("account_label", f"{provider} account")
    return Connection.objects.create(workspace=workspace, provider=provider, **fields)


def make_document(workspace: Workspace, **fields: Any) -> Document:
    n = next(_sequence)
    content_hash = fields.pop("content_hash", hashlib.sha256(f"doc-{n}".encode()).hexdigest())
    fields.setdefault("kind", DocumentKind.INVOICE)
    fields.setdefault("status", DocumentStatus.PARSED)
    return Document.objects.create(
        workspace=workspace,
        source_file_id=fields.pop("source_file_id", f"id:file-{n}"),
        original_name=fields.pop("original_name", f"invoice-{n}.pdf"),
        content_hash=content_hash,
        **fields,
    )


def make_extracted_document(
    workspace: Workspace, kind: DocumentKind, fields: dict[str, Any], **document_fields: Any
) -> Document:
    """A parsed document of ``kind`` whose extraction read ``fields`` from its text (as strings,
    confidence 0.95; a None value is a field not found)."""
    extraction = {
        "kind": kind.value,
        "fields": {
            name: {"value": str(value), "confidence": 0.95, "source": "text", "evidence": None}
            for name, value in fields.items()
            if value is not None
        },
    }
    return make_document(workspace, kind=kind, extraction=extraction, **document_fields)


def make_vendor(workspace: Workspace, name: str = "Acme Supplies GmbH", **fields: Any) -> Vendor:
    return Vendor.objects.create(workspace=workspace, name=name, **fields)


def make_trained_vendor(
    workspace: Workspace, name: str = "Acme", *, reviewed: int = 10, ibans: Iterable[str] = ()
) -> Vendor:
    """An active vendor past its training (``reviewed`` documents reviewed), paid until now to
    ``ibans``: each known to the vendor and one of its bank accounts from history."""
    vendor = make_vendor(
        workspace,
        name,
        status=VendorStatus.ACTIVE,
        documents_reviewed=reviewed,
        ibans=list(ibans),
    )
    for iban in vendor.ibans:
        VendorBankAccount.objects.create(
            workspace=workspace,
            vendor=vendor,
            iban=iban,
            country=iban[:2],
            bank_code=iban[4:12],
            origin=BankAccountOrigin.HISTORY,
        )
    return vendor


def make_invoice(workspace: Workspace, **fields: Any) -> Invoice:
    document = fields.pop("document", None) or make_document(workspace)
    fields.setdefault("status", InvoiceStatus.NEEDS_REVIEW)
    fields.setdefault("supplier_name", "Acme Supplies GmbH")
    fields.setdefault("number", f"INV-{next(_sequence):05d}")
    fields.setdefault("issue_date", date(2026, 11, 2))
    fields.setdefault("total_amount", Decimal("119.00"))
    fields.setdefault("tax_amount", Decimal("19.00"))
    fields.setdefault("currency", "EUR")
    fields.setdefault("confidence", Decimal("70.00"))
    return Invoice.objects.create(
        workspace=workspace,
        document=document,
        idempotency_key=idempotency_key_for(workspace.pk, document.pk, document.content_hash),
        **fields,
    )


def bulk_invoices(
    workspace: Workspace,
    numbers: range,
    *,
    document_fields: dict[str, Any] | None = None,
    **invoice_fields: Any,
) -> list[Invoice]:
    """A vendor, a document and an invoice of 10.00 EUR per number, in three queries (for the
    tests that count queries over many rows); each invoice holds its vendor and document."""
    vendors = Vendor.objects.bulk_create(
        Vendor(workspace=workspace, name=f"Vendor {i}") for i in numbers
    )
    documents = Document.objects.bulk_create(
        Document(
            workspace=workspace,
            source_file_id=f"id:{i}",
            original_name=f"doc-{i}.pdf",
            content_hash=hashlib.sha256(str(i).encode()).hexdigest(),
            **(document_fields or {}),
        )
        for i in numbers
    )
    return Invoice.objects.bulk_create(
        Invoice(
            workspace=workspace,
            document=document,
            vendor=vendor,
            number=f"N{document.pk}",
            total_amount=Decimal("10.00"),
            currency="EUR",
            idempotency_key=idempotency_key_for(workspace.pk, document.pk, document.content_hash),
            **invoice_fields,
        )
        for document, vendor in zip(documents, vendors, strict=True)
    )


def make_routed_invoice(workspace: Workspace, vendor: Vendor, score: str, **fields: Any) -> Invoice:
    """A new invoice of ``vendor`` routed on a score of ``score`` (then reloaded)."""
    invoice = make_invoice(
        workspace, vendor=vendor, status=InvoiceStatus.NEW, confidence=None, **fields
    )
    route_invoice(invoice=invoice, score=Score(value=Decimal(score)))
    invoice.refresh_from_db()
    return invoice


def make_transaction(
    workspace: Workspace, connection: Connection | None = None, **fields: Any
) -> Transaction:
    n = next(_sequence)
    connection = connection or make_connection(workspace, Provider.QONTO, watched_folder=f"q{n}")
    fields.setdefault("side", Side.DEBIT)
    fields.setdefault("status", TransactionStatus.COMPLETED)
    fields.setdefault("amount", Decimal("119.00"))
    fields.setdefault("currency", "EUR")
    fields.setdefault("counterparty_name", "Acme Supplies GmbH")
    fields.setdefault("value_date", date(2026, 11, 5))
    fields.setdefault("settled_at", timezone.now())
    return Transaction.objects.create(
        workspace=workspace,
        connection=connection,
        qonto_id=fields.pop("qonto_id", f"tx-{n}"),
        **fields,
    )


def make_usd_payment(
    workspace: Workspace, eur: str, usd: str, value_date: date, **fields: Any
) -> Transaction:
    """A completed debit of ``eur`` EUR paying ``usd`` USD on ``value_date``: a rate Qonto
    observed (``fields`` go to ``make_transaction``)."""
    return make_transaction(
        workspace,
        amount=Decimal(eur),
        currency="EUR",
        local_amount=Decimal(usd),
        local_currency="USD",
        value_date=value_date,
        **fields,
    )


def make_exchange_rate(
    base: str, quote: str, value: str, day: date, source: str = "ECB"
) -> ExchangeRate:
    """One unit of ``base`` is worth ``value`` of ``quote`` on ``day`` (the ECB's rate unless
    ``source`` says otherwise)."""
    return ExchangeRate.objects.create(
        base_currency=base, quote_currency=quote, rate=Decimal(value), rate_date=day, source=source
    )


def make_receivable(workspace: Workspace, **fields: Any) -> Receivable:
    n = next(_sequence)
    fields.setdefault("reference", f"INV-2026-{n:04d}")
    fields.setdefault("customer_name", "Client SARL")
    fields.setdefault("amount", Decimal("500.00"))
    return Receivable.objects.create(workspace=workspace, **fields)


def make_match(workspace: Workspace, **fields: Any) -> Match:
    fields.setdefault("kind", MatchKind.CONFIRMATION_DEBIT)
    fields.setdefault("score", Decimal("60.00"))
    return Match.objects.create(workspace=workspace, **fields)


def qonto_connection(workspace: Workspace) -> Connection:
    """The workspace's Qonto connection, made the first time it is asked for."""
    bank = Connection.objects.filter(workspace=workspace, provider=Provider.QONTO).first()
    return bank or make_connection(workspace, Provider.QONTO, watched_folder="")


def make_double_payment(
    workspace: Workspace,
    number: str,
    *,
    days: tuple[date, date],
    references: tuple[str, str] | None = None,
    reasons: list[str] | None = None,
    **invoice_fields: Any,
) -> Match:
    """Invoice `number` posted and paid by a confirmed debit on ``days[0]``, and its possible
    double payment (score 100, with ``reasons``): the same amount again on ``days[1]``; both
    debits name the number unless ``references`` says how."""
    paid = make_invoice(workspace, number=number, status=InvoiceStatus.POSTED, **invoice_fields)
    first, second = (
        make_transaction(
            workspace,
            qonto_connection(workspace),
            amount=paid.total_amount,
            counterparty_name=paid.supplier_name,
            reference=reference,
            value_date=day,
        )
        for day, reference in zip(days, references or (number, number), strict=True)
    )
    paperwork = {"invoice": paid, "document": paid.document}
    make_match(
        workspace,
        kind=MatchKind.INVOICE_DEBIT,
        status=MatchStatus.CONFIRMED,
        transaction=first,
        **paperwork,
    )
    return make_match(
        workspace,
        kind=MatchKind.DOUBLE_PAYMENT,
        settled_invoice=paid,
        transaction=second,
        score=Decimal(100),
        reasons=reasons or [],
        **paperwork,
    )


def make_paid_refused(workspace: Workspace, number: str, *, day: date, **fields: Any) -> Match:
    """Invoice `number` refused, and the debit of its amount on `day` that paid it anyway."""
    refused = make_invoice(workspace, number=number, status=InvoiceStatus.REFUSED, **fields)
    debit = make_transaction(
        workspace,
        qonto_connection(workspace),
        amount=refused.total_amount,
        reference=number,
        value_date=day,
    )
    return make_match(
        workspace,
        kind=MatchKind.PAID_REFUSED,
        invoice=refused,
        document=refused.document,
        transaction=debit,
        score=Decimal(100),
    )


def example_double_payment(workspace: Workspace, number: str = "2026-0457") -> Match:
    """Invoice `number` (985.00 EUR) paid on 15 Nov by a confirmed debit, and again on 19 Nov."""
    return make_double_payment(
        workspace,
        number,
        days=(date(2026, 11, 15), date(2026, 11, 19)),
        supplier_name="Van Dijk Vertaalbureau B.V.",
        total_amount=Decimal("985.00"),
    )


def example_paid_refused(workspace: Workspace) -> Match:
    """Invoice R-12 (240.00 EUR) refused, and paid anyway on 12 Oct."""
    return make_paid_refused(
        workspace,
        "R-12",
        day=date(2026, 10, 12),
        supplier_name="Hotel Spree",
        total_amount=Decimal("240.00"),
    )


def make_double_charge(
    repeat: Invoice, settled: Invoice | None = None, *, hold_reason: str, **fields: Any
) -> Match:
    """`repeat` held with `hold_reason` and its double-charge match (score 100): against the
    settled invoice `settled`, or, without one, against the bank line the pre-post gate found."""
    repeat.hold(hold_reason)
    repeat.save()
    fields.setdefault("score", Decimal(100))
    return make_match(
        repeat.workspace,
        kind=MatchKind.DOUBLE_CHARGE,
        invoice=repeat,
        document=repeat.document,
        settled_invoice=settled,
        **fields,
    )


def make_bank_detail_change(
    invoice: Invoice, vendor: Vendor, iban: str, reason: str, **fields: Any
) -> BankDetailChange:
    """The open change of ``vendor``'s bank details ``invoice`` brought (to ``iban``), held with
    ``reason``; the code is "iban_changed" unless ``code`` says otherwise."""
    fields.setdefault("code", "iban_changed")
    return BankDetailChange.objects.create(
        workspace=invoice.workspace,
        invoice=invoice,
        vendor=vendor,
        iban=iban,
        reason=reason,
        **fields,
    )


def make_sync_run(
    workspace: Workspace,
    connection: Connection | None = None,
    *,
    minutes_ago: float = 0,
    **fields: Any,
) -> SyncRun:
    """A sync run (of files unless ``kind`` says otherwise) started ``minutes_ago``; running unless
    ``status`` says otherwise."""
    fields.setdefault("kind", SyncKind.FILES)
    fields.setdefault("started_at", timezone.now() - timedelta(minutes=minutes_ago))
    return SyncRun.objects.create(workspace=workspace, connection=connection, **fields)


_PAYMENT = DocumentKind.PAYMENT_CONFIRMATION
#: One document of each standing the Documents list words: its name, days since it arrived
#: (None: just now), its fields, the status of its invoice (None: no invoice) and of its match
#: (None: none).
DOCUMENTS_BY_STANDING: list[tuple[str, int | None, dict[str, Any], str | None, str | None]] = [
    ("posted.pdf", 395, {}, InvoiceStatus.POSTED, None),
    ("in-review.pdf", 3, {}, InvoiceStatus.NEEDS_REVIEW, None),
    ("refused.pdf", 40, {}, InvoiceStatus.REFUSED, None),
    ("approved.pdf", 1, {}, InvoiceStatus.APPROVED, None),
    ("newsletter.pdf", 200, {"kind": DocumentKind.OTHER}, None, None),
    ("ignored.pdf", 100, {"status": DocumentStatus.IGNORED}, None, None),
    ("duplicate.pdf", 90, {"status": DocumentStatus.DUPLICATE}, None, None),
    ("unreadable.pdf", 5, {"status": DocumentStatus.FAILED}, None, None),
    ("arriving.pdf", None, {"status": DocumentStatus.NEW}, None, None),
    ("payment-waiting.pdf", 6, {"kind": _PAYMENT}, None, None),
    ("payment-matched.pdf", 30, {"kind": _PAYMENT}, None, MatchStatus.CONFIRMED),
    ("payment-proposed.pdf", 4, {"kind": _PAYMENT}, None, MatchStatus.PROPOSED),
    ("payment-no-debit.pdf", 20,
     {"kind": _PAYMENT, "review_reason": "No debit found within 10 days."}, None, None),
]  # fmt: skip


def received_days_ago(document: Document, days_ago: int) -> None:
    """``document`` arrived ``days_ago`` days (and five minutes) ago."""
    Document.objects.filter(pk=document.pk).update(
        received_at=timezone.now() - timedelta(days=days_ago, minutes=5)
    )


def one_document_of_each_standing(workspace: Workspace) -> None:
    """One document of each standing the Documents list words (``DOCUMENTS_BY_STANDING``)."""
    for name, days_ago, fields, invoice_status, match_status in DOCUMENTS_BY_STANDING:
        document = make_document(workspace, original_name=name, **fields)
        if days_ago is not None:
            received_days_ago(document, days_ago)
        if invoice_status is not None:
            make_invoice(workspace, document=document, status=invoice_status)
        if match_status is not None:
            transaction = make_transaction(workspace)
            make_match(workspace, document=document, transaction=transaction, status=match_status)


#: Two payment confirmations' file names as the demo's sandbox names them: one word, told apart
#: only near the end.
CONFIRMATION_NAMES = [
    "Payment_confirmation_Papeterie_Generale_2026-11-04.pdf",
    "Payment_confirmation_Papeterie_Generale_2026-11-18.pdf",
]


def two_payment_confirmations(workspace: Workspace) -> None:
    """The payment confirmations ``CONFIRMATION_NAMES``, each matched to its debit to Papeterie
    Générale (4 and 18 Nov 2026)."""
    for day, name in zip((4, 18), CONFIRMATION_NAMES, strict=True):
        document = make_document(
            workspace, original_name=name, kind=DocumentKind.PAYMENT_CONFIRMATION
        )
        debit = make_transaction(
            workspace,
            counterparty_name="Papeterie Générale du Grand Ouest SARL",
            value_date=date(2026, 11, day),
        )
        make_match(workspace, document=document, transaction=debit, amount_basis="converted")


def remittance_named_like_a_confirmation(workspace: Workspace) -> Match:
    """A remittance advice matched to a credit from Client SA, its file named as long as the
    first of ``CONFIRMATION_NAMES`` ("Remit…" for "Payment…")."""
    return make_match(
        workspace,
        kind=MatchKind.REMITTANCE_CREDIT,
        document=make_document(
            workspace, original_name=CONFIRMATION_NAMES[0].replace("Payment", "Remit")
        ),
        transaction=make_transaction(workspace, counterparty_name="Client SA"),
    )


#: Routing reasons as long as real ones: a vendor in training, an IBAN, a confidence, a rule.
LONG_ROUTING_REASONS = [
    "Vendor in training (3 of 10 documents reviewed): every document goes to review",
    "IBAN differs from the vendor's record (DE89 3704 0044 0532 0130 00)",
    "Confidence 72.5 is between the review threshold 55 and the auto-post threshold 85",
    "Routing rule “Everything above 10,000 EUR” sends it to review",
]


def fill_the_review_queue(workspace: Workspace) -> None:
    """Eight invoices to review of one vendor, with long names, numbers, amounts and
    ``LONG_ROUTING_REASONS``."""
    vendor = make_vendor(workspace, "Papeterie Générale du Grand Ouest et des Pays de Loire SAS")
    for index in range(8):
        document = make_document(
            workspace,
            original_name=f"2026-11-facture-papeterie-generale-grand-ouest-{index:04d}-copie.pdf",
        )
        make_invoice(
            workspace,
            document=document,
            vendor=vendor,
            supplier_name=vendor.name,
            number=f"FAC-2026-11-{index:06d}-GO",
            total_amount=Decimal("1283440.50"),
            currency="EUR",
            confidence=Decimal("72.50"),
            due_date=date(2026, 12, 1) + timedelta(days=index),
            status=InvoiceStatus.NEEDS_REVIEW,
            routing_reasons=LONG_ROUTING_REASONS,
        )
