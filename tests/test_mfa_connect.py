from __future__ import annotations

import pytest
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import Settings

from connectors.sandbox import Sandbox
from reconciliation.models import Connection
from reconciliation.models import Membership
from reconciliation.models import Provider
from reconciliation.models import Role
from reconciliation.models import Workspace
from tests.factories import make_user
from tests.helpers import logged_in_client

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _mfa_required(sandbox_settings: Sandbox, settings: Settings) -> None:
    settings.WELL_REQUIRE_MFA = True


def start_connecting_qonto(client: Client, workspace: Workspace) -> HttpResponse:
    response: HttpResponse = client.post(
        reverse("well-connect-start", args=[workspace.pk, Provider.QONTO])
    )
    return response


def assert_sent_to_mfa(response: HttpResponse) -> None:
    assert response.status_code == 302
    assert response["Location"] == reverse("well-mfa-required")


def test_an_admin_without_mfa_cannot_start_a_connection(workspace: Workspace) -> None:
    client = logged_in_client(make_user(workspace=workspace, role=Role.ADMIN))
    assert_sent_to_mfa(start_connecting_qonto(client, workspace))
    callback = client.get(reverse("well-connect-callback", args=["qonto"]) + "?code=x&state=y")
    assert_sent_to_mfa(callback)
    assert not Connection.objects.exists()


def test_a_reviewer_promoted_mid_session_cannot_start_a_connection_without_mfa(
    workspace: Workspace,
) -> None:
    user = make_user(workspace=workspace, role=Role.REVIEWER)
    client = logged_in_client(user)
    assert client.get("/admin/").status_code == 200  # an "MFA ok" answer used to stick here
    Membership.objects.filter(user_id=user.pk).update(role=Role.ADMIN)
    assert_sent_to_mfa(start_connecting_qonto(client, workspace))
    assert not Connection.objects.exists()
