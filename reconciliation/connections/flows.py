"""Connecting and disconnecting providers: the OAuth / Vault flows as domain functions.

The views in `views.py` only check who is asking and carry state through the session;
everything that talks to a provider or writes a Connection lives here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from stdnum.fr import tva as fr_tva

from connectors import oauth
from connectors.apideck import ApideckClient
from connectors.config import ApideckConfig
from connectors.config import DropboxConfig
from connectors.config import QontoConfig
from connectors.dropbox import DropboxClient
from connectors.errors import ConnectorError
from connectors.qonto import QontoClient
from reconciliation.connections.tokens import apideck_consumer_id
from reconciliation.connections.tokens import load_tokens
from reconciliation.connections.tokens import store_tokens
from reconciliation.models import Connection
from reconciliation.models import ConnectionStatus
from reconciliation.models import Decision
from reconciliation.models import DecisionAction
from reconciliation.models import Provider
from reconciliation.models import Workspace

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ConnectResult:
    connection: Connection
    created: bool


@dataclass(frozen=True)
class DisconnectResult:
    connection: Connection
    revoked_at_provider: bool
    message: str


def consent_origins() -> list[str]:
    """Origins of the pages a connect button sends the browser to (for CSP form-action)."""
    urls = [
        settings.DROPBOX_WEB_URL,
        settings.QONTO_OAUTH_URL,
        settings.APIDECK_VAULT_URL,
        settings.APIDECK_API_URL,
    ]
    origins = []
    for url in urls:
        parts = urlsplit(str(url))
        if parts.scheme and parts.netloc:
            origins.append(f"{parts.scheme}://{parts.netloc}")
    return sorted(set(origins))


def vat_id_from_registration(country: str | None, number: str | None) -> str:
    """The company's VAT id where its registration number determines it (France: the SIREN,
    i.e. the first nine digits of the SIRET, with a key computed from it)."""
    digits = "".join(ch for ch in (number or "") if ch.isdigit())
    if (country or "").upper() != "FR" or len(digits) < 9:
        return ""
    siren = digits[:9]
    candidate = f"FR{(12 + 3 * (int(siren) % 97)) % 97:02d}{siren}"
    return candidate if fr_tva.is_valid(candidate) else ""


def default_folder(provider: Provider) -> str:
    if provider == Provider.APIDECK:
        return str(settings.WELL_APIDECK_DEFAULT_FOLDER)
    if provider == Provider.DROPBOX:
        return str(settings.WELL_DROPBOX_DEFAULT_FOLDER)
    return ""


def _connection_to_reuse(workspace: Workspace, provider: Provider) -> Connection | None:
    """Reconnecting updates the workspace's existing connection of that provider."""
    existing = Connection.objects.for_workspace(workspace).filter(provider=provider)
    return existing.filter(status=ConnectionStatus.ACTIVE).first() or existing.first()


@transaction.atomic
def _upsert_connection(
    *, workspace: Workspace, provider: Provider, owner: User | None
) -> tuple[Connection, bool]:
    connection = _connection_to_reuse(workspace, provider)
    if connection is not None:
        connection = Connection.objects.select_for_update().get(pk=connection.pk)
        return connection, False
    connection = Connection.objects.create(
        workspace=workspace,
        provider=provider,
        owner=owner,
        watched_folder=default_folder(provider),
        status=ConnectionStatus.PENDING,
    )
    return connection, True


def _activate(connection: Connection, user: User | None) -> None:
    if connection.status != ConnectionStatus.ACTIVE:
        connection.mark_as_active()
    else:
        connection.last_error = ""
        connection.last_error_at = None
    if connection.owner_id is None and user is not None:
        connection.owner = user
    connection.save()
    Decision.record(
        workspace=connection.workspace,
        action=DecisionAction.CONNECTION,
        actor=user,
        after={"connection": connection.pk, "provider": connection.provider, "status": "active"},
        reason=f"Connected {connection.get_provider_display()} ({connection.account_label})",
    )


def complete_oauth(
    *,
    workspace: Workspace,
    provider: Provider,
    code: str,
    redirect_uri: str,
    code_verifier: str | None,
    user: User | None,
) -> ConnectResult:
    """Exchange the code, store the encrypted tokens and describe the account."""
    oauth_provider: oauth.Provider = "dropbox" if provider == Provider.DROPBOX else "qonto"
    config: oauth.ProviderConfig = (
        DropboxConfig.from_settings()
        if provider == Provider.DROPBOX
        else QontoConfig.from_settings()
    )
    tokens = oauth.exchange_code(
        oauth_provider, config, code=code, redirect_uri=redirect_uri, code_verifier=code_verifier
    )
    connection, created = _upsert_connection(workspace=workspace, provider=provider, owner=user)
    store_tokens(connection, tokens)
    if connection.status == ConnectionStatus.REVOKED:
        connection.mark_as_pending()
    # The row is still pending: describe the account with the fresh token directly.
    fresh = oauth.StaticTokenSource(tokens.access_token, provider=oauth_provider)
    if provider == Provider.DROPBOX:
        account = DropboxClient(DropboxConfig.from_settings(), fresh).get_current_account()
        connection.account_label = f"Dropbox · {account.display_name}"
        connection.external_account_id = account.account_id
    else:
        organization = QontoClient(QontoConfig.from_settings(), fresh).get_organization()
        label = organization.name or organization.slug or organization.id
        connection.account_label = f"Qonto · {label}"
        connection.external_account_id = organization.id
        connection.bank_account_ids = [
            account.id for account in organization.bank_accounts if account.status != "closed"
        ]
        own_vat_id = vat_id_from_registration(organization.legal_country, organization.legal_number)
        if own_vat_id and not workspace.vat_id:
            Workspace.objects.filter(pk=workspace.pk, vat_id="").update(vat_id=own_vat_id)
    _activate(connection, user)
    return ConnectResult(connection, created)


def start_apideck_session(*, workspace: Workspace, redirect_uri: str, user_email: str) -> str:
    """Create a Vault session for the workspace's consumer; returns the URL to send the user to."""
    client = ApideckClient(ApideckConfig.from_settings())
    session = client.create_vault_session(
        apideck_consumer_id(workspace.pk),
        redirect_uri,
        consumer_metadata={"account_name": workspace.name, "email": user_email},
    )
    return session.session_uri


def complete_apideck(*, workspace: Workspace, user: User | None) -> ConnectResult:
    """After Vault: the Dropbox connection must be callable, otherwise nothing is saved."""
    consumer_id = apideck_consumer_id(workspace.pk)
    vault = ApideckClient(ApideckConfig.from_settings()).get_connection(consumer_id)
    if vault.state != "callable" or vault.enabled is False:
        raise ConnectionNotReadyError(
            f"Apideck reports the Dropbox connection as {vault.state or 'unknown'} "
            f"(health: {vault.health or 'unknown'}); finish the authorisation in Vault."
        )
    connection, created = _upsert_connection(
        workspace=workspace, provider=Provider.APIDECK, owner=user
    )
    connection.consumer_id = consumer_id
    connection.external_account_id = vault.id
    connection.account_label = f"Apideck · {vault.name or 'Dropbox'}"
    connection.watched_folder_name = folder_name(connection)
    if connection.status == ConnectionStatus.REVOKED:
        connection.mark_as_pending()
    _activate(connection, user)
    return ConnectResult(connection, created)


def folder_name(connection: Connection) -> str:
    """The watched folder's name at the provider, for people: Apideck stores a folder by an
    opaque id, so its name is asked for ("" for the root, another provider, or when Apideck
    cannot say; the id alone is shown then). Dropbox folders are stored by their path."""
    folder = connection.watched_folder
    if connection.provider != Provider.APIDECK or not connection.consumer_id:
        return ""
    if not folder or folder == "root":
        return ""
    try:
        found = ApideckClient(ApideckConfig.from_settings()).get_folder(
            connection.consumer_id, folder
        )
    except ConnectorError as error:
        logger.warning("name of folder %s of connection %s: %s", folder, connection.pk, error)
        return ""
    return found.name[:300]


def watch_folder(connection: Connection, folder: str) -> None:
    """Watch another folder of the connection, with its name."""
    connection.watched_folder = folder
    connection.watched_folder_name = folder_name(connection)
    connection.save(update_fields=["watched_folder", "watched_folder_name", "updated_at"])


class ConnectionNotReadyError(Exception):
    """The provider says the authorisation is not finished."""


def disconnect(*, connection: Connection, user: User | None) -> DisconnectResult:
    """Revoke at the provider (best effort), then wipe the tokens locally whatever happened."""
    revoked = False
    message = "Revoked at the provider."
    if connection.provider in (Provider.DROPBOX, Provider.QONTO) and connection.has_tokens:
        oauth_provider: oauth.Provider = (
            "dropbox" if connection.provider == Provider.DROPBOX else "qonto"
        )
        config: oauth.ProviderConfig = (
            DropboxConfig.from_settings()
            if connection.provider == Provider.DROPBOX
            else QontoConfig.from_settings()
        )
        try:
            oauth.revoke(oauth_provider, config, load_tokens(connection))
            revoked = True
        except ConnectorError as error:
            message = f"The provider could not confirm the revocation ({error}); tokens wiped here."
            logger.warning("revoke of connection %s failed: %s", connection.pk, error)
    elif connection.provider == Provider.APIDECK and connection.consumer_id:
        try:
            ApideckClient(ApideckConfig.from_settings()).delete_connection(connection.consumer_id)
            revoked = True
        except ConnectorError as error:
            message = f"Apideck could not confirm the removal ({error}); disconnected here."
            logger.warning("vault delete of connection %s failed: %s", connection.pk, error)
    with transaction.atomic():
        locked = Connection.objects.select_for_update().get(pk=connection.pk)
        if locked.status != ConnectionStatus.REVOKED:
            locked.mark_as_revoked()
            locked.save()
        Decision.record(
            workspace=locked.workspace,
            action=DecisionAction.CONNECTION,
            actor=user,
            before={"connection": locked.pk, "status": connection.status},
            after={"connection": locked.pk, "status": "revoked"},
            reason=f"Disconnected {locked.get_provider_display()}: {message}",
        )
    return DisconnectResult(locked, revoked, message)
