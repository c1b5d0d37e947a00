"""Connections as the domain sees them: encrypted tokens on the row, refreshed under a row lock.

`connectors/` knows HTTP and cryptography but no models; this module joins the two. Tokens are
decrypted only in memory, only here, and never leave as task arguments or log lines.
"""

from __future__ import annotations

import logging
from datetime import UTC
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from connectors import crypto
from connectors import oauth
from connectors.apideck import ApideckClient
from connectors.config import ApideckConfig
from connectors.config import DropboxConfig
from connectors.config import QontoConfig
from connectors.dropbox import DropboxClient
from connectors.errors import AuthError
from connectors.qonto import QontoClient
from reconciliation.connections.notifications import notify_connection_needs_reauth
from reconciliation.models import Connection
from reconciliation.models import ConnectionStatus
from reconciliation.models import Provider
from reconciliation.models import Workspace

logger = logging.getLogger(__name__)

ACCESS = "access_token"
REFRESH = "refresh_token"


class ConnectionUnavailableError(Exception):
    """The connection cannot be used now (revoked, waiting for consent, no tokens)."""


# --- keys and tokens -----
def workspace_data_key(workspace_id: int) -> bytes:
    """The workspace's data key, created and wrapped on first use (under a row lock)."""
    master = crypto.master_key_from_settings()
    wrapped = (
        Workspace.objects.filter(pk=workspace_id).values_list("wrapped_data_key", flat=True).first()
    )
    if wrapped:
        return crypto.unwrap_data_key(master, bytes(wrapped))
    with transaction.atomic():
        workspace = Workspace.objects.select_for_update().get(pk=workspace_id)
        if workspace.wrapped_data_key:
            return crypto.unwrap_data_key(master, bytes(workspace.wrapped_data_key))
        data_key = crypto.generate_data_key()
        workspace.wrapped_data_key = crypto.wrap_data_key(master, data_key)
        workspace.save(update_fields=["wrapped_data_key"])
        return data_key


def _seal(connection: Connection, key: bytes, purpose: str, value: str | None) -> bytes | None:
    if value is None:
        return None
    return crypto.encrypt(
        key,
        value,
        associated_data=crypto.associated_data_for(connection.workspace_id, connection.pk, purpose),
    )


def _open(
    connection: Connection, key: bytes, purpose: str, sealed: bytes | memoryview | None
) -> str | None:
    if not sealed:
        return None
    return crypto.decrypt(
        key,
        bytes(sealed),
        associated_data=crypto.associated_data_for(connection.workspace_id, connection.pk, purpose),
    )


def store_tokens(connection: Connection, tokens: oauth.TokenSet) -> None:
    """Encrypt and save a token set on the row (the caller holds the row lock when refreshing)."""
    key = workspace_data_key(connection.workspace_id)
    connection.access_token_ciphertext = _seal(connection, key, ACCESS, tokens.access_token)
    if tokens.refresh_token is not None:
        connection.refresh_token_ciphertext = _seal(connection, key, REFRESH, tokens.refresh_token)
    connection.token_expires_at = tokens.expires_at
    connection.token_refreshed_at = timezone.now()
    if tokens.scopes:
        connection.scopes = " ".join(tokens.scopes)
    connection.save(
        update_fields=[
            "access_token_ciphertext",
            "refresh_token_ciphertext",
            "token_expires_at",
            "token_refreshed_at",
            "scopes",
            "updated_at",
        ]
    )


def load_tokens(connection: Connection) -> oauth.TokenSet:
    if not connection.access_token_ciphertext:
        raise ConnectionUnavailableError(f"{connection} has no access token; connect it again.")
    key = workspace_data_key(connection.workspace_id)
    access = _open(connection, key, ACCESS, connection.access_token_ciphertext)
    assert access is not None
    return oauth.TokenSet(
        access_token=access,
        refresh_token=_open(connection, key, REFRESH, connection.refresh_token_ciphertext),
        expires_at=connection.token_expires_at or datetime(1970, 1, 1, tzinfo=UTC),
        scopes=tuple(connection.scopes.split()),
    )


def _oauth_provider(connection: Connection) -> oauth.Provider:
    if connection.provider == Provider.DROPBOX:
        return "dropbox"
    if connection.provider == Provider.QONTO:
        return "qonto"
    raise ConnectionUnavailableError(f"{connection.get_provider_display()} has no OAuth tokens.")


def _oauth_config(connection: Connection) -> oauth.ProviderConfig:
    if connection.provider == Provider.DROPBOX:
        return DropboxConfig.from_settings()
    return QontoConfig.from_settings()


# --- failures -----
def mark_needs_reauth(connection_id: int, reason: str) -> None:
    """Stop using the connection and tell its owner, once per transition."""
    with transaction.atomic():
        connection = Connection.objects.select_for_update().get(pk=connection_id)
        if connection.status != ConnectionStatus.ACTIVE:
            return
        connection.mark_as_needing_reauth(reason)
        connection.save(update_fields=["status", "last_error", "last_error_at", "updated_at"])
        transaction.on_commit(lambda: notify_connection_needs_reauth(connection_id))
    logger.warning("connection %s needs re-authorisation: %s", connection_id, reason)


# --- token source -----
class ConnectionTokenSource:
    """`connectors.oauth.TokenSource` backed by the Connection row.

    Refreshes happen inside a transaction holding the row lock (`select_for_update`; SQLite's
    IMMEDIATE transactions serialise writers the same way), and only if the token the provider
    rejected is still the stored one: two workers that both saw a 401 cause one refresh. Qonto
    rotates refresh tokens, so the new pair is saved in the same transaction.
    """

    def __init__(self, connection_id: int) -> None:
        self.connection_id = connection_id

    def __repr__(self) -> str:
        return f"ConnectionTokenSource(connection={self.connection_id})"

    def access_token(self) -> str:
        connection = Connection.objects.get(pk=self.connection_id)
        self._require_usable(connection)
        tokens = load_tokens(connection)
        if tokens.refresh_token and oauth.needs_refresh(tokens, timezone.now()):
            return self._renew(rejected_token=None)
        return tokens.access_token

    def refresh_after_unauthorized(self, rejected_token: str) -> str:
        return self._renew(rejected_token=rejected_token)

    def _renew(self, *, rejected_token: str | None) -> str:
        try:
            with transaction.atomic():
                connection = Connection.objects.select_for_update().get(pk=self.connection_id)
                self._require_usable(connection)
                current = load_tokens(connection)
                fresh = oauth.renew_token_set(
                    _oauth_provider(connection),
                    _oauth_config(connection),
                    current,
                    rejected_token=rejected_token,
                    now=timezone.now(),
                )
                if fresh is None:
                    return current.access_token  # still good, or another worker refreshed
                store_tokens(connection, fresh)
                return fresh.access_token
        except AuthError as error:
            # Outside the rolled-back transaction, so the new status sticks.
            mark_needs_reauth(self.connection_id, f"Refreshing the token failed: {error}")
            raise

    @staticmethod
    def _require_usable(connection: Connection) -> None:
        if connection.status not in (ConnectionStatus.ACTIVE, ConnectionStatus.ERROR):
            raise ConnectionUnavailableError(
                f"{connection} is {connection.get_status_display().lower()}; it is not used."
            )


# --- clients -----
def dropbox_client_for(connection: Connection) -> DropboxClient:
    return DropboxClient(DropboxConfig.from_settings(), ConnectionTokenSource(connection.pk))


def qonto_client_for(connection: Connection) -> QontoClient:
    return QontoClient(QontoConfig.from_settings(), ConnectionTokenSource(connection.pk))


def apideck_client_for(connection: Connection) -> ApideckClient:
    """Apideck holds the Dropbox tokens itself (Vault); we authenticate with our API key."""
    if connection.status not in (ConnectionStatus.ACTIVE, ConnectionStatus.ERROR):
        raise ConnectionUnavailableError(f"{connection} is not active.")
    return ApideckClient(ApideckConfig.from_settings())


def apideck_consumer_id(workspace_id: int) -> str:
    """Our Vault consumer id for a workspace: stable, and reveals nothing but the row id."""
    return f"well-workspace-{workspace_id}"
