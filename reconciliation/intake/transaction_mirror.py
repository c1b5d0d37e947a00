"""Mirror Qonto transactions into `Transaction`, incrementally.

Each bank account is listed by ``updated_at`` (ascending) from the connection's mark minus an
overlap, both sides, every status. Pages are read as a keyset: after each stored page the
listing restarts from the page's last ``updated_at``, so a transaction that changes while we
page (and moves to the end of Qonto's ordering) can never shift an unread one out of reach,
as page numbers would. A full page whose transactions all share one ``updated_at`` is paged
through by number instead. Rows are upserted on (workspace, qonto id); unchanged ones are
not written.

The connection's ``synced_until`` only moves forward, and only after the page that justifies
it is stored: everything updated before it is mirrored for every account. A bank account seen
for the first time is back-filled from `INITIAL_LOOKBACK` and joins ``bank_account_ids`` once
complete.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from itertools import islice
from typing import Any

from django.db import transaction as db_transaction
from django.utils import timezone

from connectors.errors import AuthError
from connectors.errors import ConnectorError
from connectors.qonto import QontoClient
from connectors.qonto.schemas import Transaction as QontoTransaction
from reconciliation.connections.tokens import ConnectionUnavailableError
from reconciliation.connections.tokens import mark_needs_reauth
from reconciliation.connections.tokens import qonto_client_for
from reconciliation.intake.claims import SYNCABLE
from reconciliation.intake.claims import claim_sync
from reconciliation.intake.claims import why_sync_stopped
from reconciliation.intake.mirroring import upsert_changed
from reconciliation.models import Connection
from reconciliation.models import Provider
from reconciliation.models import Side
from reconciliation.models import SyncKind
from reconciliation.models import SyncRun
from reconciliation.models import SyncStatus
from reconciliation.models import Transaction
from reconciliation.models import TransactionStatus
from reconciliation.models.audit import SyncTrigger
from reconciliation.money import is_known_currency
from reconciliation.text.identifiers import compact_iban
from reconciliation.text.names import normalize_counterparty as normalize_name
from reconciliation.text.references import remittance_reference

logger = logging.getLogger(__name__)

#: Re-read this much before the mark: clock skew and late commits on Qonto's side.
OVERLAP = timedelta(minutes=10)
#: How far back the first sync of a bank account goes.
INITIAL_LOOKBACK = timedelta(days=400)
PAGE_SIZE = 100
SYNC_LEASE = timedelta(minutes=15)
#: Every status Qonto publishes: pending card payments change amount, declined ones must stop
#: matching.
STATUSES = ("pending", "completed", "declined")
#: What an update of a mirrored transaction rewrites. `synced_at` must stay in it: the matcher's
#: double-payment check reads "debits synced since the last window" by it, so a pending debit
#: that completes later is looked at again.
_UPDATE_FIELDS = (
    "connection",
    "transaction_slug",
    *Transaction.BANK_LINE_FIELDS,
    "normalized_counterparty",
    "normalized_reference",
    "qonto_updated_at",
    "attachment_ids",
    "raw",
    "synced_at",
)


@dataclass
class SyncResult:
    connection_id: int
    status: str  # succeeded | partial | failed | needs_reauth | skipped
    sync_run_id: int | None = None
    items_seen: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    pages: int = 0
    synced_until: datetime | None = None
    error: str = ""
    accounts: list[str] = field(default_factory=list)

    @property
    def items_changed(self) -> int:
        return self.created + self.updated


@dataclass
class _Marks:
    """Per-account progress; the connection's mark is the slowest account's."""

    previous: datetime | None
    started_at: datetime
    accounts: dict[str, datetime | None] = field(default_factory=dict)

    def connection_mark(self) -> datetime | None:
        if not self.accounts:
            return self.previous
        slowest: datetime | None = None
        for mark in self.accounts.values():
            if mark is None:
                return self.previous
            slowest = mark if slowest is None else min(slowest, mark)
        if self.previous is not None and slowest is not None:
            return max(self.previous, slowest)
        return slowest


def sync_transactions(*, connection_id: int, trigger: str = SyncTrigger.SCHEDULE) -> SyncResult:
    """Mirror the connection's Qonto transactions changed since its mark (see module doc)."""
    now = timezone.now()
    connection = Connection.objects.get(pk=connection_id)
    if connection.provider != Provider.QONTO:
        raise ValueError(f"{connection} is not a Qonto connection")
    if connection.status not in SYNCABLE:
        return SyncResult(connection_id, "skipped", error=f"{connection} is not active.")
    run = claim_sync(
        connection, kind=SyncKind.TRANSACTIONS, trigger=trigger, lease=SYNC_LEASE, now=now
    )
    if run is None:
        return SyncResult(connection_id, "skipped", error="A transaction sync is running.")
    result = SyncResult(connection_id, "running", sync_run_id=run.pk)
    marks = _Marks(previous=connection.synced_until, started_at=now)
    try:
        client = qonto_client_for(connection)
        _sync_accounts(client, connection, marks, result)
    except (ConnectorError, ConnectionUnavailableError) as error:
        result.error = why_sync_stopped(error, "Qonto", "the next sync")
        if isinstance(error, AuthError):
            mark_needs_reauth(connection_id, result.error)
            result.status = "needs_reauth"
    _finish(connection_id, run, result)
    return result


def _sync_accounts(
    client: QontoClient, connection: Connection, marks: _Marks, result: SyncResult
) -> None:
    known = [str(account_id) for account_id in connection.bank_account_ids or []]
    listed = [account.id for account in client.list_bank_accounts() if account.status != "closed"]
    accounts = listed or known
    result.accounts = list(accounts)
    for account_id in accounts:
        marks.accounts[account_id] = None
    for account_id in accounts:
        if account_id in known and marks.previous is not None:
            start = marks.previous - OVERLAP
        else:
            start = marks.started_at - INITIAL_LOOKBACK
        _sync_account(client, connection, account_id, start, marks, result)
        marks.accounts[account_id] = max(marks.started_at, marks.accounts[account_id] or start)
        if account_id not in known:
            known.append(account_id)
            Connection.objects.filter(pk=connection.pk).update(bank_account_ids=known)
        _save_mark(connection.pk, marks, result)


def _sync_account(
    client: QontoClient,
    connection: Connection,
    account_id: str,
    start: datetime,
    marks: _Marks,
    result: SyncResult,
) -> None:
    mark = start
    while True:
        listing = client.list_transactions(
            account_id, updated_at_from=mark, statuses=STATUSES, per_page=PAGE_SIZE
        )
        try:
            next_mark = _read_listing(listing, connection, account_id, mark, marks, result)
        finally:
            # Stop the client's page generator: an abandoned listing must not fetch more.
            close = getattr(listing, "close", None)
            if close is not None:
                close()
        if next_mark is None:
            return
        mark = next_mark


def _read_listing(
    listing: Iterator[QontoTransaction],
    connection: Connection,
    account_id: str,
    mark: datetime,
    marks: _Marks,
    result: SyncResult,
) -> datetime | None:
    """Store pages of one listing. Returns the mark to restart from after a page that moved
    it, or None when the account is complete."""
    for page in _pages(listing):
        result.pages += 1
        result.items_seen += len(page)
        _store(connection, page, result)
        latest = max((item.updated_at for item in page if item.updated_at), default=None)
        moved = latest is not None and latest > mark
        if moved and latest is not None:
            marks.accounts[account_id] = latest
            _save_mark(connection.pk, marks, result)
        if len(page) < PAGE_SIZE:
            return None
        if moved:
            # Later transactions at `latest` may sit on the next page: restart from it
            # (inclusive) instead of trusting page numbers.
            return latest
        # A full page all at `mark`: page through it by number.
    return None


def _pages(listing: Iterator[QontoTransaction]) -> Iterator[list[QontoTransaction]]:
    """Group the client's item stream into its pages, pulling the next page only on demand."""
    while True:
        page = list(islice(listing, PAGE_SIZE))
        if not page:
            return
        yield page
        if len(page) < PAGE_SIZE:
            return


def _store(connection: Connection, items: Iterable[QontoTransaction], result: SyncResult) -> None:
    rows: list[Transaction] = []
    for item in items:
        row = transaction_row(connection, item)
        if row is None:
            result.skipped += 1
            continue
        rows.append(row)
    if not rows:
        return
    changed, existing = upsert_changed(
        Transaction, connection.workspace_id, rows, _UPDATE_FIELDS, refresh_unstamped=True
    )
    result.created += sum(1 for row in changed if row.qonto_id not in existing)
    result.updated += sum(1 for row in changed if row.qonto_id in existing)
    result.unchanged += len(rows) - len(changed)


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.astimezone(UTC)


def value_date_of(item: QontoTransaction) -> date | None:
    """Settlement day when known, else the day it was first authorised (UTC)."""
    moment = item.settled_at or item.emitted_at or item.created_at
    return moment.astimezone(UTC).date() if moment is not None else None


def transaction_row(connection: Connection, item: QontoTransaction) -> Transaction | None:
    """The mirror row of one Qonto transaction (None when it cannot be stored as money)."""
    side = item.side.lower()
    status = (item.status or TransactionStatus.COMPLETED).lower()
    currency = item.currency.upper()
    if side not in Side.values or status not in TransactionStatus.values:
        logger.warning("transaction %s skipped: side %r, status %r", item.id, side, status)
        return None
    if not is_known_currency(currency):
        logger.warning("transaction %s skipped: currency %r", item.id, currency)
        return None
    local_currency = (item.local_currency or "").upper()
    if local_currency and not is_known_currency(local_currency):
        local_currency = ""
    name = item.clean_counterparty_name or item.label or ""
    reference = item.reference or ""
    raw: dict[str, Any] = item.model_dump(mode="json")
    return Transaction(
        workspace_id=connection.workspace_id,
        connection=connection,
        qonto_id=item.id,
        transaction_slug=(item.transaction_id or "")[:100],
        bank_account_id=(item.bank_account_id or "")[:64],
        side=side,
        status=status,
        operation_type=(item.operation_type or "")[:40],
        amount=abs(item.amount),
        currency=currency,
        local_amount=abs(item.local_amount) if item.local_amount is not None else None,
        local_currency=local_currency,
        counterparty_name=name[:300],
        normalized_counterparty=normalize_name(name),
        counterparty_iban=compact_iban(item.counterparty_iban),
        reference=reference[:300],
        normalized_reference=remittance_reference(reference).normalized[:140],
        note=item.note or "",
        emitted_at=_aware(item.emitted_at),
        settled_at=_aware(item.settled_at),
        value_date=value_date_of(item),
        qonto_updated_at=_aware(item.updated_at),
        attachment_ids=list(item.attachment_ids),
        raw=raw,
        synced_at=timezone.now(),
    )


def _save_mark(connection_id: int, marks: _Marks, result: SyncResult) -> None:
    mark = marks.connection_mark()
    if mark is None or (marks.previous is not None and mark <= marks.previous):
        return
    Connection.objects.filter(pk=connection_id).update(synced_until=mark)
    marks.previous = mark
    result.synced_until = mark


def _finish(connection_id: int, run: SyncRun, result: SyncResult) -> None:
    if result.status == "running":
        if not result.error:
            result.status = "succeeded"
        else:
            result.status = "partial" if result.items_changed else "failed"
    status = {
        "succeeded": SyncStatus.SUCCEEDED,
        "partial": SyncStatus.PARTIAL,
    }.get(result.status, SyncStatus.FAILED)
    run.finish_with_counts(
        status,
        seen=result.items_seen,
        changed=result.items_changed,
        failed=result.skipped,
        details={
            "created": result.created,
            "updated": result.updated,
            "unchanged": result.unchanged,
            "pages": result.pages,
            "accounts": result.accounts,
            "synced_until": result.synced_until.isoformat() if result.synced_until else None,
        },
        error=result.error,
    )
    now = timezone.now()
    with db_transaction.atomic():
        run.save()
        values: dict[str, object] = {"sync_lease_until": None, "last_sync_at": now}
        if result.error:
            values["last_error"] = result.error[:4000]
            values["last_error_at"] = now
        else:
            values["last_success_at"] = now
        Connection.objects.filter(pk=connection_id).update(**values)
    if result.error:
        logger.warning("transaction sync of connection %s: %s", connection_id, result.error)
    else:
        logger.info(
            "transaction sync of connection %s: %d new, %d updated, %d pages",
            connection_id,
            result.created,
            result.updated,
            result.pages,
        )
