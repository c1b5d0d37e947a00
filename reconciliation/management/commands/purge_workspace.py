"""Erase a workspace (GDPR). Without --confirm it only prints what would go."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.core.management.base import CommandError

from reconciliation.files.erasure import plan_purge
from reconciliation.files.erasure import purge_workspace
from reconciliation.models import Workspace


class Command(BaseCommand):
    help = (
        "Purge a workspace: revoke its tokens at the providers, delete its files in every "
        "region, its rows and its key, and keep a record of the purge. Dry run unless --confirm."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("workspace", help="the workspace's id or slug")
        parser.add_argument("--confirm", action="store_true", help="really purge it")
        parser.add_argument(
            "--by", default="", help="the superuser's username recorded as having purged it"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        key = str(options["workspace"])
        workspace = Workspace.objects.named(key)
        if workspace is None:
            raise CommandError(f"no workspace {key!r}")
        for line in plan_purge(workspace).lines():
            self.stdout.write(line)
        if not options["confirm"]:
            self.stdout.write("Dry run: nothing was removed. Add --confirm --by <superuser>.")
            return
        actor = (
            get_user_model()
            .objects.filter(username=options["by"], is_superuser=True, is_active=True)
            .first()
        )
        if actor is None:
            raise CommandError("--by must name an active superuser: the purge record says who.")
        record = purge_workspace(workspace, actor=actor)
        self.stdout.write(
            self.style.SUCCESS(f"Purged. Record #{record.pk} at {record.purged_at.isoformat()}.")
        )
