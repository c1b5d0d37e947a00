"""Reliability harness for posting to Qonto: nothing lost, nothing posted twice.

    make bench-post
    .venv/bin/python bench/post.py [--invoices 1000] [--seed 7] [--no-processes]

Against the Qonto emulator (in this process, on 127.0.0.1) and PostgreSQL (``BENCH_DATABASE_URL``,
default ``postgres://postgres@127.0.0.1:5432/well_bench_post``, dropped and re-created):

1. **faults on**: approved invoices, random faults on the bulk upload (500, 503, 429 with
   Retry-After, slow answers, a timeout after Qonto processed the request, connections dropped
   before and after processing), on the look-ups (503, 429, drops), per-item
   ``internal_server_error``, three per-item ``invalid`` refusals (one that lands in a request
   whose answer is then lost is never seen: the re-send goes through), and one 401 mid-run. Two
   worker threads (each with its own database connection) post at once; unless
   ``--no-processes``, a real ``manage.py qcluster`` with two q2 workers posts the same
   workspace beside them (windows queued as tasks), and one of its workers is SIGKILLed at
   random moments, preferably mid-call (q2 starts a new one). Each thread loop turn is one
   window: the sweeper, then ``post_approved``. Invoices left ``failed`` wait for the next
   window; the harness stands in for the schedule by making them due again instead of waiting
   a minute.
2. **faults off**: the same number of invoices, two threads, time to drain.

Then Qonto's state (the emulator's supplier invoices, by idempotency key and by file hash) is
compared with Well's: lost = an invoice neither posted (exactly once, with the Qonto id Well
holds) nor in a visible error state with a reason; duplicates = supplier invoices beyond one per
key or per file. ``tests/test_posting_harness.py`` runs the same code at 100 invoices.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

if TYPE_CHECKING:
    from connectors.sandbox import QontoEmulator
    from reconciliation.models import Connection, Workspace

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/well_bench_post"
BULK_PATH = "/v2/supplier_invoices/bulk"
LIST_PATH = "/v2/supplier_invoices"
READ_TIMEOUT_SECONDS = 1.5
LEASE_SECONDS = 12
REJECTED_ON_PURPOSE = 3


# --- Building the scene (Django must be set up) -------------------------------------------------


def invoice_pdf(number: int, *, padding: int = 6_000) -> bytes:
    """A small, unique PDF-looking file (the emulator checks the magic bytes, not the layout)."""
    body = f"Supplier invoice H-{number:06d}\n".encode() * 8
    return b"%PDF-1.7\n" + body + b"%" + b"x" * padding + b"\n%%EOF\n"


def seed_invoices(
    workspace: Workspace,
    count: int,
    *,
    start: int = 0,
    content: Callable[[int], bytes] | None = None,
) -> list[int]:
    """``count`` approved invoices, each with its own stored PDF; returns their ids."""
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    from reconciliation.models import (
        Document,
        DocumentKind,
        DocumentStatus,
        Invoice,
        InvoiceStatus,
        idempotency_key_for,
    )

    make = content or invoice_pdf
    documents: list[Document] = []
    for number in range(start, start + count):
        data = make(number)
        digest = hashlib.sha256(data).hexdigest()
        name = default_storage.save(
            f"documents/{workspace.pk}/{digest[:2]}/{digest}.pdf", ContentFile(data)
        )
        documents.append(
            Document(
                workspace=workspace,
                source_file_id=f"id:bench-{workspace.pk}-{number}",
                source_path=f"/Invoices/H-{number:06d}.pdf",
                original_name=f"H-{number:06d}.pdf",
                content_hash=digest,
                size=len(data),
                mime_type="application/pdf",
                file=name,
                kind=DocumentKind.INVOICE,
                status=DocumentStatus.PARSED,
            )
        )
    created = Document.objects.bulk_create(documents)
    invoices = Invoice.objects.bulk_create(
        Invoice(
            workspace=workspace,
            document=document,
            supplier_name="Harness Supplies SARL",
            number=f"H-{start + offset:06d}",
            currency="EUR",
            status=InvoiceStatus.APPROVED,
            idempotency_key=idempotency_key_for(workspace.pk, document.pk, document.content_hash),
        )
        for offset, document in enumerate(created)
    )
    return [invoice.pk for invoice in invoices]


def connect_qonto(workspace: Workspace, emulator: QontoEmulator) -> Connection:
    """An active Qonto connection holding (encrypted) tokens the emulator issued."""
    from django.utils import timezone

    from connectors.oauth import TokenSet
    from reconciliation.connections.tokens import store_tokens
    from reconciliation.models import Connection, ConnectionStatus, Provider

    payload = emulator.issue_token()
    connection = Connection.objects.create(
        workspace=workspace,
        provider=Provider.QONTO,
        status=ConnectionStatus.ACTIVE,
        account_label="Qonto · harness",
    )
    store_tokens(
        connection,
        TokenSet(
            access_token=payload["access_token"],
            refresh_token=payload.get("refresh_token"),
            expires_at=timezone.now() + timedelta(seconds=int(payload["expires_in"])),
            scopes=tuple(str(payload.get("scope", "")).split()),
        ),
    )
    return connection


def inject_random_faults(emulator: QontoEmulator, *, seed: int, probability: float) -> None:
    slow = {"delay_after_processing": READ_TIMEOUT_SECONDS + 1.0}
    emulator.inject_fault(
        BULK_PATH,
        method="POST",
        faults=[
            {"status": 500},
            {"status": 503},
            {"status": 429, "retry_after": 1},
            {"delay": 1.0},
            slow,
            {"drop": True},
            {"drop": "after_processing"},
        ],
        probability=probability,
        seed=seed,
    )
    emulator.inject_fault(
        LIST_PATH,
        method="GET",
        faults=[{"status": 503}, {"status": 429, "retry_after": 1}, {"drop": True}],
        probability=probability / 2,
        seed=seed + 1,
    )
    emulator.inject_item_errors(
        code="internal_server_error", probability=probability / 4, seed=seed + 2
    )


# --- Running windows -----------------------------------------------------------------------------


@dataclass
class WindowStats:
    windows: int = 0
    requests: int = 0
    lookups: int = 0
    resolved_by_lookup: int = 0
    released_by_sweeper: int = 0
    made_due_again: int = 0
    auth_stops: int = 0
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def outbox_is_empty(workspace_id: int) -> bool:
    from reconciliation.models import Invoice, InvoiceStatus

    return not (
        Invoice.objects.for_workspace(workspace_id)
        .filter(status__in=(InvoiceStatus.APPROVED, InvoiceStatus.POSTING, InvoiceStatus.FAILED))
        .exists()
    )


def make_failed_due(workspace_id: int) -> int:
    """Stand-in for the schedule: the next window has come for every failed invoice."""
    from django.utils import timezone

    from reconciliation.models import Invoice, InvoiceStatus

    return (
        Invoice.objects.for_workspace(workspace_id)
        .filter(status=InvoiceStatus.FAILED, next_attempt_at__gt=timezone.now())
        .update(next_attempt_at=timezone.now())
    )


def run_worker_loop(
    workspace_id: int,
    worker_id: str,
    *,
    stats: WindowStats,
    deadline: float,
    stop: threading.Event,
) -> None:
    """One worker: window after window until the outbox is empty (or the deadline)."""
    from django.db import connection as database

    from reconciliation.posting import RetryBudget, post_approved, release_expired_leases

    budget = RetryBudget(max_rounds=3, base_delay=0.2, max_delay=1.0, seconds=3.0)
    try:
        while not stop.is_set() and time.monotonic() < deadline:
            released = release_expired_leases()
            report = post_approved(workspace_id=workspace_id, worker_id=worker_id, budget=budget)
            with stats.lock:
                stats.windows += 1
                stats.requests += report.requests
                stats.lookups += report.lookups
                stats.resolved_by_lookup += report.resolved_by_lookup
                stats.released_by_sweeper += released
                stats.auth_stops += int(report.auth_stopped)
                stats.errors.extend(report.errors)
            if report.claimed == 0:
                if outbox_is_empty(workspace_id):
                    return
                with stats.lock:
                    stats.made_due_again += make_failed_due(workspace_id)
                time.sleep(0.2)  # claims of a dead worker wait for their lease to run out
    finally:
        database.close()


def _children() -> dict[int, list[int]]:
    """Parent pid → child pids, from /proc."""
    tree: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        tree.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    return tree


def _descendants(pid: int) -> set[int]:
    tree = _children()
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in tree.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


@dataclass
class Q2Cluster:
    """A real ``manage.py qcluster`` (two workers, ORM broker on the bench database) posting the
    same workspace: windows are queued as tasks, and one of its workers is SIGKILLed at random
    moments (q2's guard starts a new one)."""

    process: subprocess.Popen[bytes]
    workspace_id: int
    rng: random.Random
    kills: int = 0

    def queue_window(self) -> None:
        from django.utils import timezone
        from django_q.models import OrmQ
        from django_q.tasks import async_task

        # Waiting tasks only: a killed worker's task stays locked until q2's retry time.
        if OrmQ.objects.filter(lock__lte=timezone.now()).count() < 2:
            async_task("reconciliation.posting.release_expired_leases")
            async_task("reconciliation.posting.post_approved", workspace_id=self.workspace_id)

    def kill_a_worker(self) -> int:
        """SIGKILL one q2 worker of this cluster, preferring one caught mid-call."""
        from reconciliation.models import PostAttempt

        ours = _descendants(self.process.pid)
        busy = [
            _pid_of(worker)
            for worker in PostAttempt.objects.for_workspace(self.workspace_id)
            .in_flight()
            .values_list("request_summary__worker", flat=True)
        ]
        recent = [
            _pid_of(worker)
            for worker in PostAttempt.objects.for_workspace(self.workspace_id)
            .order_by("-started_at")
            .values_list("request_summary__worker", flat=True)[:50]
        ]
        candidates = [pid for pid in busy if pid in ours] or [pid for pid in recent if pid in ours]
        if not candidates:
            return self.kills
        victim = self.rng.choice(candidates)
        if not _is_qcluster(victim):
            return self.kills
        try:
            os.kill(victim, signal.SIGKILL)
        except ProcessLookupError:
            return self.kills
        self.kills += 1
        return self.kills


def _pid_of(worker_id: object) -> int:
    """Default worker ids are ``host:pid:nonce``."""
    parts = str(worker_id).split(":")
    return int(parts[1]) if len(parts) == 3 and parts[1].isdigit() else -1


@contextmanager
def q2_cluster(workspace_id: int, env: dict[str, str], seed: int) -> Iterator[Q2Cluster]:
    log = (ROOT / "bench" / "out").resolve()
    log.mkdir(parents=True, exist_ok=True)
    with (log / "post-qcluster.log").open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, str(ROOT / "manage.py"), "qcluster"],
            cwd=ROOT,
            env={**env, "Q_WORKERS": "2", "Q_SYNC": "0"},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        cluster = Q2Cluster(process, workspace_id, random.Random(seed))
        try:
            yield cluster
        finally:
            family = _descendants(process.pid)
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.send_signal(signal.SIGKILL)
                process.wait()
            for pid in family:
                # Only leftovers of this cluster (forked workers keep its command line).
                if _is_qcluster(pid):
                    with suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)


def _is_qcluster(pid: int) -> bool:
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return b"manage.py\x00qcluster" in command


# --- Comparing Qonto with Well -------------------------------------------------------------------


@dataclass(frozen=True)
class Comparison:
    invoices: int
    by_status: dict[str, int]
    qonto_invoices: int
    lost: int
    duplicates: int
    wrong_links: int
    orphans: int
    problems: tuple[str, ...]


def compare(workspace_id: int, emulator: QontoEmulator) -> Comparison:
    """Well's invoices against the emulator's supplier invoices."""
    from reconciliation.models import Invoice, InvoiceStatus

    state = emulator.state()
    qonto = state["supplier_invoices"]
    by_id = {item["id"]: item for item in qonto}
    per_key = Counter(item["idempotency_key"] for item in qonto)
    per_hash = Counter(item["file_sha256"] for item in qonto)
    duplicates = sum(n - 1 for n in per_key.values() if n > 1) + sum(
        n - 1 for n in per_hash.values() if n > 1
    )
    problems: list[str] = []
    lost = wrong = 0
    invoices = list(
        Invoice.objects.for_workspace(workspace_id).select_related("document").order_by("pk")
    )
    keys = {invoice.idempotency_key for invoice in invoices}
    for invoice in invoices:
        if invoice.status == InvoiceStatus.POSTED:
            remote = by_id.get(invoice.qonto_id)
            if (
                remote is None
                or remote["idempotency_key"] != invoice.idempotency_key
                or remote["file_sha256"] != invoice.document.content_hash
            ):
                wrong += 1
                problems.append(
                    f"invoice {invoice.pk}: posted as {invoice.qonto_id!r}, not on Qonto"
                )
        elif invoice.status == InvoiceStatus.REJECTED and invoice.last_error:
            if per_key.get(invoice.idempotency_key):
                wrong += 1
                problems.append(f"invoice {invoice.pk}: rejected in Well but present on Qonto")
        elif invoice.status == InvoiceStatus.FAILED and invoice.last_error:
            continue  # visible, retried next window (the look-up settles it either way)
        else:
            lost += 1
            problems.append(f"invoice {invoice.pk}: {invoice.status} without a reason")
    orphans = sum(1 for item in qonto if item["idempotency_key"] not in keys)
    return Comparison(
        invoices=len(invoices),
        by_status=dict(Counter(invoice.status for invoice in invoices)),
        qonto_invoices=len(qonto),
        lost=lost,
        duplicates=duplicates,
        wrong_links=wrong,
        orphans=orphans,
        problems=tuple(problems[:20]),
    )


# --- One scenario --------------------------------------------------------------------------------


@dataclass(frozen=True)
class HarnessResult:
    label: str
    comparison: Comparison
    drain_seconds: float
    stats: WindowStats
    kills: int
    bulk_requests: int
    injected_faults: int
    #: "500", "429", "drop", "delay_after_processing", ... → how many bulk uploads got it.
    faults_by_kind: dict[str, int]
    #: Attempts made by the q2 workers (one of which was being killed).
    process_attempts: int
    #: Attempts the sweeper closed as unknown because their worker's lease ran out.
    swept_attempts: int
    #: Listings of Qonto's supplier invoices (look-ups before a re-send).
    lookup_requests: int
    #: Invoices found on Qonto by a look-up and therefore not sent again.
    resolved_by_lookup: int
    #: Uploads of a key *after* Qonto had created its invoice: each one would be a duplicate at
    #: a Qonto that ignored the idempotency key (the emulator honours it, so count them here).
    blind_resends: int


def run_harness(
    *,
    label: str,
    workspace: Workspace,
    emulator: QontoEmulator,
    invoices: int,
    workers: int = 2,
    faults: bool = True,
    seed: int = 7,
    probability: float = 0.15,
    timeout_seconds: float = 600.0,
    process_env: dict[str, str] | None = None,
) -> HarnessResult:
    """Seed, fault, post with concurrent workers until the outbox is empty, compare."""
    seed_invoices(workspace, invoices)
    emulator.clear_requests()
    if faults:
        inject_random_faults(emulator, seed=seed, probability=probability)
        emulator.inject_item_errors(code="invalid", count=REJECTED_ON_PURPOSE)
    stats = WindowStats()
    stop = threading.Event()
    deadline = time.monotonic() + timeout_seconds
    errors: list[BaseException] = []

    def thread_main(worker_id: str) -> None:
        try:
            run_worker_loop(workspace.pk, worker_id, stats=stats, deadline=deadline, stop=stop)
        except BaseException as error:  # reported to the coordinator
            errors.append(error)

    rng = random.Random(seed)
    kills = 0
    started = time.monotonic()
    threads = [
        threading.Thread(target=thread_main, args=(f"{label}-thread-{n}",), daemon=True)
        for n in range(workers)
    ]
    for thread in threads:
        thread.start()
    unauthorised = False
    cluster_env = process_env
    with (
        q2_cluster(workspace.pk, cluster_env, seed) if cluster_env is not None else _no_cluster()
    ) as cluster:
        next_kill = time.monotonic() + rng.uniform(1.0, 3.0)
        while any(thread.is_alive() for thread in threads):
            time.sleep(0.05)
            if faults and not unauthorised and _posted(workspace.pk) >= invoices // 3:
                emulator.inject_fault(BULK_PATH, {"status": 401}, method="POST", count=1)
                unauthorised = True
            if cluster is not None:
                cluster.queue_window()
                if time.monotonic() >= next_kill:
                    kills = cluster.kill_a_worker()
                    next_kill = time.monotonic() + rng.uniform(1.0, 3.0)
    drained = time.monotonic() - started
    stop.set()
    if errors:
        raise errors[0]
    emulator.clear_faults()
    emulator.clear_item_errors()
    bulk = emulator.requests(method="POST", path=BULK_PATH)
    from reconciliation.models import PostAttempt

    attempts = PostAttempt.objects.for_workspace(workspace.pk)
    return HarnessResult(
        label=label,
        comparison=compare(workspace.pk, emulator),
        drain_seconds=drained,
        stats=stats,
        kills=kills,
        bulk_requests=len(bulk),
        injected_faults=sum(1 for entry in bulk if entry.fault is not None),
        faults_by_kind=dict(
            Counter(_fault_label(entry.fault) for entry in bulk if entry.fault is not None)
        ),
        process_attempts=attempts.exclude(request_summary__worker__startswith=f"{label}-thread")
        .exclude(request_summary__operation="refused locally")
        .count(),
        swept_attempts=attempts.filter(error_code="lease_expired").count(),
        lookup_requests=len(emulator.requests(method="GET", path=LIST_PATH)),
        resolved_by_lookup=attempts.filter(request_summary__operation="lookup").count(),
        blind_resends=blind_resends(emulator),
    )


def blind_resends(emulator: QontoEmulator) -> int:
    """Uploads carrying a key whose supplier invoice already existed when they arrived."""
    from datetime import datetime

    created = {
        item["idempotency_key"]: datetime.fromisoformat(item["created_at"])
        for item in emulator.state()["supplier_invoices"]
    }
    count = 0
    for entry in emulator.requests(method="POST", path=BULK_PATH):
        arrived = datetime.fromisoformat(entry.at)
        for part in entry.body or []:
            if part.get("name") != "supplier_invoices[][idempotency_key]":
                continue
            made = created.get(part["value"])
            if made is not None and arrived > made:
                count += 1
    return count


def _fault_label(fault: dict[str, Any]) -> str:
    if "status" in fault:
        return str(fault["status"])
    if "drop" in fault:
        return "drop after processing" if fault["drop"] == "after_processing" else "drop"
    if "delay_after_processing" in fault:
        return "timeout after processing"
    return next(iter(fault))


@contextmanager
def _no_cluster() -> Iterator[Q2Cluster | None]:
    yield None


def _posted(workspace_id: int) -> int:
    from reconciliation.models import Invoice, InvoiceStatus

    return Invoice.objects.for_workspace(workspace_id).filter(status=InvoiceStatus.POSTED).count()


# --- The command ---------------------------------------------------------------------------------


def _environment(database_url: str, media_root: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "well.settings",
            "DATABASE_URL": database_url,
            "MEDIA_ROOT": media_root,
            "WELL_DEMO": "1",
            "DEBUG": "0",
            "SECURE_SSL_REDIRECT": "0",
            "SECRET_KEY": env.get("SECRET_KEY", "bench-secret-key-not-used-anywhere-else-000000"),
            "WELL_MASTER_KEY": env.get(
                "WELL_MASTER_KEY", "YmVuY2gtbWFzdGVyLWtleS0zMi1ieXRlcy1sb25nISE="
            ),
            "WELL_POST_LEASE_SECONDS": str(LEASE_SECONDS),
            "HTTP_READ_TIMEOUT": str(READ_TIMEOUT_SECONDS),
            "HTTP_CONNECT_TIMEOUT": "2",
            "LOG_LEVEL": env.get("LOG_LEVEL", "ERROR"),
            "EMAIL_URL": "consolemail://",
        }
    )
    return env


def _recreate_database(database_url: str) -> None:
    import psycopg
    from psycopg import sql

    base, _, name = database_url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def _setup_django(env: dict[str, str]) -> None:
    os.environ.update(env)
    import django

    django.setup()


def _print_result(result: HarnessResult, invoices: int) -> None:
    c = result.comparison
    s = result.stats
    rows = [
        ("invoices", invoices),
        ("posted", c.by_status.get("posted", 0)),
        ("rejected (visible, with reason)", c.by_status.get("rejected", 0)),
        ("failed (visible, retried next window)", c.by_status.get("failed", 0)),
        ("supplier invoices on Qonto", c.qonto_invoices),
        ("LOST", c.lost),
        ("DUPLICATES", c.duplicates),
        ("wrong links (Well≠Qonto)", c.wrong_links),
        ("blind re-sends (duplicates without the key)", result.blind_resends),
        ("orphans on Qonto", c.orphans),
        ("bulk requests (faulted)", f"{result.bulk_requests} ({result.injected_faults})"),
        (
            "look-ups / invoices found by them",
            f"{result.lookup_requests} / {result.resolved_by_lookup}",
        ),
        (
            "faults on uploads",
            ", ".join(f"{k}: {v}" for k, v in sorted(result.faults_by_kind.items())) or "—",
        ),
        ("attempts closed by the sweeper", result.swept_attempts),
        ("q2 worker SIGKILLs", result.kills),
        ("attempts by q2 workers", result.process_attempts),
        ("failed made due again (next window)", s.made_due_again),
        ("windows run by the threads", s.windows),
        ("time to drain", f"{result.drain_seconds:.1f} s"),
    ]
    print(f"\n{result.label}")
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"  {name:<{width}}  {value}")
    for problem in c.problems:
        print(f"  ! {problem}")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--invoices", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--probability", type=float, default=0.15, help="fault rate per call")
    parser.add_argument(
        "--no-processes", action="store_true", help="threads only: no q2 cluster, no SIGKILL"
    )
    arguments = parser.parse_args()

    import tempfile

    database_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)
    media_root = tempfile.mkdtemp(prefix="well-bench-post-")
    env = _environment(database_url, media_root)
    _recreate_database(database_url)
    _setup_django(env)
    from django.conf import settings
    from django.core.management import call_command

    from connectors.sandbox import QontoEmulator
    from connectors.sandbox.constants import QONTO_CLIENT_ID, QONTO_CLIENT_SECRET
    from reconciliation.models import Workspace

    call_command("migrate", verbosity=0)
    with QontoEmulator() as emulator:
        qonto_settings = {
            "QONTO_API_URL": emulator.base_url,
            "QONTO_OAUTH_URL": emulator.base_url,
            "QONTO_CLIENT_ID": QONTO_CLIENT_ID,
            "QONTO_CLIENT_SECRET": QONTO_CLIENT_SECRET,
        }
        for name, value in qonto_settings.items():
            setattr(settings, name, value)
        env.update(qonto_settings)
        print(
            f"Posting harness: {arguments.invoices} invoices per scenario, PostgreSQL "
            f"{database_url.rsplit('@', 1)[-1]}, lease {LEASE_SECONDS} s, read timeout "
            f"{READ_TIMEOUT_SECONDS} s, fault rate {arguments.probability:.0%} per call"
        )
        results = []
        faulty = Workspace.objects.create(name="Faults on", slug="bench-faults-on")
        connect_qonto(faulty, emulator)
        results.append(
            run_harness(
                label="faults on",
                workspace=faulty,
                emulator=emulator,
                invoices=arguments.invoices,
                faults=True,
                seed=arguments.seed,
                probability=arguments.probability,
                process_env=None if arguments.no_processes else env,
            )
        )
        emulator.reset()
        clean = Workspace.objects.create(name="Faults off", slug="bench-faults-off")
        connect_qonto(clean, emulator)
        results.append(
            run_harness(
                label="faults off",
                workspace=clean,
                emulator=emulator,
                invoices=arguments.invoices,
                faults=False,
            )
        )
    for result in results:
        _print_result(result, arguments.invoices)
    bad = [
        r
        for r in results
        if r.comparison.lost
        or r.comparison.duplicates
        or r.comparison.wrong_links
        or r.blind_resends
    ]
    target = results[-1].drain_seconds < 120
    print(
        f"\n0 lost, 0 duplicates: {'yes' if not bad else 'NO'}; "
        f"drain < 2 min with faults off: {'yes' if target else 'NO'} "
        f"({results[-1].drain_seconds:.1f} s)"
    )
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
