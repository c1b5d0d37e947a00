"""Token endpoint behaviour of both OAuth providers, against the emulators over real HTTP."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from datetime import timedelta
from urllib.parse import parse_qs
from urllib.parse import urlsplit

import pytest
import requests

from connectors.config import DropboxConfig
from connectors.config import QontoConfig
from connectors.errors import AuthError
from connectors.errors import ConfigurationError
from connectors.errors import ProtocolError
from connectors.errors import TransientError
from connectors.http import Timeouts
from connectors.http import build_session
from connectors.oauth import TokenSet
from connectors.oauth import dropbox_authorize_url
from connectors.oauth import exchange_code
from connectors.oauth import make_pkce_pair
from connectors.oauth import make_state
from connectors.oauth import qonto_authorize_url
from connectors.oauth import refresh
from connectors.oauth import revoke
from connectors.oauth import token_set_from_response
from connectors.sandbox import Sandbox
from connectors.sandbox.constants import DROPBOX_APP_KEY
from connectors.sandbox.constants import DROPBOX_APP_SECRET
from connectors.sandbox.constants import QONTO_CLIENT_ID
from connectors.sandbox.constants import QONTO_CLIENT_SECRET

REDIRECT_URI = "http://127.0.0.1:1/callback"


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def dropbox_config(sandbox: Sandbox, *, app_secret: str = DROPBOX_APP_SECRET) -> DropboxConfig:
    base = sandbox.dropbox.base_url
    return DropboxConfig(base, base, base, DROPBOX_APP_KEY, app_secret)


def qonto_config(
    sandbox: Sandbox, *, client_secret: str = QONTO_CLIENT_SECRET, staging_token: str = ""
) -> QontoConfig:
    base = sandbox.qonto.base_url
    return QontoConfig(base, base, QONTO_CLIENT_ID, client_secret, staging_token)


def qonto_code(sandbox: Sandbox, config: QontoConfig) -> str:
    url = qonto_authorize_url(config, state=make_state(), redirect_uri=REDIRECT_URI)
    consent = requests.get(url, allow_redirects=False, timeout=5)
    return parse_qs(urlsplit(consent.headers["Location"]).query)["code"][0]


def test_a_code_is_single_use(sandbox: Sandbox) -> None:
    config = qonto_config(sandbox)
    code = qonto_code(sandbox, config)
    exchange_code("qonto", config, code=code, redirect_uri=REDIRECT_URI)

    with pytest.raises(AuthError) as raised:
        exchange_code("qonto", config, code=code, redirect_uri=REDIRECT_URI)

    assert raised.value.code == "invalid_grant"
    assert code not in str(raised.value)


def test_dropbox_pkce_verifier_must_match(sandbox: Sandbox) -> None:
    config = dropbox_config(sandbox)
    pkce = make_pkce_pair()
    consent = requests.get(
        dropbox_authorize_url(
            config, state=make_state(), redirect_uri=REDIRECT_URI, code_challenge=pkce.challenge
        ),
        allow_redirects=False,
        timeout=5,
    )
    code = parse_qs(urlsplit(consent.headers["Location"]).query)["code"][0]

    with pytest.raises(AuthError) as raised:
        exchange_code(
            "dropbox",
            config,
            code=code,
            redirect_uri=REDIRECT_URI,
            code_verifier=make_pkce_pair().verifier,
        )

    assert raised.value.code == "invalid_grant"


@pytest.mark.parametrize(("provider", "_case"), [("dropbox", "400"), ("qonto", "401")])
def test_wrong_client_secret_is_a_configuration_error(
    sandbox: Sandbox, provider: str, _case: str
) -> None:
    if provider == "dropbox":
        payload = sandbox.dropbox.issue_token()
        config: DropboxConfig | QontoConfig = dropbox_config(sandbox, app_secret="wrong-secret")
    else:
        payload = sandbox.qonto.issue_token()
        config = qonto_config(sandbox, client_secret="wrong-secret")

    with pytest.raises(ConfigurationError) as raised:
        refresh(provider, config, payload["refresh_token"])  # type: ignore[arg-type]

    assert raised.value.code == "invalid_client"
    assert "check the app key/secret settings" in str(raised.value)
    assert "wrong-secret" not in str(raised.value)
    assert payload["refresh_token"] not in str(raised.value)


def test_refresh_retries_a_server_error(sandbox: Sandbox) -> None:
    payload = sandbox.qonto.issue_token()
    sandbox.qonto.inject_fault("/oauth2/token", {"status": 503})
    sleeps = Sleeps()

    token_set = refresh("qonto", qonto_config(sandbox), payload["refresh_token"], sleep=sleeps)

    assert token_set.refresh_token != payload["refresh_token"]
    assert len(sleeps) == 1
    assert [r.status for r in sandbox.qonto.requests(path="/oauth2/token")] == [503, 200]


def test_qonto_rotated_refresh_token_has_a_grace_window_then_dies(sandbox: Sandbox) -> None:
    config = qonto_config(sandbox)
    old = sandbox.qonto.issue_token()["refresh_token"]
    refresh("qonto", config, old)

    # A worker whose answer was lost retries with the old token within 60 s: still accepted.
    assert refresh("qonto", config, old).access_token
    sandbox.qonto.advance_clock(61)
    with pytest.raises(AuthError) as raised:
        refresh("qonto", config, old)

    assert raised.value.code == "invalid_grant"


def test_qonto_token_endpoint_without_staging_token_is_a_protocol_error(
    sandbox: Sandbox,
) -> None:
    payload = sandbox.qonto.issue_token()
    sandbox.qonto.staging_token = "stg-required"

    with pytest.raises(ProtocolError) as raised:
        refresh("qonto", qonto_config(sandbox), payload["refresh_token"])
    fresh = refresh(
        "qonto", qonto_config(sandbox, staging_token="stg-required"), payload["refresh_token"]
    )

    assert "X-Qonto-Staging-Token header is missing or wrong" in str(raised.value)
    assert fresh.access_token.startswith("ory_at_")


def test_dropbox_revoke_with_an_expired_access_token_refreshes_first(sandbox: Sandbox) -> None:
    config = dropbox_config(sandbox)
    token_set = token_set_from_response(sandbox.dropbox.issue_token(), now=datetime.now(UTC))
    sandbox.dropbox.advance_clock(4 * 3600 + 1)

    revoke("dropbox", config, token_set)

    assert [(r.path, r.status) for r in sandbox.dropbox.requests()] == [
        ("/2/auth/token/revoke", 401),
        ("/oauth2/token", 200),
        ("/2/auth/token/revoke", 200),
    ]
    assert token_set.refresh_token is not None
    with pytest.raises(AuthError):
        refresh("dropbox", config, token_set.refresh_token)


def test_revoking_an_already_revoked_grant_succeeds(sandbox: Sandbox) -> None:
    config = qonto_config(sandbox)
    token_set = token_set_from_response(sandbox.qonto.issue_token(), now=datetime.now(UTC))
    sandbox.qonto.revoke_all_tokens()

    revoke("qonto", config, token_set)

    assert [(r.method, r.path, r.status) for r in sandbox.qonto.requests()] == [
        ("DELETE", "/v2/oauth2/consents", 401),
        ("POST", "/oauth2/token", 400),
        ("POST", "/oauth2/revoke", 200),
    ]


def test_token_endpoint_timeout_is_transient(sandbox: Sandbox) -> None:
    payload = sandbox.dropbox.issue_token()
    sandbox.dropbox.inject_fault("/oauth2/token", {"delay": 1.0}, count=5)
    session = build_session(provider="dropbox", timeouts=Timeouts(connect=2, read=0.2))

    with pytest.raises(TransientError):
        refresh(
            "dropbox",
            dropbox_config(sandbox),
            payload["refresh_token"],
            session=session,
            sleep=Sleeps(),
        )

    assert len(sandbox.dropbox.requests(path="/oauth2/token")) == 3


def test_refresh_keeps_scopes_and_expiry_from_the_answer(sandbox: Sandbox) -> None:
    payload = sandbox.qonto.issue_token()
    now = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)

    fresh: TokenSet = refresh("qonto", qonto_config(sandbox), payload["refresh_token"], now=now)

    assert fresh.expires_at == now + timedelta(hours=1)
    assert "supplier_invoice.write" in fresh.scopes
    assert "refresh_token" not in fresh.extras
