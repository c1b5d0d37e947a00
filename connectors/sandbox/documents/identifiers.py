"""Valid-looking and checksum-valid identifiers, drawn from a seeded random generator.

VAT ids are validated with python-stdnum and IBANs with schwifty (national checksums) and
stdnum, so a parser that verifies checksums accepts every value the demo prints.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from schwifty import IBAN
from schwifty.exceptions import SchwiftyException
from stdnum import iban as stdnum_iban
from stdnum import luhn
from stdnum.iso7064 import mod_11_10
from stdnum.util import get_cc_module

_MAX_TRIES = 20_000

# country → (bank code, branch code or "" to draw, branch digits, account digits)
_BANKS: dict[str, tuple[tuple[str, str, int, int], ...]] = {
    "FR": (("30004", "", 5, 11), ("30003", "", 5, 11), ("10278", "", 5, 11)),
    "DE": (("37040044", "", 0, 10), ("10070000", "", 0, 10), ("50010517", "", 0, 10)),
    "NL": (("INGB", "", 0, 10), ("ABNA", "", 0, 10), ("RABO", "", 0, 10)),
    "ES": (("2100", "0418", 0, 10), ("0049", "1500", 0, 10)),
    "IT": (("03069", "09606", 0, 12), ("02008", "01600", 0, 12)),
    "GB": (("NWBK601613", "", 0, 8), ("BARC200000", "", 0, 8), ("HBUK400515", "", 0, 8)),
    "BE": (("001", "", 0, 7), ("068", "", 0, 7)),
}
QONTO_BANK = ("16958", "00001", 0, 11)


def _digits(rng: random.Random, count: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(count))


def _draw(rng: random.Random, make: Callable[[], str], is_valid: Callable[[str], bool]) -> str:
    for _ in range(_MAX_TRIES):
        candidate = make()
        if is_valid(candidate):
            return candidate
    raise RuntimeError("no valid identifier drawn; the generator for this country is broken")


def make_vat_id(country: str, rng: random.Random) -> str:
    """A compact EU VAT id ("FR40303265045", "DE123456788", "GB980780684") valid per stdnum."""
    makers: dict[str, Callable[[], str]] = {
        "FR": lambda: _french_vat(rng),
        "DE": lambda: _german_vat(rng),
        "NL": lambda: f"NL{_digits(rng, 9)}B{rng.choice(('01', '02'))}",
        "ES": lambda: f"ES{rng.choice('AB')}{_digits(rng, 8)}",
        "IT": lambda: _italian_vat(rng),
        "GB": lambda: f"GB{rng.choice('123456789')}{_digits(rng, 8)}",
        "BE": lambda: _belgian_vat(rng),
    }
    if country not in makers:
        raise ValueError(f"no VAT id scheme for {country}")
    # The country's own module, not stdnum.eu.vat: that one no longer accepts GB numbers.
    module = get_cc_module(country.lower(), "vat")
    if module is None:
        raise ValueError(f"python-stdnum has no VAT module for {country}")
    return _draw(rng, makers[country], module.is_valid)


def _french_vat(rng: random.Random) -> str:
    body = rng.choice("3456789") + _digits(rng, 7)
    siren = body + luhn.calc_check_digit(body)
    key = (12 + 3 * (int(siren) % 97)) % 97
    return f"FR{key:02d}{siren}"


def _german_vat(rng: random.Random) -> str:
    body = rng.choice("123456789") + _digits(rng, 7)
    return f"DE{body}{mod_11_10.calc_check_digit(body)}"


def _italian_vat(rng: random.Random) -> str:
    body = rng.choice("0123") + _digits(rng, 6) + f"{rng.randint(1, 100):03d}"
    return f"IT{body}{luhn.calc_check_digit(body)}"


def _belgian_vat(rng: random.Random) -> str:
    body = "0" + rng.choice("23456789") + _digits(rng, 6)
    return f"BE{body}{97 - int(body) % 97:02d}"


def make_iban(
    country: str, rng: random.Random, *, bank: tuple[str, str, int, int] | None = None
) -> tuple[str, str | None]:
    """A compact IBAN with valid national and ISO 7064 checksums, and its BIC when known."""
    bank_code, branch, branch_digits, account_digits = bank or rng.choice(_BANKS[country])

    def make() -> str:
        branch_code = branch or _digits(rng, branch_digits)
        try:
            iban = IBAN.generate(
                country,
                bank_code=bank_code,
                branch_code=branch_code,
                account_code=_digits(rng, account_digits),
            )
            IBAN(str(iban), validate_bban=True)
        except SchwiftyException:
            return ""
        return str(iban)

    compact = _draw(rng, make, lambda value: bool(value) and stdnum_iban.is_valid(value))
    bic = IBAN(compact).bic
    return compact, str(bic) if bic is not None else None


def _alphanumeric_to_digits(text: str) -> str:
    return "".join(str(int(char, 36)) for char in text)


def rf_reference(base: str) -> str:
    """ISO 11649 creditor reference for `base` (letters and digits, up to 21), compact:
    "INV20260043" → "RF46INV20260043"."""
    body = "".join(char for char in base.upper() if char.isalnum())
    if not 1 <= len(body) <= 21:
        raise ValueError("an RF reference holds 1 to 21 letters or digits")
    check = 98 - int(_alphanumeric_to_digits(body + "RF00")) % 97
    return f"RF{check:02d}{body}"


def format_rf_reference(reference: str) -> str:
    """Printed in groups of four, as on a payment slip: "RF46 INV2 0260 043"."""
    return " ".join(reference[i : i + 4] for i in range(0, len(reference), 4))


def belgian_structured_reference(base: int) -> str:
    """Belgian OGM-VCS structured communication "+++123/4567/89002+++" for a 10-digit base;
    the last two digits are base mod 97 (97 when that is 0)."""
    if not 0 < base < 10**10:
        raise ValueError("the base of a structured communication has at most 10 digits")
    check = base % 97 or 97
    digits = f"{base:010d}{check:02d}"
    return f"+++{digits[:3]}/{digits[3:7]}/{digits[7:]}+++"
