"""The Matches list and page: candidates and flags, each decided in one click.

Matches waiting for a person are decided here in one click — pick this candidate, none of
these, refuse a double charge, not a duplicate, retry an upload — through buttons that post to
small admin views calling `reconciliation.matching`. Double charges are listed first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.contrib import admin
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Case
from django.db.models import F
from django.db.models import IntegerField
from django.db.models import QuerySet
from django.db.models import Value
from django.db.models import When
from django.http import HttpRequest
from django.http import HttpResponse
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import URLPattern
from django.urls import path
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.html import format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from reconciliation import matching
from reconciliation.admin.banking import MatchColumns
from reconciliation.admin.base import EditsNothingByHand
from reconciliation.admin.base import WorkspaceScopedAdmin
from reconciliation.admin.cells import clipped
from reconciliation.admin.cells import clipped_ends
from reconciliation.admin.decision_display import AMOUNT_BASIS_LABELS
from reconciliation.admin.decision_display import decided_by_label
from reconciliation.admin.decision_display import with_technical_section
from reconciliation.admin.resources import MatchResource
from reconciliation.admin.unknown_filters import known_value
from reconciliation.admin.volume import BigListMixin
from reconciliation.admin.volume import choices_filter
from reconciliation.admin.volume import search_related
from reconciliation.matching.flags import first_debit_label
from reconciliation.matching.flags import first_debits
from reconciliation.models import IllegalTransitionError
from reconciliation.models import InvoiceStatus
from reconciliation.models import Match
from reconciliation.models import MatchKind
from reconciliation.models import MatchStatus
from reconciliation.models import Transaction
from reconciliation.models.banking import CREDIT_NOTE_REFUND
from reconciliation.models.banking import CREDIT_NOTE_REFUNDS
from reconciliation.models.banking import signed_money
from reconciliation.money import format_money
from reconciliation.posting import gate
from reconciliation.posting.gate import is_gate_hit
from reconciliation.text.percents import match_reason
from reconciliation.text.percents import percent
from reconciliation.web.access import EDIT_ROLES
from reconciliation.web.access import has_role
from reconciliation.web.access import workspace_ids_with


def _user(request: HttpRequest) -> Any:
    return request.user if request.user.is_authenticated else None


def _day(day: date | None) -> str:
    """A day as the admin writes it ("4 Nov 2026", ``DATE_FORMAT``)."""
    return date_format(day, "DATE_FORMAT") if day is not None else "—"


def dotted(*parts: str | None) -> str:
    """The parts that are there, joined by " · " ("Northwind Analytics Inc. · SEPA 0457"; a
    bank line without a reference is its name alone, no dangling "·"); "—" when none is."""
    return " · ".join(part for part in parts if part) or "—"


#: The kind filter's value for credit-note refunds (matched as credits to a receivable).
CREDIT_NOTE_REFUND_VALUE = "credit_note_refund"


class MatchKindFilter(admin.SimpleListFilter):
    """The kinds as the Kind column and the export read them: a credit-note refund apart from
    the credits paying a receivable (one stored kind), each choice listing exactly its rows."""

    title = "kind"
    parameter_name = "kind__exact"  # the address Django's field filter used

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin[Any]
    ) -> list[tuple[str, str]]:
        choices: list[tuple[str, str]] = []
        for value, label in MatchKind.choices:
            choices.append((value, label))
            if value == MatchKind.CREDIT_RECEIVABLE:
                choices.append((CREDIT_NOTE_REFUND_VALUE, CREDIT_NOTE_REFUND))
        return choices

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if value is None:
            return queryset
        known_value(value, [*MatchKind.values, CREDIT_NOTE_REFUND_VALUE])
        if value == CREDIT_NOTE_REFUND_VALUE:
            return queryset.filter(CREDIT_NOTE_REFUNDS)
        if value == MatchKind.CREDIT_RECEIVABLE:
            return queryset.filter(kind=value).exclude(CREDIT_NOTE_REFUNDS)
        return queryset.filter(kind=value)


#: Double charges waiting for a decision first, then other proposals, then everything decided.
REVIEW_ORDER = Case(
    When(
        kind__in=(MatchKind.DOUBLE_CHARGE, MatchKind.DOUBLE_PAYMENT),
        status=MatchStatus.PROPOSED,
        then=Value(0),
    ),
    When(status=MatchStatus.PROPOSED, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)

#: What a reviewer decides about: the credit for receivable candidates, else the paperwork.
REVIEW_GROUP = Case(
    When(kind=MatchKind.CREDIT_RECEIVABLE, then=F("transaction_id")),
    default=F("document_id"),
)

DECISIONS: dict[str, tuple[str, str]] = {
    # name: (button label, url suffix)
    "pick": ("Pick this one", "pick"),
    "none": ("None of these", "none"),
    "refuse": ("Refuse", "refuse"),
    "not_duplicate": ("Not a duplicate", "not-duplicate"),
    "refund": ("Refund requested", "refund"),
    "reopen": ("Reopen the invoice", "reopen"),
    "keep_refused": ("Keep refused", "keep-refused"),
    "retry_attach": ("Retry the upload", "retry-attach"),
}


#: The one-click answers to each flag.
FLAG_DECISIONS: dict[str, list[str]] = {
    MatchKind.DOUBLE_CHARGE: ["refuse", "not_duplicate"],
    MatchKind.DOUBLE_PAYMENT: ["refund", "not_duplicate"],
    MatchKind.PAID_REFUSED: ["reopen", "keep_refused"],
}


#: The flags about money already gone have a page of their own: read-only (answered by the
#: one-click buttons), titled by the kind, the invoice and its debits side by side.
FLAG_PAGES = (MatchKind.DOUBLE_PAYMENT, MatchKind.PAID_REFUSED)
FLAG_FIELDS = [
    "match_status",
    "invoice",
    "debits",
    "match_score",
    "reasons_list",
    "decider",
    "decided_at",
    "decide",
]


def flag_debits(flag: Match, first: Match | None, *, paid_by: str) -> list[tuple[str, Transaction]]:
    """The debits a money flag is read by, each labelled and with its bank line: a possible
    double payment's first debit (`first`, from `first_debits`: the one that paid it, else the
    one proposed first) and its own, the "Second debit"; a refused-but-paid invoice's own,
    labelled `paid_by`. The flag's page and the review queue's block both list these."""
    if flag.kind == MatchKind.DOUBLE_PAYMENT:
        first_label = first_debit_label(first) if first is not None else ""
        labelled = [(first_label, first), ("Second debit", flag)]
    else:
        labelled = [(paid_by, flag)]
    return [
        (label, match.transaction)
        for label, match in labelled
        if match is not None and match.transaction is not None
    ]


def available_decisions(match: Match) -> list[str]:
    if match.kind in FLAG_DECISIONS:
        return FLAG_DECISIONS[match.kind] if match.status == MatchStatus.PROPOSED else []
    if match.status == MatchStatus.PROPOSED:
        return ["pick", "none"]
    if match.status == MatchStatus.CONFIRMED and match.is_attach_blocked:
        return ["retry_attach"]
    return []


@dataclass(frozen=True)
class _Told:
    """What a bulk action says, each as (one row, several rows) with ``%(n)d``: how many it
    answered, how many selected rows it skipped, and that it answered none."""

    done: tuple[str, str]
    skipped: tuple[str, str]
    nothing: tuple[str, str]


def _counted(words: tuple[str, str], n: int) -> str:
    return ngettext(words[0], words[1], n) % {"n": n}


_REFUSED = _Told(
    done=("Refused %(n)d double charge", "Refused %(n)d double charges"),
    skipped=(
        "; %(n)d selected row skipped (not an open double charge you may answer).",
        "; %(n)d selected rows skipped (not open double charges you may answer).",
    ),
    nothing=(
        "No double charge refused: the selected row is not an open double charge you may answer.",
        "No double charge refused: the %(n)d selected rows are not open double charges you may "
        "answer.",
    ),
)
_NOT_DUPLICATES = _Told(
    done=("%(n)d marked not a duplicate", "%(n)d marked not a duplicate"),
    skipped=(
        "; %(n)d selected row skipped (not an open double charge or payment you may answer).",
        "; %(n)d selected rows skipped (not open double charges or payments you may answer).",
    ),
    nothing=(
        "None marked not a duplicate: the selected row is not an open double charge or payment "
        "you may answer.",
        "None marked not a duplicate: the %(n)d selected rows are not open double charges or "
        "payments you may answer.",
    ),
)
#: The flags a person may answer "Not a duplicate", one by one as in bulk.
_DUPLICATE_FLAGS = (MatchKind.DOUBLE_CHARGE, MatchKind.DOUBLE_PAYMENT)
_REFUNDS = _Told(
    done=(
        "Refund requested for %(n)d possible double payment",
        "Refund requested for %(n)d possible double payments",
    ),
    skipped=(
        "; %(n)d selected row skipped (not an open double payment you may answer).",
        "; %(n)d selected rows skipped (not open double payments you may answer).",
    ),
    nothing=(
        "No refund requested: the selected row is not an open possible double payment you may "
        "answer.",
        "No refund requested: the %(n)d selected rows are not open possible double payments "
        "you may answer.",
    ),
)


@admin.register(Match)
class MatchAdmin(EditsNothingByHand, MatchColumns, BigListMixin, WorkspaceScopedAdmin[Match]):
    # EditsNothingByHand: every field of the page is read-only (a match is decided by its
    # one-click buttons, which post elsewhere): no Save buttons, a POST to it turned away.
    resource_classes = [MatchResource]
    # No "__str__" title: it repeats the kind, status and score, which have their own columns;
    # the paperwork opens the match's page instead. The bank line in three short columns (its
    # day, who, how much) rather than one cut "−985.00 EUR · Van …".
    list_display = [
        "paperwork",
        "workspace",
        "match_kind",
        "match_status",
        "match_score",
        "value_date",
        "bank_line",
        "bank_amount",
        "amount_agreement",
        "decide",
    ]
    list_display_links = ["paperwork"]

    class Media:
        # matches.css: the kind, status and agreement whole, on two lines if need be.
        css = {"all": ["well/well.css", "well/matches.css"]}

    list_filter = [
        MatchKindFilter,
        "status",
        choices_filter("amount_basis", "amount agreement", AMOUNT_BASIS_LABELS),
        "is_attach_blocked",
    ]
    list_select_related = [
        "workspace",
        "document",
        "transaction",
        "receivable",
        "invoice",
        "settled_invoice",
    ]
    search_fields = [
        "document__original_name",
        "transaction__counterparty_name",
        "transaction__reference",
        "receivable__reference",
        "invoice__number",
    ]
    readonly_fields = [
        "match_kind",
        "match_status",
        "document",
        "invoice",
        "transaction",
        "receivable",
        "settled_invoice",
        "match_score",
        "rank",
        "reasons_list",
        "amount_agreement",
        "matched_amount",
        "matched_currency",
        "fx_rate",
        "idempotency_key",
        "attached_at",
        "attach_error",
        "attach_attempts",
        "is_attach_blocked",
        "decider",
        "decided_at",
        "candidates",
        "decide",
    ]
    # Shown by `match_kind`, `amount_agreement`, `match_status`, `match_score` and `decider`,
    # in words.
    exclude = ["kind", "reasons", "amount_basis", "status", "score", "decided_by"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Match | None = None) -> bool:
        return False

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Match], search_term: str
    ) -> tuple[QuerySet[Match], bool]:
        if not search_term:
            return queryset, False
        superuser = request.user.is_superuser
        readable = None if superuser else workspace_ids_with(request, self.view_roles)
        return search_related(queryset, search_term, self.search_fields, readable), False

    def get_ordering(self, request: HttpRequest) -> list[Any]:
        # Newest paperwork first, each one's candidates together and in rank order.
        return [REVIEW_ORDER.asc(), "kind", REVIEW_GROUP.desc(nulls_last=True), "rank", "id"]

    @admin.display(description="Paperwork")
    def paperwork(self, obj: Match) -> SafeString:
        """On one line, never broken mid-word: a long file name cut in its middle, inside the
        cell, its end kept (`cells.clipped_ends`); whole on hover."""
        return clipped_ends(self.paperwork_text(obj))

    @admin.display(description="Date", ordering="transaction__value_date")
    def value_date(self, obj: Match) -> str:
        """The bank line's day: two debits of one supplier told apart."""
        return _day(obj.transaction.value_date) if obj.transaction else "—"

    @admin.display(description="Bank line", ordering="transaction__counterparty_name")
    def bank_line(self, obj: Match) -> SafeString:
        """Who the money went to or came from: cut short, whole in the tooltip."""
        line = obj.transaction
        return clipped((line.counterparty_name or line.qonto_id) if line else "—")

    @admin.display(description="Amount", ordering="transaction__amount")
    def bank_amount(self, obj: Match) -> str:
        """The bank line's amount, signed as the bank line reads ("−985.00 EUR")."""
        line = obj.transaction
        return signed_money(line.amount, line.currency, line.side) if line else "—"

    def paperwork_text(self, obj: Match) -> str:
        if obj.kind == MatchKind.DOUBLE_CHARGE:
            settled = obj.settled_invoice.number if obj.settled_invoice else "?"
            return f"{obj.document or obj.invoice} repeats invoice {settled}"
        if obj.kind == MatchKind.DOUBLE_PAYMENT and obj.invoice is not None:
            return f"Invoice {obj.invoice.number or obj.invoice_id} paid twice"
        if obj.kind == MatchKind.PAID_REFUSED and obj.invoice is not None:
            return f"Invoice {obj.invoice.number or obj.invoice_id} refused, but paid"
        if obj.receivable is not None:
            return f"Receivable {obj.receivable.reference}"
        if obj.invoice is not None and obj.document is None:
            return f"Credit note {obj.invoice.number}"
        return str(obj.document or obj.invoice or "—")

    @admin.display(description="Amount agreement", ordering="amount_basis")
    def amount_agreement(self, obj: Match) -> str:
        return AMOUNT_BASIS_LABELS.get(obj.amount_basis, obj.amount_basis) or "—"

    def has_change_permission(self, request: HttpRequest, obj: Match | None = None) -> bool:
        if obj is not None and obj.kind in FLAG_PAGES:
            return False  # read, answered by the one-click buttons
        return super().has_change_permission(request, obj)

    def get_readonly_fields(self, request: HttpRequest, obj: Match | None = None) -> Any:
        if obj is not None and obj.kind in FLAG_PAGES:
            return FLAG_FIELDS
        fields = list(super().get_readonly_fields(request, obj))  # the workspace too
        if obj is not None and obj.is_credit_note_refund:
            # The supplier's credit note is shown as one, where the invoice would be.
            fields.insert(fields.index("invoice") + 1, "credit_note")
        return fields

    def get_fields(self, request: HttpRequest, obj: Match | None = None) -> Any:
        flag = obj is not None and obj.kind in FLAG_PAGES
        fields: list[Any] = list(FLAG_FIELDS if flag else super().get_fields(request, obj))
        if obj is not None and obj.is_credit_note_refund:
            fields.remove("invoice")  # read-only still, shown as `credit_note`
        if obj is not None and "decide" in fields and not available_decisions(obj):
            fields.remove("decide")  # answered: no empty "Decide:" row
        return fields

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Match | None = None,
    ) -> HttpResponse:
        if obj is not None:
            # Titled by its kind, of its paperwork: "Possible double payment" of "Invoice INV-9
            # paid twice", "Credit-note refund" of "Credit note CN-7" (not "Change match").
            context.update(title=obj.kind_label, subtitle=self.paperwork_text(obj))
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_fieldsets(self, request: HttpRequest, obj: Match | None = None) -> Any:
        # The idempotency key is for support: in a collapsed "Technical details" section.
        return with_technical_section(self.get_fields(request, obj))

    @admin.display(description="Decided by")
    def decider(self, obj: Match) -> str:
        """The person who decided, or Well when it decided on its own (not Django's "-")."""
        return decided_by_label(obj.decided_by, obj.decided_at)

    @admin.display(description="Credit note")
    def credit_note(self, obj: Match) -> SafeString:
        """A credit-note refund's credit note (its `invoice`), linked to its page."""
        if obj.invoice is None:
            return format_html("{}", "—")
        url = reverse("admin:reconciliation_invoice_change", args=[obj.invoice.pk])
        return format_html('<a href="{}">{}</a>', url, obj.invoice)

    @admin.display(description="Reasons")
    def reasons_list(self, obj: Match) -> SafeString:
        return format_html(
            '<ul class="well-plain-list">{}</ul>',
            format_html_join(
                "", "<li>{}</li>", ((match_reason(str(reason)),) for reason in obj.reasons or [])
            ),
        )

    @admin.display(description="Decide")
    def decide(self, obj: Match) -> SafeString:
        """One-click buttons; they post the surrounding admin form (and its CSRF token) to
        the decision views."""
        buttons = [
            (
                reverse(f"admin:reconciliation_match_{name}", args=[obj.pk]),
                DECISIONS[name][0],
            )
            for name in available_decisions(obj)
        ]
        return format_html_join(
            " ",
            '<button type="submit" class="button" formmethod="post" formaction="{}">{}</button>',
            buttons,
        )

    @admin.display(description="Other candidates")
    def candidates(self, obj: Match) -> SafeString:
        if obj.kind == MatchKind.CONFIRMATION_DEBIT and obj.document_id is not None:
            siblings = Match.objects.filter(kind=obj.kind, document_id=obj.document_id)
        elif obj.kind == MatchKind.INVOICE_DEBIT and obj.invoice_id is not None:
            siblings = Match.objects.filter(kind=obj.kind, invoice_id=obj.invoice_id)
        elif obj.kind == MatchKind.CREDIT_RECEIVABLE and obj.transaction_id is not None:
            siblings = Match.objects.filter(kind=obj.kind, transaction_id=obj.transaction_id)
        else:
            return format_html("{}", "—")
        rows = [
            (
                match.rank,
                match.status_label,
                percent(match.score),
                str(
                    match.receivable
                    if obj.kind == MatchKind.CREDIT_RECEIVABLE
                    else match.transaction
                ),
                "; ".join(match_reason(str(reason)) for reason in match.reasons or []),
                self.decide(match),
            )
            for match in siblings.exclude(pk=obj.pk)
            .select_related("transaction", "receivable")
            .order_by("rank", "id")
        ]
        if not rows:
            return format_html("{}", "None")
        return format_html(
            "<table><tr><th>#</th><th>Status</th><th>Score</th><th>Candidate</th>"
            "<th>Reasons</th><th></th></tr>{}</table>",
            format_html_join(
                "",
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                rows,
            ),
        )

    @admin.display(description="The invoice and its debits")
    def debits(self, obj: Match) -> SafeString:
        """A flag's invoice and debits side by side: for a possible double payment the debit
        that paid it (or, not confirmed yet, the one proposed first) and this one; for a refused
        invoice the debit that paid it."""
        debits = flag_debits(obj, first_debits([obj]).get(obj.pk), paid_by="Debit")
        invoice = obj.invoice
        rows = [
            (
                "Invoice",
                dotted(invoice.number, invoice.supplier_name) if invoice else "—",
                format_money(invoice.total_amount, invoice.currency) if invoice else "—",
                _day(invoice.issue_date if invoice else None),
            ),
            *(
                (
                    label,
                    dotted(line.counterparty_name, line.reference),
                    format_money(line.amount, line.currency),
                    _day(line.value_date),
                )
                for label, line in debits
            ),
        ]
        return format_html(
            "<table><tr><th></th><th>What</th><th>Amount</th><th>Date</th></tr>{}</table>",
            format_html_join("", "<tr><th>{}</th><td>{}</td><td>{}</td><td>{}</td></tr>", rows),
        )

    # --- one-click decisions ---------------------------------------------------------------

    def get_urls(self) -> list[URLPattern]:
        views: dict[str, Callable[[HttpRequest, Match], str]] = {
            "pick": self._pick,
            "none": self._none,
            "refuse": self._refuse,
            "not_duplicate": self._not_duplicate,
            "refund": self._refund,
            "reopen": self._reopen,
            "keep_refused": self._keep_refused,
            "retry_attach": self._retry_attach,
        }
        own = [
            path(
                f"<int:match_id>/{DECISIONS[name][1]}/",
                self.admin_site.admin_view(require_POST(self._decision_view(name, view))),
                name=f"reconciliation_match_{name}",
            )
            for name, view in views.items()
        ]
        return own + super().get_urls()

    def _decision_view(
        self, name: str, decide: Callable[[HttpRequest, Match], str]
    ) -> Callable[[HttpRequest, int], HttpResponse]:
        def view(request: HttpRequest, match_id: int) -> HttpResponse:
            match = get_object_or_404(self.get_queryset(request), pk=match_id)
            if not has_role(request, match.workspace_id, EDIT_ROLES):
                raise PermissionDenied("Only reviewers and administrators decide matches.")
            if name not in available_decisions(match):
                messages.warning(request, f"{match} cannot be decided that way any more.")
            else:
                try:
                    messages.success(request, decide(request, match))
                except (IllegalTransitionError, matching.MatchConflictError) as error:
                    messages.error(request, str(error))
            return HttpResponseRedirect(self._back(request, match))

        return view

    def _back(self, request: HttpRequest, match: Match) -> str:
        referer = str(request.META.get("HTTP_REFERER", ""))
        if referer.startswith(request.build_absolute_uri("/")):
            return referer
        return reverse("admin:reconciliation_match_change", args=[match.pk])

    def _pick(self, request: HttpRequest, match: Match) -> str:
        result = matching.pick_candidate(match=match, user=_user(request))
        extra = f"; {len(result.rejected_match_ids)} other candidates rejected"
        if match.kind == MatchKind.CONFIRMATION_DEBIT:
            return f"Picked: the confirmation is attached in the next window{extra}."
        if match.kind == MatchKind.INVOICE_DEBIT:
            return f"Picked: the invoice is recorded as paid by this debit{extra}."
        return f"Picked: the payment is recorded on the receivable{extra}."

    def _none(self, request: HttpRequest, match: Match) -> str:
        if match.kind == MatchKind.CREDIT_RECEIVABLE and match.transaction is not None:
            result = matching.reject_credit_candidates(
                transaction=match.transaction, user=_user(request)
            )
        elif match.kind == MatchKind.INVOICE_DEBIT and match.invoice is not None:
            result = matching.reject_invoice_candidates(invoice=match.invoice, user=_user(request))
        elif match.document is not None:
            result = matching.reject_all(document=match.document, user=_user(request))
        else:
            raise IllegalTransitionError("match", match.status, "rejected")
        return f"None of these: {len(result.rejected_match_ids)} candidates rejected."

    def _refuse(self, request: HttpRequest, match: Match) -> str:
        matching.refuse_double_charge(match=match, user=_user(request))
        return "Double charge refused; it will not be paid or posted."

    def _not_duplicate(self, request: HttpRequest, match: Match) -> str:
        if match.kind == MatchKind.DOUBLE_PAYMENT:
            matching.dismiss_double_payment(match=match, user=_user(request))
            return "Marked not a duplicate: the second debit paid something else."
        if is_gate_hit(match):  # held by the gate before posting: back to the outbox
            invoice = gate.release(match=match, user=_user(request))
            if invoice.status == InvoiceStatus.APPROVED:
                return "Not a double payment: released; it is posted in the next window."
            return "Not a double payment; something else still holds the invoice in review."
        matching.dismiss_double_charge(match=match, user=_user(request))
        return "Marked not a duplicate; the invoice goes on through review."

    def _refund(self, request: HttpRequest, match: Match) -> str:
        matching.request_refund(match=match, user=_user(request))
        return "Refund requested; the first payment stays linked to the invoice."

    def _reopen(self, request: HttpRequest, match: Match) -> str:
        matching.reopen_paid_refused(match=match, user=_user(request))
        return "The invoice is back in review: the bank shows it paid."

    def _keep_refused(self, request: HttpRequest, match: Match) -> str:
        matching.keep_refused(match=match, user=_user(request))
        return "Kept refused; the payment stays linked, read-only."

    def _retry_attach(self, request: HttpRequest, match: Match) -> str:
        match.unblock_attach()
        match.save(update_fields=["is_attach_blocked"])
        return "The upload is retried at the end of the next window."

    # --- bulk actions -----------------------------------------------------------------------

    @admin.action(description="Refuse the selected double charges", permissions=["change"])
    def refuse_selected(self, request: HttpRequest, queryset: QuerySet[Match]) -> None:
        self._answer(request, queryset, (MatchKind.DOUBLE_CHARGE,), self._refuse, _REFUSED)

    @admin.action(description="Mark the selected as not duplicates", permissions=["change"])
    def not_duplicate_selected(self, request: HttpRequest, queryset: QuerySet[Match]) -> None:
        self._answer(request, queryset, _DUPLICATE_FLAGS, self._not_duplicate, _NOT_DUPLICATES)

    @admin.action(
        description="Refund requested for the selected double payments", permissions=["change"]
    )
    def refund_selected(self, request: HttpRequest, queryset: QuerySet[Match]) -> None:
        """Each selected possible double payment still open, in a workspace the user decides
        in, answered "Refund requested" as its one-click button does (its own decision); the
        rest of the selection is left as it is and counted as skipped, or, none answered, the
        message says no refund was requested."""
        self._answer(request, queryset, (MatchKind.DOUBLE_PAYMENT,), self._refund, _REFUNDS)

    actions = ["refuse_selected", "not_duplicate_selected", "refund_selected"]

    def _answer(
        self,
        request: HttpRequest,
        queryset: QuerySet[Match],
        kinds: tuple[MatchKind, ...],
        decide: Callable[[HttpRequest, Match], str],
        words: _Told,
    ) -> None:
        """A bulk action: the selected matches of `kinds` answered by `decide`, then told. The
        selection is counted first: a list filtered to open rows (as the dashboard's links
        open it) no longer holds the rows once they are answered."""
        selected = queryset.count()
        answered = self._each(request, queryset.filter(kind__in=kinds), decide)
        self._tell(request, selected, answered, words)

    def _each(
        self,
        request: HttpRequest,
        queryset: QuerySet[Match],
        decide: Callable[[HttpRequest, Match], str],
    ) -> int:
        """The one loop of the bulk actions: each open match of `queryset` in a workspace the
        user decides in, answered by `decide` as its one-click button answers it. A match
        answered meanwhile (another tab, another person) or held by a running matching is left
        as it is, skipped, never an error page. How many were answered."""
        done = 0
        for match in queryset.filter(status=MatchStatus.PROPOSED):
            if not has_role(request, match.workspace_id, EDIT_ROLES):
                continue
            try:
                decide(request, match)
            except (IllegalTransitionError, matching.MatchConflictError):
                continue
            done += 1
        return done

    def _tell(self, request: HttpRequest, selected: int, answered: int, words: _Told) -> None:
        """A bulk action's message: how many it answered and how many selected rows it
        skipped, or, none answered, a warning that it did nothing."""
        if not answered:
            self.message_user(request, _counted(words.nothing, selected), messages.WARNING)
            return
        skipped = selected - answered
        tail = _counted(words.skipped, skipped) if skipped else "."
        self.message_user(request, _counted(words.done, answered) + tail, messages.SUCCESS)
