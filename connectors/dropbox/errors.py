"""How Dropbox's error answers read
(https://www.dropbox.com/developers/documentation/http/documentation#error-handling): a JSON body
``{"error_summary": "path/not_found/..", "error": {".tag": ...}}`` whose tag chain names the case;
endpoint-specific errors come as 409 (a reset cursor, a path that is not there), rate limits carry
``error.retry_after``."""

from __future__ import annotations

import json

import requests

from connectors.dropbox.schemas import DropboxErrorBody
from connectors.errors import Classification
from connectors.errors import ConnectorError
from connectors.errors import ErrorBody
from connectors.errors import NotFoundError
from connectors.errors import PermanentError
from connectors.errors import ProviderErrors
from connectors.redaction import shorten

PROVIDER = "dropbox"
_REFRESHABLE_AUTH_TAGS = frozenset({"expired_access_token", "invalid_access_token"})


class CursorResetError(PermanentError):
    """409 ``reset``: the cursor is no longer valid; list the folder again from scratch and
    de-duplicate against what was already ingested."""


def error_body(response: requests.Response) -> DropboxErrorBody | None:
    try:
        data = json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(data, dict):
        return None
    return DropboxErrorBody.model_validate(data)


def is_token_rejected(response: requests.Response) -> bool:
    """A 401 worth one token refresh: an expired or invalid token, or a body we cannot read."""
    body = error_body(response)
    if body is None:
        return True
    tags = body.tags
    return not tags or tags[0] in _REFRESHABLE_AUTH_TAGS


def parse_error_body(response: requests.Response) -> ErrorBody:
    body = error_body(response)
    tags = body.tags if body else []
    code = "/".join(tags) or None
    summary = body.error_summary if body else ""
    if not summary:
        summary = shorten(response.content[:500].decode("utf-8", errors="replace"))
    return ErrorBody(
        code=tags[0] if response.status_code == 401 and tags else code,
        detail=summary or None,
        retry_after=body.retry_after if body else None,
        summary=summary or (code or ""),
    )


def _special(found: Classification) -> ConnectorError | None:
    if found.response.status_code != 409:
        return None
    body = found.body
    if (body.code or "").split("/")[:1] == ["reset"]:
        return CursorResetError(
            "the list_folder cursor was reset by Dropbox; the folder must be listed again",
            code="reset",
            detail=body.detail,
            **found.common,
        )
    if "not_found" in (body.code or "").split("/"):
        return NotFoundError(
            f"not found at Dropbox ({body.summary or body.code})",
            code=body.code,
            detail=body.detail,
            **found.common,
        )
    return None


DROPBOX_ERRORS = ProviderErrors(
    provider=PROVIDER,
    display_name="Dropbox",
    parse=parse_error_body,
    special=_special,
    # Dropbox says "not there" with a 409 path error; a bare 404 is a wrong route, not a file.
    not_found_statuses=frozenset(),
)
