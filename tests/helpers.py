"""Small helpers shared by the tests: signed-in admin clients."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib.auth.models import AbstractUser
from django.test import Client

from reconciliation.models import Role, Workspace
from tests.factories import PASSWORD, make_user


def logged_in_client(user: AbstractUser, **client_options: Any) -> Client:
    """A test client signed in as ``user`` (``client_options`` go to ``Client``, e.g. CSRF)."""
    client = Client(**client_options)
    assert client.login(username=user.username, password=PASSWORD)
    return client


def client_for(
    workspace: Workspace | None,
    role: Role = Role.REVIEWER,
    *,
    superuser: bool = False,
    csrf: bool = False,
) -> Client:
    """A client signed in as a new member of ``workspace`` with ``role``."""
    user = make_user(
        f"{role}-{uuid.uuid4().hex[:6]}", workspace=workspace, role=role, superuser=superuser
    )
    return logged_in_client(user, enforce_csrf_checks=csrf)
