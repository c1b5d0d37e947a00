"""Provider configuration read from Django settings. Base URLs are settings so the demo and the
tests point every client at the local emulators; secrets never show in repr."""

from __future__ import annotations

from dataclasses import Field
from dataclasses import dataclass
from dataclasses import field
from dataclasses import fields
from typing import ClassVar
from typing import Self

from django.core.exceptions import ImproperlyConfigured

from connectors.http import setting


def _url(name: str, default: str) -> str:
    return str(setting(name, default) or default).rstrip("/")


def _text(name: str) -> str:
    return str(setting(name, "") or "")


def _read(prefix: str, item: Field[object]) -> str:
    """A ``*_url`` field falls back to its default (without a trailing slash), any other to
    ``""``."""
    name = f"{prefix}_{item.name.upper()}"
    return _url(name, str(item.default)) if item.name.endswith("_url") else _text(name)


@dataclass(frozen=True)
class _FromSettings:
    """A provider's configuration, each field read from the setting ``<PREFIX>_<FIELD>``."""

    settings_prefix: ClassVar[str]

    @classmethod
    def from_settings(cls) -> Self:
        return cls(**{item.name: _read(cls.settings_prefix, item) for item in fields(cls)})

    def _require(self, names: tuple[str, ...]) -> None:
        missing = [
            f"{self.settings_prefix}_{name.upper()}" for name in names if not getattr(self, name)
        ]
        if missing:
            raise ImproperlyConfigured(f"{', '.join(missing)} must be set to use this connector.")


@dataclass(frozen=True)
class DropboxConfig(_FromSettings):
    settings_prefix = "DROPBOX"
    api_url: str = "https://api.dropboxapi.com"
    content_url: str = "https://content.dropboxapi.com"
    web_url: str = "https://www.dropbox.com"
    app_key: str = ""
    app_secret: str = field(default="", repr=False)

    def require_credentials(self) -> None:
        """The app key is always needed; the secret is optional for a PKCE-only app."""
        self._require(("app_key",))


@dataclass(frozen=True)
class ApideckConfig(_FromSettings):
    settings_prefix = "APIDECK"
    api_url: str = "https://unify.apideck.com"
    api_key: str = field(default="", repr=False)
    app_id: str = ""

    def require_credentials(self) -> None:
        self._require(("api_key", "app_id"))


@dataclass(frozen=True)
class QontoConfig(_FromSettings):
    settings_prefix = "QONTO"
    api_url: str = "https://thirdparty.qonto.com"
    oauth_url: str = "https://oauth.qonto.com"
    client_id: str = ""
    client_secret: str = field(default="", repr=False)
    staging_token: str = field(default="", repr=False)

    def require_credentials(self) -> None:
        self._require(("client_id", "client_secret"))

    def staging_headers(self) -> dict[str, str]:
        """Qonto's sandbox wants this header on every API *and* OAuth token call."""
        return {"X-Qonto-Staging-Token": self.staging_token} if self.staging_token else {}
