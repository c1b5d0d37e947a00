"""``WorkspaceStorage``: Django's default storage, sealed per workspace and routed per region."""

from __future__ import annotations

import os
import re
import uuid
from typing import IO
from typing import Any

from django.core.exceptions import SuspiciousFileOperation
from django.core.files.base import ContentFile
from django.core.files.base import File
from django.core.files.storage import FileSystemStorage
from django.core.files.storage import Storage
from django.utils.deconstruct import deconstructible

from connectors import crypto
from reconciliation.files import regions

#: ``<kind>/<workspace id>/...``: every stored file names the workspace it belongs to.
_NAME = re.compile(r"^(?P<kind>[a-z][a-z0-9_-]*)/(?P<workspace>\d+)/[^\x00]+$")


def workspace_of(name: str) -> int:
    match = _NAME.match(name.replace("\\", "/"))
    if match is None or ".." in name.split("/"):
        raise SuspiciousFileOperation(
            f"{name!r} names no workspace; stored files live under <kind>/<workspace id>/"
        )
    return int(match["workspace"])


def _placement(workspace_id: int) -> tuple[str, str]:
    """(region the files are written to, region a move is taking them from or "")."""
    from reconciliation.models import Workspace

    row = Workspace.objects.filter(pk=workspace_id).values_list("data_region", "region_move_from")
    found = row.first()
    if found is None:
        raise SuspiciousFileOperation(f"workspace {workspace_id} does not exist")
    return str(found[0]), str(found[1] or "")


def _key(workspace_id: int) -> bytes:
    from reconciliation.connections.tokens import workspace_data_key

    return workspace_data_key(workspace_id)


def write(name: str, content: bytes) -> str:
    """Seal ``content`` and store it under ``name`` in its workspace's region."""
    workspace_id = workspace_of(name)
    sealed = crypto.seal_file(
        _key(workspace_id),
        content,
        associated_data=crypto.file_associated_data(workspace_id, name),
    )
    region, _ = _placement(workspace_id)
    return _replace(regions.backend(region), name, sealed)


def _replace(target: Storage, name: str, sealed: bytes) -> str:
    """Store ``sealed`` under exactly ``name``, replacing an older seal of the same document
    without a moment where neither exists: a folder gets the new file beside the old one and
    renames it over it; a bucket overwrites in one PUT (its storage is set to overwrite)."""
    if not isinstance(target, FileSystemStorage):
        return target.save(name, ContentFile(sealed))
    partial = target.save(f"{name}.{uuid.uuid4().hex}.part", ContentFile(sealed))
    os.replace(target.path(partial), target.path(name))
    return name


def read(name: str) -> bytes:
    """The plaintext of a stored file; ``DecryptionError`` when it does not belong here."""
    workspace_id = workspace_of(name)
    sealed = _sealed(workspace_id, name)
    return crypto.open_file(
        _key(workspace_id), sealed, associated_data=crypto.file_associated_data(workspace_id, name)
    )


def _sealed(workspace_id: int, name: str) -> bytes:
    region, moving_from = _placement(workspace_id)
    for candidate in (region, moving_from):
        if candidate and regions.backend(candidate).exists(name):
            with regions.backend(candidate).open(name, "rb") as handle:
                return bytes(handle.read())
    raise FileNotFoundError(f"{name} is not stored in region {region}")


def holders(name: str) -> list[Storage]:
    """Every region's storage that holds ``name`` (normally one)."""
    return [
        regions.backend(region)
        for region in regions.regions()
        if regions.backend(region).exists(name)
    ]


@deconstructible(path="reconciliation.files.WorkspaceStorage")
class WorkspaceStorage(Storage):
    """Sealed, per-region storage behind ``FileField`` and ``default_storage``.

    There is deliberately no ``path()``: nothing may read a stored file's bytes from disk
    without opening them (callers then take a temporary copy), and no ``url()``: files are
    served only through views that check the user's workspace.
    """

    def _open(self, name: str, mode: str = "rb") -> File[Any]:
        if "w" in mode or "a" in mode or "+" in mode:
            raise ValueError("stored files are written with save(), never opened for writing")
        return ContentFile(read(name), name=name)

    def _save(self, name: str, content: IO[Any] | File[Any]) -> str:
        if hasattr(content, "seek"):
            content.seek(0)
        data = content.read()
        return write(name, data if isinstance(data, bytes) else str(data).encode())

    def get_available_name(self, name: str, max_length: int | None = None) -> str:
        workspace_of(name)
        return name  # names are content-addressed: the same name is the same file

    def delete(self, name: str) -> None:
        workspace_of(name)
        for storage in holders(name):
            storage.delete(name)

    def exists(self, name: str) -> bool:
        try:
            workspace_of(name)
            region, moving_from = _placement(workspace_of(name))
        except SuspiciousFileOperation:
            return False
        return any(
            regions.backend(candidate).exists(name)
            for candidate in (region, moving_from)
            if candidate
        )

    def size(self, name: str) -> int:
        return len(read(name))

    def listdir(self, path: str) -> tuple[list[str], list[str]]:
        region, _ = _placement(workspace_of(path.rstrip("/") + "/x"))
        directories, files = regions.backend(region).listdir(path)
        return list(directories), list(files)

    def url(self, name: str | None) -> str:
        raise NotImplementedError("stored files have no public URL; use the download views")


def legacy_storage() -> FileSystemStorage:
    """Where files were kept, in plain, before they were sealed per region (MEDIA_ROOT)."""
    from django.conf import settings

    return FileSystemStorage(location=settings.MEDIA_ROOT)
