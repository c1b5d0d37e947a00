"""Stored files: encrypted with their workspace's key, kept in their workspace's data region.

Every file Well stores belongs to one workspace and is named ``<kind>/<workspace id>/...``
(``documents/7/ab/<sha256>.pdf``, ``pages/7/...``). ``WorkspaceStorage`` — Django's default
storage — seals each file with AES-256-GCM under a key of its own, wrapped by the workspace's
data key, with the workspace and the name as associated data, and writes it to the storage of
the workspace's region (``regions``). Reading opens and checks it: a file copied into another
workspace's folder, renamed or altered does not open. ``moves`` moves a workspace's files to
another region; ``erasure`` deletes them in every region.
"""

from __future__ import annotations

from reconciliation.files.storage import WorkspaceStorage
from reconciliation.files.storage import read
from reconciliation.files.storage import workspace_of
from reconciliation.files.storage import write

__all__ = ["WorkspaceStorage", "read", "workspace_of", "write"]
