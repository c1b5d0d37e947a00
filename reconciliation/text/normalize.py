"""Pure normalisation of supplier identity: names, VAT ids, IBANs and web domains.

Other modules (matching, syncing, the admin) import these, so they stay pure, stable and
cheap: no database, no Django, no I/O. Each `normalize_*` returns the canonical form used
for storage and comparison, or None when the input is not a usable identifier.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache


def _word_set(*lines: str) -> frozenset[str]:
    return frozenset(word for line in lines for word in line.split())


#: Legal-form words that say what kind of company it is, not which one. Compared after
#: folding and after dotted abbreviations were joined ("S.A.R.L." -> "sarl", "B.V." -> "bv").
LEGAL_FORMS: frozenset[str] = _word_set(
    "gmbh mbh ag kg kgaa ohg gbr ug ev eg se ek",  # German-speaking
    "sas sasu sarl eurl sa sca snc sci scs scop selarl sprl srl scrl sc",  # French-speaking
    "ltd limited plc llp lp llc inc incorporated corp corporation co company pvt pte pty",
    "bv nv vof cv bvba",  # Dutch, Belgian
    "spa sapa srls sl slu sau sll lda",  # Italian, Spanish, Portuguese
    "ab as asa oy oyj aps kft zrt nyrt sro doo spzoo",  # Nordic, central and eastern Europe
)
# Tokens that carry no identity ("Müller & Söhne" = "Müller und Söhne").
_FILLER: frozenset[str] = frozenset({"the", "and", "und", "et"})
# Multi-word legal forms written with spaces or dots, rewritten before tokenising.
_SPECIAL_FORMS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\bsp\.?\s*z\.?\s*o\.?\s*o\.?(?=\W|$)"), " spzoo "),
    (re.compile(r"\bs\.?\s*a\.?\s*r\.?\s*l\.?(?=\W|$)"), " sarl "),
    (re.compile(r"\bs\.\s*a\.\s*s\.(?=\W|$)"), " sas "),
    (re.compile(r"\bs\.\s*p\.\s*a\.(?=\W|$)"), " spa "),
    (re.compile(r"\be\.\s*k\.(?=\W|$)"), " ek "),
    (re.compile(r"\bpvt\.?\s*ltd\.?(?=\W|$)"), " pvt ltd "),
)
_DOTTED_ABBREVIATION = re.compile(r"\b(?:[a-z]{1,2}\.){1,4}[a-z]{1,2}\b\.?")
_NON_WORD = re.compile(r"[^a-z0-9]+")

# Second-level public suffixes under which the registrable domain has three labels.
_TWO_LEVEL_SUFFIXES: frozenset[str] = _word_set(
    "co.uk org.uk ac.uk gov.uk ltd.uk plc.uk me.uk com.au net.au org.au co.nz co.jp co.in",
    "net.in org.in com.br com.tr co.za com.mx com.cn com.sg com.hk com.ar co.il com.pl",
    "co.kr com.my co.id com.ph com.vn com.sa com.eg com.es com.pt co.at or.at gv.at",
)
#: Mail and web hosts shared by many unrelated senders: never identify a vendor by them.
SHARED_DOMAINS: frozenset[str] = _word_set(
    "gmail.com googlemail.com yahoo.com yahoo.fr yahoo.de yahoo.co.uk hotmail.com hotmail.fr",
    "hotmail.de outlook.com outlook.fr outlook.de live.com live.fr msn.com gmx.de gmx.net",
    "gmx.at gmx.ch web.de t-online.de orange.fr wanadoo.fr free.fr sfr.fr laposte.net",
    "icloud.com me.com mac.com aol.com proton.me protonmail.com libero.it virgilio.it",
    "ziggo.nl kpnmail.nl telenet.be skynet.be mail.com zoho.com yandex.com bluewin.ch",
)
_HOST = re.compile(r"^(?=.{4,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24}$")
_VAT_SHAPE = re.compile(r"^(?:CHE\d{9}|[A-Z]{2}[0-9A-Z]{2,13})$")


def fold(text: str) -> str:
    """Lowercase ASCII without accents: "Société Générale" -> "societe generale"."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(char for char in decomposed if not unicodedata.combining(char))
    return stripped.replace("ß", "ss").casefold()


def name_tokens(name: str) -> list[str]:
    """The words that identify a company, legal forms and fillers removed, in order.

    When nothing but legal forms is left (a company called "SA"), the folded words are kept
    so two different names never both normalise to nothing.
    """
    text = fold(name).replace("&", " and ").replace("+", " and ")
    for pattern, replacement in _SPECIAL_FORMS:
        text = pattern.sub(replacement, text)
    text = _DOTTED_ABBREVIATION.sub(lambda m: " " + m.group(0).replace(".", "") + " ", text)
    words = [word for word in _NON_WORD.split(text) if word]
    kept = [word for word in words if word not in LEGAL_FORMS and word not in _FILLER]
    return kept or words


def normalize_name(name: str | None) -> str:
    """Canonical company name for exact and fuzzy comparison ("" for no name)."""
    if not name:
        return ""
    return " ".join(name_tokens(name))[:300]


def compact_identifier(value: str) -> str:
    """Upper case without spaces, dots, dashes or slashes: "de 123.456-789" -> "DE123456789"."""
    return re.sub(r"[\s.\-/_:]", "", value).upper()


def compact_vat_id(value: str | None) -> str:
    """A VAT id in its compact form, Greek "GR" prefix written "EL" as VIES does; no check."""
    if not value:
        return ""
    number = compact_identifier(value)
    if number.startswith("GR"):
        number = "EL" + number[2:]
    if number.startswith("CHE"):
        number = re.sub(r"(MWST|TVA|IVA)$", "", number)
    return number


@lru_cache(maxsize=4096)
def _vat_checksum_valid(number: str) -> bool:
    from stdnum.exceptions import ValidationError

    try:
        if number.startswith("CHE"):
            from stdnum.ch import uid

            uid.validate(number[:12])
        elif number[:2] in ("GB", "XI"):
            from stdnum.gb import vat as gb_vat

            gb_vat.validate("GB" + number[2:])
        elif number[:2] == "NO":
            from stdnum.no import mva

            mva.validate(number)
        else:
            from stdnum.eu import vat as eu_vat

            eu_vat.validate(number)
    except (ValidationError, ValueError, KeyError):
        return False
    return True


def is_valid_vat_id(value: str | None) -> bool:
    number = compact_vat_id(value)
    return bool(_VAT_SHAPE.match(number)) and _vat_checksum_valid(number)


def normalize_vat_id(value: str | None) -> str | None:
    """The compact VAT id when its country format and check digits pass, else None."""
    number = compact_vat_id(value)
    if not number or not _VAT_SHAPE.match(number) or not _vat_checksum_valid(number):
        return None
    return number


@lru_cache(maxsize=4096)
def normalize_iban(value: str | None) -> str | None:
    """The compact IBAN when schwifty accepts it (country, length, check digits), else None."""
    if not value:
        return None
    from schwifty import IBAN
    from schwifty.exceptions import SchwiftyException

    number = compact_identifier(value)
    if not re.fullmatch(r"[A-Z]{2}\d{2}[0-9A-Z]{8,30}", number):
        return None
    try:
        return str(IBAN(number).compact)
    except SchwiftyException:
        return None


def normalize_host(value: str | None) -> str | None:
    """A bare lowercase host from a domain, URL or e-mail address, without "www."."""
    if not value:
        return None
    text = value.strip().lower()
    if "@" in text and "/" not in text.split("@", 1)[0]:
        text = text.rsplit("@", 1)[1]
    text = re.sub(r"^[a-z][a-z0-9+.-]*://", "", text)
    text = re.split(r"[/?#]", text, maxsplit=1)[0].rsplit(":", 1)[0].strip(".")
    try:
        text = text.encode("idna").decode("ascii") if not text.isascii() else text
    except UnicodeError:
        return None
    if text.startswith("www."):
        text = text[4:]
    return text if _HOST.match(text) else None


def registrable_domain(host: str) -> str:
    """The domain a company registers: "mail.billing.acme.de" -> "acme.de",
    "shop.acme.co.uk" -> "acme.co.uk"."""
    labels = host.split(".")
    if len(labels) >= 3 and ".".join(labels[-2:]) in _TWO_LEVEL_SUFFIXES:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def normalize_domain(value: str | None) -> str | None:
    """The registrable domain of a host, URL or e-mail address, or None if not usable."""
    host = normalize_host(value)
    return registrable_domain(host) if host else None


def is_shared_domain(domain: str | None) -> bool:
    """A free-mail or shared host: says nothing about which company sent the document."""
    return bool(domain) and domain in SHARED_DOMAINS
