"""The invoice page says what a finance user expects: "Is credit note: No" rather than a blank,
and an invoice Well decided on its own names Well as its decider, as its history does."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from reconciliation.models import Decision
from reconciliation.models import DecisionAction
from reconciliation.models import InvoiceStatus
from reconciliation.models import Role
from reconciliation.models import Workspace
from tests.factories import make_invoice
from tests.factories import make_user
from tests.helpers import logged_in_client
from tests.helpers import readonly_value

pytestmark = pytest.mark.django_db


def _page(workspace: Workspace, invoice_id: int, *, superuser: bool = False) -> str:
    user = make_user(workspace=workspace, role=Role.REVIEWER, superuser=superuser)
    client = logged_in_client(user)
    response = client.get(reverse("admin:reconciliation_invoice_change", args=[invoice_id]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_yes_no_fields_read_yes_or_no(workspace: Workspace) -> None:
    invoice = make_invoice(workspace)
    content = _page(workspace, invoice.pk)
    assert (readonly_value(content, "is_credit_note"), readonly_value(content, "is_held")) == (
        "No",
        "No",
    )
    assert "field-qonto_agrees" not in content  # in words under "Qonto's reading"
    assert "Credit note:" in content
    assert "Held from posting:" in content
    assert 'alt="False"' not in content
    credit_note = make_invoice(workspace, is_credit_note=True, is_held=True, qonto_agrees=True)
    content = _page(workspace, credit_note.pk)
    assert (readonly_value(content, "is_credit_note"), readonly_value(content, "is_held")) == (
        "Yes",
        "Yes",
    )
    assert "field-qonto_agrees" not in content


def test_the_yes_no_fields_keep_their_place_and_are_not_editable(workspace: Workspace) -> None:
    content = _page(workspace, make_invoice(workspace).pk)
    assert content.index("field-vendor") < content.index("field-is_credit_note")
    assert content.index("field-is_credit_note") < content.index("field-supplier_name")
    assert 'name="is_credit_note"' not in content
    assert 'name="is_held"' not in content


def test_an_invoice_well_decided_alone_names_well(workspace: Workspace) -> None:
    invoice = make_invoice(workspace, status=InvoiceStatus.POSTED, decided_at=timezone.now())
    Decision.record_for_invoice(invoice, DecisionAction.ROUTE, actor=None)
    content = _page(workspace, invoice.pk, superuser=True)  # sees the history inline too
    assert readonly_value(content, "decider") == "Well (automatic)"
    print(content[content.find("field-actor") - 300 : content.find("field-actor") + 300])
    history = content.split('id="decisions-group"', 1)[1]
    assert re.search(r'<td class="field-by">\s*<p>Well</p>', history)  # as the review screen


def test_a_person_s_decision_names_the_person_and_an_open_one_nobody(
    workspace: Workspace,
) -> None:
    reviewer = make_user(workspace=workspace, role=Role.REVIEWER)
    decided = make_invoice(
        workspace, status=InvoiceStatus.APPROVED, decided_at=timezone.now(), decided_by=reviewer
    )
    assert readonly_value(_page(workspace, decided.pk), "decider") == reviewer.get_username()
    assert readonly_value(_page(workspace, make_invoice(workspace).pk), "decider") == "—"
