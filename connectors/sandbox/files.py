"""The emulated Dropbox account's files: a tree of folders and files with revisions and an
append-only change log, which is what list_folder cursors point into.

Every mutation appends changes in the order a Dropbox client must apply them: a new or edited
file is a ``file`` entry (an edit keeps the id and gets a new rev); a delete is one ``deleted``
entry for the path (children are implied); a move or rename is ``deleted`` at the old path
followed by the entry at the new path with the same id (and, for folders, every descendant).
The Apideck emulator reads the same store, as a real Apideck Dropbox connection would.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import threading
import uuid
from dataclasses import dataclass
from dataclasses import replace
from datetime import datetime
from typing import Any

from connectors.sandbox.clock import Clock
from connectors.sandbox.clock import iso_seconds

BLOCK_SIZE = 4 * 1024 * 1024
# Shared across resets so a rev from before a reset never names a file after it.
_REV_COUNTER = itertools.count(0x15A1B2C3D0)
_REV_LOCK = threading.Lock()


def content_hash(data: bytes) -> str:
    """Dropbox's content_hash: SHA-256 of the concatenated SHA-256 digests of 4 MiB blocks."""
    overall = hashlib.sha256()
    for start in range(0, len(data), BLOCK_SIZE):
        overall.update(hashlib.sha256(data[start : start + BLOCK_SIZE]).digest())
    return overall.hexdigest()


def _next_rev() -> str:
    with _REV_LOCK:
        return f"{next(_REV_COUNTER):x}"


def normalize_path(path: str) -> str:
    """``/A/b.pdf`` style, no trailing slash; ``""`` is the root."""
    if path in ("", "/"):
        return ""
    if not path.startswith("/"):
        raise ValueError(f"Dropbox paths start with '/': {path!r}")
    return path.rstrip("/")


def parent_of(path_lower: str) -> str:
    return path_lower.rsplit("/", 1)[0]


def in_scope(path_lower: str, root: str, *, recursive: bool) -> bool:
    if recursive:
        return path_lower.startswith(root + "/") or (root != "" and path_lower == root)
    return path_lower != root and parent_of(path_lower) == root


@dataclass
class Node:
    kind: str  # "file" | "folder"
    id: str
    path_display: str
    created_at: datetime
    rev: str | None = None
    content: bytes = b""
    content_hash: str | None = None
    server_modified: datetime | None = None
    client_modified: datetime | None = None

    @property
    def name(self) -> str:
        return self.path_display.rsplit("/", 1)[1]

    @property
    def path_lower(self) -> str:
        return self.path_display.lower()

    @property
    def size(self) -> int:
        return len(self.content)

    def metadata(self) -> dict[str, Any]:
        """The Dropbox metadata union member (with ``.tag``), as list_folder shows it."""
        if self.kind == "folder":
            return {
                ".tag": "folder",
                "name": self.name,
                "path_lower": self.path_lower,
                "path_display": self.path_display,
                "id": self.id,
            }
        assert self.server_modified is not None
        assert self.client_modified is not None
        return {
            ".tag": "file",
            "name": self.name,
            "path_lower": self.path_lower,
            "path_display": self.path_display,
            "id": self.id,
            "client_modified": iso_seconds(self.client_modified),
            "server_modified": iso_seconds(self.server_modified),
            "rev": self.rev,
            "size": self.size,
            "is_downloadable": True,
            "content_hash": self.content_hash,
        }


def deleted_entry(path_display: str) -> dict[str, Any]:
    return {
        ".tag": "deleted",
        "name": path_display.rsplit("/", 1)[1],
        "path_lower": path_display.lower(),
        "path_display": path_display,
    }


@dataclass(frozen=True)
class Change:
    seq: int
    path_lower: str
    entry: dict[str, Any]


class FileStore:
    """Thread-safe; ``changed`` is notified on every mutation and cursor reset (long-polls)."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.nodes: dict[str, Node] = {}
            self.changes: list[Change] = []
            self.revisions: dict[str, Node] = {}
            # A new instance id invalidates every cursor handed out before the reset.
            self.instance = uuid.uuid4().hex[:12]
            self.epoch = 0
            self.changed.notify_all()

    @property
    def seq(self) -> int:
        return len(self.changes)

    # --- mutations -------------------------------------------------------------------------------

    def put_file(
        self, path: str, content: bytes, *, client_modified: datetime | None = None
    ) -> dict[str, Any]:
        """Create or overwrite a file (parents are created as needed); returns its metadata."""
        display = normalize_path(path)
        if not display:
            raise ValueError("a file needs a name")
        now = self.clock.now().replace(microsecond=0)
        with self.lock:
            self._ensure_folder(parent_of(display))
            existing = self.nodes.get(display.lower())
            if existing is not None and existing.kind == "folder":
                raise ValueError(f"{display} is a folder")
            node = Node(
                kind="file",
                id=existing.id if existing is not None else _new_id(),
                path_display=display,
                created_at=existing.created_at if existing is not None else now,
                rev=_next_rev(),
                content=bytes(content),
                content_hash=content_hash(content),
                server_modified=now,
                client_modified=(client_modified or now).replace(microsecond=0),
            )
            self.nodes[node.path_lower] = node
            self.revisions[node.rev or ""] = replace(node)
            self._append(node.path_lower, node.metadata())
            return node.metadata()

    def create_folder(self, path: str) -> dict[str, Any]:
        display = normalize_path(path)
        if not display:
            raise ValueError("the root folder always exists")
        with self.lock:
            existing = self.nodes.get(display.lower())
            if existing is not None and existing.kind == "file":
                raise ValueError(f"{display} is a file")
            self._ensure_folder(display)
            return self.nodes[display.lower()].metadata()

    def delete(self, path: str) -> dict[str, Any]:
        """Delete a file or a folder with everything under it; one ``deleted`` change."""
        lower = normalize_path(path).lower()
        with self.lock:
            node = self.nodes.get(lower)
            if node is None:
                raise KeyError(path)
            for key in [key for key in self.nodes if key == lower or key.startswith(lower + "/")]:
                del self.nodes[key]
            entry = deleted_entry(node.path_display)
            self._append(lower, entry)
            return entry

    def move(self, from_path: str, to_path: str) -> dict[str, Any]:
        """Move or rename; ids are kept, files get a new rev. Returns the new metadata."""
        source = normalize_path(from_path).lower()
        target_display = normalize_path(to_path)
        if not target_display:
            raise ValueError("cannot move onto the root")
        with self.lock:
            node = self.nodes.get(source)
            if node is None:
                raise KeyError(from_path)
            if target_display.lower() in self.nodes and target_display.lower() != source:
                raise ValueError(f"{target_display} already exists")
            if target_display.lower().startswith(source + "/"):
                raise ValueError("cannot move a folder into itself")
            self._ensure_folder(parent_of(target_display))
            moving = sorted(
                (key for key in self.nodes if key == source or key.startswith(source + "/")),
            )
            old_display = node.path_display
            moved: list[Node] = []
            for key in moving:
                item = self.nodes.pop(key)
                item.path_display = target_display + item.path_display[len(old_display) :]
                if item.kind == "file":
                    item.rev = _next_rev()
                    item.server_modified = self.clock.now().replace(microsecond=0)
                    self.revisions[item.rev] = replace(item)
                moved.append(item)
            self._append(source, deleted_entry(old_display))
            for item in moved:
                self.nodes[item.path_lower] = item
                self._append(item.path_lower, item.metadata())
            return moved[0].metadata()

    def reset_cursors(self) -> None:
        """Invalidate every cursor: the next continue/longpoll answers 409 ``reset``."""
        with self.lock:
            self.epoch += 1
            self.changed.notify_all()

    def _ensure_folder(self, display: str) -> None:
        if not display:
            return
        lower = display.lower()
        existing = self.nodes.get(lower)
        if existing is not None:
            if existing.kind != "folder":
                raise ValueError(f"{existing.path_display} is a file")
            return
        self._ensure_folder(parent_of(display))
        node = Node(
            kind="folder",
            id=_new_id(),
            path_display=display,
            created_at=self.clock.now().replace(microsecond=0),
        )
        self.nodes[lower] = node
        self._append(lower, node.metadata())

    def _append(self, path_lower: str, entry: dict[str, Any]) -> None:
        self.changes.append(Change(seq=len(self.changes) + 1, path_lower=path_lower, entry=entry))
        self.changed.notify_all()

    # --- lookups ---------------------------------------------------------------------------------

    def lookup(self, reference: str) -> Node | None:
        """A live node by ``/path`` or ``id:...`` (``""`` is the root, which has no node)."""
        with self.lock:
            if reference.startswith("id:"):
                for node in self.nodes.values():
                    if node.id == reference:
                        return node
                return None
            if reference.startswith("/"):
                return self.nodes.get(reference.rstrip("/").lower())
            return None

    def revision(self, rev: str) -> Node | None:
        with self.lock:
            return self.revisions.get(rev)

    def entries_at(self, seq: int) -> dict[str, dict[str, Any]]:
        """path_lower → entry, as the tree was after change ``seq`` (deletions removed)."""
        with self.lock:
            if seq == self.seq:
                return {key: node.metadata() for key, node in self.nodes.items()}
            tree: dict[str, dict[str, Any]] = {}
            for change in self.changes[:seq]:
                if change.entry[".tag"] == "deleted":
                    prefix = change.path_lower + "/"
                    for key in [k for k in tree if k == change.path_lower or k.startswith(prefix)]:
                        del tree[key]
                else:
                    tree[change.path_lower] = change.entry
            return tree

    def listing(
        self, root: str, *, recursive: bool, include_deleted: bool, seq: int
    ) -> list[dict[str, Any]]:
        """A folder's entries as of ``seq``, parents before children."""
        with self.lock:
            tree = self.entries_at(seq)
            entries = {
                key: entry
                for key, entry in tree.items()
                if in_scope(key, root, recursive=recursive)
            }
            if include_deleted:
                for change in self.changes[:seq]:
                    if (
                        change.entry[".tag"] == "deleted"
                        and change.path_lower not in tree
                        and in_scope(change.path_lower, root, recursive=recursive)
                    ):
                        entries[change.path_lower] = change.entry
            return [entries[key] for key in sorted(entries)]

    def changes_since(self, seq: int, root: str, *, recursive: bool) -> list[Change]:
        """Changes after ``seq`` within ``root``: the last change per path, in log order."""
        with self.lock:
            latest: dict[str, Change] = {}
            for change in self.changes[seq:]:
                if in_scope(change.path_lower, root, recursive=recursive):
                    latest.pop(change.path_lower, None)
                    latest[change.path_lower] = change
            return sorted(latest.values(), key=lambda change: change.seq)

    def wait_for_change(
        self, *, instance: str, epoch: int, seq: int, root: str, recursive: bool, timeout: float
    ) -> bool:
        """Block until something changed within ``root`` after ``seq`` (or cursors were reset);
        False after ``timeout`` seconds of real time without change."""
        with self.changed:
            return self.changed.wait_for(
                lambda: (
                    self.instance != instance
                    or self.epoch != epoch
                    or bool(self.changes_since(seq, root, recursive=recursive))
                ),
                timeout=timeout,
            )

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return {
                "seq": self.seq,
                "epoch": self.epoch,
                "entries": [self.nodes[key].metadata() for key in sorted(self.nodes)],
            }


# Ids come from a process-wide sequence, not randomness: a demo emulator restarted with the
# same scenario hands out the same ids, so Well's stored documents still match its files.
_ID_COUNTER = itertools.count(1)
_ID_LOCK = threading.Lock()


def _new_id() -> str:
    with _ID_LOCK:
        number = next(_ID_COUNTER)
    digest = hashlib.sha256(f"well-sandbox-file-{number}".encode()).digest()
    return "id:" + base64.urlsafe_b64encode(digest[:16]).decode().rstrip("=")
