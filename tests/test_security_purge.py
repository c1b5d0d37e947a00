"""Erasure: a dry run first, then --confirm revokes the tokens at the providers, deletes the
files in every region, the rows and the key, and leaves a record of who purged what, when."""

from __future__ import annotations

import hashlib
from io import StringIO
from pathlib import Path

import pytest
import requests
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.core.management.base import CommandError
from pytest_django.fixtures import Settings

from connectors.sandbox import Sandbox
from reconciliation.connections.tokens import load_tokens
from reconciliation.models import Connection
from reconciliation.models import Document
from reconciliation.models import Invoice
from reconciliation.models import Role
from reconciliation.models import Workspace
from reconciliation.models import WorkspacePurge
from tests.factories import make_document
from tests.factories import make_invoice
from tests.factories import make_user
from tests.factories import make_workspace

pytestmark = pytest.mark.django_db


@pytest.fixture
def filled(
    workspace: Workspace,
    settings: Settings,
    tmp_path: Path,
    qonto: Connection,
) -> tuple[Workspace, str, Path]:
    settings.MEDIA_ROOT = str(tmp_path)
    settings.WELL_STORAGES = {}
    make_user("member", workspace=workspace, role=Role.ADMIN)
    token = load_tokens(qonto).access_token
    content = b"%PDF-1.4\n% to be erased\n%%EOF\n"
    document = make_document(workspace, content_hash=hashlib.sha256(content).hexdigest())
    document.file.save("invoice.pdf", ContentFile(content), save=True)
    make_invoice(workspace, document=document)
    return workspace, token, tmp_path / "eu" / document.file.name


def test_the_dry_run_removes_nothing(filled: tuple[Workspace, str, Path]) -> None:
    workspace, _, stored = filled
    out = StringIO()
    call_command("purge_workspace", workspace.slug, stdout=out)
    text = out.getvalue()
    assert "Connections to revoke at the providers: 1" in text
    assert "Files per region: eu 1, uk 0, us 0" in text
    assert "document 1" in text
    assert "invoice 1" in text
    assert "Dry run: nothing was removed." in text
    assert Workspace.objects.filter(pk=workspace.pk).exists()
    assert stored.is_file()
    assert not WorkspacePurge.objects.exists()


def test_a_confirmed_purge_erases_everything_and_keeps_the_record(
    filled: tuple[Workspace, str, Path], sandbox_settings: Sandbox
) -> None:
    workspace, token, stored = filled
    other = make_workspace("Kept SAS")
    kept = make_document(other)
    root = make_user("root", superuser=True)

    call_command("purge_workspace", workspace.pk, confirm=True, by="root", stdout=StringIO())

    assert not Workspace.objects.filter(pk=workspace.pk).exists()
    assert not Document.objects.filter(workspace_id=workspace.pk).exists()
    assert not Invoice.objects.filter(workspace_id=workspace.pk).exists()
    assert not Connection.objects.filter(workspace_id=workspace.pk).exists()
    assert not stored.exists()
    assert Document.objects.filter(pk=kept.pk).exists()
    check = requests.get(
        f"{sandbox_settings.qonto.base_url}/v2/organization",
        headers={"Authorization": f"Bearer {token}"},
        timeout=5,
    )
    assert check.status_code == 401  # revoked at the provider
    [record] = WorkspacePurge.objects.all()
    assert (record.workspace_id_purged, record.workspace_name) == (workspace.pk, "Acme SAS")
    assert (record.purged_by_id, record.purged_by_name) == (root.pk, "root")
    assert record.counts["files"] == {"eu": 1, "uk": 0, "us": 0}
    assert record.counts["rows"]["document"] == 1
    assert record.counts["rows"]["invoice"] == 1
    assert record.counts["revoked_at_provider"] == 1


def test_a_purge_needs_a_superuser_named(filled: tuple[Workspace, str, Path]) -> None:
    workspace, _, stored = filled
    make_user("clara", workspace=workspace, role=Role.ADMIN)
    with pytest.raises(CommandError, match="active superuser"):
        call_command("purge_workspace", workspace.pk, confirm=True, by="clara", stdout=StringIO())
    assert stored.is_file()
