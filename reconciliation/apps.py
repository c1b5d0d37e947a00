from __future__ import annotations

from django.apps import AppConfig


class ReconciliationConfig(AppConfig):
    name = "reconciliation"
    verbose_name = "Well"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from reconciliation.reports import spreadsheets

        spreadsheets.register()  # amounts in XLSX exports as numbers in their minor units
