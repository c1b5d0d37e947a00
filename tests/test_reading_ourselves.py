"""The reader is told who the workspace's company is, so a page whose buyer's block looks like
a seller's (same country, no headings, buyer first) still yields the real supplier."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.test import override_settings

from connectors.sandbox.documents import render_invoice
from reconciliation.models import Document
from reconciliation.models import DocumentKind
from reconciliation.models import DocumentStatus
from reconciliation.models import Invoice
from reconciliation.models import Workspace
from reconciliation.parsing import parse_document
from reconciliation.vendors.identity import OwnNames
from tests.documents import SELLERS
from tests.documents import invoice_spec
from tests.factories import make_document
from tests.factories import make_workspace

pytestmark = pytest.mark.django_db


def _stored(workspace: Workspace, content: bytes) -> Document:
    document = make_document(
        workspace, status=DocumentStatus.NEW, kind=DocumentKind.OTHER, original_name="f.pdf"
    )
    document.file.save("f.pdf", ContentFile(content), save=True)
    return document


def _buyer_first_invoice() -> bytes:
    seller = replace(SELLERS["fr"], name="Boulangerie Martin SARL")
    spec = invoice_spec(
        "fr", "buyer_first", supplier=seller, buyer_heading=False, seller_heading=False
    )
    return render_invoice(spec).content


def test_the_reader_hears_our_name_and_vat_id() -> None:
    workspace = make_workspace("ACME RETAIL S.A.S.", vat_id="FR19787878784")
    assert OwnNames.of(workspace.pk).for_reader() == {
        "names": ["ACME RETAIL S.A.S."],
        "vat_ids": ["FR19787878784"],
    }


def test_our_company_on_the_page_is_never_the_invoice_s_supplier(tmp_path: Path) -> None:
    workspace = make_workspace("ACME RETAIL S.A.S.", vat_id="FR19787878784")
    with override_settings(MEDIA_ROOT=str(tmp_path)):
        document = _stored(workspace, _buyer_first_invoice())
        parse_document(document_id=document.pk)
    invoice = Invoice.objects.get(document=document)
    assert (invoice.supplier_name, invoice.supplier_vat_id) == (
        "Boulangerie Martin SARL",
        "FR60421938861",
    )
