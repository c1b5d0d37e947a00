"""``manage.py extract PATH... [--no-xml] [--scanned | --ocr MODE] [--jsonl OUT]``: the
extractor on files, as JSON lines.

Each PDF (directories are walked recursively) is read in the sandboxed reader process, so a
hostile file ends as a line with an ``error`` instead of killing the command. One JSON object
per PDF goes to stdout (and to OUT with ``--jsonl``):

    {"file": "<path as given>", "kind": "invoice", "supplier_name": "...", ...,
     "confidence": {"supplier_name": 0.93, ...}, "lane": "text"}

with exactly the ten invoice fields: missing ones are null, amounts are decimal strings,
dates ISO 8601, currency an ISO 4217 code. ``lane`` says how the document was read: "xml"
(embedded e-invoice), "text" (text layer), "ocr" (scanned pages read by OCR) or "none".
Suggested corrections of OCR misreads (an IBAN or VAT id one character away from passing its
check digits) come as ``"suggestions": {"supplier_iban": "..."}``. A failed file also carries
``"error"``.

Pages without a usable text layer are OCR'd; ``--scanned`` (``--ocr force``) OCRs every page
and ignores the text layer, as if the files had been printed and scanned; ``--ocr off``
never OCRs.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand
from django.core.management.base import CommandError
from django.core.management.base import CommandParser

from reconciliation.extraction.types import INVOICE_FIELDS
from reconciliation.extraction.types import Extraction
from reconciliation.extraction.types import OcrMode
from reconciliation.extraction.types import value_to_json


class Command(BaseCommand):
    help = "Extract invoice fields from PDFs and print one JSON object per file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "paths", nargs="+", help="PDF files or directories (walked recursively)"
        )
        parser.add_argument(
            "--no-xml", action="store_true", help="ignore embedded Factur-X/ZUGFeRD XML"
        )
        parser.add_argument("--jsonl", metavar="OUT", help="also write the JSON lines to this file")
        parser.add_argument(
            "--ocr",
            choices=("auto", "force", "off"),
            default="auto",
            help="auto: OCR pages without a usable text layer (default); force: every page; off",
        )
        parser.add_argument(
            "--scanned",
            action="store_const",
            dest="ocr",
            const="force",
            help="read every page by OCR, ignoring the text layer (same as --ocr force)",
        )
        parser.add_argument(
            "--in-process",
            action="store_true",
            help="run the engine in this process (debugging only: no resource limits)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        paths: list[str] = options["paths"]
        missing = [p for p in paths if not os.path.exists(p)]
        if missing:
            raise CommandError(f"no such file or directory: {', '.join(missing)}")
        use_xml = not options["no_xml"]
        out = open(options["jsonl"], "w", encoding="utf-8") if options["jsonl"] else None  # noqa: SIM115
        try:
            for path in iter_pdfs(paths):
                record = extract_record(
                    path, use_xml=use_xml, in_process=options["in_process"], ocr=options["ocr"]
                )
                line = json.dumps(record, ensure_ascii=False)
                try:
                    self.stdout.write(line)
                except BrokenPipeError:  # "| head": the reader has seen enough
                    return
                if out is not None:
                    out.write(line + "\n")
                    out.flush()
        finally:
            if out is not None:
                out.close()


def iter_pdfs(paths: list[str]) -> Iterator[str]:
    """Files as given; directories walked in sorted order for ``*.pdf`` (any case)."""
    for path in paths:
        if os.path.isdir(path):
            for root, directories, files in os.walk(path):
                directories.sort()
                for name in sorted(files):
                    if name.lower().endswith(".pdf"):
                        yield os.path.join(root, name)
        else:
            yield path


def extract_record(
    path: str, *, use_xml: bool, in_process: bool = False, ocr: OcrMode = "auto"
) -> dict[str, Any]:
    outcome: Extraction | str
    if in_process:
        outcome = _extract_here(path, use_xml=use_xml, ocr=ocr)
    else:
        outcome = _extract_isolated(path, use_xml=use_xml, ocr=ocr)
    return to_record(path, outcome)


def _extract_isolated(path: str, *, use_xml: bool, ocr: OcrMode) -> Extraction | str:
    from reconciliation.extraction.isolation import ExtractionFailure
    from reconciliation.extraction.isolation import ReaderStartError
    from reconciliation.extraction.isolation import extract_isolated

    try:
        result = extract_isolated(Path(path), use_xml=use_xml, ocr=ocr)
    except OSError as exc:
        return f"cannot open file: {exc.strerror or exc}"
    except ReaderStartError as exc:
        return f"the PDF reader could not start: {exc}"
    if isinstance(result, ExtractionFailure):
        return result.reason
    return result


def _extract_here(path: str, *, use_xml: bool, ocr: OcrMode) -> Extraction | str:
    from reconciliation.extraction.engine import extract_document
    from reconciliation.extraction.errors import ExtractionError

    try:
        return extract_document(path, use_xml=use_xml, ocr=ocr)
    except ExtractionError as exc:
        return exc.reason


def to_record(path: str, outcome: Extraction | str) -> dict[str, Any]:
    record: dict[str, Any] = {"file": path, "kind": None}
    record.update(dict.fromkeys(INVOICE_FIELDS))
    confidence: dict[str, float | None] = dict.fromkeys(INVOICE_FIELDS)
    if isinstance(outcome, str):
        record["confidence"] = confidence
        record["lane"] = None
        record["error"] = outcome
        return record
    record["kind"] = outcome.kind
    suggestions: dict[str, str] = {}
    for name in INVOICE_FIELDS:
        found = outcome.fields.get(name)
        if found is not None:
            record[name] = value_to_json(name, found.value)
            confidence[name] = round(found.confidence, 4)
            if found.suggestion is not None:
                suggestions[name] = found.suggestion
    record["confidence"] = confidence
    record["lane"] = outcome.source
    if suggestions:
        record["suggestions"] = suggestions
    return record
