"""The worker's persistent PDF reader: reused across documents, replaced after any breach or
crash, recycled, fork- and thread-safe, stripped of secrets and Django, gone at exit."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from reconciliation.extraction.isolation import CODE_ROOT
from reconciliation.extraction.isolation import ExtractionFailure
from reconciliation.extraction.isolation import Limits
from reconciliation.extraction.isolation import extract_isolated
from reconciliation.extraction.isolation import reader_pid
from reconciliation.extraction.isolation import stop_reader
from reconciliation.extraction.types import Extraction
from tests.test_hostile_pdfs import INVOICE_WORDS
from tests.test_hostile_pdfs import content_stream_bomb
from tests.test_hostile_pdfs import hanging_pdf
from tests.test_hostile_pdfs import invoice_pdf

LIMITS = Limits(memory_mb=256, cpu_seconds=3, wall_seconds=5, max_pages=50)


@pytest.fixture(autouse=True)
def no_reader_before_or_after() -> Iterator[None]:
    stop_reader()
    yield
    stop_reader()


@pytest.fixture(scope="module")
def invoice(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("normal") / "invoice.pdf"
    path.write_bytes(invoice_pdf())
    return path


@pytest.fixture(scope="module")
def hanging(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("hostile") / "hanging.pdf"
    path.write_bytes(hanging_pdf())
    return path


def read_words(path: Path, limits: Limits = LIMITS) -> list[str]:
    outcome = extract_isolated(path, limits=limits)
    assert isinstance(outcome, Extraction), outcome
    return [word.text for word in outcome.words]


def warm_reader(invoice: Path) -> int:
    """Read ``invoice`` so the persistent reader runs; its process id."""
    read_words(invoice)
    pid = reader_pid()
    assert pid is not None
    return pid


def is_gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return True
    return state in {"Z", "X"}


def wait_until_gone(pid: int) -> None:
    for _ in range(200):
        if is_gone(pid):
            return
        time.sleep(0.01)


def test_reader_is_reused_across_documents(invoice: Path) -> None:
    pids = []
    for _ in range(3):
        assert read_words(invoice) == INVOICE_WORDS
        pids.append(reader_pid())

    assert pids[0] is not None
    assert pids == [pids[0]] * 3


def test_reader_is_replaced_after_cpu_breach(invoice: Path, hanging: Path) -> None:
    before = warm_reader(invoice)

    outcome = extract_isolated(hanging, limits=Limits(cpu_seconds=2, wall_seconds=30))

    assert outcome == ExtractionFailure(
        "cpu",
        "Reading the PDF needed more than 2 s of processing time and was stopped.",
        detail="exit status -24; ",
    )
    assert is_gone(before)
    assert read_words(invoice) == INVOICE_WORDS
    assert reader_pid() not in {None, before}


def test_reader_is_killed_and_replaced_after_wall_timeout(invoice: Path, hanging: Path) -> None:
    before = warm_reader(invoice)

    outcome = extract_isolated(hanging, limits=Limits(cpu_seconds=60, wall_seconds=1.5))

    assert outcome == ExtractionFailure(
        "timeout", "Reading the PDF took longer than 1.5 s and was stopped.", "wall time 1.5 s"
    )
    assert reader_pid() is None
    assert is_gone(before)
    assert read_words(invoice) == INVOICE_WORDS
    assert reader_pid() not in {None, before}


def test_reader_is_replaced_after_memory_breach(invoice: Path, tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.pdf"
    bomb.write_bytes(content_stream_bomb())
    before = warm_reader(invoice)

    outcome = extract_isolated(bomb, limits=LIMITS)

    assert isinstance(outcome, ExtractionFailure)
    assert outcome.code == "memory"
    assert reader_pid() is None
    assert read_words(invoice) == INVOICE_WORDS
    assert reader_pid() not in {None, before}


def test_reader_kept_after_an_ordinary_failure(invoice: Path, tmp_path: Path) -> None:
    damaged = tmp_path / "damaged.pdf"
    damaged.write_bytes(b"%PDF-1.7\nthis is not a PDF body at all\n%%EOF\n")
    before = warm_reader(invoice)

    outcome = extract_isolated(damaged, limits=LIMITS)

    assert isinstance(outcome, ExtractionFailure)
    assert outcome.code == "unreadable"
    assert reader_pid() == before


def test_reader_killed_while_idle_is_replaced_without_failing_the_next_document(
    invoice: Path,
) -> None:
    before = warm_reader(invoice)
    os.kill(before, signal.SIGKILL)
    wait_until_gone(before)

    assert read_words(invoice) == INVOICE_WORDS
    assert reader_pid() not in {None, before}


def signal_reader_soon(pid: int, number: signal.Signals) -> threading.Timer:
    timer = threading.Timer(0.5, os.kill, args=(pid, number))
    timer.start()
    return timer


@pytest.mark.parametrize(
    ("number", "code", "reason"),
    [
        (
            signal.SIGSEGV,
            "crashed",
            "The PDF reader crashed on this file (SIGSEGV); the file is probably damaged.",
        ),
        (
            signal.SIGKILL,
            "killed",
            "Reading the PDF was stopped by the system, most likely because the server ran"
            " short of memory; it can be retried.",
        ),
    ],
    ids=["segfault_case", "outside_sigkill_case"],
)
def test_reader_dying_mid_document_is_reported_and_replaced(
    invoice: Path, hanging: Path, number: signal.Signals, code: str, reason: str
) -> None:
    before = warm_reader(invoice)
    timer = signal_reader_soon(before, number)

    outcome = extract_isolated(hanging, limits=Limits(cpu_seconds=60, wall_seconds=30))
    timer.join()

    assert isinstance(outcome, ExtractionFailure)
    assert (outcome.code, outcome.reason) == (code, reason)
    assert read_words(invoice) == INVOICE_WORDS
    assert reader_pid() not in {None, before}


def test_reader_recycled_after_documents_per_child(invoice: Path) -> None:
    limits = Limits(documents_per_child=2)
    pids = []
    for _ in range(3):
        read_words(invoice, limits)
        pids.append(reader_pid())

    assert pids[0] is not None
    assert pids[1] is None
    assert pids[2] not in {None, pids[0]}


def test_reader_recycled_when_resident_memory_passes_the_mark(invoice: Path) -> None:
    read_words(invoice, Limits(recycle_rss_mb=1))

    assert reader_pid() is None


def test_fresh_child_leaves_the_persistent_reader_alone(invoice: Path, hanging: Path) -> None:
    before = warm_reader(invoice)

    fine = extract_isolated(invoice, limits=LIMITS, fresh_child=True)
    hung = extract_isolated(
        hanging, limits=Limits(cpu_seconds=60, wall_seconds=1.5), fresh_child=True
    )

    assert isinstance(fine, Extraction)
    assert [word.text for word in fine.words] == INVOICE_WORDS
    assert isinstance(hung, ExtractionFailure)
    assert hung.code == "timeout"
    assert reader_pid() == before


def test_threads_share_one_reader(invoice: Path) -> None:
    before = warm_reader(invoice)

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: read_words(invoice), range(12)))

    assert results == [INVOICE_WORDS] * 12
    assert reader_pid() == before


def test_forked_worker_starts_its_own_reader(invoice: Path) -> None:
    read_words(invoice)
    parent_reader = reader_pid()
    read_end, write_end = os.pipe()

    pid = os.fork()
    if pid == 0:  # the forked worker, as django-q2 makes them
        try:
            os.close(read_end)
            words = read_words(invoice)
            os.write(write_end, f"{reader_pid()} {words == INVOICE_WORDS}".encode())
        finally:
            os._exit(0)
    os.close(write_end)
    answer = os.read(read_end, 100).decode()
    os.close(read_end)
    os.waitpid(pid, 0)

    forked_reader, words_ok = answer.split()
    assert words_ok == "True"
    assert forked_reader not in {"None", str(parent_reader)}
    assert reader_pid() == parent_reader
    assert read_words(invoice) == INVOICE_WORDS


def test_reader_environment_carries_no_secrets(
    invoice: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SECRET_KEY", "do-not-leak")
    monkeypatch.setenv("WELL_MASTER_KEY", "do-not-leak-either")
    read_words(invoice)
    pid = reader_pid()

    raw = Path(f"/proc/{pid}/environ").read_bytes()
    names = {entry.split(b"=", 1)[0].decode() for entry in raw.split(b"\0") if entry}

    passed = {name for name in ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ") if name in os.environ}
    assert names == passed | {
        "PYTHONPATH",
        "PYTHONDONTWRITEBYTECODE",
        "PYTHONIOENCODING",
        "OMP_THREAD_LIMIT",
    }


def test_reader_runs_under_process_limits(invoice: Path) -> None:
    read_words(invoice)
    rows = Path(f"/proc/{reader_pid()}/limits").read_text().splitlines()
    limits = {row[:26].strip(): row[26:].split()[:2] for row in rows[1:]}

    assert limits["Max file size"] == ["0", "0"]
    assert limits["Max core file size"] == ["0", "0"]
    assert limits["Max open files"] == ["64", "64"]
    assert limits["Max processes"] == ["0", "0"]
    # Between documents the per-document limits are lifted again.
    assert limits["Max address space"] == ["unlimited", "unlimited"]
    assert limits["Max cpu time"] == ["unlimited", "unlimited"]


def test_reader_does_not_import_django() -> None:
    finished = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "reconciliation.extraction.child"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        cwd=CODE_ROOT,
        env={"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(CODE_ROOT)},
        timeout=60,
        check=True,
    )
    imported = {
        line.rsplit("|", 1)[1].strip()
        for line in finished.stderr.decode().splitlines()
        if line.startswith("import time:") and "|" in line
    }

    assert finished.stdout.startswith(b'{"type":"ready","pid":')
    assert "pdfplumber" in imported
    assert sorted(name for name in imported if name.split(".")[0] == "django") == []


def test_reader_does_not_outlive_the_worker(invoice: Path) -> None:
    script = (
        "from pathlib import Path\n"
        "from reconciliation.extraction.isolation import extract_isolated, reader_pid\n"
        f"extract_isolated(Path({str(invoice)!r}))\n"
        "print(reader_pid())\n"
    )
    finished = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        cwd=CODE_ROOT,
        timeout=60,
        check=True,
    )
    pid = int(finished.stdout)

    assert is_gone(pid)
