from __future__ import annotations

from typing import Self

from django.db import models

from reconciliation.models.base import IllegalTransitionError
from reconciliation.models.base import TenantModel
from reconciliation.models.base import TenantQuerySet
from reconciliation.models.base import optional_link
from reconciliation.models.connection import Connection


class DocumentKind(models.TextChoices):
    UNKNOWN = "unknown", "Not classified yet"
    INVOICE = "invoice", "Supplier invoice"
    CREDIT_NOTE = "credit_note", "Credit note"
    PAYMENT_CONFIRMATION = "payment_confirmation", "Payment confirmation"
    WIRE_NOTICE = "wire_notice", "Wire / remittance notice"
    OTHER = "other", "Other"


INVOICE_KINDS = (DocumentKind.INVOICE, DocumentKind.CREDIT_NOTE)
PAYMENT_KINDS = (DocumentKind.PAYMENT_CONFIRMATION, DocumentKind.WIRE_NOTICE)


class DocumentStatus(models.TextChoices):
    NEW = "new", "New"
    PARSING = "parsing", "Parsing"
    PARSED = "parsed", "Parsed"
    FAILED = "failed", "Failed"
    DUPLICATE = "duplicate", "Duplicate"
    IGNORED = "ignored", "Ignored"


_DOCUMENT_TRANSITIONS: dict[str, set[str]] = {
    DocumentStatus.NEW: {
        DocumentStatus.PARSING,
        DocumentStatus.FAILED,
        DocumentStatus.IGNORED,
        DocumentStatus.DUPLICATE,
    },
    DocumentStatus.PARSING: {
        DocumentStatus.PARSED,
        DocumentStatus.FAILED,
        DocumentStatus.DUPLICATE,
        DocumentStatus.NEW,  # a lease that expired goes back to the queue
    },
    DocumentStatus.PARSED: {DocumentStatus.DUPLICATE, DocumentStatus.PARSING},
    DocumentStatus.FAILED: {DocumentStatus.PARSING, DocumentStatus.NEW},
    # "Not a duplicate": read again as a document of its own.
    DocumentStatus.DUPLICATE: {DocumentStatus.NEW},
    DocumentStatus.IGNORED: set(),
}


class DocumentQuerySet(TenantQuerySet["Document"]):
    def failed(self) -> Self:
        return self.filter(status=DocumentStatus.FAILED)

    def payments(self) -> Self:
        return self.filter(kind__in=PAYMENT_KINDS, status=DocumentStatus.PARSED)


def document_upload_to(instance: Document, filename: str) -> str:
    return (
        f"documents/{instance.workspace_id}/{instance.content_hash[:2]}/{instance.content_hash}.pdf"
    )


class Document(TenantModel):
    """One file seen in a watched folder, stored once per (source id, content)."""

    connection = optional_link(Connection, related_name="documents")
    source_file_id = models.CharField(max_length=300)
    source_path = models.CharField(max_length=1000, blank=True)
    source_revision = models.CharField(max_length=200, blank=True)
    original_name = models.CharField(max_length=500)
    content_hash = models.CharField(max_length=64, help_text="SHA-256 of the file's bytes.")
    size = models.PositiveBigIntegerField(default=0)
    mime_type = models.CharField(max_length=100, blank=True)
    file = models.FileField(upload_to=document_upload_to, max_length=300, blank=True)

    kind = models.CharField(
        max_length=24, choices=DocumentKind.choices, default=DocumentKind.UNKNOWN
    )
    kind_confidence = models.DecimalField(max_digits=5, decimal_places=4, null=True, blank=True)
    status = models.CharField(
        max_length=16, choices=DocumentStatus.choices, default=DocumentStatus.NEW
    )
    status_reason = models.TextField(blank=True, help_text="Why it failed or was ignored.")
    failure_code = models.CharField(max_length=40, blank=True)
    duplicate_of = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="duplicates"
    )

    page_count = models.PositiveIntegerField(null=True, blank=True)
    has_text_layer = models.BooleanField(null=True, blank=True)
    language = models.CharField(max_length=8, blank=True)
    # The engine's answer as JSON (fields with confidence + evidence, page sizes, warnings).
    extraction = models.JSONField(default=dict, blank=True)
    # Words with positions, kept so a reviewer's correction can be learned from this layout.
    words = models.JSONField(default=list, blank=True)

    is_not_duplicate = models.BooleanField(
        default=False,
        help_text="A person said it is not a duplicate: it is read as a document of its own.",
    )
    review_reason = models.TextField(
        blank=True,
        help_text="Why a person must look at this document although it has no invoice to "
        "decide (a payment with no debit, a customer's advice nothing fits).",
    )

    parse_attempts = models.PositiveSmallIntegerField(default=0)
    parse_lease_until = models.DateTimeField(null=True, blank=True, editable=False)
    received_at = models.DateTimeField(auto_now_add=True)
    parsed_at = models.DateTimeField(null=True, blank=True)

    objects = DocumentQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "source_file_id", "content_hash"],
                name="document_unique_source_content",
            )
        ]
        indexes = [
            models.Index(fields=["workspace", "status"]),
            models.Index(fields=["workspace", "content_hash"]),
            models.Index(fields=["workspace", "kind", "status"]),
            # The admin's list, newest first, a page at a time.
            models.Index(fields=["workspace", "received_at", "id"], name="document_received_order"),
            # The few documents sent to review without an invoice (the review queue).
            models.Index(
                fields=["workspace"],
                condition=~models.Q(review_reason=""),
                name="document_review_reason",
            ),
        ]

    def __str__(self) -> str:
        return self.original_name

    def _move_to(self, target: DocumentStatus) -> None:
        if target not in _DOCUMENT_TRANSITIONS[self.status]:
            raise IllegalTransitionError("document", self.status, target)
        self.status = target

    def mark_as_parsing(self) -> None:
        self._move_to(DocumentStatus.PARSING)
        self.parse_attempts += 1

    def mark_as_parsed(self) -> None:
        self._move_to(DocumentStatus.PARSED)
        self.status_reason = ""
        self.failure_code = ""

    def mark_as_failed(self, code: str, reason: str) -> None:
        self._move_to(DocumentStatus.FAILED)
        self.failure_code = code[:40]
        self.status_reason = reason

    def mark_as_duplicate_of(self, original: Document, reason: str) -> None:
        if original.pk == self.pk:
            raise IllegalTransitionError("document", self.status, "duplicate of itself")
        self._move_to(DocumentStatus.DUPLICATE)
        self.duplicate_of = original
        self.status_reason = reason

    def mark_as_not_duplicate(self) -> None:
        """A person's override: the document is read again as one of its own (the forwarded
        copy check does not set it aside a second time)."""
        self._move_to(DocumentStatus.NEW)
        self.is_not_duplicate = True
        self.duplicate_of = None
        self.status_reason = ""
        self.failure_code = ""
        self.parse_attempts = 0

    @property
    def can_read_again(self) -> bool:
        return self.status == DocumentStatus.FAILED and bool(self.file)

    def read_again(self) -> None:
        """An unreadable document goes back to the reader (after a limit was raised or the
        reader upgraded), with a fresh count of attempts."""
        self._move_to(DocumentStatus.NEW)
        self.status_reason = ""
        self.failure_code = ""
        self.parse_attempts = 0

    def release_to_queue(self) -> None:
        """A document whose reader stopped without an answer waits to be read again."""
        self._move_to(DocumentStatus.NEW)
        self.parse_lease_until = None

    def send_to_review(self, reason: str) -> None:
        """Ask a person to look at a document with no invoice to decide."""
        if self.status != DocumentStatus.PARSED:
            raise IllegalTransitionError("document", self.status, "review")
        self.review_reason = reason

    def clear_review(self) -> None:
        self.review_reason = ""
