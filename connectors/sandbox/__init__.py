"""Offline emulators of Dropbox, Apideck and Qonto, served over real HTTP on 127.0.0.1.

``start_sandbox()`` runs all three (Apideck reads the Dropbox emulator's files, as a real
Apideck Dropbox connection would)::

    with start_sandbox() as sandbox:
        sandbox.dropbox.put_file("/Invoices/a.pdf", pdf_bytes)
        sandbox.qonto.inject_fault("/v2/supplier_invoices/bulk", {"status": 503}, count=2)
        settings = sandbox.settings()  # QONTO_API_URL, DROPBOX_API_URL, ... and demo credentials

The demo credentials below are what the emulators accept; they open nothing real.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from connectors.sandbox.apideck import ApideckEmulator
from connectors.sandbox.constants import APIDECK_API_KEY
from connectors.sandbox.constants import APIDECK_APP_ID
from connectors.sandbox.constants import APIDECK_CONSUMER_ID
from connectors.sandbox.constants import DEFAULT_PORT
from connectors.sandbox.constants import DROPBOX_APP_KEY
from connectors.sandbox.constants import DROPBOX_APP_SECRET
from connectors.sandbox.constants import QONTO_API_LOGIN
from connectors.sandbox.constants import QONTO_API_SECRET_KEY
from connectors.sandbox.constants import QONTO_CLIENT_ID
from connectors.sandbox.constants import QONTO_CLIENT_SECRET
from connectors.sandbox.constants import QONTO_MAIN_BANK_ACCOUNT_ID
from connectors.sandbox.constants import QONTO_ORGANIZATION_ID
from connectors.sandbox.constants import QONTO_STAGING_TOKEN
from connectors.sandbox.dropbox import DropboxEmulator
from connectors.sandbox.files import content_hash
from connectors.sandbox.qonto import QontoEmulator
from connectors.sandbox.server import Emulator
from connectors.sandbox.server import LoggedRequest
from connectors.sandbox.wire import fingerprint

__all__ = [
    "APIDECK_API_KEY",
    "APIDECK_APP_ID",
    "APIDECK_CONSUMER_ID",
    "DEFAULT_PORT",
    "DROPBOX_APP_KEY",
    "DROPBOX_APP_SECRET",
    "QONTO_API_LOGIN",
    "QONTO_API_SECRET_KEY",
    "QONTO_CLIENT_ID",
    "QONTO_CLIENT_SECRET",
    "QONTO_MAIN_BANK_ACCOUNT_ID",
    "QONTO_ORGANIZATION_ID",
    "QONTO_STAGING_TOKEN",
    "ApideckEmulator",
    "DropboxEmulator",
    "Emulator",
    "LoggedRequest",
    "QontoEmulator",
    "Sandbox",
    "content_hash",
    "fingerprint",
    "start_sandbox",
]


@dataclass
class Sandbox:
    dropbox: DropboxEmulator
    apideck: ApideckEmulator
    qonto: QontoEmulator

    @property
    def emulators(self) -> tuple[Emulator, ...]:
        return (self.dropbox, self.apideck, self.qonto)

    @classmethod
    def create(
        cls,
        *,
        host: str = "127.0.0.1",
        dropbox_port: int = 0,
        apideck_port: int = 0,
        qonto_port: int = 0,
        qonto_staging_token: str | None = None,
    ) -> Sandbox:
        dropbox = DropboxEmulator(host=host, port=dropbox_port)
        return cls(
            dropbox=dropbox,
            apideck=ApideckEmulator(host=host, port=apideck_port, files=dropbox.files),
            qonto=QontoEmulator(host=host, port=qonto_port, staging_token=qonto_staging_token),
        )

    def start(self) -> Sandbox:
        try:
            for emulator in self.emulators:
                emulator.start()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        for emulator in self.emulators:
            emulator.stop()

    def reset(self) -> None:
        """Faults, request logs, clocks and data of all three back to their initial state."""
        for emulator in self.emulators:
            emulator.reset()

    def clear_faults(self) -> None:
        for emulator in self.emulators:
            emulator.clear_faults()

    def advance_clock(self, seconds: float) -> None:
        for emulator in self.emulators:
            emulator.advance_clock(seconds)

    def settings(self) -> dict[str, Any]:
        """Django settings (and environment variables) pointing Well at these emulators."""
        qonto = self.qonto.base_url
        dropbox = self.dropbox.base_url
        return {
            "QONTO_API_URL": qonto,
            "QONTO_OAUTH_URL": qonto,
            "QONTO_CLIENT_ID": QONTO_CLIENT_ID,
            "QONTO_CLIENT_SECRET": QONTO_CLIENT_SECRET,
            "QONTO_STAGING_TOKEN": self.qonto.staging_token or "",
            "DROPBOX_API_URL": dropbox,
            "DROPBOX_CONTENT_URL": dropbox,
            "DROPBOX_WEB_URL": dropbox,
            "DROPBOX_APP_KEY": DROPBOX_APP_KEY,
            "DROPBOX_APP_SECRET": DROPBOX_APP_SECRET,
            "APIDECK_API_URL": self.apideck.base_url,
            "APIDECK_API_KEY": APIDECK_API_KEY,
            "APIDECK_APP_ID": APIDECK_APP_ID,
        }


@contextmanager
def start_sandbox(
    *,
    host: str = "127.0.0.1",
    dropbox_port: int = 0,
    apideck_port: int = 0,
    qonto_port: int = 0,
    qonto_staging_token: str | None = None,
) -> Iterator[Sandbox]:
    """Run the three emulators (ephemeral ports by default) for the duration of the block."""
    sandbox = Sandbox.create(
        host=host,
        dropbox_port=dropbox_port,
        apideck_port=apideck_port,
        qonto_port=qonto_port,
        qonto_staging_token=qonto_staging_token,
    ).start()
    try:
        yield sandbox
    finally:
        sandbox.stop()
