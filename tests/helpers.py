"""Small helpers shared by the tests: signed-in admin clients, emulator tokens on a connection."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from django.contrib.auth.models import AbstractUser
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from connectors.oauth import TokenSet
from reconciliation.connections.tokens import store_tokens
from reconciliation.models import Connection
from reconciliation.models import Role
from reconciliation.models import Workspace
from tests.factories import PASSWORD
from tests.factories import make_user


def logged_in_client(user: AbstractUser, **client_options: Any) -> Client:
    """A test client signed in as ``user`` (``client_options`` go to ``Client``, e.g. CSRF)."""
    client = Client(**client_options)
    assert client.login(username=user.username, password=PASSWORD)
    return client


def review_screen(document_id: int) -> str:
    """The review screen of document ``document_id`` (an invoice's is its ``document_id``)."""
    return reverse("admin:reconciliation-review-document", args=[document_id])


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


def store_emulator_tokens(connection: Connection, emulator: Any) -> Connection:
    """Store on ``connection`` (encrypted) a fresh token set the provider ``emulator`` issued."""
    payload = emulator.issue_token()
    store_tokens(
        connection,
        TokenSet(
            access_token=payload["access_token"],
            refresh_token=payload.get("refresh_token"),
            expires_at=timezone.now() + timedelta(seconds=int(payload["expires_in"])),
            scopes=tuple(str(payload.get("scope", "")).split()),
        ),
    )
    return connection
