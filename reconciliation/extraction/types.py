"""The contract between the PDF engine (run in a child process) and the domain.

Everything here is plain data that round-trips through JSON, because an extraction is
computed in an isolated child process and shipped back to the worker as text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from decimal import Decimal
from typing import Any
from typing import Literal
from typing import Protocol

DocumentKind = Literal["invoice", "credit_note", "payment_confirmation", "wire_notice", "other"]
#: "auto" OCRs the pages without a usable text layer, "force" every page (the text layer is
#: ignored), "off" none.
OcrMode = Literal["auto", "force", "off"]
FieldSource = Literal["xml", "text", "learned", "enriched", "reviewer"]

#: Who sent the invoice, which one it is and when it is due: what every reader shows first.
HEADER_FIELDS: tuple[str, ...] = (
    "supplier_name",
    "supplier_vat_id",
    "supplier_iban",
    "supplier_domain",
    "invoice_number",
    "issue_date",
    "due_date",
)
#: The ten invoice fields the product extracts (and the benchmark scores).
INVOICE_FIELDS: tuple[str, ...] = (*HEADER_FIELDS, "total_amount", "tax_amount", "currency")
#: Extra fields read from payment confirmations and wire/remittance notices.
PAYMENT_FIELDS: tuple[str, ...] = (
    "amount",
    "currency",
    "execution_date",
    "beneficiary_name",
    "beneficiary_iban",
    "reference",
)
DATE_FIELDS = frozenset({"issue_date", "due_date", "execution_date"})
AMOUNT_FIELDS = frozenset({"total_amount", "tax_amount", "net_amount", "amount"})

#: What people read for an invoice's or a payment's fields (the review screen, the decisions'
#: before → after, the vendor's learned mapping, the correction's reason).
FIELD_LABELS: dict[str, str] = {
    "supplier_name": "Supplier",
    "supplier_vat_id": "VAT id",
    "supplier_iban": "IBAN",
    "supplier_domain": "Domain",
    "invoice_number": "Invoice number",
    "issue_date": "Issue date",
    "due_date": "Due date",
    "net_amount": "Net",
    "tax_amount": "Tax",
    "total_amount": "Total",
    "currency": "Currency",
    "ledger_account": "Ledger account",
    "amount": "Amount",
    "execution_date": "Execution date",
    "beneficiary_name": "Beneficiary",
    "beneficiary_iban": "Beneficiary IBAN",
    "reference": "Reference",
}


FieldValue = str | Decimal | date


@dataclass(frozen=True)
class Evidence:
    """Where a value was read: 1-based page, box in PDF points (x0, top, x1, bottom, origin
    top-left as pdfplumber reports it), and the source text it was read from."""

    page: int
    bbox: tuple[float, float, float, float] | None
    text: str


@dataclass(frozen=True)
class ExtractedField:
    name: str
    value: FieldValue
    confidence: float  # calibrated probability in [0, 1] that the value is right
    source: FieldSource
    evidence: Evidence | None = None
    #: A check-digit-valid reading of an OCR'd IBAN or VAT id that fails its check digits,
    #: one misread character away (O for 0, l for 1, ...). Offered to the reviewer, never
    #: applied: ``value`` stays what the page was read as.
    suggestion: str | None = None


class _Boxed(Protocol):
    @property
    def top(self) -> float: ...
    @property
    def bottom(self) -> float: ...


class WordRow:
    """A row of words (a line of the page) spans from its highest top to its lowest bottom."""

    words: Sequence[_Boxed]

    @property
    def top(self) -> float:
        return min(w.top for w in self.words)

    @property
    def bottom(self) -> float:
        return max(w.bottom for w in self.words)


@dataclass(frozen=True)
class Word:
    """One word of the text layer, kept so a reviewer's correction can be learned."""

    page: int
    text: str
    x0: float
    top: float
    x1: float
    bottom: float


@dataclass
class Extraction:
    kind: DocumentKind
    kind_confidence: float
    fields: dict[str, ExtractedField]
    page_count: int
    has_text_layer: bool
    language: str | None
    #: The lane: embedded XML, the text layer, OCR (some page had no usable text layer and
    #: was read by Tesseract), or none (nothing readable at all).
    source: Literal["xml", "text", "ocr", "none"]
    page_sizes: list[tuple[float, float]] = field(default_factory=list)  # (width, height) points
    words: list[Word] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    ocr_pages: list[int] = field(default_factory=list)  # 1-based pages read by OCR

    @property
    def readable(self) -> bool:
        """Text was found, in the text layer or by OCR: the document can be classified and
        routed by confidence like any other. ``has_text_layer`` alone says whether the PDF
        itself carries text."""
        return self.source != "none"

    def value(self, name: str) -> FieldValue | None:
        extracted = self.fields.get(name)
        return extracted.value if extracted else None

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "kind_confidence": round(self.kind_confidence, 4),
            "fields": {name: _field_to_json(f) for name, f in self.fields.items()},
            "page_count": self.page_count,
            "has_text_layer": self.has_text_layer,
            "language": self.language,
            "source": self.source,
            "page_sizes": [list(size) for size in self.page_sizes],
            "words": [[w.page, w.text, w.x0, w.top, w.x1, w.bottom] for w in self.words],
            "warnings": list(self.warnings),
            "ocr_pages": list(self.ocr_pages),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Extraction:
        return cls(
            kind=data["kind"],
            kind_confidence=float(data["kind_confidence"]),
            fields={name: _field_from_json(name, raw) for name, raw in data["fields"].items()},
            page_count=int(data["page_count"]),
            has_text_layer=bool(data["has_text_layer"]),
            language=data.get("language"),
            source=data["source"],
            page_sizes=[(float(w), float(h)) for w, h in data.get("page_sizes", [])],
            words=[
                Word(int(p), str(t), float(x0), float(top), float(x1), float(bottom))
                for p, t, x0, top, x1, bottom in data.get("words", [])
            ],
            warnings=list(data.get("warnings", [])),
            ocr_pages=[int(number) for number in data.get("ocr_pages", [])],
        )


def value_to_json(name: str, value: FieldValue) -> str:
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def value_from_json(name: str, raw: str) -> FieldValue:
    if name in DATE_FIELDS:
        return date.fromisoformat(raw)
    if name in AMOUNT_FIELDS:
        return Decimal(raw)
    return raw


def _field_to_json(f: ExtractedField) -> dict[str, Any]:
    evidence = None
    if f.evidence is not None:
        evidence = {
            "page": f.evidence.page,
            "bbox": list(f.evidence.bbox) if f.evidence.bbox else None,
            "text": f.evidence.text,
        }
    out: dict[str, Any] = {
        "value": value_to_json(f.name, f.value),
        "confidence": round(f.confidence, 4),
        "source": f.source,
        "evidence": evidence,
    }
    if f.suggestion is not None:
        out["suggestion"] = f.suggestion
    return out


def _field_from_json(name: str, raw: dict[str, Any]) -> ExtractedField:
    return ExtractedField(
        name=name,
        value=value_from_json(name, raw["value"]),
        confidence=float(raw["confidence"]),
        source=raw["source"],
        evidence=_evidence_from_json(raw.get("evidence")),
        suggestion=raw.get("suggestion"),
    )


def _evidence_from_json(raw: dict[str, Any] | None) -> Evidence | None:
    if raw is None:
        return None
    bbox = raw.get("bbox")
    return Evidence(
        page=int(raw["page"]),
        bbox=(float(bbox[0]), float(bbox[1]), float(bbox[2]), float(bbox[3])) if bbox else None,
        text=str(raw.get("text", "")),
    )
