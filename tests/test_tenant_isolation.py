"""Crawl the whole admin as a member of workspace A: nothing of workspace B may ever show."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import models
from django.test import Client
from django.urls import reverse

from reconciliation.models import Decision
from reconciliation.models import DecisionAction
from reconciliation.models import Invoice
from reconciliation.models import MatchKind
from reconciliation.models import PostAttempt
from reconciliation.models import Role
from reconciliation.models import RoutingRule
from reconciliation.models import TenantModel
from reconciliation.models import Workspace
from tests.factories import make_connection
from tests.factories import make_document
from tests.factories import make_invoice
from tests.factories import make_match
from tests.factories import make_receivable
from tests.factories import make_sync_run
from tests.factories import make_transaction
from tests.factories import make_user
from tests.factories import make_vendor
from tests.factories import make_workspace
from tests.helpers import client_for
from tests.helpers import export_every_column
from tests.helpers import logged_in_client

pytestmark = pytest.mark.django_db


@dataclass
class Tenant:
    workspace: Workspace
    marker: str
    rows: dict[str, TenantModel]


def _fill(name: str) -> Tenant:
    marker = f"MARKER-{name}-{uuid.uuid4().hex[:6]}"
    workspace = make_workspace(f"Workspace {marker}")
    connection = make_connection(workspace, account_label=f"Dropbox {marker}")
    vendor = make_vendor(workspace, name=f"Vendor {marker}")
    document = make_document(workspace, original_name=f"{marker}.pdf", connection=connection)
    invoice = make_invoice(
        workspace, document=document, vendor=vendor, supplier_name=f"Supplier {marker}"
    )
    transaction = make_transaction(workspace, counterparty_name=f"Counterparty {marker}")
    receivable = make_receivable(workspace, customer_name=f"Customer {marker}")
    match = make_match(
        workspace,
        document=document,
        transaction=transaction,
        reasons=[f"reason {marker}"],
        kind=MatchKind.CONFIRMATION_DEBIT,
    )
    attempt = PostAttempt.objects.create(
        workspace=workspace,
        invoice=invoice,
        batch_id=uuid.uuid4(),
        idempotency_key=invoice.idempotency_key,
        error_detail=f"error {marker}",
    )
    sync_run = make_sync_run(workspace, connection, error=f"sync {marker}")
    decision = Decision.objects.create(
        workspace=workspace, action=DecisionAction.APPROVE, invoice=invoice, reason=f"ok {marker}"
    )
    rule = RoutingRule.objects.create(workspace=workspace, name=f"Rule {marker}", vendor=vendor)
    rows: dict[str, TenantModel] = {
        "connection": connection,
        "vendor": vendor,
        "document": document,
        "invoice": invoice,
        "transaction": transaction,
        "receivable": receivable,
        "match": match,
        "postattempt": attempt,
        "syncrun": sync_run,
        "decision": decision,
        "routingrule": rule,
    }
    return Tenant(workspace, marker, rows)


@pytest.fixture
def tenants() -> tuple[Tenant, Tenant]:
    return _fill("A"), _fill("B")


def _tenant_admins() -> list[tuple[type[models.Model], admin.ModelAdmin[Any]]]:
    return [
        (model, model_admin)
        for model, model_admin in admin.site._registry.items()
        if issubclass(model, TenantModel)
    ]


def _url(model: type[models.Model], view: str, *args: Any) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def _filter_params(model_admin: admin.ModelAdmin[Any], other: Tenant) -> list[str]:
    """Query strings for every list filter, pointed at the other workspace's rows."""
    params = []
    for entry in model_admin.list_filter:
        field_name = entry[0] if isinstance(entry, tuple) else entry
        if not isinstance(field_name, str):
            continue
        field = model_admin.model._meta.get_field(field_name)
        if field.is_relation:
            target = next(
                (row for row in other.rows.values() if isinstance(row, field.related_model)),
                None,
            )
            if target is not None:
                params.append(f"{field_name}__id__exact={target.pk}")
        else:
            value = getattr(next(iter(other.rows.values())), field_name, None)
            params.append(f"{field_name}__exact={value if value is not None else 'x'}")
    params.append(f"workspace={other.workspace.pk}")
    return params


@pytest.mark.postgres
@pytest.mark.parametrize("role", [Role.REVIEWER, Role.AUDITOR, Role.ADMIN])
def test_admin_never_shows_another_workspace(tenants: tuple[Tenant, Tenant], role: Role) -> None:
    mine, theirs = tenants
    client = client_for(mine.workspace, role)
    pages = 0
    for model, model_admin in _tenant_admins():
        changelist = _url(model, "changelist")
        response = client.get(changelist)
        assert response.status_code == 200, changelist
        body = response.content.decode()
        assert theirs.marker not in body
        pages += 1
        if model._meta.model_name in mine.rows and model not in (PostAttempt,):
            assert mine.marker in body or model._meta.model_name in {"match"}, changelist
        for query in [*_filter_params(model_admin, theirs), f"q={theirs.marker}"]:
            response = client.get(f"{changelist}?{query}")
            assert response.status_code in (200, 302), f"{changelist}?{query}"
            assert theirs.marker not in _without_echo(response.content.decode(), theirs.marker), (
                f"{changelist}?{query}"
            )
            pages += 1
        name = model._meta.model_name
        assert name is not None
        if name in mine.rows:
            own = mine.rows[name]
            response = client.get(_url(model, "change", own.pk))
            assert response.status_code == 200
            assert theirs.marker not in response.content.decode()
            other = theirs.rows[name]
            assert client.get(_url(model, "change", other.pk)).status_code == 404
            assert client.get(_url(model, "history", other.pk)).status_code == 404
            assert client.get(_url(model, "delete", other.pk)).status_code in (403, 404)
            pages += 4
        export = _export_csv(client, model)
        assert theirs.marker not in export
        pages += 1
    assert pages > 60


def _without_echo(body: str, term: str) -> str:
    """The page repeats a search term in its links and search box; that is not a leak."""
    return (
        body.replace(f"q={term}", "")
        .replace(f"q%3D{term}", "")
        .replace(f'value="{term}"', "")
        .replace(f"“{term}”", "")
    )


def _export_csv(client: Client, model: type[models.Model]) -> str:
    assert model._meta.app_label == "reconciliation", model
    response = export_every_column(client, str(model._meta.model_name))
    assert response["Content-Type"].startswith("text/csv"), response.content[:300]
    return str(response.content.decode())


def test_export_contains_own_rows(tenants: tuple[Tenant, Tenant]) -> None:
    mine, theirs = tenants
    client = client_for(mine.workspace, Role.AUDITOR)
    export = _export_csv(client, Invoice)
    assert f"Supplier {mine.marker}" in export
    assert theirs.marker not in export


def test_every_autocomplete_lists_only_own_rows(tenants: tuple[Tenant, Tenant]) -> None:
    mine, theirs = tenants
    client = client_for(mine.workspace, Role.REVIEWER)
    endpoints = [
        (model, field_name)
        for model, model_admin in admin.site._registry.items()
        for field_name in model_admin.autocomplete_fields
    ]
    assert endpoints  # the admin does use autocomplete somewhere
    for model, field_name in endpoints:
        response = client.get(
            reverse("admin:autocomplete"),
            {
                "app_label": model._meta.app_label,
                "model_name": model._meta.model_name,
                "field_name": field_name,
                "term": "MARKER",
            },
        )
        assert response.status_code == 200, (model, field_name)
        texts = [item["text"] for item in response.json()["results"]]
        assert texts, (model, field_name)
        assert all(mine.marker in text for text in texts), (model, field_name, texts)
        assert not any(theirs.marker in text for text in texts)


def test_pointing_a_row_at_another_workspace_vendor_is_refused(
    tenants: tuple[Tenant, Tenant],
) -> None:
    mine, theirs = tenants
    client = client_for(mine.workspace, Role.REVIEWER)
    invoice = mine.rows["invoice"]
    assert isinstance(invoice, Invoice)
    url = _url(Invoice, "change", invoice.pk)
    response = client.post(
        url,
        {
            "vendor": theirs.rows["vendor"].pk,
            "supplier_name": "Changed",
            "number": invoice.number,
            "currency": "EUR",
            "total_amount": "119.00",
            "post_attempts_log-TOTAL_FORMS": "0",
            "post_attempts_log-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200  # the form comes back with an error
    invoice.refresh_from_db()
    assert invoice.vendor_id == mine.rows["vendor"].pk
    assert invoice.supplier_name == f"Supplier {mine.marker}"


def test_member_of_both_cannot_mix_workspaces(tenants: tuple[Tenant, Tenant]) -> None:
    mine, theirs = tenants
    user = make_user(workspace=mine.workspace, role=Role.REVIEWER)
    theirs.workspace.memberships.create(user=user, role=Role.REVIEWER)
    invoice = mine.rows["invoice"]
    invoice.vendor = theirs.rows["vendor"]  # type: ignore[attr-defined]
    with pytest.raises(Exception, match="another workspace"):
        invoice.full_clean()


def test_auditor_cannot_change_anything(tenants: tuple[Tenant, Tenant]) -> None:
    mine, _ = tenants
    client = client_for(mine.workspace, Role.AUDITOR)
    invoice = mine.rows["invoice"]
    response = client.post(_url(Invoice, "change", invoice.pk), {"supplier_name": "Changed"})
    assert response.status_code == 403
    invoice.refresh_from_db()
    assert invoice.supplier_name == f"Supplier {mine.marker}"


def test_superuser_sees_every_workspace(tenants: tuple[Tenant, Tenant]) -> None:
    mine, theirs = tenants
    user = make_user(superuser=True)
    client = logged_in_client(user)
    body = client.get(_url(Invoice, "changelist")).content.decode()
    assert mine.marker in body
    assert theirs.marker in body


def test_amounts_use_decimal(tenants: tuple[Tenant, Tenant]) -> None:
    invoice = tenants[0].rows["invoice"]
    assert isinstance(invoice, Invoice)
    invoice.refresh_from_db()
    assert invoice.total_amount == Decimal("119.000")


def test_a_receivable_cannot_be_moved_to_another_workspace(
    tenants: tuple[Tenant, Tenant],
) -> None:
    mine, theirs = tenants
    user = make_user(workspace=mine.workspace, role=Role.ADMIN)
    theirs.workspace.memberships.create(user=user, role=Role.ADMIN)  # admin of both
    client = logged_in_client(user)
    receivable = mine.rows["receivable"]
    url = _url(type(receivable), "change", receivable.pk)
    assert 'name="workspace"' not in client.get(url).content.decode()
    client.post(
        url,
        {
            "workspace": theirs.workspace.pk,
            "reference": "R-1",
            "customer_name": "Moved",
            "amount": "10.00",
            "currency": "EUR",
        },
    )
    receivable.refresh_from_db()
    assert receivable.workspace_id == mine.workspace.pk


def test_every_tenant_change_form_shows_the_workspace_read_only(
    tenants: tuple[Tenant, Tenant],
) -> None:
    mine, _ = tenants
    user = make_user(superuser=True)
    client = logged_in_client(user)
    editable = []
    for model, _model_admin in _tenant_admins():
        row = next((r for r in mine.rows.values() if isinstance(r, model)), None)
        if row is None:
            continue
        body = client.get(_url(model, "change", row.pk)).content.decode()
        if re.search(r'<(select|input)[^>]*name="workspace"', body):
            editable.append(model.__name__)
    assert editable == []


@pytest.mark.parametrize("name", ["receivable", "invoice", "vendor", "match", "document"])
def test_the_model_refuses_to_move_a_row(tenants: tuple[Tenant, Tenant], name: str) -> None:
    mine, theirs = tenants
    row = type(mine.rows[name]).objects.get(pk=mine.rows[name].pk)
    row.workspace = theirs.workspace
    with pytest.raises(ValidationError, match="never moves to another workspace"):
        row.save()
    with pytest.raises(ValidationError, match="never moves to another workspace"):
        row.full_clean()
    assert type(row).objects.get(pk=row.pk).workspace_id == mine.workspace.pk
