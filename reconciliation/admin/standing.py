"""Where a document stands, in a finance user's words: one computation for the Documents list,
a document's page and the documents export."""

from __future__ import annotations

from django.db.models import Case
from django.db.models import CharField
from django.db.models import DateTimeField
from django.db.models import Exists
from django.db.models import F
from django.db.models import OuterRef
from django.db.models import Q
from django.db.models import QuerySet
from django.db.models import Value
from django.db.models import When

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


def with_standing(documents: QuerySet[Document]) -> QuerySet[Document]:
    """`documents` with `standing` (a code of `STANDING_LABELS`) and `waiting_since` (when it
    arrived, or None once finished), computed in the list's one query."""
    matches = Match.objects.filter(document=OuterRef("pk"))
    payment = Q(status=DocumentStatus.PARSED, kind__in=PAYMENT_KINDS)
    standing = Case(
        When(status=DocumentStatus.DUPLICATE, then=Value("duplicate")),
        When(status=DocumentStatus.IGNORED, then=Value("ignored")),
        When(status=DocumentStatus.FAILED, then=Value("unreadable")),
        When(status__in=(DocumentStatus.NEW, DocumentStatus.PARSING), then=Value("reading")),
        When(invoice__isnull=False, then=F("invoice__status")),
        When(~Q(review_reason=""), then=Value("needs_review")),
        When(
            payment & Exists(matches.filter(status=MatchStatus.PROPOSED)),
            then=Value("match_to_confirm"),
        ),
        When(
            payment
            & Exists(matches.filter(status__in=(MatchStatus.CONFIRMED, MatchStatus.ATTACHED))),
            then=Value("matched"),
        ),
        When(
            payment & Exists(matches.filter(kind=MatchKind.DOUBLE_CHARGE)),
            then=Value("decided"),
        ),
        When(payment, then=Value("waiting_for_debit")),
        When(kind__in=INVOICE_KINDS, then=Value("parsed")),
        default=Value("filed"),
        output_field=CharField(),
    )
    return documents.annotate(standing=standing).annotate(
        waiting_since=Case(
            When(standing__in=FINISHED_STANDINGS, then=Value(None)),
            default=F("received_at"),
            output_field=DateTimeField(),
        )
    )


def standing_label(document: Document) -> str:
    """Where `document` stands, as the list, its page and the export say it: its `standing`
    when `with_standing` gave it one, else worked out for it alone (one query)."""
    code = getattr(document, "standing", None)
    if code is None and document.pk is not None:
        found = with_standing(Document.objects.filter(pk=document.pk)).only("pk").first()
        code = getattr(found, "standing", None)
    return STANDING_LABELS.get(code or document.status, document.get_status_display())
