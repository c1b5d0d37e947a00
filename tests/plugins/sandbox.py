"""Pytest fixtures for the provider emulators (registered through ``pytest_plugins``).

The servers start once per test session (per xdist worker) on ephemeral loopback ports; every
test that asks for one of these fixtures gets them reset: no faults, empty request logs, virtual
clocks back to real time, fresh data.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytest_django.fixtures import Settings

from connectors.sandbox import ApideckEmulator
from connectors.sandbox import DropboxEmulator
from connectors.sandbox import QontoEmulator
from connectors.sandbox import Sandbox
from connectors.sandbox import start_sandbox


@pytest.fixture(scope="session")
def sandbox_servers() -> Iterator[Sandbox]:
    with start_sandbox() as running:
        yield running


@pytest.fixture
def sandbox(sandbox_servers: Sandbox) -> Iterator[Sandbox]:
    sandbox_servers.reset()
    yield sandbox_servers
    # Reset again so a request still sleeping in an injected delay is dropped, not processed.
    sandbox_servers.reset()


@pytest.fixture
def dropbox_emulator(sandbox: Sandbox) -> DropboxEmulator:
    return sandbox.dropbox


@pytest.fixture
def apideck_emulator(sandbox: Sandbox) -> ApideckEmulator:
    return sandbox.apideck


@pytest.fixture
def qonto_emulator(sandbox: Sandbox) -> QontoEmulator:
    return sandbox.qonto


@pytest.fixture
def sandbox_settings(sandbox: Sandbox, settings: Settings) -> Sandbox:
    """Point Well's provider settings (URLs and demo credentials) at the emulators."""
    for name, value in sandbox.settings().items():
        setattr(settings, name, value)
    return sandbox
