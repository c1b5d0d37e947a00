"""Page images of stored documents for the review screen, rendered with pypdfium2.

A PDF that reached a reviewer was already read once by the isolated reader, but the renderer
is another parser with its own bugs, so it gets the same treatment: only documents that
parsed are rendered, only their first `MAX_RENDER_PAGES` pages, in a separate process
(``python -m reconciliation.web.rendering``) under memory, CPU, file and wall-time limits. The web
request waits at most `RENDER_WALL_SECONDS`; a breach is remembered for an hour so a hostile
file cannot make every page view wait again.

Images are cached through Django's storage under `CACHE_PREFIX/<workspace>/`, keyed by the
content hash, the page and the scale, sealed with the workspace's key like the PDF itself: the
same bytes are rendered once per workspace. Every caller checks
that the user may see the document before asking for its pages.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any

from reconciliation.extraction.sandbox import Sandbox
from reconciliation.extraction.sandbox import SandboxUnavailableError
from reconciliation.extraction.sandbox import open_sandbox

if TYPE_CHECKING:
    from reconciliation.models import Document

#: Where page images live in the default storage (``pages/<workspace id>/...``).
CACHE_PREFIX = "pages"
#: 1.5 × 72 dpi = 108 dpi: an A4 page is 893 × 1263 pixels, sharp enough to read small print.
RENDER_SCALE = 1.5
#: Only the first pages of a document are shown (invoices are short; the rest is terms).
MAX_RENDER_PAGES = 10
#: A page larger than this many pixels at RENDER_SCALE is rendered smaller instead.
MAX_PAGE_PIXELS = 12_000_000
RENDER_WALL_SECONDS = 12.0
RENDER_CPU_SECONDS = 10
RENDER_MEMORY_MB = 768
MAX_RENDER_BYTES = 20 * 1024 * 1024
#: Renders at the same time in one web process; more requests are told to come back.
CONCURRENT_RENDERS = 2
#: How long a failed render is remembered before it is tried again.
FAILURE_TTL_SECONDS = 3600
#: Statuses of documents whose bytes the isolated reader already read without harm.
RENDERABLE_STATUSES = ("parsed", "duplicate")

CODE_ROOT = Path(__file__).resolve().parents[2]
PASSED_ENVIRONMENT = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ")
_slots = threading.BoundedSemaphore(CONCURRENT_RENDERS)


@dataclass(frozen=True)
class PageImage:
    content: bytes
    content_type: str
    from_cache: bool


@dataclass(frozen=True)
class RenderFailure:
    code: str  # not_renderable | no_such_page | busy | timeout | crashed | unreadable | missing
    reason: str  # one sentence for the reviewer


def renderable_page_count(document: Document) -> int:
    """How many page images the review screen may show for the document (0: none)."""
    if render_refusal(document) is not None:
        return 0
    return min(int(document.page_count or 0), MAX_RENDER_PAGES)


def render_refusal(document: Document) -> RenderFailure | None:
    """Why the document's pages are not rendered at all, or None when they may be."""
    if document.status not in RENDERABLE_STATUSES or not document.page_count:
        return RenderFailure(
            "not_renderable", "Only documents Well could read are shown as page images."
        )
    if document.failure_code:
        return RenderFailure("not_renderable", "This document could not be read safely.")
    if document.size > MAX_RENDER_BYTES:
        return RenderFailure("not_renderable", "The file is too large to preview.")
    if not document.file:
        return RenderFailure("missing", "The stored file is missing; download is unavailable.")
    return None


def cache_key(workspace_id: int, content_hash: str, page: int, scale: float = RENDER_SCALE) -> str:
    folder = f"{CACHE_PREFIX}/{workspace_id}/{content_hash[:2]}/{content_hash}"
    return f"{folder}/p{page:03d}-s{round(scale * 100)}.png"


def _failure_key(workspace_id: int, content_hash: str, scale: float) -> str:
    folder = f"{CACHE_PREFIX}/{workspace_id}/{content_hash[:2]}/{content_hash}"
    return f"{folder}/failed-s{round(scale * 100)}.json"


def page_image(
    *, document: Document, page: int, scale: float = RENDER_SCALE
) -> PageImage | RenderFailure:
    """The PNG of one page (1-based), from the cache or rendered now in the isolated renderer.

    A first request renders all the document's shown pages at once, so the next pages come
    from the cache."""
    from django.core.files.storage import default_storage

    refusal = render_refusal(document)
    if refusal is not None:
        return refusal
    count = renderable_page_count(document)
    if not 1 <= page <= count:
        return RenderFailure("no_such_page", f"Page {page} is not shown for this document.")
    key = cache_key(document.workspace_id, document.content_hash, page, scale)
    if default_storage.exists(key):
        with default_storage.open(key, "rb") as cached:
            return PageImage(cached.read(), "image/png", from_cache=True)
    remembered = _remembered_failure(document.workspace_id, document.content_hash, scale)
    if remembered is not None:
        return remembered
    if not _slots.acquire(timeout=RENDER_WALL_SECONDS):
        return RenderFailure("busy", "Page images are being rendered; try again in a moment.")
    try:
        if default_storage.exists(key):  # another request rendered it meanwhile
            with default_storage.open(key, "rb") as cached:
                return PageImage(cached.read(), "image/png", from_cache=True)
        outcome = _render_and_store(document, count, scale)
    finally:
        _slots.release()
    if isinstance(outcome, RenderFailure):
        return outcome
    image = outcome.get(page)
    if image is None:
        return RenderFailure("unreadable", f"Page {page} could not be rendered.")
    return PageImage(image, "image/png", from_cache=False)


def _remembered_failure(workspace_id: int, content_hash: str, scale: float) -> RenderFailure | None:
    from django.core.files.storage import default_storage

    key = _failure_key(workspace_id, content_hash, scale)
    if not default_storage.exists(key):
        return None
    with default_storage.open(key, "rb") as stored:
        data = json.loads(stored.read())
    if time.time() - float(data.get("at", 0)) > FAILURE_TTL_SECONDS:
        default_storage.delete(key)
        return None
    return RenderFailure(str(data["code"]), str(data["reason"]))


def _render_and_store(
    document: Document, count: int, scale: float
) -> dict[int, bytes] | RenderFailure:
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    with _local_copy(document) as path:
        outcome = render_isolated(path, pages=count, scale=scale)
    if isinstance(outcome, RenderFailure):
        if outcome.code != "busy":
            payload = {"code": outcome.code, "reason": outcome.reason, "at": time.time()}
            key = _failure_key(document.workspace_id, document.content_hash, scale)
            with contextlib.suppress(OSError):
                default_storage.delete(key)
                default_storage.save(key, ContentFile(json.dumps(payload).encode()))
        return outcome
    for number, content in outcome.items():
        key = cache_key(document.workspace_id, document.content_hash, number, scale)
        if not default_storage.exists(key):
            default_storage.save(key, ContentFile(content))
    return outcome


@contextlib.contextmanager
def _local_copy(document: Document) -> Iterator[Path]:
    """A path the renderer can open: the stored file itself, or a temporary copy of it."""
    try:
        path: Path | None = Path(document.file.path)
    except NotImplementedError:
        path = None
    if path is not None and path.exists():
        yield path
        return
    with tempfile.NamedTemporaryFile(suffix=".pdf") as copy:
        with document.file.open("rb") as stored:
            for chunk in iter(lambda: stored.read(1024 * 1024), b""):
                copy.write(chunk)
        copy.flush()
        yield Path(copy.name)


def child_environment() -> dict[str, str]:
    """The renderer's whole environment: never SECRET_KEY, the master key or provider tokens."""
    environment = {name: os.environ[name] for name in PASSED_ENVIRONMENT if name in os.environ}
    return environment | {"PYTHONPATH": str(CODE_ROOT), "PYTHONDONTWRITEBYTECODE": "1"}


def render_isolated(
    path: Path,
    *,
    pages: int,
    scale: float = RENDER_SCALE,
    wall_seconds: float = RENDER_WALL_SECONDS,
    cpu_seconds: int = RENDER_CPU_SECONDS,
    memory_mb: int = RENDER_MEMORY_MB,
) -> dict[int, bytes] | RenderFailure:
    """Render pages 1..`pages` of the PDF at `path` in a limited child process: {page: PNG}.

    The renderer is confined like the PDF reader (``reconciliation.extraction.sandbox``): no
    network, no project files, no secrets, its own user when the web process is root."""
    try:
        sandbox = open_sandbox()
    except SandboxUnavailableError:
        return RenderFailure("busy", "The page renderer could not be started; try again later.")
    try:
        return _render_in(
            sandbox, sandbox.stage(path), pages, scale, wall_seconds, cpu_seconds, memory_mb
        )
    finally:
        sandbox.remove()


def _render_in(
    sandbox: Sandbox,
    path: Path,
    pages: int,
    scale: float,
    wall_seconds: float,
    cpu_seconds: int,
    memory_mb: int,
) -> dict[int, bytes] | RenderFailure:
    request = {
        "path": str(path),
        "pages": pages,
        "scale": scale,
        "max_pixels": MAX_PAGE_PIXELS,
        "cpu_seconds": cpu_seconds,
        "memory_mb": memory_mb,
    }
    try:
        # Our own interpreter and module, no shell, a bare environment.
        process = subprocess.Popen(  # noqa: S603 (our own command line)
            sandbox.command([sys.executable, "-P", "-m", "reconciliation.web.rendering"]),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=sandbox.cwd,
            env=child_environment(),
            start_new_session=True,
            close_fds=True,
        )
    except (OSError, SandboxUnavailableError):
        return RenderFailure("busy", "The page renderer could not be started; try again later.")
    try:
        stdout, _ = process.communicate(json.dumps(request).encode(), timeout=wall_seconds)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        return RenderFailure(
            "timeout", f"Rendering took longer than {wall_seconds:g} s and was stopped."
        )
    if process.returncode != 0:
        return RenderFailure("crashed", "The page renderer stopped on this file.")
    try:
        answer: dict[str, Any] = json.loads(stdout)
    except ValueError:
        return RenderFailure("crashed", "The page renderer gave no usable answer.")
    if not answer.get("ok"):
        return RenderFailure("unreadable", "The pages of this PDF could not be rendered.")
    return {int(number): base64.b64decode(png) for number, png in answer["pages"].items()}


# --- the child process -------------------------------------------------------------------------


def _limit_child(memory_mb: int, cpu_seconds: int) -> None:
    import resource

    used = resource.getrusage(resource.RUSAGE_SELF)
    mapped = _mapped_bytes()
    resource.setrlimit(resource.RLIMIT_AS, (mapped + memory_mb * 1024 * 1024,) * 2)
    cpu = int(used.ru_utime + used.ru_stime) + cpu_seconds
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))  # no files written, whatever happens
    resource.setrlimit(resource.RLIMIT_NPROC, (0, 0))
    resource.setrlimit(resource.RLIMIT_NOFILE, (32, 32))


def _mapped_bytes() -> int:
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return 256 * 1024 * 1024


def _child() -> int:
    import io

    import pypdfium2 as pdfium
    from PIL import Image

    request = json.loads(sys.stdin.buffer.read(1 << 20))
    _limit_child(int(request["memory_mb"]), int(request["cpu_seconds"]))
    Image.MAX_IMAGE_PIXELS = int(request["max_pixels"])
    pages: dict[str, str] = {}
    try:
        pdf = pdfium.PdfDocument(request["path"])
        count = min(len(pdf), int(request["pages"]))
        for index in range(count):
            page = pdf[index]
            width, height = page.get_size()
            scale = float(request["scale"])
            if width * height * scale * scale > int(request["max_pixels"]):
                # Slightly under the cap: the renderer rounds the pixel size up.
                scale = 0.999 * (int(request["max_pixels"]) / max(width * height, 1.0)) ** 0.5
            image = page.render(scale=scale, may_draw_forms=False).to_pil()
            buffer = io.BytesIO()
            image.save(buffer, format="PNG", optimize=False)
            pages[str(index + 1)] = base64.b64encode(buffer.getvalue()).decode()
            page.close()
        pdf.close()
    except Exception as error:  # any failure inside the parser is the file's, not ours
        sys.stderr.write(f"render failed: {type(error).__name__}: {error}\n")
        sys.stdout.write(json.dumps({"ok": False}))
        return 0
    sys.stdout.write(json.dumps({"ok": True, "pages": pages}))
    return 0


if __name__ == "__main__":
    raise SystemExit(_child())
