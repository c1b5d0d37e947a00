"""Where the soak's time goes, and whether a cluster stopped working.

- CPU by kind of process, read from /proc once a second: the q2 processes (polling, routing,
  posting and matching windows, the sentinel, pusher and monitor), the PDF readers (children the
  workers reaped), PostgreSQL's backends of the soak database, and this process (the bench's loop
  on its main thread, the emulators on the others).
- Task time by task (``well_task_seconds``, read from the clusters' shared
  ``PROMETHEUS_MULTIPROC_DIR``) and provider calls, and how busy the workers were.
- The broker's queue: how long work was queued, how long nothing was queued while the soak was
  not done (work waiting on a schedule, a lease or a backoff rather than on a worker).
- Wedges: a cluster whose in-memory task queue holds tasks (or whose result queue holds
  results) while its workers (or its monitor) have used no CPU for ``WEDGE_SECONDS``. That is
  django-q2's ``multiprocessing.Queue`` lock left taken by a SIGKILLed process (README,
  operations); the soak restarts the cluster, as the supervisor's alert would.
"""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import Any

from bench.soak_cluster import below
from tests.processes import children

WEDGE_SECONDS = 90.0


def _stat_fields(path: Path) -> list[str] | None:
    try:
        return path.read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def _ticks(path: Path) -> tuple[int, int]:
    """(own user+system ticks, reaped children's ticks) of /proc/<pid>[/task/<tid>]/stat."""
    fields = _stat_fields(path)
    if fields is None:
        return 0, 0
    return int(fields[11]) + int(fields[12]), int(fields[13]) + int(fields[14])


def _postgres_backends(database: str) -> list[int]:
    marker = f" {database} ".encode()
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            text = cmdline.read_bytes()
        except OSError:
            continue
        if text.startswith(b"postgres:") and marker in text:
            found.append(int(cmdline.parent.name))
    return found


@dataclass
class CpuLedger:
    """Last CPU ticks seen per (kind, pid): a process that dies keeps what it had used."""

    database: str
    bench_threads: set[int] = field(default_factory=lambda: {os.getpid()})
    seen: dict[tuple[str, int], int] = field(default_factory=dict)

    def _note(self, kind: str, pid: int, ticks: int) -> None:
        self.seen[(kind, pid)] = max(self.seen.get((kind, pid), 0), ticks)

    def sample(self, clusters: list[Any]) -> None:
        tree = children()
        for cluster in clusters:
            pool = set(cluster.pool())
            for pid in cluster.family():
                own, reaped = _ticks(Path(f"/proc/{pid}/stat"))
                self._note("q2 processes (poll, read+route, windows)", pid, own)
                if pid in pool:  # readers reaped, plus the worker's live reader
                    live = sum(_ticks(Path(f"/proc/{c}/stat"))[0] for c in below(tree, pid))
                    self._note("PDF readers", pid, reaped + live)
        for pid in _postgres_backends(self.database):
            own = _ticks(Path(f"/proc/{pid}/stat"))[0]
            self._note("PostgreSQL (the soak's backends)", pid, own)
        me = os.getpid()
        for task in Path(f"/proc/{me}/task").iterdir():
            tid = int(task.name)
            kind = "bench loop" if tid in self.bench_threads else "emulators (bench threads)"
            self._note(kind, tid, _ticks(task / "stat")[0])

    def seconds(self) -> dict[str, float]:
        total: Counter[str] = Counter()
        for (kind, _), ticks in self.seen.items():
            total[kind] += ticks
        hertz = os.sysconf("SC_CLK_TCK")
        return {kind: ticks / hertz for kind, ticks in total.most_common()}


@dataclass
class Wedge:
    cluster: str
    at: float
    why: str


@dataclass
class _Progress:
    since: float
    ticks: int


@dataclass
class Watch:
    """Broker depth over time, and the wedge detector."""

    started: float = field(default_factory=time.monotonic)
    samples: int = 0
    queued_samples: int = 0
    idle_while_due: int = 0
    depth_total: int = 0
    wedges: list[Wedge] = field(default_factory=list)
    progress: dict[tuple[str, str], _Progress] = field(default_factory=dict)

    def sample_broker(self, *, due: bool) -> None:
        from django_q.brokers import get_broker

        depth = int(get_broker().queue_size() or 0)
        self.samples += 1
        self.depth_total += depth
        self.queued_samples += depth > 0
        self.idle_while_due += depth == 0 and due

    def wedged(self, clusters: list[Any]) -> list[Any]:
        """Clusters stuck for WEDGE_SECONDS (recorded); the caller restarts them."""
        from django_q.status import Stat

        stats = {stat.pid: stat for stat in Stat.get_all()}
        now = time.monotonic()
        stuck = []
        for cluster in clusters:
            stat = stats.get(cluster.process.pid)
            if stat is None:
                continue
            checks = (
                ("task queue", stat.task_q_size, stat.workers),
                ("result queue", stat.done_q_size, [stat.monitor]),
            )
            for queue, size, pids in checks:
                why = self._stuck(cluster.name, queue, size, pids, now)
                if why:
                    self.wedges.append(Wedge(cluster.name, now - self.started, why))
                    stuck.append(cluster)
                    break
        return stuck

    def _stuck(self, name: str, queue: str, size: int, pids: list[int], now: float) -> str:
        ticks = sum(_ticks(Path(f"/proc/{pid}/stat"))[0] for pid in pids)
        key = (name, queue)
        last = self.progress.get(key)
        if size == 0 or last is None or ticks != last.ticks:
            self.progress[key] = _Progress(now, ticks)
            return ""
        if now - last.since < WEDGE_SECONDS:
            return ""
        del self.progress[key]
        return f"{size} in its {queue}, no CPU used for {now - last.since:.0f} s"

    def forget(self, cluster: Any) -> None:
        for key in [k for k in self.progress if k[0] == cluster.name]:
            del self.progress[key]


@dataclass
class Profile:
    cpu_seconds: dict[str, float]
    histograms: dict[str, dict[str, tuple[int, float]]]
    watch: Watch

    def rows(self, *, elapsed: float, workers: int) -> list[tuple[str, Any]]:
        cpu = sum(self.cpu_seconds.values())
        tasks = self.histograms.get("well_task_seconds", {})
        busy = sum(seconds for _, seconds in tasks.values())
        calls = self.histograms.get("well_provider_call_seconds", {})
        watch = self.watch
        rows: list[tuple[str, Any]] = [
            (
                "CPU by process",
                ", ".join(
                    f"{kind} {s:.0f} s ({s / cpu:.0%})" for kind, s in self.cpu_seconds.items()
                )
                + f"; {cpu / elapsed:.2f} of the 2 cores",
            ),
            ("workers busy (task time / worker time)", f"{busy / (workers * elapsed):.0%}"),
        ]
        for task, (n, seconds) in sorted(tasks.items(), key=lambda row: -row[1][1]):
            rows.append((f"  task {task}", f"{n} runs, {seconds:.0f} s, mean {seconds / n:.2f} s"))
        for provider, (n, seconds) in sorted(calls.items()):
            rows.append((f"  calls to {provider}", f"{n}, {seconds:.0f} s waiting"))
        rows += [
            (
                "broker queue",
                f"tasks queued {watch.queued_samples / max(1, watch.samples):.0%} of the time "
                f"(mean depth {watch.depth_total / max(1, watch.samples):.1f}); empty while "
                f"work was pending {watch.idle_while_due / max(1, watch.samples):.0%}",
            ),
            (
                "cluster wedges (restarted)",
                "; ".join(f"{w.cluster} at {w.at:.0f} s: {w.why}" for w in watch.wedges) or "none",
            ),
        ]
        return rows


def task_times(directory: str) -> dict[str, dict[str, tuple[int, float]]]:
    """{metric: {label: (count, seconds)}} of the clusters' histograms."""
    from prometheus_client import CollectorRegistry
    from prometheus_client import multiprocess

    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=directory)  # type: ignore[no-untyped-call]
    found: dict[str, dict[str, list[float]]] = {}
    for metric in registry.collect():
        for sample in metric.samples:
            for suffix, slot in (("_count", 0), ("_sum", 1)):
                if sample.name.endswith(suffix) and sample.labels:
                    label = next(iter(sample.labels.values()))
                    row = found.setdefault(metric.name, {}).setdefault(label, [0, 0.0])
                    row[slot] += sample.value
    return {
        name: {label: (int(n), s) for label, (n, s) in rows.items()} for name, rows in found.items()
    }


def start_sampler(clusters: list[Any], ledger: CpuLedger, stop: threading.Event) -> None:
    """Sample CPU once a second on a thread of its own (the bench loop may block on queries)."""

    def loop() -> None:
        ledger.bench_threads.add(threading.get_native_id())
        while not stop.wait(1.0):
            ledger.sample(clusters)

    threading.Thread(target=loop, name="soak-cpu-sampler", daemon=True).start()
