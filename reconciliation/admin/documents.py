"""Documents and the invoices read from them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin
from django.contrib import messages
from django.contrib.admin.views.main import ERROR_FLAG
from django.contrib.admin.views.main import ChangeList
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count
from django.db.models import F
from django.db.models import Q
from django.db.models import QuerySet
from django.db.models.expressions import OrderBy
from django.http import HttpRequest
from django.http import HttpResponse
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.html import format_html_join
from django.utils.translation import ngettext

from reconciliation import review
from reconciliation.admin import decision_display
from reconciliation.admin import qonto_panel
from reconciliation.admin.base import ChoicesCheckedChangeList
from reconciliation.admin.base import EditsNothingByHand
from reconciliation.admin.base import WorkspaceScopedAdmin
from reconciliation.admin.decision_display import actor_label
from reconciliation.admin.qonto_panel import QontoReadingFilter
from reconciliation.admin.reason_codes import InvoiceReasonCodeFilter
from reconciliation.admin.resources import InvoiceResource
from reconciliation.admin.review import waited
from reconciliation.admin.standing import STANDING_LABELS
from reconciliation.admin.standing import STATUS_STANDINGS
from reconciliation.admin.standing import standing_is
from reconciliation.admin.standing import standing_label
from reconciliation.admin.standing import standing_order
from reconciliation.admin.standing import with_standing
from reconciliation.admin.unknown_filters import known_value
from reconciliation.admin.volume import BigListMixin
from reconciliation.admin.volume import RelatedWithRows
from reconciliation.admin.volume import date_filter
from reconciliation.matching.waiting import waiting_for_debit
from reconciliation.models import Decision
from reconciliation.models import DecisionAction
from reconciliation.models import Document
from reconciliation.models import DocumentStatus
from reconciliation.models import Invoice
from reconciliation.models import InvoiceStatus
from reconciliation.models import PostAttempt
from reconciliation.models.invoice import UNDECIDED_STATUSES
from reconciliation.money import format_money
from reconciliation.web.access import EDIT_ROLES
from reconciliation.web.access import workspace_ids_with


def _review_link(document_id: int) -> str:
    url = reverse("admin:reconciliation-review-document", args=[document_id])
    return format_html('<a href="{}">Open the review screen</a>', url)


class StuckFilter(admin.SimpleListFilter):
    """Documents that cannot go on by themselves, each kind with its way forward."""

    title = "why it is stuck"  # Django heads it "By why it is stuck"
    parameter_name = "stuck"
    LABELS: dict[str, str] = {
        "waiting_for_debit": "Payment waiting for its debit",
        "nothing_fits": "Sent to review: nothing fits",
        "unreadable": "Unreadable (read again)",
        "duplicate": "Duplicate (not a duplicate?)",
        "ignored": "Ignored",
    }

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin[Any]
    ) -> list[tuple[str, str]]:
        return list(self.LABELS.items())

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return stuck_documents(queryset, self.value() or "")


def stuck_documents(documents: QuerySet[Document], kind: str) -> QuerySet[Document]:
    """The documents of one stuck kind (all of `documents` for an unknown kind)."""
    if kind == "waiting_for_debit":
        return waiting_for_debit(documents).filter(review_reason="")
    if kind == "nothing_fits":
        return documents.exclude(review_reason="")
    statuses = {
        "unreadable": DocumentStatus.FAILED,
        "duplicate": DocumentStatus.DUPLICATE,
        "ignored": DocumentStatus.IGNORED,
    }
    if kind in statuses:
        return documents.filter(status=statuses[kind])
    return documents


class StandingFilter(admin.SimpleListFilter):
    """Where documents stand, in the words of the list's Status column ("Needs review",
    "Matched to its bank line"): choosing one lists exactly the rows whose Status reads it
    (`standing.with_standing`, the column's own computation), not the file's raw status."""

    title = "status"
    parameter_name = "standing"

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin[Any]
    ) -> list[tuple[str, str]]:
        return list(STANDING_LABELS.items())

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        code = self.value()
        if code is None:
            return queryset
        known_value(code, STANDING_LABELS)
        # On the documents' own fields: no standing worked out for every row of the workspace.
        return queryset.filter(standing_is(code))


#: The list's old Status filter offered the file's own status ("?status__exact=failed"): where
#: one status is exactly one standing (`STATUS_STANDINGS`), an old address is taken there
#: (each lists the same documents; "parsed" is many standings, so it has none).


def old_status_address(request: HttpRequest) -> HttpResponseRedirect | None:
    """An address of the old Status filter (a bookmark), sent where it leads now: to the
    standing listing the same documents ("?status__exact=failed" to "?standing=unreadable", the
    rest of the address kept), else refused as Django refuses an unknown filter ("?e=1").
    Left alone, Django filtered on the file's hidden status with no filter shown chosen."""
    old = [key for key in request.GET if key == "status" or key.startswith("status__")]
    if not old:
        return None
    query = request.GET.copy()
    values = [value for key in old for value in query.pop(key)]
    standing = STATUS_STANDINGS.get(values[0], "") if len(values) == 1 else ""
    exact = old[0] in ("status", "status__exact")
    if not (exact and standing) or query.get("standing", standing) != standing:
        return HttpResponseRedirect(f"{request.path}?{ERROR_FLAG}=1")
    query["standing"] = standing
    return HttpResponseRedirect(f"{request.path}?{query.urlencode()}")


#: The list's columns sorted by a document's standing.
STANDING_COLUMNS = frozenset({"standing", "age"})


class _DocumentChangeList(ChoicesCheckedChangeList):
    """The documents list, each row of the page with its standing (see `with_standing`).

    Sorted by where documents stand, every row's standing is needed; else only the page's,
    worked out after paging: the standing's match look-ups over a whole workspace cost a large
    list most of its time."""

    def get_queryset(
        self, request: HttpRequest, exclude_parameters: list[str | None] | None = None
    ) -> QuerySet[Any]:
        if self._sorted_by_standing():
            self.root_queryset = with_standing(self.root_queryset)
        return super().get_queryset(request, exclude_parameters)

    def _sorted_by_standing(self) -> bool:
        # Django's own reading of "?o=" (its indexes count the action checkbox column).
        columns = self.get_ordering_field_columns()
        shown = self.list_display
        # Django passes on a number past the last column (and leaves it out of the ordering).
        return any(index < len(shown) and shown[index] in STANDING_COLUMNS for index in columns)

    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        rows = list(self.result_list)
        if not rows or not hasattr(rows[0], "standing"):
            # One query for any page, an empty one too (a page costs the same at any size).
            keys = [row.pk for row in rows] or [0]
            page = with_standing(Document.objects.filter(pk__in=keys))
            found = {document.pk: vars(document) for document in page.only("pk")}
            for row in rows:
                annotated = found.get(row.pk, {})
                row.standing = annotated.get("standing", row.status)
                row.waiting_since = annotated.get("waiting_since")
        self.result_list = rows


class NullsLastAlways(OrderBy):
    """An ordering whose empty values stay at the bottom both ways (the admin reverses it when
    a column header is clicked again)."""

    def reverse_ordering(self) -> NullsLastAlways:
        self.descending = not self.descending
        return self


@admin.register(Document)
class DocumentAdmin(EditsNothingByHand, BigListMixin, WorkspaceScopedAdmin[Document]):
    # EditsNothingByHand: the page has nothing to save (its ways forward post to the list's
    # actions), so no Save buttons, and a hand-made POST is turned away unread.
    list_display = [
        "original_name",
        "workspace",
        "kind",
        "standing",
        "status_reason",
        "page_count",
        "received_at",
        "age",
    ]
    list_filter = [
        StuckFilter,
        # Where each document stands, as the Status column says it (not the file's status).
        StandingFilter,
        "kind",
        ("connection", RelatedWithRows),
        date_filter("received_at", "received"),
    ]
    list_select_related = ["workspace"]
    search_fields = ["original_name", "source_path", "content_hash"]
    readonly_fields = [
        "review",
        "download",
        "connection",
        "source_file_id",
        "source_path",
        "source_revision",
        "original_name",
        "content_hash",
        "size",
        "mime_type",
        "kind",
        "kind_certainty",
        # Where it stands, as the list says it (the file's own status is part of it).
        "standing",
        "status_reason",
        "failure_code",
        "duplicate_of",
        "page_count",
        "has_text_layer",
        "language",
        "parse_attempts",
        "received_at",
        "parsed_at",
    ]
    # kind_confidence (a fraction): shown by `kind_certainty`, as a percentage.
    # status: shown by `standing`, in the list's words.
    exclude = ["file", "extraction", "words", "kind_confidence", "status"]
    actions = ["read_again_selected", "not_duplicate_selected"]

    #: Shown only when set: a person said it is not a duplicate / why it needs a person.
    shown_when_set = ("is_not_duplicate", "review_reason")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Document | None = None) -> list[str]:
        # Nothing on the page is edited by hand: a document moves on only through its recorded
        # ways forward (Read again, Not a duplicate: the actions, each a decision).
        hidden = set(self.exclude or ())
        readonly = list(super().get_readonly_fields(request, obj))
        columns = (f.name for f in Document._meta.concrete_fields if f.editable)
        return readonly + [n for n in columns if n not in hidden and n not in readonly]

    def get_fields(self, request: HttpRequest, obj: Document | None = None) -> Any:
        fields = super().get_fields(request, obj)
        return [
            name
            for name in fields
            if name not in self.shown_when_set or (obj is not None and getattr(obj, name))
        ]

    @admin.action(description="Read selected unreadable documents again", permissions=["change"])
    def read_again_selected(
        self, request: HttpRequest, queryset: QuerySet[Document]
    ) -> HttpResponse | None:
        return _each_document(self, request, queryset, review.read_again, "Read again")

    @admin.action(description="Not a duplicate: read selected as their own", permissions=["change"])
    def not_duplicate_selected(
        self, request: HttpRequest, queryset: QuerySet[Document]
    ) -> HttpResponse | None:
        return _each_document(self, request, queryset, review.not_a_duplicate, "Marked")

    def has_delete_permission(self, request: HttpRequest, obj: Document | None = None) -> bool:
        return False  # the record that a file was seen (and why it was set aside) stays

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return _DocumentChangeList

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        return old_status_address(request) or super().changelist_view(request, extra_context)

    @admin.display(description="Review")
    def review(self, obj: Document) -> str:
        return _review_link(obj.pk)

    # Sorted by what needs a person first, finished last (`STANDING_ORDER`), not by the codes.
    @admin.display(description="Status", ordering=standing_order())
    def standing(self, obj: Document) -> str:
        return standing_label(obj)

    @admin.display(
        description="Waiting",
        # Longest wait first; the finished ones ("—") stay below either way.
        ordering=NullsLastAlways(F("waiting_since"), nulls_last=True),
    )
    def age(self, obj: Document) -> str:
        since = getattr(obj, "waiting_since", obj.received_at)
        if since is None:
            return "—"
        return waited(timezone.now() - since)

    @admin.display(description="Kind confidence", ordering="kind_confidence")
    def kind_certainty(self, obj: Document) -> str:
        if obj.kind_confidence is None:
            return "—"
        return decision_display.percent(obj.kind_confidence * 100)

    @admin.display(description="File")
    def download(self, obj: Document) -> str:
        if not obj.file:
            return "—"
        url = reverse("admin:reconciliation-review-file", args=[obj.pk])
        return format_html('<a href="{}">Download the PDF</a>', url)


def _each_document(
    model_admin: DocumentAdmin,
    request: HttpRequest,
    queryset: QuerySet[Document],
    way_forward: Callable[..., str],
    verb: str,
) -> HttpResponse | None:
    """Run one way forward on each selected document the user may decide on; from the
    document's own page, go back to it."""
    if not request.user.is_superuser:
        queryset = queryset.filter(workspace_id__in=workspace_ids_with(request, EDIT_ROLES))
    user = request.user
    assert isinstance(user, AbstractBaseUser)  # the admin only serves signed-in users
    documents = list(queryset)
    done, skipped = 0, []
    for document in documents:
        try:
            way_forward(document=document, user=user)
        except review.ReviewError as error:
            skipped.append(f"{document.original_name}: {error}")
        else:
            done += 1
    counted = ngettext("%(n)d document", "%(n)d documents", done) % {"n": done}
    model_admin.message_user(request, f"{verb} {counted}.", messages.SUCCESS)
    for line in skipped[:10]:
        model_admin.message_user(request, f"Skipped {line}", messages.WARNING)
    if request.POST.get("_from_page") and len(documents) == 1:
        url = reverse("admin:reconciliation_document_change", args=[documents[0].pk])
        return HttpResponseRedirect(url)
    return None


class PostAttemptInline(admin.TabularInline[PostAttempt, Invoice]):
    model = PostAttempt
    extra = 0
    can_delete = False
    show_change_link = True
    readonly_fields = [
        "started_at",
        "attempt_number",
        "outcome",
        "http_status",
        "error_code",
        "error_detail",
        "trace_id",
        "qonto_id",
        "duration_ms",
    ]
    fields = tuple(readonly_fields)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class DecisionInline(admin.TabularInline[Decision, Invoice]):
    """Who decided what about this invoice, with the values before and after."""

    model = Decision
    fk_name = "invoice"
    extra = 0
    can_delete = False
    readonly_fields = ["created_at", "action", "by", "changed", "reason"]
    fields = tuple(readonly_fields)
    ordering = ["-created_at", "-id"]

    @admin.display(description="Actor")
    def by(self, obj: Decision) -> str:
        """The person, or Well when it decided on its own (as the review screen's history)."""
        return actor_label(obj.actor)

    @admin.display(description="before → after")
    def changed(self, obj: Decision) -> str:
        """Per field, as the review screen's history shows it (not the raw JSON)."""
        rows = decision_display.decision_changes(
            obj, currency=obj.invoice.currency if obj.invoice else ""
        )
        return (
            format_html_join(
                "", "<div>{}: {} → {}</div>", ((c.label, c.before, c.after) for c in rows)
            )
            or "—"
        )

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).select_related("actor", "invoice", "match")


class RefusedByFilter(admin.SimpleListFilter):
    """Refused invoices split by who refused them, with their counts, so the ones Well refused
    on its own (below the review threshold, or by a rule) can be swept apart from a person's."""

    title = "who refused"  # Django heads it "By who refused"
    parameter_name = "refused_by"
    CONDITIONS: dict[str, Q] = {
        "threshold": Q(status=InvoiceStatus.REFUSED, decided_by__isnull=True),
        "person": Q(status=InvoiceStatus.REFUSED, decided_by__isnull=False),
    }
    LABELS: dict[str, str] = {
        "threshold": "Well, below the review threshold",
        "person": "A person",
    }

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin[Any]
    ) -> list[tuple[str, str]]:
        refused = model_admin.get_queryset(request).filter(status=InvoiceStatus.REFUSED)
        counts = refused.aggregate(
            **{key: Count("pk", filter=condition) for key, condition in self.CONDITIONS.items()}
        )
        return [(key, f"{label} ({counts[key]})") for key, label in self.LABELS.items()]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if value in self.CONDITIONS:
            return queryset.filter(self.CONDITIONS[value])
        return queryset


@admin.register(Invoice)
class InvoiceAdmin(BigListMixin, WorkspaceScopedAdmin[Invoice]):
    resource_classes = [InvoiceResource]
    # No "__str__" title: it repeats the vendor and the number, which have their own columns.
    list_display = [
        "number",
        "workspace",
        "vendor",
        "issue_date",
        "total",
        "confidence_percent",
        "status",
        "posted_at",
    ]
    list_filter = [
        "status",
        date_filter("issue_date", "issue date"),
        date_filter("posted_at", "posted to Qonto"),
        QontoReadingFilter,
        RefusedByFilter,
        InvoiceReasonCodeFilter,
        "is_held",
        ("vendor", RelatedWithRows),
    ]
    list_select_related = ["workspace", "vendor", "document"]
    actions = ["reopen_selected"]
    search_fields = ["number", "supplier_name", "supplier_vat_id", "qonto_id"]
    autocomplete_fields = ["vendor"]
    inlines = [PostAttemptInline, DecisionInline]
    readonly_fields = [
        "review",
        "document",
        "status",
        "confidence_percent",
        "routing_reasons",
        "routing_rule",
        "is_held",
        "hold_reason",
        "decider",
        "decided_at",
        "decision_reason",
        "idempotency_key",
        "qonto_id",
        "in_qonto",
        "qonto_reading",
        "qonto_candidates",
        "revised_after_posting",
        "post_attempts",
        "last_error_code",
        "last_error",
        "posted_at",
        "net",
        "tax",
        "total",
        "converted",
        "home_currency",
        "fx_rate",
        "fx_rate_date",
        "fx_rate_from",
    ]
    exclude = [
        # Shown by `fx_rate_from`, where the rate came from in words.
        "fx_rate_source",
        # Shown by `decider`: Well, when it decided on its own, not "-".
        "decided_by",
        # Shown by `qonto_reading`, in words.
        "qonto_agrees",
        "fields",
        "lease_until",
        "lease_owner",
        "next_attempt_at",
        "qonto_readback",
        "qonto_probe",
        "revision_differences",
        # A JSON blob here; the review screen shows it as a table.
        "confidence_components",
        # Shown by `confidence_percent`, with its " %".
        "confidence",
        # Shown by `net`, `tax`, `total`, `converted`: in the currency's minor units.
        "net_amount",
        "tax_amount",
        "total_amount",
        "converted_amount",
    ]
    #: All a reviewer may change here. Values read from the document are corrected on the review
    #: screen (which re-learns the vendor and records a decision); a decided invoice is history.
    editable_fields = ("vendor", "ledger_account")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Invoice | None = None) -> bool:
        return False  # an invoice is refused, never deleted: its history must stay

    def has_change_permission(self, request: HttpRequest, obj: Invoice | None = None) -> bool:
        if obj is not None and obj.status not in UNDECIDED_STATUSES:
            return False
        return super().has_change_permission(request, obj)

    def get_readonly_fields(self, request: HttpRequest, obj: Invoice | None = None) -> list[str]:
        hidden = set(self.exclude or ())
        columns = [
            field.name
            for field in Invoice._meta.concrete_fields
            if field.editable and field.name not in hidden
        ]
        locked = [name for name in columns if name not in self.editable_fields]
        return [*self.readonly_fields, *(n for n in locked if n not in self.readonly_fields)]

    def save_model(self, request: HttpRequest, obj: Invoice, form: Any, change: bool) -> None:
        stored = Invoice.objects.get(pk=obj.pk)
        changed = [name for name in form.changed_data if name in self.editable_fields]
        super().save_model(request, obj, form, change)
        if not changed:
            return
        Decision.record_for_invoice(
            obj,
            DecisionAction.EDIT,
            actor=request.user,
            vendor=obj.vendor_id,
            before={name: _plain(stored, name) for name in changed},
            after={name: _plain(obj, name) for name in changed},
            reason="Changed on the invoice page",
        )

    @admin.action(
        description="Reopen selected refused invoices (back to review)…", permissions=["change"]
    )
    def reopen_selected(
        self, request: HttpRequest, queryset: QuerySet[Invoice]
    ) -> HttpResponse | None:
        if not request.user.is_superuser:
            queryset = queryset.filter(workspace_id__in=workspace_ids_with(request, EDIT_ROLES))
        invoices = list(queryset.filter(status=InvoiceStatus.REFUSED).select_related("workspace"))
        reason = request.POST.get("reason", "").strip()
        if request.POST.get("post") != "yes" or len(reason) < review.MIN_REASON_LENGTH:
            context = {
                **self.admin_site.each_context(request),
                "title": "Reopen refused invoices",
                "invoices": invoices,
                "reason": reason,
                "reason_error": request.POST.get("post") == "yes",
                "opts": self.opts,
                "select_across": request.POST.get("select_across", "0"),
            }
            return TemplateResponse(
                request, "admin/reconciliation/invoice/reopen_confirmation.html", context
            )
        user = request.user
        assert isinstance(user, AbstractBaseUser)  # the admin only serves signed-in users
        result = review.reopen_invoices(invoices=invoices, user=user, reason=reason)
        done = len(result.done)
        self.message_user(
            request,
            ngettext(
                "Reopened %(n)d invoice; back in the review queue.",
                "Reopened %(n)d invoices; back in the review queue.",
                done,
            )
            % {"n": done},
            messages.SUCCESS,
        )
        if result.skipped:
            self.message_user(
                request, f"Skipped {len(result.skipped)}: {result.summary}.", messages.WARNING
            )
        return None

    @admin.display(description="Decided by")
    def decider(self, obj: Invoice) -> str:
        return decision_display.decided_by_label(obj.decided_by, obj.decided_at)

    @admin.display(description="Total", ordering="total_amount")
    def total(self, obj: Invoice) -> str:
        return format_money(obj.total_amount, obj.currency)

    @admin.display(description="Confidence", ordering="confidence")
    def confidence_percent(self, obj: Invoice) -> str:
        return decision_display.percent(obj.confidence)

    @admin.display(description="Net")
    def net(self, obj: Invoice) -> str:
        return format_money(obj.net_amount, obj.currency)

    @admin.display(description="Tax")
    def tax(self, obj: Invoice) -> str:
        return format_money(obj.tax_amount, obj.currency)

    @admin.display(description="Converted")
    def converted(self, obj: Invoice) -> str:
        return format_money(obj.converted_amount, obj.home_currency)

    @admin.display(description="Review")
    def review(self, obj: Invoice) -> str:
        return _review_link(obj.document_id)

    # What Qonto holds: reconciliation.admin.qonto_panel.
    @admin.display(description="In Qonto")
    def in_qonto(self, obj: Invoice) -> str:
        return qonto_panel.qonto_entry(obj)

    @admin.display(description="Qonto's reading")
    def qonto_reading(self, obj: Invoice) -> str:
        return qonto_panel.qonto_readback(obj)

    @admin.display(description="Already in Qonto?")
    def qonto_candidates(self, obj: Invoice) -> str:
        return qonto_panel.qonto_candidates(obj)

    @admin.display(description="Revised after posting")
    def revised_after_posting(self, obj: Invoice) -> str:
        return qonto_panel.revision(obj)

    @admin.display(description="Exchange rate from")
    def fx_rate_from(self, obj: Invoice) -> str:
        return qonto_panel.fx_source(obj)

    def get_fieldsets(self, request: HttpRequest, obj: Invoice | None = None) -> Any:
        # The idempotency key is for support: in a collapsed "Technical details" section.
        return decision_display.with_technical_section(self.get_fields(request, obj))


def _plain(invoice: Invoice, name: str) -> Any:
    """The stored value (a foreign key's id), as a decision records it."""
    return getattr(invoice, f"{name}_id" if name == "vendor" else name)
