"""Routing benchmark: how much Well approves on its own, how often it is right, and how fast
a vendor's documents stop needing review as reviewers correct them.

    .venv/bin/python bench/routing.py [--corpus PATH] [--vendors N] [--stream N]

Every document goes through the real pipeline after extraction (vendor resolution, learned
mapping, enrichment, scoring, routing) in a throw-away SQLite database.

* Corpus: ../shared/corpus through the extraction engine, XML on and XML off. Nobody
  reviews, so every vendor stays "in training"; the table shows routing with the default
  policy (vendors in training go to review) and with that policy switched off, which is the
  score alone.
* Vendor streams: `generate_vendor_stream` (connectors.sandbox) renders N invoices per vendor,
  same layout and moving values; read with the text layer only (XML off) so the learned
  mapping has to do the work. A simulated reviewer corrects the first k documents against the
  ground truth (k = 0, 3, 10), then the next documents are routed without any review.

A document counts as correct when its five required fields (supplier, number, issue date,
total, currency) match the truth the way ../shared/corpus/score_fields.py compares them
(fields without a truth are not scored). Documents are treated as received two days after
their issue date, as they would be in use.
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
import os
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "well.test_settings")
os.environ.setdefault("WELL_VAR_DIR", tempfile.mkdtemp(prefix="well-bench-routing-"))
os.environ["DATABASE_URL"] = f"sqlite:///{os.environ['WELL_VAR_DIR']}/bench.sqlite3"

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

from reconciliation import learning  # noqa: E402
from reconciliation.extraction.engine import extract_document  # noqa: E402
from reconciliation.extraction.types import INVOICE_FIELDS  # noqa: E402
from reconciliation.extraction.types import Extraction  # noqa: E402
from reconciliation.invoices import scoring  # noqa: E402
from reconciliation.invoices.creation import create_invoice_from  # noqa: E402
from reconciliation.models import Document  # noqa: E402
from reconciliation.models import DocumentKind  # noqa: E402
from reconciliation.models import DocumentStatus  # noqa: E402
from reconciliation.models import Invoice  # noqa: E402
from reconciliation.models import InvoiceStatus  # noqa: E402
from reconciliation.models import Workspace  # noqa: E402

REQUIRED = scoring.REQUIRED_FIELDS
CORPUS = ROOT.parent / "shared" / "corpus"
KINDS = {
    "supplier_name": "name",
    "invoice_number": "invno",
    "issue_date": "date",
    "due_date": "date",
    "total_amount": "amount",
    "tax_amount": "amount",
    "currency": "currency",
    "supplier_vat_id": "id",
    "supplier_iban": "id",
    "supplier_domain": "domain",
}


def _scorer(corpus: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("score_fields", corpus / "score_fields.py")
    if spec is None or spec.loader is None:
        raise SystemExit(f"no scorer in {corpus}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclass
class Sample:
    name: str
    content_hash: str
    extraction: Extraction
    truth: dict[str, Any]
    received: date | None


@dataclass
class Tally:
    routed: Counter[str] = field(default_factory=Counter)
    approved_correct: int = 0
    approved_wrong: list[str] = field(default_factory=list)
    scored: list[tuple[float, bool]] = field(default_factory=list)  # (confidence, all right)
    copies: int = 0  # documents recognised as copies of an invoice already there (not routed)

    @property
    def total(self) -> int:
        return sum(self.routed.values())

    def share(self, status: str) -> float:
        return self.routed[status] / self.total if self.total else 0.0

    @property
    def review_rate(self) -> float:
        return self.share(InvoiceStatus.NEEDS_REVIEW)

    @property
    def precision(self) -> float | None:
        approved = self.routed[InvoiceStatus.APPROVED]
        return self.approved_correct / approved if approved else None

    def add(self, other: Tally) -> None:
        self.routed.update(other.routed)
        self.approved_correct += other.approved_correct
        self.approved_wrong += other.approved_wrong
        self.scored += other.scored
        self.copies += other.copies


class Bench:
    def __init__(self, scorer: ModuleType) -> None:
        self.scorer = scorer
        self.options = argparse.Namespace(signed=False, month_first=False)
        self.counter = 0

    def workspace(self, name: str, *, training_policy: bool) -> Workspace:
        self.counter += 1
        return Workspace.objects.create(
            name=name, slug=f"bench-{self.counter}", review_vendors_in_training=training_policy
        )

    def process(self, workspace: Workspace, sample: Sample) -> Invoice | None:
        """What the parsing step does after extraction, then routing."""
        extraction = sample.extraction
        self.counter += 1
        data = extraction.to_json()
        words = data.pop("words")
        kind = extraction.kind if extraction.readable else "other"
        document = Document.objects.create(
            workspace=workspace,
            source_file_id=f"id:bench-{self.counter}",
            original_name=sample.name,
            content_hash=f"{sample.content_hash}-{self.counter}",
            kind=DocumentKind(kind),
            status=DocumentStatus.PARSED,
            extraction=data,
            words=words,
        )
        if sample.received is not None:
            received = datetime.combine(sample.received, time(9), tzinfo=UTC)
            Document.objects.filter(pk=document.pk).update(received_at=received)
            document.received_at = received
        # The product's own step from a read document to a routed invoice, nothing re-done here.
        # None: a copy of an invoice already in the workspace (another rendering of it).
        return create_invoice_from(document=document, extraction=extraction)

    def wrong_fields(
        self, invoice: Invoice, truth: dict[str, Any], names: tuple[str, ...]
    ) -> list[str]:
        wrong = []
        for name in names:
            expected = truth.get(name)
            if expected is None:
                continue
            predicted = (invoice.fields.get(name) or {}).get("value")
            if not self.scorer.match(KINDS[name], expected, predicted, self.options):
                wrong.append(name)
        return wrong

    def count(self, tally: Tally, invoice: Invoice | None, sample: Sample) -> None:
        if invoice is None:
            tally.copies += 1
            return
        tally.routed[invoice.status] += 1
        wrong = self.wrong_fields(invoice, sample.truth, REQUIRED)
        tally.scored.append((float(invoice.confidence or 0), not wrong))
        if invoice.status == InvoiceStatus.APPROVED:
            if wrong:
                tally.approved_wrong.append(f"{sample.name}: {', '.join(wrong)}")
            else:
                tally.approved_correct += 1

    def review(self, invoice: Invoice | None, sample: Sample) -> None:
        """A reviewer checks the document (even one Well approved on its own), fixes every
        wrong field against the truth and approves."""
        if invoice is None:
            return
        invoice.refresh_from_db()
        corrections = {}
        for name in self.wrong_fields(invoice, sample.truth, INVOICE_FIELDS):
            corrections[name] = str(sample.truth[name])
        if invoice.status in (InvoiceStatus.REFUSED, InvoiceStatus.APPROVED):
            invoice.reopen(None, "bench reviewer")
            invoice.save()
        learning.record_review(invoice=invoice, user=None, corrections=corrections, approve=True)


def _received(truth: dict[str, Any]) -> date | None:
    issue = truth.get("issue_date")
    if isinstance(issue, list):
        issue = issue[0] if issue else None
    try:
        return date.fromisoformat(str(issue)) + timedelta(days=2) if issue else None
    except ValueError:
        return None


def corpus_samples(corpus: Path, *, use_xml: bool) -> list[Sample]:
    import json

    samples = []
    for pdf in sorted(corpus.rglob("*.pdf")):
        truth_path = pdf.with_suffix(".json")
        if not truth_path.exists():
            continue
        truth = json.loads(truth_path.read_text())["fields"]
        try:
            extraction = extract_document(pdf, use_xml=use_xml)
        except Exception as error:  # a broken file is the parser benchmark's business
            print(f"  skipped {pdf.name}: {error}")
            continue
        samples.append(
            Sample(str(pdf.relative_to(corpus)), pdf.name, extraction, truth, _received(truth))
        )
    return samples


def stream_samples(vendor_seed: int, count: int) -> list[Sample]:
    generate = _stream_generator()
    samples = []
    with tempfile.TemporaryDirectory() as folder:
        for index, rendered in enumerate(generate(vendor_seed, count)):
            path = Path(folder) / f"{vendor_seed}-{index}.pdf"
            path.write_bytes(rendered.content)
            extraction = extract_document(path, use_xml=False)
            truth = dict(rendered.truth)
            samples.append(
                Sample(
                    f"vendor {vendor_seed} #{index}",
                    rendered.sha256,
                    extraction,
                    truth,
                    _received(truth),
                )
            )
    return samples


def _stream_generator() -> Any:
    from connectors.sandbox.demo_data import generate_vendor_stream

    return generate_vendor_stream


def _pct(value: float | None) -> str:
    return "   n/a" if value is None else f"{value * 100:6.1f}%"


def run_corpus(bench: Bench, corpus: Path) -> dict[str, Tally]:
    results: dict[str, Tally] = {}
    for use_xml in (True, False):
        samples = corpus_samples(corpus, use_xml=use_xml)
        for policy in (True, False):
            tally = Tally()
            for number, sample in enumerate(samples):
                # Each corpus file is another company's first document from that supplier:
                # many files are renderings of one invoice, which one workspace would (rightly)
                # set aside as copies. Vendor learning is what the streams below measure.
                workspace = bench.workspace(
                    f"corpus xml={use_xml} {number}", training_policy=policy
                )
                bench.count(tally, bench.process(workspace, sample), sample)
            xml = "on " if use_xml else "off"
            results[f"corpus, XML {xml}, training policy {'on ' if policy else 'off'}"] = tally
    return results


@dataclass
class CurvePoint:
    corrected: int
    policy_on: Tally = field(default_factory=Tally)
    policy_off: Tally = field(default_factory=Tally)
    hits: Counter[str] = field(default_factory=Counter)


def run_streams(
    bench: Bench, seeds: list[int], count: int, checkpoints: tuple[int, ...]
) -> list[CurvePoint]:
    points = [CurvePoint(k) for k in checkpoints]
    test_from = max(checkpoints)
    for seed in seeds:
        samples = stream_samples(seed, count)
        held_out = samples[test_from:]
        for point in points:
            for policy in (True, False):
                workspace = bench.workspace(
                    f"vendor {seed} after {point.corrected}", training_policy=policy
                )
                for sample in samples[: point.corrected]:
                    bench.review(bench.process(workspace, sample), sample)
                tally = point.policy_on if policy else point.policy_off
                for sample in held_out:
                    bench.count(tally, bench.process(workspace, sample), sample)
                if not policy:
                    vendor = Invoice.objects.for_workspace(workspace).exclude(vendor=None).first()
                    stats = vendor.vendor.mapping_stats if vendor and vendor.vendor else {}
                    for values in stats.values():
                        point.hits["tried"] += int(values.get("tried", 0))
                        point.hits["hits"] += int(values.get("hits", 0))
    return points


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--vendors", type=int, default=6, help="vendor streams (seeds 1..N)")
    parser.add_argument("--stream", type=int, default=24, help="documents per vendor stream")
    parser.add_argument(
        "--errors", action="store_true", help="list wrongly auto-approved documents"
    )
    parser.add_argument(
        "--history", type=int, default=10_000, help="decided documents for the simulator timing"
    )
    parser.add_argument(
        "--simulator-only", action="store_true", help="only the threshold simulator timing"
    )
    return parser.parse_args()


def main() -> None:
    arguments = _arguments()
    logging.getLogger("reconciliation").setLevel(logging.WARNING)
    call_command("migrate", verbosity=0)
    from bench.routing_history import print_timing

    if arguments.simulator_only:
        print_timing(arguments.history)
        return
    bench = Bench(_scorer(arguments.corpus))

    print("Routing benchmark (thresholds 55 / 85, no routing rules)\n")
    corpus = run_corpus(bench, arguments.corpus)
    header = (
        f"{'set':<46}{'docs':>6}{'approved':>10}{'review':>9}{'refused':>9}{'precision':>11}"
        f"{'copies':>8}"
    )
    print(header)
    for name, tally in corpus.items():
        _row(name, tally)
    checkpoints = (0, 3, 10)
    seeds = list(range(1, arguments.vendors + 1))
    points = run_streams(bench, seeds, arguments.stream, checkpoints)
    held = arguments.stream - max(checkpoints)
    print(
        f"\nVendor streams: {len(seeds)} vendors × {arguments.stream} documents, text layer only;"
        f" routed: documents {max(checkpoints) + 1}–{arguments.stream} of each vendor ({held} each)"
    )
    print(header)
    for point in points:
        _row(f"after {point.corrected:>2} corrected, training policy on ", point.policy_on)
        _row(f"after {point.corrected:>2} corrected, training policy off", point.policy_off)
    _print_curve(points)
    _print_overall(corpus, points)
    if arguments.errors:
        for tally in [*corpus.values(), *(p.policy_off for p in points)]:
            for line in tally.approved_wrong:
                print("  wrongly approved:", line)
    print_timing(arguments.history)


def _print_curve(points: list[CurvePoint]) -> None:
    print("\nLearning curve (review rate of a vendor's next documents)")
    print(f"{'corrected':>10}{'policy on':>12}{'policy off':>12}{'precision':>11}{'map hits':>10}")
    for point in points:
        tried = point.hits["tried"]
        hit_rate = point.hits["hits"] / tried if tried else None
        print(
            f"{point.corrected:>10}{_pct(point.policy_on.review_rate):>12}"
            f"{_pct(point.policy_off.review_rate):>12}"
            f"{_pct(point.policy_off.precision):>11}{_pct(hit_rate):>10}"
        )


def _print_overall(corpus: dict[str, Tally], points: list[CurvePoint]) -> None:
    """Every document routed with the training policy off, and how right each confidence
    band is."""
    overall = Tally()
    for name, tally in corpus.items():
        if "policy off" in name:
            overall.add(tally)
    for point in points:
        overall.add(point.policy_off)
    print(
        f"\nAll routed documents, training policy off: {overall.total} docs, auto-approve "
        f"{_pct(overall.share('approved'))}, review {_pct(overall.review_rate)}, refused "
        f"{_pct(overall.share('refused'))}, auto-approve precision {_pct(overall.precision)} "
        f"(target ≥ 99%)"
    )
    print("\nConfidence band → documents whose five required fields are all right (policy off)")
    bands = ((0, 55), (55, 70), (70, 85), (85, 95), (95, 100.01))
    for low, high in bands:
        inside = [right for value, right in overall.scored if low <= value < high]
        share = sum(inside) / len(inside) if inside else None
        print(f"  {low:>5.0f}–{min(high, 100):<5.0f}{len(inside):>6} docs{_pct(share):>9} right")


def _row(name: str, tally: Tally) -> None:
    print(
        f"{name:<46}{tally.total:>6}{_pct(tally.share('approved')):>10}"
        f"{_pct(tally.review_rate):>9}{_pct(tally.share('refused')):>9}{_pct(tally.precision):>11}"
        f"{tally.copies:>8}"
    )


if __name__ == "__main__":
    main()
