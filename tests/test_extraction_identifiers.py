from __future__ import annotations

import pytest

from reconciliation.extraction.identifiers import find_hosts
from reconciliation.extraction.identifiers import find_ibans
from reconciliation.extraction.identifiers import find_vat_ids


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("UStId DE 232 446 240 SWIFT", ("DE232446240", True), id="german_spaced_case"),
        pytest.param("TVA intra: FR 604 219 388 61", ("FR60421938861", True), id="french_case"),
        pytest.param("BTW NL815254295B01", ("NL815254295B01", True), id="dutch_case"),
        pytest.param("NIF ESA13585625", ("ESA13585625", True), id="spanish_case"),
        pytest.param("P.IVA IT00743110157", ("IT00743110157", True), id="italian_case"),
        pytest.param("VAT GB980780684", ("GB980780684", True), id="british_case"),
        pytest.param("USt-IdNr: DE123456789 HRB", ("DE123456789", False), id="demo_checksum_case"),
    ],
)
def test_vat_ids(text: str, expected: tuple[str, bool]) -> None:
    assert [(v.value, v.valid) for v in find_vat_ids(text)] == [expected]


def test_gstin_is_read_and_validated() -> None:
    assert [(v.value, v.valid) for v in find_vat_ids("GSTIN 27AAPFU0939F1ZV")] == [
        ("27AAPFU0939F1ZV", True)
    ]


def test_an_iban_is_not_a_vat_id() -> None:
    assert find_vat_ids("IBAN : FR20 1242 1242 1242 1242 1242 124 - BIC") == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "IBAN DE89 3704 0044 0532 0130 00", ("DE89370400440532013000", True), id="grouped_case"
        ),
        pytest.param("IBAN: NL91ABNA0417164300.", ("NL91ABNA0417164300", True), id="compact_case"),
        pytest.param(
            "IBAN : FR20 1242 1242 1242 1242 1242 124 - BIC : FIDCFR21XXX",
            ("FR2012421242124212421242124", True),
            id="french_case",
        ),
        pytest.param(
            "IBAN : DE12 1234 5678 9012 3456 78",
            ("DE12123456789012345678", False),
            id="demo_checksum_case",
        ),
    ],
)
def test_ibans(text: str, expected: tuple[str, bool]) -> None:
    assert [(i.value, i.valid) for i in find_ibans(text)] == [expected]


def test_masked_ibans_are_skipped() -> None:
    assert find_ibans("IBAN : FR76 *************************** ") == []


def test_hosts_from_mail_and_web_addresses() -> None:
    text = (
        "eMail: info@qualityhosting.de Im Internet: www.qualityhosting.de, "
        "visit aws.amazon.com/contact"
    )
    assert [(h.host, h.from_email) for h in find_hosts(text)] == [
        ("qualityhosting.de", True),
        ("qualityhosting.de", False),
        ("aws.amazon.com", False),
    ]


def test_urns_are_not_hosts() -> None:
    assert find_hosts("Anwendungsempfehlung : urn:cen.eu:en16931:2017") == []
