"""Where a document stands, in a finance user's words: one computation for the Documents list,
a document's page and the documents export."""

from __future__ import annotations

from django.db.models import Case
from django.db.models import CharField
from django.db.models import DateTimeField
from django.db.models import Exists
from django.db.models import F
from django.db.models import IntegerField
from django.db.models import OuterRef
from django.db.models import Q
from django.db.models import QuerySet
from django.db.models import Value
from django.db.models import When

from reconciliation.matching.invoices import SETTLED_STATUSES
from reconciliation.models import INVOICE_KINDS
from reconciliation.models import PAYMENT_KINDS
from reconciliation.models import Document
from reconciliation.models import DocumentStatus
from reconciliation.models import InvoiceStatus
from reconciliation.models import Match
from reconciliation.models import MatchKind
from reconciliation.models import MatchStatus

#: Where a document stands, in a finance user's words: its invoice's status once it became one,
#: else what became of the file. Invoice statuses keep their own codes and labels.
STANDING_LABELS: dict[str, str] = {
    **{str(code): str(label) for code, label in InvoiceStatus.choices},
    "reading": "Being read",
    "unreadable": "Unreadable",
    "duplicate": "Duplicate",
    "ignored": "Ignored",
    "needs_review": "Needs review",
    "waiting_for_debit": "Waiting for its debit",
    "match_to_confirm": "Bank match to confirm",
    "matched": "Matched to its bank line",
    "decided": "Decided",
    "filed": "Read — nothing to do",
    "parsed": "Read — no invoice yet",
}
#: Standings where nobody and nothing is waiting any more: no "Waiting" time is shown.
FINISHED_STANDINGS = frozenset(
    {
        InvoiceStatus.POSTED,
        InvoiceStatus.REFUSED,
        "duplicate",
        "ignored",
        "matched",
        "decided",
        "filed",
    }
)

#: The Status column's sort, as a finance user reads a list of documents: what needs a person
#: first, then what Well or the bank is still doing, what is finished last (`FINISHED_STANDINGS`).
STANDING_ORDER: tuple[str, ...] = (
    # A person has to act.
    "needs_review",
    "match_to_confirm",
    InvoiceStatus.REJECTED,
    "unreadable",
    InvoiceStatus.FAILED,
    # Well, Qonto or the bank is on it.
    InvoiceStatus.NEW,
    "reading",
    "parsed",
    InvoiceStatus.APPROVED,
    InvoiceStatus.POSTING,
    "waiting_for_debit",
    # Finished.
    InvoiceStatus.POSTED,
    "matched",
    "decided",
    InvoiceStatus.REFUSED,
    "duplicate",
    "ignored",
    "filed",
)


def standing_order() -> Case:
    """A document's place in `STANDING_ORDER` (0 first), from the `standing` `with_standing`
    gives it: what the Status column sorts by, in the list's one query."""
    return Case(
        *(When(standing=code, then=Value(place)) for place, code in enumerate(STANDING_ORDER)),
        default=Value(len(STANDING_ORDER)),
        output_field=IntegerField(),
    )


#: The file statuses that are each a standing of their own, whatever else the document holds.
STATUS_STANDINGS: dict[str, str] = {
    DocumentStatus.DUPLICATE: "duplicate",
    DocumentStatus.IGNORED: "ignored",
    DocumentStatus.FAILED: "unreadable",
    DocumentStatus.NEW: "reading",
    DocumentStatus.PARSING: "reading",
}


def _steps() -> list[tuple[Q, Value | F]]:
    """The standing's rule, first match wins: (the condition on a document, its standing)."""
    matches = Match.objects.filter(document=OuterRef("pk"))
    payment = Q(status=DocumentStatus.PARSED, kind__in=PAYMENT_KINDS)
    return [
        *((Q(status=status), Value(code)) for status, code in STATUS_STANDINGS.items()),
        (Q(invoice__isnull=False), F("invoice__status")),
        (~Q(review_reason=""), Value("needs_review")),
        (
            payment & Q(Exists(matches.filter(status=MatchStatus.PROPOSED))),
            Value("match_to_confirm"),
        ),
        (payment & Q(Exists(matches.filter(status__in=SETTLED_STATUSES))), Value("matched")),
        (payment & Q(Exists(matches.filter(kind=MatchKind.DOUBLE_CHARGE))), Value("decided")),
        (payment, Value("waiting_for_debit")),
        (Q(kind__in=INVOICE_KINDS), Value("parsed")),
    ]


#: A document no step names.
_OTHERWISE = "filed"


def with_standing(documents: QuerySet[Document]) -> QuerySet[Document]:
    """`documents` with `standing` (a code of `STANDING_LABELS`) and `waiting_since` (when it
    arrived, or None once finished), computed in the list's one query; `documents` as they
    are when they carry them already (the list sorted by its Status column)."""
    if "standing" in documents.query.annotations:
        return documents
    standing = Case(
        *(When(condition, then=then) for condition, then in _steps()),
        default=Value(_OTHERWISE),
        output_field=CharField(),
    )
    return documents.annotate(standing=standing).annotate(
        waiting_since=Case(
            When(standing__in=FINISHED_STANDINGS, then=Value(None)),
            default=F("received_at"),
            output_field=DateTimeField(),
        )
    )


def standing_is(code: str) -> Q:
    """Exactly the documents whose standing is `code`, as conditions on their own fields: the
    steps that give it, each where no earlier step applies. Filtering needs no standing worked
    out for every row, so an index on the status or the invoice serves it."""
    found = Q(pk__in=[])
    earlier = Q(pk__in=[])
    for condition, then in _steps():
        if isinstance(then, F):  # the invoice's own status
            if code in InvoiceStatus.values:
                found |= condition & Q(invoice__status=code) & ~earlier
        elif then.value == code:
            found |= condition & ~earlier
        earlier |= condition
    if code == _OTHERWISE:
        found |= ~earlier
    return found


def standing_label(document: Document) -> str:
    """Where `document` stands, as the list, its page and the export say it: its `standing`
    when `with_standing` gave it one, else worked out for it alone (one query)."""
    code = getattr(document, "standing", None)
    if code is None and document.pk is not None:
        found = with_standing(Document.objects.filter(pk=document.pk)).only("pk").first()
        code = getattr(found, "standing", None)
    return STANDING_LABELS.get(code or document.status, document.get_status_display())
