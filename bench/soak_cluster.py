"""The soak's ``qcluster`` processes: start, SIGKILL a worker at random, sample memory, stop."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from contextlib import suppress
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

from tests.processes import children
from tests.processes import descendants

ROOT = Path(__file__).resolve().parents[1]
WORKER_SCRIPT = ROOT / "bench" / "soak_worker.py"


def _is_ours(pid: int) -> bool:
    try:
        return str(WORKER_SCRIPT).encode() in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def below(tree: dict[int, list[int]], pid: int) -> list[int]:
    """Every process under ``pid`` in a ``children()`` tree."""
    found, todo = [], list(tree.get(pid, []))
    while todo:
        found.append(todo.pop())
        todo += tree.get(found[-1], [])
    return found


def _peak_kib(pid: int) -> int:
    """VmHWM: the process's peak resident memory so far."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _cpu_ticks(pid: int) -> int:
    """User + system CPU ticks of a process so far (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])


@dataclass
class Cluster:
    name: str
    process: subprocess.Popen[bytes]
    env: dict[str, str]
    log: Path
    peak_kib: dict[int, int] = field(default_factory=dict)
    reader_ticks: dict[int, int] = field(default_factory=dict)

    def pool(self) -> list[int]:
        """The processes the sentinel runs (q2 workers, monitor, pusher)."""
        tree = children()
        sentinels = tree.get(self.process.pid, [])
        return [pid for s in sentinels for pid in tree.get(s, []) if _is_ours(pid)]

    def family(self) -> list[int]:
        """The cluster's own processes: qcluster, sentinel and pool (not the readers)."""
        return [pid for pid in (self.process.pid, *descendants(self.process.pid)) if _is_ours(pid)]

    def reading_workers(self) -> list[int]:
        """Workers reading a document right now: a reader below them (under bubblewrap) used
        CPU since the last look (a worker waiting on its reader holds none of the cluster's
        queue locks)."""
        tree = children()
        busy = []
        for pid in self.pool():
            ticks = sum(_cpu_ticks(child) for child in below(tree, pid))
            if ticks > self.reader_ticks.get(pid, ticks):
                busy.append(pid)
            self.reader_ticks[pid] = ticks
        return busy

    def sample_memory(self) -> None:
        for pid in self.pool():
            self.peak_kib[pid] = max(self.peak_kib.get(pid, 0), _peak_kib(pid))


def _spawn(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as output:
        return subprocess.Popen(
            [sys.executable, str(WORKER_SCRIPT)],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )


def start(count: int, env: dict[str, str], log_dir: Path) -> list[Cluster]:
    log_dir.mkdir(parents=True, exist_ok=True)
    clusters = []
    for n in range(count):
        log = log_dir / f"soak-qcluster-{n + 1}.log"
        log.write_bytes(b"")
        clusters.append(Cluster(f"qcluster {n + 1}", _spawn(env, log), env, log))
    return clusters


def _kill_one(pids: list[int], rng: random.Random) -> bool:
    """SIGKILL one of ``pids`` at random; False when there is none (or it was already gone)."""
    if not pids:
        return False
    with suppress(ProcessLookupError):
        os.kill(rng.choice(pids), signal.SIGKILL)
        return True
    return False


def kill_a_reading_worker(clusters: list[Cluster], rng: random.Random) -> bool:
    """SIGKILL a worker caught reading a document (q2's guard starts a new one)."""
    for cluster in clusters:
        cluster.reading_workers()  # the readers' CPU ticks now …
    time.sleep(0.5)
    busy = [pid for cluster in clusters for pid in cluster.reading_workers()]  # … and 0.5 s on
    return _kill_one(busy, rng)


def kill_a_pool_process(clusters: list[Cluster], rng: random.Random) -> bool:
    """SIGKILL any process of a cluster's pool — an idle worker, the pusher or the monitor —
    which may leave one of the cluster's queue locks taken (the wedge the soak watches for)."""
    return _kill_one([pid for cluster in clusters for pid in cluster.pool()], rng)


def kill_a_cluster(clusters: list[Cluster], rng: random.Random) -> bool:
    """SIGKILL a whole qcluster (sentinel, workers, pusher, monitor, readers) — a machine lost —
    and start it again, as its supervisor would."""
    restart(rng.choice(clusters))
    return True


def restart(cluster: Cluster) -> None:
    """SIGKILL the cluster's whole tree and start it again."""
    family = descendants(cluster.process.pid)
    cluster.sample_memory()
    for pid in [cluster.process.pid, *family]:
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    cluster.process.wait()
    cluster.process = _spawn(cluster.env, cluster.log)


def stop(clusters: list[Cluster]) -> None:
    for cluster in clusters:
        family = descendants(cluster.process.pid)
        cluster.process.send_signal(signal.SIGTERM)
        try:
            cluster.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            cluster.process.send_signal(signal.SIGKILL)
            cluster.process.wait()
        for pid in family:
            if _is_ours(pid):
                with suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
