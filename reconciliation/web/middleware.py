from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from reconciliation.web.access import requires_mfa

_SESSION_FLAG = "well_mfa_ok"


class RequireMfaMiddleware:
    """Superusers and workspace admins enrol a second factor before they reach the admin."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        # The admin and the connect flow (which can repoint a workspace at another account).
        self.guarded_prefixes = ("/admin/", "/connect/")

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            settings.WELL_REQUIRE_MFA
            and request.path.startswith(self.guarded_prefixes)
            and request.user.is_authenticated
            and not request.session.get(_SESSION_FLAG)
        ):
            if requires_mfa(request.user):
                return HttpResponseRedirect(reverse("well-mfa-required"))
            request.session[_SESSION_FLAG] = True
        return self.get_response(request)
