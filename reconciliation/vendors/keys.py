"""The vendor key index: every (kind, value) a document may name a vendor by.

`VendorKey` rows (indexed (workspace, kind, value)) are how vendor resolution finds a vendor
without scanning a workspace's vendors. Whoever creates or edits a vendor calls
`index_vendor(vendor=...)` afterwards so its keys follow.
"""

from __future__ import annotations

from reconciliation.models import Vendor
from reconciliation.models import VendorStatus
from reconciliation.models.vendor import VendorKey
from reconciliation.models.vendor import VendorKeyKind
from reconciliation.text.domains import is_shared_domain
from reconciliation.text.domains import normalize_domain
from reconciliation.text.identifiers import compact_vat_id
from reconciliation.text.identifiers import iban_key
from reconciliation.text.names import normalize_name


def is_distinctive(token: str) -> bool:
    """A name word rare enough to pick fuzzy candidates by (short words are everywhere)."""
    return len(token) >= 3 or token.isdigit()


def vendor_keys(vendor: Vendor) -> set[tuple[str, str]]:
    """Every (kind, value) a document could name this vendor by, including the identifiers
    of the vendors merged into it."""
    keys: set[tuple[str, str]] = set()
    for source in [vendor, *_merged_into(vendor)]:
        vat = compact_vat_id(source.vat_id)
        if vat:
            keys.add((VendorKeyKind.VAT_ID, vat))
        for raw in source.ibans or []:
            iban = iban_key(str(raw))
            if iban:
                keys.add((VendorKeyKind.IBAN, iban))
        domain = normalize_domain(source.domain)
        if domain and not is_shared_domain(domain):
            keys.add((VendorKeyKind.DOMAIN, domain))
        for raw_name in [source.name, source.legal_name, *(source.aliases or [])]:
            normalized = normalize_name(str(raw_name))
            if not normalized:
                continue
            keys.add((VendorKeyKind.NAME, normalized))
            keys.update(
                (VendorKeyKind.TOKEN, token)
                for token in normalized.split()
                if is_distinctive(token)
            )
    return {(str(kind), value[:300]) for kind, value in keys}


def _merged_into(vendor: Vendor) -> list[Vendor]:
    found: list[Vendor] = []
    frontier = [vendor.pk]
    while frontier and len(found) < 1000:
        batch = list(Vendor.objects.filter(merged_into_id__in=frontier))
        found.extend(batch)
        frontier = [v.pk for v in batch]
    return found


def index_vendor(*, vendor: Vendor) -> int:
    """Bring the vendor's lookup keys (and its normalised name) in line with its fields.
    Returns how many keys it now has."""
    normalized = normalize_name(vendor.name)
    if vendor.normalized_name != normalized:
        vendor.normalized_name = normalized
        Vendor.objects.filter(pk=vendor.pk).update(normalized_name=normalized)
    desired = vendor_keys(vendor) if vendor.status != VendorStatus.MERGED else set()
    existing = {
        (kind, value): pk
        for pk, kind, value in VendorKey.objects.filter(vendor=vendor).values_list(
            "pk", "kind", "value"
        )
    }
    stale = [pk for key, pk in existing.items() if key not in desired]
    if stale:
        VendorKey.objects.filter(pk__in=stale).delete()
    VendorKey.objects.bulk_create(
        [
            VendorKey(workspace_id=vendor.workspace_id, vendor=vendor, kind=kind, value=value)
            for kind, value in sorted(desired - set(existing))
        ],
        ignore_conflicts=True,
    )
    return len(desired)
