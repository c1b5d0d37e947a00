from __future__ import annotations

import pytest
from django.test import Client

from reconciliation.models import Role, Workspace
from tests.factories import PASSWORD, make_user, make_workspace

pytest_plugins = ["tests.plugins.sandbox"]


@pytest.fixture
def workspace(db: None) -> Workspace:
    return make_workspace("Acme SAS")


@pytest.fixture
def reviewer_client(workspace: Workspace) -> Client:
    client = Client()
    user = make_user("reviewer", workspace=workspace, role=Role.REVIEWER)
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.fixture
def connect_with_emulator_tokens() -> object:
    """Create an active Connection holding (encrypted) tokens the emulator issued."""
    from datetime import timedelta

    from django.utils import timezone

    from connectors.oauth import TokenSet
    from reconciliation.connections.tokens import store_tokens
    from reconciliation.models import Provider
    from tests.factories import make_connection

    def connect(workspace: Workspace, provider: Provider, emulator: object, **fields: object):  # type: ignore[no-untyped-def]
        payload = emulator.issue_token()  # type: ignore[attr-defined]
        connection = make_connection(workspace, provider, **fields)
        store_tokens(
            connection,
            TokenSet(
                access_token=payload["access_token"],
                refresh_token=payload.get("refresh_token"),
                expires_at=timezone.now() + timedelta(seconds=int(payload["expires_in"])),
                scopes=tuple(payload.get("scope", "").split()),
            ),
        )
        return connection

    return connect
