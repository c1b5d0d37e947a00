"""The export forms in a browser: "Select all" (its box, or its words on every export page)
unticks and ticks every column under the Content-Security-Policy, with nothing refused in the
console."""

from __future__ import annotations

import pytest
from playwright.sync_api import ConsoleMessage
from playwright.sync_api import Page
from pytest_django.live_server_helper import LiveServer

pytestmark = pytest.mark.browser


def test_select_all_toggles_every_column_without_a_console_error(
    admin_page: Page, live_server: LiveServer
) -> None:
    errors: list[str] = []

    def listen(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(message.text)

    admin_page.on("console", listen)
    admin_page.goto(f"{live_server.url}/admin/reconciliation/invoice/export/")
    columns = admin_page.locator(".selectable-field-export-row:visible input[type=checkbox]")
    toggle = admin_page.locator(".selectable-field-export-row:visible input.select-toggle")
    assert columns.count() > 5

    toggle.uncheck()
    unticked = [columns.nth(i).is_checked() for i in range(columns.count())]
    toggle.check()
    ticked = [columns.nth(i).is_checked() for i in range(columns.count())]

    assert set(unticked) == {False}
    assert set(ticked) == {True}
    assert errors == []


@pytest.mark.parametrize("model", ["match", "transaction"])
def test_clicking_the_words_select_all_toggles_every_column(
    admin_page: Page, live_server: LiveServer, model: str
) -> None:
    """Every export page, not only the invoices': the label "Select all" is tied to its box."""
    admin_page.goto(f"{live_server.url}/admin/reconciliation/{model}/export/")
    columns = admin_page.locator(".selectable-field-export-row:visible input[type=checkbox]")
    label = admin_page.locator(".selectable-field-export-row:visible label", has_text="Select all")
    assert columns.count() > 2

    label.click()
    unticked = [columns.nth(i).is_checked() for i in range(columns.count())]
    label.click()
    ticked = [columns.nth(i).is_checked() for i in range(columns.count())]

    assert set(unticked) == {False}
    assert set(ticked) == {True}
