"""Connecting providers from the admin runs the real OAuth / Vault flows against the emulators."""

from __future__ import annotations

from urllib.parse import parse_qs
from urllib.parse import urlsplit

import pytest
import requests
from django.test import Client
from django.urls import reverse

from connectors.sandbox import Sandbox
from reconciliation.connections.tokens import apideck_consumer_id
from reconciliation.connections.tokens import load_tokens
from reconciliation.models import Connection
from reconciliation.models import ConnectionStatus
from reconciliation.models import Decision
from reconciliation.models import Provider
from reconciliation.models import Role
from reconciliation.models import Workspace
from tests.factories import make_user
from tests.helpers import logged_in_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(workspace: Workspace) -> Client:
    user = make_user("alice", workspace=workspace, role=Role.ADMIN)
    return logged_in_client(user)


def _consent(authorize_url: str) -> str:
    """The user's browser at the provider: the emulator consents and redirects back."""
    response = requests.get(authorize_url, allow_redirects=False, timeout=5)
    assert response.status_code == 302, response.text[:300]
    back = urlsplit(response.headers["Location"])
    return f"{back.path}?{back.query}"


@pytest.mark.parametrize(
    ("provider", "scopes_needed"),
    [
        (Provider.DROPBOX, {"files.metadata.read", "files.content.read"}),
        (Provider.QONTO, {"supplier_invoice.write", "organization.read", "offline_access"}),
    ],
)
def test_oauth_connect_stores_encrypted_tokens(
    workspace: Workspace,
    admin_client: Client,
    sandbox_settings: Sandbox,
    provider: Provider,
    scopes_needed: set[str],
) -> None:
    start = admin_client.post(reverse("well-connect-start", args=[workspace.pk, provider]))
    assert start.status_code == 302
    authorize = start["Location"]
    query = parse_qs(urlsplit(authorize).query)
    assert scopes_needed <= set(query["scope"][0].split())
    if provider == Provider.DROPBOX:
        assert query["token_access_type"] == ["offline"]
        assert query["code_challenge_method"] == ["S256"]
        assert not {"files.content.write", "files.metadata.write"} & set(query["scope"][0].split())
    done = admin_client.get(_consent(authorize), follow=True)
    assert done.status_code == 200
    assert b"is connected to Acme SAS" in done.content
    connection = Connection.objects.get(workspace=workspace, provider=provider)
    assert connection.status == ConnectionStatus.ACTIVE
    assert load_tokens(connection).access_token
    assert connection.account_label.startswith(("Dropbox · ", "Qonto · "))
    if provider == Provider.QONTO:
        assert connection.bank_account_ids
    assert Decision.objects.filter(workspace=workspace, action="connection").count() == 1


def test_callback_with_a_forged_state_is_refused(
    workspace: Workspace, admin_client: Client, sandbox_settings: Sandbox
) -> None:
    response = admin_client.get(
        reverse("well-connect-callback", args=["dropbox"]) + "?code=x&state=forged", follow=True
    )
    assert b"expired or did not start here" in response.content
    assert not Connection.objects.exists()


def test_only_workspace_admins_can_connect(
    workspace: Workspace, reviewer_client: Client, sandbox_settings: Sandbox
) -> None:
    response = reviewer_client.post(reverse("well-connect-start", args=[workspace.pk, "qonto"]))
    assert response.status_code == 403


def test_connecting_another_workspace_is_not_found(
    workspace: Workspace, admin_client: Client, sandbox_settings: Sandbox
) -> None:
    other = Workspace.objects.create(name="Other", slug="other")
    response = admin_client.post(reverse("well-connect-start", args=[other.pk, "qonto"]))
    assert response.status_code == 404


def test_apideck_vault_flow(
    workspace: Workspace, admin_client: Client, sandbox_settings: Sandbox
) -> None:
    start = admin_client.post(reverse("well-connect-start", args=[workspace.pk, "apideck"]))
    assert start.status_code == 302
    done = admin_client.get(_consent(start["Location"]), follow=True)
    assert b"is connected to Acme SAS" in done.content, done.content[:2000]
    connection = Connection.objects.get(workspace=workspace, provider=Provider.APIDECK)
    assert (connection.status, connection.consumer_id, connection.watched_folder) == (
        ConnectionStatus.ACTIVE,
        apideck_consumer_id(workspace.pk),
        "root",
    )
    assert not connection.has_tokens


def test_disconnect_revokes_and_wipes(
    workspace: Workspace, admin_client: Client, sandbox_settings: Sandbox
) -> None:
    start = admin_client.post(reverse("well-connect-start", args=[workspace.pk, "dropbox"]))
    admin_client.get(_consent(start["Location"]))
    connection = Connection.objects.get(workspace=workspace)
    token = load_tokens(connection).access_token
    url = reverse("admin:reconciliation_connection_changelist")
    asked = admin_client.post(url, {"action": "disconnect", "_selected_action": [connection.pk]})
    assert b"Yes, disconnect" in asked.content
    connection.refresh_from_db()
    assert connection.status == ConnectionStatus.ACTIVE  # nothing happens before the answer
    response = admin_client.post(
        url,
        {"action": "disconnect", "_selected_action": [connection.pk], "confirmed": "yes"},
        follow=True,
    )
    assert b"Revoked at the provider." in response.content
    connection.refresh_from_db()
    assert (connection.status, connection.has_tokens) == (ConnectionStatus.REVOKED, False)
    check = requests.post(
        f"{sandbox_settings.dropbox.base_url}/2/users/get_current_account",
        headers={"Authorization": f"Bearer {token}"},
        timeout=5,
    )
    assert check.status_code == 401


def test_connection_page_offers_the_three_buttons(
    workspace: Workspace, admin_client: Client
) -> None:
    page = admin_client.get(reverse("admin:reconciliation_connection_changelist"))
    body = page.content.decode()
    for provider in ("dropbox", "apideck", "qonto"):
        assert reverse("well-connect-start", args=[workspace.pk, provider]) in body


def test_connections_page_allows_the_consent_hosts_as_form_targets(
    workspace: Workspace, admin_client: Client, sandbox_settings: Sandbox
) -> None:
    page = admin_client.get(reverse("admin:reconciliation_connection_changelist"))
    policy = page["Content-Security-Policy"]
    form_action = next(d for d in policy.split(";") if d.strip().startswith("form-action"))
    for url in (sandbox_settings.dropbox.base_url, sandbox_settings.qonto.base_url):
        assert url in form_action
    other = admin_client.get(reverse("admin:index"))
    assert sandbox_settings.qonto.base_url not in other["Content-Security-Policy"]


def test_disconnecting_apideck_removes_the_vault_connection(
    workspace: Workspace, admin_client: Client, sandbox_settings: Sandbox
) -> None:
    start = admin_client.post(reverse("well-connect-start", args=[workspace.pk, "apideck"]))
    admin_client.get(_consent(start["Location"]))
    connection = Connection.objects.get(workspace=workspace, provider=Provider.APIDECK)
    response = admin_client.post(
        reverse("admin:reconciliation_connection_changelist"),
        {"action": "disconnect", "_selected_action": [connection.pk], "confirmed": "yes"},
        follow=True,
    )
    assert b"Revoked at the provider." in response.content
    deletes = sandbox_settings.apideck.requests(method="DELETE")
    assert [request.path for request in deletes] == ["/vault/connections/file-storage/dropbox"]
    connection.refresh_from_db()
    assert connection.status == ConnectionStatus.REVOKED


@pytest.mark.parametrize(
    ("country", "number", "expected"),
    [
        ("FR", "39139099400027", "FR22391390994"),
        ("FR", "391 390 994", "FR22391390994"),
        ("fr", "391390994", "FR22391390994"),
        ("DE", "HRB 12345", ""),
        ("FR", "1234", ""),
        (None, None, ""),
    ],
)
def test_our_vat_id_follows_from_a_french_registration_number(
    country: str | None, number: str | None, expected: str
) -> None:
    from reconciliation.connections.flows import vat_id_from_registration

    assert vat_id_from_registration(country, number) == expected
