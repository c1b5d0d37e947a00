"""An index in the order of the admin's match list (PostgreSQL only).

The match changelist orders by ``REVIEW_ORDER, kind, REVIEW_GROUP DESC NULLS LAST, rank, id``
(reconciliation/admin/matches.py). Without an index in that order PostgreSQL joins and sorts
every match of the workspace for each page: 2.4 s at 7,700 matches in bench-admin, 15 ms with
it. SQLite refuses NULLS LAST in an index, and a single-machine SQLite install never holds
that many matches, so the index is created on PostgreSQL only (hence SQL here, not Meta).
If the admin's ordering changes, change this index with it (bench-admin shows the plan).
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

INDEX = "match_review_order"
CREATE = f"""
CREATE INDEX IF NOT EXISTS {INDEX} ON reconciliation_match (
    workspace_id,
    (CASE WHEN (kind IN ('double_charge', 'double_payment') AND status = 'proposed') THEN 0
          WHEN status = 'proposed' THEN 1 ELSE 2 END),
    kind,
    (CASE WHEN kind = 'credit_receivable' THEN transaction_id ELSE document_id END)
        DESC NULLS LAST,
    rank,
    id
)
"""


def create(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("reconciliation", "0010_vendor_bank_details")]

    operations = [migrations.RunPython(create, drop)]
