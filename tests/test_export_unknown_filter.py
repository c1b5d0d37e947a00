"""An export asked with a filter the list does not know goes back to the list, which says so
(Django's "?e=1"), instead of failing with a server error."""

from __future__ import annotations

import pytest

from reconciliation.models import Role
from reconciliation.models import Workspace
from tests.helpers import client_for

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("model", "query"),
    [
        ("match", "kind__exact=bogus"),
        ("document", "standing=bogus"),
        # A value a field of fixed choices does not have, as on the list (not an empty file).
        ("invoice", "status__exact=bogus"),
        ("decision", "action__exact=bogus"),
        ("syncrun", "kind__in=files,bogus"),
    ],
)
def test_an_unknown_filter_on_the_export_is_sent_back_to_the_list(
    workspace: Workspace, model: str, query: str
) -> None:
    client = client_for(workspace, Role.AUDITOR)
    response = client.get(f"/admin/reconciliation/{model}/export/?{query}")
    assert (response.status_code, response["Location"]) == (
        302,
        f"/admin/reconciliation/{model}/?e=1",
    )


def test_a_known_filter_on_the_export_still_exports(workspace: Workspace) -> None:
    client = client_for(workspace, Role.AUDITOR)
    assert client.get("/admin/reconciliation/document/export/?standing=unreadable").status_code == (
        200
    )
