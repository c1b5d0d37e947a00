"""`attach_confirmed`: upload confirmed payment confirmations to their Qonto transactions.

Runs at the end of a window, never mid-sync. Each upload carries an idempotency key (a UUID,
version 5, of the match's two sides and the file's bytes), stored on the match *before* the
call, so a retry after a timeout or a crash re-sends the same key and Qonto answers from its
cache instead of attaching the file twice. Qonto keeps keys for 30 minutes; a retry later than
that first looks at the mirrored transaction (synced at the start of the window): when
attachments appeared after the first attempt, Qonto's list of them tells whether one is ours by
the name Well gives its upload (``well-<document id>-…``, see `attachment_filename`). Anything
else — a supplier invoice Qonto's own matcher attached, a receipt someone added by hand — is
not Well's confirmation.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from dataclasses import dataclass
from dataclasses import field
from datetime import timedelta

from django.db import transaction as db_transaction
from django.utils import timezone

from connectors.errors import AuthError
from connectors.errors import ConnectorError
from connectors.errors import PermanentError
from connectors.errors import ProtocolError
from connectors.errors import TransientError
from connectors.qonto import QontoClient
from connectors.qonto import attachment_idempotency_key
from reconciliation.connections.tokens import ConnectionUnavailableError
from reconciliation.connections.tokens import mark_needs_reauth
from reconciliation.connections.tokens import qonto_client_for
from reconciliation.models import Connection
from reconciliation.models import ConnectionStatus
from reconciliation.models import Match
from reconciliation.models import MatchStatus

logger = logging.getLogger("reconciliation.matching")

#: Qonto caches an idempotent answer for 30 minutes; stay safely inside that.
IDEMPOTENCY_WINDOW = timedelta(minutes=25)


@dataclass
class AttachReport:
    workspace_id: int
    attached: int = 0
    #: Left confirmed after a transient failure; retried in the next window.
    deferred: int = 0
    blocked: int = 0
    needs_reauth: bool = False
    errors: list[str] = field(default_factory=list)


def attach_idempotency_key(
    *, workspace_id: int, document_id: int, transaction_qonto_id: str, content_hash: str
) -> str:
    """Stable for one (document bytes, Qonto transaction) pair: the UUID Qonto documents for
    ``X-Qonto-Idempotency-Key``."""
    return attachment_idempotency_key(
        "well:attach", workspace_id, document_id, transaction_qonto_id, content_hash
    )


def attachment_filename(document_id: int, original_name: str) -> str:
    """The file name Qonto shows: our document id first, so it can be traced back."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", original_name).strip("._") or "confirmation.pdf"
    if not stem.lower().endswith(".pdf"):
        stem += ".pdf"
    return f"{_our_prefix(document_id)}{stem}"[:200]


def _our_prefix(document_id: int) -> str:
    """How every file Well uploads for ``document_id`` starts (the trailing dash keeps
    document 4 from claiming document 42's file)."""
    return f"well-{document_id}-"


def attach_confirmed(*, workspace_id: int) -> AttachReport:
    """Upload every confirmed confirmation of the workspace; stop at once on an auth error."""
    report = AttachReport(workspace_id=workspace_id)
    pending = list(
        Match.objects.for_workspace(workspace_id)
        .to_attach()
        .filter(document__isnull=False, transaction__isnull=False)
        .select_related("document", "transaction")
        .order_by("id")
    )
    by_connection: dict[int, list[Match]] = defaultdict(list)
    for match in pending:
        assert match.transaction is not None
        by_connection[match.transaction.connection_id].append(match)
    for connection_id, matches in sorted(by_connection.items()):
        connection = Connection.objects.get(pk=connection_id)
        if connection.status != ConnectionStatus.ACTIVE:
            report.deferred += len(matches)
            report.errors.append(f"{connection} is not active: {len(matches)} attachments wait.")
            continue
        try:
            client = qonto_client_for(connection)
            for match in matches:
                _attach_one(client, match, report)
        except AuthError as error:
            mark_needs_reauth(connection_id, f"Attaching confirmations failed: {error}")
            report.needs_reauth = True
            report.errors.append(str(error))
            logger.warning("attach stopped: connection %s needs re-authorisation", connection_id)
            return report
        except ConnectionUnavailableError as error:
            report.errors.append(str(error))
            continue
        except TransientError as error:
            # The client already retried with backoff; the rest waits for the next window.
            report.errors.append(f"Qonto is unavailable, attachments wait: {error}")
            continue
    return report


def _attach_one(client: QontoClient, match: Match, report: AttachReport) -> None:
    document = match.document
    bank_line = match.transaction
    assert document is not None
    assert bank_line is not None
    try:
        landed = _already_landed(client, match)
    except (PermanentError, ProtocolError) as error:
        # Cannot tell Qonto's attachments from ours now: neither re-send nor assume; wait.
        _note(match, f"Could not check the transaction's attachments: {error}")
        report.deferred += 1
        report.errors.append(str(error))
        return
    if landed:
        _finish(match, "the attachment appeared on the transaction after an unconfirmed upload")
        report.attached += 1
        return
    if not document.file:
        _block(match, "The confirmation's file is not stored; it cannot be uploaded.")
        report.blocked += 1
        return
    if not _claim_attempt(match):
        return
    try:
        with document.file.open("rb") as stored:
            content = stored.read()
    except OSError as error:
        # One unreadable file must not stop the other attachments of the window.
        _block(match, f"The confirmation's stored file cannot be read ({error}); sync it again.")
        report.blocked += 1
        return
    _upload(client, match, content, report)


def _claim_attempt(match: Match) -> bool:
    """Store the key (before the call, so every retry sends it) and count the attempt."""
    document = match.document
    bank_line = match.transaction
    assert document is not None
    assert bank_line is not None
    with db_transaction.atomic():
        locked = Match.objects.select_for_update().get(pk=match.pk)
        if locked.status != MatchStatus.CONFIRMED or locked.is_attach_blocked:
            return False
        if not locked.idempotency_key:
            locked.idempotency_key = attach_idempotency_key(
                workspace_id=match.workspace_id,
                document_id=document.pk,
                transaction_qonto_id=bank_line.qonto_id,
                content_hash=document.content_hash,
            )
        locked.attach_started_at = locked.attach_started_at or timezone.now()
        locked.attach_attempts += 1
        locked.save(update_fields=["idempotency_key", "attach_started_at", "attach_attempts"])
    match.idempotency_key = locked.idempotency_key
    return True


def _upload(client: QontoClient, match: Match, content: bytes, report: AttachReport) -> None:
    document = match.document
    bank_line = match.transaction
    assert document is not None
    assert bank_line is not None
    try:
        client.attach_file_to_transaction(
            bank_line.qonto_id,
            attachment_filename(document.pk, document.original_name),
            content,
            idempotency_key=match.idempotency_key,
        )
    except (AuthError, TransientError) as error:
        _note(match, str(error))
        if isinstance(error, TransientError):
            report.deferred += 1
        raise
    except PermanentError as error:
        _block(match, f"Qonto refused the file: {error}")
        report.blocked += 1
        report.errors.append(str(error))
        return
    except ConnectorError as error:
        # An answer off the documented contract: try again next window, say so.
        _note(match, str(error))
        report.deferred += 1
        report.errors.append(str(error))
        return
    _finish(match, "")
    report.attached += 1
    logger.info(
        "document %s attached to Qonto transaction %s (key %s)",
        document.pk,
        bank_line.qonto_id,
        match.idempotency_key,
    )


def _already_landed(client: QontoClient, match: Match) -> bool:
    """After the key expired: did our upload reach the transaction after our first try? Only
    an attachment carrying the name Well gave it counts (see the module)."""
    bank_line = match.transaction
    if bank_line is None or match.document_id is None or match.attach_started_at is None:
        return False
    if timezone.now() - match.attach_started_at < IDEMPOTENCY_WINDOW:
        return False
    if bank_line.qonto_updated_at is None or bank_line.qonto_updated_at < match.attach_started_at:
        return False
    if not bank_line.attachment_ids:
        return False
    prefix = _our_prefix(match.document_id)
    return any(
        (attachment.file_name or "").startswith(prefix)
        for attachment in client.list_transaction_attachments(bank_line.qonto_id)
    )


def _finish(match: Match, note: str) -> None:
    with db_transaction.atomic():
        locked = Match.objects.select_for_update().get(pk=match.pk)
        if locked.status != MatchStatus.CONFIRMED:
            return
        locked.mark_as_attached()
        if note:
            locked.reasons = [*locked.reasons, note]
        locked.save(
            update_fields=["status", "attached_at", "attach_error", "is_attach_blocked", "reasons"]
        )


def _block(match: Match, reason: str) -> None:
    logger.warning("attaching match %s blocked: %s", match.pk, reason)
    with db_transaction.atomic():
        locked = Match.objects.select_for_update().get(pk=match.pk)
        if locked.status != MatchStatus.CONFIRMED:
            return
        locked.block_attach(reason)
        locked.save(update_fields=["is_attach_blocked", "attach_error"])


def _note(match: Match, error: str) -> None:
    Match.objects.filter(pk=match.pk).update(attach_error=error[:4000])
