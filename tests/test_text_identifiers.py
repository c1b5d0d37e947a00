"""VAT ids and IBANs: one check for the extraction engine, vendors, scoring and reviews."""

from __future__ import annotations

import subprocess
import sys

import pytest

from reconciliation.extraction.identifiers import find_ibans
from reconciliation.extraction.identifiers import find_vat_ids
from reconciliation.text.identifiers import Check
from reconciliation.text.identifiers import check_iban
from reconciliation.text.identifiers import check_vat_id
from reconciliation.text.identifiers import compact_iban
from reconciliation.text.identifiers import iban_key
from reconciliation.text.identifiers import normalize_iban
from reconciliation.text.identifiers import normalize_vat_id


@pytest.mark.parametrize(
    ("written", "compact"),
    [
        ("DE 136 695 976", "DE136695976"),
        ("FR40303265045", "FR40303265045"),
        ("GB980780684", "GB980780684"),
        ("XI980780684", "XI980780684"),
        ("CHE-107.787.577 IVA", "CHE107787577"),
        ("NO 995 525 828 MVA", "NO995525828MVA"),
        ("GR094259216", "EL094259216"),
    ],
)
def test_valid_vat_ids_of_the_eu_uk_switzerland_and_norway_normalise(
    written: str, compact: str
) -> None:
    assert (check_vat_id(written), normalize_vat_id(written)) == (Check(True, True), compact)


def test_a_vat_id_with_a_wrong_check_digit_is_well_formed_but_not_valid() -> None:
    assert (check_vat_id("DE136695977"), normalize_vat_id("DE136695977")) == (
        Check(valid=False, well_formed=True),
        None,
    )


@pytest.mark.parametrize("written", ["US123456789", "DE12345", "hello", "", None])
def test_what_is_not_a_vat_id_is_neither_valid_nor_well_formed(written: str | None) -> None:
    assert check_vat_id(written) == Check(valid=False, well_formed=False)


def test_the_extraction_engine_finds_a_vat_id_with_the_same_check() -> None:
    found = find_vat_ids("USt-IdNr.: DE 136 695 976 / Tel")
    assert [(f.value, f.valid, f.well_formed) for f in found] == [("DE136695976", True, True)]


def test_the_extraction_engine_keeps_a_swiss_vat_id_without_its_suffix() -> None:
    found = find_vat_ids("MWST-Nr. CHE-107.787.577 MWST")
    assert [(f.value, f.valid) for f in found] == [("CHE107787577", True)]


def test_an_iban_is_checked_by_schwifty_whatever_its_separators() -> None:
    assert [
        normalize_iban("DE89 3704 0044 0532 0130 00"),
        normalize_iban("GB82-WEST-1234-5698-7654-32"),
        normalize_iban("DE88370400440532013000"),
    ] == ["DE89370400440532013000", "GB82WEST12345698765432", None]


def test_an_iban_with_a_wrong_check_digit_is_well_formed_but_not_valid() -> None:
    assert (check_iban("DE88370400440532013000"), check_iban("FR76 1234")) == (
        Check(valid=False, well_formed=True),
        Check(valid=False, well_formed=False),
    )


def test_the_extraction_engine_prefers_the_valid_reading_of_an_iban() -> None:
    found = find_ibans("IBAN DE89 3704 0044 0532 0130 00 BIC COBADEFFXXX")
    assert [(f.value, f.valid) for f in found] == [("DE89370400440532013000", True)]


def test_an_iban_key_drops_every_separator_even_when_the_iban_does_not_check() -> None:
    assert (iban_key("DE88-3704-0044-0532-0130-00"), compact_iban("de89 3704.0044")) == (
        "DE88370400440532013000",
        "DE8937040044",
    )


def test_the_text_package_imports_no_django() -> None:
    code = (
        "import sys\n"
        "import reconciliation.text.domains, reconciliation.text.folding\n"
        "import reconciliation.text.identifiers, reconciliation.text.names\n"
        "import reconciliation.extraction.identifiers\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'django'))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]"
