"""Extraction benchmark: accuracy, calibration, speed and memory of the PDF engine.

    .venv/bin/python bench/parse.py [PATH] [--errors] [--scanned [--scans DIR]]

PATH is a corpus folder laid out like ../shared/corpus (PDFs with a truth JSON beside each,
and score_fields.py at its root); it defaults to ../shared/corpus. The engine runs twice, with
the embedded XML read and with it ignored, in this process (no isolation, so the timings are
the engine's own). With --scanned it runs a third time on scanned copies of the corpus (made
by the corpus's scan_docs.py, kept in bench/out/scans): the OCR lane. Predictions go to
bench/out/parse-{xml,text,ocr}.jsonl in the CLI's format and are scored by the corpus's
score_fields.py, the same way the corpus README describes.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.scans import scanned_copies  # noqa: E402
from reconciliation.extraction.engine import extract_document  # noqa: E402
from reconciliation.extraction.types import INVOICE_FIELDS  # noqa: E402
from reconciliation.extraction.types import Extraction  # noqa: E402

DEFAULT_CORPUS = ROOT.parent / "shared" / "corpus"
OUT = ROOT / "bench" / "out"
MODES = {"text": "XML off", "xml": "XML on", "ocr": "OCR"}
BUCKETS = ((0.0, 0.5), (0.5, 0.7), (0.7, 0.85), (0.85, 0.95), (0.95, 1.01))
HIGH = 0.85
HIGH_TARGET = 0.97


class _Options:
    signed = False
    month_first = False


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("path", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--errors", action="store_true", help="list every wrong field")
    parser.add_argument("--scanned", action="store_true", help="also run the OCR lane on scans")
    parser.add_argument("--scans", type=Path, default=OUT / "scans", help="where scans are kept")
    arguments = parser.parse_args()
    corpus: Path = arguments.path
    scorer = _load_scorer(corpus)
    truths = {t["file"]: t for t in scorer.load_truth([str(corpus)])}
    pdfs = sorted(corpus.rglob("*.pdf"))
    if not pdfs:
        print(f"no PDFs under {corpus}")
        return 1
    OUT.mkdir(parents=True, exist_ok=True)
    print(f"corpus: {corpus}  ({len(pdfs)} PDFs, {len(truths)} truth records)\n")
    runs = {}
    for label, use_xml in (("xml", True), ("text", False)):
        runs[label] = _run(pdfs, corpus, use_xml=use_xml)
        _write_predictions(OUT / f"parse-{label}.jsonl", runs[label]["records"])
        runs[label]["peak_mb"] = _peak_mb()
    if arguments.scanned:
        scans = scanned_copies(corpus, arguments.scans)
        runs["ocr"] = _run(sorted(scans.rglob("*.pdf")), scans, use_xml=False)
        _write_predictions(OUT / "parse-ocr.jsonl", runs["ocr"]["records"])
        runs["ocr"]["peak_mb"] = _peak_mb()

    scored = {label: _score(run["records"], truths, scorer) for label, run in runs.items()}
    _print_accuracy(scored)
    _print_sources(scored)
    _print_xml_files(runs["xml"]["records"], scored["xml"])
    if "ocr" in runs:
        _print_lanes(runs["ocr"]["records"], scored["ocr"])
    for label in scored:
        _print_calibration(label, scored[label])
    _print_speed(runs)
    if arguments.errors:
        for label in ("text", "ocr"):
            if label in scored:
                _print_errors(label, scored[label])
    return 0


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _load_scorer(corpus: Path) -> ModuleType:
    for candidate in (corpus / "score_fields.py", DEFAULT_CORPUS / "score_fields.py"):
        if candidate.is_file():
            spec = importlib.util.spec_from_file_location("score_fields", candidate)
            assert spec is not None
            assert spec.loader is not None
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            return module
    raise SystemExit("score_fields.py not found next to the corpus")


def _run(pdfs: list[Path], corpus: Path, *, use_xml: bool) -> dict[str, Any]:
    records: list[dict[str, Any]] = []
    walls: list[float] = []
    cpu_total = 0.0
    pages = 0
    for pdf in pdfs:
        started, cpu_started = time.perf_counter(), time.process_time()
        try:
            extraction: Extraction | None = extract_document(pdf, use_xml=use_xml)
            failure = None
        except Exception as exc:  # a benchmark reports failures, it does not stop on them
            extraction, failure = None, f"{type(exc).__name__}: {exc}"
        walls.append(time.perf_counter() - started)
        cpu_total += time.process_time() - cpu_started
        key = pdf.relative_to(corpus).as_posix()
        record: dict[str, Any] = {"file": key, "kind": None, "source": None, "failure": failure}
        record.update(dict.fromkeys(INVOICE_FIELDS))
        record["confidence"] = {}
        if extraction is not None:
            pages += extraction.page_count
            record["kind"] = extraction.kind
            record["source"] = extraction.source
            for name in INVOICE_FIELDS:
                found = extraction.fields.get(name)
                if found is not None:
                    record[name] = _json_value(found.value)
                    record["confidence"][name] = found.confidence
                    record.setdefault("field_sources", {})[name] = found.source
        records.append(record)
    return {"records": records, "walls": walls, "cpu": cpu_total, "pages": pages}


def _json_value(value: object) -> str:
    isoformat = getattr(value, "isoformat", None)
    return str(isoformat()) if callable(isoformat) else str(value)


def _write_predictions(path: Path, records: list[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for record in records:
            line = {"file": record["file"], "kind": record["kind"]}
            line.update({name: record[name] for name in INVOICE_FIELDS})
            line["confidence"] = record["confidence"]
            handle.write(json.dumps(line, ensure_ascii=False) + "\n")


def _score(
    records: list[dict[str, Any]], truths: dict[str, dict[str, Any]], scorer: ModuleType
) -> list[dict[str, Any]]:
    """One row per scored field instance: the README's rules, via score_fields.match."""
    rows: list[dict[str, Any]] = []
    by_file = {r["file"]: r for r in records}
    for key, truth in truths.items():
        record = by_file.get(key) or next(
            (r for f, r in by_file.items() if f.endswith(key) or key.endswith(f)), None
        )
        visible = truth.get("visible_in_text") or {}
        for name in INVOICE_FIELDS:
            expected = truth["fields"].get(name)
            if expected is None or expected == [] or expected == "":
                continue
            predicted = record.get(name) if record else None
            rows.append(
                {
                    "file": key,
                    "field": name,
                    "source": truth.get("source") or "?",
                    "ok": bool(scorer.match(scorer.KIND[name], expected, predicted, _Options)),
                    "visible": visible.get(name) is not False,
                    "confidence": (record or {}).get("confidence", {}).get(name),
                    "expected": expected,
                    "predicted": predicted,
                    "read_from": (record or {}).get("field_sources", {}).get(name),
                    "document_source": (record or {}).get("source"),
                }
            )
    return rows


def _accuracy(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "     -"
    return f"{sum(r['ok'] for r in rows) / len(rows):6.1%}"


def _print_accuracy(scored: dict[str, list[dict[str, Any]]]) -> None:
    print("Field accuracy per lane (visible: XML off, ignoring values the text cannot show;")
    print("OCR: the same files scanned, no text layer nor XML)")
    lanes = [label for label in ("text", "xml", "ocr") if label in scored]
    header = f"{'field':17s} {'n':>4s} {'XML off':>8s} {'visible':>8s}" + "".join(
        f" {MODES[label]:>8s}" for label in lanes[1:]
    )
    print(header)
    print("-" * len(header))
    for name in (*INVOICE_FIELDS, None):
        rows = {
            label: [r for r in scored[label] if name is None or r["field"] == name]
            for label in lanes
        }
        visible = [r for r in rows["text"] if r["visible"]]
        title = name or "OVERALL (micro)"
        cells = f"{_accuracy(rows['text']):>8s} {_accuracy(visible):>8s}" + "".join(
            f" {_accuracy(rows[label]):>8s}" for label in lanes[1:]
        )
        print(f"{title:17s} {len(rows['text']):4d} {cells}")
    for label in lanes:
        fields = defaultdict(list)
        for row in scored[label]:
            fields[row["field"]].append(row["ok"])
        macro = statistics.mean(sum(v) / len(v) for v in fields.values()) if fields else 0.0
        print(f"  macro (mean over fields), {MODES[label]}: {macro:.1%}")
    print()


def _print_sources(scored: dict[str, list[dict[str, Any]]]) -> None:
    print("Per corpus source (micro)")
    lanes = [label for label in ("text", "xml", "ocr") if label in scored]
    sources = sorted({r["source"] for r in scored["text"]})
    print(f"{'source':17s} {'n':>4s}" + "".join(f" {MODES[label]:>8s}" for label in lanes))
    for source in sources:
        cells = "".join(
            f" {_accuracy([r for r in scored[label] if r['source'] == source]):>8s}"
            for label in lanes
        )
        count = sum(r["source"] == source for r in scored["text"])
        print(f"{source:17s} {count:4d}{cells}")
    print()


def _print_lanes(records: list[dict[str, Any]], rows: list[dict[str, Any]]) -> None:
    """Which lane each scanned document took, and how its fields fared."""
    print("OCR run: lane taken per document (kind: share classified invoice/credit note)")
    for lane in sorted({str(r["source"]) for r in records}):
        files = [r for r in records if str(r["source"]) == lane]
        subset = [r for r in rows if str(r["document_source"]) == lane]
        billed = sum(r["kind"] in ("invoice", "credit_note") for r in files)
        print(
            f"  {lane:5s} {len(files):3d} documents, {billed} classified as invoices,"
            f" {_accuracy(subset).strip()} of {len(subset)} fields right"
        )
    print()


def _print_xml_files(records: list[dict[str, Any]], rows: list[dict[str, Any]]) -> None:
    with_xml = {r["file"] for r in records if r["source"] == "xml"}
    subset = [r for r in rows if r["document_source"] == "xml"]
    print(
        f"XML on, files with embedded XML: {len(with_xml)} files, "
        f"{sum(r['ok'] for r in subset)}/{len(subset)} fields right ({_accuracy(subset).strip()})"
    )
    rest = [r for r in rows if r["document_source"] != "xml"]
    print(
        f"XML on, files without XML (text layer): {_accuracy(rest).strip()} of {len(rest)} fields\n"
    )


def _print_calibration(label: str, rows: list[dict[str, Any]]) -> None:
    mode = MODES[label]
    print(f"Calibration, {mode} (confidence bucket -> share right)")
    print(f"{'bucket':12s} {'n':>5s} {'right':>6s} {'mean conf':>10s}")
    predicted = [r for r in rows if r["confidence"] is not None]
    for low, high in BUCKETS:
        bucket = [r for r in predicted if low <= r["confidence"] < high]
        if not bucket:
            continue
        mean = statistics.mean(r["confidence"] for r in bucket)
        name = f"[{low:.2f},{min(high, 1.0):.2f}{']' if high > 1 else ')'}"
        print(f"{name:12s} {len(bucket):5d} {_accuracy(bucket):>6s} {mean:10.3f}")
    confident = [r for r in predicted if r["confidence"] >= HIGH]
    share = sum(r["ok"] for r in confident) / len(confident) if confident else 1.0
    verdict = "ok" if share >= HIGH_TARGET else "BELOW TARGET"
    right = sum(r["ok"] for r in confident)
    print(
        f"confidence >= {HIGH}: {right}/{len(confident)} right = {share:.1%} "
        f"(target {HIGH_TARGET:.0%}: {verdict})"
    )
    missing = [r for r in rows if r["confidence"] is None]
    print(f"no value predicted: {len(missing)} of {len(rows)} scored fields")
    per_field = defaultdict(list)
    for row in confident:
        per_field[row["field"]].append(row["ok"])
    worst = [
        f"{name} {sum(v)}/{len(v)}" for name, v in sorted(per_field.items()) if sum(v) < len(v)
    ]
    if worst:
        print("wrong at >= 0.85: " + ", ".join(worst))
    print()


def _print_speed(runs: dict[str, dict[str, Any]]) -> None:
    print("Speed (in-process engine, one core; OCR at 200 dpi, Tesseract on one thread)")
    print(
        f"{'mode':8s} {'docs':>5s} {'pages':>6s} {'pages/s/core':>13s} "
        f"{'p50 s/doc':>10s} {'p99 s/doc':>10s} {'peak MB':>8s}"
    )
    for label, run in runs.items():
        walls = sorted(run["walls"])
        p50 = statistics.median(walls)
        p99 = walls[min(len(walls) - 1, round(0.99 * (len(walls) - 1)))]
        rate = run["pages"] / run["cpu"] if run["cpu"] else 0.0
        print(
            f"{MODES[label]:8s} {len(walls):5d} {run['pages']:6d} {rate:13.1f} {p50:10.3f}"
            f" {p99:10.3f} {run['peak_mb']:8.0f}"
        )
    print(f"peak memory is the process's ru_maxrss after each run (cumulative), pid {os.getpid()}")
    print()


def _print_errors(label: str, rows: list[dict[str, Any]]) -> None:
    print(f"Wrong fields, {MODES[label]} (file | field | expected | predicted | confidence)")
    for row in rows:
        if not row["ok"]:
            expected = json.dumps(row["expected"], ensure_ascii=False)
            print(
                f"  {row['file']} | {row['field']} | {expected}"
                f" | {row['predicted']} | {row['confidence']}"
            )


if __name__ == "__main__":
    raise SystemExit(main())
