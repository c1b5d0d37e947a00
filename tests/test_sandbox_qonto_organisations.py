"""Qonto emulator with several organisations: as on the real API, an OAuth token is granted for
one organisation and every ``/v2`` call answers for that organisation only; a refreshed token
stays with it; the default organisation (demo, tests) is the one it always was."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs
from urllib.parse import urlsplit

import requests

from connectors.sandbox import QONTO_CLIENT_ID
from connectors.sandbox import QONTO_CLIENT_SECRET
from connectors.sandbox import QontoEmulator
from connectors.sandbox.constants import QONTO_MAIN_BANK_ACCOUNT_ID
from connectors.sandbox.constants import QONTO_ORGANIZATION_ID

PDF = b"%PDF-1.7\n" + b"supplier invoice " * 40


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def get(qonto: QontoEmulator, token: str, path: str, **params: Any) -> requests.Response:
    return requests.get(qonto.url(path), headers=bearer(token), params=params, timeout=5)


def upload(qonto: QontoEmulator, token: str, key: str, content: bytes = PDF) -> dict[str, Any]:
    response = requests.post(
        qonto.url("/v2/supplier_invoices/bulk"),
        headers=bearer(token),
        files=[
            ("supplier_invoices[][file]", (f"{key}.pdf", content, "application/pdf")),
            ("supplier_invoices[][idempotency_key]", (None, key)),
        ],
        timeout=10,
    )
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    assert body["errors"] == []
    return body


def token_request(qonto: QontoEmulator, grant_type: str, **fields: str) -> requests.Response:
    """``POST /oauth2/token`` as the demo OAuth client, for ``grant_type`` with ``fields``."""
    data = {"client_id": QONTO_CLIENT_ID, "client_secret": QONTO_CLIENT_SECRET}
    return requests.post(
        qonto.url("/oauth2/token"), data={**data, "grant_type": grant_type, **fields}, timeout=5
    )


def refresh(qonto: QontoEmulator, refresh_token: str) -> requests.Response:
    return token_request(qonto, "refresh_token", refresh_token=refresh_token)


def two_organisations(qonto: QontoEmulator) -> tuple[str, str, str]:
    """Another organisation beside the default one: its id, a token of the default one and a
    token of the other."""
    other_id = qonto.add_organization(name="Other SAS")
    token = qonto.issue_token()["access_token"]
    other_token = qonto.issue_token(organization_id=other_id)["access_token"]
    return other_id, token, other_token


def test_one_organisation_by_default(qonto_emulator: QontoEmulator) -> None:
    token = qonto_emulator.issue_token()["access_token"]

    organization = get(qonto_emulator, token, "/v2/organization").json()["organization"]

    assert qonto_emulator.organization_ids() == [QONTO_ORGANIZATION_ID]
    assert organization["id"] == QONTO_ORGANIZATION_ID
    assert [a["id"] for a in organization["bank_accounts"]] == [QONTO_MAIN_BANK_ACCOUNT_ID]


def test_a_token_sees_only_its_organisation(qonto_emulator: QontoEmulator) -> None:
    other_id = qonto_emulator.add_organization(name="Other SAS")
    with qonto_emulator.organization_scope(other_id):
        (other_account,) = qonto_emulator.bank_accounts
        theirs = qonto_emulator.add_transaction(amount="12.50", label="Theirs")
    ours = qonto_emulator.add_transaction(amount="99.00", label="Ours")
    token = qonto_emulator.issue_token()["access_token"]
    other_token = qonto_emulator.issue_token(organization_id=other_id)["access_token"]

    mine = get(qonto_emulator, token, "/v2/organization").json()["organization"]
    other = get(qonto_emulator, other_token, "/v2/organization").json()["organization"]

    assert qonto_emulator.organization_ids() == [QONTO_ORGANIZATION_ID, other_id]
    assert (mine["id"], other["id"]) == (QONTO_ORGANIZATION_ID, other_id)
    assert other["name"] == "Other SAS"
    assert [a["id"] for a in other["bank_accounts"]] == [other_account]
    assert other["bank_accounts"][0]["iban"] != mine["bank_accounts"][0]["iban"]
    accounts = get(qonto_emulator, other_token, "/v2/bank_accounts").json()["bank_accounts"]
    assert [a["id"] for a in accounts] == [other_account]
    listed = get(
        qonto_emulator, other_token, "/v2/transactions", bank_account_id=other_account
    ).json()["transactions"]
    assert [t["id"] for t in listed] == [theirs.id]
    # Another organisation's account, transaction and account listing: not found.
    main = QONTO_MAIN_BANK_ACCOUNT_ID
    assert get(
        qonto_emulator, other_token, "/v2/transactions", bank_account_id=main
    ).status_code in (404, 422)
    assert get(qonto_emulator, other_token, f"/v2/transactions/{ours.id}").status_code == 404
    assert get(qonto_emulator, token, f"/v2/transactions/{theirs.id}").status_code == 404
    assert (
        get(qonto_emulator, other_token, f"/v2/bank_accounts/{QONTO_MAIN_BANK_ACCOUNT_ID}")
    ).status_code == 404


def test_supplier_invoices_stay_in_the_organisation_that_uploaded_them(
    qonto_emulator: QontoEmulator,
) -> None:
    other_id, token, other_token = two_organisations(qonto_emulator)

    theirs = upload(qonto_emulator, other_token, "k1")["supplier_invoices"][0]
    # The same key and file in this organisation: a new invoice, not theirs, not a duplicate.
    ours = upload(qonto_emulator, token, "k1")["supplier_invoices"][0]

    assert theirs["organization_id"] == other_id
    assert ours["organization_id"] == QONTO_ORGANIZATION_ID
    assert ours["id"] != theirs["id"]
    assert ours["has_duplicates"] is False
    listed = get(qonto_emulator, other_token, "/v2/supplier_invoices").json()
    assert [i["id"] for i in listed["supplier_invoices"]] == [theirs["id"]]
    assert listed["meta"]["total_count"] == 1
    assert get(qonto_emulator, token, f"/v2/supplier_invoices/{theirs['id']}").status_code == 404
    assert get(qonto_emulator, token, f"/v2/attachments/{theirs['attachment_id']}").status_code == (
        404
    )
    assert qonto_emulator.invoice_count_by_idempotency_key() == {"k1": 1}
    with qonto_emulator.organization_scope(other_id):
        assert qonto_emulator.invoice_count_by_idempotency_key() == {"k1": 1}
        assert list(qonto_emulator.supplier_invoices) == [theirs["id"]]
    # The pre-signed link of an attachment works whoever holds it, as an S3 URL does.
    attachment = get(qonto_emulator, other_token, f"/v2/attachments/{theirs['attachment_id']}")
    url = attachment.json()["attachment"]["url"]
    assert requests.get(url, timeout=5).content == PDF


def test_refresh_keeps_the_organisation(qonto_emulator: QontoEmulator) -> None:
    other_id = qonto_emulator.add_organization(name="Other SAS")
    issued = qonto_emulator.issue_token(organization_id=other_id)

    first = refresh(qonto_emulator, issued["refresh_token"])
    second = refresh(qonto_emulator, first.json()["refresh_token"])

    assert first.status_code == second.status_code == 200
    for payload in (first.json(), second.json()):
        organization = get(qonto_emulator, payload["access_token"], "/v2/organization").json()
        assert organization["organization"]["id"] == other_id


def test_disconnecting_one_organisation_leaves_the_others_connected(
    qonto_emulator: QontoEmulator,
) -> None:
    _, token, other_token = two_organisations(qonto_emulator)

    deleted = requests.delete(
        qonto_emulator.url("/v2/oauth2/consents"), headers=bearer(other_token), timeout=5
    )

    assert deleted.status_code == 204
    assert get(qonto_emulator, other_token, "/v2/organization").status_code == 401
    assert get(qonto_emulator, token, "/v2/organization").status_code == 200


def test_the_oauth_flow_grants_the_default_organisation(qonto_emulator: QontoEmulator) -> None:
    qonto_emulator.add_organization(name="Other SAS")
    redirect = "http://127.0.0.1:8000/connections/qonto/callback"
    authorized = requests.get(
        qonto_emulator.url("/oauth2/auth"),
        params={
            "client_id": QONTO_CLIENT_ID,
            "redirect_uri": redirect,
            "scope": "offline_access organization.read",
            "response_type": "code",
            "state": "state-0123456789",
        },
        allow_redirects=False,
        timeout=5,
    )
    code = parse_qs(urlsplit(authorized.headers["Location"]).query)["code"][0]
    exchanged = token_request(
        qonto_emulator, "authorization_code", code=code, redirect_uri=redirect
    ).json()
    refreshed = refresh(qonto_emulator, exchanged["refresh_token"]).json()

    for token in (exchanged["access_token"], refreshed["access_token"]):
        organization = get(qonto_emulator, token, "/v2/organization").json()["organization"]
        assert organization["id"] == QONTO_ORGANIZATION_ID
