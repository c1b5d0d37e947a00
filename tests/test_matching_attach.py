"""Attaching confirmed confirmations to their Qonto transactions, against the emulator over real
HTTP: one upload per match, the same idempotency key on every retry (inside one window and
across windows), transient errors wait, auth errors stop at once, refusals block."""

from __future__ import annotations

import hashlib
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from connectors.sandbox import QontoEmulator
from reconciliation.connections.tokens import qonto_client_for
from reconciliation.intake.transaction_mirror import sync_transactions
from reconciliation.matching import AttachReport
from reconciliation.matching import attach_confirmed
from reconciliation.matching import attach_idempotency_key
from reconciliation.matching import match_window
from reconciliation.models import Connection
from reconciliation.models import ConnectionStatus
from reconciliation.models import Document
from reconciliation.models import Match
from reconciliation.models import MatchStatus
from reconciliation.models import Transaction
from reconciliation.models import Workspace
from tests.test_matching_confirmations import ACME_IBAN
from tests.test_matching_confirmations import TODAY
from tests.test_matching_confirmations import payment_document

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
ATTACH = "/v2/transactions/*/attachments"


@pytest.fixture
def qonto_read_timeout() -> float:
    """Short enough that an answer delayed by 2.5 s times out (conftest's ``qonto`` reads it)."""
    return 1.0


def confirmed_payment(
    workspace: Workspace, emulator: QontoEmulator, qonto: Connection, amount: str = "1250.00"
) -> tuple[Match, str]:
    """A debit on Qonto, mirrored, and its stored confirmation matched to it."""
    remote = emulator.add_transaction(
        amount=Decimal(amount), label="ACME SUPPLIES", counterparty_iban=ACME_IBAN,
        reference=f"INV-{amount}",
    )  # fmt: skip
    sync_transactions(connection_id=qonto.pk)
    mirrored = Transaction.objects.get(qonto_id=remote.id)
    assert mirrored.value_date is not None
    document = payment_document(
        workspace,
        amount=amount,
        currency="EUR",
        execution_date=mirrored.value_date.isoformat(),
        beneficiary_name="ACME Supplies",
        beneficiary_iban=ACME_IBAN,
        reference=f"INV-{amount}",
    )
    content = PDF + amount.encode()
    Document.objects.filter(pk=document.pk).update(content_hash=hashlib.sha256(content).hexdigest())
    document.refresh_from_db()
    document.file.save("confirmation.pdf", ContentFile(content), save=True)
    match_window(workspace_id=workspace.pk, today=TODAY)
    return Match.objects.get(document=document, status=MatchStatus.CONFIRMED), remote.id


def uploads(emulator: QontoEmulator) -> list[str | None]:
    return [
        entry.header("X-Qonto-Idempotency-Key")
        for entry in emulator.requests(method="POST", path=ATTACH)
    ]


def test_attach_uploads_the_confirmation_with_a_stable_key(
    workspace: Workspace, qonto: Connection, qonto_emulator: QontoEmulator
) -> None:
    match, remote_id = confirmed_payment(workspace, qonto_emulator, qonto)
    assert match.document is not None
    expected_key = attach_idempotency_key(
        workspace_id=workspace.pk,
        document_id=match.document.pk,
        transaction_qonto_id=remote_id,
        content_hash=match.document.content_hash,
    )

    report = attach_confirmed(workspace_id=workspace.pk)

    match.refresh_from_db()
    assert (report.attached, report.deferred, report.errors) == (1, 0, [])
    assert (match.status, match.idempotency_key, match.attach_attempts) == (
        MatchStatus.ATTACHED,
        expected_key,
        1,
    )
    assert match.attached_at is not None
    attachments = qonto_emulator.attachments_of(remote_id)
    assert [(a.sha256, a.idempotency_key) for a in attachments] == [
        (match.document.content_hash, expected_key)
    ]
    assert attachments[0].file_name == f"well-{match.document.pk}-{match.document.original_name}"
    assert uploads(qonto_emulator) == [expected_key]


def test_nothing_is_uploaded_twice(
    workspace: Workspace, qonto: Connection, qonto_emulator: QontoEmulator
) -> None:
    _, remote_id = confirmed_payment(workspace, qonto_emulator, qonto)
    attach_confirmed(workspace_id=workspace.pk)

    report = attach_confirmed(workspace_id=workspace.pk)

    assert report.attached == 0
    assert len(qonto_emulator.attachments_of(remote_id)) == 1
    assert len(uploads(qonto_emulator)) == 1


def test_retry_after_a_timeout_resends_the_same_key(
    workspace: Workspace, qonto: Connection, qonto_emulator: QontoEmulator
) -> None:
    match, remote_id = confirmed_payment(workspace, qonto_emulator, qonto)
    # Qonto stores the attachment, then the answer never arrives in time.
    qonto_emulator.inject_fault(ATTACH, {"delay_after_processing": 2.5}, method="POST")

    report = attach_confirmed(workspace_id=workspace.pk)

    match.refresh_from_db()
    assert (report.attached, match.status) == (1, MatchStatus.ATTACHED)
    assert uploads(qonto_emulator) == [match.idempotency_key, match.idempotency_key]
    assert len(qonto_emulator.attachments_of(remote_id)) == 1


@pytest.mark.postgres
def test_an_unanswered_window_is_finished_by_the_next_with_the_same_key(
    workspace: Workspace, qonto: Connection, qonto_emulator: QontoEmulator
) -> None:
    match, remote_id = confirmed_payment(workspace, qonto_emulator, qonto)
    # Every try of this window is processed by Qonto and its answer lost.
    qonto_emulator.inject_fault(ATTACH, {"drop": "after_processing"}, method="POST", count=4)

    first = attach_confirmed(workspace_id=workspace.pk)

    match.refresh_from_db()
    assert (first.attached, first.deferred, match.status) == (0, 1, MatchStatus.CONFIRMED)
    assert match.attach_error != ""
    assert first.errors[0].startswith("Qonto is unavailable, attachments wait: ")

    second = attach_confirmed(workspace_id=workspace.pk)

    match.refresh_from_db()
    assert (second.attached, match.status, match.attach_attempts) == (1, MatchStatus.ATTACHED, 2)
    assert set(uploads(qonto_emulator)) == {match.idempotency_key}
    assert len(uploads(qonto_emulator)) == 5
    assert len(qonto_emulator.attachments_of(remote_id)) == 1


def test_revoked_consent_stops_attaching_at_once(
    workspace: Workspace, qonto: Connection, qonto_emulator: QontoEmulator
) -> None:
    first, _ = confirmed_payment(workspace, qonto_emulator, qonto, "100.00")
    second, _ = confirmed_payment(workspace, qonto_emulator, qonto, "200.00")
    qonto_emulator.revoke_all_tokens()
    qonto_emulator.clear_requests()

    report = attach_confirmed(workspace_id=workspace.pk)

    qonto.refresh_from_db()
    assert (report.needs_reauth, report.attached, qonto.status) == (
        True,
        0,
        ConnectionStatus.NEEDS_REAUTH,
    )
    assert len(uploads(qonto_emulator)) == 1
    assert set(
        Match.objects.filter(pk__in=[first.pk, second.pk]).values_list("status", flat=True)
    ) == {MatchStatus.CONFIRMED}
    # Nothing more is sent while the connection waits for the owner.
    qonto_emulator.clear_requests()
    again = attach_confirmed(workspace_id=workspace.pk)
    assert (again.deferred, uploads(qonto_emulator)) == (2, [])


def test_a_transaction_qonto_does_not_know_blocks_the_match(
    workspace: Workspace, qonto: Connection, qonto_emulator: QontoEmulator
) -> None:
    match, _ = confirmed_payment(workspace, qonto_emulator, qonto)
    assert match.transaction is not None
    Transaction.objects.filter(pk=match.transaction.pk).update(qonto_id="no-such-transaction")

    report = attach_confirmed(workspace_id=workspace.pk)
    again = attach_confirmed(workspace_id=workspace.pk)

    match.refresh_from_db()
    assert (report.blocked, again.blocked, match.status, match.is_attach_blocked) == (
        1,
        0,
        MatchStatus.CONFIRMED,
        True,
    )
    assert match.attach_error.startswith("Qonto refused the file: ")
    assert len(uploads(qonto_emulator)) == 1


def test_a_confirmation_without_its_file_is_blocked_without_a_call(
    workspace: Workspace, qonto: Connection, qonto_emulator: QontoEmulator
) -> None:
    match, _ = confirmed_payment(workspace, qonto_emulator, qonto)
    assert match.document_id is not None
    Document.objects.filter(pk=match.document_id).update(file="")

    report = attach_confirmed(workspace_id=workspace.pk)

    match.refresh_from_db()
    assert (report.blocked, match.is_attach_blocked, uploads(qonto_emulator)) == (1, True, [])
    assert match.attach_error == "The confirmation's file is not stored; it cannot be uploaded."


def test_a_lost_file_blocks_only_its_own_match(
    workspace: Workspace, qonto: Connection, qonto_emulator: QontoEmulator
) -> None:
    lost, _ = confirmed_payment(workspace, qonto_emulator, qonto, amount="1250.00")
    kept, _ = confirmed_payment(workspace, qonto_emulator, qonto, amount="980.00")
    assert lost.document is not None
    lost.document.file.storage.delete(lost.document.file.name)  # the name stays, bytes go

    report = attach_confirmed(workspace_id=workspace.pk)

    lost.refresh_from_db()
    kept.refresh_from_db()
    assert (report.blocked, report.attached) == (1, 1)
    assert (lost.is_attach_blocked, lost.status) == (True, MatchStatus.CONFIRMED)
    assert "cannot be read" in lost.attach_error
    assert kept.status == MatchStatus.ATTACHED


def test_the_attachment_key_is_a_version_5_uuid(workspace: Workspace) -> None:
    key = attach_idempotency_key(
        workspace_id=workspace.pk, document_id=3, transaction_qonto_id="t-1", content_hash="ab"
    )

    assert uuid.UUID(key).version == 5
    assert key == attach_idempotency_key(
        workspace_id=workspace.pk, document_id=3, transaction_qonto_id="t-1", content_hash="ab"
    )
    assert key != attach_idempotency_key(
        workspace_id=workspace.pk, document_id=3, transaction_qonto_id="t-2", content_hash="ab"
    )


def an_unconfirmed_attempt_long_ago(match: Match) -> str:
    """Our first upload was 40 minutes ago and its answer never came: the key has expired."""
    assert match.document is not None
    assert match.transaction is not None
    key = attach_idempotency_key(
        workspace_id=match.workspace_id,
        document_id=match.document.pk,
        transaction_qonto_id=match.transaction.qonto_id,
        content_hash=match.document.content_hash,
    )
    Match.objects.filter(pk=match.pk).update(
        idempotency_key=key,
        attach_started_at=timezone.now() - timedelta(minutes=40),
        attach_attempts=1,
    )
    return key


def attached_after_an_unanswered_upload(
    workspace: Workspace,
    qonto: Connection,
    emulator: QontoEmulator,
    file_name: str,
    *,
    same_key: bool,
) -> tuple[Match, str, str, AttachReport]:
    """A confirmed payment whose upload went unanswered 40 minutes ago; then a file named
    ``file_name`` (``{document_id}`` filled in) lands on its debit, sent with our expired key
    when ``same_key`` or a fresh one otherwise, is mirrored, and attaching runs again.
    Returns the match (reloaded), the debit's Qonto id, our key and the report."""
    match, remote_id = confirmed_payment(workspace, emulator, qonto)
    key = an_unconfirmed_attempt_long_ago(match)
    assert match.document is not None
    qonto_client_for(qonto).attach_file_to_transaction(
        remote_id,
        file_name.format(document_id=match.document.pk),
        PDF,
        idempotency_key=key if same_key else str(uuid.uuid4()),
    )
    sync_transactions(connection_id=qonto.pk)
    report = attach_confirmed(workspace_id=workspace.pk)
    match.refresh_from_db()
    return match, remote_id, key, report


def test_qontos_own_matcher_attachment_is_not_taken_for_ours(
    workspace: Workspace, qonto: Connection, qonto_emulator: QontoEmulator
) -> None:
    match, remote_id = confirmed_payment(workspace, qonto_emulator, qonto)
    key = an_unconfirmed_attempt_long_ago(match)
    assert match.transaction is not None
    assert match.transaction.value_date is not None
    paid = match.transaction.value_date
    # Qonto's matcher attaches a supplier invoice that came by e-mail to the same debit.
    planted = qonto_emulator.plant_supplier_invoice(
        supplier_name="Acme Supplies SAS",
        total_amount=Decimal("1250.00"),
        invoice_number="A-77",
        issue_date=(paid - timedelta(days=2)).isoformat(),
        due_date=paid.isoformat(),
    )
    assert [a.id for a in qonto_emulator.attachments_of(remote_id)] == [planted.attachment_id]
    sync_transactions(connection_id=qonto.pk)

    report = attach_confirmed(workspace_id=workspace.pk)

    match.refresh_from_db()
    assert (report.attached, match.status) == (1, MatchStatus.ATTACHED)
    assert uploads(qonto_emulator) == [key]
    assert len(qonto_emulator.attachments_of(remote_id)) == 2


def test_our_own_attachment_found_after_the_key_expired_is_not_sent_again(
    workspace: Workspace, qonto: Connection, qonto_emulator: QontoEmulator
) -> None:
    # The first upload did land; only its answer was lost.
    match, remote_id, key, report = attached_after_an_unanswered_upload(
        workspace, qonto, qonto_emulator, "well-{document_id}-confirmation.pdf", same_key=True
    )

    assert (report.attached, match.status) == (1, MatchStatus.ATTACHED)
    assert uploads(qonto_emulator) == [key]  # the landed one, nothing after it
    assert len(qonto_emulator.attachments_of(remote_id)) == 1
    assert match.reasons[-1] == (
        "the attachment appeared on the transaction after an unconfirmed upload"
    )


def test_a_receipt_added_by_hand_is_not_taken_for_ours(
    workspace: Workspace, qonto: Connection, qonto_emulator: QontoEmulator
) -> None:
    """Someone attached a receipt to the debit after our unanswered upload; it is not Well's
    file, so the confirmation is still uploaded (with the same key) rather than marked done."""
    match, remote_id, key, report = attached_after_an_unanswered_upload(
        workspace, qonto, qonto_emulator, "receipt-acme.pdf", same_key=False
    )

    assert match.document is not None
    assert (report.attached, match.status) == (1, MatchStatus.ATTACHED)
    assert uploads(qonto_emulator)[-1] == key
    assert sorted(a.file_name for a in qonto_emulator.attachments_of(remote_id)) == [
        "receipt-acme.pdf",
        f"well-{match.document.pk}-{match.document.original_name}",
    ]
    assert match.reasons[-1] != (
        "the attachment appeared on the transaction after an unconfirmed upload"
    )


def test_another_documents_upload_is_not_taken_for_ours(
    workspace: Workspace, qonto: Connection, qonto_emulator: QontoEmulator
) -> None:
    _, remote_id, key, _ = attached_after_an_unanswered_upload(
        workspace, qonto, qonto_emulator, "well-{document_id}0-confirmation.pdf", same_key=False
    )

    assert uploads(qonto_emulator)[-1] == key
    assert len(qonto_emulator.attachments_of(remote_id)) == 2
