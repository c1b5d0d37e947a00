"""Calls to the Qonto emulator over HTTP with a fresh access token, for the emulator's tests."""

from __future__ import annotations

from typing import Any

import requests

from connectors.sandbox import QontoEmulator


def qonto_auth(qonto: QontoEmulator) -> dict[str, str]:
    """The Authorization header of a newly issued access token."""
    return {"Authorization": "Bearer " + qonto.issue_token()["access_token"]}


def qonto_get(qonto: QontoEmulator, path: str, **params: Any) -> requests.Response:
    """GET ``path`` of the emulator with a fresh token and ``params`` as the query string."""
    return requests.get(qonto.url(path), headers=qonto_auth(qonto), params=params, timeout=5)
