"""Moving a workspace's files to another data region, resumably, and finding them all."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.db import transaction

from reconciliation.files import regions

#: The kinds of files a workspace owns (``<kind>/<workspace id>/...``).
KINDS = ("documents", "pages")


class MoveRefusedError(Exception):
    """Another move of the workspace is unfinished: finish it (same target) first."""


@dataclass
class MoveReport:
    source: str
    target: str
    copied: int = 0
    already_there: int = 0
    finished: bool = False


def workspace_files(storage: Storage, workspace_id: int) -> Iterator[str]:
    """Every name of the workspace's files in one region's storage."""
    for kind in KINDS:
        yield from _walk(storage, f"{kind}/{workspace_id}")


def _walk(storage: Storage, folder: str) -> Iterator[str]:
    try:
        directories, files = storage.listdir(folder)
    except (FileNotFoundError, NotADirectoryError):
        return
    for name in sorted(files):
        yield f"{folder}/{name}"
    for directory in sorted(directories):
        yield from _walk(storage, f"{folder}/{directory}")


def move_workspace(workspace_id: int, target: str, *, max_files: int | None = None) -> MoveReport:
    """Point the workspace at ``target`` and move its files there.

    The workspace writes to the new region at once; reads fall back to the old one until every
    file is across. Each file is copied sealed, as it is (nothing is decrypted on the way),
    checked, then deleted from the source. Interrupted — or stopped after ``max_files`` — the
    same call resumes where it stopped.
    """
    from reconciliation.models import Workspace

    if target not in regions.regions():
        raise MoveRefusedError(f"unknown data region {target!r}")
    with transaction.atomic():
        workspace = Workspace.objects.select_for_update().get(pk=workspace_id)
        if workspace.region_move_from and workspace.data_region != target:
            raise MoveRefusedError(
                f"a move from {workspace.region_move_from} to {workspace.data_region} is "
                "unfinished; run it to the end first"
            )
        if not workspace.region_move_from:
            if workspace.data_region == target:
                return MoveReport(target, target, finished=True)
            workspace.region_move_from, workspace.data_region = workspace.data_region, target
            workspace.save(update_fields=["region_move_from", "data_region"])
        source = workspace.region_move_from
    report = MoveReport(source, target)
    origin, destination = regions.backend(source), regions.backend(target)
    for name in list(workspace_files(origin, workspace_id)):
        if max_files is not None and report.copied + report.already_there >= max_files:
            return report
        with origin.open(name, "rb") as handle:
            sealed = bytes(handle.read())
        if _holds(destination, name, sealed):
            report.already_there += 1
        else:
            if destination.exists(name):
                destination.delete(name)
            destination.save(name, ContentFile(sealed))
            if not _holds(destination, name, sealed):
                raise OSError(f"{name} did not arrive intact in region {target}")
            report.copied += 1
        origin.delete(name)
    Workspace.objects.filter(pk=workspace_id, data_region=target).update(region_move_from="")
    report.finished = True
    return report


def _holds(storage: Storage, name: str, sealed: bytes) -> bool:
    if not storage.exists(name):
        return False
    with storage.open(name, "rb") as handle:
        return bytes(handle.read()) == sealed


def delete_workspace_files(workspace_id: int) -> dict[str, int]:
    """Delete the workspace's files in every region: {region: files deleted}."""
    deleted: dict[str, int] = {}
    for region in regions.regions():
        storage = regions.backend(region)
        names = list(workspace_files(storage, workspace_id))
        for name in names:
            storage.delete(name)
        deleted[region] = len(names)
    return deleted


def count_workspace_files(workspace_id: int) -> dict[str, int]:
    return {
        region: sum(1 for _ in workspace_files(regions.backend(region), workspace_id))
        for region in regions.regions()
    }
