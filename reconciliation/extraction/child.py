"""The PDF reader process: ``python -m reconciliation.extraction.child``.

It runs the extraction engine on one document at a time under resource limits and answers on
stdout. It never imports Django, gets no secrets in its environment and cannot write files: a
hostile PDF can at worst burn this process, which the worker then replaces
(``reconciliation.extraction.isolation`` is the other end of the pipe).

Protocol, one JSON object per line:

* child to parent, once, when warm: ``{"type": "ready", "pid": 123}``
* parent to child: ``{"type": "extract", "id": 1, "path": "/abs/file.pdf", "use_xml": true,
  "max_pages": 50, "memory_mb": 512, "cpu_seconds": 20, "wall_seconds": 30, "ocr": "auto"}``
* child to parent: ``{"type": "result", "id": 1, "ok": true, "extraction": {...}, "rss_kb": N}``
  or ``{"type": "result", "id": 1, "ok": false, "code": "encrypted", "detail": "...",
  "rss_kb": N}`` plus ``page_count`` / ``image`` when the code has one.

Memory and CPU limits are set afresh before each document: the address-space limit is what the
process maps now plus ``memory_mb``, and the soft CPU limit is the CPU time used so far plus
``cpu_seconds`` (the kernel then ends the process with SIGXCPU, which the parent reports). Wall
time is the parent's job; OCR, the one step whose cost grows with the page count of an honest
file, stops starting pages at ``OCR_SHARE`` of the tighter of the two budgets, so a long scan
returns what it read in time instead of being killed.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import resource
import sys
from collections.abc import Callable
from collections.abc import Iterator
from typing import IO
from typing import Any

from reconciliation.extraction.errors import EncryptedPdfError
from reconciliation.extraction.errors import ExtractionError
from reconciliation.extraction.errors import ImageTooLargeError
from reconciliation.extraction.errors import PageTooLargeError
from reconciliation.extraction.errors import TooManyPagesError
from reconciliation.extraction.errors import describe_error
from reconciliation.extraction.rawpdf import pdf_stream
from reconciliation.extraction.rawpdf import raw_pdf

MIB = 1024 * 1024
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
#: Descriptors the reader may hold: stdio, the protocol pipe, the PDF and a few lazy imports.
MAX_OPEN_FILES = 64
#: Larger than any scan (an A4 page at 1200 dpi is 140 megapixels); beyond it an image is a
#: decompression bomb waiting for the first viewer, thumbnailer or OCR step that touches it.
MAX_IMAGE_PIXELS = 200_000_000
#: Share of the document's CPU / wall budget OCR may spend before it starts no new page; the
#: rest is for the extraction itself and the hazard scan.
OCR_SHARE = 0.6
#: The active-content walk gives up (finding nothing) after this many objects.
MAX_WALKED_OBJECTS = 20_000

#: Branches the walk skips: back-links, the tagged-PDF structure tree (half the objects of a
#: typical invoice), fonts (their width tables are most of the parsing time; a Type 3 font's
#: glyph images are the one thing this leaves unchecked), page content and metadata.
SKIPPED_KEYS = frozenset(
    {
        "/Parent",
        "/P",
        "/StructTreeRoot",
        "/Font",
        "/Contents",
        "/Metadata",
        "/DestOutputProfile",
    }
)

Engine = Callable[..., Any]


def main() -> int:
    protocol = _take_stdout()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    sys.dont_write_bytecode = True
    _guard_images()
    extract = _load_engine()
    _warm_up(extract)
    _limit_process()
    _send(protocol, {"type": "ready", "pid": os.getpid()})
    parent = os.getppid()
    for line in _requests(sys.stdin.buffer):
        request = json.loads(line)
        answer = handle(request, extract)
        _send(protocol, answer)
        if os.getppid() != parent:
            break  # the worker died; nobody is left to read our answers
    return 0


def handle(request: dict[str, Any], extract: Engine) -> dict[str, Any]:
    """Read one document within its limits and describe the outcome as JSON."""
    answer: dict[str, Any] = {"type": "result", "id": request["id"]}
    previous = _limit_document(
        memory_mb=int(request["memory_mb"]), cpu_seconds=int(request["cpu_seconds"])
    )
    budget = min(float(request["cpu_seconds"]), float(request.get("wall_seconds", 30)))
    try:
        answer.update(
            _extract(
                extract,
                request["path"],
                use_xml=bool(request["use_xml"]),
                max_pages=int(request["max_pages"]),
                ocr=str(request.get("ocr", "auto")),
                ocr_seconds=OCR_SHARE * budget,
                ourselves=dict(request.get("ourselves") or {}),
            )
        )
    finally:
        _restore(previous)
    answer["rss_kb"] = _resident_kb()
    return answer


def _extract(
    extract: Engine,
    path: str,
    *,
    use_xml: bool,
    max_pages: int,
    ocr: str = "auto",
    ocr_seconds: float | None = None,
    ourselves: dict[str, list[str]] | None = None,
) -> dict[str, Any]:
    failure: dict[str, Any] | None = None
    try:
        extraction = extract(
            path,
            use_xml=use_xml,
            max_pages=max_pages,
            ocr=ocr,
            ocr_seconds=ocr_seconds,
            ourselves=_ourselves(ourselves or {}),
        )
    except EncryptedPdfError as exc:
        failure = {"code": "encrypted", "detail": str(exc)}
    except ImageTooLargeError as exc:
        failure = {"code": "image_too_large", "detail": str(exc), "image": list(exc.size)}
    except PageTooLargeError as exc:
        failure = {"code": "page_too_large", "detail": str(exc)}
    except TooManyPagesError as exc:
        failure = {"code": "too_many_pages", "detail": str(exc), "page_count": _page_count(exc)}
    except Exception as exc:
        # UnreadablePdfError, or whatever a parser library raised on malformed input. Both
        # may wrap a MemoryError, a RecursionError or a password error: the cause chain decides.
        # Ours is in words already, kept whole; a library's is described.
        ours = isinstance(exc, ExtractionError)
        detail = f"{type(exc).__name__}: {exc}" if ours else describe_error(exc)
        failure = {"code": _cause_code(exc) or "unreadable", "detail": detail}
    if failure is not None:
        return {"ok": False, **failure}
    active = find_hazard(path)
    if active is not None:
        return {"ok": False, **active}
    return {"ok": True, "extraction": extraction.to_json()}


def find_hazard(path: str) -> dict[str, Any] | None:
    """JavaScript, launch actions or a bomb-sized image anywhere reachable from the catalog.

    The engine never runs scripts nor inflates images, but the stored file goes on to the
    admin, to Qonto and to people's PDF viewers, so a readable invoice that carries them is
    refused rather than passed along.
    """
    from pypdf import PdfReader
    from pypdf.generic import ArrayObject
    from pypdf.generic import DictionaryObject
    from pypdf.generic import IndirectObject

    try:
        reader = PdfReader(path, strict=False)
        if reader.is_encrypted:
            return None
        stack: list[Any] = [reader.trailer.get("/Root")]
        seen: set[tuple[int, int]] = set()
        walked = 0
        while stack and walked < MAX_WALKED_OBJECTS:
            item = stack.pop()
            if isinstance(item, IndirectObject):
                key = (item.idnum, item.generation)
                if key in seen:
                    continue
                seen.add(key)
                walked += 1
                item = item.get_object()
            if isinstance(item, DictionaryObject):
                hazard = _dictionary_hazard(item)
                if hazard is not None:
                    return hazard
                stack.extend(value for name, value in item.items() if name not in SKIPPED_KEYS)
            elif isinstance(item, ArrayObject):
                stack.extend(item)
    except Exception:
        logging.getLogger(__name__).warning("hazard scan stopped", exc_info=True)
    return None


def _dictionary_hazard(item: Any) -> dict[str, Any] | None:
    action = item.get("/S")
    if action == "/JavaScript" or "/JS" in item:
        return {"code": "active_content", "detail": "JavaScript action"}
    if action == "/Launch":
        return {"code": "active_content", "detail": "Launch action"}
    if item.get("/Subtype") == "/Image":
        width, height = _resolved(item, "/Width"), _resolved(item, "/Height")
        if isinstance(width, int) and isinstance(height, int) and width * height > MAX_IMAGE_PIXELS:
            return {"code": "image_too_large", "detail": "image", "image": [width, height]}
    return None


def _resolved(item: Any, name: str) -> Any:
    value = item.get(name)  # may be an indirect reference: an attacker's way to hide a size
    return None if value is None else value.get_object()


#: Library exceptions that mean "needs a password", whichever layer wrapped them.
ENCRYPTION_ERRORS = frozenset(
    {"PDFPasswordIncorrect", "PDFEncryptionError", "FileNotDecryptedError"}
)


def _cause_code(exc: BaseException) -> str | None:
    for link in _chain(exc):
        if isinstance(link, MemoryError):
            return "memory"
        if isinstance(link, RecursionError):
            return "recursion"
        if type(link).__name__ in ENCRYPTION_ERRORS:
            return "encrypted"
    return None


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    link: BaseException | None = exc
    while link is not None and id(link) not in seen:
        seen.add(id(link))
        yield link
        link = link.__cause__ or link.__context__


def _page_count(exc: Exception) -> int | None:
    count = getattr(exc, "page_count", None)
    if isinstance(count, int):
        return count
    found = re.search(r"\d+", str(exc))
    return int(found.group()) if found else None


def _take_stdout() -> IO[str]:
    """Keep the real stdout for answers and point fd 1 at stderr, so that a library printing
    (Python or C) cannot corrupt the protocol."""
    protocol = os.fdopen(os.dup(1), "w", encoding="utf-8", newline="\n")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return protocol


def _send(protocol: IO[str], message: dict[str, Any]) -> None:
    protocol.write(json.dumps(message, separators=(",", ":")) + "\n")
    protocol.flush()


def _requests(stream: IO[bytes]) -> Iterator[bytes]:
    while line := stream.readline():
        if line.strip():
            yield line


def _guard_images() -> None:
    """Pillow refuses to open an image bigger than this (the OCR step hands it rendered pages
    only, but a library further down may open an embedded one)."""
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS


def _ourselves(described: dict[str, list[str]]) -> Any:
    """The workspace's company as the request names it (names, VAT ids, IBANs)."""
    from reconciliation.extraction.blocks import Ourselves

    return Ourselves.of(
        names=described.get("names", ()),
        vat_ids=described.get("vat_ids", ()),
        ibans=described.get("ibans", ()),
    )


def _load_engine() -> Engine:
    from reconciliation.extraction.engine import extract_document

    return extract_document


def _warm_up(extract: Engine) -> None:
    """Pay the engine's lazy imports once per process, not inside the first document's time
    budget. The sample lives in an anonymous memory file because the reader writes no files."""
    try:
        descriptor = os.memfd_create("well-warm-up")
    except (AttributeError, OSError):
        return
    try:
        os.write(descriptor, _sample_pdf())
        extract(f"/proc/self/fd/{descriptor}", use_xml=True, max_pages=1)
    except Exception:
        logging.getLogger(__name__).warning("warm-up extraction failed", exc_info=True)
    finally:
        os.close(descriptor)


def _sample_pdf() -> bytes:
    content = b"BT /F1 11 Tf 40 780 Td (Invoice 1 Total 1.00 EUR) Tj ET"
    bodies = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        pdf_stream(content),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    return raw_pdf(bodies, header=b"%PDF-1.4\n")


def _limit_process() -> None:
    _lower(resource.RLIMIT_CORE, 0)  # hostile bytes never land on disk in a core file
    _lower(resource.RLIMIT_FSIZE, 0)  # the reader has no reason to write a file
    _lower(resource.RLIMIT_NOFILE, MAX_OPEN_FILES)
    # No forks nor threads. RLIMIT_NPROC counts the user's processes, so 0 forbids any new
    # one from here; root is exempt, which is one more reason to run workers unprivileged.
    _lower(resource.RLIMIT_NPROC, 0)


def _lower(kind: int, value: int) -> None:
    _soft, hard = resource.getrlimit(kind)
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)
    resource.setrlimit(kind, (value, value))


Saved = tuple[tuple[int, int], tuple[int, int]]


def _limit_document(*, memory_mb: int, cpu_seconds: int) -> Saved:
    saved = (resource.getrlimit(resource.RLIMIT_AS), resource.getrlimit(resource.RLIMIT_CPU))
    _set_soft(resource.RLIMIT_AS, _mapped_bytes() + memory_mb * MIB)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    _set_soft(resource.RLIMIT_CPU, math.ceil(usage.ru_utime + usage.ru_stime) + cpu_seconds)
    return saved


def _set_soft(kind: int, value: int) -> None:
    _soft, hard = resource.getrlimit(kind)
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)
    resource.setrlimit(kind, (value, hard))


def _restore(saved: Saved) -> None:
    resource.setrlimit(resource.RLIMIT_AS, saved[0])
    resource.setrlimit(resource.RLIMIT_CPU, saved[1])


def _mapped_bytes() -> int:
    with open("/proc/self/statm", "rb") as statm:
        return int(statm.read().split()[0]) * PAGE_SIZE


def _resident_kb() -> int:
    with open("/proc/self/statm", "rb") as statm:
        return int(statm.read().split()[1]) * PAGE_SIZE // 1024


if __name__ == "__main__":
    sys.exit(main())
