"""Run the web server, the task cluster and the provider emulators together; Ctrl-C stops all.

With `--setup` (what `make run` uses) it first migrates and, while the three processes boot,
sets up the demo workspace and the schedules in this process: one Django start instead of
five before the first window. The console shows what a person needs (where to sign in, where
the emulators are); each process writes its own log under var/log/ (`--verbose` keeps them on
the console), and when one stops, the end of its log is printed.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.core.management.base import CommandParser

from reconciliation.dispatch import dispatch_due_work
from reconciliation.management.commands.setup_demo import DEMO_PASSWORD
from reconciliation.management.commands.setup_demo import DEMO_USERNAME
from reconciliation.schedules import sync_schedules

_READY_SECONDS = 30
_TAIL_LINES = 20

Child = tuple[str, subprocess.Popen[bytes], Path | None]


class Command(BaseCommand):
    help = "Start runserver, qcluster and (when available) the sandbox emulators together."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--addr", default="127.0.0.1:8000")
        parser.add_argument("--no-sandbox", action="store_true")
        parser.add_argument(
            "--verbose", action="store_true", help="show every process's output on the console"
        )
        parser.add_argument(
            "--setup",
            action="store_true",
            help="first migrate, create the cache table, set up the demo workspace (setup_demo) "
            "and declare the schedules, in this process (`make run`)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        manage = [sys.executable, "manage.py"]
        quiet = not options["verbose"]
        logs = Path(settings.VAR_DIR) / "log" if quiet else None
        if logs is not None:
            logs.mkdir(parents=True, exist_ok=True)
        if options["setup"]:
            with _quiet_logs(quiet):
                call_command("migrate", interactive=False, verbosity=0)
                call_command("createcachetable", verbosity=0)
        sandbox = not options["no_sandbox"] and _has_command("sandbox")
        commands: list[tuple[str, list[str]]] = []
        if sandbox:
            port = str(urlsplit(settings.DROPBOX_API_URL).port or 8700)
            commands.append(("sandbox", [*manage, "sandbox", "--demo", "--port", port]))
        commands += [
            ("web", [*manage, "runserver", options["addr"], "--noreload"]),
            ("tasks", [*manage, "qcluster"]),
        ]
        stopping = False

        def stop(signum: int, frame: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        # All three start at once (each takes seconds to boot), while the demo workspace gets
        # its history here; it is connected to the emulators as soon as they answer.
        children = [_start(name, command, logs) for name, command in commands]
        try:
            with _quiet_logs(quiet):
                if options["setup"]:
                    call_command("setup_demo", verbosity=0)
                    sync_schedules()
                if sandbox:
                    qonto = settings.QONTO_API_URL.rstrip("/")
                    _wait_for(qonto + "/_sandbox/state", lambda: stopping)
                    call_command("connect_sandbox", stdout=io.StringIO() if quiet else None)
                    # The scheduler's first minute, now: the demo's first window starts as soon
                    # as the task cluster is up, not at the scheduler's first tick.
                    dispatch_due_work()
            _wait_for(f"http://{options['addr']}/admin/login/", lambda: stopping)
            self._welcome(sandbox, logs)
            while not stopping:
                stopping = self._any_exited(children)
                time.sleep(0.5)
        finally:
            _stop_all(children)
        self.stdout.write("Stopped.")

    def _welcome(self, sandbox: bool, logs: Path | None) -> None:
        lines = [
            "Well is running (Ctrl-C stops it).",
            f"  Sign in at {settings.WELL_BASE_URL}/admin/ as {DEMO_USERNAME} / {DEMO_PASSWORD}",
        ]
        if sandbox:
            lines.append("  Emulators: " + ", ".join(f"{n} {url}" for n, url in _emulators()))
        if logs is not None:
            lines.append(f"  Logs: {logs}/")
        self.stdout.write(self.style.SUCCESS("\n".join(lines)))

    def _any_exited(self, children: list[Child]) -> bool:
        for name, child, log in children:
            if child.poll() is not None:
                self.stderr.write(f"{name} exited with {child.returncode}; stopping.")
                if log is not None:
                    self.stderr.write(_tail(log))
                return True
        return False


def _emulators() -> list[tuple[str, str]]:
    """Where the emulators answer: the provider URLs the settings point Well at."""
    return [
        ("Dropbox", settings.DROPBOX_API_URL),
        ("Apideck", settings.APIDECK_API_URL),
        ("Qonto", settings.QONTO_API_URL),
    ]


def _start(name: str, command: list[str], logs: Path | None) -> Child:
    log = logs / f"{name}.log" if logs is not None else None
    out: IO[bytes] | None = log.open("ab") if log is not None else None
    # Its own process group: stopping it reaches the processes it starts (qcluster's workers).
    child = subprocess.Popen(  # noqa: S603
        command,
        env=os.environ.copy(),
        stdout=out,
        stderr=subprocess.STDOUT if out else None,
        start_new_session=True,
    )
    if out is not None:
        out.close()  # the child holds its own descriptor
    return name, child, log


def _wait_for(url: str, stopping: Callable[[], bool]) -> None:
    """Until `url` answers (any HTTP status) or half a minute has passed."""
    deadline = time.monotonic() + _READY_SECONDS
    while time.monotonic() < deadline and not stopping():
        try:
            urllib.request.urlopen(url, timeout=1).close()  # noqa: S310 - loopback only
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.3)


@contextmanager
def _quiet_logs(quiet: bool) -> Iterator[None]:
    """The setup steps' INFO lines stay out of the console (warnings still show)."""
    loggers = [logging.getLogger(), logging.getLogger("django-q")]
    levels = [logger.level for logger in loggers]
    if quiet:
        for logger in loggers:
            logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def _tail(log: Path) -> str:
    try:
        lines = log.read_text(errors="replace").splitlines()
    except OSError:
        return ""
    return "\n".join(f"  {line}" for line in lines[-_TAIL_LINES:])


def _stop_all(children: list[Child], *, seconds: float = 10) -> None:
    """SIGINT to each child's process group, as Ctrl-C would (qcluster stops its workers on it);
    a group still there after `seconds` is killed whole, so no worker keeps a port or a task."""
    for _, child, _ in children:
        _signal_group(child, signal.SIGINT)
    deadline = time.monotonic() + seconds
    for _, child, _ in children:
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        _signal_group(child, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.wait(timeout=5)  # reaped: no zombie left behind


def _signal_group(child: subprocess.Popen[bytes], number: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(child.pid, number)


def _has_command(name: str) -> bool:
    from django.core.management import get_commands

    return name in get_commands()
