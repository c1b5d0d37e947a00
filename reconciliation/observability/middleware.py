"""Every request gets an id (the proxy's ``X-Request-ID`` when it sends a sane one), bound for
the request's log lines and echoed in the answer so a user's report can be found in the logs."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

from django.http import HttpRequest
from django.http import HttpResponse

from reconciliation.observability import context

_SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")
HEADER = "X-Request-ID"


def request_id_of(request: HttpRequest) -> str:
    offered = request.headers.get(HEADER, "")
    return offered if _SANE_ID.match(offered) else uuid.uuid4().hex


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_id_of(request)
        with context.bind(request_id=request_id, workspace_id=_workspace_in(request)):
            response = self.get_response(request)
        response[HEADER] = request_id
        return response


def _workspace_in(request: HttpRequest) -> int | None:
    """The admin's pages of one workspace's objects carry it in the query string."""
    value = request.GET.get("workspace__id__exact") or request.GET.get("workspace")
    return int(value) if value and value.isdigit() else None
