"""Telling people: e-mails to connection owners (the admin banner reads the same state)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.urls import reverse

from reconciliation.models import Connection
from reconciliation.models import Role

logger = logging.getLogger(__name__)


def notify_connection_needs_reauth(connection_id: int) -> int:
    """E-mail the owner while they are still a member (else the workspace's administrators).
    Returns the number of recipients."""
    connection = Connection.objects.select_related("workspace", "owner").get(pk=connection_id)
    recipients = _recipients(connection)
    if not recipients:
        logger.warning("connection %s needs re-authorisation but has nobody to tell", connection_id)
        return 0
    url = settings.WELL_BASE_URL + reverse("admin:reconciliation-integration-status")
    send_mail(
        subject=f"Well: reconnect {connection.get_provider_display()} for {connection.workspace}",
        message=(
            f"Well stopped using the {connection.get_provider_display()} connection of "
            f"{connection.workspace} because the provider refused its authorisation:\n\n"
            f"    {connection.last_error}\n\n"
            "Nothing is lost: documents and invoices wait until you reconnect.\n"
            f"Reconnect from the integration status page: {url}\n"
        ),
        from_email=None,
        recipient_list=recipients,
        fail_silently=False,
    )
    return len(recipients)


def _recipients(connection: Connection) -> list[str]:
    # Someone who left the workspace (or was deactivated) hears nothing more about it: the
    # message names the workspace and the provider's refusal.
    members = get_user_model().objects.filter(
        memberships__workspace=connection.workspace, is_active=True
    )
    owner = connection.owner
    if owner is not None and owner.email and members.filter(pk=owner.pk).exists():
        return [owner.email]
    admins = members.filter(memberships__role=Role.ADMIN)
    return sorted({user.email for user in admins if user.email})
