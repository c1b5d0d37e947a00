"""The review queue's counters mark the double charges in red only while there are some: once
every flag is answered, "0 double charges" reads as the other counters do."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import AbstractUser

from reconciliation.models import InvoiceStatus
from reconciliation.models import Workspace
from tests.factories import make_double_charge
from tests.factories import make_invoice
from tests.helpers import logged_in_client
from tests.helpers import section
from tests.helpers import visible_text

pytestmark = pytest.mark.django_db

QUEUE = "/admin/review/"


def _double_charge_counter(queue: str) -> tuple[str, str]:
    """The class and the words of the queue's double-charge counter."""
    counts = section(queue, "data-well-queue-counts", 'class="well-hint"')
    found = re.search(r'<span class="([^"]*)">((?:(?!</span>).)*double charges?)', counts, re.S)
    assert found is not None
    return found.group(1), visible_text(found.group(2))


def test_no_double_charge_is_not_counted_in_red(
    workspace: Workspace, reviewer: AbstractUser
) -> None:
    queue = logged_in_client(reviewer).get(QUEUE).content.decode()

    assert _double_charge_counter(queue) == ("well-count", "0 double charges")


def test_a_double_charge_is_counted_in_red(workspace: Workspace, reviewer: AbstractUser) -> None:
    settled = make_invoice(workspace, status=InvoiceStatus.POSTED, number="110/2026")
    reminder = make_invoice(workspace, status=InvoiceStatus.NEEDS_REVIEW, number="110/2026")
    make_double_charge(reminder, settled, hold_reason="Possible double charge of 110/2026")

    queue = logged_in_client(reviewer).get(QUEUE).content.decode()

    assert _double_charge_counter(queue) == ("well-count well-count-double", "1 double charge")
