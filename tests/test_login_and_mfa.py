from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from allauth.mfa.models import Authenticator
from django.core import mail
from django.core.cache import cache
from django.db import connection
from django.http.response import HttpResponseBase
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import Settings as SettingsWrapper

from reconciliation.models import Membership
from reconciliation.models import Role
from reconciliation.models import Workspace
from tests.factories import PASSWORD
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _clear_rate_limits() -> None:
    cache.clear()


def assert_redirected(response: HttpResponseBase, location: str) -> None:
    """``response`` is a redirect (302) to ``location``, not followed."""
    assert (response.status_code, response["Location"]) == (302, location)


def test_admin_login_goes_through_allauth(client: Client) -> None:
    response = client.get(reverse("admin:login") + "?next=/admin/reconciliation/invoice/")
    assert_redirected(response, "/accounts/login/?next=%2Fadmin%2Freconciliation%2Finvoice%2F")


def test_anonymous_admin_request_ends_on_the_allauth_form(client: Client) -> None:
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/accounts/login/")
    assert b'name="login"' in response.content


def test_member_logs_in_and_reaches_the_branded_admin(client: Client, workspace: Workspace) -> None:
    user = make_user("clara", workspace=workspace, role=Role.REVIEWER)
    response = client.post(
        reverse("account_login"), {"login": "clara", "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/admin/"
    assert b"<title>Back office | Well</title>" in response.content
    assert response.wsgi_request.user == user


def test_login_is_rate_limited(client: Client, workspace: Workspace) -> None:
    make_user("mallory-target", workspace=workspace)
    for _ in range(5):
        client.post(reverse("account_login"), {"login": "mallory-target", "password": "wrong"})
    response = client.post(
        reverse("account_login"), {"login": "mallory-target", "password": PASSWORD}
    )
    assert b"Too many failed login attempts. Try again later." in response.content
    assert not response.wsgi_request.user.is_authenticated


def test_signup_is_closed(client: Client) -> None:
    response = client.get(reverse("account_signup"))
    assert b"Sign Up Closed" in response.content


def test_password_reset_sends_a_link(client: Client, workspace: Workspace) -> None:
    make_user("forgetful", workspace=workspace)
    response = client.post(reverse("account_reset_password"), {"email": "forgetful@example.com"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert "/accounts/password/reset/key/" in mail.outbox[0].body


@pytest.mark.parametrize(
    ("_case", "role", "superuser"), [("admin", Role.ADMIN, False), ("superuser", None, True)]
)
def test_privileged_users_must_enrol_mfa(
    client: Client,
    workspace: Workspace,
    settings: SettingsWrapper,
    _case: str,
    role: Role | None,
    superuser: bool,
) -> None:
    settings.WELL_REQUIRE_MFA = True
    user = make_user(
        workspace=workspace if role else None, role=role or Role.ADMIN, superuser=superuser
    )
    client.force_login(user)
    response = client.get("/admin/reconciliation/invoice/")
    assert_redirected(response, reverse("well-mfa-required"))
    page = client.get(reverse("well-mfa-required"))
    assert b"Set up two-factor authentication to continue" in page.content
    assert reverse("mfa_activate_totp").encode() in page.content
    Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": "x"})
    assert client.get("/admin/reconciliation/invoice/").status_code == 200


def test_reviewers_are_not_forced_to_enrol(
    client: Client, workspace: Workspace, settings: SettingsWrapper
) -> None:
    settings.WELL_REQUIRE_MFA = True
    client.force_login(make_user(workspace=workspace, role=Role.REVIEWER))
    assert client.get("/admin/reconciliation/invoice/").status_code == 200


def test_user_without_workspace_is_told_why(client: Client) -> None:
    user = make_user()
    user.is_staff = False
    user.save()
    client.force_login(user)
    response = client.get("/admin/", follow=True)
    assert response.status_code == 403
    assert b"not a member of any Well workspace" in response.content


def test_admin_password_change_uses_the_account_pages(client: Client, workspace: Workspace) -> None:
    client.force_login(make_user(workspace=workspace))
    response = client.get(reverse("admin:password_change"))
    assert_redirected(response, reverse("account_change_password"))


def test_an_admin_without_mfa_is_stopped_under_a_script_prefix(
    client: Client, workspace: Workspace, settings: SettingsWrapper
) -> None:
    # Deployed under /well: the middleware must look at the path below the prefix.
    settings.WELL_REQUIRE_MFA = True
    client.force_login(make_user(workspace=workspace, role=Role.ADMIN))
    response = client.get("/admin/reconciliation/invoice/", SCRIPT_NAME="/well")
    assert response.wsgi_request.path == "/well/admin/reconciliation/invoice/"
    assert_redirected(response, reverse("well-mfa-required"))


def test_a_reviewer_promoted_to_admin_mid_session_must_enrol(
    client: Client, workspace: Workspace, settings: SettingsWrapper
) -> None:
    settings.WELL_REQUIRE_MFA = True
    user = make_user(workspace=workspace, role=Role.REVIEWER)
    client.force_login(user)
    assert client.get("/admin/reconciliation/invoice/").status_code == 200
    Membership.objects.filter(user_id=user.pk, workspace=workspace).update(role=Role.ADMIN)
    response = client.get("/admin/reconciliation/invoice/")
    assert_redirected(response, reverse("well-mfa-required"))


@pytest.mark.django_db(transaction=True)
def test_failed_logins_are_counted_across_processes(client: Client) -> None:
    """Five failures in this process lock the account in another one: the counter lives in the
    shared cache (the database table here, Redis when REDIS_URL is set), not in a worker."""
    workspace = Workspace.objects.create(name="Shared", slug="shared-cache")
    make_user("mallory-target", workspace=workspace)
    for _ in range(5):
        client.post(reverse("account_login"), {"login": "mallory-target", "password": "wrong"})
    script = (
        "import django; django.setup()\n"
        "from django.test import Client\n"
        f"form = {{'login': 'mallory-target', 'password': {PASSWORD!r}}}\n"
        "r = Client().post('/accounts/login/', form)\n"
        "print('LOCKED' if b'Too many failed login attempts' in r.content else 'OPEN')\n"
    )
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "well.test_settings",
        "DATABASE_URL": _this_database_url(),
        "ALLOWED_HOSTS": "testserver",
    }
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=Path(__file__).resolve().parent.parent,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.stdout.strip().splitlines()[-1:] == ["LOCKED"], result.stderr[-2000:]


def _this_database_url() -> str:
    """The test database this process uses, for a second process to open."""
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"
    return f"sqlite:///{db['NAME']}"
