from __future__ import annotations

import re
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from urllib.parse import parse_qs
from urllib.parse import urlsplit

import pytest
from django.core.exceptions import ImproperlyConfigured

from connectors.config import DropboxConfig
from connectors.config import QontoConfig
from connectors.oauth import TokenSet
from connectors.oauth import dropbox_authorize_url
from connectors.oauth import make_pkce_pair
from connectors.oauth import make_state
from connectors.oauth import needs_refresh
from connectors.oauth import pkce_challenge
from connectors.oauth import qonto_authorize_url
from connectors.oauth import token_set_from_response

DROPBOX = DropboxConfig(web_url="http://127.0.0.1:9/web", app_key="app-key", app_secret="s")
QONTO = QontoConfig(oauth_url="http://127.0.0.1:9/oauth", client_id="cid", client_secret="cs")
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query, keep_blank_values=True)


def test_pkce_challenge_matches_the_rfc_7636_vector() -> None:
    assert pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == (
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    )


def test_pkce_pair_is_well_formed_and_fresh() -> None:
    first, second = make_pkce_pair(), make_pkce_pair()

    assert re.fullmatch(r"[A-Za-z0-9_-]{43,128}", first.verifier)
    assert first.challenge == pkce_challenge(first.verifier)
    assert first.method == "S256"
    assert first.verifier != second.verifier


def test_state_is_unguessable() -> None:
    assert len(make_state()) >= 43
    assert make_state() != make_state()


def test_dropbox_authorize_url_asks_for_offline_read_only_access() -> None:
    url = dropbox_authorize_url(
        DROPBOX, state="st", redirect_uri="https://well.example/cb", code_challenge="ch"
    )

    assert url.startswith("http://127.0.0.1:9/web/oauth2/authorize?")
    assert query_of(url) == {
        "client_id": ["app-key"],
        "response_type": ["code"],
        "redirect_uri": ["https://well.example/cb"],
        "state": ["st"],
        "token_access_type": ["offline"],
        "scope": ["files.metadata.read files.content.read account_info.read"],
        "code_challenge": ["ch"],
        "code_challenge_method": ["S256"],
    }


def test_qonto_authorize_url_asks_for_the_posting_scopes() -> None:
    url = qonto_authorize_url(QONTO, state="st", redirect_uri="https://well.example/cb")

    assert url.startswith("http://127.0.0.1:9/oauth/oauth2/auth?")
    assert query_of(url) == {
        "client_id": ["cid"],
        "response_type": ["code"],
        "redirect_uri": ["https://well.example/cb"],
        "scope": [
            "supplier_invoice.write supplier_invoice.read attachment.write "
            "organization.read offline_access"
        ],
        "state": ["st"],
    }


def test_authorize_url_without_credentials_fails_loudly() -> None:
    with pytest.raises(ImproperlyConfigured) as raised:
        qonto_authorize_url(QontoConfig(), state="s", redirect_uri="https://x/cb")

    assert str(raised.value) == (
        "QONTO_CLIENT_ID, QONTO_CLIENT_SECRET must be set to use this connector."
    )


def test_needs_refresh_uses_a_margin() -> None:
    token_set = TokenSet("a", "r", expires_at=NOW + timedelta(seconds=301))

    assert needs_refresh(token_set, NOW) is False
    assert needs_refresh(token_set, NOW + timedelta(seconds=1)) is True
    assert needs_refresh(token_set, NOW, margin=timedelta(0)) is False


def test_token_set_from_response_drops_secrets_from_extras() -> None:
    token_set = token_set_from_response(
        {
            "access_token": "sl.new",
            "token_type": "bearer",
            "expires_in": 14400,
            "refresh_token": "r1",
            "scope": "files.metadata.read account_info.read",
            "uid": "12345",
            "account_id": "dbid:AAA",
            "id_token": "jwt",
        },
        now=NOW,
    )

    assert token_set.access_token == "sl.new"
    assert token_set.refresh_token == "r1"
    assert token_set.expires_at == NOW + timedelta(hours=4)
    assert token_set.scopes == ("account_info.read", "files.metadata.read")
    assert token_set.account_id == "dbid:AAA"
    assert dict(token_set.extras) == {
        "token_type": "bearer",
        "expires_in": 14400,
        "scope": "files.metadata.read account_info.read",
        "uid": "12345",
        "account_id": "dbid:AAA",
    }


def test_token_set_keeps_the_old_refresh_token_when_none_is_returned() -> None:
    token_set = token_set_from_response(
        {"access_token": "a2", "expires_in": 3600}, now=NOW, refresh_token="kept"
    )

    assert token_set.refresh_token == "kept"


def test_token_set_requires_an_aware_expiry() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        TokenSet("a", None, expires_at=datetime(2026, 1, 1))
