from __future__ import annotations

import hashlib
from collections.abc import Callable
from io import StringIO
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.core.management.base import CommandError
from pytest_django.fixtures import Settings

from connectors import crypto
from connectors.sandbox import Sandbox
from reconciliation.connections.tokens import load_tokens
from reconciliation.models import Connection, Document, Provider, Workspace
from tests.factories import make_document

pytestmark = pytest.mark.django_db


def test_rotation_rewraps_data_keys_without_touching_tokens(
    workspace: Workspace,
    sandbox_settings: Sandbox,
    connect_with_emulator_tokens: Callable[..., Connection],
    settings: Settings,
) -> None:
    connection = connect_with_emulator_tokens(workspace, Provider.QONTO, sandbox_settings.qonto)
    token = load_tokens(connection).access_token
    ciphertext = bytes(connection.access_token_ciphertext or b"")
    old_key = settings.WELL_MASTER_KEY
    new_key = crypto.generate_master_key()
    settings.WELL_MASTER_KEY = f"{new_key},{old_key}"
    out = StringIO()
    call_command("rotate_master_key", stdout=out)
    assert "Re-wrapped 1 data key(s)." in out.getvalue()
    settings.WELL_MASTER_KEY = new_key  # the old key is gone
    stored = Connection.objects.get(pk=connection.pk)
    assert bytes(stored.access_token_ciphertext or b"") == ciphertext
    assert load_tokens(stored).access_token == token
    again = StringIO()
    call_command("rotate_master_key", stdout=again)
    assert "Re-wrapped 0 data key(s)." in again.getvalue()


def test_without_the_old_key_tokens_cannot_be_read(
    workspace: Workspace,
    sandbox_settings: Sandbox,
    connect_with_emulator_tokens: Callable[..., Connection],
    settings: Settings,
) -> None:
    connection = connect_with_emulator_tokens(workspace, Provider.QONTO, sandbox_settings.qonto)
    settings.WELL_MASTER_KEY = crypto.generate_master_key()
    with pytest.raises(crypto.DecryptionError):
        load_tokens(Connection.objects.get(pk=connection.pk))


def _stored_document(workspace: Workspace, content: bytes) -> Document:
    document = make_document(workspace, content_hash=hashlib.sha256(content).hexdigest())
    document.file.save("invoice.pdf", ContentFile(content), save=True)
    return document


def test_rotation_covers_stored_files(
    workspace: Workspace, settings: Settings, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = str(tmp_path)
    content = b"%PDF-1.4\n% rotated\n%%EOF\n"
    document = _stored_document(workspace, content)
    sealed = (tmp_path / "eu" / document.file.name).read_bytes()
    old_key = settings.WELL_MASTER_KEY
    new_key = crypto.generate_master_key()
    settings.WELL_MASTER_KEY = f"{new_key},{old_key}"
    out = StringIO()
    call_command("rotate_master_key", stdout=out)
    assert "Stored files: 1 open, 0 sealed now (were plain)." in out.getvalue()
    settings.WELL_MASTER_KEY = new_key  # the old key is gone; the file opens, unchanged
    assert (tmp_path / "eu" / document.file.name).read_bytes() == sealed
    with document.file.open("rb") as handle:
        assert handle.read() == content


def test_rotation_seals_files_kept_in_plain_before(
    workspace: Workspace, settings: Settings, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = str(tmp_path)
    content = b"%PDF-1.4\n% from before encryption at rest\n%%EOF\n"
    digest = hashlib.sha256(content).hexdigest()
    name = f"documents/{workspace.pk}/{digest[:2]}/{digest}.pdf"
    (tmp_path / name).parent.mkdir(parents=True)
    (tmp_path / name).write_bytes(content)
    document = make_document(workspace, content_hash=digest, file=name)
    out = StringIO()
    call_command("rotate_master_key", stdout=out)
    assert "Stored files: 1 open, 1 sealed now (were plain)." in out.getvalue()
    assert not (tmp_path / name).exists()
    assert (tmp_path / "eu" / name).read_bytes().startswith(b"WF1")
    with document.file.open("rb") as handle:
        assert handle.read() == content


def test_rotation_fails_when_a_stored_file_does_not_open(
    workspace: Workspace, settings: Settings, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = str(tmp_path)
    document = _stored_document(workspace, b"%PDF-1.4\n%%EOF\n")
    path = tmp_path / "eu" / document.file.name
    path.write_bytes(path.read_bytes()[:-1] + b"\x00")
    with pytest.raises(CommandError, match="1 stored file"):
        call_command("rotate_master_key", stdout=StringIO())
