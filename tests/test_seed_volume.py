from __future__ import annotations

import hashlib
from io import StringIO

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db.models import F

from reconciliation.models import Document
from reconciliation.models import Invoice
from reconciliation.models import Match
from reconciliation.models import MatchKind
from reconciliation.models import Transaction
from reconciliation.models import Workspace
from reconciliation.models.invoice import idempotency_key_for
from reconciliation.text.names import normalize_counterparty
from reconciliation.text.references import remittance_reference
from tests.factories import make_document


def _seed(**sizes: int) -> str:
    out = StringIO()
    call_command("seed_volume", stdout=out, **sizes)
    return out.getvalue()


@pytest.fixture
def seeded(db: None) -> list[Workspace]:
    _seed(
        workspaces=3,
        documents=60,
        transactions=90,
        other_documents=12,
        other_transactions=15,
        pdfs=2,
    )
    return list(Workspace.objects.order_by("pk"))


def test_the_first_workspace_gets_the_volume_and_the_others_the_small_sizes(
    seeded: list[Workspace],
) -> None:
    assert [Document.objects.filter(workspace=w).count() for w in seeded] == [60, 12, 12]
    assert [Transaction.objects.filter(workspace=w).count() for w in seeded] == [90, 15, 15]
    assert [w.slug for w in seeded] == ["volume-1", "volume-2", "volume-3"]


def test_documents_share_real_pdfs_stored_once_by_content(seeded: list[Workspace]) -> None:
    names = set(Document.objects.values_list("file", flat=True))
    # Stored once per workspace (each sealed with its own workspace's key).
    assert len(names) == 2 * len(seeded)
    for name in names:
        with default_storage.open(name, "rb") as stored:
            content = stored.read()
        assert content.startswith(b"%PDF")
        hashes = set(Document.objects.filter(file=name).values_list("content_hash", flat=True))
        assert hashes == {hashlib.sha256(content).hexdigest()}


def test_invoices_belong_to_their_documents_workspace_with_the_posting_key(
    seeded: list[Workspace],
) -> None:
    invoices = list(Invoice.objects.select_related("document"))
    assert invoices
    for invoice in invoices:
        assert invoice.document.workspace_id == invoice.workspace_id
        assert invoice.document.kind in ("invoice", "credit_note")
        assert invoice.idempotency_key == idempotency_key_for(
            invoice.workspace_id, invoice.document_id, invoice.document.content_hash
        )
        assert invoice.total_amount == invoice.net_amount + invoice.tax_amount


def test_matches_pair_an_invoice_with_a_debit_of_its_amount_in_its_workspace(
    seeded: list[Workspace],
) -> None:
    matches = Match.objects.filter(kind=MatchKind.INVOICE_DEBIT)
    assert matches.count() > 0
    assert matches.exclude(workspace_id=F("invoice__workspace_id")).count() == 0
    assert matches.exclude(workspace_id=F("transaction__workspace_id")).count() == 0
    assert matches.exclude(transaction__amount=F("invoice__total_amount")).count() == 0
    assert matches.exclude(transaction__side="debit").count() == 0


def test_transactions_carry_the_normalised_values_the_mirror_would_store(
    seeded: list[Workspace],
) -> None:
    for row in Transaction.objects.all():
        assert row.normalized_counterparty == normalize_counterparty(row.counterparty_name)
        assert row.normalized_reference == remittance_reference(row.reference).normalized[:140]


def test_rows_created_after_seeding_get_fresh_ids(seeded: list[Workspace]) -> None:
    highest = Document.objects.order_by("-pk").values_list("pk", flat=True)[0]
    assert make_document(seeded[0]).pk > highest


@pytest.mark.django_db
def test_a_second_run_adds_workspaces_after_the_first() -> None:
    _seed(workspaces=1, documents=5, transactions=5, pdfs=1)
    report = _seed(workspaces=1, documents=5, transactions=5, pdfs=1)
    assert list(Workspace.objects.order_by("pk").values_list("slug", flat=True)) == [
        "volume-1",
        "volume-2",
    ]
    second = Workspace.objects.get(slug="volume-2").pk
    assert report.startswith(f"seeded 1 workspaces (first: {second}), 5 vendors, 5 documents")
