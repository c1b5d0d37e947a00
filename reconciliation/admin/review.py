"""The review queue and the review screen: where the finance team works its day.

The queue is a Django changelist (filters, search, sorting, counts, bulk actions with a
confirmation page) served at ``/admin/review/`` by a ModelAdmin that is not registered as the
Document admin: it only lists what needs a person. Each row opens the review screen, which
shows the page images beside the fields and takes the decisions; both are scoped to the
user's workspaces like every other admin page.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import date
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib import messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.db.models import Q
from django.db.models import QuerySet
from django.http import FileResponse
from django.http import Http404
from django.http import HttpRequest
from django.http import HttpResponse
from django.http import HttpResponseRedirect
from django.http import QueryDict
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from reconciliation import review
from reconciliation.admin.base import ChoicesCheckedChangeList
from reconciliation.admin.base import NamedEmptyChoice
from reconciliation.admin.base import RelatedOnly
from reconciliation.admin.base import WorkspaceScopedAdmin
from reconciliation.admin.base import sees_several_workspaces
from reconciliation.admin.cells import clipped
from reconciliation.admin.cells import clipped_ends
from reconciliation.admin.money_gone import queue_money_flags
from reconciliation.admin.queue_filters import QueueReasonCodeFilter
from reconciliation.admin.queue_filters import ReasonFilter
from reconciliation.admin.review_screen import paid_debits
from reconciliation.admin.review_screen import review_context
from reconciliation.admin.review_screen import routing_reasons_now
from reconciliation.admin.review_screen import short_reason
from reconciliation.invoices.reasons import causes_first
from reconciliation.models import Document
from reconciliation.models import IllegalTransitionError
from reconciliation.models import Invoice
from reconciliation.models import Match
from reconciliation.models import MatchKind
from reconciliation.models import MatchStatus
from reconciliation.money import format_money
from reconciliation.money import is_known_currency
from reconciliation.money import quantize
from reconciliation.money import validate_currency
from reconciliation.posting import gate
from reconciliation.posting.gate import is_gate_hit
from reconciliation.text.percents import percent
from reconciliation.text.percents import with_percents
from reconciliation.vendors.bank_details import FourEyesError
from reconciliation.vendors.bank_details import confirm_bank_details
from reconciliation.web import rendering
from reconciliation.web.access import ALL_ROLES
from reconciliation.web.access import EDIT_ROLES
from reconciliation.web.access import has_role
from reconciliation.web.access import roles_by_workspace
from reconciliation.web.access import workspace_ids_with
from reconciliation.web.dates import DayField

if TYPE_CHECKING:
    from django.contrib.admin import AdminSite

FILTERS_PARAMETER = "_changelist_filters"
#: How many characters the queue's Document cell shows whole (well.css: 16ch), and the end a
#: longer name keeps when cut in its middle (8 to 11 characters from a separator, else 10), so
#: invoices alike but for their numbers read apart.
TITLE_FITS = 16
TITLE_KEEPS = (8, 11, 10)
#: Short kind names for the queue's narrow Kind column.
KIND_LABELS: dict[str, str] = {
    "invoice": "Invoice",
    "credit_note": "Credit note",
    "payment_confirmation": "Payment",
    "wire_notice": "Transfer",
    "other": "Other",
    "unknown": "Unknown",
}
#: Enough for any day's queue; "next" past it falls back to the start of the queue.
MAX_QUEUE_IDS = 5000


# --- list filters ----------------------------------------------------------------------------


#: Confidence bands (percent, lower bound included).
BANDS: dict[str, tuple[Decimal, Decimal]] = {
    "0-55": (Decimal(0), Decimal(55)),
    "55-70": (Decimal(55), Decimal(70)),
    "70-85": (Decimal(70), Decimal(85)),
    "85-100": (Decimal(85), Decimal("100.01")),
}


class ConfidenceBandFilter(admin.SimpleListFilter):
    title = "confidence"
    parameter_name = "confidence"

    def lookups(
        self, request: HttpRequest, model_admin: admin.ModelAdmin[Any]
    ) -> list[tuple[str, str]]:
        labels = [
            (key, f"{low:g}–{min(high, Decimal(100)):g} %") for key, (low, high) in BANDS.items()
        ]
        return [*labels, ("none", "No score")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if value == "none":
            return queryset.filter(invoice__confidence__isnull=True)
        if value in BANDS:
            low, high = BANDS[value]
            return queryset.filter(invoice__confidence__gte=low, invoice__confidence__lt=high)
        return queryset


#: Set on the copy of a request that only wants the queue's rows (the review screen's
#: next/previous), so that filters skip working out their choices.
ROWS_ONLY = "_well_queue_rows_only"


class VendorFilter(NamedEmptyChoice, RelatedOnly):
    """The vendors of the queue's invoices; none worked out when only the rows are wanted."""

    empty_label = "No vendor yet"  # no invoice read yet, or no vendor known for it

    def field_choices(self, field: Any, request: HttpRequest, model_admin: Any) -> Any:
        if getattr(request, ROWS_ONLY, False):
            return []
        return super().field_choices(field, request, model_admin)


# --- the queue -------------------------------------------------------------------------------


class _QueueChangeList(ChoicesCheckedChangeList):
    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        # The invoices of the page the bank shows paid: one query for the page.
        rows = [(row, _invoice_of(row)) for row in self.result_list]
        paid = paid_debits([invoice.pk for _, invoice in rows if invoice is not None])
        for row, invoice in rows:
            debit = paid.get(invoice.pk) if invoice is not None else None
            row.paid_on = debit.value_date if debit is not None else None

    def url_for_result(self, result: Any) -> str:
        return reverse("admin:reconciliation-review-document", args=[result.pk])


class ReviewQueueAdmin(WorkspaceScopedAdmin[Document]):
    """The queue's changelist. Instantiated by `queue_admin`, never registered."""

    change_list_template = "admin/reconciliation/review/change_list.html"
    list_display = [
        "title",
        "workspace_name",
        "flag",
        "vendor_name",
        "number",
        "amount",
        "confidence_badge",
        "reason",
        "due",
        "age",
    ]
    list_display_links = ["title"]
    list_filter = [
        ("invoice__vendor", VendorFilter),
        "kind",
        ReasonFilter,
        QueueReasonCodeFilter,
        ConfidenceBandFilter,
    ]
    search_fields = [
        "original_name",
        "invoice__number",
        "invoice__supplier_name",
        "invoice__supplier_vat_id",
        "invoice__vendor__name",
    ]
    search_help_text = "Search by file name, supplier, VAT id or invoice number."
    ordering = list(review.QUEUE_ORDERING)
    list_per_page = 50
    actions = ["approve_selected", "refuse_selected"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # documents arrive from the watched folders, never by hand

    def get_queryset(self, request: HttpRequest) -> QuerySet[Document]:
        documents = super().get_queryset(request)
        if request.user.is_superuser:
            return review.queue_documents(documents)
        return review.queue_documents(documents, workspace_ids=roles_by_workspace(request).keys())

    def get_list_display(self, request: HttpRequest) -> list[Any]:
        columns: list[Any] = list(self.list_display)
        if not sees_several_workspaces(request):
            columns.remove("workspace_name")  # one workspace: the column would say the same
        return columns

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return _QueueChangeList

    def get_preserved_filters(self, request: HttpRequest) -> str:
        # Rows open the review screen with the queue's filters, so j/k walk the same list.
        query = request.GET.copy()
        query.pop("p", None)
        return urlencode({FILTERS_PARAMETER: query.urlencode()}) if query else ""

    def has_export_permission(self, request: HttpRequest) -> bool:
        return False  # audit exports live on the Invoice, Decision... lists

    def has_change_permission(self, request: HttpRequest, obj: Document | None = None) -> bool:
        return has_role(request, self._workspace_of(obj), EDIT_ROLES)

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        return {k: v for k, v in super().get_actions(request).items() if k != "delete_selected"}

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        counts = self.get_queryset(request).aggregate(
            total=Count("pk"),
            double_charges=Count("pk", filter=Q(is_double_charge=True)),
            payments=Count(
                "pk",
                filter=(Q(open_candidates__gt=0) | ~Q(review_reason=""))
                & Q(is_double_charge=False),
            ),
            invoices=Count(
                "pk", filter=Q(invoice__isnull=False, is_double_charge=False, open_candidates=0)
            ),
        )
        flags = queue_money_flags(request)  # money gone twice, or paid though refused: first
        counts["total"] += flags.total
        extra_context = {
            **(extra_context or {}),
            "title": "Review queue",
            "queue_counts": counts,
            "money_flags": flags,
            "has_export_permission": False,
        }
        return super().changelist_view(request, extra_context)

    # --- columns ------------------------------------------------------------------------------
    @admin.display(description="Document", ordering="original_name")
    def title(self, obj: Document) -> str:
        invoice = _invoice_of(obj)
        # The supplier as read, unless the Vendor column already names who sent it.
        text = obj.original_name
        if invoice is not None and invoice.supplier_name and invoice.vendor is None:
            text = f"{invoice.supplier_name} · {text}"
        return clipped_ends(text, fits=TITLE_FITS, keep=TITLE_KEEPS)

    @admin.display(description="Kind", ordering="is_double_charge")
    def flag(self, obj: Document) -> str:
        """The document's kind, or what flags it (a double charge, payment candidates)."""
        if getattr(obj, "is_double_charge", False):
            return format_html('<span class="well-flag well-flag-double">{}</span>', "Double")
        candidates = int(getattr(obj, "open_candidates", 0) or 0)
        if candidates:
            return format_html(
                '<span class="well-flag well-flag-match">{} candidate{}</span>',
                candidates,
                "s" if candidates != 1 else "",
            )
        return KIND_LABELS.get(obj.kind, str(obj.get_kind_display()))

    @admin.display(description="Workspace", ordering="workspace__name")
    def workspace_name(self, obj: Document) -> str:
        return clipped(obj.workspace.name)

    @admin.display(description="Vendor", ordering="invoice__vendor__name")
    def vendor_name(self, obj: Document) -> str:
        invoice = _invoice_of(obj)
        if invoice is None or invoice.vendor is None:
            return "—"
        vendor = invoice.vendor
        if vendor.is_in_training:
            return clipped(f"{vendor.name} (training {vendor.training_progress})")
        return clipped(vendor.name)

    @admin.display(description="Number", ordering="invoice__number")
    def number(self, obj: Document) -> str:
        invoice = _invoice_of(obj)
        return clipped(invoice.number) if invoice is not None and invoice.number else "—"

    @admin.display(description="Total", ordering="invoice__total_amount")
    def amount(self, obj: Document) -> str:
        invoice = _invoice_of(obj)
        return format_money(invoice.total_amount, invoice.currency) if invoice else "—"

    @admin.display(description="Confidence", ordering="invoice__confidence")
    def confidence_badge(self, obj: Document) -> str:
        invoice = _invoice_of(obj)
        if invoice is None or invoice.confidence is None:
            return "—"
        band = confidence_band(
            invoice.confidence,
            obj.workspace.review_threshold,
            obj.workspace.auto_post_threshold,
        )
        return format_html(
            '<span class="well-badge well-badge-{}">{}</span>', band, percent(invoice.confidence)
        )

    @admin.display(description="Why")
    def reason(self, obj: Document) -> str:
        reasons = queue_reasons(obj, _invoice_of(obj))
        if not reasons:
            return ""
        # Causes first (held, vendor in training, a weak field, a rule): the lead is what sent
        # it here, not a threshold the score reached, in a few words (cut if they must be) and
        # its figure (never cut); every sentence on hover.
        others = len(reasons) - 1
        lead = short_reason(reasons[0])
        return format_html(
            '<span class="well-why" title="{}"><span class="well-clip">{}</span>{}</span>{}',
            "\n".join(with_percents(reason) for reason in reasons),
            lead.words,
            format_html(' <span class="well-figure">{}</span>', lead.figure) if lead.figure else "",
            format_html(' <span class="well-more">+{}</span>', others) if others else "",
        )

    @admin.display(description="Due", ordering="invoice__due_date")
    def due(self, obj: Document) -> str:
        invoice = _invoice_of(obj)
        if invoice is None or invoice.due_date is None:
            return "—"
        if getattr(obj, "is_double_charge", False):
            # A request for money already paid: it is refused, never late.
            return f"{invoice.due_date:%d %b} (already paid)"
        paid_on = getattr(obj, "paid_on", None)
        if paid_on is not None:
            # The bank shows it paid: the date it was due (the column's, and its order), and
            # that it was paid, in place of how late it is; never to pay again.
            return format_html(
                '<span title="{}">{} (paid {})</span>',
                f"The bank shows it paid on {date_format(paid_on, 'j M Y')}; nothing to pay.",
                f"{invoice.due_date:%d %b}",
                f"{paid_on:%d %b}",
            )
        return _relative_day(invoice.due_date)

    @admin.display(description="Waiting", ordering="received_at")
    def age(self, obj: Document) -> str:
        return waited(timezone.now() - obj.received_at)

    # --- bulk actions -------------------------------------------------------------------------
    @admin.action(description="Approve selected invoices", permissions=["change"])
    def approve_selected(
        self, request: HttpRequest, queryset: QuerySet[Document]
    ) -> HttpResponse | None:
        documents = _editable(request, queryset)
        if request.POST.get("post") != "yes":
            return _confirm(request, self, documents, "approve_selected")
        result = review.approve_documents(documents=documents, user=_user(request))
        _report(request, self, result, "Approved")
        return None

    @admin.action(description="Refuse selected documents…", permissions=["change"])
    def refuse_selected(
        self, request: HttpRequest, queryset: QuerySet[Document]
    ) -> HttpResponse | None:
        documents = _editable(request, queryset)
        reason = request.POST.get("reason", "").strip()
        if request.POST.get("post") != "yes" or len(reason) < review.MIN_REASON_LENGTH:
            return _confirm(request, self, documents, "refuse_selected", needs_reason=True)
        result = review.refuse_documents(documents=documents, user=_user(request), reason=reason)
        _report(request, self, result, "Refused")
        return None


def queue_reasons(document: Document, invoice: Invoice | None) -> list[str]:
    """Why a document is in the queue, the causes first (the hold, then what sends it to a
    person), the context (a threshold the score reached, where it lost points) after."""
    reasons: list[str] = []
    if invoice is not None and invoice.is_held and invoice.hold_reason:
        reasons.append(invoice.hold_reason)
    if invoice is not None:
        reasons.extend(routing_reasons_now(invoice))
    if int(getattr(document, "open_candidates", 0) or 0):
        reasons.append("Payment not matched with certainty")
    if document.review_reason:
        reasons.append(document.review_reason)
    return causes_first(reasons)


def _invoice_of(document: Document) -> Invoice | None:
    try:
        return document.invoice
    except Invoice.DoesNotExist:
        return None


def confidence_band(value: Decimal | float, review_threshold: Decimal, auto: Decimal) -> str:
    score = Decimal(str(value))
    if score >= auto:
        return "high"
    if score >= review_threshold:
        return "medium"
    return "low"


def _relative_day(day: date) -> str:
    delta = (day - timezone.localdate()).days
    if delta == 0:
        return "today"
    if delta < 0:
        return f"{day:%d %b} ({-delta} d late)"
    return f"{day:%d %b} (in {delta} d)"


def waited(duration: timedelta) -> str:
    hours = int(duration.total_seconds() // 3600)
    if hours < 1:
        return "< 1 h"
    if hours < 48:
        return f"{hours} h"
    return f"{hours // 24} d"


def _user(request: HttpRequest) -> AbstractBaseUser:
    user = request.user
    assert isinstance(user, AbstractBaseUser)  # the admin only serves signed-in users
    return user


def _editable(request: HttpRequest, queryset: QuerySet[Document]) -> list[Document]:
    """The selected documents of workspaces where the user may decide (not only read)."""
    if not request.user.is_superuser:
        queryset = queryset.filter(workspace_id__in=workspace_ids_with(request, EDIT_ROLES))
    return list(queryset)


def _confirm(
    request: HttpRequest,
    model_admin: ReviewQueueAdmin,
    documents: list[Document],
    action: str,
    *,
    needs_reason: bool = False,
) -> HttpResponse:
    context = {
        **model_admin.admin_site.each_context(request),
        "title": "Refuse documents" if needs_reason else "Approve invoices",
        "action": action,
        "documents": documents,
        "needs_reason": needs_reason,
        "reason": request.POST.get("reason", ""),
        "reason_error": needs_reason and request.POST.get("post") == "yes",
        "opts": model_admin.opts,
        "select_across": request.POST.get("select_across", "0"),
        "queue_url": request.get_full_path(),
    }
    return TemplateResponse(request, "admin/reconciliation/review/confirm_action.html", context)


def _report(
    request: HttpRequest, model_admin: ReviewQueueAdmin, result: review.BulkResult, verb: str
) -> None:
    done = len(result.done)
    counted = ngettext("%(n)d document", "%(n)d documents", done) % {"n": done}
    model_admin.message_user(request, f"{verb} {counted}.", messages.SUCCESS)
    if result.skipped:
        skipped = len(result.skipped)
        model_admin.message_user(
            request,
            f"Skipped {skipped}: {result.summary}.",
            messages.WARNING,
        )


def queue_admin(site: AdminSite) -> ReviewQueueAdmin:
    return ReviewQueueAdmin(Document, site)


# --- the queue as an ordered list of ids (for j/k and "save and next") -----------------------


def queue_ids(request: HttpRequest, model_admin: ReviewQueueAdmin, filters: str) -> list[int]:
    """Ids of the queue in its order, with the filters the reviewer chose on the list."""
    listing = copy.copy(request)
    listing.GET = QueryDict(filters)
    setattr(listing, ROWS_ONLY, True)
    try:
        queryset = model_admin.get_export_queryset(listing)
    except (IncorrectLookupParameters, ValueError):
        queryset = model_admin.get_queryset(request).order_by(*review.QUEUE_ORDERING)
    return list(queryset.values_list("pk", flat=True)[:MAX_QUEUE_IDS])


# --- the review screen -----------------------------------------------------------------------


def visible_document(request: HttpRequest, document_id: int) -> Document:
    """The document if it belongs to one of the user's workspaces; 404 otherwise."""
    documents = Document.objects.select_related("workspace", "invoice", "invoice__vendor")
    if not request.user.is_superuser:
        documents = documents.filter(workspace_id__in=workspace_ids_with(request, ALL_ROLES))
    return get_object_or_404(documents, pk=document_id)


class InvoiceFieldsForm(forms.Form):
    supplier_name = forms.CharField(label="Supplier", max_length=300, required=False)
    supplier_vat_id = forms.CharField(label="VAT id", max_length=32, required=False)
    supplier_iban = forms.CharField(label="IBAN", max_length=34, required=False)
    supplier_domain = forms.CharField(label="Domain", max_length=253, required=False)
    invoice_number = forms.CharField(label="Invoice number", max_length=100, required=False)
    issue_date = DayField(label="Issue date", required=False)
    due_date = DayField(label="Due date", required=False)
    net_amount = forms.DecimalField(label="Net", max_digits=18, decimal_places=3, required=False)
    tax_amount = forms.DecimalField(label="Tax", max_digits=18, decimal_places=3, required=False)
    total_amount = forms.DecimalField(
        label="Total", max_digits=18, decimal_places=3, required=False
    )
    currency = forms.CharField(label="Currency", max_length=3, required=False)
    ledger_account = forms.CharField(label="Ledger account", max_length=32, required=False)

    def clean_currency(self) -> str:
        code = str(self.cleaned_data.get("currency") or "").strip().upper()
        if code:
            validate_currency(code)
        return code

    @classmethod
    def for_invoice(
        cls, invoice: Invoice, *, editable: bool, data: QueryDict | None = None
    ) -> InvoiceFieldsForm:
        initial = review.current_values(invoice)
        if invoice.currency and is_known_currency(invoice.currency):
            # Amounts shown with the currency's minor unit (19.00 EUR, not 19.000).
            for name in ("net_amount", "tax_amount", "total_amount"):
                if initial[name] is not None:
                    initial[name] = quantize(initial[name], invoice.currency)
        form = cls(data=data, initial=initial, prefix="field")
        for form_field in form.fields.values():
            form_field.disabled = not editable or not invoice.can_refuse
        return form


@dataclass(frozen=True)
class Outcome:
    message: str
    level: int = messages.SUCCESS
    stay: bool = False  # show this document again instead of the next one
    show_form: bool = False  # re-render with the form's errors instead of redirecting


@require_http_methods(["GET", "POST"])
def review_document(
    request: HttpRequest, document_id: int, *, model_admin: ReviewQueueAdmin
) -> HttpResponse:
    document = visible_document(request, document_id)
    invoice = _invoice_of(document)
    can_edit = has_role(request, document.workspace_id, EDIT_ROLES)
    filters = request.GET.get(FILTERS_PARAMETER, "")
    around = review.neighbours(queue_ids(request, model_admin, filters), document.pk)
    form = InvoiceFieldsForm.for_invoice(invoice, editable=can_edit) if invoice else None
    refuse_error = reopen_error = ""
    if request.method == "POST":
        if not can_edit:
            raise PermissionDenied("Your role in this workspace is read-only.")
        if invoice is not None:
            form = InvoiceFieldsForm.for_invoice(invoice, editable=True, data=request.POST)
        action = request.POST.get("action", "")
        outcome = _decide(request, document, invoice, form, action)
        if outcome.show_form:
            refuse_error = outcome.message if action == "refuse" else ""
            reopen_error = outcome.message if action == "reopen" else ""
            messages.add_message(request, outcome.level, outcome.message)
        else:
            messages.add_message(request, outcome.level, outcome.message)
            if outcome.stay or outcome.level == messages.ERROR:
                return HttpResponseRedirect(_screen_url(document.pk, filters))
            if around.next_id is not None:
                return HttpResponseRedirect(_screen_url(around.next_id, filters))
            return HttpResponseRedirect(_queue_url(filters))
    context = {
        **model_admin.admin_site.each_context(request),
        # Page images and fields side by side need the whole width.
        "is_nav_sidebar_enabled": False,
        **review_context(document=document, invoice=invoice, form=form, can_edit=can_edit),
        "title": f"Review · {document.original_name}",
        "opts": Document._meta,
        "around": around,
        "previous_url": _screen_url(around.previous_id, filters) if around.previous_id else "",
        "next_url": _screen_url(around.next_id, filters) if around.next_id else "",
        "queue_url": _queue_url(filters),
        "form_url": _screen_url(document.pk, filters),
        "refuse_error": refuse_error,
        "reopen_error": reopen_error,
        "file_url": reverse("admin:reconciliation-review-file", args=[document.pk]),
    }
    return TemplateResponse(request, "admin/reconciliation/review/review.html", context)


def _screen_url(document_id: int | None, filters: str) -> str:
    url = reverse("admin:reconciliation-review-document", args=[document_id])
    return f"{url}?{urlencode({FILTERS_PARAMETER: filters})}" if filters else url


def _queue_url(filters: str) -> str:
    url = reverse("admin:reconciliation-review")
    return f"{url}?{filters}" if filters else url


def _decide(
    request: HttpRequest,
    document: Document,
    invoice: Invoice | None,
    form: InvoiceFieldsForm | None,
    action: str,
) -> Outcome:
    """Run the action the reviewer chose; the domain functions do the work."""
    from reconciliation import matching

    user = _user(request)
    try:
        way_forward = _way_forward(request, document, invoice, user, action)
        if way_forward is not None:
            return way_forward
        if action in ("save", "save_next", "approve"):
            if invoice is None or form is None:
                raise Http404("This document has no invoice fields.")
            if not form.is_valid():
                return Outcome(
                    "Some fields are not valid; nothing was saved.", messages.ERROR, show_form=True
                )
            corrections = review.corrections_from(invoice, form.cleaned_data)
            result = review.save_review(
                invoice=invoice, user=user, corrections=corrections, approve=action == "approve"
            )
            return Outcome(result.message, stay=action == "save")
        if action == "refuse":
            reason = request.POST.get("reason", "").strip()
            is_double_charge = review.proposed_double_charge(document) is not None
            if len(reason) < review.MIN_REASON_LENGTH and not is_double_charge:
                return Outcome(
                    "Say why it is refused (a few words).", messages.ERROR, show_form=True
                )
            return Outcome(review.refuse_document(document=document, user=user, reason=reason))
        if action == "pick":
            match = _match_of(request, document, kinds=review.CANDIDATE_KINDS)
            matching.pick_candidate(match=match, user=user)
            return Outcome("Payment matched; the confirmation will be attached in Qonto.")
        if action == "reject_all":
            matching.reject_all(document=document, user=user, reason=request.POST.get("reason", ""))
            return Outcome("None of the candidates is this payment; recorded.")
        if action == "refuse_double":
            match = _match_of(request, document, kinds=(MatchKind.DOUBLE_CHARGE,))
            matching.refuse_double_charge(match=match, user=user)
            return Outcome("Double charge refused; it will not be paid or posted.")
        if action == "not_duplicate":
            match = _match_of(request, document, kinds=(MatchKind.DOUBLE_CHARGE,))
            matching.dismiss_double_charge(match=match, user=user)
            return Outcome("Marked as not a duplicate; it can be approved now.", stay=True)
    except (
        review.ReviewError,
        IllegalTransitionError,
        matching.MatchConflictError,
        FourEyesError,
    ) as error:
        return Outcome(str(error), messages.ERROR)
    return Outcome("Unknown action.", messages.ERROR)


def _way_forward(
    request: HttpRequest,
    document: Document,
    invoice: Invoice | None,
    user: AbstractBaseUser,
    action: str,
) -> Outcome | None:
    """The ways out of a dead end: reopen a refusal, read an unreadable document again, read a
    duplicate as its own, set aside a payment nothing fits. None for the other actions."""
    if action == "reopen":
        return _reopen(request, invoice, user)
    if action == "confirm_bank_details" and invoice is not None:
        confirmed = confirm_bank_details(invoice_id=invoice.pk, user=user)
        return Outcome(confirmed.message, stay=True)
    if action == "not_duplicate":
        match = _match_of(request, document, kinds=(MatchKind.DOUBLE_CHARGE,))
        if is_gate_hit(match):  # held by the gate before posting: released back to the outbox
            gate.release(match=match, user=user)
            return Outcome("Not a double payment: released; it is posted in the next window.")
    if action == "read_again":
        return Outcome(review.read_again(document=document, user=user), stay=True)
    if action == "document_not_duplicate":
        return Outcome(review.not_a_duplicate(document=document, user=user), stay=True)
    if action == "set_aside":
        reason = request.POST.get("reason", "").strip()
        if len(reason) < review.MIN_REASON_LENGTH:
            return Outcome("Say why nothing more is to be done (a few words).", messages.ERROR)
        return Outcome(review.set_aside(document=document, user=user, reason=reason))
    return None


def _reopen(request: HttpRequest, invoice: Invoice | None, user: AbstractBaseUser) -> Outcome:
    if invoice is None:
        raise Http404("This document has no invoice to reopen.")
    reason = request.POST.get("reason", "").strip()
    if len(reason) < review.MIN_REASON_LENGTH:
        return Outcome("Say why it is reopened (a few words).", messages.ERROR, show_form=True)
    return Outcome(
        review.reopen_invoice(invoice=invoice, user=user, reason=reason).message, stay=True
    )


def _match_of(request: HttpRequest, document: Document, *, kinds: tuple[MatchKind, ...]) -> Match:
    match_id = request.POST.get("match", "")
    if not match_id.isdigit():
        raise Http404("No such match.")
    return get_object_or_404(
        Match,
        pk=int(match_id),
        document=document,
        workspace_id=document.workspace_id,
        kind__in=kinds,
        status=MatchStatus.PROPOSED,
    )


def page_image(request: HttpRequest, document_id: int, page: int) -> HttpResponse:
    document = visible_document(request, document_id)
    image = rendering.page_image(document=document, page=page)
    if isinstance(image, rendering.RenderFailure):
        if image.code in ("no_such_page", "not_renderable", "missing"):
            raise Http404(image.reason)
        response = HttpResponse(image.reason, content_type="text/plain", status=503)
        response["Retry-After"] = "30"
        response["Cache-Control"] = "no-store"
        return response
    response = HttpResponse(image.content, content_type=image.content_type)
    # A document's bytes never change, so j/k can reuse the image; private because it is a
    # supplier's invoice that only this browser may keep.
    response["Cache-Control"] = "private, max-age=3600"
    return response


def document_file(request: HttpRequest, document_id: int) -> FileResponse:
    document = visible_document(request, document_id)
    if not document.file:
        raise Http404("The stored file is missing.")
    handle = document.file.open("rb")
    name = document.original_name or f"document-{document.pk}.pdf"
    response = FileResponse(
        handle, as_attachment=True, filename=name, content_type="application/pdf"
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
