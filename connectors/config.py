"""Provider configuration read from Django settings. Base URLs are settings so the demo and the
tests point every client at the local emulators; secrets never show in repr."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field

from django.core.exceptions import ImproperlyConfigured

from connectors.http import setting


def _url(name: str, default: str) -> str:
    return str(setting(name, default) or default).rstrip("/")


def _text(name: str) -> str:
    return str(setting(name, "") or "")


def _require(config: object, prefix: str, names: tuple[str, ...]) -> None:
    missing = [f"{prefix}_{name.upper()}" for name in names if not getattr(config, name)]
    if missing:
        raise ImproperlyConfigured(f"{', '.join(missing)} must be set to use this connector.")


@dataclass(frozen=True)
class DropboxConfig:
    api_url: str = "https://api.dropboxapi.com"
    content_url: str = "https://content.dropboxapi.com"
    web_url: str = "https://www.dropbox.com"
    app_key: str = ""
    app_secret: str = field(default="", repr=False)

    @classmethod
    def from_settings(cls) -> DropboxConfig:
        return cls(
            api_url=_url("DROPBOX_API_URL", cls.api_url),
            content_url=_url("DROPBOX_CONTENT_URL", cls.content_url),
            web_url=_url("DROPBOX_WEB_URL", cls.web_url),
            app_key=_text("DROPBOX_APP_KEY"),
            app_secret=_text("DROPBOX_APP_SECRET"),
        )

    def require_credentials(self) -> None:
        """The app key is always needed; the secret is optional for a PKCE-only app."""
        _require(self, "DROPBOX", ("app_key",))


@dataclass(frozen=True)
class ApideckConfig:
    api_url: str = "https://unify.apideck.com"
    api_key: str = field(default="", repr=False)
    app_id: str = ""

    @classmethod
    def from_settings(cls) -> ApideckConfig:
        return cls(
            api_url=_url("APIDECK_API_URL", cls.api_url),
            api_key=_text("APIDECK_API_KEY"),
            app_id=_text("APIDECK_APP_ID"),
        )

    def require_credentials(self) -> None:
        _require(self, "APIDECK", ("api_key", "app_id"))


@dataclass(frozen=True)
class QontoConfig:
    api_url: str = "https://thirdparty.qonto.com"
    oauth_url: str = "https://oauth.qonto.com"
    client_id: str = ""
    client_secret: str = field(default="", repr=False)
    staging_token: str = field(default="", repr=False)

    @classmethod
    def from_settings(cls) -> QontoConfig:
        return cls(
            api_url=_url("QONTO_API_URL", cls.api_url),
            oauth_url=_url("QONTO_OAUTH_URL", cls.oauth_url),
            client_id=_text("QONTO_CLIENT_ID"),
            client_secret=_text("QONTO_CLIENT_SECRET"),
            staging_token=_text("QONTO_STAGING_TOKEN"),
        )

    def require_credentials(self) -> None:
        _require(self, "QONTO", ("client_id", "client_secret"))

    def staging_headers(self) -> dict[str, str]:
        """Qonto's sandbox wants this header on every API *and* OAuth token call."""
        return {"X-Qonto-Staging-Token": self.staging_token} if self.staging_token else {}
