"""The scheduler's minute at 10, 1,000 and 10,000 workspaces: queries and time."""

from __future__ import annotations

import time

SIZES = (10, 1_000, 10_000)


def _grow_to(count: int) -> None:
    """Workspaces (each with a Dropbox and a Qonto connection, both active) up to ``count``."""
    from reconciliation.models import Connection
    from reconciliation.models import ConnectionStatus
    from reconciliation.models import Provider
    from reconciliation.models import Workspace

    have = Workspace.objects.count()
    if have >= count:
        return
    workspaces = Workspace.objects.bulk_create(
        Workspace(name=f"Dispatch {n}", slug=f"dispatch-{n}") for n in range(have, count)
    )
    Connection.objects.bulk_create(
        [
            Connection(
                workspace=w,
                provider=provider,
                status=ConnectionStatus.ACTIVE,
                watched_folder="/Invoices" if provider == Provider.DROPBOX else "",
            )
            for w in workspaces
            for provider in (Provider.DROPBOX, Provider.QONTO)
        ],
        batch_size=5000,
    )


def _one_minute() -> tuple[int, float, int, int]:
    """Run dispatch_due_work inside a transaction rolled back (nothing is queued)."""
    from django.db import connection
    from django.db import transaction
    from django.test.utils import CaptureQueriesContext

    from reconciliation.dispatch import dispatch_due_work

    with transaction.atomic(), CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        report = dispatch_due_work()
        elapsed = (time.perf_counter() - started) * 1000
        transaction.set_rollback(True)
    return (
        len(captured.captured_queries),
        elapsed,
        len(report.polls_queued),
        len(report.windows_queued),
    )


def measure_dispatch() -> str:
    """The table, measured on an empty database (the workspaces are deleted afterwards)."""
    from reconciliation.models import Workspace

    lines = [
        "\nScheduler minute (dispatch_due_work), PostgreSQL",
        "| workspaces | queries | ms | polls due | windows due |",
        "|-----------:|--------:|---:|----------:|------------:|",
    ]
    for size in SIZES:
        _grow_to(size)
        total = Workspace.objects.count()
        queries, elapsed, polls, windows = _one_minute()
        lines.append(
            f"| {total:>10,} | {queries:>7} | {elapsed:.0f} | {polls:>9,} | {windows:>11,} |"
        )
    Workspace.objects.filter(slug__startswith="dispatch-").delete()
    table = "\n".join(lines)
    print(table)
    return table
