"""Where the PDF reader runs: a bubblewrap sandbox that holds no secret and reaches no network.

The reader (``reconciliation.extraction.child``) parses hostile bytes. Limits on memory and CPU
stop it from burning the worker; this module stops it from *reading* anything worth stealing
or sending it anywhere, should a parser bug ever hand it control:

- no network: its own network namespace (only a loopback that is down);
- no secrets on disk: its own mount namespace holding only the system (``/usr``, libraries), the
  Python installation and ``reconciliation/`` itself, read-only. The project root (``.env``, the
  SQLite file, stored documents), ``/tmp``, ``/run`` (mounted secrets), ``/home`` and
  ``/root`` are not there;
- no secrets in memory: its own PID namespace (the worker's ``/proc/<pid>/environ`` does not
  exist there), an environment reduced to an allow-list, and the worker made non-dumpable, so
  even a process of the same user cannot read the worker's memory or environment through
  ``/proc``;
- a separate unprivileged user: when the worker runs as root, the reader runs as
  ``WELL_READER_USER`` (``nobody`` by default), without capabilities;
- its own empty working directory; the document to read is copied, one at a time, into a
  read-only inbox beside it.

bubblewrap comes from Debian's ``bubblewrap`` package (``make install`` adds it). Without it no
reader starts: the worker reports an installation problem instead of reading PDFs unconfined.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import pwd
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

#: The directory holding the ``reconciliation`` package.
CODE_ROOT = Path(__file__).resolve().parents[2]
#: System paths the reader may read (those that exist); nothing under them holds a secret.
SYSTEM_PATHS = (
    "/usr",
    "/lib",
    "/lib64",
    "/bin",
    "/sbin",
    "/etc/ld.so.cache",
    "/etc/alternatives",
    "/etc/fonts",
    "/etc/localtime",
)
_PR_SET_DUMPABLE = 4
#: The reader's /tmp: a fresh empty tmpfs inside its mount namespace, never the host's.
_INNER_TMP = "/tmp"  # noqa: S108


class SandboxUnavailableError(RuntimeError):
    """bubblewrap is missing or cannot create the reader's namespaces here."""


def make_non_dumpable() -> None:
    """No core dumps and no ``/proc/<pid>/environ``, ``mem`` or ptrace for anyone but root:
    the worker holds SECRET_KEY and WELL_MASTER_KEY in its environment."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0) != 0:
        raise SandboxUnavailableError(f"prctl(PR_SET_DUMPABLE) failed: errno {ctypes.get_errno()}")


def reader_identity() -> tuple[int, int] | None:
    """(uid, gid) to run the reader as when the worker is root; None otherwise."""
    if os.geteuid() != 0:
        return None
    name = os.environ.get("WELL_READER_USER", "nobody")
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        raise SandboxUnavailableError(f"the reader's user {name!r} does not exist") from None
    if entry.pw_uid == 0:
        raise SandboxUnavailableError("the reader's user must not be root")
    return entry.pw_uid, entry.pw_gid


@dataclass
class Sandbox:
    """One reader's private directories and the command line that confines it."""

    root: Path
    identity: tuple[int, int] | None
    staged: list[Path] = field(default_factory=list)

    @property
    def cwd(self) -> Path:
        return self.root / "cwd"

    @property
    def inbox(self) -> Path:
        return self.root / "inbox"

    def command(self, argv: list[str]) -> list[str]:
        bwrap = shutil.which("bwrap")
        if bwrap is None:
            raise SandboxUnavailableError(
                "bubblewrap (bwrap) is not installed: the PDF reader only runs inside it "
                "(Debian package 'bubblewrap'; `make install` adds it)"
            )
        args = [bwrap, "--die-with-parent", "--unshare-net", "--unshare-pid", "--unshare-ipc"]
        args += ["--unshare-uts", "--unshare-cgroup-try"]
        if self.identity is None:
            args.append("--unshare-user")  # unprivileged: mounts need a user namespace
        else:
            # Root sets up the mounts, then setpriv becomes the reader's user for good.
            args += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
        args += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", _INNER_TMP]
        created: set[Path] = {Path("/"), Path(_INNER_TMP)}
        for path in _readable_paths():
            args += [*_parents(path, created), "--ro-bind", str(path), str(path)]
        args += _parents(self.cwd, created)
        args += ["--bind", str(self.cwd), str(self.cwd)]
        args += ["--ro-bind", str(self.inbox), str(self.inbox), "--chdir", str(self.cwd)]
        args += ["--", "env", "-u", "PWD"]  # bubblewrap sets it; the reader's environment is ours
        if self.identity is not None:
            uid, gid = self.identity
            args += ["setpriv", f"--reuid={uid}", f"--regid={gid}", "--clear-groups"]
            args += ["--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--"]
        return [*args, *argv]

    def stage(self, path: Path) -> Path:
        """A read-only copy of the document inside the reader's inbox."""
        self.unstage()
        copy = self.inbox / f"document-{len(os.listdir(self.inbox))}.pdf"
        shutil.copyfile(path, copy)
        copy.chmod(0o644)
        self.staged.append(copy)
        return copy

    def unstage(self) -> None:
        while self.staged:
            with contextlib.suppress(FileNotFoundError):
                self.staged.pop().unlink()

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def open_sandbox() -> Sandbox:
    """A new reader's private directories (the worker becomes non-dumpable on the way)."""
    make_non_dumpable()
    identity = reader_identity()
    root = Path(tempfile.mkdtemp(prefix="well-reader-"))  # 0700: nobody else looks inside
    sandbox = Sandbox(root=root, identity=identity)
    sandbox.cwd.mkdir(mode=0o700)
    sandbox.inbox.mkdir(mode=0o755)
    if identity is not None:
        os.chown(sandbox.cwd, *identity)
    return sandbox


def _readable_paths() -> list[Path]:
    paths = [Path(p) for p in SYSTEM_PATHS if os.path.exists(p)]
    python = {Path(sys.prefix), Path(sys.base_prefix).resolve(), Path(sys.exec_prefix)}
    paths += sorted(p for p in python if not p.is_relative_to("/usr"))
    paths.append(CODE_ROOT / "reconciliation")
    return paths


def _parents(path: Path, created: set[Path]) -> list[str]:
    """``--dir`` for each missing ancestor, world-traversable so the reader's user can walk it
    (Python lists the directories on its path)."""
    args: list[str] = []
    for parent in reversed(path.parents):
        if parent not in created:
            created.add(parent)
            args += ["--perms", "0755", "--dir", str(parent)]
    return args


def innermost_pid(pid: int) -> int:
    """The reader's own PID on this side: bubblewrap's process chain ends in it."""
    while True:
        try:
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        except OSError:
            return pid
        if not children:
            return pid
        pid = int(children[0])


def wait_gone(pid: int, seconds: float = 2.0) -> None:
    """Wait (bounded) until a killed reader has really exited: bubblewrap's inner processes are
    not our children, so their end cannot be waited for with waitpid."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not is_gone(pid):
        time.sleep(0.01)


def is_gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return True
    return state in {"Z", "X"}
