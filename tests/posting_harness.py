"""The posting reliability harness, shared by ``make bench-post`` (bench/post.py prints its
tables) and tests/test_posting_harness.py (which runs it at 100 invoices): approved invoices,
faults on Qonto's side, concurrent workers posting window after window (threads with their own
database connections, and optionally a real ``manage.py qcluster`` whose workers are SIGKILLed),
then Qonto's state compared with Well's. The scenarios of Qonto as it really behaves (keys that
expire between windows, Qonto's own reading of the PDFs, invoices Qonto already had) are in
tests/posting_scenarios.py."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from contextlib import suppress
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any

from tests.posting_fixtures import BULK_PATH
from tests.posting_fixtures import LIST_PATH
from tests.posting_fixtures import lookup_requests
from tests.posting_fixtures import seed_invoices
from tests.processes import descendants

if TYPE_CHECKING:
    from connectors.sandbox import QontoEmulator
    from reconciliation.models import Workspace

ROOT = Path(__file__).resolve().parents[1]
READ_TIMEOUT_SECONDS = 1.5
LEASE_SECONDS = 12
REJECTED_ON_PURPOSE = 3


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
    from reconciliation.models import Invoice
    from reconciliation.models import InvoiceStatus

    return not (
        Invoice.objects.for_workspace(workspace_id)
        .filter(status__in=(InvoiceStatus.APPROVED, InvoiceStatus.POSTING, InvoiceStatus.FAILED))
        .exists()
    )


def make_failed_due(workspace_id: int) -> int:
    """Stand-in for the schedule: the next window has come for every failed invoice."""
    from django.utils import timezone

    from reconciliation.models import Invoice
    from reconciliation.models import InvoiceStatus

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

    from reconciliation.posting import RetryBudget
    from reconciliation.posting import post_approved
    from reconciliation.posting import release_expired_leases

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

        ours = descendants(self.process.pid)
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
            family = descendants(process.pid)
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


def compare(
    workspace_id: int, emulator: QontoEmulator, planted: dict[int, str] | None = None
) -> Comparison:
    """Well's invoices against the emulator's supplier invoices. ``planted``: invoice id → the
    entry that reached Qonto by another route and that invoice must be linked to. Entries that
    reached Qonto by another route (no idempotency key) are neither duplicates nor orphans."""
    from reconciliation.models import Invoice

    qonto = emulator.state()["supplier_invoices"]
    uploads = [item for item in qonto if item["idempotency_key"]]
    per_key = Counter(item["idempotency_key"] for item in uploads)
    per_hash = Counter(item["file_sha256"] for item in uploads)
    duplicates = sum(n - 1 for n in per_key.values() if n > 1) + sum(
        n - 1 for n in per_hash.values() if n > 1
    )
    invoices = list(
        Invoice.objects.for_workspace(workspace_id).select_related("document").order_by("pk")
    )
    checked = [_check(invoice, qonto, per_key, planted or {}) for invoice in invoices]
    problems = [problem for _, problem in checked if problem]
    keys = {invoice.idempotency_key for invoice in invoices}
    return Comparison(
        invoices=len(invoices),
        by_status=dict(Counter(invoice.status for invoice in invoices)),
        qonto_invoices=len(qonto),
        lost=sum(1 for verdict, _ in checked if verdict == "lost"),
        duplicates=duplicates,
        wrong_links=sum(1 for verdict, _ in checked if verdict == "wrong"),
        orphans=sum(1 for item in uploads if item["idempotency_key"] not in keys),
        problems=tuple(problems[:20]),
    )


def _check(
    invoice: Any, qonto: list[dict[str, Any]], per_key: Counter[str], planted: dict[int, str]
) -> tuple[str, str]:
    """("ok" | "lost" | "wrong", the problem) for one invoice."""
    from reconciliation.models import InvoiceStatus
    from reconciliation.models import QontoOrigin

    by_id = {item["id"]: item for item in qonto}
    if invoice.status == InvoiceStatus.POSTED:
        remote = by_id.get(invoice.qonto_id)
        if invoice.qonto_origin == QontoOrigin.LINKED:
            right = remote is not None and planted.get(invoice.pk) == invoice.qonto_id
        else:
            right = (
                remote is not None
                and remote["idempotency_key"] == invoice.idempotency_key
                and remote["file_sha256"] == invoice.document.content_hash
            )
        if right:
            return "ok", ""
        return "wrong", f"invoice {invoice.pk}: {invoice.qonto_origin} as {invoice.qonto_id!r}"
    if invoice.status == InvoiceStatus.REJECTED and invoice.last_error:
        if per_key.get(invoice.idempotency_key):
            return "wrong", f"invoice {invoice.pk}: rejected in Well but present on Qonto"
        return "ok", ""
    if invoice.status in (InvoiceStatus.FAILED, InvoiceStatus.NEEDS_REVIEW) and (
        invoice.last_error or invoice.qonto_probe
    ):
        return "ok", ""  # visible: retried next window, or a person decides (the probe)
    return "lost", f"invoice {invoice.pk}: {invoice.status} without a reason"


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
    #: Listings of Qonto's supplier invoices: look-ups before a re-send, and the mirror's.
    lookup_requests: int
    mirror_requests: int
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
    started = time.monotonic()
    threads = _Threads(workspace.pk, label, workers, stats, started + timeout_seconds)
    with (
        q2_cluster(workspace.pk, process_env, seed) if process_env is not None else _no_cluster()
    ) as cluster:
        kills = _coordinate(threads, cluster, emulator, workspace.pk, invoices, faults, seed)
    drained = time.monotonic() - started
    threads.finish()
    emulator.clear_faults()
    emulator.clear_item_errors()
    return _harness_result(label, workspace.pk, emulator, stats, drained, kills)


class _Threads:
    """The worker threads of one scenario (each loop turn a window)."""

    def __init__(
        self, workspace_id: int, label: str, workers: int, stats: WindowStats, deadline: float
    ) -> None:
        self.stop = threading.Event()
        self.errors: list[BaseException] = []

        def main(worker_id: str) -> None:
            try:
                run_worker_loop(
                    workspace_id, worker_id, stats=stats, deadline=deadline, stop=self.stop
                )
            except BaseException as error:  # reported to the coordinator
                self.errors.append(error)

        self.threads = [
            threading.Thread(target=main, args=(f"{label}-thread-{n}",), daemon=True)
            for n in range(workers)
        ]
        for thread in self.threads:
            thread.start()

    def alive(self) -> bool:
        return any(thread.is_alive() for thread in self.threads)

    def finish(self) -> None:
        self.stop.set()
        if self.errors:
            raise self.errors[0]


def _coordinate(
    threads: _Threads,
    cluster: Q2Cluster | None,
    emulator: QontoEmulator,
    workspace_id: int,
    invoices: int,
    faults: bool,
    seed: int,
) -> int:
    """While the threads drain: one 401 a third of the way, q2 windows queued, workers killed."""
    rng = random.Random(seed)
    kills = 0
    unauthorised = False
    next_kill = time.monotonic() + rng.uniform(1.0, 3.0)
    while threads.alive():
        time.sleep(0.05)
        if faults and not unauthorised and _posted(workspace_id) >= invoices // 3:
            emulator.inject_fault(BULK_PATH, {"status": 401}, method="POST", count=1)
            unauthorised = True
        if cluster is not None:
            cluster.queue_window()
            if time.monotonic() >= next_kill:
                kills = cluster.kill_a_worker()
                next_kill = time.monotonic() + rng.uniform(1.0, 3.0)
    return kills


def _harness_result(
    label: str,
    workspace_id: int,
    emulator: QontoEmulator,
    stats: WindowStats,
    drained: float,
    kills: int,
) -> HarnessResult:
    from reconciliation.models import PostAttempt

    bulk = emulator.requests(method="POST", path=BULK_PATH)
    attempts = PostAttempt.objects.for_workspace(workspace_id)
    return HarnessResult(
        label=label,
        comparison=compare(workspace_id, emulator),
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
        lookup_requests=len(lookup_requests(emulator)),
        mirror_requests=len(emulator.requests(method="GET", path=LIST_PATH))
        - len(lookup_requests(emulator)),
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
    from reconciliation.models import Invoice
    from reconciliation.models import InvoiceStatus

    return Invoice.objects.for_workspace(workspace_id).filter(status=InvoiceStatus.POSTED).count()
