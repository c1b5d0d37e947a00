"""Trigram indexes for the admin's searches (PostgreSQL only).

The admin searches with ``icontains``: PostgreSQL runs ``UPPER(column::text) LIKE UPPER('%term%')``,
which no b-tree serves; at 1,000,000 transactions each search read every row of the workspace.
A GIN index of ``pg_trgm`` on the same ``UPPER(column)`` answers it from the index (one per
searched column; PostgreSQL ORs them with a BitmapOr). SQLite has no such index and a
single-machine SQLite install never holds that many rows, so nothing happens there (hence SQL
here, not Meta). If an admin's ``search_fields`` change, change this list with them.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

#: Table → the columns its admin searches.
SEARCHED: dict[str, tuple[str, ...]] = {
    "reconciliation_document": ("original_name", "source_path", "content_hash"),
    "reconciliation_invoice": ("number", "supplier_name", "supplier_vat_id", "qonto_id"),
    "reconciliation_transaction": (
        "counterparty_name",
        "reference",
        "normalized_reference",
        "qonto_id",
    ),
}


def _names() -> list[tuple[str, str, str]]:
    return [
        (f"{table.removeprefix('reconciliation_')}_{column}_trgm", table, column)
        for table, columns in SEARCHED.items()
        for column in columns
    ]


def create(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table, column in _names():
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin (UPPER("{column}") '
            "gin_trgm_ops)"
        )


def drop(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _, _ in _names():
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("reconciliation", "0015_admin_list_order")]

    operations = [migrations.RunPython(create, drop)]
