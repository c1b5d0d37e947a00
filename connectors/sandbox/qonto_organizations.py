"""The Qonto emulator's organisations: each a company of its own (profile, bank accounts,
transactions, supplier invoices, attachments, idempotency keys). A request works for the
organisation its token was granted for; Python helpers for the one an ``organization_scope``
block names, else the default one (the demo's). As on Qonto, an OAuth token belongs to one
organisation."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from connectors.sandbox.constants import QONTO_API_LOGIN
from connectors.sandbox.constants import QONTO_ORGANIZATION_ID
from connectors.sandbox.oauth import TokenStore
from connectors.sandbox.qonto_models import Attachment
from connectors.sandbox.qonto_models import CachedAnswer
from connectors.sandbox.qonto_models import Organization
from connectors.sandbox.qonto_models import SupplierInvoice
from connectors.sandbox.qonto_models import Transaction
from connectors.sandbox.wire import Request

#: The default organisation: the demo company.
DEFAULT_PROFILE: dict[str, Any] = {
    "id": QONTO_ORGANIZATION_ID,
    "name": "Well Demo SAS",
    "slug": QONTO_API_LOGIN,
    "legal_name": "WELL DEMO SAS",
    "locale": "fr",
    "legal_share_capital": 10000.0,
    "legal_country": "FR",
    "legal_registration_date": "2021-03-15",
    "legal_form": "SAS",
    "legal_address": "12 rue de la Paix 75002 Paris FRANCE",
    "legal_sector": "6920Z",
    "contract_signed_at": "2021-03-20T09:00:00.000Z",
    "legal_number": "902345678",
}


class OrganizationState:
    """Mixin of the Qonto emulator: its organisations by a key of its own (an organisation's
    id may change with ``load_organization``), and the current one's data as attributes."""

    lock: threading.RLock
    tokens: TokenStore
    organizations: dict[str, Organization]
    grant_organizations: dict[str, str]
    default_organization_key: str
    _bound: threading.local

    def _new_organization(self, profile: dict[str, Any]) -> str:
        key = f"org-{len(self.organizations) + 1}"
        self.organizations[key] = Organization(profile=profile)
        return key

    def current_key(self) -> str:
        key = getattr(self._bound, "key", None)
        return key if key in self.organizations else self.default_organization_key

    @property
    def current(self) -> Organization:
        """The organisation this thread works for: the one the request's token was granted for,
        the one an ``organization_scope`` block names, else the default one."""
        return self.organizations[self.current_key()]

    @contextmanager
    def bound_to(self, key: str | None) -> Iterator[None]:
        previous = getattr(self._bound, "key", None)
        self._bound.key = key
        try:
            yield
        finally:
            self._bound.key = previous

    def _key_of(self, organization_id: str) -> str:
        for key, organization in self.organizations.items():
            if organization.id == organization_id:
                return key
        raise KeyError(organization_id)

    @contextmanager
    def organization_scope(self, organization_id: str) -> Iterator[Organization]:
        """Python helpers (seeding, reading back, ``issue_token``) inside the block work on
        organisation ``organization_id``."""
        key = self._key_of(organization_id)
        with self.bound_to(key):
            yield self.organizations[key]

    def organization_ids(self) -> list[str]:
        with self.lock:
            return [organization.id for organization in self.organizations.values()]

    def _organization_key_of(self, request: Request) -> str | None:
        """The organisation a bearer token was granted for (None: no such token)."""
        scheme, _, credential = (request.header("Authorization") or "").partition(" ")
        if scheme.lower() != "bearer":
            return None
        access = self.tokens.access_tokens.get(credential.strip())
        return self.grant_organizations.get(access.grant_id) if access is not None else None

    @property
    def organization(self) -> dict[str, Any]:
        return self.current.profile

    @organization.setter
    def organization(self, profile: dict[str, Any]) -> None:
        self.current.profile = profile

    @property
    def bank_accounts(self) -> dict[str, dict[str, Any]]:
        return self.current.bank_accounts

    @bank_accounts.setter
    def bank_accounts(self, accounts: dict[str, dict[str, Any]]) -> None:
        self.current.bank_accounts = accounts

    @property
    def transactions(self) -> dict[str, Transaction]:
        return self.current.transactions

    @transactions.setter
    def transactions(self, transactions: dict[str, Transaction]) -> None:
        self.current.transactions = transactions

    @property
    def attachments(self) -> dict[str, Attachment]:
        return self.current.attachments

    @property
    def supplier_invoices(self) -> dict[str, SupplierInvoice]:
        return self.current.supplier_invoices

    @property
    def invoices_by_key(self) -> dict[str, SupplierInvoice]:
        return self.current.invoices_by_key

    @property
    def idempotent_answers(self) -> dict[str, CachedAnswer]:
        return self.current.idempotent_answers

    @property
    def pending_analysis(self) -> dict[str, SupplierInvoice]:
        return self.current.pending_analysis

    @property
    def claimed_transactions(self) -> set[str]:
        return self.current.claimed_transactions

    def find_attachment(self, attachment_id: str) -> Attachment | None:
        """An attachment of any organisation (the pre-signed download links carry no token)."""
        for organization in self.organizations.values():
            if attachment_id in organization.attachments:
                return organization.attachments[attachment_id]
        return None

    @property
    def organization_id(self) -> str:
        return str(self.organization["id"])
