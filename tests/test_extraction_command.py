"""``manage.py extract``: one JSON object per PDF with exactly the ten fields, directories
walked, failures reported on their line without stopping the run."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest
from django.core.management import CommandError
from django.core.management import call_command

from reconciliation.extraction.types import INVOICE_FIELDS

FIXTURES = Path(__file__).parent / "fixtures" / "corpus"


def run(*args: str) -> list[dict[str, object]]:
    out = io.StringIO()
    call_command("extract", *args, stdout=out)
    return [json.loads(line) for line in out.getvalue().splitlines() if line.strip()]


def test_one_line_per_pdf_with_the_ten_fields(tmp_path: Path) -> None:
    folder = tmp_path / "inbox" / "2024"
    folder.mkdir(parents=True)
    shutil.copy(FIXTURES / "tests__compare__QualityHosting.pdf", folder / "b.pdf")
    shutil.copy(FIXTURES / "XML-Rechnung__FX__EN16931_OEPNV.pdf", folder / "a.PDF")
    (folder / "notes.txt").write_text("not a PDF, not listed")
    given = str(tmp_path / "inbox")
    records = run(given, "--no-xml")
    assert [r["file"] for r in records] == [f"{given}/2024/a.PDF", f"{given}/2024/b.pdf"]
    first = records[0]
    assert list(first) == ["file", "kind", *INVOICE_FIELDS, "confidence", "lane"]
    assert (first["lane"], records[1]["lane"]) == ("text", "text")
    assert {
        k: first[k] for k in ("kind", "invoice_number", "issue_date", "total_amount", "currency")
    } == {
        "kind": "invoice",
        "invoice_number": "E2018092011804",
        "issue_date": "2018-09-20",
        "total_amount": "9.00",
        "currency": "EUR",
    }
    confidence = first["confidence"]
    assert isinstance(confidence, dict)
    assert list(confidence) == list(INVOICE_FIELDS)
    assert all(isinstance(v, float) and 0 <= v <= 1 for v in confidence.values())
    assert records[1]["tax_amount"] is None
    assert records[1]["confidence"]["tax_amount"] is None  # type: ignore[index]


def test_xml_is_read_unless_switched_off() -> None:
    path = str(FIXTURES / "ZUGFeRDv1__correct__Intarsys__ZUGFeRD_1p0_BASIC_Einfach.pdf")
    with_xml = run(path)[0]
    assert with_xml["confidence"]["invoice_number"] == 1.0  # type: ignore[index]
    assert with_xml["lane"] == "xml"
    without_xml = run(path, "--no-xml")[0]
    assert without_xml["invoice_number"] == "471102"
    assert without_xml["confidence"]["invoice_number"] < 1.0  # type: ignore[index]


def test_a_hostile_file_fails_on_its_line_and_the_next_one_is_read(tmp_path: Path) -> None:
    (tmp_path / "a.pdf").write_bytes(b"PK\x03\x04" + b"\x00" * 64)
    shutil.copy(FIXTURES / "tests__compare__free_fiber.pdf", tmp_path / "b.pdf")
    out = tmp_path / "out.jsonl"
    records = run(str(tmp_path / "a.pdf"), str(tmp_path / "b.pdf"), "--jsonl", str(out))
    assert records[0]["error"] == "The file is not a PDF (it looks like a ZIP archive)."
    assert all(records[0][name] is None for name in INVOICE_FIELDS)
    assert records[0]["lane"] is None
    assert records[1]["invoice_number"] == "562044387"
    assert [json.loads(line) for line in out.read_text().splitlines()] == records


def test_a_missing_path_is_an_error() -> None:
    with pytest.raises(CommandError, match=r"^no such file or directory: /nonexistent\.pdf$"):
        call_command("extract", "/nonexistent.pdf")


def test_scanned_mode_reads_every_page_by_ocr() -> None:
    path = str(FIXTURES / "tests__compare__free_fiber.pdf")
    typed = run(path)[0]
    scanned = run(path, "--scanned")[0]
    assert (typed["lane"], scanned["lane"]) == ("text", "ocr")
    assert scanned["invoice_number"] == typed["invoice_number"] == "562044387"
    assert scanned["total_amount"] == typed["total_amount"]
    assert run(path, "--ocr", "off")[0]["lane"] == "text"
