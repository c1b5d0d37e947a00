"""URLs of the admin screens that are not a model's CRUD pages."""

from __future__ import annotations

from django.contrib.admin import AdminSite
from django.urls import URLPattern, URLResolver, path

from reconciliation.admin import status


def page_urls(site: AdminSite) -> list[URLResolver | URLPattern]:
    return [
        path(
            "integration-status/",
            site.admin_view(status.integration_status),
            name="reconciliation-integration-status",
        ),
    ]
