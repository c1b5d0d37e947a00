from __future__ import annotations

import hashlib
from io import StringIO
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.core.management.base import CommandError
from pytest_django.fixtures import Settings

from connectors import crypto
from reconciliation.connections.tokens import load_tokens
from reconciliation.models import Connection
from reconciliation.models import Document
from reconciliation.models import Workspace
from tests.factories import make_document

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings: Settings, tmp_path: Path) -> Path:
    """The storage root, a folder this test can look into."""
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


def run_rotation() -> str:
    out = StringIO()
    call_command("rotate_master_key", stdout=out)
    return out.getvalue()


def rotate_to_a_new_key(settings: Settings) -> tuple[str, str]:
    """Put a new master key first, the old one still listed, and rotate; returns the new key
    and what the command said."""
    new_key = crypto.generate_master_key()
    settings.WELL_MASTER_KEY = f"{new_key},{settings.WELL_MASTER_KEY}"
    return new_key, run_rotation()


def assert_opens_as(document: Document, content: bytes) -> None:
    with document.file.open("rb") as handle:
        assert handle.read() == content


def test_rotation_rewraps_data_keys_without_touching_tokens(
    qonto: Connection, settings: Settings
) -> None:
    token = load_tokens(qonto).access_token
    ciphertext = bytes(qonto.access_token_ciphertext or b"")
    new_key, said = rotate_to_a_new_key(settings)
    assert "Re-wrapped 1 data key(s)." in said
    settings.WELL_MASTER_KEY = new_key  # the old key is gone
    stored = Connection.objects.get(pk=qonto.pk)
    assert bytes(stored.access_token_ciphertext or b"") == ciphertext
    assert load_tokens(stored).access_token == token
    assert "Re-wrapped 0 data key(s)." in run_rotation()


def test_without_the_old_key_tokens_cannot_be_read(qonto: Connection, settings: Settings) -> None:
    settings.WELL_MASTER_KEY = crypto.generate_master_key()
    with pytest.raises(crypto.DecryptionError):
        load_tokens(Connection.objects.get(pk=qonto.pk))


def _stored_document(workspace: Workspace, content: bytes) -> Document:
    document = make_document(workspace, content_hash=hashlib.sha256(content).hexdigest())
    document.file.save("invoice.pdf", ContentFile(content), save=True)
    return document


def test_rotation_covers_stored_files(
    workspace: Workspace, settings: Settings, media: Path
) -> None:
    content = b"%PDF-1.4\n% rotated\n%%EOF\n"
    document = _stored_document(workspace, content)
    sealed = (media / "eu" / document.file.name).read_bytes()
    new_key, said = rotate_to_a_new_key(settings)
    assert "Stored files: 1 open, 0 sealed now (were plain)." in said
    settings.WELL_MASTER_KEY = new_key  # the old key is gone; the file opens, unchanged
    assert (media / "eu" / document.file.name).read_bytes() == sealed
    assert_opens_as(document, content)


def test_rotation_seals_files_kept_in_plain_before(workspace: Workspace, media: Path) -> None:
    content = b"%PDF-1.4\n% from before encryption at rest\n%%EOF\n"
    digest = hashlib.sha256(content).hexdigest()
    name = f"documents/{workspace.pk}/{digest[:2]}/{digest}.pdf"
    (media / name).parent.mkdir(parents=True)
    (media / name).write_bytes(content)
    document = make_document(workspace, content_hash=digest, file=name)
    assert "Stored files: 1 open, 1 sealed now (were plain)." in run_rotation()
    assert not (media / name).exists()
    assert (media / "eu" / name).read_bytes().startswith(b"WF1")
    assert_opens_as(document, content)


def test_rotation_fails_when_a_stored_file_does_not_open(workspace: Workspace, media: Path) -> None:
    document = _stored_document(workspace, b"%PDF-1.4\n%%EOF\n")
    path = media / "eu" / document.file.name
    path.write_bytes(path.read_bytes()[:-1] + b"\x00")
    with pytest.raises(CommandError, match="1 stored file"):
        call_command("rotate_master_key", stdout=StringIO())
