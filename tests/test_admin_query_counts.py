"""Changelists must cost the same number of queries for 10 rows as for 500 (no N+1)."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

import pytest
from django.contrib import admin
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reconciliation.models import Connection
from reconciliation.models import Decision
from reconciliation.models import DecisionAction
from reconciliation.models import Match
from reconciliation.models import MatchKind
from reconciliation.models import PostAttempt
from reconciliation.models import Provider
from reconciliation.models import Receivable
from reconciliation.models import Role
from reconciliation.models import RoutingRule
from reconciliation.models import Side
from reconciliation.models import SyncKind
from reconciliation.models import SyncRun
from reconciliation.models import TenantModel
from reconciliation.models import Transaction
from reconciliation.models import TransactionStatus
from reconciliation.models import Workspace
from tests.factories import PASSWORD
from tests.factories import bulk_invoices
from tests.factories import make_connection
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def _populate(workspace: Workspace, start: int, stop: int) -> None:
    bank = Connection.objects.filter(workspace=workspace, provider=Provider.QONTO).first() or (
        make_connection(workspace, Provider.QONTO)
    )
    Connection.objects.bulk_create(
        Connection(workspace=workspace, provider=Provider.DROPBOX, watched_folder=f"/f{i}")
        for i in range(start, stop)
    )
    invoices = bulk_invoices(workspace, range(start, stop), document_fields={"connection": bank})
    documents = [invoice.document for invoice in invoices]
    vendors = [invoice.vendor for invoice in invoices]
    transactions = Transaction.objects.bulk_create(
        Transaction(
            workspace=workspace,
            connection=bank,
            qonto_id=f"tx-{i}",
            side=Side.DEBIT,
            status=TransactionStatus.COMPLETED,
            amount=Decimal("10.00"),
            currency="EUR",
            value_date=date(2026, 11, 1),
        )
        for i in range(start, stop)
    )
    Receivable.objects.bulk_create(
        Receivable(
            workspace=workspace, reference=f"R{i}", customer_name="C", amount=Decimal("5.00")
        )
        for i in range(start, stop)
    )
    Match.objects.bulk_create(
        Match(
            workspace=workspace,
            kind=MatchKind.CONFIRMATION_DEBIT,
            document=document,
            transaction=transaction,
        )
        for document, transaction in zip(documents, transactions, strict=True)
    )
    PostAttempt.objects.bulk_create(
        PostAttempt(
            workspace=workspace,
            invoice=invoice,
            batch_id=uuid.uuid4(),
            idempotency_key=invoice.idempotency_key,
        )
        for invoice in invoices
    )
    SyncRun.objects.bulk_create(
        SyncRun(workspace=workspace, connection=bank, kind=SyncKind.FILES)
        for _ in range(start, stop)
    )
    Decision.objects.bulk_create(
        Decision(workspace=workspace, action=DecisionAction.APPROVE, invoice=invoice)
        for invoice in invoices
    )
    RoutingRule.objects.bulk_create(
        RoutingRule(workspace=workspace, name=f"Rule {i}", vendor=vendor)
        for i, vendor in zip(range(start, stop), vendors, strict=True)
    )


def _changelist_queries(client: Client) -> dict[str, int]:
    counts = {}
    for model in admin.site._registry:
        if not issubclass(model, TenantModel):
            continue
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200, url
        counts[url] = len(queries)
    return counts


@pytest.mark.parametrize("role", [Role.REVIEWER])
def test_changelists_use_constant_queries(workspace: Workspace, role: Role) -> None:
    user = make_user(workspace=workspace, role=role)
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    _populate(workspace, 0, 10)
    small = _changelist_queries(client)
    _populate(workspace, 10, 500)
    large = _changelist_queries(client)
    assert large == small
    assert len(small) == 11
