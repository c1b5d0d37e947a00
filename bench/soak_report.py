"""The soak's ledger (Well's rows against the emulators' state) and its printed table."""

from __future__ import annotations

import os
import statistics
from collections import Counter
from dataclasses import dataclass
from dataclasses import field
from typing import Any


@dataclass
class Tally:
    """One stage's rows: how many there are, and what the soak must never see — rows lost on
    the way and rows written twice."""

    rows: int = 0
    lost: int = 0
    duplicated: int = 0


@dataclass
class Ledger:
    """Well's rows at each stage (documents, invoices, posts to Qonto, attachments on Qonto)
    against what the emulators were given, and the soak's other figures."""

    documents: Tally = field(default_factory=Tally)
    invoices: Tally = field(default_factory=Tally)
    posts: Tally = field(default_factory=Tally)
    attachments: Tally = field(default_factory=Tally)
    files: int = 0
    marked_duplicates: int = 0
    invoice_documents: int = 0
    orphan_posts: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)

    @property
    def bad(self) -> int:
        """Rows lost or written twice, at every stage."""
        stages = (self.documents, self.invoices, self.posts, self.attachments)
        return sum(stage.lost + stage.duplicated for stage in stages)


def _extra_copies(counts: Counter[Any] | dict[Any, int]) -> int:
    """How many copies beyond the first the counted things have."""
    return sum(n - 1 for n in counts.values() if n > 1)


def _documents(folders: list[Any], ledger: Ledger) -> None:
    from reconciliation.models import Document
    from reconciliation.models import DocumentStatus

    for folder in folders:
        names = Counter(
            Document.objects.filter(workspace_id=folder.workspace_id).values_list(
                "source_path", flat=True
            )
        )
        wanted = {path.lower() for path in folder.files}
        seen = {path.lower(): n for path, n in names.items()}
        ledger.files += len(folder.files)
        ledger.documents.lost += len(wanted - set(seen))
        ledger.documents.duplicated += _extra_copies(seen)
    ledger.documents.rows = Document.objects.count()
    ledger.marked_duplicates = Document.objects.filter(status=DocumentStatus.DUPLICATE).count()


def _invoices(ledger: Ledger) -> None:
    from django.db.models import Count

    from reconciliation.models import INVOICE_KINDS
    from reconciliation.models import Document
    from reconciliation.models import DocumentStatus
    from reconciliation.models import Invoice

    readable = Document.objects.filter(kind__in=INVOICE_KINDS, status=DocumentStatus.PARSED)
    ledger.invoice_documents = readable.count()
    ledger.invoices.lost = readable.filter(invoice__isnull=True).count()
    ledger.invoices.rows = Invoice.objects.count()
    ledger.by_status = dict(
        Invoice.objects.values_list("status").annotate(n=Count("pk")).order_by()
    )


def _posts(sandbox: Any, ledger: Ledger) -> None:
    from reconciliation.models import Invoice
    from reconciliation.models import InvoiceStatus
    from reconciliation.models import QontoOrigin

    # Every workspace has its own Qonto organisation: a file posted twice is a duplicate within
    # one organisation; keys embed the invoice, so they count across organisations.
    by_key: Counter[str] = Counter()
    duplicate_files = 0
    for organization_id in sandbox.qonto.organization_ids():
        with sandbox.qonto.organization_scope(organization_id):
            by_key.update(sandbox.qonto.invoice_count_by_idempotency_key())
            by_file = sandbox.qonto.invoice_count_by_file_hash()
        duplicate_files += _extra_copies(by_file)
    ledger.posts.rows = sum(by_key.values())
    ledger.posts.duplicated = _extra_copies(by_key) + duplicate_files
    uploaded = Invoice.objects.filter(status=InvoiceStatus.POSTED).exclude(
        qonto_origin=QontoOrigin.LINKED
    )
    keys = set(uploaded.values_list("idempotency_key", flat=True))
    ledger.posts.lost = len(keys - set(by_key))
    ledger.orphan_posts = len(set(by_key) - keys)
    for received, posted in uploaded.values_list("document__received_at", "posted_at"):
        if received is not None and posted is not None:
            ledger.latencies.append((posted - received).total_seconds())


def _attachments(sandbox: Any, folders: list[Any], ledger: Ledger) -> None:
    from reconciliation.models import Match
    from reconciliation.models import MatchKind
    from reconciliation.models import MatchStatus

    attached = Match.objects.filter(
        kind=MatchKind.CONFIRMATION_DEBIT, status=MatchStatus.ATTACHED
    ).select_related("transaction")
    ledger.attachments.rows = attached.count()
    organizations = {folder.workspace_id: folder.organization_id for folder in folders}
    for match in attached:
        assert match.transaction is not None  # an attached payment match has its line
        with sandbox.qonto.organization_scope(organizations[match.workspace_id]):
            on_qonto = sandbox.qonto.attachments_of(match.transaction.qonto_id)
        ours = [a for a in on_qonto if a.idempotency_key]
        if not ours:
            ledger.attachments.lost += 1
        ledger.attachments.duplicated += _extra_copies(Counter(a.sha256 for a in ours))


def ledger(sandbox: Any, folders: list[Any]) -> Ledger:
    result = Ledger()
    _documents(folders, result)
    _invoices(result)
    _posts(sandbox, result)
    _attachments(sandbox, folders, result)
    return result


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))] if ordered else 0.0


def _rows(
    accounts: Ledger, clusters: list[Any], *, kills: Any, drained: bool, elapsed: float
) -> list[tuple[str, Any]]:
    minutes = elapsed / 60
    one, five, _ = os.getloadavg()
    peaks = [max(c.peak_kib.values(), default=0) / 1024 for c in clusters]
    return [
        ("documents (files put in Dropbox)", f"{accounts.files:,}"),
        ("drained", "yes" if drained else f"NO (stopped after {minutes:.1f} min)"),
        ("elapsed", f"{minutes:.1f} min"),
        ("throughput", f"{accounts.documents.rows / minutes:.0f} documents/minute"),
        (
            "latency poll → posted",
            f"p50 {statistics.median(accounts.latencies or [0]):.0f} s, "
            f"p95 {_p95(accounts.latencies):.0f} s ({len(accounts.latencies)} posted)",
        ),
        ("peak memory per worker", ", ".join(f"{p:.0f} MiB" for p in peaks)),
        ("SIGKILLs", ", ".join(f"{v} {k}" for k, v in sorted(kills.items())) or "none"),
        (
            "invoices by status",
            ", ".join(f"{k} {v}" for k, v in sorted(accounts.by_status.items())),
        ),
        ("documents set aside as duplicates (by design)", accounts.marked_duplicates),
        (
            "Qonto supplier invoices / attachments",
            f"{accounts.posts.rows} / {accounts.attachments.rows}",
        ),
        ("LOST documents / invoices", f"{accounts.documents.lost} / {accounts.invoices.lost}"),
        ("LOST posts / attachments", f"{accounts.posts.lost} / {accounts.attachments.lost}"),
        (
            "DUPLICATE documents / posts / attachments",
            f"{accounts.documents.duplicated} / {accounts.posts.duplicated} / "
            f"{accounts.attachments.duplicated}",
        ),
        ("orphans on Qonto (no posted invoice)", accounts.orphan_posts),
        ("load average", f"{one:.1f} (1 min), {five:.1f} (5 min) on {os.cpu_count()} cores"),
    ]


def report(
    arguments: Any,
    database_url: str,
    clusters: list[Any],
    accounts: Ledger,
    *,
    kills: Any,
    drained: bool,
    elapsed: float,
    profile: Any,
) -> int:
    rows = _rows(accounts, clusters, kills=kills, drained=drained, elapsed=elapsed)
    rows += profile.rows(elapsed=elapsed, workers=arguments.clusters * arguments.workers)
    print(
        f"\nSoak: {arguments.clusters} qcluster × {arguments.workers} workers, Redis db 11, "
        f"PostgreSQL {database_url.rsplit('/', 1)[-1]}, kill every ~{arguments.kill_every:.0f} s, "
        f"fault rate {arguments.fault_rate:.0%}, leases {arguments.lease} s"
    )
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"  {name:<{width}}  {value}")
    bad = accounts.bad
    verdict = "yes" if not bad else "NO"
    print(f"\n0 lost, 0 duplicated: {verdict}; drained: {'yes' if drained else 'NO'}")
    return 0 if drained and not bad else 1
