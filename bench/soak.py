"""Pipeline soak: documents through poll → read → route → post → match, workers SIGKILLed.

    make bench-soak                      # 10,000 documents
    SOAK_DOCS=300 make bench-soak        # a quick run
    .venv/bin/python bench/soak.py --documents 300 [--clusters 3] [--kill-every 20]

Three ``qcluster`` processes (two workers each, ``bench/soak_worker.py``: leases shortened to
``--lease`` seconds) share the Redis broker at 127.0.0.1:6379 (db 11, cluster name
``well-bench-soak``, flushed at start) and PostgreSQL ``well_bench_soak`` (dropped and
re-created). The emulators run in this process: Dropbox holds the files (one folder a workspace
of 250 documents, see bench/soak_corpus.py), Qonto the statement, and both inject faults at
random (Qonto as in bench-post: 500/503/429, slow answers, answers lost after processing; Dropbox
503/429 on listings and downloads). The bench queues each folder's first poll; from there the
cluster's own schedules run everything (dispatch every minute, the sweeper every minute here).
Every ``--kill-every`` seconds (on average) either a worker caught reading a document is
SIGKILLed (q2 starts another) or a whole cluster is SIGKILLed and started again
(``--kill-pool-share`` also kills idle workers, pushers and monitors). A cluster that stops
working (django-q2's wedge, bench/soak_profile.py) is reported and restarted. Invoices Qonto
failed are made due again at once (standing in for the backoff's clock, as bench-post does).

It stops when every file is a document, nothing waits to be read, posted or attached and each
workspace's last window closed after its last document was read — or after ``--max-minutes``.
It prints throughput, p95 latency from poll to posted, peak memory per worker and the ledger:
lost and duplicated documents, invoices, Qonto supplier invoices and attachments; then where
the time went: CPU by kind of process, task time by task, the broker's queue.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import soak_cluster  # noqa: E402
from bench import soak_profile  # noqa: E402
from bench.admin_setup import environment  # noqa: E402
from bench.admin_setup import recreate_database  # noqa: E402

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/well_bench_soak"
REDIS_URL = "redis://127.0.0.1:6379/11"
CLUSTER_NAME = "well-bench-soak"


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--documents", type=int, default=10_000)
    parser.add_argument("--clusters", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2, help="q2 workers per cluster")
    parser.add_argument("--kill-every", type=float, default=20.0, help="seconds between kills")
    parser.add_argument("--fault-rate", type=float, default=0.05)
    parser.add_argument("--lease", type=int, default=30, help="lease seconds in the workers")
    parser.add_argument(
        "--kill-pool-share",
        type=float,
        default=0.0,
        help="share of kills that hit any pool process (an idle worker, the pusher, the "
        "monitor): reproduces django-q2's wedge, which the soak detects and restarts",
    )
    parser.add_argument("--max-minutes", type=float, default=None)
    parser.add_argument("--seed", type=int, default=7)
    return parser.parse_args()


def _prepare(arguments: argparse.Namespace) -> tuple[dict[str, str], str]:
    import redis

    database_url = os.environ.get("BENCH_SOAK_DATABASE_URL", DEFAULT_DATABASE_URL)
    media = tempfile.mkdtemp(prefix="well-bench-soak-")
    metrics = Path(media) / "metrics"
    metrics.mkdir()
    env = environment(
        database_url,
        media,
        REDIS_URL=REDIS_URL,
        Q_CLUSTER_NAME=CLUSTER_NAME,
        Q_WORKERS=str(arguments.workers),
        Q_TIMEOUT="120",
        Q_RETRY="150",
        Q_SYNC="0",
        HTTP_READ_TIMEOUT="1.5",
        HTTP_CONNECT_TIMEOUT="2",
        WELL_POST_LEASE_SECONDS=str(arguments.lease),
        WELL_DROPBOX_PAGE_SIZE="100",
        SOAK_LEASE_SECONDS=str(arguments.lease),
        PROMETHEUS_MULTIPROC_DIR=str(metrics),
        LOG_LEVEL="WARNING",
    )
    recreate_database(database_url)
    redis.Redis.from_url(REDIS_URL, socket_timeout=5).flushdb()
    return env, database_url


def _setup_django(env: dict[str, str]) -> None:
    os.environ.update(env)
    import django

    django.setup()
    from django.core.management import call_command
    from django_q.models import Schedule

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    call_command("sync_schedules", verbosity=0)
    Schedule.objects.filter(name="well:sweep").update(minutes=1)


def _faults(sandbox: Any, seed: int, rate: float) -> None:
    from tests.posting_harness import inject_random_faults

    inject_random_faults(sandbox.qonto, seed=seed, probability=rate)
    for path in ("/2/files/list_folder", "/2/files/list_folder/continue", "/2/files/download"):
        sandbox.dropbox.inject_fault(
            path,
            faults=[{"status": 503}, {"status": 429, "retry_after": 1}],
            probability=rate,
            seed=seed + len(path),
        )


def _kick(folders: list[Any]) -> None:
    """The first poll of every folder (the dispatch schedule would queue it within a minute)."""
    from django_q.tasks import async_task

    from reconciliation.models import Connection
    from reconciliation.models import Provider
    from reconciliation.models.audit import SyncTrigger

    for connection_id in Connection.objects.filter(provider=Provider.DROPBOX).values_list(
        "pk", flat=True
    ):
        # The soak's own polls stand in for the schedule's.
        async_task("reconciliation.tasks.sync_file_connection", connection_id, SyncTrigger.SCHEDULE)


def _pending(folders: list[Any]) -> dict[str, int]:
    """What still keeps the soak from being done (all zero when it is)."""
    from django.db.models import Max

    from reconciliation.models import Document
    from reconciliation.models import DocumentStatus
    from reconciliation.models import Invoice
    from reconciliation.models import InvoiceStatus
    from reconciliation.models import Match
    from reconciliation.models import SyncKind
    from reconciliation.models import SyncRun

    files = sum(len(folder.files) for folder in folders)
    documents = Document.objects.count()
    late_windows = 0
    for folder in folders:
        last_read = Document.objects.filter(workspace_id=folder.workspace_id).aggregate(
            m=Max("parsed_at")
        )["m"]
        if last_read is None:
            late_windows += 1  # nothing read yet
            continue
        closed = SyncRun.objects.filter(
            workspace_id=folder.workspace_id,
            kind=SyncKind.POSTING,
            status__in=("succeeded", "partial"),
            started_at__gt=last_read,
        ).exists()
        late_windows += 0 if closed else 1
    return {
        "files not yet documents": max(0, files - documents),
        "to read": Document.objects.filter(
            status__in=(DocumentStatus.NEW, DocumentStatus.PARSING)
        ).count(),
        "to post": Invoice.objects.filter(
            status__in=(
                InvoiceStatus.NEW,
                InvoiceStatus.APPROVED,
                InvoiceStatus.POSTING,
                InvoiceStatus.FAILED,
            )
        ).count(),
        "to attach": Match.objects.to_attach().count(),
        "windows to close": late_windows,
    }


def _make_failed_due() -> int:
    from django.utils import timezone

    from reconciliation.models import Invoice
    from reconciliation.models import InvoiceStatus

    return Invoice.objects.filter(
        status=InvoiceStatus.FAILED, next_attempt_at__gt=timezone.now()
    ).update(next_attempt_at=timezone.now())


def _kill(clusters: list[Any], rng: random.Random, kills: Counter[str], pool_share: float) -> None:
    """Half the time a worker caught reading a document, else a whole cluster (restarted);
    with ``--kill-pool-share``, that share of kills hits any process of a pool instead.

    A single q2 worker SIGKILLed while idle can die holding the lock of its cluster's task
    queue, and the whole cluster then waits forever (django-q2's multiprocessing queue; README,
    operations): by default a lone worker is only killed mid-task; otherwise the cluster dies
    as a whole, as a machine would, and comes back as its supervisor would bring it back."""
    if rng.random() < pool_share and soak_cluster.kill_a_pool_process(clusters, rng):
        kills["pool process (any)"] += 1
    elif rng.random() < 0.5 and soak_cluster.kill_a_reading_worker(clusters, rng):
        kills["worker mid-read"] += 1
    elif soak_cluster.kill_a_cluster(clusters, rng):
        kills["whole cluster"] += 1


def _unwedge(clusters: list[Any], watch: soak_profile.Watch) -> None:
    """A wedged cluster is restarted, as the supervisor would once the alert fires."""
    for cluster in watch.wedged(clusters):
        wedge = watch.wedges[-1]
        print(f"  {wedge.at:6.0f} s  WEDGE {cluster.name}: {wedge.why}; restarting it", flush=True)
        soak_cluster.restart(cluster)
        watch.forget(cluster)


def _run(
    clusters: list[Any], folders: list[Any], arguments: argparse.Namespace, deadline: float
) -> tuple[Counter[str], bool, soak_profile.Watch]:
    rng = random.Random(arguments.seed)
    kills: Counter[str] = Counter()
    watch = soak_profile.Watch()
    next_kill, next_report = time.monotonic() + arguments.kill_every, 0.0
    while time.monotonic() < deadline:
        for cluster in clusters:
            cluster.sample_memory()
        now = time.monotonic()
        if now >= next_kill:
            _kill(clusters, rng, kills, arguments.kill_pool_share)
            next_kill = now + arguments.kill_every * rng.uniform(0.5, 1.5)
        _make_failed_due()
        pending = _pending(folders)
        watch.sample_broker(due=any(pending.values()))
        _unwedge(clusters, watch)
        if now >= next_report:
            waiting = ", ".join(f"{k} {v}" for k, v in pending.items())
            print(
                f"  {now - watch.started:6.0f} s  kills {sum(kills.values()):3}  {waiting}",
                flush=True,
            )
            next_report = now + 30
        if not any(pending.values()):
            return kills, True, watch
        time.sleep(1)
    return kills, False, watch


def main() -> int:
    arguments = _arguments()
    env, database_url = _prepare(arguments)
    _setup_django(env)
    from connectors.sandbox import start_sandbox

    max_minutes = arguments.max_minutes or 10 + arguments.documents / 40
    with start_sandbox() as sandbox:
        from bench import soak_corpus
        from bench.soak_report import ledger
        from bench.soak_report import report

        for name, value in sandbox.settings().items():
            env[name] = str(value)
        from django.conf import settings

        for name, value in sandbox.settings().items():
            setattr(settings, name, value)
        print(f"Soak: building {arguments.documents} documents …", flush=True)
        folders = soak_corpus.build(sandbox, arguments.documents, arguments.seed)
        _faults(sandbox, arguments.seed, arguments.fault_rate)
        clusters = soak_cluster.start(arguments.clusters, env, ROOT / "bench" / "out")
        cpu = soak_profile.CpuLedger(database_url.rsplit("/", 1)[-1])
        stop_sampling = threading.Event()
        soak_profile.start_sampler(clusters, cpu, stop_sampling)
        started = time.monotonic()
        try:
            _kick(folders)
            kills, drained, watch = _run(clusters, folders, arguments, started + max_minutes * 60)
            elapsed = time.monotonic() - started
        finally:
            stop_sampling.set()
            soak_cluster.stop(clusters)
        accounts = ledger(sandbox, folders)
    profile = soak_profile.Profile(
        cpu.seconds(), soak_profile.task_times(env["PROMETHEUS_MULTIPROC_DIR"]), watch
    )
    return report(
        arguments,
        database_url,
        clusters,
        accounts,
        kills=kills,
        drained=drained,
        elapsed=elapsed,
        profile=profile,
    )


if __name__ == "__main__":
    sys.exit(main())
