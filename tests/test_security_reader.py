"""The PDF reader cannot reach secrets or the network: code running where the reader runs (the
same sandbox, user and environment) cannot connect anywhere, cannot read the project's `.env`
nor anything else of the project root, and cannot read the worker's `/proc/<pid>/environ`."""

from __future__ import annotations

import ctypes
import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from reconciliation.extraction.isolation import PASSED_ENVIRONMENT
from reconciliation.extraction.isolation import extract_isolated
from reconciliation.extraction.isolation import reader_pid
from reconciliation.extraction.isolation import stop_reader
from reconciliation.extraction.sandbox import CODE_ROOT
from reconciliation.extraction.sandbox import open_sandbox
from reconciliation.extraction.types import Extraction
from tests.test_hostile_pdfs import invoice_pdf

PROBE = """
import json, os, socket, sys
port, worker = int(sys.argv[1]), int(sys.argv[2])
def attempt(action):
    try:
        return ["ok", action()]
    except Exception as error:
        return ["refused", type(error).__name__]
def connect():
    with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
        return s.recv(16).decode()
def read(path):
    with open(path, "rb") as handle:
        return handle.read().decode("latin-1")
print(json.dumps({
    "socket": attempt(connect),
    "env_file": attempt(lambda: read(sys.argv[3] + "/.env")),
    "manage_py": attempt(lambda: read(sys.argv[3] + "/manage.py")),
    "worker_environ": attempt(lambda: read(f"/proc/{worker}/environ")),
    "parent_environ": attempt(lambda: read(f"/proc/{os.getppid()}/environ")),
    "cwd": [os.getcwd(), sorted(os.listdir("."))],
    "uid": os.getuid(),
}))
"""


@pytest.fixture(autouse=True)
def no_reader_before_or_after() -> Iterator[None]:
    stop_reader()
    yield
    stop_reader()


@pytest.fixture
def listener() -> Iterator[int]:
    """A TCP server on 127.0.0.1 answering "hello" to whoever connects."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(4)
    server.settimeout(0.2)
    port = server.getsockname()[1]
    import threading

    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                peer, _ = server.accept()
            except OSError:
                continue
            with peer:
                peer.sendall(b"hello")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield port
    stop.set()
    thread.join(timeout=2)
    server.close()


def _probe(port: int, *, sandboxed: bool, monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    monkeypatch.setenv("SECRET_KEY", "probe-secret-key-do-not-leak")
    environment = {name: os.environ[name] for name in PASSED_ENVIRONMENT if name in os.environ}
    argv = [sys.executable, "-P", "-c", PROBE, str(port), str(os.getpid()), str(CODE_ROOT)]
    cwd: Path | str = CODE_ROOT
    sandbox = open_sandbox() if sandboxed else None
    if sandbox is not None:
        argv, cwd = sandbox.command(argv), sandbox.cwd
    try:
        result = subprocess.run(
            argv, env=environment, cwd=cwd, capture_output=True, text=True, timeout=60, check=False
        )
    finally:
        if sandbox is not None:
            sandbox.remove()
    assert result.returncode == 0, result.stderr
    answer: dict[str, object] = json.loads(result.stdout)
    return answer


def test_the_unconfined_probe_reaches_everything(
    listener: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The control: the same probe outside the sandbox connects and reads (so the assertions
    below can fail)."""
    seen = _probe(listener, sandboxed=False, monkeypatch=monkeypatch)
    assert seen["socket"] == ["ok", "hello"]
    assert seen["manage_py"][0] == "ok"  # type: ignore[index]


def test_the_reader_cannot_open_a_connection(
    listener: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = _probe(listener, sandboxed=True, monkeypatch=monkeypatch)
    assert seen["socket"][0] == "refused"  # type: ignore[index]


def test_the_reader_cannot_read_the_project_root(
    listener: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = _probe(listener, sandboxed=True, monkeypatch=monkeypatch)
    assert seen["env_file"] == ["refused", "FileNotFoundError"]
    assert seen["manage_py"] == ["refused", "FileNotFoundError"]
    cwd, entries = seen["cwd"]  # type: ignore[misc]
    assert entries == []
    assert not str(cwd).startswith(str(CODE_ROOT))


def test_the_reader_cannot_read_its_parents_environment(
    listener: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = _probe(listener, sandboxed=True, monkeypatch=monkeypatch)
    assert seen["worker_environ"][0] == "refused"  # type: ignore[index]
    assert "probe-secret-key-do-not-leak" not in json.dumps(seen)
    assert "probe-secret-key-do-not-leak" not in seen["parent_environ"][1]  # type: ignore[index]


def test_the_reader_runs_as_an_unprivileged_user(
    listener: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = _probe(listener, sandboxed=True, monkeypatch=monkeypatch)
    assert seen["uid"] != 0
    if os.geteuid() == 0:
        assert seen["uid"] == 65534  # nobody


def _extract(tmp_path: Path, workspace: int) -> int:
    path = tmp_path / "invoice.pdf"
    if not path.exists():
        path.write_bytes(invoice_pdf())
    assert isinstance(extract_isolated(path, workspace=workspace), Extraction)
    pid = reader_pid()
    assert pid is not None
    return pid


def test_the_worker_is_not_dumpable_once_a_reader_starts(tmp_path: Path) -> None:
    _extract(tmp_path, workspace=1)
    libc = ctypes.CDLL(None, use_errno=True)
    assert libc.prctl(3, 0, 0, 0, 0) == 0  # PR_GET_DUMPABLE


def test_the_real_reader_runs_confined(tmp_path: Path) -> None:
    pid = _extract(tmp_path, workspace=1)
    status = Path(f"/proc/{pid}/status").read_text()
    uid = int(status.split("Uid:")[1].split()[0])
    assert uid != 0 if os.geteuid() == 0 else uid == os.geteuid()
    own_net = os.readlink("/proc/self/ns/net")
    assert os.readlink(f"/proc/{pid}/ns/net") != own_net
    assert os.readlink(f"/proc/{pid}/ns/pid") != os.readlink("/proc/self/ns/pid")


def test_each_workspace_gets_its_own_reader(tmp_path: Path) -> None:
    first = _extract(tmp_path, workspace=1)
    assert _extract(tmp_path, workspace=1) == first
    second = _extract(tmp_path, workspace=2)
    assert second != first
    assert _extract(tmp_path, workspace=1) not in {first, second}
