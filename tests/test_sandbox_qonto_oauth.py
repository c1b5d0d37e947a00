"""Qonto emulator: OAuth (authorize, code exchange, rotating refresh tokens with a 60-second
grace window, revoke, consent deletion), the sandbox staging-token gate and API-key auth."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs
from urllib.parse import urlsplit

import pytest
import requests

from connectors.sandbox import QONTO_API_LOGIN
from connectors.sandbox import QONTO_API_SECRET_KEY
from connectors.sandbox import QONTO_CLIENT_ID
from connectors.sandbox import QONTO_CLIENT_SECRET
from connectors.sandbox import QontoEmulator
from connectors.sandbox.oauth import pkce_challenge

REDIRECT = "http://127.0.0.1:8000/connections/qonto/callback"
SCOPES = "offline_access organization.read supplier_invoice.write supplier_invoice.read"
VERIFIER = "q" * 64


def authorize(qonto: QontoEmulator, **params: str) -> requests.Response:
    query = {
        "client_id": QONTO_CLIENT_ID,
        "redirect_uri": REDIRECT,
        "scope": SCOPES,
        "response_type": "code",
        "state": "state-0123456789",
    }
    query.update(params)
    return requests.get(qonto.url("/oauth2/auth"), params=query, allow_redirects=False, timeout=5)


def query_of(response: requests.Response) -> dict[str, str]:
    location = response.headers["Location"]
    assert location.startswith(REDIRECT + "?")
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


def token(qonto: QontoEmulator, **data: str) -> requests.Response:
    form = {"client_id": QONTO_CLIENT_ID, "client_secret": QONTO_CLIENT_SECRET, **data}
    return requests.post(qonto.url("/oauth2/token"), data=form, timeout=5)


def connect(qonto: QontoEmulator, scope: str = SCOPES) -> dict[str, Any]:
    code = query_of(authorize(qonto, scope=scope))["code"]
    response = token(qonto, grant_type="authorization_code", code=code, redirect_uri=REDIRECT)
    assert response.status_code == 200
    payload: dict[str, Any] = response.json()
    return payload


def refresh(qonto: QontoEmulator, refresh_token: str) -> requests.Response:
    return token(qonto, grant_type="refresh_token", refresh_token=refresh_token)


def organization(qonto: QontoEmulator, access_token: str, **extra: str) -> requests.Response:
    return requests.get(
        qonto.url("/v2/organization"),
        headers={"Authorization": f"Bearer {access_token}", **extra},
        timeout=5,
    )


def test_authorize_redirects_with_code_scope_and_state(qonto_emulator: QontoEmulator) -> None:
    response = authorize(qonto_emulator)

    assert response.status_code == 302
    query = query_of(response)
    assert sorted(query) == ["code", "scope", "state"]
    assert query["code"].startswith("ory_ac_")
    assert (query["scope"], query["state"]) == (SCOPES, "state-0123456789")


@pytest.mark.parametrize(
    ("params", "error", "case"),
    [
        ({"state": "short"}, "invalid_state", "weak_state"),
        ({"scope": "organization.read transactions.write"}, "invalid_scope", "unknown_scope"),
        ({"response_type": "token"}, "unsupported_response_type", "implicit"),
    ],
)
def test_authorize_errors_redirect_back(
    qonto_emulator: QontoEmulator, params: dict[str, str], error: str, case: str
) -> None:
    query = query_of(authorize(qonto_emulator, **params))

    assert query["error"] == error
    assert "code" not in query


def test_authorize_denied_by_the_user(qonto_emulator: QontoEmulator) -> None:
    qonto_emulator.consent = "deny"

    query = query_of(authorize(qonto_emulator))

    assert (query["error"], query["error_description"]) == (
        "access_denied",
        "The resource owner denied the request",
    )


def test_code_exchange_gives_an_hour_long_token_and_a_refresh_token(
    qonto_emulator: QontoEmulator,
) -> None:
    payload = connect(qonto_emulator)

    assert sorted(payload) == ["access_token", "expires_in", "refresh_token", "scope", "token_type"]
    assert payload["access_token"].startswith("ory_at_")
    assert payload["refresh_token"].startswith("ory_rt_")
    assert (payload["expires_in"], payload["token_type"], payload["scope"]) == (
        3600,
        "bearer",
        SCOPES,
    )
    assert organization(qonto_emulator, payload["access_token"]).status_code == 200


def test_no_refresh_token_without_offline_access_and_id_token_with_openid(
    qonto_emulator: QontoEmulator,
) -> None:
    payload = connect(qonto_emulator, scope="openid organization.read")

    assert "refresh_token" not in payload
    assert payload["id_token"].count(".") == 2


def test_pkce_is_accepted_alongside_the_secret(qonto_emulator: QontoEmulator) -> None:
    code = query_of(
        authorize(
            qonto_emulator, code_challenge=pkce_challenge(VERIFIER), code_challenge_method="S256"
        )
    )["code"]

    wrong = token(
        qonto_emulator,
        grant_type="authorization_code",
        code=code,
        redirect_uri=REDIRECT,
        code_verifier="x" * 64,
    )

    assert wrong.status_code == 400
    assert wrong.json()["error"] == "invalid_grant"


def test_bad_client_secret_is_a_401_invalid_client(qonto_emulator: QontoEmulator) -> None:
    code = query_of(authorize(qonto_emulator))["code"]

    response = token(
        qonto_emulator,
        grant_type="authorization_code",
        code=code,
        redirect_uri=REDIRECT,
        client_secret="wrong",
    )

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_refresh_rotates_and_the_old_token_has_a_60_second_grace(
    qonto_emulator: QontoEmulator,
) -> None:
    first = connect(qonto_emulator)

    rotated = refresh(qonto_emulator, first["refresh_token"])
    qonto_emulator.advance_clock(59)
    within_grace = refresh(qonto_emulator, first["refresh_token"])
    qonto_emulator.advance_clock(2)
    after_grace = refresh(qonto_emulator, first["refresh_token"])
    newest = refresh(qonto_emulator, rotated.json()["refresh_token"])

    assert rotated.status_code == 200
    assert sorted(rotated.json()) == [
        "access_token",
        "expires_in",
        "refresh_token",
        "scope",
        "token_type",
    ]
    assert rotated.json()["refresh_token"] != first["refresh_token"]
    assert within_grace.status_code == 200
    assert within_grace.json()["refresh_token"] not in (
        first["refresh_token"],
        rotated.json()["refresh_token"],
    )
    assert after_grace.status_code == 400
    assert after_grace.json()["error"] == "invalid_grant"
    assert after_grace.json()["error_description"].endswith("refresh token has already been used")
    assert newest.status_code == 200


def test_access_token_expires_after_an_hour(qonto_emulator: QontoEmulator) -> None:
    payload = connect(qonto_emulator)
    qonto_emulator.advance_clock(3599)
    assert organization(qonto_emulator, payload["access_token"]).status_code == 200

    qonto_emulator.advance_clock(1)
    expired = organization(qonto_emulator, payload["access_token"])

    assert expired.status_code == 401
    assert expired.json() == {
        "errors": [{"code": "unauthorized", "detail": "Invalid credentials"}],
        "trace_id": expired.json()["trace_id"],
    }


def test_revoke_endpoint_kills_the_grant(qonto_emulator: QontoEmulator) -> None:
    payload = connect(qonto_emulator)

    response = requests.post(
        qonto_emulator.url("/oauth2/revoke"),
        data={
            "client_id": QONTO_CLIENT_ID,
            "client_secret": QONTO_CLIENT_SECRET,
            "token": payload["refresh_token"],
        },
        timeout=5,
    )

    assert response.status_code == 200
    assert response.content == b""
    assert organization(qonto_emulator, payload["access_token"]).status_code == 401
    assert refresh(qonto_emulator, payload["refresh_token"]).json()["error"] == "invalid_grant"


def test_deleting_consents_disconnects_the_app(qonto_emulator: QontoEmulator) -> None:
    payload = connect(qonto_emulator)

    response = requests.delete(
        qonto_emulator.url("/v2/oauth2/consents"),
        headers={"Authorization": f"Bearer {payload['access_token']}"},
        timeout=5,
    )

    assert response.status_code == 204
    assert organization(qonto_emulator, payload["access_token"]).status_code == 401
    assert refresh(qonto_emulator, payload["refresh_token"]).status_code == 400


def test_missing_scope_is_a_403(qonto_emulator: QontoEmulator) -> None:
    access = qonto_emulator.issue_token(scopes=("supplier_invoice.write",))["access_token"]

    response = organization(qonto_emulator, access)

    assert response.status_code == 403
    assert response.json()["errors"] == [
        {"code": "forbidden", "detail": "You are missing required oauth scope: organization.read"}
    ]


def test_no_authorization_header(qonto_emulator: QontoEmulator) -> None:
    response = requests.get(qonto_emulator.url("/v2/organization"), timeout=5)

    assert response.status_code == 401
    assert response.json()["errors"] == [
        {"code": "unauthorized", "detail": "You must be authenticated to perform this action"}
    ]


def test_api_key_login_secret_authorizes_reads(qonto_emulator: QontoEmulator) -> None:
    good = requests.get(
        qonto_emulator.url("/v2/organization"),
        headers={"Authorization": f"{QONTO_API_LOGIN}:{QONTO_API_SECRET_KEY}"},
        timeout=5,
    )
    bad = requests.get(
        qonto_emulator.url("/v2/organization"),
        headers={"Authorization": f"{QONTO_API_LOGIN}:wrong"},
        timeout=5,
    )

    assert good.status_code == 200
    assert bad.status_code == 401


def test_staging_token_gate_answers_html_without_the_exact_header(
    qonto_emulator: QontoEmulator,
) -> None:
    requests.post(
        qonto_emulator.url("/_sandbox/settings"), json={"staging_token": "stg-123"}, timeout=5
    )
    access = qonto_emulator.issue_token()["access_token"]

    missing = organization(qonto_emulator, access)
    lower = organization(qonto_emulator, access, **{"x-qonto-staging-token": "stg-123"})
    right = organization(qonto_emulator, access, **{"X-Qonto-Staging-Token": "stg-123"})
    token_endpoint = requests.post(qonto_emulator.url("/oauth2/token"), data={}, timeout=5)

    assert missing.status_code == 200
    assert missing.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "OneLogin" in missing.text
    assert lower.headers["Content-Type"] == "text/html; charset=utf-8"
    assert right.headers["Content-Type"] == "application/json"
    assert right.json()["organization"]["id"] == qonto_emulator.organization_id
    assert token_endpoint.headers["Content-Type"] == "text/html; charset=utf-8"


def test_staging_token_comes_back_off_after_reset(qonto_emulator: QontoEmulator) -> None:
    qonto_emulator.staging_token = "stg-123"

    qonto_emulator.reset()

    assert qonto_emulator.staging_token is None
