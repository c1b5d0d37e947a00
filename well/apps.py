from __future__ import annotations

from django.contrib.admin.apps import AdminConfig


class WellAdminConfig(AdminConfig):
    default_site = "well.admin_site.WellAdminSite"
