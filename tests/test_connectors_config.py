from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from pytest_django.fixtures import Settings

from connectors.config import ApideckConfig
from connectors.config import DropboxConfig
from connectors.config import QontoConfig
from connectors.http import USER_AGENT
from connectors.http import Timeouts
from connectors.http import build_session
from connectors.sandbox import Sandbox
from connectors.sandbox.constants import APIDECK_APP_ID
from connectors.sandbox.constants import DROPBOX_APP_KEY
from connectors.sandbox.constants import QONTO_CLIENT_ID

SETTING_NAMES = (
    "DROPBOX_API_URL",
    "DROPBOX_CONTENT_URL",
    "DROPBOX_WEB_URL",
    "DROPBOX_APP_KEY",
    "DROPBOX_APP_SECRET",
    "APIDECK_API_URL",
    "APIDECK_API_KEY",
    "APIDECK_APP_ID",
    "QONTO_API_URL",
    "QONTO_OAUTH_URL",
    "QONTO_CLIENT_ID",
    "QONTO_CLIENT_SECRET",
    "QONTO_STAGING_TOKEN",
)


def test_configs_read_the_sandbox_settings(sandbox_settings: Sandbox) -> None:
    dropbox = DropboxConfig.from_settings()
    apideck = ApideckConfig.from_settings()
    qonto = QontoConfig.from_settings()

    base = sandbox_settings.dropbox.base_url
    assert (dropbox.api_url, dropbox.content_url, dropbox.web_url, dropbox.app_key) == (
        base,
        base,
        base,
        DROPBOX_APP_KEY,
    )
    assert dropbox.app_secret
    assert (apideck.api_url, apideck.app_id) == (sandbox_settings.apideck.base_url, APIDECK_APP_ID)
    assert apideck.api_key
    assert (qonto.api_url, qonto.oauth_url, qonto.client_id) == (
        sandbox_settings.qonto.base_url,
        sandbox_settings.qonto.base_url,
        QONTO_CLIENT_ID,
    )


def test_configs_default_to_the_production_hosts(settings: Settings) -> None:
    for name in SETTING_NAMES:
        if hasattr(settings, name):
            delattr(settings, name)

    assert DropboxConfig.from_settings() == DropboxConfig(
        api_url="https://api.dropboxapi.com",
        content_url="https://content.dropboxapi.com",
        web_url="https://www.dropbox.com",
    )
    assert ApideckConfig.from_settings() == ApideckConfig(api_url="https://unify.apideck.com")
    assert QontoConfig.from_settings() == QontoConfig(
        api_url="https://thirdparty.qonto.com", oauth_url="https://oauth.qonto.com"
    )


def test_trailing_slashes_are_dropped(settings: Settings) -> None:
    settings.QONTO_API_URL = "http://127.0.0.1:8702/"

    assert QontoConfig.from_settings().api_url == "http://127.0.0.1:8702"


def test_staging_header_only_when_configured() -> None:
    assert QontoConfig().staging_headers() == {}
    assert QontoConfig(staging_token="stg").staging_headers() == {"X-Qonto-Staging-Token": "stg"}


@pytest.mark.parametrize(
    ("config", "message", "_case"),
    [
        (DropboxConfig(), "DROPBOX_APP_KEY must be set to use this connector.", "dropbox"),
        (
            ApideckConfig(app_id="x"),
            "APIDECK_API_KEY must be set to use this connector.",
            "apideck key",
        ),
        (
            QontoConfig(client_id="x"),
            "QONTO_CLIENT_SECRET must be set to use this connector.",
            "qonto secret",
        ),
    ],
)
def test_missing_credentials_fail_loudly(
    config: DropboxConfig | ApideckConfig | QontoConfig, message: str, _case: str
) -> None:
    with pytest.raises(ImproperlyConfigured) as raised:
        config.require_credentials()

    assert str(raised.value) == message


def test_sessions_use_the_configured_timeouts_and_user_agent(settings: Settings) -> None:
    settings.HTTP_CONNECT_TIMEOUT = 2.5
    settings.HTTP_READ_TIMEOUT = 12

    session = build_session(provider="qonto")

    assert session.timeouts == Timeouts(connect=2.5, read=12.0)
    assert session.headers["User-Agent"] == USER_AGENT == "Well/0.1.0 (+https://well.example)"
    adapter = session.get_adapter("https://thirdparty.qonto.com")
    assert adapter.max_retries.total == 0  # type: ignore[attr-defined]
