"""A connection is named one way wherever people read it: its account and, for a file source,
the folder it watches ("Dropbox · Camille Martin · folder “/Invoices”"), never with its status
(which changes, and has its own column and line): the Connections list and a connection's page,
the Documents list's "By connection" filter, the dashboard and the Integration status page."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from reconciliation.models import Connection
from reconciliation.models import Provider
from reconciliation.models import Role
from reconciliation.models import Workspace
from tests.factories import make_connection
from tests.factories import make_document
from tests.helpers import client_for
from tests.helpers import column_cells
from tests.helpers import filter_choices
from tests.helpers import visible_text

pytestmark = pytest.mark.django_db

DROPBOX = "Dropbox · Camille Martin · folder “/Invoices”"
QONTO = "Qonto · Acme"


def _connections(workspace: Workspace) -> tuple[Connection, Connection]:
    dropbox = make_connection(
        workspace, account_label="Dropbox · Camille Martin", watched_folder="/Invoices"
    )
    return dropbox, make_connection(workspace, Provider.QONTO, account_label=QONTO)


def test_the_connections_list_and_page_name_a_connection_without_its_status(
    workspace: Workspace,
) -> None:
    dropbox, _ = _connections(workspace)
    client = client_for(workspace, Role.ADMIN)

    listing = client.get(reverse("admin:reconciliation_connection_changelist")).content.decode()
    page = client.get(reverse("admin:reconciliation_connection_change", args=[dropbox.pk]))

    assert column_cells(listing, "__str__") == [DROPBOX, QONTO]
    assert column_cells(listing, "status") == ["Active", "Active"]
    text = visible_text(page.content.decode())
    assert f"Change connection {DROPBOX} " in text
    assert "(Active)" not in text


def test_the_documents_list_filters_by_the_connections_names(workspace: Workspace) -> None:
    dropbox, _ = _connections(workspace)
    make_document(workspace, connection=dropbox)
    client = client_for(workspace, Role.REVIEWER)

    page = client.get(reverse("admin:reconciliation_document_changelist")).content.decode()

    assert filter_choices(page, "connection") == ["All [chosen]", DROPBOX, "No connection"]


def test_the_dashboard_and_the_status_page_name_each_connection_with_its_folder(
    workspace: Workspace,
) -> None:
    _connections(workspace)
    client = client_for(workspace, Role.REVIEWER)

    home = visible_text(client.get(reverse("admin:index")).content.decode())
    status = client.get(reverse("admin:reconciliation-integration-status")).content.decode()

    assert f"{DROPBOX}: Active" in home
    assert f"{QONTO}: Active" in home
    assert column_names(status) == [DROPBOX, QONTO]


def column_names(status_page: str) -> list[str]:
    """The Connection cell of each row of the Integration status page's connections table."""
    cells = re.findall(r'data-connection="\d+">\s*<td>(.*?)</td>', status_page, re.S)
    return [visible_text(cell) for cell in cells]
