"""Re-wrap every workspace's data key under the first key of WELL_MASTER_KEY.

Rotation: set WELL_MASTER_KEY="new,old", deploy, run this command, then drop "old". Tokens and
stored files are not re-encrypted: they stay sealed with the same per-workspace data keys. The
command then opens every stored file of every region under the current keys (and seals files
still kept in plain from before encryption at rest), and fails if one does not open, so the old
key is dropped only once everything is reachable without it.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.core.management.base import BaseCommand
from django.core.management.base import CommandError
from django.db import transaction

from connectors import crypto
from reconciliation.files.rotation import check_and_seal
from reconciliation.models import Workspace


class Command(BaseCommand):
    help = "Re-wrap the workspaces' data keys under the current master key (first in the list)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--check", action="store_true", help="Only report which key wraps each data key."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        ring = crypto.master_key_from_settings()
        current = ring.current.key_id
        counts: Counter[str] = Counter()
        rewrapped = 0
        for workspace_id in Workspace.objects.exclude(wrapped_data_key=None).values_list(
            "pk", flat=True
        ):
            with transaction.atomic():
                workspace = Workspace.objects.select_for_update().get(pk=workspace_id)
                wrapped = bytes(workspace.wrapped_data_key or b"")
                if not wrapped:
                    continue
                key_id = crypto.key_id_of(wrapped)
                counts[key_id.hex()] += 1
                if options["check"] or key_id == current:
                    continue
                workspace.wrapped_data_key = crypto.rewrap_data_key(ring, ring.current, wrapped)
                workspace.save(update_fields=["wrapped_data_key"])
                rewrapped += 1
        for key_hex, count in sorted(counts.items()):
            marker = " (current)" if key_hex == current.hex() else ""
            self.stdout.write(f"master key {key_hex}{marker}: {count} workspace(s) before")
        if not options["check"]:
            self.stdout.write(self.style.SUCCESS(f"Re-wrapped {rewrapped} data key(s)."))
        self._check_files(seal=not options["check"])

    def _check_files(self, *, seal: bool) -> None:
        opened = sealed = 0
        failed: list[str] = []
        for workspace_id in Workspace.objects.values_list("pk", flat=True):
            report = check_and_seal(workspace_id, seal=seal)
            opened, sealed = opened + report.opened, sealed + report.sealed_now
            failed += report.failed
        self.stdout.write(f"Stored files: {opened} open, {sealed} sealed now (were plain).")
        if failed:
            raise CommandError(
                f"{len(failed)} stored file(s) do not open: " + "; ".join(failed[:20])
            )
