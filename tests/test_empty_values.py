"""An empty value reads the same everywhere a person looks: an em dash, as the review screen,
the Waiting column and the decision log write it, never Django's bare "-"."""

from __future__ import annotations

import pytest
from django.urls import reverse

from reconciliation.models import Workspace
from tests.factories import make_document
from tests.helpers import client_for
from tests.helpers import column_cells

pytestmark = pytest.mark.django_db


def test_an_empty_cell_of_a_list_reads_as_an_em_dash(workspace: Workspace) -> None:
    make_document(workspace, status_reason="")
    page = client_for(workspace).get(reverse("admin:reconciliation_document_changelist"))
    assert column_cells(page.content.decode(), "status_reason") == ["—"]
