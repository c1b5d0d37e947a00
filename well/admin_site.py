"""The branded admin site. Login goes through allauth (rate limits, MFA)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import admin
from django.http import HttpRequest
from django.http import HttpResponse
from django.http import HttpResponseRedirect
from django.urls import URLPattern
from django.urls import URLResolver
from django.urls import reverse


class WellAdminSite(admin.AdminSite):
    site_header = "Well"
    site_title = "Well"
    index_title = "Back office"
    # Off: the lists are wide (up to ten columns) and need the whole 1440 px; the app index is
    # one click away in the breadcrumbs.
    enable_nav_sidebar = False
    # An empty value reads as Well's own pages write it (the review screen, the Waiting column,
    # the decision log): an em dash, not Django's bare "-".
    empty_value_display = "—"

    def login(
        self, request: HttpRequest, extra_context: dict[str, object] | None = None
    ) -> HttpResponse:
        """Send every admin login through allauth, so rate limits and MFA always apply."""
        target = request.GET.get("next") or reverse("admin:index")
        if request.user.is_authenticated and not self.has_permission(request):
            # Logged in but not staff: allauth would bounce straight back; say why instead.
            return HttpResponseRedirect(reverse("well-no-access"))
        return HttpResponseRedirect(f"{reverse('account_login')}?{urlencode({'next': target})}")

    def password_change(  # type: ignore[override]
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """One place to manage credentials: allauth's pages (password, two-factor)."""
        return HttpResponseRedirect(reverse("account_change_password"))

    def has_permission(self, request: HttpRequest) -> bool:
        """Staff, or a member of a workspace: being added to a workspace is the invitation."""
        user = request.user
        if not user.is_active:
            return False
        if user.is_staff:
            return True
        from reconciliation.web.access import roles_by_workspace

        return bool(roles_by_workspace(request))

    def get_urls(self) -> list[URLResolver | URLPattern]:
        # Screens beyond CRUD (review queue, status page, dashboard) live with the domain.
        from reconciliation.admin.pages import page_urls

        return page_urls(self) + super().get_urls()

    def get_app_list(
        self, request: HttpRequest, app_label: str | None = None
    ) -> list[dict[str, Any]]:
        """The day's work first: the review queue and the integration status page lead the
        navigation, above the model lists."""
        apps = super().get_app_list(request, app_label)
        if app_label is not None:
            return apps
        pages = [
            ("Review queue", "admin:reconciliation-review", "review"),
            ("Integration status", "admin:reconciliation-integration-status", "status"),
        ]
        work = {
            "name": "Today",
            "app_label": "well-work",
            "app_url": reverse("admin:reconciliation-review"),
            "has_module_perms": True,
            "models": [
                {
                    "name": name,
                    "object_name": object_name,
                    "admin_url": reverse(url_name),
                    "add_url": None,
                    "view_only": True,
                    "perms": {"view": True},
                }
                for name, url_name, object_name in pages
            ],
        }
        return [work, *apps]
