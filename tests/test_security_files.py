"""Stored files are sealed with their workspace's key (AES-256-GCM, envelope) and bound to their
workspace and document: on disk nothing is readable, through Well everything is, and a file
copied into another workspace's folder does not open."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from pytest_django.fixtures import Settings as SettingsWrapper

from connectors.crypto import DecryptionError
from reconciliation.models import DataRegion
from reconciliation.models import Document
from reconciliation.models import Role
from reconciliation.models import Workspace
from tests.factories import make_document
from tests.factories import make_user
from tests.factories import make_workspace
from tests.helpers import logged_in_client

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _own_media_root(settings: SettingsWrapper, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.WELL_STORAGES = {}


def _stored(workspace: Workspace, content: bytes = PDF) -> Document:
    digest = hashlib.sha256(content).hexdigest()
    document = make_document(workspace, content_hash=digest, size=len(content))
    document.file.save("invoice.pdf", ContentFile(content), save=True)
    return document


def _on_disk(settings: SettingsWrapper, region: str, name: str) -> Path:
    return Path(settings.MEDIA_ROOT) / region / name


def test_a_stored_document_is_sealed_on_disk_and_opens_through_well(
    settings: SettingsWrapper, workspace: Workspace
) -> None:
    document = _stored(workspace)
    assert (
        document.file.name
        == f"documents/{workspace.pk}/{document.content_hash[:2]}/{document.content_hash}.pdf"
    )
    raw = _on_disk(settings, "eu", document.file.name).read_bytes()
    assert raw.startswith(b"WF1")
    assert b"%PDF" not in raw
    with document.file.open("rb") as handle:
        assert handle.read() == PDF


def test_a_file_copied_into_another_workspaces_folder_does_not_open(
    settings: SettingsWrapper, workspace: Workspace
) -> None:
    other = make_workspace("Other SAS")
    document = _stored(workspace)
    stolen = document.file.name.replace(f"documents/{workspace.pk}/", f"documents/{other.pk}/")
    target = _on_disk(settings, "eu", stolen)
    target.parent.mkdir(parents=True)
    shutil.copyfile(_on_disk(settings, "eu", document.file.name), target)
    with pytest.raises(DecryptionError, match="belongs to another workspace"):
        default_storage.open(stolen)


def test_a_file_renamed_inside_its_workspace_does_not_open(
    settings: SettingsWrapper, workspace: Workspace
) -> None:
    document = _stored(workspace)
    renamed = f"documents/{workspace.pk}/00/{'0' * 64}.pdf"
    target = _on_disk(settings, "eu", renamed)
    target.parent.mkdir(parents=True)
    shutil.copyfile(_on_disk(settings, "eu", document.file.name), target)
    with pytest.raises(DecryptionError):
        default_storage.open(renamed)


def test_a_tampered_file_does_not_open(settings: SettingsWrapper, workspace: Workspace) -> None:
    document = _stored(workspace)
    path = _on_disk(settings, "eu", document.file.name)
    raw = bytearray(path.read_bytes())
    raw[-1] ^= 1
    path.write_bytes(bytes(raw))
    with pytest.raises(DecryptionError):
        default_storage.open(document.file.name)


def test_a_name_without_a_workspace_is_refused(workspace: Workspace) -> None:
    with pytest.raises(Exception, match="names no workspace"):
        default_storage.save("loose/file.pdf", ContentFile(PDF))


def test_the_data_region_chooses_where_files_are_kept(settings: SettingsWrapper) -> None:
    workspace = make_workspace("Yankee Inc", data_region=DataRegion.US)
    document = _stored(workspace)
    assert _on_disk(settings, "us", document.file.name).is_file()
    assert not _on_disk(settings, "eu", document.file.name).exists()


def test_the_download_is_decrypted_for_a_member(workspace: Workspace) -> None:
    document = _stored(workspace)
    user = make_user(workspace=workspace, role=Role.REVIEWER)
    client = logged_in_client(user)
    response = client.get(reverse("admin:reconciliation-review-file", args=[document.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF  # type: ignore[attr-defined]


def test_sealing_a_document_again_replaces_its_file_in_place(
    settings: SettingsWrapper, workspace: Workspace
) -> None:
    document = _stored(workspace)
    first = _on_disk(settings, "eu", document.file.name).read_bytes()

    again = default_storage.save(document.file.name, ContentFile(PDF))

    folder = _on_disk(settings, "eu", document.file.name).parent
    assert again == document.file.name
    assert sorted(path.name for path in folder.iterdir()) == [Path(again).name]
    assert _on_disk(settings, "eu", again).read_bytes() != first  # a fresh seal
    with default_storage.open(again, "rb") as handle:
        assert handle.read() == PDF
