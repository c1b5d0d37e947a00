"""Threshold simulator: what candidate thresholds (and a candidate routing rule) would have done
to the documents Well already decided, before anyone saves them.

The history is replayed through the routing itself (`routing.decide_route`, the function that
routes every new document) with the candidate settings, using each invoice's stored confidence
and score components — never a copy of the routing logic, so the simulator cannot drift from
what saving would do. Only the columns the routing reads are loaded, in three queries whatever
the number of documents (invoices, their vendors, the reviewers' corrections); nothing is
written.

"Corrected" counts the would-be auto-posts on which a person later changed a field (an "edit"
Decision with an actor): the expected error rate of the change, field by field.
"""

from __future__ import annotations

import copy
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from reconciliation.invoices.routing import decide_route
from reconciliation.invoices.scoring import Score
from reconciliation.models import Decision
from reconciliation.models import DecisionAction
from reconciliation.models import Document
from reconciliation.models import Invoice
from reconciliation.models import InvoiceStatus
from reconciliation.models import RoutingRule
from reconciliation.models import Vendor
from reconciliation.models import Workspace

#: The look-back choices offered on the workspace page.
PERIODS = (30, 90, 365)

#: Invoices whose fate is known: Well or a person approved or refused them (posted or not).
DECIDED_STATUSES = (
    InvoiceStatus.REFUSED,
    InvoiceStatus.APPROVED,
    InvoiceStatus.POSTING,
    InvoiceStatus.POSTED,
    InvoiceStatus.REJECTED,
    InvoiceStatus.FAILED,
)

#: What the routing reads of an invoice (the rest stays deferred), in the model's field order
#: as `Model.from_db` expects it.
_READ = frozenset(
    {
        "id",
        "workspace_id",
        "vendor_id",
        "document_id",
        "currency",
        "total_amount",
        "converted_amount",
        "confidence",
        "confidence_components",
        "status",
    }
)


def _columns() -> tuple[str, ...]:
    return tuple(f.attname for f in Invoice._meta.concrete_fields if f.attname in _READ)


@dataclass(frozen=True)
class Candidate:
    """Settings to try. `rule` is an unsaved RoutingRule tried among the active rules by its
    priority (before the saved rules of the same priority); `review_vendors_in_training` None
    keeps the workspace's policy."""

    review_threshold: Decimal
    auto_post_threshold: Decimal
    review_vendors_in_training: bool | None = None
    rule: RoutingRule | None = None


@dataclass(frozen=True)
class Outcome:
    auto_posted: int
    reviewed: int
    refused: int
    corrected: int  # would-be auto-posts a person later corrected
    corrected_fields: dict[str, int] = field(default_factory=dict)

    @property
    def error_rate(self) -> Decimal | None:
        """Share of the would-be auto-posts a person corrected, in percent (None: no auto-post)."""
        if not self.auto_posted:
            return None
        return (Decimal(100) * self.corrected / self.auto_posted).quantize(Decimal("0.1"))


@dataclass(frozen=True)
class Simulation:
    days: int
    documents: int
    current: Outcome  # the saved settings, replayed the same way
    candidate: Outcome
    moved: dict[str, int]  # "needs_review->approved": n, current lane -> candidate lane


@dataclass(frozen=True)
class History:
    invoices: list[Invoice]
    scores: list[Score]  # each invoice's stored score, read once for every replay
    corrections: dict[int, frozenset[str]]  # invoice id -> fields a person corrected


def load_history(workspace: Workspace, days: int, now: datetime | None = None) -> History:
    """The workspace's decided invoices received in the last `days` days, as unsaved Invoice
    rows carrying only what the routing reads, and the fields people corrected on them."""
    since = (now or timezone.now()) - timedelta(days=days)
    columns = _columns()
    rows = list(
        Invoice.objects.for_workspace(workspace)
        .filter(created_at__gte=since, status__in=DECIDED_STATUSES, confidence__isnull=False)
        .order_by("pk")
        .values_list(*columns, "document__kind")
    )
    vendor_at = columns.index("vendor_id")
    vendor_ids = {row[vendor_at] for row in rows if row[vendor_at] is not None}
    vendors = (
        {
            v.pk: v
            for v in Vendor.objects.filter(pk__in=vendor_ids).only(
                "id", "name", "documents_reviewed"
            )
        }
        if vendor_ids
        else {}
    )
    kinds: dict[str, Document] = {}
    invoices = []
    for row in rows:
        # from_db sets only these columns (the rest deferred): a fraction of the cost of
        # Invoice(**values) over ten thousand rows.
        invoice = Invoice.from_db(None, columns, row[:-1])
        # Shared, unsaved stand-ins in the relation cache: the routing reads only the
        # document's kind and the vendor's name and training count.
        cache = invoice._state.fields_cache
        kind = row[-1]
        cache["document"] = kinds.get(kind) or kinds.setdefault(kind, Document(kind=kind))
        cache["vendor"] = vendors.get(row[vendor_at])
        invoices.append(invoice)
    return History(
        invoices=invoices,
        scores=[Score.from_invoice(invoice) for invoice in invoices],
        corrections=_corrections(workspace, since),
    )


def _corrections(workspace: Workspace, since: datetime) -> dict[int, frozenset[str]]:
    found: dict[int, set[str]] = {}
    edits = (
        Decision.objects.for_workspace(workspace)
        .filter(
            action=DecisionAction.EDIT,
            actor__isnull=False,
            invoice__isnull=False,
            invoice__created_at__gte=since,
        )
        .values_list("invoice_id", "after")
    )
    for invoice_id, after in edits:
        names = {name for name in (after or {}) if name != "vendor"}
        found.setdefault(int(invoice_id), set()).update(names)
    return {k: frozenset(v) for k, v in found.items()}


def candidate_rules(workspace: Workspace, rule: RoutingRule | None) -> list[RoutingRule]:
    """The active rules in the order the routing tries them, with the candidate among them."""
    rules = list(RoutingRule.objects.for_workspace(workspace).active().select_related(None))
    if rule is None:
        return rules
    position = next((i for i, r in enumerate(rules) if r.priority >= rule.priority), len(rules))
    return [*rules[:position], rule, *rules[position:]]


def replay(
    history: History, settings: Workspace, rules: Sequence[RoutingRule]
) -> list[InvoiceStatus]:
    """Each invoice's lane under `settings` (its thresholds and training policy) and `rules`,
    decided by the routing's own `decide_route` from the stored score."""
    lanes = []
    rule_list = list(rules)
    for invoice, score in zip(history.invoices, history.scores, strict=True):
        invoice._state.fields_cache["workspace"] = settings
        lanes.append(decide_route(invoice=invoice, score=score, rules=rule_list).status)
    return lanes


def outcome(lanes: Sequence[InvoiceStatus], history: History) -> Outcome:
    counts = Counter(lanes)
    fields: Counter[str] = Counter()
    corrected = 0
    for invoice, lane in zip(history.invoices, lanes, strict=True):
        changed = (
            history.corrections.get(int(invoice.pk)) if lane == InvoiceStatus.APPROVED else None
        )
        if changed:
            corrected += 1
            fields.update(changed)
    return Outcome(
        auto_posted=counts[InvoiceStatus.APPROVED],
        reviewed=counts[InvoiceStatus.NEEDS_REVIEW],
        refused=counts[InvoiceStatus.REFUSED],
        corrected=corrected,
        corrected_fields=dict(sorted(fields.items())),
    )


def candidate_settings(workspace: Workspace, candidate: Candidate) -> Workspace:
    """An unsaved copy of the workspace carrying the candidate thresholds."""
    settings = copy.copy(workspace)
    settings.review_threshold = candidate.review_threshold
    settings.auto_post_threshold = candidate.auto_post_threshold
    if candidate.review_vendors_in_training is not None:
        settings.review_vendors_in_training = candidate.review_vendors_in_training
    return settings


def simulate(
    workspace: Workspace, candidate: Candidate, days: int = 90, now: datetime | None = None
) -> Simulation:
    """Replay the last `days` days of decided documents with the saved settings and with the
    candidate ones."""
    history = load_history(workspace, days, now)
    saved_rules = candidate_rules(workspace, None)
    current = replay(history, copy.copy(workspace), saved_rules)
    trial = replay(
        history,
        candidate_settings(workspace, candidate),
        candidate_rules(workspace, candidate.rule) if candidate.rule else saved_rules,
    )
    moved = Counter(f"{a}->{b}" for a, b in zip(current, trial, strict=True) if a != b)
    return Simulation(
        days=days,
        documents=len(history.invoices),
        current=outcome(current, history),
        candidate=outcome(trial, history),
        moved=dict(sorted(moved.items())),
    )
