"""Migration 0030: vendor conflict notes stored by earlier versions that named the other vendor
by its id ('The IBAN X belongs to another vendor (#9).') name it as resolution does now, by the
name of the vendor of that id in the invoice's own workspace, or by no name when it is gone;
other notes are left as they are."""

from __future__ import annotations

from importlib import import_module
from typing import Any

import pytest
from django.apps import apps

from reconciliation.models import Invoice
from reconciliation.models import Vendor
from reconciliation.models import Workspace
from tests.factories import make_invoice
from tests.factories import make_workspace

pytestmark = pytest.mark.django_db

migration = import_module("reconciliation.migrations.0030_vendor_conflict_notes_with_names")


def _vendor(workspace: Workspace, name: str) -> Vendor:
    return Vendor.objects.create(workspace=workspace, name=name)


def _old_notes(workspace: Workspace, *vendor_ids: int) -> Invoice:
    notes = [f"The IBAN X{pk} belongs to another vendor (#{pk})." for pk in vendor_ids]
    return make_invoice(
        workspace,
        confidence_components={
            "components": [{"key": "conflict:vendor", "detail": note} for note in notes],
            "conflicts": notes,
        },
    )


def _notes(invoice: Invoice) -> tuple[list[str], list[str]]:
    components: dict[str, Any] = Invoice.objects.get(pk=invoice.pk).confidence_components
    return [c["detail"] for c in components["components"]], components["conflicts"]


def _run() -> None:
    migration.name_conflicting_vendors(apps, None)


def test_old_notes_name_the_other_vendor(workspace: Workspace) -> None:
    nuage = _vendor(workspace, "Nuage Hébergement SAS")
    acme = _vendor(workspace, "Acme (#3) SAS")
    invoice = _old_notes(workspace, nuage.pk, acme.pk)

    _run()

    named = [
        f"The IBAN X{nuage.pk} belongs to another vendor, “Nuage Hébergement SAS”.",
        f"The IBAN X{acme.pk} belongs to another vendor, “Acme (#3) SAS”.",
    ]
    assert _notes(invoice) == (named, named)


def test_a_vendor_gone_or_of_another_workspace_is_not_named(workspace: Workspace) -> None:
    elsewhere = _vendor(make_workspace("Other SAS"), "Kontor GmbH")
    gone = _vendor(workspace, "Gone SARL")
    gone_pk = gone.pk
    gone.delete()
    invoice = _old_notes(workspace, elsewhere.pk, gone_pk)

    _run()

    unnamed = [
        f"The IBAN X{elsewhere.pk} belongs to another vendor.",
        f"The IBAN X{gone_pk} belongs to another vendor.",
    ]
    assert _notes(invoice) == (unnamed, unnamed)


def test_invoices_of_every_workspace_are_named_batch_by_batch(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = make_workspace("Other SAS")
    names = ["Acme SAS", "Hotel Spreeblick GmbH", "Nuage Hébergement SAS", "Kontor GmbH", "Acme"]
    vendors = [_vendor((workspace, other)[n % 2], name) for n, name in enumerate(names)]
    invoices = [_old_notes(vendor.workspace, vendor.pk) for vendor in vendors]
    monkeypatch.setattr(migration, "BATCH", 2)

    _run()

    assert [_notes(invoice)[0] for invoice in invoices] == [
        [f"The IBAN X{vendor.pk} belongs to another vendor, “{vendor.name}”."] for vendor in vendors
    ]


def test_notes_written_today_and_other_ids_are_left_as_they_are(workspace: Workspace) -> None:
    today = make_invoice(
        workspace,
        confidence_components={
            "components": [
                {
                    "key": "conflict:vendor",
                    "detail": "The IBAN X belongs to another vendor, “Acme (#3) SAS”.",
                },
                {"key": "rule", "detail": "rule “Big” (#3, priority 1)"},
            ]
        },
    )
    before = today.confidence_components

    _run()

    today.refresh_from_db()
    assert today.confidence_components == before
