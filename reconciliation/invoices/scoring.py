"""Document confidence and routing against the workspace thresholds.

`score_invoice` turns what parsing, vendor resolution and enrichment found into one
confidence (0–100, Decimal, two places) made of named components, each with the factor it
multiplied the score by and the points it cost, stored in `invoice.confidence_components`
so the reviewer sees why. `route_invoice` compares it with the thresholds (the workspace's,
or those of the first matching routing rule) and moves the invoice to `refused`,
`needs_review` or `approved`, writing the reasons and a "route" Decision.

The parsing step calls, after `enrichment.enrich_fields` (see `reconciliation.vendors.enrichment`)::

    score = score_invoice(invoice=invoice, extraction=extraction, resolution=resolution,
                          enrichment=enriched, duplicate_suspected=False)
    decision = route_invoice(invoice=invoice, score=score)

When thresholds or rules change, `record_threshold_change` / `record_rule_change` log the
change as a Decision and re-route the invoices nobody has decided yet (`reroute_undecided`).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import TYPE_CHECKING, Any

from django.db import models, transaction
from django.utils import timezone

from reconciliation.extraction.types import ExtractedField, Extraction
from reconciliation.models import (
    Decision,
    DecisionAction,
    Invoice,
    InvoiceStatus,
    RoutingRule,
    Workspace,
)
from reconciliation.money import is_known_currency
from reconciliation.text.identifiers import is_valid_vat_id
from reconciliation.vendors.enrichment import EnrichmentResult
from reconciliation.vendors.resolution import VendorResolution

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

logger = logging.getLogger(__name__)

#: What Qonto needs to post a supplier invoice; each one is scored.
REQUIRED_FIELDS: tuple[str, ...] = (
    "supplier_name",
    "invoice_number",
    "issue_date",
    "total_amount",
    "currency",
)
FIELD_LABELS: dict[str, str] = {
    "supplier_name": "Supplier",
    "invoice_number": "Invoice number",
    "issue_date": "Issue date",
    "total_amount": "Total",
    "currency": "Currency",
    "supplier_vat_id": "VAT id",
    "supplier_iban": "IBAN",
    "supplier_domain": "Domain",
}
# A required field that was not read counts as this confidence in the fields' mean (and
# blocks approval): one missing field sends a document to review, three refuse it. A field
# read with less confidence counts the same: a doubtful value is no worse than none.
MISSING_FIELD_CONFIDENCE = 0.36
# Checks: the factor a failed check multiplies the score by.
TOTALS_MISMATCH_FACTOR = 0.7
DATE_IN_FUTURE_FACTOR = 0.75
DUE_BEFORE_ISSUE_FACTOR = 0.8
DATE_OLD_FACTOR = 0.9
VAT_INVALID_FACTOR = 0.9
UNKNOWN_CURRENCY_FACTOR = 0.5
# Vendor: from 0.85 (nobody we know) to 1.0 (found by a checksum-valid VAT id).
VENDOR_FLOOR = 0.85
CONFLICT_FACTOR = 0.85
DUPLICATE_FACTOR = 0.6
KIND_EXPONENT = 0.25
OLD_AFTER = timedelta(days=730)
FUTURE_TOLERANCE = timedelta(days=2)
DUE_WITHIN = timedelta(days=400)
MONEY_TOLERANCE = Decimal("0.02")
SCORE_VERSION = 1
CENT = Decimal("0.01")


@dataclass(frozen=True)
class ScoreComponent:
    key: str  # "fields", "field:total_amount", "check:totals", "vendor", "conflict:…", ...
    label: str
    value: float  # the input, in [0, 1]: a confidence, a strength, 1/0 for a check
    factor: float  # what it multiplied the score by (1.0: no effect)
    detail: str = ""
    points: float = 0.0  # points of the 100 this component cost

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "value": round(self.value, 4),
            "factor": round(self.factor, 4),
            "points": round(self.points, 2),
            "detail": self.detail,
        }


@dataclass(frozen=True)
class Score:
    value: Decimal  # 0.00–100.00
    components: tuple[ScoreComponent, ...] = ()
    blocking: tuple[str, ...] = ()  # why it may not be approved without a person
    must_review: tuple[str, ...] = ()  # why it goes to review whatever the score (scans)

    def weakest(self, count: int = 3) -> list[ScoreComponent]:
        costly = [c for c in self.components if c.points >= 0.5]
        return sorted(costly, key=lambda c: -c.points)[:count]

    def to_json(self) -> dict[str, Any]:
        return {
            "version": SCORE_VERSION,
            "score": str(self.value),
            "components": [c.to_json() for c in self.components],
            "blocking": list(self.blocking),
            "must_review": list(self.must_review),
        }

    @classmethod
    def from_invoice(cls, invoice: Invoice) -> Score:
        """The score stored on an invoice (for re-routing after a threshold change)."""
        data = invoice.confidence_components or {}
        components = tuple(
            ScoreComponent(
                key=str(c.get("key", "")),
                label=str(c.get("label", "")),
                value=float(c.get("value", 0)),
                factor=float(c.get("factor", 1)),
                detail=str(c.get("detail", "")),
                points=float(c.get("points", 0)),
            )
            for c in data.get("components", [])
        )
        value = invoice.confidence if invoice.confidence is not None else Decimal(0)
        return cls(
            value=Decimal(value).quantize(CENT),
            components=components,
            blocking=tuple(data.get("blocking", [])),
            must_review=tuple(data.get("must_review", [])),
        )


# --- scoring ---------------------------------------------------------------------------------


def _percent(value: float) -> str:
    return f"{value * 100:.0f}%"


def _field_components(fields: dict[str, ExtractedField]) -> tuple[list[ScoreComponent], list[str]]:
    """The required fields: each contributes its confidence to the geometric mean of the
    five (factor confidence^(1/5)); a field not read counts as MISSING_FIELD_CONFIDENCE
    and blocks approval."""
    parts: list[ScoreComponent] = []
    blocking: list[str] = []
    share = 1.0 / len(REQUIRED_FIELDS)
    for name in REQUIRED_FIELDS:
        extracted = fields.get(name)
        label = FIELD_LABELS[name]
        if extracted is None or not str(extracted.value).strip():
            blocking.append(f"{label} not found.")
            parts.append(
                ScoreComponent(
                    f"field:{name}", label, 0.0, MISSING_FIELD_CONFIDENCE**share, "not found"
                )
            )
            continue
        confidence = 1.0 if extracted.source == "reviewer" else max(0.0, extracted.confidence)
        parts.append(
            ScoreComponent(
                f"field:{name}",
                label,
                confidence,
                max(confidence, MISSING_FIELD_CONFIDENCE) ** share,
                f"{_percent(confidence)}, read from "
                f"{_SOURCES.get(extracted.source, extracted.source)}",
            )
        )
    return parts, blocking


_SOURCES = {
    "xml": "the embedded XML",
    "text": "the text",
    "learned": "the vendor's learned layout",
    "enriched": "the vendor's history",
    "reviewer": "a reviewer",
}


def weakest_required_field(score: Score) -> tuple[str, float] | None:
    """The least sure required field that was read: (label, confidence)."""
    read = [
        (c.value, c.label)
        for c in score.components
        if c.key.startswith("field:") and c.detail != "not found"
    ]
    if not read:
        return None
    confidence, label = min(read)
    return label, confidence


def _decimal(fields: dict[str, ExtractedField], name: str) -> Decimal | None:
    extracted = fields.get(name)
    if extracted is None:
        return None
    value = extracted.value
    if isinstance(value, Decimal):
        return abs(value)
    try:
        return abs(Decimal(str(value)))
    except ArithmeticError:
        return None


def _date(fields: dict[str, ExtractedField], name: str) -> date | None:
    extracted = fields.get(name)
    if extracted is None:
        return None
    value = extracted.value
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


def _check_totals(fields: dict[str, ExtractedField]) -> ScoreComponent:
    total = _decimal(fields, "total_amount")
    tax = _decimal(fields, "tax_amount")
    net = _decimal(fields, "net_amount")
    label = "Net + tax = total"
    if total is None or tax is None:
        return ScoreComponent("check:totals", label, 1.0, 1.0, "not checked (no total or tax)")
    if net is not None:
        if abs(net + tax - total) <= MONEY_TOLERANCE:
            return ScoreComponent("check:totals", label, 1.0, 1.0, f"{net} + {tax} = {total}")
        return ScoreComponent(
            "check:totals", label, 0.0, TOTALS_MISMATCH_FACTOR, f"{net} + {tax} ≠ {total}"
        )
    if tax > total:
        return ScoreComponent(
            "check:totals", label, 0.0, TOTALS_MISMATCH_FACTOR, f"tax {tax} exceeds total {total}"
        )
    return ScoreComponent("check:totals", label, 1.0, 1.0, "tax below total (net not printed)")


def _check_dates(fields: dict[str, ExtractedField], today: date) -> ScoreComponent:
    issue = _date(fields, "issue_date")
    due = _date(fields, "due_date")
    label = "Dates plausible"
    if issue is None:
        return ScoreComponent("check:dates", label, 1.0, 1.0, "not checked (no issue date)")
    problems: list[str] = []
    factor = 1.0
    if issue > today + FUTURE_TOLERANCE:
        problems.append(f"issued in the future ({issue.isoformat()})")
        factor *= DATE_IN_FUTURE_FACTOR
    elif issue < today - OLD_AFTER:
        problems.append(f"issued more than two years ago ({issue.isoformat()})")
        factor *= DATE_OLD_FACTOR
    if due is not None and due < issue:
        problems.append(f"due {due.isoformat()} before issue {issue.isoformat()}")
        factor *= DUE_BEFORE_ISSUE_FACTOR
    elif due is not None and due > issue + DUE_WITHIN:
        problems.append(f"due more than 400 days after issue ({due.isoformat()})")
        factor *= DUE_BEFORE_ISSUE_FACTOR
    if problems:
        return ScoreComponent("check:dates", label, 0.0, factor, "; ".join(problems))
    return ScoreComponent("check:dates", label, 1.0, 1.0, "issue and due dates plausible")


def _check_vat(fields: dict[str, ExtractedField]) -> ScoreComponent:
    extracted = fields.get("supplier_vat_id")
    label = "VAT id valid"
    if extracted is None or not str(extracted.value).strip():
        return ScoreComponent("check:vat_id", label, 1.0, 1.0, "not checked (no VAT id)")
    if is_valid_vat_id(str(extracted.value)):
        return ScoreComponent("check:vat_id", label, 1.0, 1.0, f"{extracted.value} is valid")
    return ScoreComponent(
        "check:vat_id",
        label,
        0.0,
        VAT_INVALID_FACTOR,
        f"{extracted.value} fails the format or check digits",
    )


def _check_currency(fields: dict[str, ExtractedField]) -> tuple[ScoreComponent, list[str]]:
    extracted = fields.get("currency")
    label = "Currency known"
    if extracted is None or not str(extracted.value).strip():
        return ScoreComponent("check:currency", label, 1.0, 1.0, "not checked (no currency)"), []
    code = str(extracted.value).upper()
    if is_known_currency(code):
        return ScoreComponent("check:currency", label, 1.0, 1.0, f"{code} is ISO 4217"), []
    return (
        ScoreComponent(
            "check:currency", label, 0.0, UNKNOWN_CURRENCY_FACTOR, f"{code} is not ISO 4217"
        ),
        [f"Currency {code} is unknown."],
    )


def _vendor_component(resolution: VendorResolution) -> ScoreComponent:
    strength = max(0.0, min(1.0, resolution.strength))
    factor = VENDOR_FLOOR + (1 - VENDOR_FLOOR) * strength
    vendor = resolution.vendor
    if resolution.matched_by == "none":
        detail = "no supplier identified"
    elif resolution.matched_by == "new":
        detail = f"new vendor “{vendor.name if vendor else ''}”"
    else:
        detail = f"“{vendor.name if vendor else ''}” found by {resolution.matched_by}"
        if resolution.name_similarity is not None and resolution.matched_by == "name":
            detail += f" ({_percent(resolution.name_similarity)} alike)"
    return ScoreComponent("vendor", "Vendor identified", strength, factor, detail)


def score_invoice(
    *,
    invoice: Invoice,
    extraction: Extraction,
    resolution: VendorResolution,
    enrichment: EnrichmentResult,
    duplicate_suspected: bool,
) -> Score:
    """The document's confidence, 0–100, as the product of explained factors: required
    fields (mean, capped by the weakest), checks, vendor resolution strength, conflicts
    with the vendor's history, duplicate suspicion and how sure the classification is.
    Stores it on the invoice (`confidence`, `confidence_components`)."""
    fields = enrichment.fields
    components, blocking = _field_components(fields)
    must_review: list[str] = []
    received = invoice.document.received_at if invoice.document_id else None
    today = (received or timezone.now()).date()
    components.append(_check_totals(fields))
    components.append(_check_dates(fields, today))
    components.append(_check_vat(fields))
    currency, currency_blocking = _check_currency(fields)
    components.append(currency)
    blocking += currency_blocking
    components.append(_vendor_component(resolution))
    for message in resolution.conflicts:
        components.append(
            ScoreComponent("conflict:vendor", "Vendor conflict", 0.0, CONFLICT_FACTOR, message)
        )
    for conflict in enrichment.conflicts:
        components.append(
            ScoreComponent(
                f"conflict:{conflict.field}",
                f"{FIELD_LABELS.get(conflict.field, conflict.field)} differs from the vendor's",
                0.0,
                CONFLICT_FACTOR,
                conflict.message,
            )
        )
    if duplicate_suspected:
        components.append(
            ScoreComponent(
                "duplicate",
                "Possible duplicate",
                0.0,
                DUPLICATE_FACTOR,
                "same supplier, number or amount as another document",
            )
        )
    if extraction.source != "xml":
        kind_factor = max(0.0, min(1.0, extraction.kind_confidence)) ** KIND_EXPONENT
        components.append(
            ScoreComponent(
                "kind",
                "Classified as an invoice",
                extraction.kind_confidence,
                kind_factor,
                f"{extraction.kind} ({_percent(extraction.kind_confidence)})",
            )
        )
    if not extraction.readable:  # a scan is OCR'd; this is one where OCR found no text
        must_review.append("No text layer: the document is a scan and needs a person.")
        blocking.append("No text layer.")
    score = _finish(components, blocking, must_review)
    invoice.confidence = score.value
    invoice.confidence_components = score.to_json()
    if invoice.pk:
        Invoice.objects.filter(pk=invoice.pk).update(
            confidence=invoice.confidence, confidence_components=invoice.confidence_components
        )
    return score


def _finish(components: list[ScoreComponent], blocking: list[str], must_review: list[str]) -> Score:
    factors = [c for c in components if c.factor < 1.0]
    product = math.prod(c.factor for c in factors)
    raw = 100.0 * max(0.0, min(1.0, product))
    value = Decimal(str(raw)).quantize(CENT, rounding=ROUND_DOWN)
    # Points: the lost 100 − score shared out in proportion to each factor's log.
    logs = {id(c): -math.log(max(c.factor, 1e-9)) for c in factors}
    total_log = sum(logs.values())
    lost = 100.0 - float(value)
    final = tuple(
        ScoreComponent(
            c.key,
            c.label,
            c.value,
            c.factor,
            c.detail,
            round(lost * logs[id(c)] / total_log, 2) if id(c) in logs and total_log else 0.0,
        )
        for c in components
    )
    return Score(
        value=value, components=final, blocking=tuple(blocking), must_review=tuple(must_review)
    )


# --- routing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RoutingDecision:
    status: InvoiceStatus
    reasons: tuple[str, ...]
    rule: RoutingRule | None
    review_threshold: Decimal
    auto_post_threshold: Decimal
    forced_review: tuple[str, ...] = ()
    previous_status: str = ""

    @property
    def changed(self) -> bool:
        return self.previous_status != self.status


def _amount_in(invoice: Invoice, rule: RoutingRule, home_currency: str) -> Decimal | None:
    """The invoice total in the rule's currency when it has one, else in the home currency
    (converted amount when the invoice is in another currency and a conversion exists)."""
    total: Decimal | None = invoice.total_amount
    if total is None:
        return None
    if rule.currency or invoice.currency == home_currency or not invoice.currency:
        return abs(total)
    converted: Decimal | None = invoice.converted_amount
    return abs(converted) if converted is not None else abs(total)


def rule_matches(rule: RoutingRule, invoice: Invoice, home_currency: str) -> bool:
    """Every criterion the rule sets must hold (a rule with none applies to all)."""
    if rule.vendor_id is not None and rule.vendor_id != invoice.vendor_id:
        return False
    if rule.document_kind and rule.document_kind != invoice.document.kind:
        return False
    if rule.currency and rule.currency.upper() != (invoice.currency or "").upper():
        return False
    if rule.amount_above is not None:
        amount = _amount_in(invoice, rule, home_currency)
        if amount is None or amount <= rule.amount_above:
            return False
    return True


def matching_rule(invoice: Invoice, rules: list[RoutingRule] | None = None) -> RoutingRule | None:
    if rules is None:
        rules = list(RoutingRule.objects.for_workspace(invoice.workspace_id).active())
    home = invoice.workspace.home_currency
    return next((rule for rule in rules if rule_matches(rule, invoice, home)), None)


def _pct(value: Decimal) -> str:
    return f"{value:.2f}%"


def decide_route(
    *, invoice: Invoice, score: Score, rules: list[RoutingRule] | None = None
) -> RoutingDecision:
    """Where the invoice should go and why, without changing anything."""
    workspace = invoice.workspace
    rule = matching_rule(invoice, rules)
    review = rule.review_threshold if rule else workspace.review_threshold
    auto_post = rule.auto_post_threshold if rule else workspace.auto_post_threshold
    source = f"rule “{rule.name}” (#{rule.pk}, priority {rule.priority})" if rule else "workspace"
    value = score.value
    reasons: list[str] = []
    if rule is not None:
        reasons.append(
            f"Routing rule “{rule.name}” applies: thresholds {_pct(review)} / {_pct(auto_post)}."
        )
    if value < review:
        status = InvoiceStatus.REFUSED
        reasons.append(
            f"Confidence {_pct(value)} is below the review threshold {_pct(review)} ({source})."
        )
    elif value < auto_post:
        status = InvoiceStatus.NEEDS_REVIEW
        reasons.append(
            f"Confidence {_pct(value)} is below the auto-post threshold "
            f"{_pct(auto_post)} ({source})."
        )
    else:
        status = InvoiceStatus.APPROVED
        reasons.append(
            f"Confidence {_pct(value)} reaches the auto-post threshold "
            f"{_pct(auto_post)} ({source})."
        )
    forced: list[str] = []
    if status == InvoiceStatus.APPROVED:
        if rule is not None and rule.always_review:
            forced.append(f"Routing rule “{rule.name}” always sends to review.")
        vendor = invoice.vendor
        if vendor is not None and vendor.is_in_training and workspace.review_vendors_in_training:
            forced.append(
                f"Vendor “{vendor.name}” is in training ({vendor.training_progress} reviewed)."
            )
        forced += list(score.blocking)
        weakest = weakest_required_field(score)
        if weakest is not None and Decimal(str(weakest[1] * 100)) < auto_post:
            # No field may be less sure than the threshold the whole document must reach.
            forced.append(
                f"{weakest[0]} was read with {_percent(weakest[1])} confidence, below the "
                f"auto-post threshold {_pct(auto_post)}."
            )
    if score.must_review and status != InvoiceStatus.NEEDS_REVIEW:
        forced += list(score.must_review)
    if forced:
        status = InvoiceStatus.NEEDS_REVIEW
        reasons += forced
    if status != InvoiceStatus.APPROVED:
        for component in score.weakest():
            reasons.append(
                f"Cost {component.points:.1f} points — {component.label}: {component.detail}."
            )
    return RoutingDecision(
        status=status,
        reasons=tuple(reasons),
        rule=rule,
        review_threshold=review,
        auto_post_threshold=auto_post,
        forced_review=tuple(forced),
        previous_status=invoice.status,
    )


def route_invoice(*, invoice: Invoice, score: Score) -> RoutingDecision:
    """Move the invoice to refused / needs_review / approved by its score and the
    thresholds, store the reasons and the rule, and write a "route" Decision."""
    decision = decide_route(invoice=invoice, score=score)
    _apply(invoice, score, decision)
    return decision


def _apply(invoice: Invoice, score: Score, decision: RoutingDecision) -> None:
    target = decision.status
    reasons = list(decision.reasons)
    if invoice.status == InvoiceStatus.REFUSED and target == InvoiceStatus.APPROVED:
        # An automatic refusal is reopened for a person rather than approved outright.
        target = InvoiceStatus.NEEDS_REVIEW
        reasons.append("Refused earlier; now above the thresholds, so a person confirms.")
    with transaction.atomic():
        previous = invoice.status
        invoice.route(target, reasons)
        invoice.routing_rule = decision.rule
        invoice.confidence = score.value
        invoice.confidence_components = score.to_json()
        invoice.save()
        Decision.objects.create(
            workspace_id=invoice.workspace_id,
            action=DecisionAction.ROUTE,
            actor=None,
            invoice=invoice,
            document_id=invoice.document_id,
            vendor_id=invoice.vendor_id,
            before={"status": previous},
            after={
                "status": invoice.status,
                "confidence": str(score.value),
                "rule": decision.rule.pk if decision.rule else None,
                "review_threshold": _plain(decision.review_threshold),
                "auto_post_threshold": _plain(decision.auto_post_threshold),
            },
            reason=" ".join(invoice.routing_reasons),
        )
    logger.info(
        "invoice routed: invoice=%s %s -> %s confidence=%s rule=%s",
        invoice.pk,
        previous,
        invoice.status,
        score.value,
        decision.rule.pk if decision.rule else None,
    )


# --- re-routing after a change ------------------------------------------------------------


@dataclass(frozen=True)
class RerouteResult:
    examined: int
    moved: dict[str, int] = field(default_factory=dict)  # "needs_review->approved": n

    @property
    def changed(self) -> int:
        return sum(self.moved.values())


def undecided_invoices(workspace: Workspace | int) -> models.QuerySet[Invoice]:
    """Invoices no person decided yet: new or waiting for review, and those Well approved
    or refused on its own that are not on their way to Qonto — minus any a person touched."""
    automatic = models.Q(
        status__in=(InvoiceStatus.APPROVED, InvoiceStatus.REFUSED), decided_by__isnull=True
    )
    return (
        Invoice.objects.for_workspace(workspace)
        .filter(models.Q(status__in=(InvoiceStatus.NEW, InvoiceStatus.NEEDS_REVIEW)) | automatic)
        .filter(confidence__isnull=False)
        .exclude(decisions__actor__isnull=False)
        .distinct()
    )


def reroute_undecided(*, workspace: Workspace) -> RerouteResult:
    """Apply the current thresholds and rules again to the invoices nobody decided yet."""
    rules = list(RoutingRule.objects.for_workspace(workspace).active())
    ids = list(undecided_invoices(workspace).order_by("pk").values_list("pk", flat=True))
    moved: dict[str, int] = {}
    for invoice_id in ids:
        with transaction.atomic():
            invoice = (
                Invoice.objects.select_for_update(of=("self",))
                .select_related("workspace", "document", "vendor")
                .filter(pk=invoice_id)
                .first()
            )
            if invoice is None or invoice.status not in (
                InvoiceStatus.NEW,
                InvoiceStatus.NEEDS_REVIEW,
                InvoiceStatus.APPROVED,
                InvoiceStatus.REFUSED,
            ):
                continue
            score = Score.from_invoice(invoice)
            decision = decide_route(invoice=invoice, score=score, rules=rules)
            target = decision.status
            if invoice.status == InvoiceStatus.REFUSED and target == InvoiceStatus.APPROVED:
                target = InvoiceStatus.NEEDS_REVIEW
            if target == invoice.status:
                rule_id = decision.rule.pk if decision.rule else None
                if list(decision.reasons) != list(invoice.routing_reasons or []) or (
                    rule_id != invoice.routing_rule_id
                ):
                    Invoice.objects.filter(pk=invoice.pk).update(
                        routing_reasons=list(decision.reasons), routing_rule_id=rule_id
                    )
                continue
            key = f"{invoice.status}->{target}"
            _apply(invoice, score, decision)
            moved[key] = moved.get(key, 0) + 1
    logger.info("rerouted workspace %s: %s of %s moved", workspace.pk, moved, len(ids))
    return RerouteResult(examined=len(ids), moved=moved)


THRESHOLD_FIELDS = (
    "review_threshold",
    "auto_post_threshold",
    "match_threshold",
    "review_vendors_in_training",
)


def _plain(value: object) -> str:
    """Thresholds as the database stores them ("55.00"), whether read back or just set."""
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        return str(Decimal(value).quantize(CENT))
    return str(value)


def threshold_values(workspace: Workspace) -> dict[str, str]:
    return {name: _plain(getattr(workspace, name)) for name in THRESHOLD_FIELDS}


def record_threshold_change(
    *,
    workspace: Workspace,
    user: AbstractBaseUser | None,
    before: dict[str, str],
    after: dict[str, str] | None = None,
) -> RerouteResult:
    """Log a change of the workspace thresholds (who, before → after) and re-route the
    undecided invoices. `before` comes from `threshold_values(workspace)` taken before the
    change; `after` defaults to the workspace's current values."""
    after = after if after is not None else threshold_values(workspace)
    changed = {k: (before.get(k), v) for k, v in after.items() if before.get(k) != v}
    if not changed:
        return RerouteResult(examined=0)
    Decision.objects.create(
        workspace=workspace,
        action=DecisionAction.THRESHOLDS,
        actor_id=user.pk if user is not None else None,
        before={k: v[0] for k, v in changed.items()},
        after={k: v[1] for k, v in changed.items()},
        reason="; ".join(f"{k}: {old} → {new}" for k, (old, new) in changed.items()),
    )
    return reroute_undecided(workspace=workspace)


def rule_snapshot(rule: RoutingRule) -> dict[str, Any]:
    return {
        "id": rule.pk,
        "name": rule.name,
        "priority": rule.priority,
        "is_active": rule.is_active,
        "vendor": rule.vendor_id,
        "document_kind": rule.document_kind,
        "currency": rule.currency,
        "amount_above": str(rule.amount_above) if rule.amount_above is not None else None,
        "review_threshold": _plain(rule.review_threshold),
        "auto_post_threshold": _plain(rule.auto_post_threshold),
        "always_review": rule.always_review,
    }


def record_rule_change(
    *,
    workspace: Workspace,
    user: AbstractBaseUser | None,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> RerouteResult:
    """Log a routing rule created (before None), changed, or deleted (after None), then
    re-route the undecided invoices."""
    if before == after:
        return RerouteResult(examined=0)
    name = (after or before or {}).get("name", "")
    verb = "created" if before is None else "deleted" if after is None else "changed"
    Decision.objects.create(
        workspace=workspace,
        action=DecisionAction.RULE,
        actor_id=user.pk if user is not None else None,
        before=before or {},
        after=after or {},
        reason=f"Routing rule “{name}” {verb}.",
    )
    return reroute_undecided(workspace=workspace)
