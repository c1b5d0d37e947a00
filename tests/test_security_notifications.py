from __future__ import annotations

import pytest
from django.core import mail

from reconciliation.connections.notifications import notify_connection_needs_reauth
from reconciliation.models import Membership
from reconciliation.models import Provider
from reconciliation.models import Role
from reconciliation.models import Workspace
from tests.factories import make_connection
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_the_reauthorisation_email_skips_an_owner_who_left(workspace: Workspace) -> None:
    owner = make_user("former", workspace=workspace, role=Role.ADMIN)
    make_user("current-admin", workspace=workspace, role=Role.ADMIN)
    make_user("current-reviewer", workspace=workspace, role=Role.REVIEWER)
    connection = make_connection(workspace, Provider.QONTO, owner=owner)
    Membership.objects.filter(user_id=owner.pk).delete()
    assert notify_connection_needs_reauth(connection.pk) == 1
    assert [message.to for message in mail.outbox] == [["current-admin@example.com"]]


def test_the_reauthorisation_email_goes_to_an_owner_still_in_the_workspace(
    workspace: Workspace,
) -> None:
    owner = make_user("owner", workspace=workspace, role=Role.REVIEWER)
    make_user("another-admin", workspace=workspace, role=Role.ADMIN)
    connection = make_connection(workspace, Provider.DROPBOX, owner=owner)
    assert notify_connection_needs_reauth(connection.pk) == 1
    assert [message.to for message in mail.outbox] == [["owner@example.com"]]


def test_an_owner_who_is_a_member_elsewhere_only_is_not_told(workspace: Workspace) -> None:
    other = Workspace.objects.create(name="Other", slug="other")
    owner = make_user("elsewhere", workspace=other, role=Role.ADMIN)
    make_user("here-admin", workspace=workspace, role=Role.ADMIN)
    connection = make_connection(workspace, Provider.QONTO, owner=owner)
    assert notify_connection_needs_reauth(connection.pk) == 1
    assert [message.to for message in mail.outbox] == [["here-admin@example.com"]]
