"""Routing: where a scored invoice goes, against the workspace thresholds or a routing rule.

`route_invoice` compares an invoice's score (see `reconciliation.invoices.scoring`) with the
thresholds (the workspace's, or those of the first matching routing rule) and moves the
invoice to `refused`, `needs_review` or `approved`, writing the reasons and a "route"
Decision. When thresholds or rules change, `record_threshold_change` / `record_rule_change`
log the change as a Decision and re-route the invoices nobody has decided yet
(`reroute_undecided`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from decimal import Decimal
from typing import TYPE_CHECKING
from typing import Any

from django.db import models
from django.db import transaction

from reconciliation.invoices.reasons import causes_first
from reconciliation.invoices.reasons import codes_of
from reconciliation.invoices.reasons import invoice_sentences
from reconciliation.invoices.reasons import sentence
from reconciliation.invoices.scoring import CENT
from reconciliation.invoices.scoring import Score
from reconciliation.invoices.scoring import weakest_required_field
from reconciliation.models import Decision
from reconciliation.models import DecisionAction
from reconciliation.models import Invoice
from reconciliation.models import InvoiceStatus
from reconciliation.models import RoutingRule
from reconciliation.models import Workspace
from reconciliation.text.percents import percent
from reconciliation.text.percents import whole_percent
from reconciliation.vendors.bank_details import apply_bank_check

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

logger = logging.getLogger(__name__)


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

    @property
    def codes(self) -> list[str]:
        """The reason codes of this decision (`reconciliation.invoices.reasons`), in order."""
        return codes_of(self.reasons)


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


def decide_route(
    *, invoice: Invoice, score: Score, rules: list[RoutingRule] | None = None
) -> RoutingDecision:
    """Where the invoice should go and why, without changing anything."""
    workspace = invoice.workspace
    rule = matching_rule(invoice, rules)
    review = rule.review_threshold if rule else workspace.review_threshold
    auto_post = rule.auto_post_threshold if rule else workspace.auto_post_threshold
    reasons: list[str] = []
    if rule is not None:
        reasons.append(
            sentence(
                "routing_rule_applies",
                rule=rule.name,
                review=percent(review),
                auto_post=percent(auto_post),
            ).text
        )
    status, reason = _by_thresholds(score.value, review, auto_post, rule)
    reasons.append(reason)
    forced: list[str] = []
    if status == InvoiceStatus.APPROVED:
        forced += _held_back(invoice, score, rule, auto_post)
    if score.must_review and status != InvoiceStatus.NEEDS_REVIEW:
        forced += list(score.must_review)
    if forced:
        status = InvoiceStatus.NEEDS_REVIEW
        reasons += forced
    if status != InvoiceStatus.APPROVED:
        for component in score.weakest():
            reasons.append(
                sentence(
                    "score_cost",
                    points=f"{component.points:.1f}",
                    label=component.label,
                    detail=component.detail,
                ).text
            )
    return RoutingDecision(
        status=status,
        # What holds or sends it to a person first, a threshold it reached after.
        reasons=tuple(causes_first(reasons)),
        rule=rule,
        review_threshold=review,
        auto_post_threshold=auto_post,
        forced_review=tuple(forced),
        previous_status=invoice.status,
    )


def _by_thresholds(
    value: Decimal, review: Decimal, auto_post: Decimal, rule: RoutingRule | None
) -> tuple[InvoiceStatus, str]:
    """The status the score alone earns, and the reason naming the thresholds' source."""
    source = f"rule “{rule.name}” (#{rule.pk}, priority {rule.priority})" if rule else "workspace"
    if value < review:
        code, status, threshold = "below_review_threshold", InvoiceStatus.REFUSED, review
    elif value < auto_post:
        code, status, threshold = "below_auto_post_threshold", InvoiceStatus.NEEDS_REVIEW, auto_post
    else:
        code, status, threshold = "auto_post_threshold_reached", InvoiceStatus.APPROVED, auto_post
    return status, sentence(
        code, value=percent(value), threshold=percent(threshold), source=source
    ).text


def _held_back(
    invoice: Invoice, score: Score, rule: RoutingRule | None, auto_post: Decimal
) -> list[str]:
    """Why an invoice whose score reaches the auto-post threshold still goes to a person."""
    forced: list[str] = []
    if rule is not None and rule.always_review:
        forced.append(sentence("routing_rule", rule=rule.name).text)
    vendor = invoice.vendor
    if (
        vendor is not None
        and vendor.is_in_training
        and invoice.workspace.review_vendors_in_training
    ):
        forced.append(
            sentence(
                "vendor_in_training", vendor=vendor.name, progress=vendor.training_progress
            ).text
        )
    forced += list(score.blocking)
    weakest = weakest_required_field(score)
    if weakest is not None and Decimal(str(weakest[1] * 100)) < auto_post:
        # No field may be less sure than the threshold the whole document must reach.
        forced.append(
            sentence(
                "field_below_threshold",
                field=weakest[0],
                confidence=whole_percent(weakest[1]),
                threshold=percent(auto_post),
            ).text
        )
    return forced


def route_invoice(*, invoice: Invoice, score: Score) -> RoutingDecision:
    """Move the invoice to refused / needs_review / approved by its score and the
    thresholds, store the reasons and the rule, and write a "route" Decision.

    First the bank-detail check: an IBAN its vendor never used holds the invoice (a person
    decides, whatever the score and the rules)."""
    with transaction.atomic():
        apply_bank_check(invoice)
        decision = decide_route(invoice=invoice, score=score)
        _apply(invoice, score, decision)
    return decision


def _apply(invoice: Invoice, score: Score, decision: RoutingDecision) -> None:
    target = decision.status
    reasons = list(decision.reasons)
    if invoice.status == InvoiceStatus.REFUSED and target == InvoiceStatus.APPROVED:
        # An automatic refusal is reopened for a person rather than approved outright.
        target = InvoiceStatus.NEEDS_REVIEW
        reasons = causes_first([*reasons, sentence("refused_before").text])
    with transaction.atomic():
        previous = invoice.status
        invoice.route(target, reasons)
        invoice.routing_rule = decision.rule
        invoice.confidence = score.value
        invoice.confidence_components = score.to_json()
        invoice.save()
        Decision.record_for_invoice(
            invoice,
            DecisionAction.ROUTE,
            actor=None,
            vendor=invoice.vendor_id,
            before={"status": previous},
            after={
                "status": invoice.status,
                "confidence": str(score.value),
                "rule": decision.rule.pk if decision.rule else None,
                "review_threshold": _plain(decision.review_threshold),
                "auto_post_threshold": _plain(decision.auto_post_threshold),
                # Stable codes of why, hold first: what a replay or the decision log compares.
                "reason_codes": codes_of(
                    invoice_sentences(
                        is_held=invoice.is_held,
                        hold_reason=invoice.hold_reason,
                        routing_reasons=invoice.routing_reasons,
                    )
                ),
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
    Decision.record(
        workspace=workspace,
        action=DecisionAction.THRESHOLDS,
        actor=user,
        before={k: v[0] for k, v in changed.items()},
        after={k: v[1] for k, v in changed.items()},
        reason="; ".join(f"{k}: {old} → {new}" for k, (old, new) in changed.items()),
    )
    return reroute_undecided(workspace=workspace)


#: A routing rule's fields that are none of its settings: the decision log leaves them out.
_NOT_SETTINGS = frozenset({"workspace", "created_at", "updated_at"})
_RULE_VALUES: dict[str, Callable[[Any], Any]] = {
    "amount_above": lambda amount: str(amount) if amount is not None else None,
    "review_threshold": _plain,
    "auto_post_threshold": _plain,
}


def rule_snapshot(rule: RoutingRule) -> dict[str, Any]:
    """What the decision log records of a routing rule: its id and each of its settings, in
    the model's order."""
    names = [f.name for f in RoutingRule._meta.concrete_fields if f.name not in _NOT_SETTINGS]
    return Decision.values_of(rule, names, _RULE_VALUES)


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
    Decision.record(
        workspace=workspace,
        action=DecisionAction.RULE,
        actor=user,
        before=before or {},
        after=after or {},
        reason=f"Routing rule “{name}” {verb}.",
    )
    return reroute_undecided(workspace=workspace)
