"""Web domains: the host a URL or e-mail address names, the domain a company registers, and
the shared mail hosts that never identify a sender.

Pure: no Django, no I/O.
"""

from __future__ import annotations

import re


def _word_set(*lines: str) -> frozenset[str]:
    return frozenset(word for line in lines for word in line.split())


#: Second-level public suffixes under which the registrable domain has three labels.
TWO_LEVEL_SUFFIXES: frozenset[str] = _word_set(
    "co.uk org.uk ac.uk gov.uk ltd.uk plc.uk me.uk com.au net.au org.au co.nz co.jp co.in",
    "net.in org.in com.br com.tr co.za com.mx com.cn com.sg com.hk com.ar co.il com.pl",
    "co.kr com.my co.id com.ph com.vn com.sa com.eg com.es com.pt co.at or.at gv.at",
)
#: Under a two-letter country domain, these second-level labels are public suffixes too
#: ("acme.co.th", "acme.com.ng"), whether or not the list above names the country.
GENERIC_SECOND_LEVELS: frozenset[str] = frozenset({"co", "com", "org", "net", "gov", "ac"})
#: Mail and web hosts shared by many unrelated senders: never identify a vendor by them.
SHARED_DOMAINS: frozenset[str] = _word_set(
    "gmail.com googlemail.com yahoo.com yahoo.fr yahoo.de yahoo.co.uk hotmail.com hotmail.fr",
    "hotmail.de outlook.com outlook.fr outlook.de live.com live.fr msn.com gmx.de gmx.net",
    "gmx.at gmx.ch web.de t-online.de orange.fr wanadoo.fr free.fr sfr.fr laposte.net",
    "icloud.com me.com mac.com aol.com proton.me protonmail.com libero.it virgilio.it",
    "ziggo.nl kpnmail.nl telenet.be skynet.be mail.com zoho.com yandex.com bluewin.ch",
)
_HOST = re.compile(r"^(?=.{4,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24}$")


def bare_host(host: str) -> str:
    """Lower case, no trailing dot, no "www.": "WWW.Acme.de." gives "acme.de"."""
    host = host.lower().strip(".")
    return host[4:] if host.startswith("www.") else host


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
    text = bare_host(text)
    return text if _HOST.match(text) else None


def _is_public_suffix(labels: list[str]) -> bool:
    """Whether the last two labels are a public suffix ("co.uk", "com.au", "co.th")."""
    second, top = labels[-2], labels[-1]
    return f"{second}.{top}" in TWO_LEVEL_SUFFIXES or (
        len(top) == 2 and second in GENERIC_SECOND_LEVELS
    )


def registrable_domain(host: str) -> str:
    """The domain a company registers: "mail.billing.acme.de" -> "acme.de",
    "shop.acme.co.uk" -> "acme.co.uk"."""
    labels = host.split(".")
    if len(labels) >= 3 and _is_public_suffix(labels):
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def registered_label(host: str) -> str:
    """The distinctive part of a host: "aws.amazon.com" -> "amazon", "acme.co.uk" -> "acme"."""
    return registrable_domain(host).split(".")[0]


def normalize_domain(value: str | None) -> str | None:
    """The registrable domain of a host, URL or e-mail address, or None if not usable."""
    host = normalize_host(value)
    return registrable_domain(host) if host else None


def is_shared_domain(domain: str | None) -> bool:
    """A free-mail or shared host: says nothing about which company sent the document."""
    return bool(domain) and domain in SHARED_DOMAINS
