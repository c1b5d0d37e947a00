"""Merging two vendors that are one company."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from typing import Any

from django.db import transaction

from reconciliation.models import Decision
from reconciliation.models import DecisionAction
from reconciliation.models import Vendor
from reconciliation.models import VendorStatus
from reconciliation.models.audit import AppendOnlyQuerySet
from reconciliation.models.vendor import VendorKey
from reconciliation.text.folding import fold
from reconciliation.text.identifiers import iban_key
from reconciliation.vendors.keys import index_vendor

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class MergeResult:
    survivor: Vendor
    duplicate: Vendor
    moved: dict[str, int]


class MergeError(Exception):
    """Two vendors that cannot be merged (other workspace, same vendor, already merged)."""


#: What the decision log records of each vendor of a merge, in this order.
_SNAPSHOT_FIELDS = (
    "id",
    "name",
    "legal_name",
    "vat_id",
    "domain",
    "ibans",
    "aliases",
    "ledger_account",
    "status",
    "documents_seen",
    "documents_reviewed",
)
_SNAPSHOT_VALUES: dict[str, Callable[[Any], Any]] = {
    "ibans": lambda ibans: list(ibans or []),
    "aliases": lambda aliases: list(aliases or []),
}


def _snapshot(vendor: Vendor) -> dict[str, Any]:
    return Decision.values_of(vendor, _SNAPSHOT_FIELDS, _SNAPSHOT_VALUES)


def _unique(values: list[str], *, exclude: set[str]) -> list[str]:
    seen = set(exclude)
    out: list[str] = []
    for value in values:
        key = fold(value).strip()
        if value and key not in seen:
            seen.add(key)
            out.append(value)
    return out


def merge_vendors(
    *, survivor: Vendor, duplicate: Vendor, user: AbstractBaseUser | None
) -> MergeResult:
    """Fold `duplicate` into `survivor`: invoices, routing rules, reviews and every other row
    pointing at it move over; names become aliases; IBANs, VAT id and domain are kept as
    lookup keys; learned mappings and counters are combined. The duplicate stays as a
    `merged` row so past decisions still name it, and a Decision records the merge."""
    if survivor.pk == duplicate.pk:
        raise MergeError("A vendor cannot be merged into itself.")
    if survivor.workspace_id != duplicate.workspace_id:
        raise MergeError("Vendors of different workspaces cannot be merged.")
    with transaction.atomic():
        locked = {
            v.pk: v
            for v in Vendor.objects.select_for_update().filter(pk__in=[survivor.pk, duplicate.pk])
        }
        survivor, duplicate = locked[survivor.pk], locked[duplicate.pk]
        if VendorStatus.MERGED in (survivor.status, duplicate.status):
            raise MergeError("A vendor that was already merged cannot be merged again.")
        before = {"survivor": _snapshot(survivor), "duplicate": _snapshot(duplicate)}
        moved = _move_related_rows(survivor, duplicate)
        duplicate_vat = duplicate.vat_id
        _combine(survivor, duplicate)
        duplicate.mark_as_merged_into(survivor)
        duplicate.save()
        # The VAT id moves only once the duplicate left the uniqueness constraint.
        if not survivor.vat_id and duplicate_vat:
            survivor.vat_id = duplicate_vat
        survivor.save()
        VendorKey.objects.filter(vendor=duplicate).delete()
        index_vendor(vendor=survivor)
        Decision.record(
            workspace=survivor.workspace_id,
            action=DecisionAction.MERGE_VENDOR,
            actor=user,
            vendor=survivor,
            before=before,
            after={"survivor": _snapshot(survivor), "moved": moved},
            reason=f"Merged “{duplicate.name}” (#{duplicate.pk}) into “{survivor.name}” "
            f"(#{survivor.pk}).",
        )
    logger.info("vendors merged: %s into %s, moved %s", duplicate.pk, survivor.pk, moved)
    return MergeResult(survivor=survivor, duplicate=duplicate, moved=moved)


def _combine(survivor: Vendor, duplicate: Vendor) -> None:
    """What the survivor takes from the duplicate (in memory; the VAT id aside): its names as
    aliases, its IBANs, what the survivor lacks, learned mappings and counters, and its
    reviewed status."""
    survivor_names = {fold(n).strip() for n in (survivor.name, survivor.legal_name) if n}
    survivor.aliases = _unique(
        [
            *[str(a) for a in survivor.aliases or []],
            duplicate.name,
            duplicate.legal_name,
            *[str(a) for a in duplicate.aliases or []],
        ],
        exclude=survivor_names,
    )
    ibans = [str(i) for i in [*(survivor.ibans or []), *(duplicate.ibans or [])]]
    survivor.ibans = _unique([iban_key(i) for i in ibans], exclude=set())
    survivor.legal_name = survivor.legal_name or duplicate.legal_name
    survivor.domain = survivor.domain or duplicate.domain
    survivor.ledger_account = survivor.ledger_account or duplicate.ledger_account
    survivor.tax_id = survivor.tax_id or duplicate.tax_id
    survivor.learned_mapping = {
        **(duplicate.learned_mapping or {}),
        **(survivor.learned_mapping or {}),
    }
    survivor.mapping_stats = _sum_stats(survivor.mapping_stats, duplicate.mapping_stats)
    survivor.documents_seen += duplicate.documents_seen
    survivor.documents_reviewed += duplicate.documents_reviewed
    if duplicate.status == VendorStatus.ACTIVE:
        survivor.mark_as_active()


def _move_related_rows(survivor: Vendor, duplicate: Vendor) -> dict[str, int]:
    """Re-point every foreign key to the duplicate, whoever's model it is (so rows added by
    later features move too). Append-only audit rows stay as written; keys are rebuilt."""
    moved: dict[str, int] = {}
    for relation in Vendor._meta.related_objects:
        if not relation.one_to_many:
            continue
        model = relation.related_model
        if model is VendorKey:
            continue
        manager = model._default_manager
        if isinstance(manager.all(), AppendOnlyQuerySet):
            continue
        field_name = relation.field.name
        count = manager.filter(**{field_name: duplicate}).update(**{field_name: survivor})
        if count:
            label = model._meta.model_name if field_name != "merged_into" else "merged_vendors"
            moved[str(label)] = moved.get(str(label), 0) + count
    return moved


def _sum_stats(left: dict[str, Any] | None, right: dict[str, Any] | None) -> dict[str, Any]:
    out: dict[str, Any] = {name: dict(values) for name, values in (left or {}).items()}
    for name, values in (right or {}).items():
        target = out.setdefault(name, {})
        for key, count in values.items():
            if isinstance(count, int):
                target[key] = int(target.get(key, 0)) + count
    return out
