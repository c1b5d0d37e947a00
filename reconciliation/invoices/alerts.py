"""The fraud alert: e-mail the workspace's administrators when an invoice is held because its
IBAN changed. Once per invoice: the change row is claimed by a conditional UPDATE before the
e-mail leaves, so a re-route, a second worker or a retried task never sends it twice."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import timezone

from reconciliation.models import BankDetailChange
from reconciliation.models import Role

logger = logging.getLogger(__name__)


def current_admins(workspace_id: int) -> list[str]:
    """E-mail addresses of the workspace's administrators now (active, with an address)."""
    users = get_user_model().objects.filter(
        memberships__workspace_id=workspace_id, memberships__role=Role.ADMIN, is_active=True
    )
    return sorted({user.email for user in users if user.email})


def alert_bank_detail_change(change_id: int) -> int:
    """Send the alert for one held invoice, if nobody sent it yet. Returns the number of
    recipients (0 when it was sent before or there is nobody to tell)."""
    change = (
        BankDetailChange.objects.select_related("invoice", "vendor", "workspace")
        .filter(pk=change_id)
        .first()
    )
    if change is None:
        return 0
    recipients = current_admins(change.workspace_id)
    if not recipients:
        logger.warning("bank-detail change %s: the workspace has no administrator", change_id)
        return 0
    now = timezone.now()
    claimed = BankDetailChange.objects.filter(pk=change_id, alerted_at__isnull=True).update(
        alerted_at=now, alerted_to=recipients
    )
    if claimed != 1:
        return 0
    invoice = change.invoice
    url = settings.WELL_BASE_URL + reverse(
        "admin:reconciliation-review-document", args=[invoice.document_id]
    )
    try:
        send_mail(
            subject=f"Well: new bank details on an invoice from {change.vendor} — held",
            message=(
                f"An invoice from {change.vendor} in {change.workspace} asks to be paid to an "
                "IBAN this supplier never used before. Well holds it out of posting.\n\n"
                f"    {change.reason}\n\n"
                f"Invoice {invoice.number or invoice.pk}, total {invoice.total_amount} "
                f"{invoice.currency}.\n\n"
                "Check the new bank details with the supplier by a channel you already know "
                "(never by the contact printed on this invoice). Two different people must "
                f"confirm them before the invoice is posted: {url}\n"
            ),
            from_email=None,
            recipient_list=recipients,
            fail_silently=False,
        )
    except Exception:
        # Not sent: free the claim so the next routing of the invoice tries again.
        BankDetailChange.objects.filter(pk=change_id, alerted_at=now).update(
            alerted_at=None, alerted_to=[]
        )
        logger.exception("bank-detail change %s: the alert could not be sent", change_id)
        return 0
    logger.info("bank-detail change %s: alert sent to %d admin(s)", change_id, len(recipients))
    return len(recipients)
