"""The admin's view of bank-detail controls: a vendor's bank-detail history (for the vendor
page) and what the review screen shows of an invoice held for new bank details."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.html import format_html_join

from reconciliation.models import BankDetailChange
from reconciliation.models import Invoice
from reconciliation.models import Vendor
from reconciliation.models import VendorBankAccount


def _when(value: Any) -> str:
    return date_format(timezone.localtime(value), "DATETIME_FORMAT") if value else "—"


def history_table(vendor: Vendor) -> str:
    """Every IBAN the vendor has used: first and last seen, who confirmed it and when; then
    the new IBANs still waiting for their two confirmations."""
    accounts = (
        VendorBankAccount.objects.for_workspace(vendor.workspace_id)
        .filter(Q(vendor=vendor) | Q(vendor__merged_into=vendor))  # merged ones' IBANs too
        .select_related("confirmed_by")
        .order_by("first_seen_at", "pk")
    )
    rows = [
        (
            account.iban,
            f"{account.country} {account.bank_code}".strip() or "—",
            _when(account.first_seen_at),
            _when(account.last_seen_at),
            account.get_origin_display(),
            str(account.confirmed_by) if account.confirmed_by else "—",
            _when(account.confirmed_at),
        )
        for account in accounts
    ]
    waiting = [
        (change.iban, str(change.get_status_display()), str(change.invoice))
        for change in BankDetailChange.objects.for_workspace(vendor.workspace_id)
        .open()
        .filter(vendor=vendor)
        .select_related("invoice", "invoice__document")
    ]
    if not rows and not waiting:
        return "No IBAN seen yet: the first one an invoice brings becomes the vendor's."
    table = format_html(
        '<table class="well-mapping"><thead><tr><th>IBAN</th><th>Bank</th><th>First seen</th>'
        "<th>Last seen</th><th>Known as</th><th>Confirmed by</th><th>Confirmed</th></tr>"
        "</thead><tbody>{}</tbody></table>",
        format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
            "</tr>",
            rows,
        ),
    )
    if not waiting:
        return table
    pending = format_html_join("", "<li>{} — {} (invoice {})</li>", waiting)
    return format_html(
        '{}<p class="well-conflict">Waiting for confirmation:</p><ul>{}</ul>', table, pending
    )


def held_for_bank_details(invoice: Invoice | None) -> dict[str, Any]:
    """What the review screen shows of an invoice held for new bank details."""
    if invoice is None or not invoice.is_held:  # only a held invoice can wait for them
        return {"bank_change": None}
    change = (
        BankDetailChange.objects.filter(invoice=invoice)
        .select_related("first_confirmed_by", "confirmed_by")
        .first()
    )
    return {"bank_change": change if change is not None and change.is_open else None}
