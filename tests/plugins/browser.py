"""Pytest fixture for the browser tests (registered through ``pytest_plugins``): a headless
Chromium, the Debian package's."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.contrib.auth.models import AbstractUser
from playwright.sync_api import Browser
from playwright.sync_api import Page
from playwright.sync_api import sync_playwright

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
