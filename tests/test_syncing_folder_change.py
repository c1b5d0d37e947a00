from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from connectors.sandbox import Sandbox
from reconciliation.intake.folder_polls import sync_file_connection
from reconciliation.models import Connection
from reconciliation.models import Document
from reconciliation.models import Provider
from reconciliation.models import Role
from reconciliation.models import Workspace
from tests.factories import PASSWORD
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def _pdf(label: str) -> bytes:
    return b"%PDF-1.4\n% " + label.encode() + b"\n" + b"0" * 200 + b"\n%%EOF\n"


def test_changing_the_watched_folder_reads_the_new_folder(
    workspace: Workspace,
    sandbox_settings: Sandbox,
    connect_with_emulator_tokens: Callable[..., Connection],
) -> None:
    dropbox = connect_with_emulator_tokens(
        workspace, Provider.DROPBOX, sandbox_settings.dropbox, watched_folder="/Invoices"
    )
    emulator = sandbox_settings.dropbox
    emulator.put_file("/Invoices/a.pdf", _pdf("a"))
    sync_file_connection(connection_id=dropbox.pk)
    admin = make_user(workspace=workspace, role=Role.ADMIN)
    client = Client()
    assert client.login(username=admin.username, password=PASSWORD)
    response = client.post(
        reverse("admin:reconciliation_connection_change", args=[dropbox.pk]),
        {"owner": "", "watched_folder": "/Suppliers"},
    )
    assert response.status_code == 302
    emulator.put_file("/Suppliers/b.pdf", _pdf("b"))
    emulator.put_file("/Invoices/c.pdf", _pdf("c"))
    sync_file_connection(connection_id=dropbox.pk)
    names = sorted(Document.objects.values_list("original_name", flat=True))
    assert names == ["a.pdf", "b.pdf"]
