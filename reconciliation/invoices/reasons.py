"""Reason codes: the one registry of why an invoice was refused, held or sent to review.

Every sentence Well writes about where a document went has a stable code beside it
(``total_unreadable``, ``iban_changed``, ``possible_double_payment``, ``vendor_in_training``…).
Writers build the sentence from the code's template (`sentence`); readers that only have the
sentence — rows written before the codes existed, or by a writer that still formats its own
text — get the code back from `code_of`, which recognises each template's fixed words. So the
registry is also the fallback mapping for existing rows: no data migration is needed, and a
sentence that matches nothing is ``other``.

Filters, exports and the dashboard group by `code_of` / `codes_of`; `marker` gives the
fixed words of a template for a database ``icontains`` filter. The simulator and the decision
log can replay a decision as a list of codes (`codes_of`) and compare codes, never wording.

Pure: no Django, no I/O.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Literal

#: What a reason does to the invoice: keeps it from being posted automatically (``hold``:
#: a person must decide whatever the score; ``review``: the score or a policy sends it to a
#: person; ``refuse``: refused automatically), or only explains (``info``).
Effect = Literal["hold", "review", "refuse", "info"]


@dataclass(frozen=True)
class ReasonType:
    code: str
    effect: Effect
    label: str  # for filters and the dashboard
    template: str  # str.format template of the sentence


@dataclass(frozen=True)
class Reason:
    code: str
    text: str

    def to_json(self) -> dict[str, str]:
        return {"code": self.code, "text": self.text}


OTHER = "other"

_TYPES: tuple[ReasonType, ...] = (
    # Holds: a person decides, whatever the confidence and the routing rules.
    ReasonType(
        "iban_bank_changed",
        "hold",
        "Bank changed (possible payment fraud)",
        "Possible payment fraud: the IBAN {iban} is at another bank than every IBAN "
        "{vendor} used before ({known}); {change}.",
    ),
    ReasonType(
        "iban_changed",
        "hold",
        "New IBAN (possible payment fraud)",
        "Possible payment fraud: the IBAN {iban} differs from every IBAN {vendor} used "
        "before ({known}).",
    ),
    ReasonType(
        "possible_double_payment",
        "hold",
        "Possible double payment (before posting)",
        "Possible double payment: {what}",
    ),
    ReasonType(
        "double_charge",
        "hold",
        "Double charge",
        "Possible double charge of invoice {number}",
    ),
    ReasonType(
        "payment_reminder",
        "hold",
        # The same request for money as a double charge, before the first one is paid.
        "Reminder of an invoice already received (possible double charge)",
        "Payment reminder for invoice {number}, already received.",
    ),
    ReasonType(
        "revised_after_posting",
        "hold",
        "Revised after posting",
        "Revised after posting: {detail}",
    ),
    # Review: the score, a policy or a rule sends it to a person.
    ReasonType(
        "qonto_candidates",
        "review",
        "Qonto may already have it",
        "Qonto may already have this invoice: {detail}",
    ),
    ReasonType(
        "vendor_in_training",
        "review",
        "Vendor in training",
        "Vendor “{vendor}” is in training ({progress} reviewed).",
    ),
    ReasonType(
        "routing_rule",
        "review",
        "Routing rule sends to review",
        "Routing rule “{rule}” always sends to review.",
    ),
    ReasonType(
        "below_auto_post_threshold",
        "review",
        "Below the auto-post threshold",
        "Confidence {value} is below the auto-post threshold {threshold} ({source}).",
    ),
    ReasonType(
        "field_below_threshold",
        "review",
        "A field read with low confidence",
        "{field} was read with {confidence} confidence, below the auto-post threshold {threshold}.",
    ),
    ReasonType("supplier_unreadable", "review", "Supplier not read", "Supplier not found."),
    ReasonType(
        "number_unreadable", "review", "Invoice number not read", "Invoice number not found."
    ),
    ReasonType("issue_date_unreadable", "review", "Issue date not read", "Issue date not found."),
    ReasonType("total_unreadable", "review", "Total not read", "Total not found."),
    ReasonType("currency_unreadable", "review", "Currency not read", "Currency not found."),
    ReasonType("currency_unknown", "review", "Unknown currency", "Currency {currency} is unknown."),
    ReasonType(
        "no_text_layer",
        "review",
        "Scanned, no text",
        "No text layer: the document is a scan and needs a person.",
    ),
    ReasonType("no_text_layer", "review", "Scanned, no text", "No text layer."),
    ReasonType(
        "refused_before",
        "review",
        "Refused earlier, now above the thresholds",
        "Refused earlier; now above the thresholds, so a person confirms.",
    ),
    ReasonType("reopened", "review", "Reopened by a person", "Reopened by {who}: {reason}"),
    ReasonType(
        "no_debit_found",
        "review",
        "Payment with no debit",
        "No debit found within {days} days.",
    ),
    ReasonType(
        "payment_to_match",
        "review",
        "Payment to match",
        "Payment not matched with certainty",
    ),
    # Refusal.
    ReasonType(
        "below_review_threshold",
        "refuse",
        "Below the review threshold",
        "Confidence {value} is below the review threshold {threshold} ({source}).",
    ),
    # Explanations that decide nothing by themselves.
    ReasonType(
        "routing_rule_applies",
        "info",
        "Routing rule thresholds",
        "Routing rule “{rule}” applies: thresholds {review} / {auto_post}.",
    ),
    ReasonType(
        "auto_post_threshold_reached",
        "info",
        "Auto-post threshold reached",
        "Confidence {value} reaches the auto-post threshold {threshold} ({source}).",
    ),
    ReasonType(
        "score_cost",
        "info",
        "Where the score lost points",
        "Cost {points} points — {label}: {detail}.",
    ),
)

#: code → its reason type (the first template of a code gives its label and effect).
REGISTRY: dict[str, ReasonType] = {}
for _type in _TYPES:
    REGISTRY.setdefault(_type.code, _type)
REGISTRY[OTHER] = ReasonType(OTHER, "review", "Other", "{text}")

#: The codes that hold an invoice out of posting for a fraud or double-payment check.
FRAUD_CODES = frozenset({"iban_changed", "iban_bank_changed"})
#: The detail of another reason (where the score lost its points, under "below the auto-post
#: threshold"), not a reason of its own: shown with the sentences, never listed as a reason.
DETAIL_CODES = frozenset({"score_cost"})
#: Reasons that explain an automatic approval: routing writes "reaches the auto-post threshold"
#: for every score that does, even when a hold or a policy then sends the invoice to a person.
AUTO_APPROVAL_CODES = frozenset({"auto_post_threshold_reached"})


def stated_codes(codes: Iterable[str], *, auto_approved: bool) -> list[str]:
    """The codes to list as the reasons an invoice is where it is (the exports' reason
    columns): without the details of another reason, and without the reasons of an automatic
    approval unless Well approved the invoice itself."""
    dropped = DETAIL_CODES if auto_approved else DETAIL_CODES | AUTO_APPROVAL_CODES
    return [code for code in codes if code not in dropped]


def sentence(code: str, /, **values: object) -> Reason:
    """The reason of ``code`` with its sentence filled in (KeyError for an unknown code)."""
    kind = REGISTRY[code]
    return Reason(code, kind.template.format(**values))


@cache
def _pattern(template: str) -> tuple[re.Pattern[str], tuple[str, ...]]:
    """The sentences ``template`` writes, as a pattern whose groups ``v0``, ``v1``… hold the
    values of its placeholders, and those placeholders' names."""
    parts: list[str] = []
    names: list[str] = []
    for literal, name, _, _ in string.Formatter().parse(template):
        parts.append(re.escape(literal))
        if name is not None:
            parts.append(f"(?P<v{len(names)}>.*?)")
            names.append(name)
    return re.compile("".join(parts) + r"\Z", re.DOTALL), tuple(names)


def _bare(text: str) -> str:
    """A sentence as its template wrote it: a held invoice's routing line loses "Held: "."""
    return str(text).strip().removeprefix("Held: ")


def code_of(text: str) -> str:
    """The code of a sentence Well wrote ("other" when no template fits). A "Held: …" prefix
    (a held invoice's routing line) is the code of what holds it."""
    text = _bare(text)
    for kind in _TYPES:
        if _pattern(kind.template)[0].match(text):
            return kind.code
    return OTHER


def values_of(code: str, text: str) -> dict[str, str] | None:
    """The values filled into the template of ``code`` to write ``text`` ("Held: " aside), by
    the template's placeholder names; None when the sentence does not fit it (an older
    wording)."""
    pattern, names = _pattern(REGISTRY[code].template)
    found = pattern.match(_bare(text))
    if found is None:
        return None
    return {name: found.group(f"v{index}") for index, name in enumerate(names)}


def codes_of(texts: Iterable[str]) -> list[str]:
    """The codes of several sentences, in order, each once."""
    seen: dict[str, None] = {}
    for text in texts:
        seen.setdefault(code_of(text), None)
    return list(seen)


def invoice_sentences(
    *, is_held: bool, hold_reason: str, routing_reasons: Iterable[str]
) -> list[str]:
    """Every sentence saying why an invoice is where it is, the hold first."""
    held = [hold_reason] if is_held and hold_reason else []
    return held + [str(reason) for reason in routing_reasons]


#: The order reasons are read in: what holds the invoice, what refuses it, what sends it to a
#: person, then what only explains (a threshold the score reached, the rule that set the
#: thresholds), then the details of another reason (where the score lost points).
_EFFECT_ORDER: dict[str, int] = {"hold": 0, "refuse": 1, "review": 2, "info": 3}


def _rank(code: str) -> int:
    if code in DETAIL_CODES:
        return len(_EFFECT_ORDER)
    return _EFFECT_ORDER[REGISTRY[code].effect]


def causes_first(texts: Iterable[str]) -> list[str]:
    """The sentences in the order a person reads why an invoice is where it is: the causes
    (holds, refusals, reasons for review) first, the context after ("reaches the auto-post
    threshold" says the score was good enough, not why a person must look), in their own
    order within each group."""
    items = [str(text) for text in texts]
    return sorted(items, key=lambda text: _rank(code_of(text)))


def codes_causes_first(codes: Iterable[str]) -> list[str]:
    """`causes_first` for codes (a decision's recorded ``reason_codes``)."""
    return sorted(codes, key=lambda code: _rank(code) if code in REGISTRY else 2)


def leading_code(texts: Iterable[str]) -> str:
    """The code that decided where the document went: the first hold, else the first review
    or refusal reason, else the first code ("" when there is none)."""
    codes = codes_of(texts)
    for effect in ("hold", "refuse", "review"):
        for code in codes:
            if REGISTRY[code].effect == effect and code != OTHER:
                return code
    return codes[0] if codes else ""


def _ascii_runs(template: str) -> list[str]:
    runs: list[str] = []
    for literal, _, _, _ in string.Formatter().parse(template):
        runs += [run.strip(" .:;,(") for run in re.split(r"[^\x20-\x7e]+", literal)]
    return [run for run in runs if len(run) >= 6]


def marker(code: str) -> str:
    """Fixed words that only this code's sentences contain, for a database ``icontains``
    filter on the stored sentences: plain ASCII (JSON columns store “ ” — → escaped), the
    longest run no other code's template has ("" when there is none)."""
    own = [kind.template for kind in _TYPES if kind.code == code]
    others = [kind.template for kind in _TYPES if kind.code != code]
    runs = sorted({run for template in own for run in _ascii_runs(template)}, key=len)
    unique = [run for run in runs if not any(run in other for other in others)]
    everywhere = [run for run in unique if all(run in template for template in own)]
    return (everywhere or unique or [""])[-1]


def label(code: str) -> str:
    kind = REGISTRY.get(code)
    return kind.label if kind is not None else code
