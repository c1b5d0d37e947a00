"""One date-time format across the admin: the review screen and the admin's own pages both
write "6 Dec 2026, 12:29 CET" (24-hour local time with its zone)."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime

import pytest
from django.test import Client
from django.urls import reverse

from reconciliation.models import Document
from reconciliation.models import Workspace
from tests.factories import make_document
from tests.factories import make_invoice
from tests.factories import make_user
from tests.helpers import logged_in_client

pytestmark = pytest.mark.django_db
WHEN = datetime(2026, 12, 6, 11, 29, tzinfo=UTC)  # 12:29 in Paris


def test_review_screen_and_invoice_page_write_the_same_date_time(
    workspace: Workspace, reviewer_client: Client
) -> None:
    document = make_document(workspace)
    Document.objects.filter(pk=document.pk).update(received_at=WHEN)
    invoice = make_invoice(workspace, document=document, decided_at=WHEN)
    screen = reviewer_client.get(
        reverse("admin:reconciliation-review-document", args=[document.pk])
    ).content.decode()
    admin = logged_in_client(make_user(superuser=True))
    page = admin.get(reverse("admin:reconciliation_invoice_change", args=[invoice.pk]))
    assert "received 6 Dec 2026, 12:29 CET" in screen
    assert "6 Dec 2026, 12:29 CET" in page.content.decode()
    assert "p.m." not in page.content.decode()
