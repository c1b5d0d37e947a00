"""A scanned invoice is no longer parked as "scanned": the reader OCRs it, the document is
classified, and its invoice is scored and routed by confidence like any other."""

from __future__ import annotations

from decimal import Decimal
from io import BytesIO
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.test import override_settings
from PIL import Image

from reconciliation.models import Document
from reconciliation.models import DocumentKind
from reconciliation.models import DocumentStatus
from reconciliation.models import Invoice
from reconciliation.models import Workspace
from reconciliation.parsing import parse_document
from tests.factories import make_document
from tests.test_ocr_lane import invoice_pdf
from tests.test_ocr_lane import scanned

pytestmark = pytest.mark.django_db

SCAN_REASON = "No text layer: the document is a scan and needs a person."


def stored(workspace: Workspace, content: bytes, name: str) -> Document:
    document = make_document(
        workspace, status=DocumentStatus.NEW, kind=DocumentKind.OTHER, original_name=name
    )
    document.file.save(name, ContentFile(content), save=True)
    return document


def test_a_scanned_invoice_is_read_and_scored(workspace: Workspace, tmp_path: Path) -> None:
    with override_settings(MEDIA_ROOT=str(tmp_path)):
        document = stored(workspace, scanned(invoice_pdf()), "scan.pdf")
        result = parse_document(document_id=document.pk)
    document.refresh_from_db()
    assert (result.outcome, document.kind, document.has_text_layer) == (
        "parsed",
        DocumentKind.INVOICE,
        False,
    )
    assert document.extraction["source"] == "ocr"
    invoice = Invoice.objects.get(document=document)
    assert (invoice.number, invoice.total_amount) == ("RE-2026-0815", Decimal("586.08"))
    assert SCAN_REASON not in (invoice.routing_reasons or [])
    reasons = invoice.confidence_components.get("must_review", [])
    assert SCAN_REASON not in reasons


def test_a_blank_scan_still_needs_a_person(workspace: Workspace, tmp_path: Path) -> None:
    blank = BytesIO()
    Image.new("L", (1654, 2339), 255).save(blank, "PDF", resolution=200)
    with override_settings(MEDIA_ROOT=str(tmp_path)):
        document = stored(workspace, blank.getvalue(), "blank.pdf")
        parse_document(document_id=document.pk)
    document.refresh_from_db()
    assert (document.kind, document.extraction["source"]) == (DocumentKind.OTHER, "none")
    invoice = Invoice.objects.get(document=document)
    assert SCAN_REASON in invoice.confidence_components["must_review"]
