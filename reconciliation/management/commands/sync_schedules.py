"""Upsert the django-q2 schedules declared in reconciliation/schedules.py (idempotent)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from reconciliation.schedules import sync_schedules


class Command(BaseCommand):
    help = "Create or update Well's periodic tasks by name; remove the ones no longer declared."

    def handle(self, *args: Any, **options: Any) -> None:
        written, removed = sync_schedules()
        for name in written:
            self.stdout.write(f"schedule {name}: declared")
        for name in removed:
            self.stdout.write(f"schedule {name}: removed")
