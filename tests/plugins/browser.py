"""Pytest fixture for the browser tests (registered through ``pytest_plugins``): a headless
Chromium, the Debian package's.

A browser test is marked ``browser`` and no more: it uses ``live_server``, which pytest-django
runs in a transactional database of its own accord (the server's thread must see the test's
rows), so it needs no ``django_db(transaction=True)``."""

from __future__ import annotations

import os
from collections.abc import Iterator
from collections.abc import Sequence
from contextlib import contextmanager

import pytest
from django.contrib.auth.models import AbstractUser
from playwright.sync_api import Browser
from playwright.sync_api import Page
from playwright.sync_api import sync_playwright
from pytest_django.live_server_helper import LiveServer

from reconciliation.models import Role
from reconciliation.models import Workspace
from tests.factories import make_user
from tests.helpers import logged_in_client

CHROMIUM = "/usr/bin/chromium"


@contextmanager
def headless_chromium(*extra_args: str) -> Iterator[Browser]:
    """A headless Chromium launched with ``extra_args`` besides no sandbox and no GPU."""
    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are
    # plain synchronous code all the same.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", *extra_args],
        )
        yield launched
        launched.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def browser() -> Iterator[Browser]:
    with headless_chromium() as launched:
        yield launched


def signed_in_page(
    browser: Browser, base_url: str, user: AbstractUser, *, width: int = 1440, height: int = 900
) -> Page:
    """A new page of ``width`` x ``height`` pixels, signed in as ``user`` on ``base_url``
    (the session cookie of a test client's login)."""
    session = logged_in_client(user).cookies["sessionid"].value
    context = browser.new_context(viewport={"width": width, "height": height})
    context.add_cookies([{"name": "sessionid", "value": session, "url": base_url}])
    return context.new_page()


@pytest.fixture
def admin_page(browser: Browser, live_server: LiveServer, workspace: Workspace) -> Iterator[Page]:
    """A 1440 px page signed in as "rita", an admin of ``workspace``; closed after the test."""
    user = make_user("rita", workspace=workspace, role=Role.ADMIN)
    page = signed_in_page(browser, live_server.url, user)
    yield page
    page.context.close()


def open_list(page: Page, url: str) -> Page:
    """``page`` on the admin list at ``url``, once its results table is there."""
    page.goto(url)
    page.wait_for_selector("#result_list")
    return page


def signed_in_list(browser: Browser, base_url: str, user: AbstractUser, path: str) -> Page:
    """A new 1440 px page signed in as ``user``, on the admin list at ``path``."""
    return open_list(signed_in_page(browser, base_url, user), f"{base_url}{path}")


def assert_lists_fit(page: Page, base_url: str, models: Sequence[str]) -> None:
    """Each model's admin list, opened in turn on ``page``, fits: ``list_overflow`` 0 or less
    (the failure names how far each one reaches)."""
    measured = {
        model: list_overflow(open_list(page, f"{base_url}/admin/reconciliation/{model}/"))
        for model in models
    }
    assert {model: value <= 0 for model, value in measured.items()} == dict.fromkeys(
        models, True
    ), measured


#: How far an admin list reaches past the screen: the page's own horizontal scroll, each
#: results box's inner scroll, and how far the last column's header ends past its box.
LIST_OVERFLOW = (
    "() => Math.max("
    "document.documentElement.scrollWidth - document.documentElement.clientWidth,"
    " ...[...document.querySelectorAll('#changelist .results')]"
    ".map(box => box.scrollWidth - box.clientWidth),"
    " document.querySelector('#result_list thead th:last-child').getBoundingClientRect().right"
    " - document.querySelector('#changelist .results').getBoundingClientRect().right)"
)


def list_overflow(page: Page) -> float:
    """Pixels the list on ``page`` overflows by (0 or less: it fits, last column whole)."""
    return float(page.evaluate(LIST_OVERFLOW))


#: How many lines each row of the list on the page takes: the most lines of text (or of
#: buttons) in any of its cells, told by the distinct tops of the cell's line boxes.
ROW_LINES = (
    "() => [...document.querySelectorAll('#result_list tbody tr')].map(row =>"
    " Math.max(...[...row.querySelectorAll('td, th')].map(cell => {"
    "  const range = document.createRange(); range.selectNodeContents(cell);"
    "  const tops = [...range.getClientRects()].filter(r => r.height > 0)"
    "   .map(r => Math.round(r.top));"
    "  return new Set(tops.map(top => tops.find(other => Math.abs(other - top) < 4))).size;"
    " })))"
)
