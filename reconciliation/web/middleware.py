from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest
from django.http import HttpResponse
from django.http import HttpResponseRedirect
from django.urls import reverse

from reconciliation.web.access import requires_mfa


class RequireMfaMiddleware:
    """Superusers and workspace admins enrol a second factor before they reach the admin.

    The answer is computed on every guarded request, never remembered in the session: a
    reviewer promoted to admin mid-session must enrol before their next admin page. The path
    tested is ``path_info`` (the path below the script prefix), so a deployment under
    ``SCRIPT_NAME=/well`` guards ``/well/admin/`` as well.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        # The admin and the connect flow (which can repoint a workspace at another account).
        self.guarded_prefixes = ("/admin/", "/connect/")

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            settings.WELL_REQUIRE_MFA
            and request.path_info.startswith(self.guarded_prefixes)
            and request.user.is_authenticated
            and requires_mfa(request.user)
        ):
            return HttpResponseRedirect(reverse("well-mfa-required"))
        return self.get_response(request)
