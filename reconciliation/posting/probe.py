"""The probe before posting: does Qonto already hold this invoice (brought by its e-mail inbox, a
manual upload, another tool)? Each approved invoice never sent is scored against the mirrored
supplier invoices that Well did not upload itself:

- amount (same currency, to the cent) 35, supplier 30 (same tax id, or names at least 90 %
  alike; 15 from 75 %), due date 20 (10 within three days), invoice number 25; capped at 100.
  Same amount, supplier and due date is 85 (the product's promise), with the number instead
  of the due date 90; one supplier's invoices falling due on the same day (50) are not enough.
- both sides numbered, with different numbers (``NH-2026-11-A`` / ``NH-2026-11-B``): another
  invoice, whatever else agrees — the score is kept below the link threshold, so a person
  decides;
- at or above the workspace's link threshold (default 85) the best entry is linked: the invoice
  keeps Qonto's id, nothing is uploaded, a decision is recorded;
- from 55 up to the threshold the invoice goes to review with its candidates (a person links
  one, or posts anyway);
- below 55 it is posted.

An entry already linked to another of our invoices is never a candidate (one Qonto entry, one
Well invoice)."""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any
from typing import Literal

from django.db.models import Q

from reconciliation.models import Invoice
from reconciliation.models import QontoSupplierInvoice
from reconciliation.models import Workspace
from reconciliation.text.identifiers import compact_vat_id
from reconciliation.text.names import name_similarity
from reconciliation.text.names import normalize_name

REVIEW_FLOOR = 55
AMOUNT_POINTS = 35
SUPPLIER_POINTS = 30
DUE_DATE_POINTS = 20
NUMBER_POINTS = 25
NEAR_DUE_DAYS = 3
#: Candidates shown to the reviewer.
MAX_CANDIDATES = 5

Verdict = Literal["link", "review", "post"]


@dataclass(frozen=True)
class Candidate:
    qonto_id: str
    score: int
    supplier_name: str
    invoice_number: str
    total_amount: str
    currency: str
    due_date: str
    reasons: tuple[str, ...]
    #: Both sides carry an invoice number and they differ: another invoice of the same
    #: supplier, amount and due date (``NH-2026-11-A`` / ``-B``), so never linked unseen.
    numbers_differ: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "qonto_id": self.qonto_id,
            "score": self.score,
            "supplier_name": self.supplier_name,
            "invoice_number": self.invoice_number,
            "total_amount": self.total_amount,
            "currency": self.currency,
            "due_date": self.due_date,
            "reasons": list(self.reasons),
        }


@dataclass(frozen=True)
class ProbeResult:
    verdict: Verdict
    candidates: tuple[Candidate, ...] = ()
    threshold: int = 85

    @property
    def best(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None


@dataclass
class _Points:
    total: int = 0
    reasons: list[str] = field(default_factory=list)

    def add(self, points: int, reason: str) -> None:
        self.total += points
        self.reasons.append(f"{reason} (+{points})")


def needs_probe(invoice: Invoice, *, sent: bool) -> bool:
    """Never sent (``sent``: an upload may have reached Qonto, see
    `reconciliation.posting.lookup.sent_before`), and no person decided to post it anyway (with
    the invoice page's button, or by approving it after the probe sent it to review)."""
    if sent or invoice.qonto_probe.get("decision") == "post_anyway":
        return False
    return not (invoice.qonto_probe.get("outcome") == "review" and invoice.decided_by_id)


def score(invoice: Invoice, entry: QontoSupplierInvoice) -> Candidate:
    points = _Points()
    if (
        invoice.total_amount is not None
        and entry.total_amount is not None
        and (invoice.currency or "").upper() == entry.currency
        and Decimal(invoice.total_amount).quantize(Decimal("0.01"))
        == Decimal(entry.total_amount).quantize(Decimal("0.01"))
    ):
        points.add(AMOUNT_POINTS, "same amount")
    _score_supplier(invoice, entry, points)
    _score_due_date(invoice.due_date, entry.due_date, points)
    numbers_differ = bool(
        invoice.normalized_number
        and entry.normalized_number
        and invoice.normalized_number != entry.normalized_number
    )
    if invoice.normalized_number and invoice.normalized_number == entry.normalized_number:
        points.add(NUMBER_POINTS, "same invoice number")
    elif numbers_differ:
        points.reasons.append("different invoice number (never linked automatically)")
    return Candidate(
        qonto_id=entry.qonto_id,
        score=min(100, points.total),
        supplier_name=entry.supplier_name,
        invoice_number=entry.invoice_number,
        total_amount=str(entry.total_amount) if entry.total_amount is not None else "",
        currency=entry.currency,
        due_date=entry.due_date.isoformat() if entry.due_date else "",
        reasons=tuple(points.reasons),
        numbers_differ=numbers_differ,
    )


def _score_supplier(invoice: Invoice, entry: QontoSupplierInvoice, points: _Points) -> None:
    ours = compact_vat_id(invoice.supplier_vat_id)
    if ours and entry.vat_number and ours == entry.vat_number:
        points.add(SUPPLIER_POINTS, "same supplier tax id")
        return
    similarity = name_similarity(normalize_name(invoice.supplier_name), entry.normalized_supplier)
    if similarity >= 0.9:
        points.add(SUPPLIER_POINTS, "same supplier name")
    elif similarity >= 0.75:
        points.add(SUPPLIER_POINTS // 2, "similar supplier name")


def _score_due_date(ours: date | None, theirs: date | None, points: _Points) -> None:
    if ours is None or theirs is None:
        return
    if ours == theirs:
        points.add(DUE_DATE_POINTS, "same due date")
    elif abs((ours - theirs).days) <= NEAR_DUE_DAYS:
        points.add(DUE_DATE_POINTS // 2, "due date within three days")


def probe(
    invoice: Invoice, entries: Iterable[QontoSupplierInvoice], *, threshold: int
) -> ProbeResult:
    # The review floor applies to the points earned; an entry with another invoice number is
    # then kept below the link threshold, so it goes to review with its candidate.
    scored = (score(invoice, entry) for entry in entries)
    kept = tuple(
        sorted(
            (
                replace(candidate, score=min(candidate.score, threshold - 1))
                if candidate.numbers_differ
                else candidate
                for candidate in scored
                if candidate.score >= REVIEW_FLOOR
            ),
            key=lambda candidate: (-candidate.score, candidate.qonto_id),
        )
    )
    if not kept:
        return ProbeResult("post", (), threshold)
    verdict: Verdict = "link" if kept[0].score >= threshold else "review"
    if verdict == "link" and len(kept) > 1 and kept[1].score >= threshold:
        # Two entries both good enough to link: a person picks one.
        verdict = "review"
    return ProbeResult(verdict, kept[:MAX_CANDIDATES], threshold)


def candidates_for(
    workspace: Workspace, invoices: Sequence[Invoice]
) -> dict[int, list[QontoSupplierInvoice]]:
    """Mirrored entries that can reach the review floor for each invoice, Well's own uploads
    and entries already linked to one of our invoices left out. Without the same amount or the
    same number an entry scores at most 50 (supplier and due date), so only those are read."""
    amounts = {invoice.total_amount for invoice in invoices if invoice.total_amount is not None}
    numbers = {invoice.normalized_number for invoice in invoices if invoice.normalized_number}
    if not (amounts or numbers):
        return {}
    linked = Invoice.objects.for_workspace(workspace).exclude(qonto_id="").values("qonto_id")
    pool = list(
        QontoSupplierInvoice.objects.for_workspace(workspace)
        .probe_candidates()
        .exclude(qonto_id__in=linked)
        .filter(Q(total_amount__in=amounts) | Q(normalized_number__in=numbers))
    )
    return {
        invoice.pk: [
            entry
            for entry in pool
            if (entry.total_amount is not None and entry.total_amount == invoice.total_amount)
            or (invoice.normalized_number and entry.normalized_number == invoice.normalized_number)
        ]
        for invoice in invoices
    }


def candidates_json(result: ProbeResult) -> list[dict[str, Any]]:
    return [candidate.to_json() for candidate in result.candidates]
