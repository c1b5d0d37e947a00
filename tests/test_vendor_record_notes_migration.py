"""Migration 0029: notes stored by earlier versions that named the vendor record with its id
('… the vendor record “Acme SAS” (#12).') read as enrichment writes them now, in every
workspace; other notes, and other "(#…)", are left as they are."""

from __future__ import annotations

from importlib import import_module
from typing import Any

import pytest
from django.apps import apps

from reconciliation.models import Invoice
from reconciliation.models import Workspace
from tests.factories import make_invoice
from tests.factories import make_workspace

pytestmark = pytest.mark.django_db

migration = import_module("reconciliation.migrations.0029_vendor_record_notes_without_ids")


def _field(origin: str) -> dict[str, Any]:
    return {
        "value": "x",
        "confidence": 0.9,
        "source": "enriched",
        "evidence": None,
        "origin": origin,
    }


def _old_notes(workspace: Workspace, name: str, vendor_id: int) -> Invoice:
    record = f"vendor record “{name}” (#{vendor_id})"
    return make_invoice(
        workspace,
        fields={
            "supplier_iban": _field(f"Filled from the {record}."),
            "supplier_vat_id": _field(f"Read from the document; agrees with the {record}."),
        },
        confidence_components={
            "components": [
                {
                    "key": "conflict:supplier_vat_id",
                    "detail": f"The document's VAT id FR1 differs from the {record}: FR2.",
                },
                {"key": "conflict:vendor", "detail": "The IBAN X belongs to another vendor (#9)."},
            ],
            "conflicts": [{"field": "supplier_iban", "message": f"Conflicts with the {record}."}],
        },
    )


def _run() -> None:
    migration.drop_vendor_record_ids(apps, None)


def test_old_notes_name_the_vendor_record_by_its_name_alone(workspace: Workspace) -> None:
    invoice = _old_notes(workspace, "Acme SAS", 12)

    _run()

    invoice.refresh_from_db()
    assert {name: field["origin"] for name, field in invoice.fields.items()} == {
        "supplier_iban": "Filled from the vendor record “Acme SAS”.",
        "supplier_vat_id": "Read from the document; agrees with the vendor record “Acme SAS”.",
    }
    assert invoice.fields["supplier_iban"]["value"] == "x"
    assert invoice.confidence_components == {
        "components": [
            {
                "key": "conflict:supplier_vat_id",
                "detail": "The document's VAT id FR1 differs from the vendor record “Acme SAS”: "
                "FR2.",
            },
            {"key": "conflict:vendor", "detail": "The IBAN X belongs to another vendor (#9)."},
        ],
        "conflicts": [
            {"field": "supplier_iban", "message": "Conflicts with the vendor record “Acme SAS”."}
        ],
    }


def test_every_workspace_is_rewritten_in_batches(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(migration, "BATCH", 2)
    other = make_workspace("Other SAS")
    invoices = [
        _old_notes(workspace, "Acme SAS", 12),
        _old_notes(other, "Kontor (#3) GmbH", 3),
        _old_notes(workspace, "Acme SAS", 12),
        _old_notes(other, "Hotel Spreeblick GmbH", 7),
        _old_notes(workspace, "Hotel Spreeblick GmbH", 7),
    ]

    _run()

    origins = [
        Invoice.objects.get(pk=invoice.pk).fields["supplier_iban"]["origin"] for invoice in invoices
    ]
    assert origins == [
        "Filled from the vendor record “Acme SAS”.",
        "Filled from the vendor record “Kontor (#3) GmbH”.",
        "Filled from the vendor record “Acme SAS”.",
        "Filled from the vendor record “Hotel Spreeblick GmbH”.",
        "Filled from the vendor record “Hotel Spreeblick GmbH”.",
    ]


def test_notes_written_today_and_other_ids_are_left_as_they_are(workspace: Workspace) -> None:
    today = make_invoice(
        workspace,
        fields={"supplier_iban": _field("Filled from the vendor record “Acme SAS”.")},
        confidence_components={
            "components": [{"key": "rule", "detail": "rule “Big” (#3, priority 1)"}]
        },
    )
    before = (today.fields, today.confidence_components)

    _run()

    today.refresh_from_db()
    assert (today.fields, today.confidence_components) == before
