from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import AbstractUser
from django.test import Client
from pytest_django.fixtures import Settings

from connectors.sandbox import Sandbox
from reconciliation.models import Connection
from reconciliation.models import Invoice
from reconciliation.models import Provider
from reconciliation.models import Role
from reconciliation.models import Workspace
from tests.contracts.server import FixtureServer
from tests.factories import PASSWORD
from tests.factories import make_connection
from tests.factories import make_user
from tests.factories import make_workspace
from tests.helpers import store_emulator_tokens
from tests.posting_fixtures import seed_invoices

pytest_plugins = ["tests.plugins.browser", "tests.plugins.sandbox"]


@pytest.fixture(autouse=True)
def _private_media(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Each test stores its files in a folder of its own. Stored files are sealed with their
    workspace's key, and the test database hands out the same workspace ids again, so a file
    left by an earlier test under the same content-addressed name would not open."""
    settings.MEDIA_ROOT = str(tmp_path_factory.mktemp("media"))


@pytest.fixture
def server() -> Iterator[FixtureServer]:
    """A loopback server answering with the queued provider contract fixtures."""
    with FixtureServer() as running:
        yield running


@pytest.fixture
def workspace(db: None) -> Workspace:
    return make_workspace("Acme SAS")


@pytest.fixture
def reviewer(workspace: Workspace) -> AbstractUser:
    """Rita, a reviewer of ``workspace``."""
    return make_user("rita", workspace=workspace, role=Role.REVIEWER)


@pytest.fixture
def reviewer_client(workspace: Workspace) -> Client:
    client = Client()
    user = make_user("reviewer", workspace=workspace, role=Role.REVIEWER)
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.fixture
def connect_with_emulator_tokens() -> object:
    """Create an active Connection holding (encrypted) tokens the emulator issued."""

    def connect(
        workspace: Workspace, provider: Provider, emulator: object, **fields: object
    ) -> Connection:
        return store_emulator_tokens(make_connection(workspace, provider, **fields), emulator)

    return connect


@pytest.fixture
def qonto_read_timeout() -> float | None:
    """The HTTP read timeout of ``qonto``'s calls; a module overrides this fixture to shorten it
    (None keeps the settings' own)."""
    return None


@pytest.fixture
def qonto(
    workspace: Workspace,
    sandbox_settings: Sandbox,
    connect_with_emulator_tokens: Any,
    settings: Settings,
    qonto_read_timeout: float | None,
) -> Connection:
    """The workspace's active Qonto connection, on tokens the emulator issued."""
    if qonto_read_timeout is not None:
        settings.HTTP_READ_TIMEOUT = qonto_read_timeout
    connection: Connection = connect_with_emulator_tokens(
        workspace, Provider.QONTO, sandbox_settings.qonto
    )
    return connection


@pytest.fixture
def invoice(workspace: Workspace, qonto: Connection) -> Invoice:
    """One approved invoice with its stored PDF, ready to post on ``qonto``."""
    [pk] = seed_invoices(workspace, 1)
    return Invoice.objects.get(pk=pk)
