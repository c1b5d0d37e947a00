"""VAT ids (python-stdnum) and IBANs (schwifty): their compact form and whether they hold.

Every VAT id and IBAN check in Well goes through :func:`check_vat_id` and :func:`check_iban`:
the extraction engine, vendor resolution, scoring and the review screens ask the same
question and get the same answer. Both say apart a number of the right shape whose check
digits fail (a misread or a typo, only trusted next to a label) from text that is not such a
number at all.

Pure: no Django, no I/O. stdnum and schwifty are imported on first use (schwifty loads its
bank registry when imported).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

_SEPARATORS = re.compile(r"[\s.\-/_:]")
_VAT_SHAPE = re.compile(r"^(?:CHE\d{9}|[A-Z]{2}[0-9A-Z]{2,13})$")
_CH_VAT_SUFFIX = re.compile(r"(MWST|TVA|IVA)$")
_IBAN_SHAPE = re.compile(r"[A-Z]{2}\d{2}[0-9A-Z]{8,30}")
# A wrong check digit on a string this long is still worth showing a reviewer next to a label.
_IBAN_WELL_FORMED = re.compile(r"[A-Z]{2}\d{2}[0-9A-Z]{12,30}")
MAX_IBAN_LENGTH = 34


class Check(NamedTuple):
    """What a check of an identifier found (a pair, so ``check(value)[0]`` is "valid")."""

    valid: bool  # format and check digits pass
    well_formed: bool  # country prefix and format pass, check digits aside


def compact_identifier(value: str) -> str:
    """Upper case without spaces, dots, dashes or slashes: "de 123.456-789" -> "DE123456789"."""
    return _SEPARATORS.sub("", value).upper()


# --- VAT ids ---------------------------------------------------------------------------------


def compact_vat_id(value: str | None) -> str:
    """A VAT id in its compact form, Greek "GR" prefix written "EL" as VIES does, a Swiss
    number without its "MWST"/"TVA"/"IVA" suffix; no check."""
    if not value:
        return ""
    number = compact_identifier(value)
    if number.startswith("GR"):
        number = "EL" + number[2:]
    if number.startswith("CHE"):
        number = _CH_VAT_SUFFIX.sub("", number)
    return number


def check_vat_id(value: str | None) -> Check:
    """Check a VAT id with its country prefix: every EU member state and Northern Ireland
    (XI) through `stdnum.eu.vat`, plus the United Kingdom (GB), Switzerland (CHE) and
    Norway (NO)."""
    return _check_compact_vat_id(compact_vat_id(value))


@lru_cache(maxsize=4096)
def _check_compact_vat_id(number: str) -> Check:
    from stdnum.exceptions import InvalidChecksum
    from stdnum.exceptions import ValidationError

    if not _VAT_SHAPE.match(number):
        return Check(valid=False, well_formed=False)
    try:
        if number.startswith("CHE"):
            from stdnum.ch import uid

            uid.validate(number[:12])
        elif number[:2] == "GB":
            from stdnum.gb import vat as gb_vat

            gb_vat.validate(number)
        elif number[:2] == "NO":
            from stdnum.no import mva

            mva.validate(number)
        else:
            from stdnum.eu import vat as eu_vat

            eu_vat.validate(number)
    except InvalidChecksum:
        return Check(valid=False, well_formed=True)
    except (ValidationError, ValueError, KeyError):
        return Check(valid=False, well_formed=False)
    return Check(valid=True, well_formed=True)


def is_valid_vat_id(value: str | None) -> bool:
    return check_vat_id(value).valid


def normalize_vat_id(value: str | None) -> str | None:
    """The compact VAT id when its country format and check digits pass, else None."""
    number = compact_vat_id(value)
    return number if number and _check_compact_vat_id(number).valid else None


# --- IBANs -----------------------------------------------------------------------------------


def compact_iban(value: str | None) -> str:
    """Upper case without separators, no check: a statement IBAN is the bank's, and comparing
    two compact strings is all a comparison needs."""
    return re.sub(r"[^A-Z0-9]", "", (value or "").upper())[:MAX_IBAN_LENGTH]


def check_iban(value: str | None) -> Check:
    """Country, length and check digits, as schwifty knows them."""
    return _check_compact_iban(compact_identifier(value or ""))


@lru_cache(maxsize=4096)
def _check_compact_iban(number: str) -> Check:
    from schwifty import IBAN
    from schwifty.exceptions import SchwiftyException

    if not _IBAN_SHAPE.fullmatch(number):
        return Check(valid=False, well_formed=False)
    try:
        IBAN(number)
    except SchwiftyException:
        return Check(valid=False, well_formed=bool(_IBAN_WELL_FORMED.fullmatch(number)))
    return Check(valid=True, well_formed=True)


def normalize_iban(value: str | None) -> str | None:
    """The compact IBAN when schwifty accepts it (country, length, check digits), else None."""
    number = compact_identifier(value or "")
    return number if number and _check_compact_iban(number).valid else None


def iban_key(value: str | None) -> str:
    """How a vendor's IBAN is stored and compared: the checked compact IBAN, or, when it does
    not check, the same text without separators (kept: a reviewer typed it)."""
    return normalize_iban(value) or compact_iban(value)


class IbanBank(NamedTuple):
    """Where an IBAN's account is held: its country and the bank code inside it (schwifty's
    reading of the country's IBAN layout; "" when the country has no bank code there)."""

    country: str
    bank_code: str


def iban_bank(value: str | None) -> IbanBank:
    """The country and bank code of a checked IBAN; both "" when it does not check."""
    number = normalize_iban(value)
    if number is None:
        return IbanBank("", "")
    from schwifty import IBAN

    parsed = IBAN(number)
    return IbanBank(parsed.country_code, str(parsed.bank_code or ""))
