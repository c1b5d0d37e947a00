"""VAT ids, IBANs, e-mail addresses and web domains found in a document's text.

Finding is done here, checking in `reconciliation.text.identifiers` (python-stdnum, schwifty)
and `reconciliation.text.domains`, so a number read from a page is held to the same rule as
one typed by a reviewer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from reconciliation.text.domains import bare_host
from reconciliation.text.identifiers import check_iban
from reconciliation.text.identifiers import check_vat_id
from reconciliation.text.identifiers import compact_vat_id

VAT_COUNTRIES = [
    "AT",
    "BE",
    "BG",
    "CY",
    "CZ",
    "DE",
    "DK",
    "EE",
    "EL",
    "GR",
    "ES",
    "FI",
    "FR",
    "HR",
    "HU",
    "IE",
    "IT",
    "LT",
    "LU",
    "LV",
    "MT",
    "NL",
    "PL",
    "PT",
    "RO",
    "SE",
    "SI",
    "SK",
    "GB",
    "XI",
    "CHE",
    "NO",
]
_VAT_START = re.compile(r"(?<![A-Za-z0-9])(" + "|".join(VAT_COUNTRIES) + r")[\s.\-]?(?=[0-9A-Z])")
_GSTIN = re.compile(r"(?<![A-Za-z0-9])(\d{2}[A-Z]{5}\d{4}[A-Z][0-9A-Z]Z[0-9A-Z])(?![A-Za-z0-9])")
_IBAN_START = re.compile(r"(?<![A-Za-z0-9])([A-Z]{2}\d{2})(?=[\s]?[0-9A-Z])")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,24})")
_URL = re.compile(
    r"(?:https?://|(?<![A-Za-z0-9@.])www\.)([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,24})",
    re.IGNORECASE,
)
# A bare host name such as "free.fr" or "flipkart.com" (no scheme, no www).
_BARE_HOST = re.compile(
    r"(?<![A-Za-z0-9@./:-])((?:[A-Za-z0-9-]+\.)+(?:com|net|org|de|fr|nl|be|es|it|eu|at|ch|"
    r"co\.uk|uk|io|biz|info|lu|pt|pl|se|dk|fi|ie|in|us|ca|au))(?![A-Za-z0-9@-])",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class FoundId:
    value: str  # compact, upper case
    start: int
    end: int
    valid: bool  # check digits pass
    well_formed: bool  # country prefix and length/format pass, check digits aside


def find_vat_ids(text: str) -> list[FoundId]:
    found: list[FoundId] = []
    ibans = find_ibans(text)
    for m in _VAT_START.finditer(text):
        if any(i.start <= m.start() < i.end for i in ibans):
            continue  # "FR20 1242 ...": the start of an IBAN, not a VAT id
        best: FoundId | None = None
        best_level = 0
        for end, compact in _chunks(text, m.end(), max_chars=18):
            number = m.group(1) + compact
            level = _vat_level(number)
            # Longer wins at the same level: "DE 232 446 240" grows into a valid id.
            if level and level >= best_level:
                best = FoundId(compact_vat_id(number), m.start(), end, level == 3, True)
                best_level = level
        if best is not None:
            found.append(best)
    for m in _GSTIN.finditer(text):
        from stdnum.in_ import gstin

        found.append(FoundId(m.group(1), m.start(), m.end(), gstin.is_valid(m.group(1)), True))
    return found


def _vat_level(number: str) -> int:
    """3: valid; 2: right format, wrong check digit; 1: country prefix and 8-12 digits;
    0: not a VAT id."""
    valid, formed = check_vat_id(number)
    if valid:
        return 3
    if formed:
        return 2
    return 1 if re.fullmatch(r"[A-Z]{2}U?\d{8,12}", compact_vat_id(number)) else 0


def _chunks(text: str, start: int, *, max_chars: int) -> list[tuple[int, str]]:
    """Growing runs of [0-9A-Z] after ``start``, allowing single spaces, dots and dashes
    between groups: "DE 232 446 240" -> "232", "232446", "232446240"."""
    out: list[tuple[int, str]] = []
    compact = ""
    i = start
    if re.match(r"[ .\-][0-9A-Z]", text[i : i + 2]):
        i += 1
    while i < len(text) and len(compact) <= max_chars:
        m = re.match(r"[0-9A-Z]+", text[i:])
        if not m:
            break
        compact += m.group(0)
        i += m.end()
        out.append((i, compact))
        sep = re.match(r"[ .\-/]", text[i:])
        if not sep or i + 1 >= len(text) or not re.match(r"[0-9A-Z]", text[i + 1]):
            break
        i += 1
    return out


def find_ibans(text: str) -> list[FoundId]:
    found: list[FoundId] = []
    for m in _IBAN_START.finditer(text):
        if m.group(1)[:2] in ("DE", "FR") and "*" in text[m.end() : m.end() + 8]:
            continue  # masked: "FR76 *****"
        best: FoundId | None = None
        for end, compact in _chunks(text, m.end(), max_chars=32):
            number = m.group(1) + compact
            if len(number) < 12:
                continue
            valid, formed = check_iban(number)
            if valid:
                best = FoundId(number, m.start(), end, True, True)
            elif formed and (best is None or not best.valid):
                best = FoundId(number, m.start(), end, False, True)
        if best is not None:
            found.append(best)
    return found


@dataclass(frozen=True)
class FoundHost:
    host: str
    start: int
    end: int
    from_email: bool


def find_hosts(text: str) -> list[FoundHost]:
    found: list[FoundHost] = []
    taken: list[tuple[int, int]] = []
    for m in _EMAIL.finditer(text):
        found.append(FoundHost(bare_host(m.group(1)), m.start(), m.end(), True))
        taken.append((m.start(), m.end()))
    for pattern in (_URL, _BARE_HOST):
        for m in pattern.finditer(text):
            if any(s <= m.start() < e for s, e in taken):
                continue
            found.append(FoundHost(bare_host(m.group(1)), m.start(), m.end(), False))
            taken.append((m.start(), m.end()))
    return [h for h in found if "." in h.host and not h.host.replace(".", "").isdigit()]
