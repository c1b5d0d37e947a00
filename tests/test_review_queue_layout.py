"""The review queue fits a 1440 px wide screen: no horizontal scrolling, the Due column whole,
and the Why column one line (the leading reason and the count of others)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser
from pytest_django.live_server_helper import LiveServer

from reconciliation.models import Role
from reconciliation.models import Workspace
from tests.factories import fill_the_review_queue
from tests.factories import make_user
from tests.factories import make_workspace
from tests.plugins.browser import list_overflow
from tests.plugins.browser import signed_in_list

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(
    "several_workspaces",
    [
        pytest.param(False, id="one_workspace_for_a_reviewer"),
        pytest.param(True, id="several_workspaces_for_a_superuser"),
    ],
)
def test_the_queue_fits_1440_pixels(
    live_server: LiveServer, browser: Browser, workspace: Workspace, several_workspaces: bool
) -> None:
    """With several workspaces a superuser sees the Workspace column too; either way the Due
    column ends inside the list, rows stay one line, and the Why column's "+N" and the Waiting
    column ("< 1 h") are never cut."""
    if several_workspaces:
        user = make_user("root", workspace=workspace, role=Role.ADMIN, superuser=True)
        make_workspace("Second SAS")  # a superuser's workspace column: the server holds several
    else:
        user = make_user("rita", workspace=workspace, role=Role.REVIEWER)
    fill_the_review_queue(workspace)
    page = signed_in_list(browser, live_server.url, user, "/admin/review/")
    overflow = list_overflow(page)
    due_right = page.evaluate(
        "() => document.querySelector('#result_list th.column-due').getBoundingClientRect().right"
        " - document.querySelector('#changelist .results').getBoundingClientRect().right"
    )
    row_heights = page.evaluate(
        "() => [...document.querySelectorAll('#result_list tbody tr')]"
        ".map(row => row.getBoundingClientRect().height)"
    )
    counts = page.evaluate(
        "() => [...document.querySelectorAll('#result_list td.field-reason')].map(cell => {"
        " const more = cell.querySelector('.well-more'), box = cell.getBoundingClientRect();"
        " return more && more.getBoundingClientRect().right <= box.right ? more.textContent : '';"
        "})"
    )
    waits = page.evaluate(
        "() => [...document.querySelectorAll('#result_list td.field-age')]"
        ".map(cell => cell.scrollWidth <= cell.clientWidth ? cell.textContent : '')"
    )
    workspace_column = page.locator("#result_list th.column-workspace_name").count()
    page.context.close()
    assert overflow <= 0
    assert due_right <= 0  # the Due column ends inside the list's box
    assert max(row_heights) < 60  # one line of text per row (two at most for the title)
    assert counts == ["+3"] * 8  # eight Why cells, each with its "+3" whole
    assert waits == ["< 1 h"] * 8
    assert workspace_column == (1 if several_workspaces else 0)
