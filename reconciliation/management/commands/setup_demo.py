"""Create the demo superuser and workspace and give the workspace its past (idempotent), then
print how to sign in."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.core.management.base import CommandError
from django.db import transaction

from reconciliation.management.demo_history import seed_demo_workspace
from reconciliation.models import Membership
from reconciliation.models import Role
from reconciliation.models import Workspace

DEMO_USERNAME = "demo"
DEMO_PASSWORD = "well-demo-2026"  # noqa: S105 - printed on purpose; demo mode only
DEMO_EMAIL = "demo@well.example"


class Command(BaseCommand):
    help = (
        "Create the demo superuser and the demo workspace with a year of reviewed and posted "
        "invoices (demo mode only)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.WELL_DEMO:
            raise CommandError("setup_demo only runs with WELL_DEMO=1; it prints a password.")
        with transaction.atomic():
            user_model = get_user_model()
            user, created = user_model.objects.get_or_create(
                username=DEMO_USERNAME,
                defaults={"email": DEMO_EMAIL, "is_staff": True, "is_superuser": True},
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save()
            workspace, _ = Workspace.objects.get_or_create(
                slug="demo", defaults={"name": "Atelier Lumen SAS (demo)", "home_currency": "EUR"}
            )
            Membership.objects.get_or_create(
                workspace=workspace, user=user, defaults={"role": Role.ADMIN}
            )
        seeded = seed_demo_workspace(workspace=workspace, user=user)
        if int(options.get("verbosity", 1)) < 1:
            return  # `make run`: run_demo prints where to sign in once the server answers
        if seeded.seeded:
            self.stdout.write(
                f"Demo history: {seeded.invoices} past invoices reviewed and posted "
                f"(trained vendors: {', '.join(seeded.trained_vendors) or 'none'}), "
                f"{seeded.receivables} receivables, {seeded.rates} reference exchange rates."
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo workspace: {workspace.name}\n"
                f"Sign in at {settings.WELL_BASE_URL}/admin/ "
                f"as {DEMO_USERNAME} / {DEMO_PASSWORD}"
            )
        )
