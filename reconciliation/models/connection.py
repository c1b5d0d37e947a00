from __future__ import annotations

from typing import Self

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from reconciliation.models.base import IllegalTransitionError
from reconciliation.models.base import TenantModel
from reconciliation.models.base import TenantQuerySet
from reconciliation.models.base import person_field


class Provider(models.TextChoices):
    DROPBOX = "dropbox", "Dropbox"
    APIDECK = "apideck", "Dropbox via Apideck"
    QONTO = "qonto", "Qonto"


FILE_PROVIDERS = (Provider.DROPBOX, Provider.APIDECK)


class ConnectionStatus(models.TextChoices):
    PENDING = "pending", "Waiting for consent"
    ACTIVE = "active", "Active"
    NEEDS_REAUTH = "needs_reauth", "Needs re-authorisation"
    REVOKED = "revoked", "Disconnected"
    ERROR = "error", "Error"


_CONNECTION_TRANSITIONS: dict[str, set[str]] = {
    ConnectionStatus.PENDING: {ConnectionStatus.ACTIVE, ConnectionStatus.REVOKED},
    ConnectionStatus.ACTIVE: {
        ConnectionStatus.NEEDS_REAUTH,
        ConnectionStatus.REVOKED,
        ConnectionStatus.ERROR,
        ConnectionStatus.ACTIVE,
    },
    ConnectionStatus.ERROR: {
        ConnectionStatus.ACTIVE,
        ConnectionStatus.NEEDS_REAUTH,
        ConnectionStatus.REVOKED,
    },
    ConnectionStatus.NEEDS_REAUTH: {ConnectionStatus.ACTIVE, ConnectionStatus.REVOKED},
    ConnectionStatus.REVOKED: {ConnectionStatus.ACTIVE, ConnectionStatus.PENDING},
}


class ConnectionQuerySet(TenantQuerySet["Connection"]):
    def active(self) -> Self:
        return self.filter(status=ConnectionStatus.ACTIVE)

    def file_sources(self) -> Self:
        return self.filter(provider__in=FILE_PROVIDERS)

    def banks(self) -> Self:
        return self.filter(provider=Provider.QONTO)


class Connection(TenantModel):
    """A link to one provider account. Tokens are stored only as ciphertext."""

    provider = models.CharField(max_length=16, choices=Provider.choices)
    status = models.CharField(
        max_length=16, choices=ConnectionStatus.choices, default=ConnectionStatus.PENDING
    )
    owner = person_field(
        related_name="owned_connections",
        help_text="Who is told when the connection needs attention.",
    )
    account_label = models.CharField(max_length=200, blank=True)
    external_account_id = models.CharField(max_length=200, blank=True)
    watched_folder = models.CharField(
        max_length=1000,
        blank=True,
        help_text="Folder path (Dropbox) or folder id (Apideck) that Well watches.",
    )
    # Apideck stores the folder by an opaque id: its name, read from Apideck when the folder
    # is chosen, is what people read.
    watched_folder_name = models.CharField(max_length=300, blank=True, editable=False)
    # Apideck: the consumer id we registered for this workspace; Qonto: the organisation id.
    consumer_id = models.CharField(max_length=200, blank=True)
    scopes = models.CharField(max_length=500, blank=True)

    access_token_ciphertext = models.BinaryField(null=True, blank=True, editable=False)
    refresh_token_ciphertext = models.BinaryField(null=True, blank=True, editable=False)
    token_expires_at = models.DateTimeField(null=True, blank=True)
    token_refreshed_at = models.DateTimeField(null=True, blank=True)

    cursor = models.TextField(blank=True, editable=False)
    # Qonto: transactions are mirrored incrementally from this updated_at mark.
    synced_until = models.DateTimeField(null=True, blank=True)
    bank_account_ids = models.JSONField(default=list, blank=True)
    # Qonto: supplier invoices are mirrored from this updated_at mark (Qonto's clock); the
    # mirror is refreshed at most every WELL_QONTO_MIRROR_SECONDS (claimed by
    # supplier_invoices_checked_at, our clock).
    supplier_invoices_synced_until = models.DateTimeField(null=True, blank=True, editable=False)
    supplier_invoices_checked_at = models.DateTimeField(null=True, blank=True, editable=False)

    sync_lease_until = models.DateTimeField(null=True, blank=True, editable=False)
    last_sync_started_at = models.DateTimeField(null=True, blank=True)
    last_sync_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_post_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ConnectionQuerySet.as_manager()

    class Meta:
        ordering = ["workspace__name", "provider"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "provider", "watched_folder"],
                name="connection_unique_source",
            )
        ]
        indexes = [models.Index(fields=["provider", "status"])]

    def __str__(self) -> str:
        # People read a connection by its name wherever Django names it (the list, its page,
        # filters, messages); its status changes and is said beside it where it matters.
        return self.display_name

    @property
    def watched_folder_label(self) -> str:
        """The watched folder for people: its name ("Apideck inbox") when it is stored by an id
        and its name is known, else the path (Dropbox) or id as stored."""
        return self.watched_folder_name or self.watched_folder

    @property
    def display_name(self) -> str:
        """The connection for people, without its status (which changes): its account, else its
        provider, and for a file source the folder it watches ("Dropbox · folder “/Invoices”"),
        as the home page names it."""
        label = self.account_label or self.get_provider_display()
        folder = self.watched_folder_label if self.is_file_source else ""
        return f"{label} · folder “{folder}”" if folder else label

    def clean(self) -> None:
        super().clean()
        owner = self.owner
        if (
            owner is not None
            and self.workspace_id is not None
            and not owner.is_superuser
            and not owner.memberships.filter(workspace_id=self.workspace_id).exists()
        ):
            raise ValidationError(
                {"owner": "The owner must be a member of this workspace (they get its alerts)."}
            )

    @property
    def is_file_source(self) -> bool:
        return self.provider in FILE_PROVIDERS

    @property
    def is_active(self) -> bool:
        return self.status == ConnectionStatus.ACTIVE

    @property
    def has_tokens(self) -> bool:
        return bool(self.access_token_ciphertext or self.refresh_token_ciphertext)

    def _move_to(self, target: ConnectionStatus) -> None:
        if target not in _CONNECTION_TRANSITIONS[self.status]:
            raise IllegalTransitionError("connection", self.status, target)
        self.status = target

    def mark_as_active(self) -> None:
        self._move_to(ConnectionStatus.ACTIVE)
        self.last_error = ""
        self.last_error_at = None

    def mark_as_pending(self) -> None:
        """A disconnected connection being connected again waits for the provider's consent."""
        self._move_to(ConnectionStatus.PENDING)

    def mark_as_needing_reauth(self, reason: str) -> None:
        self._move_to(ConnectionStatus.NEEDS_REAUTH)
        self.record_error(reason)

    def mark_as_failing(self, reason: str) -> None:
        self._move_to(ConnectionStatus.ERROR)
        self.record_error(reason)

    def mark_as_revoked(self) -> None:
        """Local wipe after the provider revoke call: no token survives a disconnect."""
        self._move_to(ConnectionStatus.REVOKED)
        self.access_token_ciphertext = None
        self.refresh_token_ciphertext = None
        self.token_expires_at = None
        self.cursor = ""

    def record_error(self, reason: str) -> None:
        self.last_error = reason[:4000]
        self.last_error_at = timezone.now()
