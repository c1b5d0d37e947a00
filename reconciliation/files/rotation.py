"""What ``rotate_master_key`` does for files: check that each one opens under the current keys,
and seal the files kept in plain before encryption at rest (``MEDIA_ROOT/documents/<id>/``)."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field

from reconciliation.files import regions
from reconciliation.files.moves import KINDS
from reconciliation.files.moves import workspace_files
from reconciliation.files.storage import legacy_storage
from reconciliation.files.storage import read
from reconciliation.files.storage import write


@dataclass
class FileCheck:
    opened: int = 0
    sealed_now: int = 0
    failed: list[str] = field(default_factory=list)


def check_and_seal(workspace_id: int, *, seal: bool = True) -> FileCheck:
    report = FileCheck()
    legacy = legacy_storage()
    for name in list(workspace_files(legacy, workspace_id) if seal else ()):
        if name.split("/", 1)[0] not in KINDS:
            continue
        with legacy.open(name, "rb") as handle:
            write(name, bytes(handle.read()))
        legacy.delete(name)
        report.sealed_now += 1
    for region in regions.regions():
        for name in workspace_files(regions.backend(region), workspace_id):
            try:
                read(name)
            except Exception as error:  # report every unreadable file, then go on
                report.failed.append(f"{region}:{name}: {type(error).__name__}")
            else:
                report.opened += 1
    return report
