"""Fill the database with volume for benchmarks: ``manage.py seed_volume``.

    manage.py seed_volume --workspaces 51 --documents 100000 --transactions 1000000 \
        --other-documents 500 --other-transactions 2000

The first workspace gets ``--documents`` documents (about nine in ten are invoices or credit
notes, read and routed) and ``--transactions`` bank transactions, most posted invoices paid by
a matched debit; each other workspace gets the ``--other-*`` sizes. Every run adds new
workspaces (``volume-<n>`` slugs continue where the last run stopped); never run it against a
database holding real companies.
"""

from __future__ import annotations

import random
import time
from typing import Any

from django.core.management.base import BaseCommand
from django.core.management.base import CommandParser

from reconciliation.management.seeding import Ids
from reconciliation.management.seeding import SeedReport
from reconciliation.management.seeding import Sizes
from reconciliation.management.seeding import seed_workspace
from reconciliation.management.seeding import store_pdfs
from reconciliation.models import Workspace


class Command(BaseCommand):
    help = "Write benchmark volume (workspaces, documents, invoices, transactions, matches)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--workspaces", type=int, default=1)
        parser.add_argument("--documents", type=int, default=1000, help="first workspace")
        parser.add_argument("--transactions", type=int, default=5000, help="first workspace")
        parser.add_argument("--other-documents", type=int, default=None)
        parser.add_argument("--other-transactions", type=int, default=None)
        parser.add_argument("--pdfs", type=int, default=12, help="distinct real PDFs shared")
        parser.add_argument("--seed", type=int, default=7)

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        rng = random.Random(options["seed"])
        first = Sizes(options["documents"], options["transactions"])
        others = Sizes(
            _or(options["other_documents"], max(10, first.documents // 100)),
            _or(options["other_transactions"], max(10, first.transactions // 100)),
        )
        pdfs = store_pdfs(max(1, options["pdfs"]), options["seed"])
        ids = Ids()
        start = _next_volume_number()
        total = SeedReport(files=len(pdfs))
        for n in range(options["workspaces"]):
            report = seed_workspace(start + n, first if n == 0 else others, pdfs, ids, rng)
            for name in ("workspaces", "vendors", "documents", "invoices", "transactions"):
                setattr(total, name, getattr(total, name) + getattr(report, name))
            total.matches += report.matches
            total.workspace_ids += report.workspace_ids
        ids.reset_sequences()
        self.stdout.write(
            f"seeded {total.workspaces} workspaces (first: {total.workspace_ids[0]}), "
            f"{total.vendors} vendors, {total.documents} documents, {total.invoices} invoices, "
            f"{total.transactions} transactions, {total.matches} matches, "
            f"{total.files} shared PDFs in {time.monotonic() - started:.1f} s"
        )


def _or(value: int | None, default: int) -> int:
    return default if value is None else value


def _next_volume_number() -> int:
    """After the highest "volume-N" workspace already seeded (ids are no guide: PostgreSQL's
    sequences move on even when a transaction rolls back)."""
    numbers = [
        int(slug.removeprefix("volume-"))
        for slug in Workspace.objects.filter(slug__regex=r"^volume-[0-9]+$").values_list(
            "slug", flat=True
        )
    ]
    return max(numbers, default=0) + 1
