"""`standing_is`: filtering the documents by where they stand gives exactly the rows whose worked
out standing (`with_standing`, the list's Status column) reads so, for every standing."""

from __future__ import annotations

import pytest

from reconciliation.admin.standing import STANDING_LABELS
from reconciliation.admin.standing import standing_is
from reconciliation.admin.standing import with_standing
from reconciliation.models import Document
from reconciliation.models import DocumentKind
from reconciliation.models import InvoiceStatus
from reconciliation.models import MatchKind
from reconciliation.models import MatchStatus
from reconciliation.models import Workspace
from tests.factories import make_document
from tests.factories import make_invoice
from tests.factories import make_match
from tests.factories import make_transaction
from tests.factories import one_document_of_each_standing

pytestmark = pytest.mark.django_db


def _more_standings(workspace: Workspace) -> None:
    """The standings the list's own example leaves out."""
    for status in (
        InvoiceStatus.NEW,
        InvoiceStatus.POSTING,
        InvoiceStatus.FAILED,
        InvoiceStatus.REJECTED,
    ):
        make_invoice(workspace, document=make_document(workspace), status=status)
    make_document(workspace, kind=DocumentKind.INVOICE)  # read, no invoice made yet
    paid_twice = make_document(workspace, kind=DocumentKind.PAYMENT_CONFIRMATION)
    make_match(
        workspace,
        kind=MatchKind.DOUBLE_CHARGE,
        status=MatchStatus.REFUSED,
        document=paid_twice,
        transaction=make_transaction(workspace),
    )


def test_each_standing_filters_exactly_the_rows_that_stand_so(workspace: Workspace) -> None:
    one_document_of_each_standing(workspace)
    _more_standings(workspace)
    worked_out = {d.pk: d.standing for d in with_standing(Document.objects.all())}
    assert set(worked_out.values()) == set(STANDING_LABELS)  # every standing is here

    for code in STANDING_LABELS:
        expected = {pk for pk, standing in worked_out.items() if standing == code}
        assert set(Document.objects.filter(standing_is(code)).values_list("pk", flat=True)) == (
            expected
        ), code


def test_an_unknown_standing_filters_nothing(workspace: Workspace) -> None:
    one_document_of_each_standing(workspace)
    assert not Document.objects.filter(standing_is("no_such_standing")).exists()
