"""A supplier whose name holds "tel", "fax" or "phone" inside a word (Hotel Spreeblick GmbH,
Fairfax Advisory Ltd) is read by its name, so its vendor is named after it: the web domain
names a vendor only when no name is read at all."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from connectors.sandbox.documents import render_invoice
from reconciliation.extraction.blocks import Ourselves
from reconciliation.extraction.supplier_name import _looks_like_name
from reconciliation.models import Workspace
from reconciliation.vendors.resolution import resolve_vendor
from tests.documents import LUMEN
from tests.documents import SELLERS
from tests.documents import invoice_spec
from tests.documents import read

#: The demo's reading: the workspace's company is Atelier Lumen, so its block is not the seller.
US = Ourselves.of(names=[LUMEN.name], vat_ids=[LUMEN.vat_id or ""])

HOTEL = replace(
    SELLERS["de"],
    name="Hotel Spreeblick GmbH",
    domain="hotel-spreeblick.de",
    email="rechnung@hotel-spreeblick.de",
)


@pytest.mark.parametrize(
    ("language", "layout", "seller"),
    [
        ("de", "din_letter", HOTEL),
        ("de", "classic", HOTEL),
        (
            "en",
            "classic",
            replace(SELLERS["en"], name="Fairfax Advisory Ltd", domain="fairfax-advisory.co.uk"),
        ),
    ],
)
def test_a_name_with_tel_or_fax_inside_a_word_is_read(
    tmp_path: Path, language: str, layout: str, seller: object
) -> None:
    spec = invoice_spec(language, layout, supplier=seller, buyer=LUMEN)

    extraction = read(tmp_path, render_invoice(spec), ourselves=US)

    assert extraction.value("supplier_name") == spec.supplier.name
    assert extraction.value("supplier_domain") == spec.supplier.domain


@pytest.mark.django_db
def test_the_vendor_is_named_after_the_supplier_not_its_domain(
    tmp_path: Path, workspace: Workspace
) -> None:
    spec = invoice_spec("de", "din_letter", supplier=HOTEL, buyer=LUMEN)
    extraction = read(tmp_path, render_invoice(spec), ourselves=US)

    resolution = resolve_vendor(workspace=workspace, extraction=extraction)

    assert resolution.vendor is not None
    assert (resolution.created, resolution.vendor.name, resolution.vendor.domain) == (
        True,
        "Hotel Spreeblick GmbH",
        "hotel-spreeblick.de",
    )


@pytest.mark.parametrize(
    "line",
    ["Tel.", "Fax", "Telefon", "Telephone", "Telefax", "Téléphone", "Mobiltelefon", "Phone / Fax"],
)
def test_a_phone_or_fax_label_is_still_not_a_name(line: str) -> None:
    # The label is a word of its own, including the languages' compound words for it.
    assert _looks_like_name(line) is False


@pytest.mark.parametrize("line", ["Hotel Spreeblick GmbH", "Fairfax Advisory Ltd", "Interphone SA"])
def test_tel_fax_or_phone_inside_a_name_is_a_name(line: str) -> None:
    assert _looks_like_name(line) is True
