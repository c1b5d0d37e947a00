"""Matching benchmark: 10,000 documents against 1,000,000 Qonto transactions.

    make bench-match
    .venv/bin/python bench/match.py [--documents 10000] [--transactions 1000000] [--seed 0]
                                    [--postgres] [--errors 10]

Data comes from ``connectors.sandbox.demo_data.generate_bulk``: payment confirmations (85 %) and
receivables (15 %) with the truth of which transaction settles each, and realistic noise —
foreign currencies, separate transfer fees, inbound fees, partial payments, truncated,
abbreviated, padded and missing references, RF and Belgian structured references, bank labels
in capitals or cut short, missing counterparty IBANs, late settlements, near-duplicate debits
(same counterparty and amount a day or two apart, or another counterparty with the same
amount) and recurring same-amount payments a month apart.

The rows are bulk-inserted into a throwaway database (SQLite in a temporary directory, or
PostgreSQL at ``postgres://postgres@127.0.0.1:5432/well_bench_match`` with ``--postgres``,
dropped and re-created). Then ``match_window`` runs in a fresh process, so its wall time and
peak memory are its own, and a second window shows the steady-state cost. Automatic matches
(``confirmed``) are scored against the truth: precision = right / confirmed, recall = right /
documents whose payment is on the account. Targets on the 2-core machine: < 30 s for the
first window, precision ≥ 99.5 %, recall ≥ 90 % (invoice ↔ debit ≥ 85 %), every double payment
flagged.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections import defaultdict
from collections.abc import Iterable
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import datetime
from datetime import timedelta
from decimal import Decimal
from functools import lru_cache
from itertools import chain
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.match_cases import CaseData  # noqa: E402 - after the path is set
from bench.match_cases import KindScore  # noqa: E402 - after the path is set
from bench.match_cases import evaluate_cases  # noqa: E402 - after the path is set
from bench.match_cases import generate_cases  # noqa: E402 - after the path is set
from bench.match_cases import load_cases  # noqa: E402 - after the path is set
from bench.match_cases import parsed_document  # noqa: E402 - after the path is set

POSTGRES_SERVER = "postgres://postgres@127.0.0.1:5432"
POSTGRES_NAME = "well_bench_match"
BATCH = 5_000


def _configure(database_url: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "well.test_settings"
    os.environ["DATABASE_URL"] = database_url
    import django

    django.setup()
    import logging

    logging.getLogger("reconciliation").setLevel(logging.WARNING)


# --- loading ---------------------------------------------------------------------------------


@lru_cache(maxsize=200_000)
def _name(label: str) -> str:
    from reconciliation.text.names import normalize_counterparty

    return normalize_counterparty(label)


def _money(cents: int) -> Decimal:
    return Decimal(cents) / 100


def _moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


def transaction_rows(
    transactions: Iterable[dict[str, Any]], workspace_id: int, connection_id: int
) -> Iterator[dict[str, Any]]:
    """The generators' Qonto-shaped dicts as mirror rows (column values), mapped as
    `transaction_mirror.transaction_row` maps them: same normalisers, amounts from the exact
    ``*_cents``, no raw JSON kept."""
    from reconciliation.text.identifiers import compact_iban
    from reconciliation.text.references import remittance_reference

    for row in transactions:
        emitted = _moment(row["emitted_at"])
        settled = _moment(row["settled_at"])
        detail = row.get("transfer") or row.get("income") or row.get("direct_debit") or {}
        reference = row["reference"] or ""
        label = row["clean_counterparty_name"] or row["label"] or ""
        yield {
            "workspace_id": workspace_id,
            "connection_id": connection_id,
            "qonto_id": row["id"],
            "transaction_slug": "",
            "bank_account_id": row["bank_account_id"],
            "side": row["side"],
            "status": row["status"],
            "operation_type": row["operation_type"],
            "amount": _money(row["amount_cents"]),
            "currency": row["currency"],
            "local_amount": _money(row["local_amount_cents"]),
            "local_currency": row["local_currency"],
            "counterparty_name": label,
            "normalized_counterparty": _name(label),
            "counterparty_iban": compact_iban(detail.get("counterparty_account_number")),
            "reference": reference,
            "normalized_reference": remittance_reference(reference).normalized[:140],
            "note": "",
            "emitted_at": emitted,
            "settled_at": settled,
            "value_date": moment.date() if (moment := settled or emitted) else None,
            "qonto_updated_at": _moment(row["updated_at"]),
            "attachment_ids": [],
            "raw": {},
        }


def _batches(rows: Iterable[Any], size: int = BATCH) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def insert_rows(model: Any, rows: list[dict[str, Any]]) -> None:
    """``executemany`` of column values: the ORM's ``bulk_create`` is held to 999 parameters
    a statement on SQLite (38 transactions) and builds a model per row, far too slow for a
    million rows."""
    import json as json_module

    from django.db import connection
    from django.db import models
    from django.db import transaction as db_transaction

    ops = connection.ops
    columns = [column for column in model._meta.concrete_fields if not column.primary_key]
    adapters: list[Any] = []
    for column in columns:
        if isinstance(column, models.DateTimeField):
            adapters.append(ops.adapt_datetimefield_value)
        elif isinstance(column, models.DateField):
            adapters.append(ops.adapt_datefield_value)
        elif isinstance(column, models.JSONField):
            adapters.append(json_module.dumps)
        elif isinstance(column, models.DecimalField):
            adapters.append(lambda value: None if value is None else str(value))
        else:
            adapters.append(None)
    names = ", ".join(ops.quote_name(column.column) for column in columns)
    marks = ", ".join(["%s"] * len(columns))
    table = ops.quote_name(model._meta.db_table)
    statement = f"INSERT INTO {table} ({names}) VALUES ({marks})"  # noqa: S608 - our own names
    pairs = [(column.attname, adapt) for column, adapt in zip(columns, adapters, strict=True)]
    values = [
        tuple(adapt(row[name]) if adapt else row[name] for name, adapt in pairs) for row in rows
    ]
    with db_transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(statement, values)


def _bulk_documents(data: Any, workspace_id: int) -> tuple[list[Any], list[Any]]:
    """The bulk generator's payment confirmations (as parsed documents, with the fields the
    reader extracts from payment documents) and receivables."""
    from reconciliation.extraction.types import PAYMENT_FIELDS
    from reconciliation.models import Document
    from reconciliation.models import DocumentKind
    from reconciliation.models import Receivable
    from reconciliation.text.references import normalize_reference

    documents: list[Document] = []
    receivables: list[Receivable] = []
    for item in data.documents():
        if item["kind"] == "receivable":
            receivables.append(
                Receivable(
                    workspace_id=workspace_id,
                    reference=item["reference"],
                    normalized_reference=normalize_reference(item["reference"])[:140],
                    customer_name=item["customer_name"],
                    normalized_customer=_name(item["customer_name"]),
                    customer_iban=item["customer_iban"],
                    amount=Decimal(item["amount"]),
                    currency=item["currency"],
                    issue_date=date.fromisoformat(item["issue_date"]),
                    due_date=date.fromisoformat(item["due_date"]),
                )
            )
            continue
        fields = {
            name: {"value": item[name], "confidence": 0.95, "source": "text", "evidence": None}
            for name in PAYMENT_FIELDS
            if item.get(name)
        }
        extraction = {"kind": "payment_confirmation", "fields": fields}
        documents.append(
            parsed_document(
                workspace_id, item["id"], DocumentKind.PAYMENT_CONFIRMATION, extraction=extraction
            )
        )
    return documents, receivables


def load(data: Any, cases: CaseData) -> tuple[int, dict[str, float]]:
    from django.db import connection
    from django.db import transaction as db_transaction
    from django.utils import timezone

    from reconciliation.models import Connection
    from reconciliation.models import ConnectionStatus
    from reconciliation.models import Document
    from reconciliation.models import Provider
    from reconciliation.models import Receivable
    from reconciliation.models import Transaction
    from reconciliation.models import Workspace

    timings: dict[str, float] = {}
    workspace = Workspace.objects.create(name="Bench SAS", slug="bench")
    bank = Connection.objects.create(
        workspace=workspace, provider=Provider.QONTO, status=ConnectionStatus.ACTIVE
    )
    started = time.monotonic()
    documents, receivables = _bulk_documents(data, workspace.pk)
    with db_transaction.atomic():
        Document.objects.bulk_create(documents, batch_size=2_000)
        Receivable.objects.bulk_create(receivables, batch_size=2_000)
    load_cases(cases, workspace.pk)
    timings["documents"] = time.monotonic() - started
    started = time.monotonic()
    if connection.vendor == "sqlite":
        # A throwaway database: no need to wait for the disk during the bulk load.
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA synchronous=OFF")
            cursor.execute("PRAGMA cache_size=-524288")  # 512 MB: random-key index inserts
    # As if the sync had stored them an hour ago: the second window then measures the
    # steady state (only what was synced since the first), not an artefact of the load.
    synced_at = timezone.now() - timedelta(hours=1)
    rows = chain(data.transactions(), cases.transactions)
    for batch in _batches(transaction_rows(rows, workspace.pk, bank.pk)):
        for row in batch:
            row["synced_at"] = synced_at
        insert_rows(Transaction, batch)
    Receivable.objects.filter(workspace=workspace).update(created_at=synced_at)
    timings["transactions"] = time.monotonic() - started
    return workspace.pk, timings


# --- matching in its own process ---------------------------------------------------------------


def run_windows(workspace_id: int, today: date) -> dict[str, Any]:
    """Two windows back to back; wall time and peak memory of each (this process only)."""
    from django.db import connection

    from reconciliation.matching import match_window

    with connection.cursor() as cursor:
        # Planner statistics, as a long-lived database has them (autovacuum, or SQLite's
        # optimize); a freshly bulk-loaded table has none.
        cursor.execute("ANALYZE")
    before = _memory_mb("VmHWM")
    started, cpu = time.monotonic(), time.process_time()
    first = match_window(workspace_id=workspace_id, today=today)
    first_seconds, first_cpu = time.monotonic() - started, time.process_time() - cpu
    peak = _memory_mb("VmHWM")
    started, cpu = time.monotonic(), time.process_time()
    second = match_window(workspace_id=workspace_id, today=today)
    second_seconds, second_cpu = time.monotonic() - started, time.process_time() - cpu
    # CPU time too: SQLite runs in this process, so on a machine shared with other work the
    # CPU seconds are the matching's own cost when the wall time is not.
    return {
        "first_seconds": first_seconds,
        "second_seconds": second_seconds,
        "first_cpu": first_cpu,
        "second_cpu": second_cpu,
        "rss_before_mb": before,
        "rss_peak_mb": peak,
        "first": _summary(first),
        "second": _summary(second),
    }


def _memory_mb(name: str) -> float:
    """From /proc/self/status: ``VmHWM`` is this process's peak resident memory (getrusage's
    ``ru_maxrss`` would carry over the parent's peak across fork and exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{name}:"):
            return int(line.split()[1]) / 1024
    return float(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) / 1024


def _summary(report: Any) -> dict[str, Any]:
    return {
        "confirmed": report.confirmed,
        "proposed": report.proposed,
        "unmatched": len(report.unmatched_document_ids),
        "invoices_settled": report.invoices_settled,
        "credits_considered": report.credits_considered,
        "credits_confirmed": report.credits_confirmed,
        "credits_proposed": report.credits_proposed,
    }


def match_in_child(database_url: str, workspace_id: int, today: date) -> dict[str, Any]:
    output = subprocess.run(
        [
            sys.executable,
            __file__,
            "--phase",
            "match",
            "--workspace",
            str(workspace_id),
            "--today",
            today.isoformat(),
        ],
        env={**os.environ, "DATABASE_URL": database_url},
        check=True,
        capture_output=True,
        text=True,
    )
    return dict(json.loads(output.stdout.strip().splitlines()[-1]))


# --- scoring against the truth ---------------------------------------------------------------


@dataclass
class Score:
    total: int = 0  # documents whose payment is on the account
    confirmed: int = 0
    right: int = 0
    wrong: list[str] = field(default_factory=list)
    proposed: int = 0
    truth_in_proposals: int = 0
    by_tag: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))

    @property
    def precision(self) -> float | None:
        return self.right / self.confirmed if self.confirmed else None

    @property
    def recall(self) -> float | None:
        return self.right / self.total if self.total else None


def _bulk_links(
    workspace_id: int, reference_to_doc: dict[str, str]
) -> tuple[dict[str, str], dict[str, set[str]]]:
    """Confirmed and proposed transactions per bulk document (confirmations, receivables)."""
    from reconciliation.models import Match
    from reconciliation.models import MatchKind
    from reconciliation.models import MatchStatus

    confirmed: dict[str, str] = {}
    proposed: dict[str, set[str]] = defaultdict(set)
    rows = Match.objects.filter(
        workspace_id=workspace_id,
        kind__in=(MatchKind.CONFIRMATION_DEBIT, MatchKind.CREDIT_RECEIVABLE),
    ).values_list(
        "kind", "document__source_file_id", "receivable__reference", "transaction__qonto_id",
        "status",
    )  # fmt: skip
    for kind, document, reference, tx_id, status in rows:
        doc_id = document if kind == MatchKind.CONFIRMATION_DEBIT else None
        doc_id = doc_id or reference_to_doc.get(reference or "")
        if doc_id is None:
            continue  # one of the new cases (`bench.match_cases`), scored there
        if status == MatchStatus.CONFIRMED:
            already = confirmed.get(doc_id)
            confirmed[doc_id] = f"{already} and {tx_id}" if already and already != tx_id else tx_id
        elif status == MatchStatus.PROPOSED:
            proposed[doc_id].add(tx_id)
    return confirmed, proposed


def evaluate(data: Any, workspace_id: int) -> tuple[Score, Score]:
    documents = {item["id"]: item for item in data.documents()}
    reference_to_doc = {
        item["reference"]: item["id"] for item in documents.values() if item["kind"] == "receivable"
    }
    confirmed, proposed = _bulk_links(workspace_id, reference_to_doc)
    debits, credits = Score(), Score()
    for doc_id, item in documents.items():
        score = credits if item["kind"] == "receivable" else debits
        truth = item["truth_transaction_id"]
        tags = item["noise"] or ["clean"]
        score.total += truth is not None
        outcome = "documents"
        if doc_id in confirmed:
            score.confirmed += 1
            outcome = "right" if confirmed[doc_id] == truth else "wrong"
            score.right += outcome == "right"
            if outcome == "wrong":
                score.wrong.append(f"{doc_id} {tags}: matched {confirmed[doc_id]}, truth {truth}")
        elif doc_id in proposed:
            score.proposed += 1
            score.truth_in_proposals += truth in proposed[doc_id]
            outcome = "review"
        for tag in tags:
            score.by_tag[tag]["documents"] += 1
            if outcome != "documents":
                score.by_tag[tag][outcome] += 1
    return debits, credits


# --- report ----------------------------------------------------------------------------------


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.2f}%"


def _ratio(right: int, total: int) -> float | None:
    return right / total if total else None


def _print_windows(args: argparse.Namespace, engine: str, timings: dict[str, float],
                   run: dict[str, Any]) -> None:  # fmt: skip
    print(f"Matching benchmark on {engine}: {args.documents:,} documents, "
          f"{args.transactions:,} transactions, seed {args.seed}")  # fmt: skip
    print(
        f"load: documents {timings['documents']:.1f} s, transactions "
        f"{timings['transactions']:.1f} s (not part of the target)\n"
    )
    print(f"{'window':<28}{'wall time':>12}{'CPU time':>11}{'confirmed':>11}{'review':>8}"
          f"{'invoices':>10}{'credits':>9}")  # fmt: skip
    for name, key, summary in (
        ("first (everything new)", "first", run["first"]),
        ("second (steady state)", "second", run["second"]),
    ):
        print(
            f"{name:<28}{run[key + '_seconds']:>10.1f} s{run[key + '_cpu']:>9.1f} s"
            f"{summary['confirmed']:>11}"
            f"{summary['proposed']:>8}{summary['invoices_settled']:>10}"
            f"{summary['credits_considered']:>9}"
        )
    print(
        f"\npeak memory of the matching process: {run['rss_peak_mb']:.0f} MB "
        f"(of which {run['rss_before_mb']:.0f} MB before the first window: Python + Django)\n"
    )


def _kinds(debits: Score, credits: Score, cases: dict[str, KindScore]) -> dict[str, KindScore]:
    """Every pairing kind as one table row; receivables of both generators together."""
    bulk_credits = cases["credit_receivable"]
    return {
        "confirmation ↔ debit": KindScore(
            debits.total, debits.confirmed, debits.right, debits.proposed, debits.wrong
        ),
        "invoice ↔ debit": cases["invoice_debit"],
        "credit ↔ receivable": KindScore(
            credits.total + bulk_credits.total,
            credits.confirmed + bulk_credits.confirmed,
            credits.right + bulk_credits.right,
            credits.proposed + bulk_credits.proposed,
            credits.wrong + bulk_credits.wrong,
        ),
        "  of which paid by number": bulk_credits,
        "credit ↔ credit note": cases["credit_note"],
    }


def _print_kinds(kinds: dict[str, KindScore], cases: dict[str, KindScore]) -> KindScore:
    print(f"{'pairing':<30}{'to link':>9}{'linked':>8}{'right':>7}{'precision':>11}"
          f"{'recall':>9}{'review':>8}")  # fmt: skip
    total = KindScore()
    for name, score in kinds.items():
        if not name.startswith(" "):
            total.total += score.total
            total.confirmed += score.confirmed
            total.right += score.right
            total.proposed += score.proposed
            total.wrong += score.wrong
        _print_kind(name, score)
    _print_kind("all links", total)
    print()
    _print_kind("double payments flagged", cases["double_payment"])
    if cases["double_payment"].note:
        print(f"  {cases['double_payment'].note}")
    _print_kind("refused, but paid: surfaced", cases["paid_refused"])
    return total


def _print_kind(name: str, score: KindScore) -> None:
    print(
        f"{name:<30}{score.total:>9}{score.confirmed:>8}{score.right:>7}"
        f"{_pct(_ratio(score.right, score.confirmed)):>11}"
        f"{_pct(_ratio(score.right, score.total)):>9}{score.proposed:>8}"
    )


def _print_noise(debits: Score, credits: Score) -> None:
    print("\nbulk generator, by noise (documents, right, wrong, sent to review)")
    for tag in sorted({*debits.by_tag, *credits.by_tag}):
        cells = []
        for score in (debits, credits):
            counts = score.by_tag.get(tag)
            cells.append(
                f"{counts['documents']:>6}{counts['right']:>6}{counts['wrong']:>5}{counts['review']:>6}"
                if counts
                else f"{'':>23}"
            )
        print(f"  {tag:<36}{cells[0]}   |{cells[1]}")
    print(f"  {'':<36}{'confirmations':>23}   |{'receivables':>23}")


def report(args: argparse.Namespace, engine: str, timings: dict[str, float], run: dict[str, Any],
           scores: tuple[Score, Score, dict[str, KindScore]]) -> None:  # fmt: skip
    debits, credits, cases = scores
    _print_windows(args, engine, timings, run)
    kinds = _kinds(debits, credits, cases)
    total = _print_kinds(kinds, cases)
    _print_noise(debits, credits)
    seconds = run["first_seconds"]
    cpu = run["first_cpu"]
    precision = _ratio(total.right, total.confirmed) or 0.0
    recall = _ratio(total.right, total.total) or 0.0
    invoices = _ratio(kinds["invoice ↔ debit"].right, kinds["invoice ↔ debit"].total) or 0.0
    doubles = cases["double_payment"]
    checks = (
        (f"< 30 s → {seconds:.1f} s wall, {cpu:.1f} s CPU", seconds < 30),
        (f"precision ≥ 99.5% → {_pct(precision)}", precision >= 0.995),
        (f"recall ≥ 90% → {_pct(recall)}", recall >= 0.90),
        (f"invoice ↔ debit ≥ 85% → {_pct(invoices)}", invoices >= 0.85),
        (f"every double payment flagged → {doubles.right}/{doubles.total}",
         doubles.right == doubles.total),
    )  # fmt: skip
    print("\ntargets: " + "; ".join(f"{text} {'met' if ok else 'MISSED'}" for text, ok in checks))
    wrong = [line for score in kinds.values() for line in score.wrong]
    wrong += doubles.wrong + cases["paid_refused"].wrong
    if wrong and args.errors:
        print(f"\nwrong automatic matches and flags ({len(wrong)}; first {args.errors}):")
        for line in wrong[: args.errors]:
            print("  ", line)


# --- entry point -----------------------------------------------------------------------------


def _postgres_url(name: str) -> str:
    import psycopg

    with psycopg.connect(f"{POSTGRES_SERVER}/postgres", autocommit=True, connect_timeout=10) as db:
        db.execute(f'DROP DATABASE IF EXISTS "{name}"')
        db.execute(f'CREATE DATABASE "{name}"')
    return f"{POSTGRES_SERVER}/{name}"


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--documents", type=int, default=10_000)
    parser.add_argument("--transactions", type=int, default=1_000_000)
    parser.add_argument(
        "--cases", type=float, default=0.2, help="share of the documents from bench.match_cases"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL instead of SQLite")
    parser.add_argument("--errors", type=int, default=10, help="wrong matches to list")
    parser.add_argument("--phase", choices=("all", "match"), default="all", help=argparse.SUPPRESS)
    parser.add_argument("--workspace", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--today", help=argparse.SUPPRESS)
    return parser.parse_args()


def _generate(args: argparse.Namespace) -> tuple[Any, CaseData]:
    """Both generators, sharing the documents and transactions asked for: the new cases are
    `--cases` of the documents (invoices 75 %, receivables 15 %, credit notes 10 %)."""
    from connectors.sandbox.demo_data import generate_bulk

    extra = int(args.documents * args.cases)
    anchor, days = date(2026, 11, 27), 365
    cases = generate_cases(
        extra * 75 // 100, extra * 15 // 100, extra // 10, seed=args.seed, anchor=anchor, days=days
    )
    data = generate_bulk(
        args.documents - extra,
        args.transactions - len(cases.transactions),
        args.seed,
        anchor=anchor,
        days=days,
    )
    return data, cases


def main() -> int:
    args = _arguments()
    if args.phase == "match":
        _configure(os.environ["DATABASE_URL"])
        result = run_windows(args.workspace, date.fromisoformat(args.today))
        print(json.dumps(result))
        return 0
    directory = tempfile.mkdtemp(prefix="well-bench-match-")
    os.environ.setdefault("WELL_VAR_DIR", directory)
    if args.postgres:
        database_url, engine = _postgres_url(POSTGRES_NAME), "PostgreSQL"
    else:
        database_url, engine = f"sqlite:///{directory}/bench.sqlite3", "SQLite"
    _configure(database_url)
    from django.core.management import call_command
    from django.db import connections

    call_command("migrate", verbosity=0)
    data, cases = _generate(args)
    workspace_id, timings = load(data, cases)
    connections.close_all()
    run = match_in_child(database_url, workspace_id, data.anchor)
    scores = (*evaluate(data, workspace_id), evaluate_cases(cases, workspace_id))
    report(args, engine, timings, run, scores)
    return 0


if __name__ == "__main__":
    sys.exit(main())
