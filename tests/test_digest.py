from __future__ import annotations

from datetime import UTC
from datetime import datetime
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail

from reconciliation.models import BankChangeStatus
from reconciliation.models import DigestSent
from reconciliation.models import DocumentStatus
from reconciliation.models import Invoice
from reconciliation.models import InvoiceStatus
from reconciliation.models import Membership
from reconciliation.models import PostAttempt
from reconciliation.models import PostOutcome
from reconciliation.models import Role
from reconciliation.models import Workspace
from reconciliation.reports.digest import send_daily_digests
from tests.factories import make_bank_detail_change
from tests.factories import make_document
from tests.factories import make_invoice
from tests.factories import make_user
from tests.factories import make_vendor
from tests.factories import make_workspace
from tests.helpers import logged_in_client

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 6, 7, 30, tzinfo=UTC)
YESTERDAY = datetime(2026, 12, 5, 15, 0, tzinfo=UTC)


def _seed(workspace: Workspace) -> None:
    queued = make_invoice(workspace, status=InvoiceStatus.NEEDS_REVIEW)
    make_invoice(workspace, status=InvoiceStatus.NEEDS_REVIEW)
    Invoice.objects.filter(pk=queued.pk).update(created_at=NOW - timedelta(days=3))
    make_document(workspace, status=DocumentStatus.FAILED)
    failed = make_invoice(workspace, status=InvoiceStatus.FAILED)
    for outcome, code in ((PostOutcome.TRANSIENT, ""), (PostOutcome.REJECTED, "invalid_iban")):
        attempt = PostAttempt.objects.create(
            workspace=workspace,
            invoice=failed,
            batch_id="6f1c1bb0-0000-4000-8000-000000000001",
            idempotency_key=f"k-{outcome}",
            outcome=outcome,
            error_code=code,
        )
        PostAttempt.objects.filter(pk=attempt.pk)._unguarded_update(started_at=YESTERDAY)
    for total, currency in (
        (Decimal("1234.50"), "EUR"),
        (Decimal("10.00"), "EUR"),
        (Decimal("5000"), "JPY"),
    ):
        make_invoice(
            workspace,
            status=InvoiceStatus.POSTED,
            total_amount=total,
            currency=currency,
            posted_at=YESTERDAY,
        )
    # Posted after a person approved it, or the day before yesterday: not in the digest.
    person = make_user("approver")
    make_invoice(workspace, status="posted", posted_at=YESTERDAY, decided_by=person)
    make_invoice(workspace, status="posted", posted_at=YESTERDAY - timedelta(days=1))
    held = make_invoice(workspace, status=InvoiceStatus.NEEDS_REVIEW)
    Invoice.objects.filter(pk=held.pk).update(created_at=NOW - timedelta(hours=1))
    make_bank_detail_change(
        held,
        make_vendor(workspace),
        "DE89370400440532013000",
        "Possible payment fraud.",
        status=BankChangeStatus.PENDING,
    )


EXPECTED = """Acme SAS: Well's day, 06 December 2026 (UTC)

Review queue: 3 documents, the oldest waiting 3 days.
Stuck work:
  - unreadable documents: 1
  - posts failed (retried next window): 1
Post failures yesterday: 2
  - Rejected by Qonto: invalid_iban: 1
  - Transient failure (retried): 1
Fraud holds (new bank details to confirm by two people): 1
Posted by Well on its own yesterday: 3
  - 1,244.50 EUR (2 invoices)
  - 5,000 JPY (1 invoice)

Open Well: http://127.0.0.1:8000/admin/
You receive this as an administrator; turn it off at http://127.0.0.1:8000/admin/reconciliation/workspace/digest-preferences/
"""


def test_digest_contents_are_exact() -> None:
    workspace = make_workspace("Acme SAS")
    make_user("boss", workspace=workspace, role=Role.ADMIN)
    _seed(workspace)

    run = send_daily_digests(NOW)

    assert (run.sent, run.already, run.failed) == (1, 0, 0)
    (message,) = mail.outbox
    assert message.to == ["boss@example.com"]
    assert message.subject == "Well · Acme SAS · 06 Dec 2026"
    assert message.body == EXPECTED


def test_digest_is_sent_once_per_day_even_if_the_task_runs_twice() -> None:
    workspace = make_workspace("Acme SAS")
    make_user("boss", workspace=workspace, role=Role.ADMIN)

    first = send_daily_digests(NOW)
    second = send_daily_digests(NOW + timedelta(hours=5))

    assert (first.sent, second.sent, second.already) == (1, 0, 1)
    assert len(mail.outbox) == 1
    row = DigestSent.objects.get()
    assert (row.day.isoformat(), row.sent_at is not None, row.error) == ("2026-12-06", True, "")
    tomorrow = send_daily_digests(NOW + timedelta(days=1))
    assert tomorrow.sent == 1
    assert len(mail.outbox) == 2


def test_digest_goes_only_to_admins_who_want_it() -> None:
    workspace = make_workspace("Acme SAS")
    make_user("boss", workspace=workspace, role=Role.ADMIN)
    quiet = make_user("quiet", workspace=workspace, role=Role.ADMIN)
    Membership.objects.filter(user_id=quiet.pk).update(wants_digest=False)
    make_user("reviewer", workspace=workspace, role=Role.REVIEWER)
    make_user("auditor", workspace=workspace, role=Role.AUDITOR)
    make_user("root", superuser=True)

    send_daily_digests(NOW)

    assert [m.to for m in mail.outbox] == [["boss@example.com"]]


def test_digest_waits_for_its_hour() -> None:
    workspace = make_workspace("Acme SAS")
    make_user("boss", workspace=workspace, role=Role.ADMIN)

    assert send_daily_digests(NOW.replace(hour=5)).sent == 0
    assert (mail.outbox, DigestSent.objects.count()) == ([], 0)
    assert send_daily_digests(NOW.replace(hour=6)).sent == 1


def test_an_admin_turns_the_digest_off_on_the_preferences_page() -> None:
    workspace = make_workspace("Acme SAS")
    other = make_workspace("Other SAS")
    boss = make_user("boss", workspace=workspace, role=Role.ADMIN)
    Membership.objects.create(workspace=other, user_id=boss.pk, role=Role.ADMIN)
    colleague = make_user("colleague", workspace=workspace, role=Role.ADMIN)
    client = logged_in_client(boss)
    url = "/admin/reconciliation/workspace/digest-preferences/"
    mine = Membership.objects.get(user_id=boss.pk, workspace=other)
    theirs = Membership.objects.get(user_id=colleague.pk)
    Membership.objects.filter(pk=theirs.pk).update(wants_digest=False)

    assert b"Other SAS" in client.get(url).content
    client.post(url, {"digest": [str(mine.pk), str(theirs.pk)]})

    wanted = dict(Membership.objects.values_list("pk", "wants_digest"))
    boss_here = Membership.objects.get(user_id=boss.pk, workspace=workspace)
    assert (wanted[boss_here.pk], wanted[mine.pk], wanted[theirs.pk]) == (False, True, False)
    send_daily_digests(NOW)
    assert [(m.to, m.subject) for m in mail.outbox] == [
        (["boss@example.com"], "Well · Other SAS · 06 Dec 2026")
    ]
