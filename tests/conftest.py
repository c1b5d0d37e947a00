from __future__ import annotations

import pytest
from django.test import Client

from reconciliation.models import Role, Workspace
from tests.factories import PASSWORD, make_user, make_workspace

pytest_plugins: list[str] = []


@pytest.fixture
def workspace(db: None) -> Workspace:
    return make_workspace("Acme SAS")


@pytest.fixture
def reviewer_client(workspace: Workspace) -> Client:
    client = Client()
    user = make_user("reviewer", workspace=workspace, role=Role.REVIEWER)
    assert client.login(username=user.username, password=PASSWORD)
    return client
