"""Admin pages at volume on PostgreSQL: p50/p95 per page, query counts, plans of slow pages.

    make bench-admin
    .venv/bin/python bench/admin.py [--documents 100000] [--transactions 1000000] [--others 50]

Database ``well_bench_admin`` on 127.0.0.1 (``BENCH_ADMIN_DATABASE_URL``), dropped and
re-created. ``manage.py seed_volume`` writes a workspace of 10 documents and 100 transactions,
then one of ``--documents`` documents and ``--transactions`` transactions beside ``--others``
smaller ones (500 documents, 2,000 transactions each). A workspace admin of each of the two
workspaces browses the real URLs with Django's test client: the review queue (with its filters
and search), the review screen, the invoice, document, match and transaction changelists (with
filters and search), the dashboard, and a CSV export of about 10,000 transactions. Pages are
timed ``--repeat`` times after one warm-up; the query count of each page must be the same for
10 rows as for the large workspace. For every page whose p95 is above 300 ms the slowest
queries are shown with EXPLAIN ANALYZE. First, on the empty database, the scheduler's minute
(``dispatch_due_work``) is timed with 10, 1,000 and 10,000 workspaces (then deleted).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.admin_dispatch import measure_dispatch  # noqa: E402
from bench.admin_setup import environment  # noqa: E402
from bench.admin_setup import recreate_database  # noqa: E402

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/well_bench_admin"
GOAL_MS = 300.0


@dataclass
class PageResult:
    label: str
    url: str
    p50: float
    p95: float
    cpu: float  # median CPU time of this process (Python: view, ORM, templates)
    db: float  # median time in the database (sum of the page's queries)
    queries_small: int
    queries_large: int


@dataclass
class Timing:
    wall: float
    cpu: float
    db: float


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--transactions", type=int, default=1_000_000)
    parser.add_argument("--others", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument(
        "--reuse", action="store_true", help="keep the seeded database of the last run"
    )
    parser.add_argument(
        "--dispatch", action="store_true", help="with --reuse: time the scheduler's minute too"
    )
    parser.add_argument(
        "--explain-ms", type=float, default=GOAL_MS / 3, help="explain pages with more DB time"
    )
    parser.add_argument(
        "--only", default="", help="measure only the pages whose label contains this (no export)"
    )
    return parser.parse_args()


def _seed(arguments: argparse.Namespace) -> tuple[int, int]:
    from django.core.management import call_command

    from reconciliation.models import Workspace

    started = time.monotonic()
    call_command("seed_volume", workspaces=1, documents=10, transactions=100, pdfs=4)
    call_command(
        "seed_volume",
        workspaces=1 + arguments.others,
        documents=arguments.documents,
        transactions=arguments.transactions,
        other_documents=500,
        other_transactions=2000,
        pdfs=12,
    )
    print(f"seeding took {time.monotonic() - started:.0f} s")
    started = time.monotonic()
    _vacuum_analyze()
    print(f"VACUUM ANALYZE took {time.monotonic() - started:.0f} s")
    small, large = Workspace.objects.order_by("pk").values_list("pk", flat=True)[:2]
    return small, large


def _vacuum_analyze() -> None:
    import psycopg
    from django.db import connection

    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**params, autocommit=True) as raw:
        raw.execute("VACUUM ANALYZE")


def _member(workspace_id: int, username: str) -> Any:
    from django.contrib.auth import get_user_model

    from reconciliation.models import Membership
    from reconciliation.models import Role

    user = get_user_model().objects.create_user(username=username, email=f"{username}@example.com")
    user.is_staff = True
    user.save()
    Membership.objects.create(workspace_id=workspace_id, user=user, role=Role.ADMIN)
    return user


def pages(workspace_id: int) -> list[tuple[str, str]]:
    """The pages measured, with ids and search terms taken from the workspace itself."""
    from reconciliation.models import Document
    from reconciliation.models import Invoice
    from reconciliation.models import InvoiceStatus
    from reconciliation.models import Transaction

    invoices = Invoice.objects.filter(workspace_id=workspace_id)
    to_review = invoices.filter(status=InvoiceStatus.NEEDS_REVIEW).order_by("-pk").first()
    invoice = to_review or invoices.order_by("-pk").first()
    assert invoice is not None, "the workspace has no invoice"
    document = Document.objects.get(pk=invoice.document_id)
    vendor = invoice.vendor_id
    tx = Transaction.objects.filter(workspace_id=workspace_id).order_by("-pk").first()
    assert tx is not None
    a = "/admin/reconciliation"
    return [
        ("dashboard", "/admin/"),
        ("review queue", "/admin/review/"),
        ("review queue: vendor filter", f"/admin/review/?invoice__vendor__id__exact={vendor}"),
        ("review queue: confidence 55-85", "/admin/review/?confidence=55-85"),
        ("review queue: search number", f"/admin/review/?q={invoice.number}"),
        ("review screen", f"/admin/review/{document.pk}/"),
        ("invoices", f"{a}/invoice/"),
        ("invoices: posted", f"{a}/invoice/?status__exact=posted"),
        ("invoices: vendor", f"{a}/invoice/?vendor__id__exact={vendor}"),
        ("invoices: search number", f"{a}/invoice/?q={invoice.number}"),
        ("invoices: search supplier", f"{a}/invoice/?q={invoice.supplier_name[:12]}"),
        ("invoice page", f"{a}/invoice/{invoice.pk}/change/"),
        ("documents", f"{a}/document/"),
        ("documents: failed", f"{a}/document/?standing=unreadable"),
        ("documents: search name", f"{a}/document/?q={document.original_name}"),
        ("matches", f"{a}/match/"),
        ("matches: proposed", f"{a}/match/?status__exact=proposed"),
        ("matches: search", f"{a}/match/?q={invoice.number}"),
        ("transactions", f"{a}/transaction/"),
        ("transactions: credits", f"{a}/transaction/?side__exact=credit"),
        ("transactions: search reference", f"{a}/transaction/?q={tx.reference or 'Fees'}"),
        ("transactions: search counterparty", f"{a}/transaction/?q=Client"),
    ]


def _get(client: Any, url: str) -> tuple[Timing, list[dict[str, Any]]]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        started, cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    if response.status_code != 200:
        raise SystemExit(f"{url} answered {response.status_code}")
    queries = list(captured.captured_queries)
    db = sum(float(q.get("time") or 0) for q in queries)
    return Timing(elapsed * 1000, cpu * 1000, db * 1000), queries


def _time(client: Any, url: str, repeat: int) -> tuple[list[Timing], int, list[dict[str, Any]]]:
    _get(client, url)  # warm-up: templates, caches, connection
    timings: list[Timing] = []
    slowest: list[dict[str, Any]] = []
    count = 0
    for _ in range(repeat):
        timing, queries = _get(client, url)
        if not timings or timing.db > max(t.db for t in timings):
            slowest = queries
        timings.append(timing)
        count = len(queries)
    return timings, count, slowest


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def _explain(queries: list[dict[str, Any]], label: str) -> None:
    from django.db import connection

    worst = sorted(queries, key=lambda q: float(q.get("time") or 0), reverse=True)[:2]
    for query in worst:
        print(f"\n--- {label}: {float(query['time']) * 1000:.0f} ms\n{query['sql'][:1500]}")
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + query["sql"])
            for (line,) in cursor.fetchall():
                print(f"    {line}")


def _export(client: Any, workspace_id: int) -> tuple[float, int]:
    """CSV export of the transactions of the operation type closest to 10,000 rows."""
    from django.db.models import Count

    from reconciliation.models import Transaction

    sizes = (
        Transaction.objects.filter(workspace_id=workspace_id)
        .values_list("operation_type")
        .annotate(n=Count("pk"))
    )
    kind, _ = min(sizes, key=lambda row: abs(row[1] - 10_000))
    url = f"/admin/reconciliation/transaction/export/?operation_type__exact={kind}"
    page = client.get(url)
    names = re.findall(
        r'<input[^>]*type="checkbox"[^>]*name="([^"]+resource_[^"]+)"', page.content.decode()
    )
    started = time.perf_counter()
    response = client.post(url, {"format": "0", "resource": "0", **{n: "on" for n in names}})
    elapsed = (time.perf_counter() - started) * 1000
    assert response.status_code == 200, response.content[:300]
    return elapsed, response.content.count(b"\n") - 1


def _measure(
    small: int, large: int, arguments: argparse.Namespace
) -> tuple[list[PageResult], tuple[float, int]]:
    from django.test import Client

    small_client, large_client = Client(), Client()
    small_client.force_login(_member(small, "bench-small"))
    large_client.force_login(_member(large, "bench-large"))
    results = []
    for (label, small_url), (_, url) in zip(pages(small), pages(large), strict=True):
        if arguments.only not in label:
            continue
        _, small_count, _ = _time(small_client, small_url, 1)
        timings, count, queries = _time(large_client, url, arguments.repeat)
        walls = [t.wall for t in timings]
        result = PageResult(
            label,
            url,
            statistics.median(walls),
            _p95(walls),
            statistics.median(t.cpu for t in timings),
            statistics.median(t.db for t in timings),
            small_count,
            count,
        )
        results.append(result)
        print(
            f"  {label:<36} p95 {result.p95:6.0f} ms (cpu {result.cpu:4.0f}, db {result.db:4.0f})"
            f"  queries {small_count}/{count}",
            flush=True,
        )
        if result.db > arguments.explain_ms:
            _explain(queries, label)
    return results, (_export(large_client, large) if not arguments.only else (0.0, 0))


def _report(results: list[PageResult], export: tuple[float, int], sizes: str) -> int:
    print(f"\nAdmin pages, PostgreSQL, {sizes}; load average {_load()}")
    print(f"| {'page':<36} | p50 ms | p95 ms | CPU ms | DB ms | queries (10 rows / large) |")
    print(f"|{'-' * 38}|-------:|-------:|-------:|------:|:-------------------------:|")
    for r in results:
        same = "" if r.queries_small == r.queries_large else " ≠"
        print(
            f"| {r.label:<36} | {r.p50:6.0f} | {r.p95:6.0f} | {r.cpu:6.0f} | {r.db:5.0f} | "
            f"{r.queries_small:>3} / {r.queries_large:<3}{same:<15} |"
        )
    elapsed, rows = export
    label = f"CSV export of {rows:,} transactions"
    print(f"| {label:<36} | {elapsed:6.0f} | — | — | — | — |")
    slow = [r.label for r in results if r.p95 > GOAL_MS]
    varying = [r.label for r in results if r.queries_small != r.queries_large]
    print(
        f"\np95 < {GOAL_MS:.0f} ms on every page: {'yes' if not slow else 'NO: ' + ', '.join(slow)}"
        f"; query counts constant: {'yes' if not varying else 'NO: ' + ', '.join(varying)}"
    )
    return 1 if slow or varying else 0


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.1f} (1 min), {five:.1f} (5 min) on {os.cpu_count()} cores"


def main() -> int:
    arguments = _arguments()
    database_url = os.environ.get("BENCH_ADMIN_DATABASE_URL", DEFAULT_DATABASE_URL)
    env = environment(database_url, tempfile.mkdtemp(prefix="well-bench-admin-"))
    if not arguments.reuse:
        recreate_database(database_url)
    os.environ.update(env)
    import django

    django.setup()
    from reconciliation.models import Workspace

    if arguments.reuse:
        from django.contrib.auth import get_user_model
        from django.core.management import call_command

        call_command("migrate", verbosity=0)  # the models may have moved on since the seeding
        _vacuum_analyze()  # statistics for new expression indexes
        small, large = Workspace.objects.order_by("pk").values_list("pk", flat=True)[:2]

        get_user_model().objects.filter(username__startswith="bench-").delete()
    else:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        call_command("createcachetable", verbosity=0)
        dispatch_table = measure_dispatch()
        small, large = _seed(arguments)
    sizes = (
        f"{arguments.documents:,} documents and {arguments.transactions:,} transactions in one "
        f"workspace, {arguments.others} others"
    )
    print(f"\nMeasuring ({arguments.repeat} requests a page after one warm-up), {sizes}")
    results, export = _measure(small, large, arguments)
    verdict = _report(results, export, sizes)
    if not arguments.reuse:
        print(dispatch_table)
    elif arguments.dispatch:
        measure_dispatch()  # starts from the seeded workspaces (52 with the defaults)
    return verdict


if __name__ == "__main__":
    sys.exit(main())
