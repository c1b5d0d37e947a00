"""Who sent a document, and what Well already knows about them.

The parsing step calls, right after extraction (see also `learning` and `scoring`)::

    resolution = enrichment.resolve_vendor(workspace=workspace, extraction=extraction)
    fields = extraction.fields
    if resolution.vendor is not None:
        learned = learning.apply_learned_mapping(
            vendor=resolution.vendor, words=extraction.words, page_sizes=extraction.page_sizes
        )
        fields = learning.combine_with_learned(extracted=fields, learned=learned).fields
    enriched = enrichment.enrich_fields(vendor=resolution.vendor, fields=fields)
    invoice.vendor = resolution.vendor
    invoice.fields = enriched.to_invoice_fields()  # + the typed columns from enriched.fields
    invoice.ledger_account = enriched.ledger_account
    score = scoring.score_invoice(invoice=invoice, extraction=extraction,
                                  resolution=resolution, enrichment=enriched,
                                  duplicate_suspected=...)
    scoring.route_invoice(invoice=invoice, score=score)

Vendors are found through `VendorKey` rows (indexed (workspace, kind, value)), never by
scanning a workspace's vendors. Whoever creates or edits a vendor outside this module
calls `index_vendor(vendor=...)` afterwards so its keys follow.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from django.db import IntegrityError, models, transaction
from rapidfuzz import fuzz

from reconciliation.extraction.types import ExtractedField, Extraction, value_to_json
from reconciliation.models import (
    Decision,
    DecisionAction,
    Invoice,
    InvoiceStatus,
    Vendor,
    VendorStatus,
    Workspace,
)
from reconciliation.models.audit import AppendOnlyQuerySet
from reconciliation.models.vendor import VendorKey, VendorKeyKind
from reconciliation.text.domains import is_shared_domain, normalize_domain
from reconciliation.text.folding import fold
from reconciliation.text.identifiers import compact_vat_id, normalize_iban, normalize_vat_id
from reconciliation.text.names import normalize_name

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

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
#: token_sort_ratio (0–100) from which two normalised names are the same company.
FUZZY_CUTOFF = 90.0
#: A name word shared by more vendors than this is too common to pick candidates with.
MAX_TOKEN_VENDORS = 200
#: Most vendors a fuzzy comparison looks at for one document.
MAX_CANDIDATES = 400
NAME_PREFIX_CHARS = 4
# Each key of the document that disagrees with the match weakens it by this much.
CONFLICT_PENALTY = 0.15
# Below this name similarity (0–100) a VAT id/IBAN/domain match is questioned.
MIN_NAME_AGREEMENT = 60.0
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

#: Confidence of a value taken from the vendor record: reviewed vendors are trusted more.
VENDOR_CONFIDENCE_ACTIVE = 0.95
VENDOR_CONFIDENCE_NEW = 0.6
#: A document value that contradicts the vendor's history keeps this share of its confidence.
CONFLICT_FACTOR = 0.6
POSTED_LIKE = (InvoiceStatus.APPROVED, InvoiceStatus.POSTING, InvoiceStatus.POSTED)
IDENTITY_FIELDS = ("supplier_name", "supplier_vat_id", "supplier_iban", "supplier_domain")
#: The Invoice column holding each extraction field.
INVOICE_COLUMNS: dict[str, str] = {
    "supplier_name": "supplier_name",
    "supplier_vat_id": "supplier_vat_id",
    "supplier_iban": "supplier_iban",
    "supplier_domain": "supplier_domain",
    "invoice_number": "number",
    "issue_date": "issue_date",
    "due_date": "due_date",
    "total_amount": "total_amount",
    "tax_amount": "tax_amount",
    "net_amount": "net_amount",
    "currency": "currency",
    "ledger_account": "ledger_account",
}
_TEXT_LIMITS = {"supplier_vat_id": 32, "supplier_iban": 34, "supplier_domain": 253, "number": 100}


# --- resolution ------------------------------------------------------------------------------


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
    name_similarity: float | None = None  # 0–100, for name matches
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
        conflicts = _conflicts(hits, kind, vendor.pk, identity)
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


def name_similarity(left: str, right: str) -> float:
    """0–100: how alike two normalised names are (word order and small typos forgiven)."""
    if not left or not right:
        return 0.0
    return float(max(fuzz.ratio(left, right), fuzz.token_sort_ratio(left, right)))


def _vendor_names(vendor: Vendor) -> list[str]:
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
        (max((name_similarity(normalized, n) for n in _vendor_names(v)), default=0.0), v)
        for v in vendors
    ]
    scored.sort(key=lambda pair: (-pair[0], pair[1].pk))
    best_score, best = scored[0]
    return best, (round(best_score, 1) if normalized else None)


def _conflicts(
    hits: dict[str, list[int]], matched_kind: str, vendor_id: int, identity: SupplierIdentity
) -> list[str]:
    """Stronger-or-equal evidence is what matched; weaker keys pointing at *other* vendors
    (and not at this one) are listed so a reviewer sees them."""
    order = [VendorKeyKind.VAT_ID, VendorKeyKind.IBAN, VendorKeyKind.DOMAIN]
    labels = {
        VendorKeyKind.VAT_ID: ("VAT id", identity.vat_id),
        VendorKeyKind.IBAN: ("IBAN", identity.iban),
        VendorKeyKind.DOMAIN: ("domain", identity.domain),
    }
    conflicts: list[str] = []
    for kind in order:
        if kind == matched_kind:
            continue
        others = [pk for pk in hits.get(kind, []) if pk != vendor_id]
        if others and vendor_id not in hits.get(kind, []):
            label, value = labels[kind]
            conflicts.append(f"The {label} {value} belongs to another vendor (#{others[0]}).")
    return conflicts


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
    strength = STRENGTH["fuzzy_min"] + span * (best_score - FUZZY_CUTOFF) / (100 - FUZZY_CUTOFF)
    return VendorResolution(
        vendor=vendors[0],
        matched_by="name",
        strength=round(min(strength, STRENGTH["name"] - 0.01), 4),
        created=False,
        matched_value=normalized,
        name_similarity=round(best_score, 1),
    )


def _candidate_vendor_ids(workspace_id: int, normalized: str) -> list[int]:
    """Vendors worth a fuzzy comparison: sharing a rare-enough name word, or whose name
    starts like this one. Both are range/equality lookups on the (workspace, kind, value)
    index; the result is capped."""
    keys = VendorKey.objects.for_workspace(workspace_id)
    tokens = sorted({token for token in normalized.split() if _is_distinctive(token)})
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


def _is_distinctive(token: str) -> bool:
    return len(token) >= 3 or token.isdigit()


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


# --- the key index ---------------------------------------------------------------------------


def vendor_keys(vendor: Vendor) -> set[tuple[str, str]]:
    """Every (kind, value) a document could name this vendor by, including the identifiers
    of the vendors merged into it."""
    keys: set[tuple[str, str]] = set()
    for source in [vendor, *_merged_into(vendor)]:
        vat = compact_vat_id(source.vat_id)
        if vat:
            keys.add((VendorKeyKind.VAT_ID, vat))
        for raw in source.ibans or []:
            iban = normalize_iban(str(raw)) or "".join(str(raw).split()).upper()
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
                if _is_distinctive(token)
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


# --- enrichment ------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldConflict:
    field: str
    document_value: str
    vendor_value: str
    message: str

    def to_json(self) -> dict[str, str]:
        return {
            "field": self.field,
            "document_value": self.document_value,
            "vendor_value": self.vendor_value,
            "message": self.message,
        }


@dataclass(frozen=True)
class EnrichmentResult:
    fields: dict[str, ExtractedField]
    origins: dict[str, str] = field(default_factory=dict)  # field -> where the value came from
    enriched: tuple[str, ...] = ()  # filled or replaced from the vendor's history
    confirmed: tuple[str, ...] = ()  # read from the document and agreeing with the history
    conflicts: tuple[FieldConflict, ...] = ()
    ledger_account: str = ""
    ledger_account_origin: str = ""

    def invoice_columns(self) -> dict[str, Any]:
        """The typed Invoice columns (amounts unsigned Decimal, dates, texts cut to size)."""
        columns: dict[str, Any] = {}
        for name, extracted in self.fields.items():
            column = INVOICE_COLUMNS.get(name)
            if column is None:
                continue
            value: Any = extracted.value
            if name in ("total_amount", "tax_amount", "net_amount"):
                value = abs(value) if isinstance(value, Decimal) else None
            elif name in ("issue_date", "due_date"):
                value = value if isinstance(value, date) else None
            elif name == "currency":
                value = str(value).upper()[:3]
            else:
                value = str(value)[: _TEXT_LIMITS.get(column, 300)]
            columns[column] = value
        if self.ledger_account:
            columns["ledger_account"] = self.ledger_account[:32]
        return columns

    def to_invoice_fields(self) -> dict[str, dict[str, Any]]:
        """`Invoice.fields`: {name: {value, confidence, source, evidence, origin}}."""
        out: dict[str, dict[str, Any]] = {}
        for name, extracted in self.fields.items():
            evidence = None
            if extracted.evidence is not None:
                bbox = extracted.evidence.bbox
                evidence = {
                    "page": extracted.evidence.page,
                    "bbox": [round(v, 2) for v in bbox] if bbox else None,
                    "text": extracted.evidence.text,
                }
            out[name] = {
                "value": value_to_json(name, extracted.value),
                "confidence": round(extracted.confidence, 4),
                "source": extracted.source,
                "evidence": evidence,
                "origin": self.origins.get(name, ""),
            }
        if self.ledger_account:
            out["ledger_account"] = {
                "value": self.ledger_account,
                "confidence": None,
                "source": "enriched",
                "evidence": None,
                "origin": self.ledger_account_origin,
            }
        return out


def vendor_confidence(vendor: Vendor) -> float:
    return (
        VENDOR_CONFIDENCE_ACTIVE if vendor.status == VendorStatus.ACTIVE else VENDOR_CONFIDENCE_NEW
    )


def _vendor_values(vendor: Vendor) -> dict[str, str]:
    ibans = [str(i) for i in vendor.ibans or [] if i]
    return {
        "supplier_name": vendor.legal_name or vendor.name,
        "supplier_vat_id": vendor.vat_id,
        "supplier_iban": ibans[0] if ibans else "",
        "supplier_domain": vendor.domain,
    }


def _agrees(field_name: str, document_value: str, vendor: Vendor, vendor_value: str) -> bool:
    if field_name == "supplier_name":
        normalized = normalize_name(document_value)
        return any(name_similarity(normalized, n) >= FUZZY_CUTOFF for n in _vendor_names(vendor))
    if field_name == "supplier_vat_id":
        return compact_vat_id(document_value) == compact_vat_id(vendor_value)
    if field_name == "supplier_iban":
        compact = normalize_iban(document_value) or "".join(document_value.split()).upper()
        known = {normalize_iban(str(i)) or str(i).upper() for i in vendor.ibans or []}
        return compact in known
    if field_name == "supplier_domain":
        return normalize_domain(document_value) == normalize_domain(vendor_value)
    return fold(document_value) == fold(vendor_value)


_LABELS = {
    "supplier_name": "supplier name",
    "supplier_vat_id": "VAT id",
    "supplier_iban": "IBAN",
    "supplier_domain": "domain",
}


def enrich_fields(*, vendor: Vendor | None, fields: dict[str, ExtractedField]) -> EnrichmentResult:
    """Fill what the document lacks from the vendor's history; check what it has against it.

    A value from the vendor never replaces a document value of higher confidence. A VAT id,
    IBAN or domain that contradicts the vendor's is a conflict: listed for the reviewer and
    the value kept (or replaced, if weaker) with lowered confidence.
    """
    if vendor is None:
        return EnrichmentResult(fields=dict(fields))
    out = dict(fields)
    origins: dict[str, str] = {}
    enriched: list[str] = []
    confirmed: list[str] = []
    conflicts: list[FieldConflict] = []
    trust = vendor_confidence(vendor)
    record = f"vendor record “{vendor.name}” (#{vendor.pk})"
    for name, vendor_value in _vendor_values(vendor).items():
        if not vendor_value:
            continue
        current = out.get(name)
        if current is None or not str(current.value).strip():
            out[name] = ExtractedField(name, vendor_value, trust, "enriched", None)
            origins[name] = f"Filled from the {record}."
            enriched.append(name)
            continue
        document_value = str(current.value)
        if _agrees(name, document_value, vendor, vendor_value):
            if trust > current.confidence:
                out[name] = ExtractedField(
                    name, current.value, trust, current.source, current.evidence
                )
            origins[name] = f"Read from the document; agrees with the {record}."
            confirmed.append(name)
            continue
        is_identifier = name != "supplier_name"
        if is_identifier:
            conflicts.append(
                FieldConflict(
                    field=name,
                    document_value=document_value,
                    vendor_value=vendor_value,
                    message=(
                        f"The document's {_LABELS[name]} {document_value} differs from the "
                        f"{record}: {vendor_value}."
                    ),
                )
            )
        if current.confidence >= trust:
            factor = CONFLICT_FACTOR if is_identifier else 1.0
            out[name] = ExtractedField(
                name, current.value, current.confidence * factor, current.source, current.evidence
            )
            origins[name] = "Read from the document" + (
                f"; conflicts with the {record}." if is_identifier else "."
            )
        else:
            factor = CONFLICT_FACTOR if is_identifier else 1.0
            out[name] = ExtractedField(name, vendor_value, trust * factor, "enriched", None)
            origins[name] = (
                f"Replaced from the {record}: the document's “{document_value}” was read with "
                f"lower confidence ({current.confidence:.0%})."
            )
            enriched.append(name)
    account, account_origin = ledger_account_for(vendor)
    return EnrichmentResult(
        fields=out,
        origins=origins,
        enriched=tuple(enriched),
        confirmed=tuple(confirmed),
        conflicts=tuple(conflicts),
        ledger_account=account,
        ledger_account_origin=account_origin,
    )


def ledger_account_for(vendor: Vendor) -> tuple[str, str]:
    """The account most used on the vendor's approved or posted invoices (ties: the lowest
    account number), else the vendor's own default. Returns (account, origin)."""
    top = (
        Invoice.objects.for_workspace(vendor.workspace_id)
        .filter(vendor=vendor, status__in=POSTED_LIKE)
        .exclude(ledger_account="")
        .values("ledger_account")
        .annotate(n=models.Count("id"))
        .order_by("-n", "ledger_account")
        .first()
    )
    if top is not None:
        count = top["n"]
        plural = "s" if count != 1 else ""
        return (
            str(top["ledger_account"]),
            f"Most used account on {count} approved invoice{plural} of “{vendor.name}”.",
        )
    if vendor.ledger_account:
        return vendor.ledger_account, f"Default account of the vendor “{vendor.name}”."
    return "", ""


# --- merging ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class MergeResult:
    survivor: Vendor
    duplicate: Vendor
    moved: dict[str, int]


class MergeError(Exception):
    """Two vendors that cannot be merged (other workspace, same vendor, already merged)."""


def _snapshot(vendor: Vendor) -> dict[str, Any]:
    return {
        "id": vendor.pk,
        "name": vendor.name,
        "legal_name": vendor.legal_name,
        "vat_id": vendor.vat_id,
        "domain": vendor.domain,
        "ibans": list(vendor.ibans or []),
        "aliases": list(vendor.aliases or []),
        "ledger_account": vendor.ledger_account,
        "status": vendor.status,
        "documents_seen": vendor.documents_seen,
        "documents_reviewed": vendor.documents_reviewed,
    }


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
        survivor.ibans = _unique(
            [normalize_iban(i) or "".join(i.split()).upper() for i in ibans], exclude=set()
        )
        duplicate_vat = duplicate.vat_id
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
            survivor.status = VendorStatus.ACTIVE

        duplicate.mark_as_merged_into(survivor)
        duplicate.save()
        # The VAT id moves only once the duplicate left the uniqueness constraint.
        if not survivor.vat_id and duplicate_vat:
            survivor.vat_id = duplicate_vat
        survivor.save()
        VendorKey.objects.filter(vendor=duplicate).delete()
        index_vendor(vendor=survivor)
        Decision.objects.create(
            workspace_id=survivor.workspace_id,
            action=DecisionAction.MERGE_VENDOR,
            actor_id=user.pk if user is not None else None,
            vendor=survivor,
            before=before,
            after={"survivor": _snapshot(survivor), "moved": moved},
            reason=f"Merged “{duplicate.name}” (#{duplicate.pk}) into “{survivor.name}” "
            f"(#{survivor.pk}).",
        )
    logger.info("vendors merged: %s into %s, moved %s", duplicate.pk, survivor.pk, moved)
    return MergeResult(survivor=survivor, duplicate=duplicate, moved=moved)


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
