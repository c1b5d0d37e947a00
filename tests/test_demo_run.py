"""`make run` prints where to sign in and where the emulators are, never its environment (the
demo's master key is in it)."""

from __future__ import annotations

import io
import os
import re
import sys
import time
from pathlib import Path

from django.core.management.base import OutputWrapper
from pytest_django.fixtures import Settings

from reconciliation.management.commands import run_demo

MAKEFILE = Path(__file__).resolve().parent.parent / "Makefile"


def recipe(target: str) -> list[str]:
    lines = MAKEFILE.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"{target}:"))
    body: list[str] = []
    for line in lines[start + 1 :]:
        if not line.startswith("\t"):
            break
        body.append(line[1:])
    return body


def test_make_run_echoes_none_of_its_commands() -> None:
    lines = recipe("run")
    assert lines
    assert all(line.startswith("@") for line in lines)
    assert any("$(DEMO_ENV)" in line and "run_demo --setup" in line for line in lines)


def test_the_demo_environment_holds_the_master_key_only_in_the_makefile_variable() -> None:
    text = MAKEFILE.read_text()
    demo_env = re.search(r"^DEMO_ENV := (.*?)(?<!\\)$", text, re.M | re.S)
    assert demo_env is not None
    assert "WELL_MASTER_KEY=" in demo_env.group(1)
    assert all("WELL_MASTER_KEY" not in line for line in recipe("run"))


def test_the_welcome_says_where_to_sign_in_and_where_the_emulators_are(settings: Settings) -> None:
    settings.DROPBOX_API_URL = "http://127.0.0.1:9700"
    settings.APIDECK_API_URL = "http://127.0.0.1:9701"
    settings.QONTO_API_URL = "http://127.0.0.1:9702"
    out = io.StringIO()
    command = run_demo.Command(stdout=out)
    command.stdout = OutputWrapper(out)
    command._welcome(sandbox=True, logs=Path("/srv/well/var/log"))
    printed = out.getvalue()
    assert printed.splitlines() == [
        "Well is running (Ctrl-C stops it).",
        "  Sign in at http://127.0.0.1:8000/admin/ as demo / well-demo-2026",
        "  Emulators: Dropbox http://127.0.0.1:9700, Apideck http://127.0.0.1:9701, "
        "Qonto http://127.0.0.1:9702",
        "  Logs: /srv/well/var/log/",
    ]
    assert "MASTER" not in printed


def test_stopping_the_demo_stops_what_its_processes_started(tmp_path: Path) -> None:
    """qcluster's workers are its children: a worker that ignores Ctrl-C must not outlive the
    demo (it would keep its port and its tasks)."""
    pid_file = tmp_path / "grandchild.pid"
    spawn = (
        "import signal, subprocess, sys, time;"
        "child = subprocess.Popen([sys.executable, '-c',"
        " 'import signal, time; signal.signal(signal.SIGINT, signal.SIG_IGN); time.sleep(60)']);"
        f"open({str(pid_file)!r}, 'w').write(str(child.pid));"
        "signal.signal(signal.SIGINT, signal.SIG_IGN); time.sleep(60)"
    )
    child = run_demo._start("tasks", [sys.executable, "-c", spawn], None)
    deadline = time.monotonic() + 10
    while not pid_file.exists() or not pid_file.read_text():
        assert time.monotonic() < deadline, "the child started nothing"
        time.sleep(0.05)
    grandchild = int(pid_file.read_text())

    run_demo._stop_all([child], seconds=0.5)

    assert child[1].poll() is not None
    assert not _alive(grandchild)


def _alive(pid: int) -> bool:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        if Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z":
            return False  # killed, not yet reaped by its (gone) parent's reaper
        time.sleep(0.05)
    return True
