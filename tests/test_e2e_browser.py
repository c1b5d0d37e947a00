"""End to end in headless Chromium: a finance admin's day, against the provider emulators.

Sign in and enrol two-factor authentication, connect Dropbox and Qonto through their consent
pages, sync the folder, correct a field with the keyboard and approve, close the posting
window, see the invoice posted with its attempt, refuse a double charge, export the audit
CSV. Screenshots of every screen go to test-artifacts/e2e/.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import hmac
import io
import struct
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser
from playwright.sync_api import Page
from playwright.sync_api import expect
from pytest_django.fixtures import Settings
from pytest_django.live_server_helper import LiveServer

from connectors.sandbox import Sandbox
from connectors.sandbox.demo import load_demo
from reconciliation.models import Connection
from reconciliation.models import Invoice
from reconciliation.models import InvoiceStatus
from reconciliation.models import Match
from reconciliation.models import MatchKind
from reconciliation.models import MatchStatus
from reconciliation.models import PostAttempt
from reconciliation.models import Provider
from reconciliation.models import Role
from reconciliation.models import Workspace
from tests.factories import PASSWORD
from tests.factories import make_user
from tests.plugins.browser import headless_chromium

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "e2e"


def totp(secret: str, at: float | None = None) -> str:
    """RFC 6238 with allauth's defaults (SHA-1, 30 s, 6 digits)."""
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    counter = int((at or time.time()) // 30)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    code = (struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF) % 1_000_000
    return f"{code:06d}"


@pytest.fixture
def browser() -> Iterator[Browser]:
    with headless_chromium(
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ) as launched:
        yield launched


@pytest.fixture
def app(live_server: LiveServer, sandbox_settings: Sandbox, settings: Settings) -> LiveServer:
    settings.WELL_BASE_URL = live_server.url
    settings.WELL_REQUIRE_MFA = True
    settings.WELL_DROPBOX_DEFAULT_FOLDER = "/Invoices"
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    settings.ALLOWED_HOSTS = ["localhost", "127.0.0.1"]
    load_demo(sandbox_settings)
    return live_server


class Shots:
    def __init__(self, page: Page) -> None:
        self.page = page
        self.count = 0
        ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def take(self, name: str) -> None:
        self.count += 1
        self.page.screenshot(path=str(ARTIFACTS / f"{self.count:02d}-{name}.png"), full_page=True)


def _sign_in_and_enrol(page: Page, base: str, shots: Shots) -> None:
    page.goto(f"{base}/admin/")
    expect(page.locator("input[name=login]")).to_be_visible()
    shots.take("sign-in")
    page.fill("input[name=login]", "camille")
    page.fill("input[name=password]", PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_text("Set up two-factor authentication to continue")).to_be_visible()
    shots.take("mfa-required")
    page.click("#mfa-setup-link")
    # allauth asks for the password again before a second factor is added.
    expect(page.get_by_text("Confirm Access")).to_be_visible()
    page.fill("input[name=password]", PASSWORD)
    page.keyboard.press("Enter")
    secret = page.locator("#authenticator_secret").input_value()
    shots.take("mfa-activate")
    page.fill("input[name=code]", totp(secret))
    page.keyboard.press("Enter")
    expect(page.get_by_text("Authenticator app activated.")).to_be_visible()
    shots.take("mfa-recovery-codes")
    page.goto(f"{base}/admin/")
    expect(page.locator("#site-name")).to_contain_text("Well")
    shots.take("dashboard-empty")


def _connect(page: Page, base: str, workspace: Workspace, provider: str, shots: Shots) -> None:
    page.goto(f"{base}/admin/reconciliation/connection/")
    page.click(f"form[action$='/connect/{workspace.pk}/{provider}/start/'] button")
    expect(page.locator(".messagelist")).to_contain_text(f"is connected to {workspace.name}")
    shots.take(f"connected-{provider}")


def _run_action(page: Page, base: str, connection: Connection, action: str) -> None:
    page.goto(f"{base}/admin/reconciliation/connection/")
    page.check(f"input[name=_selected_action][value='{connection.pk}']")
    page.select_option("select[name=action]", action)
    page.click("button[name=index]")


def test_a_finance_day_in_the_browser(
    app: LiveServer, browser: Browser, sandbox_settings: Sandbox
) -> None:
    workspace = Workspace.objects.create(name="Atelier Lumen SAS", slug="atelier")
    make_user("camille", workspace=workspace, role=Role.ADMIN)
    base = app.url
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(30_000)
    shots = Shots(page)

    _sign_in_and_enrol(page, base, shots)
    _connect(page, base, workspace, "dropbox", shots)
    _connect(page, base, workspace, "qonto", shots)
    dropbox = Connection.objects.get(workspace=workspace, provider=Provider.DROPBOX)
    qonto = Connection.objects.get(workspace=workspace, provider=Provider.QONTO)

    # Sync the watched folder: documents are read, routed, and the window closes.
    _run_action(page, base, dropbox, "sync_now")
    expect(page.locator(".messagelist")).to_contain_text("sync queued")
    shots.take("synced")
    invoices = Invoice.objects.for_workspace(workspace)
    assert invoices.filter(status=InvoiceStatus.NEEDS_REVIEW).count() >= 10

    # The review queue, then one invoice corrected with the keyboard and approved.
    page.goto(f"{base}/admin/review/")
    expect(page.locator("#result_list")).to_be_visible()
    shots.take("review-queue")
    target = invoices.get(number="NH-2026-04553")
    page.goto(f"{base}/admin/review/{target.document_id}/")
    expect(page.locator("[data-well-shortcuts=review]")).to_be_visible()
    shots.take("review-screen")
    page.keyboard.press("e")  # the first field
    for _ in range(20):
        if page.evaluate("document.activeElement.name") == "field-ledger_account":
            break
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.name") == "field-ledger_account"
    page.keyboard.type("6262")
    page.keyboard.press("Escape")
    shots.take("review-corrected")
    with page.expect_navigation():
        page.keyboard.press("a")
    target.refresh_from_db()
    assert (target.status, target.ledger_account) == (InvoiceStatus.APPROVED, "6262")
    assert target.decided_by is not None
    shots.take("review-approved")

    # Close the posting window: transactions, matching, posting.
    _run_action(page, base, qonto, "sync_now")
    expect(page.locator(".messagelist")).to_contain_text("posting queued")
    target.refresh_from_db()
    assert target.status == InvoiceStatus.POSTED
    assert target.qonto_id
    page.goto(f"{base}/admin/reconciliation/invoice/{target.pk}/change/")
    expect(page.locator("body")).to_contain_text("Posted to Qonto")
    expect(page.locator("body")).to_contain_text(target.qonto_id)
    shots.take("invoice-posted")
    attempt = PostAttempt.objects.get(invoice=target)
    assert (attempt.outcome, attempt.http_status) == ("posted", 200)
    page.goto(f"{base}/admin/integration-status/")
    shots.take("integration-status")

    # The reminder for an invoice already paid is a double charge, first in the queue.
    double = Match.objects.for_workspace(workspace).get(kind=MatchKind.DOUBLE_CHARGE)
    assert double.invoice is not None
    assert double.invoice.document.original_name == "Sollecito_110-2026.pdf"
    page.goto(f"{base}/admin/review/")
    first_row = page.locator("#result_list tbody tr").first
    expect(first_row).to_contain_text(double.invoice.document.original_name)
    page.goto(f"{base}/admin/review/{double.invoice.document_id}/")
    shots.take("double-charge")
    with page.expect_navigation():
        page.click("[data-well-action=refuse-double]")
    double.refresh_from_db()
    assert double.status == MatchStatus.REFUSED
    assert double.decided_by is not None
    assert Invoice.objects.get(pk=double.invoice.pk).status == InvoiceStatus.REFUSED
    shots.take("double-charge-refused")

    # The auditor's export: the posted invoice and the refused reminder are in it.
    rows = _export_invoices(page, base, shots)
    by_number = {row["Number"]: row for row in rows}
    assert by_number[target.number]["Status code"] == "posted"
    assert by_number[target.number]["Qonto id"] == target.qonto_id
    # The paid original still waits for its review; the reminder is refused.
    codes = (row["Status code"] for row in rows if row["Number"] == double.invoice.number)
    assert sorted(codes) == [
        "needs_review",
        "refused",
    ]
    assert len(rows) == invoices.count()
    assert sandbox_settings.qonto.invoice_count_by_idempotency_key() == {target.idempotency_key: 1}


def _export_invoices(page: Page, base: str, shots: Shots) -> list[dict[str, Any]]:
    page.goto(f"{base}/admin/reconciliation/invoice/export/")
    shots.take("export")
    page.select_option("select[name=format]", label="CSV")
    with page.expect_download() as download_info:
        page.click("input[type=submit][value=Submit]")
    content = Path(download_info.value.path()).read_text(encoding="utf-8-sig")
    return list(csv.DictReader(io.StringIO(content)))
