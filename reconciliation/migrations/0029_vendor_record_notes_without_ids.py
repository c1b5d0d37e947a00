"""Invoices read before 78481a9 keep notes naming the vendor record with its internal id
('Filled from the vendor record “Acme SAS” (#12).'); enrichment writes them by the name alone
now. This rewrites the stored ones as enrichment writes them today, so the notes have one
shape and nothing has to clean them when they are shown: each field's "origin" in
Invoice.fields, and the conflict details in Invoice.confidence_components (the score's
components, and the older "conflicts" list). Every workspace's invoices, in batches of
BATCH; only rows that hold "(#" are read, only those that change are written. Going back
leaves the notes as they are (an id is never put back)."""

from __future__ import annotations

import re
from typing import Any

from django.db import migrations, models
from django.db.models.functions import Cast

BATCH = 500
#: How enrichment named the vendor record before: its name in quotes, then "(#<id>)".
_WITH_ID = re.compile(r"(vendor record “[^”]*”) \(#\d+\)")


def _without_ids(value: Any) -> Any:
    """`value` (a stored JSON value) with every old vendor-record note rewritten."""
    if isinstance(value, str):
        return _WITH_ID.sub(r"\1", value)
    if isinstance(value, list):
        return [_without_ids(item) for item in value]
    if isinstance(value, dict):
        return {key: _without_ids(item) for key, item in value.items()}
    return value


def drop_vendor_record_ids(apps: Any, schema_editor: Any) -> None:
    invoice_model = apps.get_model("reconciliation", "Invoice")
    noted = (
        invoice_model.objects.annotate(
            fields_text=Cast("fields", models.TextField()),
            components_text=Cast("confidence_components", models.TextField()),
        )
        .filter(models.Q(fields_text__contains="(#") | models.Q(components_text__contains="(#"))
        .order_by("pk")
    )
    last = 0
    while True:
        batch = list(
            noted.filter(pk__gt=last).values_list("pk", "fields", "confidence_components")[:BATCH]
        )
        if not batch:
            return
        for pk, fields, components in batch:
            cleaned = {
                "fields": _without_ids(fields),
                "confidence_components": _without_ids(components),
            }
            if cleaned != {"fields": fields, "confidence_components": components}:
                invoice_model.objects.filter(pk=pk).update(**cleaned)
        last = batch[-1][0]


class Migration(migrations.Migration):
    dependencies = [
        ("reconciliation", "0028_match_kind_labels"),
    ]

    operations = [migrations.RunPython(drop_vendor_record_ids, migrations.RunPython.noop)]
