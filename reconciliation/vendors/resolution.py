"""Who sent a document: the vendor its identifiers and name point at, or a new one.

`resolve_vendor` is called by `reconciliation.invoices.creation` right after extraction. Keys
are tried strongest first: checksum-valid VAT id, valid IBAN, web domain (shared mail hosts
never count), exact normalised name, then a fuzzy name match over a candidate set picked by
indexed name words and name prefix. Vendors are found through `VendorKey` rows (indexed
(workspace, kind, value), kept by `reconciliation.vendors.keys.index_vendor`), never by scanning
a workspace's vendors.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from typing import Any
from typing import Literal

from django.db import IntegrityError
from django.db import models
from django.db import transaction

from reconciliation.extraction.types import ExtractedField
from reconciliation.extraction.types import Extraction
from reconciliation.models import Vendor
from reconciliation.models import VendorStatus
from reconciliation.models import Workspace
from reconciliation.models.vendor import VendorKey
from reconciliation.models.vendor import VendorKeyKind
from reconciliation.text.domains import is_shared_domain
from reconciliation.text.domains import normalize_domain
from reconciliation.text.identifiers import normalize_iban
from reconciliation.text.identifiers import normalize_vat_id
from reconciliation.text.names import name_similarity
from reconciliation.text.names import normalize_name
from reconciliation.vendors.keys import index_vendor
from reconciliation.vendors.keys import is_distinctive

logger = logging.getLogger(__name__)

MatchedBy = Literal["vat_id", "iban", "domain", "name", "new", "none"]

#: How sure a resolution is, by the key that matched (fuzzy names scale between the two
#: name values with their similarity).
STRENGTH: dict[str, float] = {
    "vat_id": 1.0,
    "iban": 0.95,
    "domain": 0.85,
    "name": 0.8,
    "fuzzy_min": 0.6,
    "new": 0.3,
    "none": 0.0,
}
#: Name similarity (0–1, `text.names.name_similarity`) from which two names are one company.
FUZZY_CUTOFF = 0.9
#: A name word shared by more vendors than this is too common to pick candidates with.
MAX_TOKEN_VENDORS = 200
#: Most vendors a fuzzy comparison looks at for one document.
MAX_CANDIDATES = 400
NAME_PREFIX_CHARS = 4
# Each key of the document that disagrees with the match weakens it by this much.
CONFLICT_PENALTY = 0.15
# Below this name similarity (0–1) a VAT id/IBAN/domain match is questioned.
MIN_NAME_AGREEMENT = 0.6
_MATCHED_BY: dict[str, MatchedBy] = {
    VendorKeyKind.VAT_ID: "vat_id",
    VendorKeyKind.IBAN: "iban",
    VendorKeyKind.DOMAIN: "domain",
    VendorKeyKind.NAME: "name",
}
_KIND_LABELS: dict[str, str] = {
    VendorKeyKind.VAT_ID: "VAT id",
    VendorKeyKind.IBAN: "IBAN",
    VendorKeyKind.DOMAIN: "domain",
    VendorKeyKind.NAME: "name",
}
#: How a vendor was found, as people read it ("found by its VAT id").
MATCHED_BY_LABELS: dict[str, str] = {
    _MATCHED_BY[kind]: label for kind, label in _KIND_LABELS.items()
}


@dataclass(frozen=True)
class SupplierIdentity:
    """What a document says about its sender, normalised for lookups."""

    name: str = ""
    normalized_name: str = ""
    vat_id: str | None = None
    iban: str | None = None
    domain: str | None = None

    @property
    def is_empty(self) -> bool:
        return not (self.normalized_name or self.vat_id or self.iban or self.domain)


@dataclass(frozen=True)
class VendorResolution:
    vendor: Vendor | None
    matched_by: MatchedBy
    strength: float  # in [0, 1]: how sure we are that this is the sender
    created: bool
    matched_value: str = ""
    name_similarity: float | None = None  # 0–1, for name matches
    conflicts: tuple[str, ...] = ()  # other keys of the document that point elsewhere

    def to_json(self) -> dict[str, Any]:
        return {
            "vendor": self.vendor.pk if self.vendor else None,
            "matched_by": self.matched_by,
            "strength": round(self.strength, 4),
            "created": self.created,
            "matched_value": self.matched_value,
            "name_similarity": self.name_similarity,
            "conflicts": list(self.conflicts),
        }


def identity_from_fields(fields: dict[str, ExtractedField]) -> SupplierIdentity:
    def text(name: str) -> str:
        extracted = fields.get(name)
        return str(extracted.value).strip() if extracted is not None else ""

    domain = normalize_domain(text("supplier_domain"))
    name = text("supplier_name")
    return SupplierIdentity(
        name=name,
        normalized_name=normalize_name(name),
        vat_id=normalize_vat_id(text("supplier_vat_id")),
        iban=normalize_iban(text("supplier_iban")),
        domain=None if is_shared_domain(domain) else domain,
    )


def resolve_vendor(*, workspace: Workspace, extraction: Extraction) -> VendorResolution:
    """Find the vendor that sent this document, or create one in `needs_review`.

    Keys are tried strongest first: checksum-valid VAT id, valid IBAN, web domain (shared
    mail hosts never count), exact normalised name, then a fuzzy name match over a candidate
    set picked by indexed name words and name prefix. The vendor's `documents_seen` grows by
    one.
    """
    identity = identity_from_fields(extraction.fields)
    if identity.is_empty:
        return VendorResolution(vendor=None, matched_by="none", strength=0.0, created=False)
    resolution = _find_existing(workspace.pk, identity)
    if resolution is None:
        resolution = _create_vendor(workspace, identity)
    vendor = resolution.vendor
    if vendor is not None:
        Vendor.objects.filter(pk=vendor.pk).update(documents_seen=models.F("documents_seen") + 1)
        vendor.refresh_from_db(fields=["documents_seen"])
    logger.info(
        "vendor resolved: workspace=%s vendor=%s by=%s strength=%.2f conflicts=%s",
        workspace.pk,
        vendor.pk if vendor else None,
        resolution.matched_by,
        resolution.strength,
        list(resolution.conflicts),
    )
    return resolution


def _find_existing(workspace_id: int, identity: SupplierIdentity) -> VendorResolution | None:
    hits = _exact_hits(workspace_id, identity)
    for kind, value in (
        (VendorKeyKind.VAT_ID, identity.vat_id),
        (VendorKeyKind.IBAN, identity.iban),
        (VendorKeyKind.DOMAIN, identity.domain),
        (VendorKeyKind.NAME, identity.normalized_name),
    ):
        vendor_ids = hits.get(kind, [])
        if not value or not vendor_ids:
            continue
        vendors = _usable_vendors(vendor_ids)
        if not vendors:
            continue
        vendor, similarity = _best_by_name(vendors, identity.normalized_name)
        conflicts = _conflicts(workspace_id, hits, kind, vendor.pk, identity)
        if (
            similarity is not None
            and similarity < MIN_NAME_AGREEMENT
            and kind != VendorKeyKind.NAME
        ):
            conflicts.append(
                f"The document's supplier name “{identity.name}” does not look like "
                f"“{vendor.name}”, found by its {_KIND_LABELS[kind]}."
            )
        matched_by = _MATCHED_BY[kind]
        strength = STRENGTH[matched_by]
        if len(vendors) > 1:
            # A shared IBAN (factoring, payment provider) or domain: the name decided.
            strength -= CONFLICT_PENALTY
        strength = max(0.0, strength - CONFLICT_PENALTY * len(conflicts))
        return VendorResolution(
            vendor=vendor,
            matched_by=matched_by,
            strength=round(strength, 4),
            created=False,
            matched_value=value,
            name_similarity=similarity,
            conflicts=tuple(conflicts),
        )
    return _fuzzy_match(workspace_id, identity)


def _exact_hits(workspace_id: int, identity: SupplierIdentity) -> dict[str, list[int]]:
    """One indexed query for every exact key of the document: {kind: [vendor ids]}."""
    condition = models.Q()
    for kind, value in (
        (VendorKeyKind.VAT_ID, identity.vat_id),
        (VendorKeyKind.IBAN, identity.iban),
        (VendorKeyKind.DOMAIN, identity.domain),
        (VendorKeyKind.NAME, identity.normalized_name),
    ):
        if value:
            condition |= models.Q(kind=kind, value=value)
    hits: dict[str, list[int]] = defaultdict(list)
    if not condition:
        return hits
    rows = (
        VendorKey.objects.for_workspace(workspace_id)
        .filter(condition)
        .values_list("kind", "vendor_id")
        .order_by("vendor_id")
    )
    for row_kind, vendor_id in rows:
        hits[row_kind].append(vendor_id)
    return hits


def _usable_vendors(vendor_ids: list[int]) -> list[Vendor]:
    vendors = list(Vendor.objects.filter(pk__in=vendor_ids).order_by("pk"))
    # Keys of a merged vendor are moved to the survivor; follow the chain if one was missed.
    resolved: dict[int, Vendor] = {}
    for vendor in vendors:
        current = vendor
        hops = 0
        while current.status == VendorStatus.MERGED and current.merged_into_id and hops < 10:
            current = Vendor.objects.get(pk=current.merged_into_id)
            hops += 1
        if current.status != VendorStatus.MERGED:
            resolved[current.pk] = current
    return list(resolved.values())


def vendor_names(vendor: Vendor) -> list[str]:
    """The normalised names a vendor goes by: name, legal name, aliases."""
    names = [
        vendor.normalized_name or normalize_name(vendor.name),
        normalize_name(vendor.legal_name),
    ]
    names += [normalize_name(str(alias)) for alias in vendor.aliases or []]
    return [name for name in names if name]


def _best_by_name(vendors: list[Vendor], normalized: str) -> tuple[Vendor, float | None]:
    if len(vendors) == 1 and not normalized:
        return vendors[0], None
    scored = [
        (max((name_similarity(normalized, n) for n in vendor_names(v)), default=0.0), v)
        for v in vendors
    ]
    scored.sort(key=lambda pair: (-pair[0], pair[1].pk))
    best_score, best = scored[0]
    return best, (round(best_score, 3) if normalized else None)


def _conflicts(
    workspace_id: int,
    hits: dict[str, list[int]],
    matched_kind: str,
    vendor_id: int,
    identity: SupplierIdentity,
) -> list[str]:
    """Stronger-or-equal evidence is what matched; weaker keys pointing at *other* vendors
    (and not at this one) are listed so a reviewer sees them, naming the other vendor (one
    query for all of them, only when there is one)."""
    order = [VendorKeyKind.VAT_ID, VendorKeyKind.IBAN, VendorKeyKind.DOMAIN]
    labels = {
        VendorKeyKind.VAT_ID: ("VAT id", identity.vat_id),
        VendorKeyKind.IBAN: ("IBAN", identity.iban),
        VendorKeyKind.DOMAIN: ("domain", identity.domain),
    }
    found: list[tuple[str, str | None, int]] = []
    for kind in order:
        if kind == matched_kind:
            continue
        others = [pk for pk in hits.get(kind, []) if pk != vendor_id]
        if others and vendor_id not in hits.get(kind, []):
            found.append((*labels[kind], others[0]))
    if not found:
        return []
    names = dict(
        Vendor.objects.for_workspace(workspace_id)
        .filter(pk__in={other for _, _, other in found})
        .values_list("pk", "name")
    )
    return [
        f"The {label} {value} belongs to {_another_vendor(names.get(other))}."
        for label, value, other in found
    ]


def _another_vendor(name: str | None) -> str:
    """How a conflict note names the vendor a key belongs to: by its name (the reviewer's
    word for it; its id is nobody's), or without one when it is gone."""
    return f"another vendor, “{name}”" if name else "another vendor"


def _fuzzy_match(workspace_id: int, identity: SupplierIdentity) -> VendorResolution | None:
    normalized = identity.normalized_name
    if not normalized:
        return None
    candidate_ids = _candidate_vendor_ids(workspace_id, normalized)
    if not candidate_ids:
        return None
    names: dict[int, list[str]] = defaultdict(list)
    for vendor_id, value in VendorKey.objects.filter(
        vendor_id__in=candidate_ids, kind=VendorKeyKind.NAME
    ).values_list("vendor_id", "value"):
        names[vendor_id].append(value)
    best_id, best_score = 0, 0.0
    for vendor_id in sorted(names):
        score = max(name_similarity(normalized, name) for name in names[vendor_id])
        if score > best_score:
            best_id, best_score = vendor_id, score
    if best_score < FUZZY_CUTOFF:
        return None
    vendors = _usable_vendors([best_id])
    if not vendors:
        return None
    span = STRENGTH["name"] - STRENGTH["fuzzy_min"]
    strength = STRENGTH["fuzzy_min"] + span * (best_score - FUZZY_CUTOFF) / (1 - FUZZY_CUTOFF)
    return VendorResolution(
        vendor=vendors[0],
        matched_by="name",
        strength=round(min(strength, STRENGTH["name"] - 0.01), 4),
        created=False,
        matched_value=normalized,
        name_similarity=round(best_score, 3),
    )


def _candidate_vendor_ids(workspace_id: int, normalized: str) -> list[int]:
    """Vendors worth a fuzzy comparison: sharing a rare-enough name word, or whose name
    starts like this one. Both are range/equality lookups on the (workspace, kind, value)
    index; the result is capped."""
    keys = VendorKey.objects.for_workspace(workspace_id)
    tokens = sorted({token for token in normalized.split() if is_distinctive(token)})
    candidate_ids: set[int] = set()
    if tokens:
        counts = dict(
            keys.filter(kind=VendorKeyKind.TOKEN, value__in=tokens)
            .values_list("value")
            .annotate(n=models.Count("id"))
            .values_list("value", "n")
        )
        usable = sorted(
            (token for token in tokens if 0 < counts.get(token, 0) <= MAX_TOKEN_VENDORS),
            key=lambda token: (counts[token], token),
        )[:3]
        if usable:
            candidate_ids.update(
                keys.filter(kind=VendorKeyKind.TOKEN, value__in=usable).values_list(
                    "vendor_id", flat=True
                )[:MAX_CANDIDATES]
            )
    prefix = normalized[:NAME_PREFIX_CHARS]
    candidate_ids.update(
        keys.filter(
            kind=VendorKeyKind.NAME, value__gte=prefix, value__lt=prefix + "\U0010ffff"
        ).values_list("vendor_id", flat=True)[:MAX_CANDIDATES]
    )
    return sorted(candidate_ids)[: MAX_CANDIDATES * 2]


def _create_vendor(workspace: Workspace, identity: SupplierIdentity) -> VendorResolution:
    name = identity.name or identity.domain or identity.vat_id or identity.iban or ""
    with transaction.atomic():
        # Serialise creations per workspace so two documents of one new supplier parsed at
        # once do not make two vendors; the lookup is repeated under the lock.
        Workspace.objects.select_for_update().filter(pk=workspace.pk).first()
        existing = _find_existing(workspace.pk, identity)
        if existing is not None:
            return existing
        vendor = Vendor(
            workspace=workspace,
            name=name[:300],
            normalized_name=identity.normalized_name,
            vat_id=identity.vat_id or "",
            domain=identity.domain or "",
            ibans=[identity.iban] if identity.iban else [],
            status=VendorStatus.NEEDS_REVIEW,
        )
        try:
            with transaction.atomic():
                vendor.save()
        except IntegrityError:
            # Another worker created the vendor with this VAT id between our look and write.
            existing = _find_existing(workspace.pk, identity)
            if existing is None:
                raise
            return existing
        index_vendor(vendor=vendor)
    return VendorResolution(
        vendor=vendor,
        matched_by="new",
        strength=STRENGTH["new"],
        created=True,
        matched_value=identity.normalized_name,
    )
