"""Run the web server, the task cluster and the provider emulators together; Ctrl-C stops all."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from typing import Any

from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Start runserver, qcluster and (when available) the sandbox emulators together."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--addr", default="127.0.0.1:8000")
        parser.add_argument("--no-sandbox", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        manage = [sys.executable, "manage.py"]
        commands: list[tuple[str, list[str]]] = []
        if not options["no_sandbox"] and _has_command("sandbox"):
            commands.append(("sandbox", [*manage, "sandbox", "--demo"]))
        commands += [
            ("web", [*manage, "runserver", options["addr"], "--noreload"]),
            ("tasks", [*manage, "qcluster"]),
        ]
        children: list[tuple[str, subprocess.Popen[bytes]]] = []
        stopping = False

        def stop(signum: int, frame: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        for name, command in commands:
            children.append((name, subprocess.Popen(command, env=os.environ.copy())))  # noqa: S603
            if name == "sandbox":
                self._connect_when_ready(manage, children[-1][1])
        self.stdout.write(self.style.SUCCESS("Well is running. Press Ctrl-C to stop."))
        try:
            while not stopping:
                for name, child in children:
                    if child.poll() is not None:
                        self.stderr.write(f"{name} exited with {child.returncode}; stopping.")
                        stopping = True
                time.sleep(0.5)
        finally:
            for _, child in children:
                if child.poll() is None:
                    # SIGINT, as Ctrl-C would: qcluster stops its workers promptly on it.
                    child.send_signal(signal.SIGINT)
            deadline = time.monotonic() + 10
            for _, child in children:
                try:
                    child.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    child.kill()
        self.stdout.write("Stopped.")

    def _connect_when_ready(self, manage: list[str], sandbox: subprocess.Popen[bytes]) -> None:
        """Wait for the emulators to answer, then (re)connect the demo workspace to them."""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and sandbox.poll() is None:
            try:
                urllib.request.urlopen("http://127.0.0.1:8702/_sandbox/state", timeout=1).close()
                break
            except OSError:
                time.sleep(0.3)
        subprocess.run([*manage, "connect_sandbox"], check=True, env=os.environ.copy())  # noqa: S603


def _has_command(name: str) -> bool:
    from django.core.management import get_commands

    return name in get_commands()
