"""What a new user's tour of the demo read wrong: an amount agreement worded for debits on
credits, "refund requested" on a refused double charge, field labels unlike the exports'
headers, confidences and scores without their " %", and a bare "-" in the related filters."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.test import Client
from django.urls import reverse
from django.utils.text import capfirst

from reconciliation.admin.decision_display import AMOUNT_BASIS_LABELS
from reconciliation.admin.decision_display import percent
from reconciliation.models import Document
from reconciliation.models import Invoice
from reconciliation.models import InvoiceStatus
from reconciliation.models import Match
from reconciliation.models import MatchKind
from reconciliation.models import MatchStatus
from reconciliation.models import Receivable
from reconciliation.models import Role
from reconciliation.models import Side
from reconciliation.models import Transaction
from reconciliation.models import Vendor
from reconciliation.models import Workspace
from reconciliation.reports.spreadsheets import column_header
from tests.factories import make_connection
from tests.factories import make_document
from tests.factories import make_invoice
from tests.factories import make_match
from tests.factories import make_receivable
from tests.factories import make_transaction
from tests.factories import make_user
from tests.factories import make_vendor
from tests.helpers import column_cells
from tests.helpers import logged_in_client
from tests.helpers import readonly_value

pytestmark = pytest.mark.django_db


def _client(workspace: Workspace) -> Client:
    user: AbstractUser = make_user(workspace=workspace, role=Role.REVIEWER)
    return logged_in_client(user)


def _filter_choices(response: Any, title: str) -> list[str]:
    changelist = response.context["cl"]
    (spec,) = (spec for spec in changelist.filter_specs if str(spec.title) == title)
    return [str(choice["display"]) for choice in spec.choices(changelist)]


# --- 1. the amount agreement reads right for credits as for debits ---------------------------


def test_a_credit_matched_at_the_same_amount_does_not_read_as_debited(
    workspace: Workspace,
) -> None:
    credit = make_transaction(workspace, side=Side.CREDIT)
    make_match(
        workspace,
        kind=MatchKind.CREDIT_RECEIVABLE,
        transaction=credit,
        receivable=make_receivable(workspace),
        amount_basis="source",
    )
    response = _client(workspace).get(reverse("admin:reconciliation_match_changelist"))
    page = response.content.decode()
    assert column_cells(page, "amount_agreement") == ["Same amount as the bank line"]
    assert "Same amount as the bank line" in _filter_choices(response, "amount agreement")
    assert not any("debit" in label or "credit" in label for label in AMOUNT_BASIS_LABELS.values())


# --- 2. a refused match says what was decided, per kind --------------------------------------


@pytest.mark.parametrize(
    ("kind", "shown", "not_shown"),
    [
        (MatchKind.DOUBLE_CHARGE, "Refused (double charge)", "efund"),
        (MatchKind.DOUBLE_PAYMENT, "Refund requested", "double charge"),
    ],
)
def test_a_refused_flag_reads_as_its_kind(
    workspace: Workspace, kind: MatchKind, shown: str, not_shown: str
) -> None:
    match = make_match(
        workspace,
        kind=kind,
        status=MatchStatus.REFUSED,
        invoice=make_invoice(workspace),
        transaction=make_transaction(workspace),
    )
    assert match.status == "refused"  # the stored value is the same for both kinds
    assert match.status_label == shown
    assert shown in str(match)
    assert not_shown not in str(match)
    client = _client(workspace)
    listed = client.get(reverse("admin:reconciliation_match_changelist")).content.decode()
    assert column_cells(listed, "match_status") == [shown]
    page = client.get(reverse("admin:reconciliation_match_change", args=[match.pk]))
    assert readonly_value(page.content.decode(), "match_status") == shown


def test_the_other_statuses_keep_their_labels(workspace: Workspace) -> None:
    proposed = make_match(workspace, kind=MatchKind.DOUBLE_CHARGE)
    dismissed = make_match(workspace, kind=MatchKind.DOUBLE_PAYMENT, status=MatchStatus.DISMISSED)
    assert proposed.status_label == "Proposed — needs review"
    assert dismissed.status_label == "Not a duplicate"


def test_the_transaction_page_lists_a_refused_double_payment_as_refund_requested(
    workspace: Workspace,
) -> None:
    debit = make_transaction(workspace)
    make_match(
        workspace, kind=MatchKind.DOUBLE_PAYMENT, status=MatchStatus.REFUSED, transaction=debit
    )
    client = logged_in_client(make_user(superuser=True))
    page = client.get(reverse("admin:reconciliation_transaction_change", args=[debit.pk]))
    cells = re.findall(r'<td class="field-match_status">\s*<p>(.*?)</p>', page.content.decode())
    assert cells == ["Refund requested"]


# --- 3. field labels as the exports' headers write them --------------------------------------

LABELLED_FIELDS: list[tuple[type[models.Model], str, str]] = [
    (Invoice, "supplier_vat_id", "Supplier VAT id"),
    (Invoice, "supplier_iban", "Supplier IBAN"),
    (Invoice, "fx_rate", "FX rate"),
    (Invoice, "fx_rate_date", "FX rate date"),
    (Vendor, "vat_id", "VAT id"),
    (Vendor, "ibans", "IBANs"),
    (Receivable, "customer_iban", "Customer IBAN"),
    (Transaction, "counterparty_iban", "Counterparty IBAN"),
    (Match, "fx_rate", "FX rate"),
]


@pytest.mark.parametrize(("model", "name", "label"), LABELLED_FIELDS)
def test_fields_are_labelled_as_the_exports_head_their_columns(
    model: type[models.Model], name: str, label: str
) -> None:
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field)
    verbose = capfirst(str(field.verbose_name))
    assert verbose == label == column_header(name)


def test_the_pages_show_the_labels(workspace: Workspace) -> None:
    client = logged_in_client(make_user(superuser=True))
    invoice = make_invoice(workspace, supplier_iban="DE89370400440532013000")
    vendor = make_vendor(workspace)
    receivable = make_receivable(workspace)
    debit = make_transaction(workspace)
    pages = {
        "invoice": (invoice.pk, ["Supplier VAT id", "Supplier IBAN", "FX rate", "FX rate date"]),
        "vendor": (vendor.pk, ["VAT id", "IBANs"]),
        "receivable": (receivable.pk, ["Customer IBAN"]),
        "transaction": (debit.pk, ["Counterparty IBAN"]),
    }
    for model, (pk, labels) in pages.items():
        page = client.get(reverse(f"admin:reconciliation_{model}_change", args=[pk]))
        content = page.content.decode()
        for label in labels:
            assert re.search(rf">{re.escape(label)}:?</label>", content), (model, label)
        assert not re.search(r">(Supplier vat id|Fx rate|Vat id|Ibans|\w+ iban):?<", content)


# --- 4. confidences and scores with their " %" -----------------------------------------------


def test_percent_reads_as_the_review_screen() -> None:
    assert percent(Decimal("94.80")) == "94.80 %"
    assert percent(Decimal("100.00")) == "100 %"
    assert percent(97.5) == "97.50 %"
    assert percent(None) == "—"


def test_the_invoice_list_and_page_show_the_confidence_in_percent(workspace: Workspace) -> None:
    low = make_invoice(workspace, confidence=Decimal("50.00"))
    high = make_invoice(workspace, confidence=Decimal("97.72"))
    client = _client(workspace)
    url = reverse("admin:reconciliation_invoice_changelist")
    response = client.get(url)
    columns = list(response.context["cl"].list_display)
    position = columns.index("confidence_percent")  # the action checkbox is column 0
    ascending = client.get(url, {"o": str(position)})
    assert [row.pk for row in ascending.context["cl"].result_list] == [low.pk, high.pk]
    assert column_cells(ascending.content.decode(), "confidence_percent") == ["50 %", "97.72 %"]
    descending = client.get(url, {"o": f"-{position}"})
    assert [row.pk for row in descending.context["cl"].result_list] == [high.pk, low.pk]
    page = client.get(reverse("admin:reconciliation_invoice_change", args=[high.pk]))
    content = page.content.decode()
    assert readonly_value(content, "confidence_percent") == "97.72 %"
    assert 'name="confidence"' not in content  # shown, never an input


def test_the_match_list_and_page_show_the_score_in_percent(workspace: Workspace) -> None:
    weak = make_match(workspace, transaction=make_transaction(workspace), score=Decimal("61.50"))
    make_match(workspace, transaction=make_transaction(workspace), score=Decimal("100.00"))
    client = _client(workspace)
    url = reverse("admin:reconciliation_match_changelist")
    response = client.get(url)
    position = list(response.context["cl"].list_display).index("match_score")
    ascending = client.get(url, {"o": str(position)})
    assert column_cells(ascending.content.decode(), "match_score") == ["61.50 %", "100 %"]
    descending = client.get(url, {"o": f"-{position}"})
    assert column_cells(descending.content.decode(), "match_score") == ["100 %", "61.50 %"]
    page = client.get(reverse("admin:reconciliation_match_change", args=[weak.pk]))
    content = page.content.decode()
    assert readonly_value(content, "match_score") == "61.50 %"
    assert 'name="score"' not in content
    assert 'name="status"' not in content


def test_the_review_queue_and_the_document_page_show_confidences_in_percent(
    workspace: Workspace,
) -> None:
    invoice = make_invoice(
        workspace, confidence=Decimal("94.80"), status=InvoiceStatus.NEEDS_REVIEW
    )
    Document.objects.filter(pk=invoice.document_id).update(kind_confidence=Decimal("0.9500"))
    client = _client(workspace)
    queue = client.get(reverse("admin:reconciliation-review")).content.decode()
    assert re.search(r'<span class="well-badge well-badge-\w+">94\.80 %</span>', queue)
    page = client.get(reverse("admin:reconciliation_document_change", args=[invoice.document_id]))
    assert readonly_value(page.content.decode(), "kind_certainty") == "95 %"


# --- 5. the related filters' "none" choice in words ------------------------------------------


def test_the_documents_connection_filter_names_documents_without_one(
    workspace: Workspace,
) -> None:
    make_document(workspace, connection=make_connection(workspace))
    make_document(workspace, connection=None)
    response = _client(workspace).get(reverse("admin:reconciliation_document_changelist"))
    choices = _filter_choices(response, "connection")
    assert "No connection" in choices
    assert "-" not in choices


def test_the_review_queue_vendor_filter_names_documents_without_a_vendor(
    workspace: Workspace,
) -> None:
    make_invoice(workspace, vendor=make_vendor(workspace), status=InvoiceStatus.NEEDS_REVIEW)
    make_invoice(workspace, vendor=None, status=InvoiceStatus.NEEDS_REVIEW)
    response = _client(workspace).get(reverse("admin:reconciliation-review"))
    choices = _filter_choices(response, "vendor")
    assert "No vendor yet" in choices
    assert "-" not in choices
