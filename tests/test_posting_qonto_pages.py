"""What the pages say about Qonto: the invoice page (what reached the bank and the link to the
entry in Qonto's web app; "Qonto agrees" or each difference side by side; the probe's
candidates with Link / Post anyway; a revision), the invoice list's "differs from Qonto"
filter, and the status page's counts."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.timezone import localtime
from pytest_django.fixtures import Settings

from reconciliation.models import Decision
from reconciliation.models import DecisionAction
from reconciliation.models import Invoice
from reconciliation.models import InvoiceStatus
from reconciliation.models import Provider
from reconciliation.models import QontoOrigin
from reconciliation.models import QontoSupplierInvoice
from reconciliation.models import Role
from reconciliation.models import Workspace
from tests.factories import make_connection
from tests.factories import make_invoice
from tests.helpers import client_for

pytestmark = pytest.mark.django_db

CHECKED = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def invoice_page(client: Client, invoice: Invoice) -> str:
    response = client.get(reverse("admin:reconciliation_invoice_change", args=[invoice.pk]))
    assert response.status_code == 200
    return response.content.decode()


def uploaded(workspace: Workspace, qonto_id: str, *, agrees: bool, **fields: Any) -> Invoice:
    """An invoice Well uploaded to Qonto as ``qonto_id``, whose read-back (at CHECKED) agreed
    with the reviewed values or not."""
    return make_invoice(
        workspace,
        status=InvoiceStatus.POSTED,
        qonto_id=qonto_id,
        qonto_origin=QontoOrigin.UPLOADED,
        qonto_agrees=agrees,
        qonto_checked_at=CHECKED,
        **fields,
    )


def differing(workspace: Workspace) -> Invoice:
    return uploaded(
        workspace,
        "si-differs",
        agrees=False,
        qonto_readback={
            "differences": [
                {
                    "field": "due_date",
                    "label": "Due date",
                    "well": "2026-11-07",
                    "qonto": "2026-11-08",
                }
            ]
        },
    )


def test_the_invoice_page_says_what_reached_qonto_and_links_to_it(
    workspace: Workspace, settings: Settings
) -> None:
    settings.QONTO_APP_URL = "https://qonto.example/app/"
    invoice = uploaded(workspace, "si-42", agrees=True)

    page = invoice_page(client_for(workspace), invoice)

    assert 'href="https://qonto.example/app/supplier-invoices/si-42"' in page
    assert "Qonto receives the PDF and reads it itself" in page
    assert "the reviewed values, the enrichment and the ledger account are not sent" in page
    assert '<strong class="well-qonto-agrees">Qonto agrees</strong>' in page
    assert f"(checked {date_format(localtime(CHECKED), 'DATETIME_FORMAT')})" in page
    assert "+00:00" not in page


def test_each_difference_is_shown_side_by_side(workspace: Workspace) -> None:
    page = invoice_page(client_for(workspace), differing(workspace))

    assert '<strong class="well-qonto-differs">Differs from Qonto</strong>' in page
    assert "<tr><th>Due date</th><td>2026-11-07</td><td>2026-11-08</td></tr>" in page


def test_the_invoice_list_filters_differs_from_qonto(workspace: Workspace) -> None:
    wrong = differing(workspace)
    agreeing = make_invoice(workspace, status=InvoiceStatus.POSTED, qonto_agrees=True)

    response = client_for(workspace).get(
        reverse("admin:reconciliation_invoice_changelist"), {"qonto": "differs"}
    )

    assert response.status_code == 200
    shown = [row.pk for row in response.context["cl"].result_list]
    assert shown == [wrong.pk]
    assert agreeing.pk not in shown


def test_the_status_page_counts_what_qonto_holds(workspace: Workspace) -> None:
    differing(workspace)
    make_invoice(workspace, status=InvoiceStatus.POSTED, qonto_agrees=True)
    make_invoice(workspace, status=InvoiceStatus.POSTED, qonto_origin=QontoOrigin.LINKED)

    response = client_for(workspace).get(reverse("admin:reconciliation-integration-status"))

    [status] = response.context["workspaces"]
    queues = status.queues
    assert (queues["differs_from_qonto"], queues["agreeing_with_qonto"]) == (1, 1)
    assert (queues["not_read_by_qonto"], queues["linked_to_qonto"]) == (1, 1)
    assert '<td class="well-differs-from-qonto"><a href=' in response.content.decode()


def candidate_invoice(workspace: Workspace) -> Invoice:
    connection = make_connection(workspace, Provider.QONTO)
    QontoSupplierInvoice.objects.create(
        workspace=workspace, connection=connection, qonto_id="si-mail", supplier_name="Acme"
    )
    return make_invoice(
        workspace,
        status=InvoiceStatus.NEEDS_REVIEW,
        qonto_probe={
            "outcome": "review",
            "threshold": 85,
            "candidates": [
                {
                    "qonto_id": "si-mail",
                    "score": 65,
                    "supplier_name": "Acme",
                    "total_amount": "119.00",
                    "currency": "EUR",
                    "invoice_number": "A-17-B",
                    "due_date": "",
                    "reasons": ["same amount (+35)", "same supplier name (+30)"],
                }
            ],
        },
    )


def test_the_candidates_are_shown_with_link_and_post_anyway(workspace: Workspace) -> None:
    invoice = candidate_invoice(workspace)

    page = invoice_page(client_for(workspace), invoice)

    link = reverse("admin:reconciliation-qonto-link", args=[invoice.pk, "si-mail"])
    post = reverse("admin:reconciliation-qonto-post-anyway", args=[invoice.pk])
    assert f'formaction="{link}"' in page
    assert f'formaction="{post}"' in page
    assert "same amount (+35); same supplier name (+30)" in page


def test_a_reviewer_links_from_the_invoice_page(workspace: Workspace) -> None:
    invoice = candidate_invoice(workspace)

    response = client_for(workspace).post(
        reverse("admin:reconciliation-qonto-link", args=[invoice.pk, "si-mail"])
    )

    assert response.status_code == 302
    invoice.refresh_from_db()
    assert (invoice.status, invoice.qonto_id, invoice.qonto_origin) == (
        InvoiceStatus.POSTED,
        "si-mail",
        QontoOrigin.LINKED,
    )
    assert Decision.objects.filter(invoice=invoice, action=DecisionAction.LINK_QONTO).count() == 1


def test_an_auditor_cannot_post_anyway(workspace: Workspace) -> None:
    invoice = candidate_invoice(workspace)

    response = client_for(workspace, Role.AUDITOR).post(
        reverse("admin:reconciliation-qonto-post-anyway", args=[invoice.pk])
    )

    assert response.status_code == 403
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.NEEDS_REVIEW
