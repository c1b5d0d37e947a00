"""Writing a page of Qonto rows into our mirror tables: only what Qonto changed since."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from reconciliation.models import QontoSupplierInvoice
from reconciliation.models import Transaction

_Row = TypeVar("_Row", Transaction, QontoSupplierInvoice)


def upsert_changed(
    model: type[_Row],
    workspace_id: int,
    rows: list[_Row],
    update_fields: Sequence[str],
    *,
    refresh_unstamped: bool = False,
) -> tuple[list[_Row], set[str]]:
    """Insert the rows we do not have and update those whose Qonto `updated_at` moved (with
    `refresh_unstamped`, also those we stored without one). Returns the rows written and the
    Qonto ids we already had."""
    existing = dict(
        model._default_manager.filter(
            workspace_id=workspace_id, qonto_id__in=[row.qonto_id for row in rows]
        ).values_list("qonto_id", "qonto_updated_at")
    )
    changed = [
        row
        for row in rows
        if row.qonto_id not in existing
        or (refresh_unstamped and existing[row.qonto_id] is None)
        or existing[row.qonto_id] != row.qonto_updated_at
    ]
    if changed:
        model._default_manager.bulk_create(
            changed,
            update_conflicts=True,
            unique_fields=["workspace", "qonto_id"],
            update_fields=list(update_fields),
        )
    return changed, set(existing)
