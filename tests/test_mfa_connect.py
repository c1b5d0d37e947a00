from __future__ import annotations

import pytest
from django.urls import reverse
from pytest_django.fixtures import Settings

from connectors.sandbox import Sandbox
from reconciliation.models import Connection, Membership, Provider, Role, Workspace
from tests.factories import make_user
from tests.helpers import logged_in_client

pytestmark = pytest.mark.django_db


def test_an_admin_without_mfa_cannot_start_a_connection(
    workspace: Workspace, sandbox_settings: Sandbox, settings: Settings
) -> None:
    settings.WELL_REQUIRE_MFA = True
    user = make_user(workspace=workspace, role=Role.ADMIN)
    client = logged_in_client(user)
    start = client.post(reverse("well-connect-start", args=[workspace.pk, Provider.QONTO]))
    assert start.status_code == 302
    assert start["Location"] == reverse("well-mfa-required")
    callback = client.get(reverse("well-connect-callback", args=["qonto"]) + "?code=x&state=y")
    assert callback["Location"] == reverse("well-mfa-required")
    assert not Connection.objects.exists()


def test_a_reviewer_promoted_mid_session_cannot_start_a_connection_without_mfa(
    workspace: Workspace, sandbox_settings: Sandbox, settings: Settings
) -> None:
    settings.WELL_REQUIRE_MFA = True
    user = make_user(workspace=workspace, role=Role.REVIEWER)
    client = logged_in_client(user)
    assert client.get("/admin/").status_code == 200  # an "MFA ok" answer used to stick here
    Membership.objects.filter(user_id=user.pk).update(role=Role.ADMIN)
    start = client.post(reverse("well-connect-start", args=[workspace.pk, Provider.QONTO]))
    assert start.status_code == 302
    assert start["Location"] == reverse("well-mfa-required")
    assert not Connection.objects.exists()
