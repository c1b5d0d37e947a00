"""The decision log with the rules in force: one export row per decision, explained with the
settings of its day.

Thresholds and routing rules are versioned by the append-only Decision history itself: every
change of the workspace thresholds is a "thresholds" Decision and every rule created, changed
or deleted is a "rule" Decision with the rule's snapshot (`routing.record_threshold_change`,
`routing.record_rule_change`). So, at any moment:

* thresholds version = 1 + the workspace's threshold changes up to then (v1: as first set);
  their values are the first change's "before", overlaid by each change's "after" up to then
  (the workspace's current values when nothing was ever changed). A routing Decision carries
  the thresholds it actually applied; those win.
* rule version = the rule's Decisions up to then (created = v1; a rule older than the log
  counts its creation as v1 too). The rule in force is the one the routing Decision names, or
  for a person's decision the one of the invoice's last routing before it.
* vendor mapping version = 1 + the corrections by people and merges of the vendor before the
  decision (each changes what Well learned of the vendor's layout).

The export loads that history once per export (three queries, a fourth for the names of the
vendors routing rules named), never per row; a match's bank line comes with each decision.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from typing import Any

from django.db.models import Q
from django.db.models import QuerySet

from reconciliation.admin.decision_display import field_label
from reconciliation.admin.decision_display import rule_vendor_ids
from reconciliation.admin.decision_display import rule_vendor_names
from reconciliation.admin.decision_display import stated_changes
from reconciliation.admin.resources import DecisionResource
from reconciliation.invoices.routing import threshold_values
from reconciliation.models import Decision
from reconciliation.models import DecisionAction
from reconciliation.models import Invoice
from reconciliation.models import Workspace
from reconciliation.text.percents import recorded_percent

_MAPPING_ACTIONS = (DecisionAction.EDIT, DecisionAction.MERGE_VENDOR)
_Key = tuple[datetime, int]  # (created_at, id): the order decisions happened in


@dataclass(frozen=True)
class InForce:
    thresholds: dict[str, str]
    thresholds_version: int
    rule: str  # "#3 Large invoices", "" when the workspace thresholds applied
    rule_version: int | None
    mapping_version: int | None


@dataclass
class History:
    """The change history of the exported workspaces, in order."""

    thresholds: dict[int, list[tuple[_Key, dict[str, Any], dict[str, Any]]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    current: dict[int, dict[str, str]] = field(default_factory=dict)
    rules: dict[int, list[tuple[_Key, dict[str, Any]]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    rules_created: set[int] = field(default_factory=set)
    routes: dict[int, list[tuple[_Key, int | None]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    mapping: dict[int, list[_Key]] = field(default_factory=lambda: defaultdict(list))
    #: The vendors routing rules named (a rule records its vendor by its id), and their names.
    vendor_ids: set[int] = field(default_factory=set)
    vendor_names: dict[int, str] = field(default_factory=dict)


def load_history(workspace_ids: list[int]) -> History:
    """The threshold, rule, routing and mapping history of these workspaces, and the names of
    the vendors their rules named: three queries at most."""
    history = History()
    for workspace in Workspace.objects.filter(pk__in=workspace_ids):
        history.current[workspace.pk] = threshold_values(workspace)
    _load(history, workspace_ids)
    history.vendor_names = rule_vendor_names(history.vendor_ids, workspace_ids)
    return history


def _load(history: History, workspace_ids: list[int]) -> History:
    rows = (
        Decision.objects.filter(workspace_id__in=workspace_ids)
        .filter(
            Q(action__in=(DecisionAction.THRESHOLDS, DecisionAction.RULE, DecisionAction.ROUTE))
            | Q(action__in=_MAPPING_ACTIONS, actor__isnull=False, vendor__isnull=False)
        )
        .order_by("created_at", "id")
        .values_list(
            "id",
            "created_at",
            "workspace_id",
            "action",
            "invoice_id",
            "vendor_id",
            "before",
            "after",
        )
    )
    for pk, created_at, workspace_id, action, invoice_id, vendor_id, before, after in rows:
        key = (created_at, pk)
        if action == DecisionAction.THRESHOLDS:
            history.thresholds[workspace_id].append((key, before or {}, after or {}))
        elif action == DecisionAction.RULE:
            snapshot = after or before or {}
            if isinstance(snapshot.get("id"), int):
                history.rules[snapshot["id"]].append((key, snapshot))
                if not before:
                    history.rules_created.add(snapshot["id"])
            history.vendor_ids |= rule_vendor_ids(before, after)  # named once all are read
        elif action == DecisionAction.ROUTE:
            if invoice_id is not None:
                rule = (after or {}).get("rule")
                history.routes[invoice_id].append((key, rule if isinstance(rule, int) else None))
        elif vendor_id is not None:
            history.mapping[vendor_id].append(key)
    return history


def in_force(history: History, decision: Decision) -> InForce:
    key = (decision.created_at, decision.pk)
    thresholds, version = _thresholds(history, decision.workspace_id, key)
    after = decision.after or {}
    if decision.action == DecisionAction.ROUTE:
        thresholds = {
            **thresholds,
            **{k: str(after[k]) for k in ("review_threshold", "auto_post_threshold") if k in after},
        }
    rule_id = _rule_id(history, decision, key)
    rule, rule_version = _rule(history, rule_id, key)
    mapping_version = None
    if decision.vendor_id is not None:
        earlier = history.mapping.get(decision.vendor_id, [])
        mapping_version = 1 + bisect.bisect_left(earlier, key)
    return InForce(thresholds, version, rule, rule_version, mapping_version)


def _thresholds(history: History, workspace_id: int, key: _Key) -> tuple[dict[str, str], int]:
    changes = history.thresholds.get(workspace_id, [])
    if not changes:
        return dict(history.current.get(workspace_id, {})), 1
    values: dict[str, str] = {k: str(v) for k, v in changes[0][1].items()}
    for name, value in history.current.get(workspace_id, {}).items():
        values.setdefault(name, value)  # a threshold never changed keeps today's value
    applied = 0
    for change_key, _, after in changes:
        if change_key > key:
            break
        values.update({k: str(v) for k, v in after.items()})
        applied += 1
    return values, 1 + applied


def _rule_id(history: History, decision: Decision, key: _Key) -> int | None:
    after, before = decision.after or {}, decision.before or {}
    if decision.action == DecisionAction.ROUTE:
        rule = after.get("rule")
        return rule if isinstance(rule, int) else None
    if decision.action == DecisionAction.RULE:
        rule = (after or before).get("id")
        return rule if isinstance(rule, int) else None
    if decision.invoice_id is None:
        return None
    routes = history.routes.get(decision.invoice_id, [])
    position = bisect.bisect_right([k for k, _ in routes], key)
    return routes[position - 1][1] if position else None


def _rule(history: History, rule_id: int | None, key: _Key) -> tuple[str, int | None]:
    if rule_id is None:
        return "", None
    changes = [(k, snapshot) for k, snapshot in history.rules.get(rule_id, []) if k <= key]
    version = len(changes) + (0 if rule_id in history.rules_created else 1)
    name = changes[-1][1].get("name", "") if changes else ""
    return f"#{rule_id} {name}".strip(), version


def _field_confidences(invoice: Invoice | None) -> str:
    """ "Currency: 98.92 %; Total: 97 %": how sure Well was of each field it read, named and
    in percent as the review screen shows them (stored from 0 to 1)."""
    if invoice is None:
        return ""
    parts = []
    for name, entry in sorted((invoice.fields or {}).items()):
        if isinstance(entry, dict) and entry.get("confidence") is not None:
            confidence = recorded_percent(entry["confidence"], fraction=True)
            parts.append(f"{field_label(name)}: {confidence}")
    return "; ".join(parts)


def _threshold(force: InForce, name: str) -> str:
    """A threshold in force, in percent as the admin shows it ("55 %", "72.50 %")."""
    value = force.thresholds.get(name, "")
    return recorded_percent(value) if value else ""


def _changes(decision: Decision, vendor_names: dict[int, str] | None = None) -> str:
    """ "Status: Needs review → Approved; Total: 119.00 EUR → 120.00 EUR", as the decision's
    page reads it (`decision_display.stated_changes`); the codes stay in Before and After."""
    currency = decision.invoice.currency if decision.invoice is not None else ""
    rows = stated_changes(decision, currency=currency, vendor_names=vendor_names)
    return "; ".join(f"{change.label}: {change.before} → {change.after}" for change in rows)


#: The columns the log adds to the decisions export: what changed, how sure the reading was,
#: and the rules in force at the decision.
LOG_COLUMNS: tuple[str, ...] = (
    "changes",
    "field_confidences",
    "review_threshold",
    "auto_post_threshold",
    "thresholds_version",
    "routing_rule",
    "routing_rule_version",
    "vendor_mapping_version",
)
#: Every column of the log, in export order.
LOG_FIELDS: tuple[str, ...] = (*DecisionResource.Meta.fields, *LOG_COLUMNS)


class DecisionLogResource(DecisionResource):
    """The decisions export with what changed and the rules in force at each decision."""

    computed = LOG_COLUMNS

    class Meta:
        model = Decision
        name = "Decision log with the rules in force (audit)"
        fields = LOG_FIELDS
        export_order = LOG_FIELDS

    def filter_export(self, queryset: QuerySet[Decision], **kwargs: Any) -> QuerySet[Decision]:
        """The rows with what the columns read, and each match's bank line: "changes" names it
        (date · amount · counterparty) without a query of its own."""
        return super().filter_export(queryset, **kwargs).select_related("match__transaction")

    def before_export(self, queryset: QuerySet[Decision] | None, **kwargs: Any) -> None:
        source = queryset if queryset is not None else Decision.objects.none()
        ids = list(source.values_list("workspace_id", flat=True).order_by().distinct())
        self._history = load_history(ids)
        self._in_force: dict[int, InForce] = {}

    def _loaded_history(self, decision: Decision) -> History:
        """The export's history, or, exporting rows one by one (no `before_export`), the
        decision's workspace's, loaded once."""
        if not hasattr(self, "_history"):
            self._history = load_history([decision.workspace_id])
            self._in_force = {}
        return self._history

    def _force(self, decision: Decision) -> InForce:
        found = self._in_force.get(decision.pk) if hasattr(self, "_in_force") else None
        if found is None:
            history = self._loaded_history(decision)
            found = self._in_force[decision.pk] = in_force(history, decision)
        return found

    def dehydrate_changes(self, decision: Decision) -> str:
        return _changes(decision, self._loaded_history(decision).vendor_names)

    def dehydrate_field_confidences(self, decision: Decision) -> str:
        return _field_confidences(decision.invoice)

    def dehydrate_review_threshold(self, decision: Decision) -> str:
        return _threshold(self._force(decision), "review_threshold")

    def dehydrate_auto_post_threshold(self, decision: Decision) -> str:
        return _threshold(self._force(decision), "auto_post_threshold")

    def dehydrate_thresholds_version(self, decision: Decision) -> str:
        return f"v{self._force(decision).thresholds_version}"

    def dehydrate_routing_rule(self, decision: Decision) -> str:
        return self._force(decision).rule or "workspace thresholds"

    def dehydrate_routing_rule_version(self, decision: Decision) -> str:
        version = self._force(decision).rule_version
        return f"v{version}" if version is not None else ""

    def dehydrate_vendor_mapping_version(self, decision: Decision) -> str:
        version = self._force(decision).mapping_version
        return f"v{version}" if version is not None else ""
