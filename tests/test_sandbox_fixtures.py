"""The pytest fixtures: shared servers, state reset between tests, Django settings pointed at
the emulators."""

from __future__ import annotations

import requests
from django.conf import settings

from connectors.sandbox import APIDECK_API_KEY
from connectors.sandbox import APIDECK_APP_ID
from connectors.sandbox import DROPBOX_APP_KEY
from connectors.sandbox import DROPBOX_APP_SECRET
from connectors.sandbox import QONTO_CLIENT_ID
from connectors.sandbox import QONTO_CLIENT_SECRET
from connectors.sandbox import DropboxEmulator
from connectors.sandbox import QontoEmulator
from connectors.sandbox import Sandbox


def test_sandbox_settings_point_django_at_the_emulators(sandbox_settings: Sandbox) -> None:
    qonto = sandbox_settings.qonto.base_url
    dropbox = sandbox_settings.dropbox.base_url
    expected = {
        "QONTO_API_URL": qonto,
        "QONTO_OAUTH_URL": qonto,
        "QONTO_CLIENT_ID": QONTO_CLIENT_ID,
        "QONTO_CLIENT_SECRET": QONTO_CLIENT_SECRET,
        "QONTO_STAGING_TOKEN": "",
        "DROPBOX_API_URL": dropbox,
        "DROPBOX_CONTENT_URL": dropbox,
        "DROPBOX_WEB_URL": dropbox,
        "DROPBOX_APP_KEY": DROPBOX_APP_KEY,
        "DROPBOX_APP_SECRET": DROPBOX_APP_SECRET,
        "APIDECK_API_URL": sandbox_settings.apideck.base_url,
        "APIDECK_API_KEY": APIDECK_API_KEY,
        "APIDECK_APP_ID": APIDECK_APP_ID,
    }

    assert {name: getattr(settings, name) for name in expected} == expected
    assert qonto.startswith("http://127.0.0.1:")


def test_emulator_fixtures_are_the_sandbox_members(
    sandbox: Sandbox, dropbox_emulator: DropboxEmulator, qonto_emulator: QontoEmulator
) -> None:
    assert dropbox_emulator is sandbox.dropbox
    assert qonto_emulator is sandbox.qonto
    assert sandbox.apideck.files is sandbox.dropbox.files


def test_stopping_closes_idle_keep_alive_connections() -> None:
    with DropboxEmulator() as emulator, requests.Session() as session:
        url = emulator.url("/_sandbox/clock")
        assert session.get(url, timeout=5).status_code == 200
        emulator.stop()
        try:
            session.get(url, timeout=2)
        except requests.exceptions.ConnectionError:
            served_after_stop = False
        else:
            served_after_stop = True

    assert served_after_stop is False
