from __future__ import annotations

from django.contrib import admin
from django.templatetags.static import static
from django.urls import include
from django.urls import path
from django.utils.functional import lazy
from django.views.generic import RedirectView

from reconciliation.web import health
from reconciliation.web import views

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
    # Browsers ask for /favicon.ico whatever the page links; WhiteNoise serves the file (its
    # hashed name is looked up on the first request, not when the URLs are imported).
    path(
        "favicon.ico",
        RedirectView.as_view(url=lazy(static, str)("well/favicon.ico"), permanent=True),
    ),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("access/none/", views.no_access, name="well-no-access"),
    path("access/mfa-required/", views.mfa_required, name="well-mfa-required"),
    path("connect/", include("reconciliation.connections.urls")),
    path("healthz", health.healthz, name="well-healthz"),
    path("readyz", health.readyz, name="well-readyz"),
    path("metrics", health.metrics, name="well-metrics"),
]
