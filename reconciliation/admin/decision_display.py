"""A decision's before → after as finance people read it: one row per field, with the field's
label and its value formatted (money with its currency, dates, statuses, reason codes). The
review screen's history and the invoice page's decisions both show changes through here."""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from decimal import InvalidOperation
from typing import Any

from django.contrib import admin
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.dateformat import format as format_date
from django.utils.text import capfirst

from reconciliation.extraction.types import FIELD_LABELS
from reconciliation.invoices.reasons import codes_causes_first
from reconciliation.invoices.reasons import label as reason_label
from reconciliation.invoices.reasons import stated_codes
from reconciliation.models import Connection
from reconciliation.models import ConnectionStatus
from reconciliation.models import Decision
from reconciliation.models import DecisionAction
from reconciliation.models import Document
from reconciliation.models import DocumentKind
from reconciliation.models import DocumentStatus
from reconciliation.models import Invoice
from reconciliation.models import InvoiceStatus
from reconciliation.models import Match
from reconciliation.models import MatchKind
from reconciliation.models import MatchStatus
from reconciliation.models import Provider
from reconciliation.models import RoutingRule
from reconciliation.models import Transaction
from reconciliation.models import Vendor
from reconciliation.models import VendorStatus
from reconciliation.models import Workspace
from reconciliation.models.banking import REFUSED_LABELS
from reconciliation.money import format_money
from reconciliation.money import is_known_currency
from reconciliation.text.percents import percent as percent  # the one way, used here too
from reconciliation.text.percents import recorded_percent
from reconciliation.web.dates import iso_day

#: The other keys decisions record.
CHANGE_LABELS: dict[str, str] = {
    **FIELD_LABELS,
    "status": "Status",
    "confidence": "Confidence",
    "rule": "Routing rule",
    "review_threshold": "Review threshold",
    "auto_post_threshold": "Auto-post threshold",
    "reason_codes": "Reasons",
    "qonto_id": "Qonto id",
    "file_name": "File sent to Qonto",
    "is_held": "Held out of posting",
    "vendor": "Vendor",
    "kind": "Kind",
    "score": "Score",
    "transaction": "Bank line",
    "match": "Match",
    "rejected": "Rejected",
    "proposed": "Proposed",
    "code": "Cause",
    "bank_details": "Bank details",
    "review_reason": "Review reason",
    "receivable": "Receivable",
    "document_kind": "Document kind",
    "amount_above": "Amount above",
    "provider": "Provider",
}
#: How a match's amount agreed with the bank line (`matching.scoring.AmountBasis`); the words
#: fit debits and credits alike (the list's filter offers them for both).
AMOUNT_BASIS_LABELS: dict[str, str] = {
    "source": "Same amount as the bank line",
    "local": "Same as Qonto's local amount",
    "converted": "Converted at the exchange rate",
}
#: Fields only support needs: shown in a collapsed "Technical details" section.
TECHNICAL_FIELDS = ("idempotency_key",)
MONEY_KEYS = frozenset({"net_amount", "tax_amount", "total_amount", "amount", "amount_above"})
#: The id of the row a decision is about (a routing rule's "id", a connection's, a match's): the
#: decision names its rows, and the export names the rule ("#3 Large invoices"); an internal id
#: in "what changed" is noise.
IDENTITY_KEYS = frozenset({"id", "connection", "match"})
#: Lists of match ids (the candidates a pick or "none of these" turned down): read as a count.
MATCH_LIST_KEYS = frozenset({"proposed", "rejected"})
#: What a bank line is recorded as (its id, or Qonto's) when it cannot be named: left out.
UNNAMED = object()
DATE_KEYS = frozenset({"issue_date", "due_date", "execution_date"})
PERCENT_KEYS = frozenset({"confidence", "review_threshold", "auto_post_threshold", "score"})
STATUS_LABELS: dict[str, str] = {
    **dict(MatchStatus.choices),
    **dict(InvoiceStatus.choices),
}
#: A decision about a document alone (read again, not a duplicate) records the document's
#: status: "failed" is an unreadable file there, not an invoice whose posting failed.
DOCUMENT_STATUS_LABELS: dict[str, str] = dict(DocumentStatus.choices)
#: A decision about a match records the match's status (and the invoice's, if at all, as
#: "invoice_status"): "rejected" is a proposal turned down there, not an invoice Qonto rejected.
MATCH_STATUS_LABELS: dict[str, str] = dict(MatchStatus.choices)
INVOICE_STATUS_LABELS: dict[str, str] = dict(InvoiceStatus.choices)
#: What an approval or a correction changed on the vendor record (recorded under "vendor"):
#: one row each, named as the vendor's own.
VENDOR_LABELS: dict[str, str] = {
    "status": "Vendor status",
    "name": "Vendor name",
    "vat_id": "Vendor VAT id",
    "domain": "Vendor domain",
    "ibans": "Vendor IBANs",
}
VENDOR_STATUS_LABELS: dict[str, str] = dict(VendorStatus.choices)
#: A connection decision (connected, disconnected) records the connection's status and provider.
CONNECTION_STATUS_LABELS: dict[str, str] = dict(ConnectionStatus.choices)
PROVIDER_LABELS: dict[str, str] = dict(Provider.choices)
#: "kind" is a match's kind in a decision about a match; a routing rule's "document_kind" is a
#: document's.
MATCH_KIND_LABELS: dict[str, str] = dict(MatchKind.choices)
DOCUMENT_KIND_LABELS: dict[str, str] = dict(DocumentKind.choices)


@dataclass(frozen=True)
class Change:
    key: str
    label: str
    before: str
    after: str


def field_label(name: str, model: type[models.Model] | None = None) -> str:
    """How a recorded key is headed: its `CHANGE_LABELS` entry, else the label `model` (the kind
    of row the decision is about) gives the field on its own pages ("Active" for a routing
    rule's "is_active"), else the key in words."""
    if name in CHANGE_LABELS:
        return CHANGE_LABELS[name]
    if model is not None:
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            field = None
        verbose_name = getattr(field, "verbose_name", None)
        if verbose_name:
            return capfirst(str(verbose_name))
    return name.replace("_", " ").capitalize()


#: The rows some actions record the fields of, whatever the decision is about.
_DECIDED_MODELS: dict[str, type[models.Model]] = {
    DecisionAction.RULE: RoutingRule,
    DecisionAction.THRESHOLDS: Workspace,
    DecisionAction.CONNECTION: Connection,
}


def decided_model(decision: Decision) -> type[models.Model] | None:
    """The kind of row `decision` records the fields of: a routing rule, a workspace's
    thresholds, a connection, else the match, invoice or document it is about."""
    if decision.action in _DECIDED_MODELS:
        return _DECIDED_MODELS[decision.action]
    if decision.match_id is not None:
        return Match
    if decision.invoice_id is not None:
        return Invoice
    if decision.document_id is not None:
        return Document
    return None


def status_labels(decision: Decision) -> dict[str, str]:
    """The labels of the statuses `decision` records: a match's, a document's (a decision about
    the document alone), else an invoice's."""
    if decision.match_id is not None:
        # A flag's "refused" in its own words: a double payment's is "Refund requested".
        recorded = [notes for notes in (decision.after, decision.before) if isinstance(notes, dict)]
        kind = next((str(notes["kind"]) for notes in recorded if notes.get("kind")), "")
        if kind in REFUSED_LABELS:
            return {**MATCH_STATUS_LABELS, MatchStatus.REFUSED.value: REFUSED_LABELS[kind]}
        return MATCH_STATUS_LABELS
    if decision.document_id is not None and decision.invoice_id is None:
        return DOCUMENT_STATUS_LABELS
    if decision.action == DecisionAction.CONNECTION:
        return CONNECTION_STATUS_LABELS
    return STATUS_LABELS


def loaded_bank_line(decision: Decision) -> Transaction | None:
    """The bank line of the match `decision` is about, if the decision was read with it
    (``select_related("match__transaction")``): never a query of its own, so a list or an
    export of decisions costs the same queries however many it shows."""
    if not Decision.match.is_cached(decision):
        return None
    match = decision.match
    if match is None or not type(match).transaction.is_cached(match):
        return None
    line: Transaction | None = match.transaction
    return line


def bank_line_label(line: Transaction) -> str:
    """A bank line as people know it: "3 Nov 2026 · −120.00 EUR · Kontor Nord GmbH"."""
    day = line.value_date
    return f"{format_date(day, 'j M Y')} · {line}" if day is not None else str(line)


def decision_changes(
    decision: Decision, *, currency: str = "", vendor_names: Mapping[int, str] | None = None
) -> list[Change]:
    """`changes` of one decision, its statuses read as the row it is about names them, the
    bank line of its match by date, amount and counterparty when it was read with it (see
    `loaded_bank_line`), a routing rule's vendor by its name in `vendor_names`."""
    return changes(
        decision.before,
        decision.after,
        currency=currency,
        statuses=status_labels(decision),
        bank_line=loaded_bank_line(decision),
        vendor_names=vendor_names,
        model=decided_model(decision),
    ) or held_changes(decision)


#: What a hold about a flag (a repeated payment confirmation's) held: a flag for a person.
HELD_FOR_A_PERSON = "Held for a person"


def held_changes(decision: Decision) -> list[Change]:
    """What a hold that recorded no values before → after held, so it reads in words like the
    other decisions: a flag for a person to answer (its kind when the decision was read with
    its match, as every page reads it: never a query of its own), else its invoice, held out
    of posting."""
    if decision.action != DecisionAction.HOLD:
        return []
    if decision.match_id is None:
        return [Change("is_held", CHANGE_LABELS["is_held"], EMPTY, display_value("is_held", True))]
    match = decision.match if Decision.match.is_cached(decision) else None
    flag = f"{match.kind_label} flag" if match is not None else "A flag"
    return [Change("match", HELD_FOR_A_PERSON, EMPTY, f"{flag} to answer")]


#: Who decided a row Well decided on its own (an invoice it routed, a match it confirmed).
WELL_ALONE = "Well (automatic)"
#: Who made a decision Well took on its own, in the decisions' lists and histories.
WELL = "Well"


def actor_label(actor: Any) -> str:
    """Who made a decision: the person's username, else "Well" (Well decided on its own)."""
    return str(actor.get_username()) if actor is not None else WELL


def decided_by_label(person: Any, decided_at: Any) -> str:
    """Who decided a row, as every page says it: the person, else Well once it is decided
    (`WELL_ALONE`), else "—" (nobody yet)."""
    if person is not None:
        return str(person.get_username())
    return WELL_ALONE if decided_at is not None else EMPTY


#: The fields a routing decision changes, in the order a reader expects them; others follow
#: alphabetically. PostgreSQL's jsonb does not keep the order the values were written in.
FIELD_ORDER = ("status", "confidence", "rule", "review_threshold", "auto_post_threshold")
#: A value the decision's "after" does not hold although it records others (a refused double
#: charge records its invoice's status before, not after): unknown, not emptied.
NOT_RECORDED = "not recorded"
#: How a value nobody recorded is written.
EMPTY = "—"


def field_order(name: str) -> tuple[int, str]:
    return (FIELD_ORDER.index(name) if name in FIELD_ORDER else len(FIELD_ORDER), name)


def stated_changes(
    decision: Decision, *, currency: str = "", vendor_names: Mapping[int, str] | None = None
) -> list[Change]:
    """What a decision changed as its own page and the decisions export state it: the rows of
    `decision_changes` in a reader's order (`FIELD_ORDER`), a value its "after" does not hold
    "not recorded" when its "before" does (a row of neither, as `held_changes` writes, is as
    it is), and no row with nothing either side (a rule setting left blank)."""
    before = decision.before if isinstance(decision.before, dict) else {}
    after = decision.after if isinstance(decision.after, dict) else {}
    rows = []
    for change in sorted(
        decision_changes(decision, currency=currency, vendor_names=vendor_names),
        key=lambda c: field_order(c.key),
    ):
        unrecorded = after and change.key in before and change.key not in after
        new = NOT_RECORDED if unrecorded else change.after
        if change.before == new == EMPTY:
            continue
        rows.append(Change(change.key, change.label, change.before, new))
    return rows


def changes(
    before: Any,
    after: Any,
    *,
    currency: str = "",
    statuses: dict[str, str] = STATUS_LABELS,
    bank_line: Transaction | None = None,
    vendor_names: Mapping[int, str] | None = None,
    model: type[models.Model] | None = None,
) -> list[Change]:
    """The fields that differ between `before` and `after`, in the order they were recorded;
    a status by its label in `statuses` (see `status_labels`), a field by its label on
    `model`'s pages where `CHANGE_LABELS` has none (see `field_label`). Internal ids are left
    out: a row's own (`IDENTITY_KEYS`), and a bank line's unless it is `bank_line` (then
    named)."""
    before = before if isinstance(before, dict) else {}
    after = after if isinstance(after, dict) else {}
    currency = str(after.get("currency") or before.get("currency") or currency or "")
    out = []
    for key in [*before, *(k for k in after if k not in before)]:
        old, new = before.get(key), after.get(key)
        if old == new or key in IDENTITY_KEYS:
            continue
        if key == "transaction":
            named = [_bank_line_value(value, bank_line) for value in (old, new)]
            if UNNAMED in named or named[0] == named[1]:
                continue  # an id nobody reads, or the same line under its two ids
            out.append(Change(key, field_label(key, model), str(named[0]), str(named[1])))
            continue
        if key == "vendor" and isinstance(old or new, int) and not isinstance(old or new, bool):
            # A routing rule's vendor, recorded by its id.
            names = vendor_names or {}
            old, new = (_vendor_name(value, names) for value in (old, new))
        if key == "reason_codes":
            approved = after.get("status") == InvoiceStatus.APPROVED
            old, new = _stated(old, approved=False), _stated(new, approved=approved)
        if key == "vendor" and isinstance(old or new, dict):
            out += _vendor_changes(old, new)
            continue
        out.append(
            Change(
                key,
                field_label(key, model),
                display_value(key, old, currency=currency, statuses=statuses),
                display_value(key, new, currency=currency, statuses=statuses),
            )
        )
    return out


def _bank_line_value(value: Any, line: Transaction | None) -> object:
    """A recorded bank line ("transaction": its id, or Qonto's) named as people know it, "—"
    when none was recorded, `UNNAMED` when it is not `line` (it cannot be named)."""
    if value is None or value == "":
        return "—"
    if line is not None and str(value) in (str(line.pk), line.qonto_id):
        return bank_line_label(line)
    return UNNAMED


def rule_vendor_ids(*recorded: Any) -> set[int]:
    """The vendors a routing rule's recorded values (its decision's before and after) name by
    id: the ids `changes` names through `vendor_names`."""
    return {
        vendor
        for notes in recorded
        if isinstance(notes, dict)
        and isinstance(vendor := notes.get("vendor"), int)
        and not isinstance(vendor, bool)
    }


def rule_vendor_names(ids: Iterable[int], workspace_ids: Iterable[int]) -> dict[int, str]:
    """{id: name} of the vendors `rule_vendor_ids` found, of these workspaces only: the
    `vendor_names` a decision's page and the decision log pass to `stated_changes`, in one
    query (none without ids)."""
    wanted = set(ids)
    if not wanted:
        return {}
    found = Vendor.objects.filter(pk__in=wanted, workspace_id__in=list(workspace_ids))
    return dict(found.values_list("pk", "name"))


def _vendor_name(value: Any, names: Mapping[int, str]) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        return names.get(value, f"Vendor #{value}")
    return value


def _vendor_changes(before: Any, after: Any) -> list[Change]:
    """What a decision changed on the vendor record, one row per field ("Vendor status: New —
    needs review → Active"), under the key "vendor" the decision recorded them in."""
    before = before if isinstance(before, dict) else {}
    after = after if isinstance(after, dict) else {}
    rows = []
    for name in [*before, *(k for k in after if k not in before)]:
        old, new = before.get(name), after.get(name)
        if name == "status" and old is None and new == VendorStatus.ACTIVE:
            # An approval makes a new vendor active; only a new one is recorded so.
            old = VendorStatus.NEEDS_REVIEW.value
        label = VENDOR_LABELS.get(name, f"Vendor {field_label(name).lower()}")
        rows.append(Change("vendor", label, _vendor_value(name, old), _vendor_value(name, new)))
    return rows


def _vendor_value(name: str, value: Any) -> str:
    if name == "status" and value:
        return VENDOR_STATUS_LABELS.get(str(value), str(value))
    return display_value(name, value)


def _stated(codes: Any, *, approved: bool) -> Any:
    """Recorded reason codes as the reasons of a decision: the causes first, and "reaches the
    auto-post threshold" only where Well approved the invoice itself (elsewhere the score was
    good enough and something else sent it to a person: context, not a reason)."""
    if not isinstance(codes, list):
        return codes
    return codes_causes_first(stated_codes([str(c) for c in codes], auto_approved=approved))


#: Between the items of one recorded list ("Below threshold / In training").
LIST_JOINER = " / "


def display_value(
    key: str, value: Any, *, currency: str = "", statuses: dict[str, str] = STATUS_LABELS
) -> str:
    """One recorded value as people read it (a status by its label in `statuses`)."""
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    if isinstance(value, bool):
        return "Yes" if value else "No"  # as the pages and exports say a yes/no setting
    # A list's items are joined by " / ": "; " already parts one change from the next.
    if key == "reason_codes" and isinstance(value, list):
        return LIST_JOINER.join(reason_label(str(code)) for code in value)
    if key in MATCH_LIST_KEYS and isinstance(value, list):
        return f"{len(value)} match" if len(value) == 1 else f"{len(value)} matches"
    if isinstance(value, dict):
        return ", ".join(
            f"{field_label(k)}: {display_value(k, v, currency=currency, statuses=statuses)}"
            for k, v in value.items()
        )
    if isinstance(value, list):
        shown = (display_value(key, v, currency=currency, statuses=statuses) for v in value)
        return LIST_JOINER.join(shown)
    return _scalar(key, value, currency, statuses)


def _scalar(key: str, value: Any, currency: str, statuses: dict[str, str]) -> str:
    text = str(value)
    if key == "status":
        return statuses.get(text, text)
    if key == "invoice_status":
        return INVOICE_STATUS_LABELS.get(text, text)
    if key == "kind":
        return MATCH_KIND_LABELS.get(text, DOCUMENT_KIND_LABELS.get(text, text))
    if key == "document_kind":
        return DOCUMENT_KIND_LABELS.get(text, text)
    if key == "rule" and isinstance(value, int):
        return f"Rule #{value}"  # the rule a routing applied, by its number (its name may change)
    if key == "provider":
        return PROVIDER_LABELS.get(text, text)
    if key in MONEY_KEYS:
        number = _decimal(value)
        if number is None or not number.is_finite():
            return text
        if is_known_currency(currency):
            return format_money(number, currency)
        return format_money(_minor_units(number), "")  # no currency: at least cents
    if key in PERCENT_KEYS:
        return recorded_percent(value)
    if key in DATE_KEYS:
        day = iso_day(value)
        return format_date(day, "j M Y") if day is not None else text
    if isinstance(value, float):
        return f"{value:.4g}"
    return text


def percent_column(model: type[models.Model], field: str) -> Any:
    """A list column showing `model`'s `field` (0–100) with `percent`, sorted by it and headed
    by the field's own name."""
    description = capfirst(str(getattr(model._meta.get_field(field), "verbose_name", field)))

    @admin.display(description=description, ordering=field)
    def column(model_admin: Any, obj: Any) -> str:
        return percent(getattr(obj, field))

    return column


def _minor_units(number: Decimal) -> Decimal:
    """An amount with at least two decimals (its own when it has more): "5000" → 5000.00."""
    exponent = number.normalize().as_tuple().exponent
    places = max(2, -exponent) if isinstance(exponent, int) else 2
    return number.quantize(Decimal(1).scaleb(-places))


def _decimal(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def with_technical_section(fields: Sequence[Any]) -> list[tuple[str | None, dict[str, Any]]]:
    """Admin fieldsets: the page's fields, then the technical ones in a collapsed section."""
    technical = [name for name in fields if name in TECHNICAL_FIELDS]
    shown = [name for name in fields if name not in TECHNICAL_FIELDS]
    if not technical:
        return [(None, {"fields": shown})]
    return [
        (None, {"fields": shown}),
        ("Technical details", {"classes": ["collapse"], "fields": technical}),
    ]
