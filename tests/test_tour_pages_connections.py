"""The Apideck watched folder by its name: read from Apideck's folder API when it is chosen,
shown as "name (id)" on the connections list, and the dashboard's connection line reads plainly
(no nested parentheses)."""

from __future__ import annotations

import pytest
import requests
from django.test import Client
from django.urls import reverse

from connectors.sandbox import Sandbox
from reconciliation.connections.flows import watch_folder
from reconciliation.models import Connection
from reconciliation.models import Provider
from reconciliation.models import Role
from reconciliation.models import Workspace
from tests.factories import make_user
from tests.helpers import logged_in_client

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n%%EOF\n"


def _connect_apideck(workspace: Workspace, client: Client) -> Connection:
    start = client.post(reverse("well-connect-start", args=[workspace.pk, "apideck"]))
    consent = requests.get(start["Location"], allow_redirects=False, timeout=5)
    back = consent.headers["Location"].split("/", 3)[-1]
    client.get("/" + back, follow=True)
    return Connection.objects.get(workspace=workspace, provider=Provider.APIDECK)


def test_the_watched_folder_is_shown_by_its_name(
    workspace: Workspace, sandbox_settings: Sandbox
) -> None:
    client = logged_in_client(make_user("alice", workspace=workspace, role=Role.ADMIN))
    connection = _connect_apideck(workspace, client)
    sandbox_settings.dropbox.put_file("/Apideck inbox/a.pdf", PDF)
    node = sandbox_settings.dropbox.files.lookup("/Apideck inbox")
    assert node is not None
    folder_id = node.id.removeprefix("id:")

    watch_folder(connection, folder_id)

    connection.refresh_from_db()
    assert connection.watched_folder_name == "Apideck inbox"
    assert connection.watched_folder_label == "Apideck inbox"
    listing = client.get(reverse("admin:reconciliation_connection_changelist")).content.decode()
    # The id only as the name's tooltip, for support.
    assert f'<span title="{folder_id}">Apideck inbox</span>' in listing
    home = client.get(reverse("admin:index")).content.decode()
    line = f"{connection.account_label} · folder “Apideck inbox”: Active"
    assert line in home
    assert "Dropbox via Apideck (Apideck" not in home


def test_an_unknown_folder_keeps_its_id(workspace: Workspace, sandbox_settings: Sandbox) -> None:
    client = logged_in_client(make_user("alice", workspace=workspace, role=Role.ADMIN))
    connection = _connect_apideck(workspace, client)
    watch_folder(connection, "nope")
    assert (connection.watched_folder_name, connection.watched_folder_label) == ("", "nope")
