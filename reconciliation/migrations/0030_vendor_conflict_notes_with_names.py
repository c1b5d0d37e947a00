"""Invoices read before 79a1605 keep vendor conflict notes naming the other vendor by its
internal id ('The IBAN X belongs to another vendor (#9).'); resolution names it by its name
now ('… belongs to another vendor, “Nuage Hébergement SAS”.'). This rewrites the stored ones
in Invoice.confidence_components (the "conflict:vendor" details, and the older "conflicts"
list) with the name of the vendor of that id in the invoice's own workspace, or as
'… belongs to another vendor.' when that vendor is gone. Every workspace's invoices, in
batches of BATCH (one vendor query a batch); only rows that hold an old note are read, only
those that change are written. Going back leaves the notes as they are (an id is never put
back)."""

from __future__ import annotations

import json
import re
from typing import Any

from django.db import migrations
from django.db import models
from django.db.models.functions import Cast

BATCH = 500
#: How resolution named the other vendor before: by its id.
_WITH_ID = re.compile(r"belongs to another vendor \(#(\d+)\)\.")


def _named(value: Any, names: dict[tuple[int, int], str], workspace: int) -> Any:
    """`value` (a stored JSON value of an invoice of `workspace`) with every old conflict
    note naming its vendor; `names` holds vendor names by (workspace id, vendor id)."""
    if isinstance(value, str):
        return _WITH_ID.sub(lambda found: _note(names.get((workspace, int(found[1])))), value)
    if isinstance(value, list):
        return [_named(item, names, workspace) for item in value]
    if isinstance(value, dict):
        return {key: _named(item, names, workspace) for key, item in value.items()}
    return value


def _note(name: str | None) -> str:
    return f"belongs to another vendor, “{name}”." if name else "belongs to another vendor."


def name_conflicting_vendors(apps: Any, schema_editor: Any) -> None:
    invoice_model = apps.get_model("reconciliation", "Invoice")
    vendors = apps.get_model("reconciliation", "Vendor").objects
    noted = (
        invoice_model.objects.annotate(text=Cast("confidence_components", models.TextField()))
        .filter(text__contains="another vendor (#")
        .order_by("pk")
        .values_list("pk", "workspace_id", "confidence_components")
    )
    last = 0
    while batch := list(noted.filter(pk__gt=last)[:BATCH]):
        ids = {int(pk) for row in batch for pk in _WITH_ID.findall(json.dumps(row[2]))}
        names = {
            (workspace, pk): name
            for pk, workspace, name in vendors.filter(pk__in=ids).values_list(
                "pk", "workspace_id", "name"
            )
        }
        for pk, workspace, components in batch:
            named = _named(components, names, workspace)
            if named != components:
                invoice_model.objects.filter(pk=pk).update(confidence_components=named)
        last = batch[-1][0]


class Migration(migrations.Migration):
    dependencies = [
        ("reconciliation", "0029_vendor_record_notes_without_ids"),
    ]

    operations = [migrations.RunPython(name_conflicting_vendors, migrations.RunPython.noop)]
