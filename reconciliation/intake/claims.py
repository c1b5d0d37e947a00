"""One sync of a connection at a time, across workers: the connection's sync lease, taken with
one conditional UPDATE, and the SyncRun the sync writes its counts into."""

from __future__ import annotations

from datetime import datetime
from datetime import timedelta

from django.db.models import Q

from connectors.errors import AuthError
from connectors.errors import ConnectorError
from connectors.errors import PermanentError
from connectors.errors import TransientError
from reconciliation.connections.tokens import ConnectionUnavailableError
from reconciliation.models import Connection
from reconciliation.models import ConnectionStatus
from reconciliation.models import SyncKind
from reconciliation.models import SyncRun

#: A connection in error (e.g. its folder vanished) keeps being tried so it heals on its own.
SYNCABLE = (ConnectionStatus.ACTIVE, ConnectionStatus.ERROR)


#: What stops a sync: the provider's answer, or a connection that cannot be used.
SyncFailure = ConnectorError | ConnectionUnavailableError


def why_sync_stopped(error: SyncFailure, provider: str, next_try: str) -> str:
    """The run's error, in words: `provider` ("Qonto", "The provider") refused the
    authorisation or the listing, was unavailable (`next_try` retries), answered unexpectedly;
    an unusable connection says why itself."""
    if isinstance(error, AuthError):
        return f"{provider} refused the authorisation: {error}"
    if isinstance(error, ConnectionUnavailableError):
        return str(error)
    if isinstance(error, TransientError):
        return f"{provider} is unavailable; {next_try} retries: {error}"
    if isinstance(error, PermanentError):
        return f"{provider} refused the listing: {error}"
    return f"{provider} answered unexpectedly: {error}"


def claim_sync(
    connection: Connection, *, kind: SyncKind, trigger: str, lease: timedelta, now: datetime
) -> SyncRun | None:
    """Take the connection's sync lease (free, or run out) for `lease` and open the run; None
    when another sync holds it or the connection is no longer syncable."""
    claimed = Connection.objects.filter(
        Q(sync_lease_until__isnull=True) | Q(sync_lease_until__lt=now),
        pk=connection.pk,
        status__in=SYNCABLE,
    ).update(sync_lease_until=now + lease, last_sync_started_at=now)
    if claimed != 1:
        return None
    return SyncRun.objects.create(
        workspace_id=connection.workspace_id,
        connection=connection,
        kind=kind,
        trigger=trigger,
        started_at=now,
    )
