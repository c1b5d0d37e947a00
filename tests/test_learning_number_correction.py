from __future__ import annotations

import pytest

from reconciliation.learning import record_review
from reconciliation.models import Workspace
from tests.factories import make_invoice
from tests.factories import make_user
from tests.factories import make_vendor

pytestmark = pytest.mark.django_db


def test_corrected_number_is_normalised_for_matching(workspace: Workspace) -> None:
    invoice = make_invoice(workspace, number="INV-OOO1", vendor=make_vendor(workspace))
    record_review(
        invoice=invoice,
        user=make_user(workspace=workspace),
        corrections={"invoice_number": "INV-2026-0042"},
        approve=False,
    )
    invoice.refresh_from_db()
    assert (invoice.number, invoice.normalized_number) == ("INV-2026-0042", "20260042")
