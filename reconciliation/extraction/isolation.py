"""Run PDF extraction in an isolated, resource-limited reader process.

``extract_isolated`` never raises because of what is inside a PDF: a file that is empty, not a
PDF, too big, truncated, encrypted, too long, recursive, a decompression bomb, scripted, or that
hangs or crashes the parser comes back as an ``ExtractionFailure`` whose ``reason`` a finance
person can act on, and the worker carries on with the next document.

Cheap checks run here first (size, magic bytes, the end-of-file marker). The rest happens in
``python -m reconciliation.extraction.child`` under memory, CPU, file-size and process limits,
while this side enforces wall time and kills the reader's whole process group on a breach.

Starting a reader costs about half a second (Python, pdfplumber, warm-up), more than a typical
invoice takes to read, so each worker process keeps ONE reader and feeds it documents over a
pipe. The reader is replaced after any breach or crash, and recycled after
``Limits.documents_per_child`` documents or once its resident memory passes
``Limits.recycle_rss_mb``. ``fresh_child=True`` spends a new reader on every document instead.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import os
import selectors
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from typing import Any

from reconciliation.extraction.sandbox import SandboxUnavailableError
from reconciliation.extraction.sandbox import innermost_pid
from reconciliation.extraction.sandbox import is_gone
from reconciliation.extraction.sandbox import open_sandbox
from reconciliation.extraction.sandbox import wait_gone
from reconciliation.extraction.types import Extraction
from reconciliation.extraction.types import OcrMode

logger = logging.getLogger(__name__)

MIB = 1024 * 1024
#: The directory holding the ``reconciliation`` package, put on the reader's PYTHONPATH.
CODE_ROOT = Path(__file__).resolve().parents[2]
#: Generous: a cold start on a busy machine imports pdfplumber, pypdf and the engine.
START_SECONDS = 60.0
#: Only these variables reach the reader; it never sees SECRET_KEY, the master key or tokens.
PASSED_ENVIRONMENT = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ")


@dataclass(frozen=True)
class Limits:
    memory_mb: int = 512  # address space one document may add to the reader
    cpu_seconds: int = 20
    wall_seconds: float = 30
    max_pages: int = 50
    max_bytes: int = 20 * MIB
    documents_per_child: int = 500  # then the reader is replaced, whatever its health
    recycle_rss_mb: int = 400  # a reader grown past this after a document is replaced


@dataclass(frozen=True)
class ExtractionFailure:
    code: str  # stable, for filters and metrics: see REASONS
    reason: str  # one sentence for the person handling the document
    detail: str = ""  # technical detail for logs and support, never shown as the reason


#: Every code ``extract_isolated`` can return, with how its reason starts.
CODES = (
    "empty",
    "too_large",
    "not_pdf",
    "truncated",
    "encrypted",
    "too_many_pages",
    "unreadable",
    "recursion",
    "memory",
    "cpu",
    "timeout",
    "killed",
    "crashed",
    "active_content",
    "image_too_large",
    "page_too_large",
)

#: What a file that is not a PDF usually is, by its first bytes.
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"PK\x03\x04", "a ZIP archive"),
    (b"PK\x05\x06", "a ZIP archive"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Microsoft Office document"),
    (b"{\\rtf", "an RTF document"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"%!PS", "a PostScript file"),
)


def extract_isolated(
    path: Path,
    *,
    use_xml: bool = True,
    limits: Limits | None = None,
    fresh_child: bool = False,
    ocr: OcrMode = "auto",
    workspace: int | None = None,
    ourselves: dict[str, list[str]] | None = None,
) -> Extraction | ExtractionFailure:
    """Read one PDF in the reader process; see the module docstring.

    ``ocr`` is the engine's OCR mode: "auto" (pages without a usable text layer), "force"
    (every page, the text layer ignored) or "off". ``workspace`` keys the persistent reader:
    a document of another workspace gets a fresh reader (see ``sandbox`` for its confinement).
    ``ourselves`` names the workspace's company (``names``, ``vat_ids``, ``ibans``): the
    reader never returns them as the supplier's.

    Raises ``OSError`` when ``path`` cannot be opened here and ``ReaderStartError`` when no
    reader process can be started: neither is the document's fault, so the caller should
    retry later rather than mark the document failed.
    """
    limits = limits or Limits()
    failure = screen_file(path, max_bytes=limits.max_bytes)
    if failure is not None:
        return failure
    request = {
        "type": "extract",
        "path": str(Path(path).resolve()),
        "use_xml": use_xml,
        "max_pages": limits.max_pages,
        "memory_mb": limits.memory_mb,
        "cpu_seconds": limits.cpu_seconds,
        "wall_seconds": limits.wall_seconds,
        "ocr": ocr,
        "ourselves": ourselves or {},
    }
    if fresh_child:
        reader = _Reader()
        try:
            return reader.read(request, limits)
        finally:
            reader.close()
    return _pool.read(request, limits, workspace)


def screen_file(path: Path, *, max_bytes: int) -> ExtractionFailure | None:
    """The checks that need no parser: size, what the file really is, and whether it ends.

    Syncing can call this on download to record a file as ignored without queueing a parse.
    """
    with open(path, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        if size == 0:
            return ExtractionFailure(
                "empty", "The file is empty (0 bytes); ask the supplier to send it again."
            )
        if size > max_bytes:
            return ExtractionFailure(
                "too_large",
                f"The file is {_megabytes(size)}; the limit is {_megabytes(max_bytes)}.",
            )
        head = handle.read(1024)
        handle.seek(max(0, size - 1024))
        tail = handle.read()
    # Readers accept the header anywhere in the first kilobyte, after stray bytes; but a ZIP
    # holding a small uncompressed PDF has one there too, so known formats are ruled out first.
    looks_like = _looks_like(head)
    if looks_like or b"%PDF-" not in head:
        return ExtractionFailure(
            "not_pdf",
            f"The file is not a PDF (it looks like {looks_like})."
            if looks_like
            else "The file is not a PDF.",
            detail=f"first bytes {head[:16]!r}",
        )
    # Acrobat's rule: the %%EOF marker sits within the last kilobyte. Without it the file was
    # cut off in transfer, and a parser would happily return whatever half it could read.
    if b"%%EOF" not in tail:
        return ExtractionFailure(
            "truncated",
            "The PDF is incomplete (it was cut off, probably during upload or download); "
            "ask the supplier to send it again.",
            detail=f"no %%EOF in the last 1024 of {size} bytes",
        )
    return None


def reader_pid() -> int | None:
    """The PID of this worker's persistent reader process, if one is running."""
    return _pool.pid()


def stop_reader() -> None:
    """Stop this worker's persistent reader (the next document starts a new one)."""
    _pool.close()


class ReaderStartError(RuntimeError):
    """The reader process could not be started: an installation problem, not a bad PDF."""


def _looks_like(head: bytes) -> str | None:
    for magic, description in _SIGNATURES:
        if head.startswith(magic):
            return description
    text = head.removeprefix(b"\xef\xbb\xbf").lstrip().lower()
    if text.startswith((b"<!doctype html", b"<html")):
        return "a web page (HTML)"
    if text.startswith(b"<?xml"):
        return "an XML file; if it is an e-invoice, ask for the PDF version"
    return None


def _megabytes(size: int) -> str:
    return f"{size / MIB:.1f} MB" if size % MIB else f"{size // MIB} MB"


def _failure(code: str, limits: Limits, *, detail: str = "", **facts: Any) -> ExtractionFailure:
    return ExtractionFailure(code, _reason(code, limits, **facts), detail)


def _reason(code: str, limits: Limits, **facts: Any) -> str:
    if code == "encrypted":
        return "The PDF is protected with a password; ask the supplier for an unprotected copy."
    if code == "too_many_pages":
        count = facts.get("page_count")
        if isinstance(count, int) and count > limits.max_pages:
            return f"The PDF has {count} pages; the limit is {limits.max_pages}."
        return f"The PDF has more than {limits.max_pages} pages, the limit."
    if code == "recursion":
        return (
            "The PDF's internal structure loops back on itself or is nested too deeply to "
            "read; the file is damaged or deliberately malformed."
        )
    if code == "memory":
        return f"Reading the PDF needed more than {limits.memory_mb} MB of memory and was stopped."
    if code == "cpu":
        return (
            f"Reading the PDF needed more than {limits.cpu_seconds} s of processing time "
            "and was stopped."
        )
    if code == "timeout":
        return f"Reading the PDF took longer than {limits.wall_seconds:g} s and was stopped."
    if code == "killed":
        return (
            "Reading the PDF was stopped by the system, most likely because the server ran "
            "short of memory; it can be retried."
        )
    if code == "crashed":
        signal_name = facts.get("signal_name")
        how = f" ({signal_name})" if signal_name else ""
        return f"The PDF reader crashed on this file{how}; the file is probably damaged."
    if code == "active_content":
        return (
            "The PDF contains scripts or actions that an invoice never needs; it was not "
            "processed. Ask the supplier for a plain PDF."
        )
    if code == "image_too_large":
        width, height = facts.get("image") or (0, 0)
        return (
            f"The PDF contains an image of {width} x {height} pixels, far larger than any "
            "scan; it was not processed."
        )
    if code == "page_too_large":
        return (
            "A page of the PDF is too large to read as a scan (larger than any paper "
            "format); it was not processed."
        )
    return "The PDF is damaged and could not be read; ask the supplier to send it again."


class _ReaderDied(Exception):
    pass


class _ReaderTimedOut(Exception):
    pass


class _Reader:
    """One reader process and the protocol to it. Not thread-safe: the pool holds a lock."""

    def __init__(self) -> None:
        environment = {name: os.environ[name] for name in PASSED_ENVIRONMENT if name in os.environ}
        environment |= {
            "PYTHONPATH": str(CODE_ROOT),
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONIOENCODING": "utf-8",
            # Tesseract's OpenMP: one thread, within the reader's no-new-threads limit.
            "OMP_THREAD_LIMIT": "1",
        }
        started = time.monotonic()
        try:
            self.sandbox = open_sandbox()
            self.process = subprocess.Popen(  # noqa: S603 (our own command line)
                self.sandbox.command(
                    [sys.executable, "-P", "-m", "reconciliation.extraction.child"]
                ),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                cwd=self.sandbox.cwd,
                env=environment,
                start_new_session=True,  # its own process group, killed as a whole
                close_fds=True,
            )
        except (OSError, SandboxUnavailableError) as exc:
            raise ReaderStartError(f"cannot start the PDF reader: {exc}") from exc
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        assert self.process.stderr is not None
        self.owner = os.getpid()
        self.documents = 0
        self.requests = 0
        self.rss_kb = 0
        self._stdin: IO[bytes] = self.process.stdin
        self._stdout_fd = self.process.stdout.fileno()
        self._buffer = bytearray()
        self.stderr_tail: deque[str] = deque(maxlen=40)
        self._drain = threading.Thread(
            target=self._drain_stderr,
            args=(self.process.stderr,),
            name=f"pdf-reader-{self.process.pid}-stderr",
            daemon=True,
        )
        self._drain.start()
        try:
            hello = self._receive(time.monotonic() + START_SECONDS)
        except (_ReaderDied, _ReaderTimedOut) as exc:
            self.close()
            self._drain.join(timeout=2)
            raise ReaderStartError(
                f"the PDF reader did not start: {type(exc).__name__}; "
                + " | ".join(self.stderr_tail)[-2000:]
            ) from exc
        if hello.get("type") != "ready":
            self.close()
            raise ReaderStartError(f"the PDF reader said {hello!r} instead of ready")
        self._pid = innermost_pid(self.process.pid)  # the reader itself, inside bubblewrap
        logger.debug("PDF reader %s ready in %.2f s", self._pid, time.monotonic() - started)

    @property
    def pid(self) -> int:
        return getattr(self, "_pid", self.process.pid)

    def is_alive(self) -> bool:
        return self.process.poll() is None and not is_gone(self.pid)

    def send(self, request: dict[str, Any]) -> None:
        """Raises BrokenPipeError when the reader has gone away before reading."""
        self._stdin.write(json.dumps(request).encode() + b"\n")
        self._stdin.flush()

    def read(self, request: dict[str, Any], limits: Limits) -> Extraction | ExtractionFailure:
        """Send one document and wait for its answer. Leaves the reader dead on any breach."""
        self.requests += 1
        staged = self.sandbox.stage(Path(request["path"]))
        request = {**request, "id": self.requests, "path": str(staged)}
        try:
            self.send(request)
            return self.answer(request, limits)
        finally:
            self.sandbox.unstage()

    def answer(self, request: dict[str, Any], limits: Limits) -> Extraction | ExtractionFailure:
        deadline = time.monotonic() + limits.wall_seconds
        try:
            answer = self._receive(deadline)
        except _ReaderTimedOut:
            logger.info("PDF reader %s exceeded %g s; killing it", self.pid, limits.wall_seconds)
            self.kill()
            return _failure("timeout", limits, detail=f"wall time {limits.wall_seconds:g} s")
        except _ReaderDied:
            return self._death(limits)
        self.documents += 1
        if answer.get("type") != "result" or answer.get("id") != request["id"]:
            self.kill()
            return _failure("crashed", limits, detail=f"unexpected answer {str(answer)[:200]}")
        self.rss_kb = int(answer.get("rss_kb", 0))
        if answer.get("ok"):
            return Extraction.from_json(answer["extraction"])
        code = str(answer.get("code", "unreadable"))
        if code == "memory":
            self.close()  # whatever survived a MemoryError is not trusted with the next file
        return _failure(
            code,
            limits,
            detail=str(answer.get("detail", "")),
            page_count=answer.get("page_count"),
            image=answer.get("image"),
        )

    def _death(self, limits: Limits) -> ExtractionFailure:
        try:
            returncode = self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.kill()
            returncode = self.process.returncode
        if returncode is not None and returncode > 128:
            returncode = 128 - returncode  # bubblewrap exits 128+n when its child dies of signal n
        self._drain.join(timeout=1)
        tail = " | ".join(self.stderr_tail)[-1000:]
        detail = f"exit status {returncode}; {tail}"
        logger.info("PDF reader %s ended mid-document: %s", self.pid, detail)
        if returncode == -signal.SIGXCPU:
            return _failure("cpu", limits, detail=detail)
        if any(mark in tail for mark in ("MemoryError", "bad_alloc", "Cannot allocate memory")):
            return _failure("memory", limits, detail=detail)
        if returncode == -signal.SIGKILL:
            # Not ours (we report our own kills as timeouts): the kernel's OOM killer or an
            # operator.
            return _failure("killed", limits, detail=detail)
        signal_name = _signal_name(-returncode) if returncode is not None and returncode < 0 else ""
        return _failure("crashed", limits, detail=detail, signal_name=signal_name)

    def _receive(self, deadline: float) -> dict[str, Any]:
        while True:
            newline = self._buffer.find(b"\n")
            if newline >= 0:
                line = bytes(self._buffer[:newline])
                del self._buffer[: newline + 1]
                try:
                    message: dict[str, Any] = json.loads(line)
                except ValueError as exc:
                    raise _ReaderDied(f"garbled answer {line[:200]!r}") from exc
                return message
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise _ReaderTimedOut
            with selectors.DefaultSelector() as selector:
                selector.register(self._stdout_fd, selectors.EVENT_READ)
                if not selector.select(remaining):
                    continue
            chunk = os.read(self._stdout_fd, 1 << 20)
            if not chunk:
                raise _ReaderDied("end of output")
            self._buffer += chunk

    def _drain_stderr(self, stream: IO[bytes]) -> None:
        # Always read: a reader blocked on a full stderr pipe would look like a hang.
        for raw in iter(stream.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip()
            self.stderr_tail.append(line)
            logger.debug("pdf reader %s: %s", self.process.pid, line)

    def kill(self) -> None:
        if self.process.returncode is None:
            reader = self.pid
            # The group still exists while the leader is unreaped, so this cannot hit a
            # recycled process group.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
            wait_gone(reader)
        self._close_pipes()
        self.sandbox.remove()

    def close(self) -> None:
        """Ask the reader to finish (end of input), then make sure it has."""
        if self.process.returncode is None:
            try:
                self._stdin.close()
                self.process.wait(timeout=2)
            except (OSError, subprocess.TimeoutExpired):
                pass
        self.kill()

    def _close_pipes(self) -> None:
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()

    def abandon(self) -> None:
        """In a forked copy of the worker: let go of the parent's reader without touching it."""
        for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
            if stream is not None:
                with contextlib.suppress(OSError):
                    os.close(stream.fileno())
        _abandoned.append(self)  # never collected, so its file objects never close again


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


class _ReaderPool:
    """This worker process's single persistent reader, shared by its threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._reader: _Reader | None = None
        self._workspace: int | None = None

    def read(
        self, request: dict[str, Any], limits: Limits, workspace: int | None = None
    ) -> Extraction | ExtractionFailure:
        with self._lock:
            if self._reader is not None and workspace != self._workspace:
                self._reader.close()  # one workspace's documents never meet another's reader
                self._reader = None
            self._workspace = workspace
            reader = self._ready_reader()
            try:
                outcome = reader.read(request, limits)
            except BrokenPipeError:
                # It died while idle (killed from outside): not this document's doing.
                reader.kill()
                reader = self._reader = _Reader()
                outcome = reader.read(request, limits)
            if (
                not reader.is_alive()
                or reader.documents >= limits.documents_per_child
                or reader.rss_kb > limits.recycle_rss_mb * 1024
            ):
                reader.close()
                self._reader = None
            return outcome

    def _ready_reader(self) -> _Reader:
        reader = self._reader
        if reader is not None and reader.owner != os.getpid():
            reader.abandon()
            reader = None
        if reader is not None and not reader.is_alive():
            reader.kill()
            reader = None
        if reader is None:
            reader = self._reader = _Reader()
        return reader

    def pid(self) -> int | None:
        with self._lock:
            reader = self._reader
            if reader is None or reader.owner != os.getpid() or not reader.is_alive():
                return None
            return reader.pid

    def close(self, *, wait_seconds: float = -1) -> None:
        """Stop the reader once the document in progress (if any) is done; with a
        ``wait_seconds`` >= 0, stop it regardless after that long."""
        locked = self._lock.acquire(timeout=wait_seconds)
        try:
            reader, self._reader = self._reader, None
            if reader is not None and reader.owner == os.getpid():
                reader.close()
        finally:
            if locked:
                self._lock.release()

    def after_fork(self) -> None:
        # The lock may have been held by a thread that does not exist in the child.
        self._lock = threading.Lock()
        if self._reader is not None:
            self._reader.abandon()
            self._reader = None


_abandoned: list[_Reader] = []
_pool = _ReaderPool()
# At interpreter exit another thread may be mid-document: do not wait for it forever.
atexit.register(_pool.close, wait_seconds=5)
os.register_at_fork(after_in_child=_pool.after_fork)
