"""Dropbox emulator: OAuth code flow (secret and PKCE), refresh, expiry on the virtual clock,
revoke, and the 401/400 shapes of bad credentials."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs
from urllib.parse import urlsplit

import pytest
import requests

from connectors.sandbox import DROPBOX_APP_KEY
from connectors.sandbox import DROPBOX_APP_SECRET
from connectors.sandbox import DropboxEmulator
from connectors.sandbox.oauth import pkce_challenge

REDIRECT = "http://127.0.0.1:8000/connections/dropbox/callback"
VERIFIER = "v" * 43 + "-._~" + "0123456789"


def authorize(emulator: DropboxEmulator, **params: str) -> requests.Response:
    query = {
        "client_id": DROPBOX_APP_KEY,
        "response_type": "code",
        "redirect_uri": REDIRECT,
        "state": "csrf-state-123",
        "token_access_type": "offline",
        "scope": "files.metadata.read files.content.read account_info.read",
    }
    query.update(params)
    return requests.get(
        emulator.url("/oauth2/authorize"), params=query, allow_redirects=False, timeout=5
    )


def redirect_params(response: requests.Response) -> dict[str, str]:
    location = response.headers["Location"]
    assert location.startswith(REDIRECT + "?")
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


def code_from(emulator: DropboxEmulator, **params: str) -> str:
    return redirect_params(authorize(emulator, **params))["code"]


def token(emulator: DropboxEmulator, **data: str) -> requests.Response:
    return requests.post(emulator.url("/oauth2/token"), data=data, timeout=5)


def refresh_grant(
    emulator: DropboxEmulator, refresh_token: object, **data: str
) -> requests.Response:
    """A refresh-token grant from our app (``data`` adds e.g. the client secret)."""
    return token(
        emulator,
        grant_type="refresh_token",
        refresh_token=str(refresh_token),
        client_id=DROPBOX_APP_KEY,
        **data,
    )


def code_grant(emulator: DropboxEmulator, code: str, **data: str) -> requests.Response:
    """An authorization-code grant from our app (``data`` adds the secret or a PKCE verifier)."""
    return token(
        emulator,
        grant_type="authorization_code",
        code=code,
        client_id=DROPBOX_APP_KEY,
        redirect_uri=REDIRECT,
        **data,
    )


def exchange(emulator: DropboxEmulator, code: str) -> dict[str, object]:
    response = code_grant(emulator, code, client_secret=DROPBOX_APP_SECRET)
    assert response.status_code == 200
    payload: dict[str, object] = response.json()
    return payload


def account(emulator: DropboxEmulator, access_token: str) -> requests.Response:
    return requests.post(
        emulator.url("/2/users/get_current_account"),
        headers={"Authorization": f"Bearer {access_token}"},
        timeout=5,
    )


def test_authorize_consents_and_redirects_with_code_and_state(
    dropbox_emulator: DropboxEmulator,
) -> None:
    response = authorize(dropbox_emulator)

    assert response.status_code == 302
    params = redirect_params(response)
    assert sorted(params) == ["code", "state"]
    assert params["state"] == "csrf-state-123"


def test_code_exchange_with_client_secret(dropbox_emulator: DropboxEmulator) -> None:
    payload = exchange(dropbox_emulator, code_from(dropbox_emulator))

    assert sorted(payload) == [
        "access_token",
        "account_id",
        "expires_in",
        "refresh_token",
        "scope",
        "token_type",
        "uid",
    ]
    assert str(payload["access_token"]).startswith("sl.")
    assert payload["token_type"] == "bearer"
    assert payload["expires_in"] == 14400
    assert payload["scope"] == "account_info.read files.content.read files.metadata.read"
    assert payload["account_id"] == "dbid:AADwellSandboxAccount000000000000000"
    assert account(dropbox_emulator, str(payload["access_token"])).status_code == 200


def test_code_exchange_with_http_basic_client_auth(dropbox_emulator: DropboxEmulator) -> None:
    basic = base64.b64encode(f"{DROPBOX_APP_KEY}:{DROPBOX_APP_SECRET}".encode()).decode()

    response = requests.post(
        dropbox_emulator.url("/oauth2/token"),
        data={
            "grant_type": "authorization_code",
            "code": code_from(dropbox_emulator),
            "redirect_uri": REDIRECT,
        },
        headers={"Authorization": f"Basic {basic}"},
        timeout=5,
    )

    assert response.status_code == 200
    assert response.json()["expires_in"] == 14400


def test_online_access_gets_no_refresh_token(dropbox_emulator: DropboxEmulator) -> None:
    payload = exchange(dropbox_emulator, code_from(dropbox_emulator, token_access_type="online"))

    assert "refresh_token" not in payload


def test_pkce_exchange_needs_the_matching_verifier_and_no_secret(
    dropbox_emulator: DropboxEmulator,
) -> None:
    challenge = pkce_challenge(VERIFIER)
    good_code = code_from(dropbox_emulator, code_challenge=challenge, code_challenge_method="S256")
    bad_code = code_from(dropbox_emulator, code_challenge=challenge, code_challenge_method="S256")

    wrong = code_grant(dropbox_emulator, bad_code, code_verifier="w" * 43)
    right = code_grant(dropbox_emulator, good_code, code_verifier=VERIFIER)
    refreshed = token(
        dropbox_emulator,
        grant_type="refresh_token",
        refresh_token=right.json()["refresh_token"],
        client_id=DROPBOX_APP_KEY,
    )

    assert wrong.status_code == 400
    assert wrong.json() == {"error": "invalid_grant", "error_description": "invalid code verifier"}
    assert right.status_code == 200
    assert refreshed.status_code == 200


def test_pkce_code_without_verifier_is_refused(dropbox_emulator: DropboxEmulator) -> None:
    code = code_from(
        dropbox_emulator, code_challenge=pkce_challenge(VERIFIER), code_challenge_method="S256"
    )

    response = code_grant(dropbox_emulator, code, client_secret=DROPBOX_APP_SECRET)

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


@pytest.mark.parametrize(
    ("change", "expected", "case"),
    [
        ({"redirect_uri": REDIRECT + "/other"}, "invalid_grant", "redirect_mismatch"),
        ({"client_secret": "wrong"}, "invalid_client", "wrong_secret"),
        ({"client_id": "another-app"}, "invalid_client", "unknown_client"),
        ({"code": "made-up"}, "invalid_grant", "unknown_code"),
        ({"grant_type": "password"}, "unsupported_grant_type", "unsupported_grant"),
    ],
)
def test_code_exchange_errors(
    dropbox_emulator: DropboxEmulator, change: dict[str, str], expected: str, case: str
) -> None:
    data = {
        "grant_type": "authorization_code",
        "code": code_from(dropbox_emulator),
        "client_id": DROPBOX_APP_KEY,
        "client_secret": DROPBOX_APP_SECRET,
        "redirect_uri": REDIRECT,
        **change,
    }

    response = token(dropbox_emulator, **data)

    assert response.status_code == 400
    assert response.json()["error"] == expected


def test_code_is_single_use_and_expires(dropbox_emulator: DropboxEmulator) -> None:
    used = code_from(dropbox_emulator)
    exchange(dropbox_emulator, used)
    stale = code_from(dropbox_emulator)
    dropbox_emulator.advance_clock(601)

    again = code_grant(dropbox_emulator, used, client_secret=DROPBOX_APP_SECRET)
    late = code_grant(dropbox_emulator, stale, client_secret=DROPBOX_APP_SECRET)

    assert again.json() == {
        "error": "invalid_grant",
        "error_description": "code doesn't exist or has expired",
    }
    assert late.json()["error"] == "invalid_grant"


@pytest.mark.parametrize(
    ("params", "error", "case"),
    [
        ({"scope": "files.everything"}, "invalid_scope", "unknown_scope"),
        ({"response_type": "token"}, "unsupported_response_type", "implicit_flow"),
        (
            {"code_challenge": "short", "code_challenge_method": "S256"},
            "invalid_request",
            "bad_pkce",
        ),
    ],
)
def test_authorize_errors_redirect_with_error_and_state(
    dropbox_emulator: DropboxEmulator, params: dict[str, str], error: str, case: str
) -> None:
    query = redirect_params(authorize(dropbox_emulator, **params))

    assert query["error"] == error
    assert query["state"] == "csrf-state-123"
    assert "code" not in query


def test_authorize_denied_when_consent_is_switched_off(dropbox_emulator: DropboxEmulator) -> None:
    requests.post(dropbox_emulator.url("/_sandbox/settings"), json={"consent": "deny"}, timeout=5)

    query = redirect_params(authorize(dropbox_emulator))

    assert query["error"] == "access_denied"


def test_authorize_with_unknown_client_shows_an_error_page(
    dropbox_emulator: DropboxEmulator,
) -> None:
    response = authorize(dropbox_emulator, client_id="someone-else")

    assert response.status_code == 400
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "Location" not in response.headers


def test_refresh_returns_a_new_access_token_and_no_refresh_token(
    dropbox_emulator: DropboxEmulator,
) -> None:
    issued = dropbox_emulator.issue_token()

    response = refresh_grant(
        dropbox_emulator, issued["refresh_token"], client_secret=DROPBOX_APP_SECRET
    )

    assert response.status_code == 200
    assert sorted(response.json()) == ["access_token", "expires_in", "token_type"]
    assert response.json()["expires_in"] == 14400
    assert response.json()["access_token"] != issued["access_token"]


def test_refresh_of_a_confidential_grant_needs_the_secret(
    dropbox_emulator: DropboxEmulator,
) -> None:
    issued = dropbox_emulator.issue_token()

    response = refresh_grant(dropbox_emulator, issued["refresh_token"])

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_client"


def test_access_token_expires_on_the_virtual_clock(dropbox_emulator: DropboxEmulator) -> None:
    access = str(dropbox_emulator.issue_token()["access_token"])
    dropbox_emulator.advance_clock(14399)
    assert account(dropbox_emulator, access).status_code == 200

    dropbox_emulator.advance_clock(1)
    expired = account(dropbox_emulator, access)
    unknown = account(dropbox_emulator, "sl.never-issued")

    assert expired.status_code == 401
    assert expired.json() == {
        "error_summary": "expired_access_token/...",
        "error": {".tag": "expired_access_token"},
    }
    assert unknown.json() == {
        "error_summary": "invalid_access_token/...",
        "error": {".tag": "invalid_access_token"},
    }


def test_revoke_kills_access_and_refresh_tokens(dropbox_emulator: DropboxEmulator) -> None:
    issued = dropbox_emulator.issue_token()
    headers = {"Authorization": f"Bearer {issued['access_token']}"}

    revoked = requests.post(
        dropbox_emulator.url("/2/auth/token/revoke"), headers=headers, timeout=5
    )
    after = account(dropbox_emulator, str(issued["access_token"]))
    refresh = refresh_grant(
        dropbox_emulator, issued["refresh_token"], client_secret=DROPBOX_APP_SECRET
    )

    assert revoked.status_code == 200
    assert revoked.json() is None
    assert after.status_code == 401
    assert after.json()["error"] == {".tag": "invalid_access_token"}
    assert refresh.status_code == 400
    assert refresh.json()["error"] == "invalid_grant"


def test_unlinking_the_app_revokes_every_token(dropbox_emulator: DropboxEmulator) -> None:
    issued = dropbox_emulator.issue_token()

    requests.post(dropbox_emulator.url("/_sandbox/tokens/revoke_all"), timeout=5)

    assert account(dropbox_emulator, str(issued["access_token"])).status_code == 401


def test_missing_scope_is_a_401_naming_the_scope(dropbox_emulator: DropboxEmulator) -> None:
    access = dropbox_emulator.issue_token(scopes=("files.metadata.read",))["access_token"]

    response = requests.post(
        dropbox_emulator.url("/2/files/download"),
        headers={"Authorization": f"Bearer {access}", "Dropbox-API-Arg": '{"path": "/a.pdf"}'},
        timeout=5,
    )

    assert response.status_code == 401
    assert response.json() == {
        "error_summary": "missing_scope/...",
        "error": {".tag": "missing_scope", "required_scope": "files.content.read"},
    }


def test_missing_authorization_header_is_a_plain_text_400(
    dropbox_emulator: DropboxEmulator,
) -> None:
    response = requests.post(
        dropbox_emulator.url("/2/files/list_folder"), json={"path": ""}, timeout=5
    )

    assert response.status_code == 400
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.text == (
        'Error in call to API function "files/list_folder": Must provide HTTP header '
        '"Authorization" or URL parameter "authorization".'
    )
