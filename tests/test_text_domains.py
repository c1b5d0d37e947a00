"""Web domains: registrable domain, distinctive label and shared mail hosts."""

from __future__ import annotations

from reconciliation.extraction.identifiers import find_hosts
from reconciliation.text.domains import is_shared_domain
from reconciliation.text.domains import normalize_domain
from reconciliation.text.domains import registered_label
from reconciliation.text.domains import registrable_domain


def test_the_registrable_domain_of_urls_addresses_and_hosts() -> None:
    assert [
        normalize_domain("https://WWW.Acme.co.uk/invoices?id=1"),
        normalize_domain("billing@mail.acme.de"),
        normalize_domain("shop.acme.com.au"),
        normalize_domain("not a host"),
    ] == ["acme.co.uk", "acme.de", "acme.com.au", None]


def test_a_generic_second_level_under_any_country_is_a_public_suffix() -> None:
    assert [registrable_domain("shop.acme.co.th"), registrable_domain("www.acme.com.ng")] == [
        "acme.co.th",
        "acme.com.ng",
    ]


def test_the_distinctive_label_follows_the_registrable_domain() -> None:
    assert [
        registered_label("aws.amazon.com"),
        registered_label("shop.acme.co.uk"),
        registered_label("billing.acme.ltd.uk"),
        registered_label("free.fr"),
    ] == ["amazon", "acme", "acme", "free"]


def test_shared_mail_hosts_are_one_list() -> None:
    assert [is_shared_domain("gmail.com"), is_shared_domain("bluewin.ch")] == [True, True]
    assert [is_shared_domain("acme.de"), is_shared_domain(None)] == [False, False]


def test_hosts_in_text_are_bare() -> None:
    found = find_hosts("Contact: Billing@WWW.Acme.de, www.Acme.de/support.")
    assert [(h.host, h.from_email) for h in found] == [("acme.de", True), ("acme.de", False)]
