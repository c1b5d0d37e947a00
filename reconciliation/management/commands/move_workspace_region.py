"""Move a workspace's files to another data region (resumable: run it again to finish)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.core.management.base import CommandError

from reconciliation.files.moves import MoveRefusedError
from reconciliation.files.moves import move_workspace
from reconciliation.models import DataRegion
from reconciliation.models import Workspace


class Command(BaseCommand):
    help = "Move a workspace's stored files to another data region and point it there."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("workspace", help="the workspace's id or slug")
        parser.add_argument("region", choices=DataRegion.values)
        parser.add_argument(
            "--max-files", type=int, default=None, help="stop after this many files (resume later)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        key = str(options["workspace"])
        workspace = Workspace.objects.named(key)
        if workspace is None:
            raise CommandError(f"no workspace {key!r}")
        try:
            report = move_workspace(workspace.pk, options["region"], max_files=options["max_files"])
        except MoveRefusedError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            f"{workspace}: {report.source} -> {report.target}: {report.copied} file(s) copied, "
            f"{report.already_there} already there."
        )
        if report.finished:
            self.stdout.write(self.style.SUCCESS("Move finished."))
        else:
            self.stdout.write("Move not finished: run the same command again to resume.")
