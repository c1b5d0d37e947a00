"""Money that already left: the open *possible double payment* and *refused, but paid* flags.

They are matches, not documents, so the review queue's rows never hold them; the queue shows
them in a block of their own above its rows (double payments first) and counts them, and the
dashboard counts them with links to the match list filtered to each kind. Each flag is read
through `Match.objects.for_user`: a reviewer sees only the flags of their own workspaces. The
block costs the same few queries for one flag or fifty.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from datetime import date

from django.db.models import Case
from django.db.models import Count
from django.db.models import IntegerField
from django.db.models import Q
from django.db.models import Value
from django.db.models import When
from django.http import HttpRequest
from django.urls import reverse
from django.utils.formats import date_format

from reconciliation.admin.matches import DECISIONS
from reconciliation.admin.matches import available_decisions
from reconciliation.admin.matches import dotted
from reconciliation.admin.matches import flag_debits
from reconciliation.matching.flags import first_debits
from reconciliation.models import Match
from reconciliation.models import MatchKind
from reconciliation.models import MatchStatus
from reconciliation.models import Transaction
from reconciliation.models.banking import MatchQuerySet
from reconciliation.money import format_money
from reconciliation.web.access import EDIT_ROLES
from reconciliation.web.access import has_role

#: The flags about money gone, in the order a person should see them.
MONEY_FLAG_KINDS = (MatchKind.DOUBLE_PAYMENT, MatchKind.PAID_REFUSED)
#: At most this many flags are listed above the queue (all of them are counted).
MAX_LISTED = 50


@dataclass(frozen=True)
class Debit:
    label: str  # "First debit (paid it)", "Second debit", "Paid by"
    day: date | None
    amount: str
    reference: str

    @property
    def summary(self) -> str:
        """Its day, amount and quoted reference, those it has, joined by " · " (`dotted`)."""
        day = date_format(self.day, "j M Y") if self.day is not None else "no date"
        return dotted(day, self.amount, f"“{self.reference}”" if self.reference else "")


@dataclass(frozen=True)
class MoneyFlag:
    match: Match
    title: str  # "Possible double payment", "Refused, but paid"
    invoice: str  # "2026-0457 · Van Dijk Vertaalbureau B.V."
    amount: str
    url: str  # the flag's own page
    debits: list[Debit] = field(default_factory=list)
    #: The one-click answers, (label, url): empty for a read-only role.
    answers: list[tuple[str, str]] = field(default_factory=list)

    @property
    def is_double_payment(self) -> bool:
        return self.match.kind == MatchKind.DOUBLE_PAYMENT

    @property
    def badge(self) -> str:
        """Its title's badge (well.css): each flag of money gone is one, in its kind's colour."""
        kind = "double" if self.is_double_payment else "paid-refused"
        return f"well-flag well-flag-{kind}"


@dataclass(frozen=True)
class MoneyFlags:
    double_payments: int = 0
    paid_refused: int = 0
    listed: list[MoneyFlag] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.double_payments + self.paid_refused

    @property
    def double_payments_url(self) -> str:
        return matches_url(MatchKind.DOUBLE_PAYMENT)

    @property
    def paid_refused_url(self) -> str:
        return matches_url(MatchKind.PAID_REFUSED)


def open_flags(request: HttpRequest) -> MatchQuerySet:
    """The open money flags of the user's workspaces (every workspace for a superuser)."""
    return Match.objects.for_user(request.user).filter(
        kind__in=MONEY_FLAG_KINDS, status=MatchStatus.PROPOSED
    )


def money_flags(request: HttpRequest, *, workspace_id: int | None = None) -> MoneyFlags:
    """The counts of the user's open money flags, and the first `MAX_LISTED` of them (of
    `workspace_id` only, when given), double payments first, oldest first: one query with
    none open, three at most."""
    flags = open_flags(request)
    counts = flags.aggregate(
        double_payments=Count("pk", filter=Q(kind=MatchKind.DOUBLE_PAYMENT)),
        paid_refused=Count("pk", filter=Q(kind=MatchKind.PAID_REFUSED)),
    )
    if not counts["double_payments"] and not counts["paid_refused"]:
        return MoneyFlags()
    if workspace_id is not None:
        flags = flags.for_workspace(workspace_id)
    order = Case(
        When(kind=MatchKind.DOUBLE_PAYMENT, then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    listed = list(
        flags.select_related("invoice", "transaction").order_by(order, "created_at", "pk")[
            :MAX_LISTED
        ]
    )
    firsts = first_debits(listed)
    return MoneyFlags(
        double_payments=counts["double_payments"],
        paid_refused=counts["paid_refused"],
        listed=[_describe(request, match, firsts.get(match.pk)) for match in listed],
    )


def _describe(request: HttpRequest, match: Match, first: Match | None) -> MoneyFlag:
    invoice = match.invoice
    number = (invoice.number or str(invoice.pk)) if invoice is not None else "?"
    debits = [_debit(label, debit) for label, debit in flag_debits(match, first, paid_by="Paid by")]
    answers = []
    if has_role(request, match.workspace_id, EDIT_ROLES):
        answers = [
            (DECISIONS[name][0], reverse(f"admin:reconciliation_match_{name}", args=[match.pk]))
            for name in available_decisions(match)
        ]
    return MoneyFlag(
        match=match,
        title=match.get_kind_display(),
        invoice=dotted(number, invoice.supplier_name) if invoice is not None else "—",
        amount=format_money(invoice.total_amount, invoice.currency) if invoice else "—",
        url=reverse("admin:reconciliation_match_change", args=[match.pk]),
        debits=debits,
        answers=answers,
    )


def _debit(label: str, transaction: Transaction) -> Debit:
    return Debit(
        label=label,
        day=transaction.value_date,
        amount=format_money(transaction.amount, transaction.currency),
        reference=transaction.reference,
    )


def list_url(model: str, query: str, workspace_id: int | None = None) -> str:
    """An admin list (``model``: "match", "document", …) filtered by ``query``, the list's own
    filter parameters, and to one workspace when given (for a person who sees several): every
    link the dashboard and the review queue open on a list."""
    scope = f"&workspace={workspace_id}" if workspace_id is not None else ""
    return f"{reverse(f'admin:reconciliation_{model}_changelist')}?{query}{scope}"


def matches_url(kind: MatchKind, workspace_id: int | None = None) -> str:
    """The match list filtered to the open flags of `kind` (and to one workspace)."""
    query = f"kind__exact={kind.value}&status__exact={MatchStatus.PROPOSED.value}"
    return list_url("match", query, workspace_id)


def queue_money_flags(request: HttpRequest) -> MoneyFlags:
    """The review queue's block: the user's flags, of the workspace the queue is filtered to
    (its `workspace` parameter), if any; the counts are the whole queue's, like its others."""
    chosen = request.GET.get("workspace", "")
    return money_flags(request, workspace_id=int(chosen) if chosen.isdigit() else None)
