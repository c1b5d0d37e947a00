"""``python manage.py sandbox [--host 127.0.0.1] [--port 8700] [--demo]``: run the Dropbox,
Apideck and Qonto emulators in the foreground (ports PORT, PORT+1, PORT+2) until Ctrl-C."""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand
from django.core.management.base import CommandError
from django.core.management.base import CommandParser

from connectors.sandbox import DEFAULT_PORT
from connectors.sandbox.demo import run_sandbox
from connectors.sandbox.server import loopback_address


class Command(BaseCommand):
    help = (
        "Run offline emulators of Dropbox, Apideck and Qonto on 127.0.0.1 (ports PORT, PORT+1, "
        "PORT+2) and print the settings that point Well at them. --demo loads the demo scenario."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="loopback address to bind")
        parser.add_argument(
            "--port",
            type=int,
            default=DEFAULT_PORT,
            help=f"Dropbox port; Apideck and Qonto use the next two (default {DEFAULT_PORT})",
        )
        parser.add_argument("--demo", action="store_true", help="load the demo scenario")
        parser.add_argument("--seed", type=int, default=7, help="demo scenario seed")
        parser.add_argument(
            "--qonto-staging-token",
            default=None,
            help="require this X-Qonto-Staging-Token header, as Qonto's sandbox does",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            host = loopback_address(options["host"])
        except ValueError as error:
            raise CommandError(str(error)) from None
        port = int(options["port"])
        if port and not 1024 <= port <= 65533:
            raise CommandError("--port must be 0 (ephemeral) or between 1024 and 65533")
        stop = threading.Event()

        def request_stop(signum: int, frame: FrameType | None) -> None:
            stop.set()

        previous = {
            number: signal.signal(number, request_stop)
            for number in (signal.SIGINT, signal.SIGTERM)
        }
        try:
            run_sandbox(
                host=host,
                port=port,
                demo=bool(options["demo"]),
                seed=int(options["seed"]),
                out=self.stdout,
                stop=stop,
                qonto_staging_token=options["qonto_staging_token"],
            )
        except OSError as error:
            raise CommandError(f"could not start the sandbox: {error}") from None
        finally:
            for number, handler in previous.items():
                signal.signal(number, handler)
