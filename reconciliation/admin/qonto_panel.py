"""What the invoice page says about Qonto: what reached the bank (the PDF, which Qonto reads
itself) with the link to the entry in Qonto's web app, whether Qonto's reading agrees with the
reviewed values (each difference side by side), the entries Qonto already had that may be this
invoice (link one / post anyway), and a revision of an invoice already posted. Plus the invoice
list's filter on Qonto's reading. The actions post to the views in
``reconciliation.admin.status``."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from django.conf import settings
from django.contrib import admin
from django.db.models import Q
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.html import format_html_join
from django.utils.safestring import SafeString
from django.utils.timezone import localtime

from reconciliation.models import Invoice
from reconciliation.models import InvoiceStatus
from reconciliation.models import QontoOrigin
from reconciliation.models import Transaction

#: Posted invoices whose Qonto reading is still to come: the ones this Well uploaded or linked
#: (a posted invoice without an origin, such as the demo's history posted before the demo
#: began, is in no Qonto this Well reads back, so it waits for nothing).
AWAITING_QONTO_READING = Q(status=InvoiceStatus.POSTED, qonto_agrees__isnull=True) & ~Q(
    qonto_origin=""
)
DEFAULT_QONTO_APP_URL = "https://app.qonto.com"
WHAT_QONTO_RECEIVES = (
    "Qonto receives the PDF and reads it itself: the reviewed values, the enrichment and the "
    "ledger account are not sent. Well compares Qonto's reading with the reviewed values once "
    "Qonto has read it."
)


def qonto_url(qonto_id: str) -> str:
    """The entry in Qonto's web app (base URL: the QONTO_APP_URL setting)."""
    base = str(getattr(settings, "QONTO_APP_URL", DEFAULT_QONTO_APP_URL)).rstrip("/")
    return f"{base}/supplier-invoices/{qonto_id}"


def qonto_entry(invoice: Invoice) -> SafeString:
    if not invoice.qonto_id:
        if invoice.status in (InvoiceStatus.POSTED, InvoiceStatus.POSTING):
            return format_html("{}", WHAT_QONTO_RECEIVES)
        return format_html("Not in Qonto yet. When posted: {}", WHAT_QONTO_RECEIVES)
    link = format_html(
        '<a href="{}" target="_blank" rel="noopener noreferrer">Open in Qonto ({})</a>',
        qonto_url(invoice.qonto_id),
        invoice.qonto_id,
    )
    if invoice.qonto_origin == QontoOrigin.LINKED:
        return format_html(
            "{}. Linked to the entry Qonto already had (nothing was uploaded). {}",
            link,
            "Qonto's values come from its own reading of its copy.",
        )
    return format_html("{}. {}", link, WHAT_QONTO_RECEIVES)


# The sources `fx.py` writes for a rate seen on the workspace's own payments (either way
# round: " (inverted)").
_ONE_TRANSACTION = re.compile(r"Qonto transaction (?P<qonto_id>\S+)(?: \(inverted\))?\Z")
_DAY_OF_TRANSACTIONS = re.compile(
    r"Qonto transactions of (?P<day>\d{4}-\d{2}-\d{2}) \(median of (?P<count>\d+)\)"
    r"(?: \(inverted\))?\Z"
)


def fx_source(invoice: Invoice) -> SafeString:
    """Where the exchange rate came from, as people read it: a rate seen on one of the
    workspace's own Qonto payments links that payment ("rate seen on your Qonto payment of
    12 Oct"); other sources (the ECB, the same currency) read as stored."""
    source = invoice.fx_rate_source or ""
    one = _ONE_TRANSACTION.match(source)
    if one is not None:
        payment = (
            Transaction.objects.for_workspace(invoice.workspace_id)
            .filter(qonto_id=one["qonto_id"])
            .only("pk", "value_date")
            .first()
        )
        if payment is None:
            return format_html("{}", "rate seen on one of your Qonto payments")
        return format_html(
            'rate seen on <a href="{}">your Qonto payment of {}</a>',
            reverse("admin:reconciliation_transaction_change", args=[payment.pk]),
            date_format(payment.value_date, "j M") if payment.value_date else "an unknown day",
        )
    day = _DAY_OF_TRANSACTIONS.match(source)
    if day is not None:
        return format_html(
            "median rate of your {} Qonto payments of {}",
            day["count"],
            date_format(date.fromisoformat(day["day"]), "j M Y"),
        )
    return format_html("{}", source or "—")


def qonto_readback(invoice: Invoice) -> SafeString:
    if invoice.qonto_agrees is None:
        if invoice.status == InvoiceStatus.POSTED and invoice.qonto_origin:
            return format_html("{}", "Qonto has not read the PDF yet; compared in a later window.")
        return format_html("{}", "—")
    if invoice.qonto_agrees:
        return format_html(
            '<strong class="well-qonto-agrees">Qonto agrees</strong> (checked {})',
            _when(invoice),
        )
    rows = format_html_join(
        "",
        "<tr><th>{}</th><td>{}</td><td>{}</td></tr>",
        (
            (item.get("label", ""), item.get("well", ""), item.get("qonto", ""))
            for item in invoice.qonto_readback.get("differences", [])
        ),
    )
    return format_html(
        '<strong class="well-qonto-differs">Differs from Qonto</strong> (checked {}). Well '
        "keeps the reviewed values; correct the entry in Qonto if Qonto misread it."
        '<table class="well-table"><thead><tr><th>Field</th><th>Well (reviewed)</th>'
        "<th>Qonto read</th></tr></thead><tbody>{}</tbody></table>",
        _when(invoice),
        rows,
    )


def _when(invoice: Invoice) -> str:
    """When Well last compared, in the reader's time zone and the site's date format."""
    if invoice.qonto_checked_at is None:
        return "—"
    return date_format(localtime(invoice.qonto_checked_at), "DATETIME_FORMAT")


def qonto_candidates(invoice: Invoice) -> SafeString:
    """The probe's candidates, with the two actions while the invoice waits for a person."""
    candidates = invoice.qonto_probe.get("candidates") or []
    if not candidates:
        return format_html("{}", "—")
    deciding = (
        invoice.status == InvoiceStatus.NEEDS_REVIEW
        and invoice.qonto_probe.get("outcome") == "review"
        and not invoice.is_held
    )
    rows = format_html_join(
        "",
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{} {}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        (_candidate_cells(invoice, candidate, deciding) for candidate in candidates),
    )
    post_url = reverse("admin:reconciliation-qonto-post-anyway", args=[invoice.pk])
    post = _button(post_url, "Post anyway")
    return format_html(
        '{}<table class="well-table"><thead><tr><th>Qonto entry</th><th>Score</th>'
        "<th>Supplier</th><th>Amount</th><th>Number</th><th>Why</th><th></th></tr></thead>"
        "<tbody>{}</tbody></table>{}",
        _probe_sentence(invoice),
        rows,
        post if deciding else "",
    )


def _candidate_cells(
    invoice: Invoice, candidate: dict[str, Any], deciding: bool
) -> tuple[Any, ...]:
    qonto_id = str(candidate["qonto_id"])
    return (
        format_html(
            '<a href="{}" target="_blank" rel="noopener">{}</a>', qonto_url(qonto_id), qonto_id
        ),
        candidate.get("score", ""),
        candidate.get("supplier_name", ""),
        candidate.get("total_amount", ""),
        candidate.get("currency", ""),
        candidate.get("invoice_number", ""),
        "; ".join(candidate.get("reasons", [])),
        _link_button(invoice, qonto_id) if deciding else "",
    )


def _probe_sentence(invoice: Invoice) -> SafeString:
    outcome = invoice.qonto_probe.get("outcome")
    decision = invoice.qonto_probe.get("decision")
    if decision == "post_anyway":
        return format_html("<p>{}</p>", "A person decided none of these is this invoice.")
    if outcome == "linked" or decision == "link":
        return format_html("<p>{}</p>", "Linked to the best entry; nothing was uploaded.")
    return format_html(
        "<p>Qonto may already have this invoice (links at {} / 100). Link the entry that is "
        "this invoice, or post it anyway.</p>",
        invoice.qonto_probe.get("threshold", ""),
    )


def revision(invoice: Invoice) -> SafeString:
    if invoice.revision_of_id is None:
        return format_html("{}", "—")
    rows = format_html_join(
        "",
        "<tr><th>{}</th><td>{}</td><td>{}</td></tr>",
        (
            (d.get("label", ""), d.get("posted", ""), d.get("new", ""))
            for d in invoice.revision_differences
        ),
    )
    original = reverse("admin:reconciliation_invoice_change", args=[invoice.revision_of_id])
    action = (
        _button(
            reverse("admin:reconciliation-qonto-post-revision", args=[invoice.pk]),
            "Post as its own entry",
        )
        if invoice.is_held
        else ""
    )
    return format_html(
        '<strong>Revised after posting</strong>: <a href="{}">the posted version</a> is already '
        "in Qonto. Refuse this one to keep the posted version, or post it as its own entry."
        '<table class="well-table"><thead><tr><th>Field</th><th>Posted</th><th>This version'
        "</th></tr></thead><tbody>{}</tbody></table>{}",
        original,
        rows,
        action,
    )


def _button(url: str, label: str) -> SafeString:
    # Inside the page's own form (which carries the CSRF token): formaction sends it here.
    return format_html(
        '<button type="submit" class="button" formaction="{}" formmethod="post" '
        "formnovalidate>{}</button>",
        url,
        label,
    )


def _link_button(invoice: Invoice, qonto_id: str) -> SafeString:
    url = reverse("admin:reconciliation-qonto-link", args=[invoice.pk, qonto_id])
    return _button(url, "Link to this entry")


class QontoReadingFilter(admin.SimpleListFilter):
    """The invoice list filtered on what Qonto holds: "differs from Qonto" first."""

    title = "Qonto"
    parameter_name = "qonto"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [
            ("differs", "Differs from Qonto"),
            ("agrees", "Qonto agrees"),
            ("unread", "Posted, not read by Qonto yet"),
            ("linked", "Linked to an entry Qonto had"),
            ("candidates", "Qonto may already have it"),
            ("revised", "Revised after posting"),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        chosen = self.value()
        if chosen == "differs":
            return queryset.filter(qonto_agrees=False)
        if chosen == "agrees":
            return queryset.filter(qonto_agrees=True)
        if chosen == "unread":
            return queryset.filter(AWAITING_QONTO_READING)
        if chosen == "linked":
            return queryset.filter(qonto_origin=QontoOrigin.LINKED)
        if chosen == "candidates":
            return queryset.filter(status=InvoiceStatus.NEEDS_REVIEW, qonto_probe__outcome="review")
        if chosen == "revised":
            return queryset.filter(revision_of__isnull=False)
        return queryset
