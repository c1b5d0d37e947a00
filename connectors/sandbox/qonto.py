"""Qonto Business API emulator (../shared/reference/qonto.md): OAuth (Ory Hydra style, rotating
refresh tokens), organisation and bank accounts, supplier-invoice bulk upload with per-item
errors and idempotency, supplier-invoice and transaction listings, transaction attachments.

One server plays both the API host (``/v2/...``) and the OAuth host (``/oauth2/...``). The
endpoints live in :mod:`.qonto_oauth`, :mod:`.qonto_invoices` and :mod:`.qonto_banking`; this
module holds the state, the Python helpers, authentication, errors and pagination.

Assumptions where the documentation is silent (open questions in the reference):

- **Idempotency** (docs "Idempotent requests", applied to the bulk items' keys too): a key
  that created an invoice returns that invoice (whatever file comes with it) for 30 virtual
  minutes, then the same key creates a new one; an item that failed is not remembered, so a
  retry is a fresh attempt. An item without its key or its file fails the whole request (400
  ``required``). Analysis and Qonto's own attachment matcher: :mod:`.qonto_analysis`.
- Limits use decimal megabytes: a file over 10,000,000 bytes is a per-item ``invalid``; a request
  body over 15,000,000 bytes is a 400 ``bad_request`` "Request is too large".
- Only the documented ``supplier_invoices[][...]`` Rails form creates items; the single JSON part
  of the generated doc snippet is a 400.
- ``per_page`` above 100 and a ``page`` past the last one are 422 ``invalid``.
- ``POST /v2/transactions/{id}/attachments`` answers 200 with an empty body; a missing
  ``X-Qonto-Idempotency-Key`` is a 400 ``required``. Idempotency keys are global to the
  organisation, last 30 virtual minutes and cache successful answers only.
- ``DELETE /v2/oauth2/consents`` answers 204.
- Refresh-token rotation: a rotated-out token keeps working for 60 s after its first use (each
  use returns a fresh pair), then ``invalid_grant``; access tokens stay valid until they expire
  (1 h) unless revoked. Token errors are Hydra-style ``{"error", "error_description"}``.
- Expired, revoked and unknown access tokens all get the same 401 ``unauthorized``; a token
  without the endpoint's scope gets 403 ``forbidden`` "missing required oauth scope".
- Organisations: one by default (the demo's, and every test's). ``add_organization`` adds
  others, each with its own bank accounts, transactions, supplier invoices, attachments and
  idempotency keys; a token is granted for one organisation (``issue_token(organization_id=)``;
  the OAuth consent grants the default one), its refreshed tokens stay with it, and every
  ``/v2`` call answers for that organisation only (another's objects are 404s). The API key and
  Python helpers work on the default organisation, or the one an ``organization_scope`` names.
  Pre-signed attachment links work whoever holds them. ``DELETE /v2/oauth2/consents`` revokes
  the grants of the caller's organisation.
"""

from __future__ import annotations

import hmac
import math
import threading
import uuid
from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any
from typing import Unpack

from connectors.sandbox import qonto_analysis
from connectors.sandbox import qonto_banking
from connectors.sandbox import qonto_invoices
from connectors.sandbox import qonto_oauth
from connectors.sandbox.constants import QONTO_API_LOGIN
from connectors.sandbox.constants import QONTO_API_SECRET_KEY
from connectors.sandbox.constants import QONTO_BIC
from connectors.sandbox.constants import QONTO_CLIENT_ID
from connectors.sandbox.constants import QONTO_CLIENT_SECRET
from connectors.sandbox.constants import QONTO_MAIN_BANK_ACCOUNT_ID
from connectors.sandbox.constants import QONTO_MAIN_IBAN
from connectors.sandbox.constants import QONTO_MEMBERSHIP_ID
from connectors.sandbox.constants import QONTO_SCOPES
from connectors.sandbox.documents.qonto_objects import TransactionFacts
from connectors.sandbox.documents.qonto_objects import qonto_bank_account
from connectors.sandbox.oauth import TokenPolicy
from connectors.sandbox.oauth import TokenStatus
from connectors.sandbox.oauth import TokenStore
from connectors.sandbox.qonto_item_errors import ItemErrorRule
from connectors.sandbox.qonto_item_errors import ItemErrors
from connectors.sandbox.qonto_models import SEEDED_SUBJECT_TYPES
from connectors.sandbox.qonto_models import TRANSACTION_STATUSES
from connectors.sandbox.qonto_models import Attachment
from connectors.sandbox.qonto_models import Organization
from connectors.sandbox.qonto_models import SupplierInvoice
from connectors.sandbox.qonto_models import Transaction
from connectors.sandbox.qonto_models import cents
from connectors.sandbox.qonto_models import french_iban
from connectors.sandbox.qonto_models import iso
from connectors.sandbox.qonto_models import parse_time
from connectors.sandbox.qonto_models import seeded_counterparty
from connectors.sandbox.qonto_models import wire_value
from connectors.sandbox.qonto_organizations import DEFAULT_PROFILE
from connectors.sandbox.qonto_organizations import OrganizationState
from connectors.sandbox.server import Address
from connectors.sandbox.server import Emulator
from connectors.sandbox.server import Route
from connectors.sandbox.server import RouteHandler
from connectors.sandbox.server import StatusFault
from connectors.sandbox.server import control_json
from connectors.sandbox.server import route
from connectors.sandbox.wire import BadRequestError
from connectors.sandbox.wire import HttpError
from connectors.sandbox.wire import Request
from connectors.sandbox.wire import Response
from connectors.sandbox.wire import html_page
from connectors.sandbox.wire import html_response
from connectors.sandbox.wire import json_response

# Refresh tokens live 90 days and rotate; a rotated-out one works for a minute after first use.
TOKEN_POLICY = TokenPolicy(
    access_ttl=qonto_oauth.ACCESS_TOKEN_SECONDS,
    refresh_ttl=90 * 24 * 3600,
    access_prefix="ory_at_",
    refresh_prefix="ory_rt_",
    code_prefix="ory_ac_",
    rotate_refresh_tokens=True,
    rotation_grace_seconds=60,
)
MAX_PER_PAGE = 100
BULK_ERROR_STYLES = ("standard", "list_source", "details")
ONELOGIN_PAGE = html_page(
    "Qonto - Sign in",
    "<h1>Sign in with OneLogin</h1><form action='https://qonto.onelogin.com/login'>"
    "<input name='username'></form>",
)
Handler = Callable[["QontoEmulator", Request, dict[str, str]], Response]
# Injected status faults: the error code (unless the fault sets ``error``) and detail.
_STATUS_ERRORS = {
    400: ("bad_request", "Bad request"),
    401: ("unauthorized", "Invalid credentials"),
    403: ("forbidden", "You are not allowed to perform this action"),
    404: ("not_found", "Not found"),
    422: ("unprocessable_entity", "Unprocessable entity"),
    429: ("too_many_requests", "Too Many Requests"),
    500: ("internal_server_error", "Internal server error"),
    502: ("bad_gateway", "Bad gateway"),
    503: ("service_unavailable", "Service unavailable"),
    504: ("gateway_timeout", "Gateway timeout"),
}


class QontoEmulator(ItemErrors, OrganizationState, Emulator):
    name = "qonto"

    def __init__(
        self,
        *,
        client_id: str = QONTO_CLIENT_ID,
        client_secret: str = QONTO_CLIENT_SECRET,
        staging_token: str | None = None,
        api_login: str = QONTO_API_LOGIN,
        api_secret_key: str = QONTO_API_SECRET_KEY,
        **address: Unpack[Address],
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.initial_staging_token = staging_token
        self.api_login = api_login
        self.api_secret_key = api_secret_key
        self.url_key = uuid.uuid4().bytes
        self._bound = threading.local()
        super().__init__(**address)

    def reset_state(self) -> None:
        self.tokens = TokenStore(self.clock, TOKEN_POLICY)
        # Switches, restored on reset.
        self.staging_token: str | None = self.initial_staging_token
        self.consent = "allow"
        self.attachment_visibility_delay = 0.0
        self.bulk_error_style = "list_source"
        self.omit_next_page_on_last = False
        self.invoice_analyzer: Callable[[str, bytes], Mapping[str, Any] | None] | None = None
        self.analysis_delay = qonto_analysis.ANALYSIS_SECONDS
        self.misreads: list[qonto_analysis.Misread] = []
        self.item_error_rules: list[ItemErrorRule] = []
        # Data: organisations by a key of the emulator's own (an organisation's id may change
        # with load_organization); the grant behind each token names its organisation's key.
        self.organizations: dict[str, Organization] = {}
        self.grant_organizations: dict[str, str] = {}
        self.code_organizations: dict[str, str] = {}
        self.default_organization_key = self._new_organization(dict(DEFAULT_PROFILE))
        self.add_bank_account(
            id=QONTO_MAIN_BANK_ACCOUNT_ID,
            name="Compte principal",
            iban=QONTO_MAIN_IBAN,
            balance="48210.55",
            main=True,
        )

    # --- organisations ---------------------------------------------------------------------------

    def add_organization(
        self,
        *,
        name: str,
        id: str | None = None,
        slug: str | None = None,
        legal_number: str | None = None,
        balance: Decimal | str = "0",
    ) -> str:
        """Another organisation (a company of its own, with its own main account, IBAN,
        transactions and supplier invoices); returns its id. Its tokens come from
        ``issue_token(organization_id=...)``; its helpers run inside ``organization_scope``."""
        with self.lock:
            number = len(self.organizations) + 1
            slug = slug or f"{QONTO_API_LOGIN}-{number}"
            default = self.organizations[self.default_organization_key].profile
            profile = {
                **default,
                "id": id or str(uuid.uuid4()),
                "name": name,
                "slug": slug,
                "legal_name": name.upper(),
                "legal_number": legal_number or default["legal_number"],
            }
            with self.bound_to(self._new_organization(profile)):
                self.add_bank_account(
                    name="Compte principal",
                    iban=french_iban("16958", "00001", f"{number:011d}"),
                    balance=balance,
                    main=True,
                )
            return str(profile["id"])

    # --- Python helpers: seeding -----------------------------------------------------------------

    def add_bank_account(
        self,
        *,
        iban: str,
        name: str = "Compte secondaire",
        id: str | None = None,
        balance: Decimal | str = "0",
        currency: str = "EUR",
        main: bool = False,
    ) -> dict[str, Any]:
        with self.lock:
            balance_cents = cents(Decimal(str(balance)))
            account = qonto_bank_account(
                account_id=id or str(uuid.uuid4()),
                organization_id=self.organization_id,
                slug=f"{self.organization['slug']}-bank-account-{len(self.bank_accounts) + 1}",
                name=name,
                iban=iban,
                bic=QONTO_BIC,
                currency=currency,
                balance_cents=balance_cents,
                authorized_balance_cents=balance_cents,
                account_number=iban[-13:-2],
                updated_at=self.clock.now(),
                main=main,
            )
            self.bank_accounts[account["id"]] = account
            return account

    def load_organization(
        self,
        organization: Mapping[str, Any],
        *,
        bank_accounts: Sequence[Mapping[str, Any]] | None = None,
        transactions: Sequence[Mapping[str, Any]] = (),
    ) -> None:
        """Replace the organisation, its bank accounts and transactions with objects already in
        Qonto's wire format (what ``build_demo_scenario()`` produces)."""
        with self.lock:
            accounts = list(bank_accounts or organization.get("bank_accounts") or [])
            self.organization = {k: v for k, v in organization.items() if k != "bank_accounts"}
            self.bank_accounts = {str(account["id"]): dict(account) for account in accounts}
            self.transactions = {}
            for wire in transactions:
                self.load_transaction(wire)

    def load_transaction(self, wire: Mapping[str, Any]) -> Transaction:
        with self.lock:
            if wire["bank_account_id"] not in self.bank_accounts:
                raise KeyError(wire["bank_account_id"])
            qonto_analysis.settle(self)
            transaction = Transaction(
                wire=dict(wire), attachment_ids=list(wire.get("attachment_ids") or [])
            )
            self.transactions[transaction.id] = transaction
            qonto_analysis.match_transaction(self, transaction)
            return transaction

    def add_transaction(
        self,
        *,
        amount: Decimal | str,
        label: str,
        side: str = "debit",
        bank_account_id: str | None = None,
        status: str = "completed",
        operation_type: str | None = None,
        reference: str | None = None,
        note: str | None = None,
        local_amount: Decimal | str | None = None,
        local_currency: str | None = None,
        emitted_at: datetime | None = None,
        settled_at: datetime | None = None,
        counterparty_iban: str | None = None,
        counterparty_bic: str | None = None,
        card_last_digits: str | None = None,
        category: str = "other_expense",
        vat_amount: Decimal | str | None = None,
        vat_rate: Decimal | str | None = None,
        id: str | None = None,
    ) -> Transaction:
        """Seed a transaction (amount unsigned in the account currency; ``side`` gives the
        direction; ``local_amount``/``local_currency`` for a foreign-currency operation)."""
        if status not in TRANSACTION_STATUSES:
            raise ValueError(f"status must be one of {TRANSACTION_STATUSES}")
        with self.lock:
            now = self.clock.now()
            account_id = bank_account_id or next(iter(self.bank_accounts))
            currency = str(self.bank_accounts[account_id]["currency"])
            operation = operation_type or ("income" if side == "credit" else "transfer")
            emitted = emitted_at or now
            facts = TransactionFacts(
                transaction_uuid=id or str(uuid.uuid4()),
                transaction_id=f"{self.organization['slug']}-1-transaction-"
                f"{len(self.transactions) + 1}",
                bank_account_id=account_id,
                side=side,
                operation_type=operation,
                subject_type=SEEDED_SUBJECT_TYPES.get(operation, "Other"),
                status=status,
                amount=Decimal(str(amount)),
                currency=currency,
                local_amount=Decimal(str(local_amount if local_amount is not None else amount)),
                local_currency=local_currency or currency,
                label=label,
                category=category,
                emitted_at=emitted,
                settled_at=(settled_at or emitted) if status == "completed" else settled_at,
                created_at=now,
                reference=reference,
                note=note,
                vat_amount=Decimal(str(vat_amount)) if vat_amount is not None else None,
                vat_rate=float(Decimal(str(vat_rate))) if vat_rate is not None else None,
                initiator_id=QONTO_MEMBERSHIP_ID if side == "debit" else None,
                card_last_digits=card_last_digits,
                counterparty=seeded_counterparty(counterparty_iban, counterparty_bic),
            )
            return self.load_transaction(facts.wire())

    def update_transaction(self, transaction_id: str, **changes: Any) -> Transaction:
        """Change wire fields of a transaction (``status="completed"``, ``amount=Decimal(...)``,
        ``settled_at=datetime``...); ``updated_at`` moves to now."""
        with self.lock:
            transaction = self.transactions[transaction_id]
            for key, value in changes.items():
                transaction.wire[key] = wire_value(value)
                if key in ("amount", "local_amount", "vat_amount") and value is not None:
                    transaction.wire[f"{key}_cents"] = cents(Decimal(str(value)))
            now = iso(self.clock.now())
            if transaction.wire["status"] == "completed" and not transaction.wire["settled_at"]:
                transaction.wire["settled_at"] = now
            transaction.wire["updated_at"] = now
            return transaction

    def set_extracted_fields(self, invoice_id: str, **fields: Any) -> SupplierInvoice:
        """Simulate Qonto's analysis of an uploaded invoice (``supplier_name``, ``currency``,
        ``total_amount`` as Decimal/str, ``issue_date`` "YYYY-MM-DD", ...)."""
        with self.lock:
            qonto_analysis.settle(self)
            invoice = self.supplier_invoices[invoice_id]
            invoice.extracted.update(fields)
            invoice.analysis_due_at = None
            self.pending_analysis.pop(invoice_id, None)
            invoice.analyzed_at = invoice.updated_at = self.clock.now()
            return invoice

    def misread(self, field: str, value: Any = None, **upload: str) -> qonto_analysis.Misread:
        """Make Qonto's analysis read ``field`` (Qonto's name: ``total_amount``, ``due_date``,
        ...) of the upload chosen by ``idempotency_key=``, ``file_sha256=`` or ``invoice_id=``
        as ``value`` (None: a plausible corruption of the truth)."""
        with self.lock:
            return qonto_analysis.add_misread(self, field, value, **upload)

    def plant_supplier_invoice(self, **fields: Any) -> SupplierInvoice:
        """A supplier invoice that reached Qonto another way (e-mail inbox, manual upload);
        see :func:`qonto_analysis.plant` for the fields."""
        with self.lock:
            return qonto_analysis.plant(self, **fields)

    def settle(self) -> None:
        """Run Qonto's analyses (and its matcher) due by the virtual clock's now."""
        with self.lock:
            qonto_analysis.settle(self)

    def issue_token(
        self, *, scopes: tuple[str, ...] = QONTO_SCOPES, organization_id: str | None = None
    ) -> dict[str, Any]:
        """Tokens as if the OAuth flow had run (a refresh token when ``offline_access``), for
        ``organization_id`` (default: the current organisation)."""
        with self.lock:
            if organization_id is not None:
                with self.organization_scope(organization_id):
                    return self.issue_token(scopes=scopes)
            grant = self.tokens.create_grant(client_id=self.client_id, scopes=scopes)
            self.grant_organizations[grant.id] = self.current_key()
            access = self.tokens.issue_access(grant)
            return qonto_oauth.token_payload(self, grant.scopes, access.token, grant)

    def revoke_all_tokens(self) -> None:
        with self.lock:
            self.tokens.revoke_all()

    # --- Python helpers: reading back ------------------------------------------------------------

    def invoice_count_by_idempotency_key(self) -> dict[str, int]:
        with self.lock:
            counts: dict[str, int] = {}
            for invoice in self.supplier_invoices.values():
                if invoice.idempotency_key:  # planted invoices have none
                    counts[invoice.idempotency_key] = counts.get(invoice.idempotency_key, 0) + 1
            return counts

    def invoice_count_by_file_hash(self) -> dict[str, int]:
        """SHA-256 hex of the uploaded file → number of supplier invoices holding it."""
        with self.lock:
            counts: dict[str, int] = {}
            for invoice in self.supplier_invoices.values():
                counts[invoice.file_sha256] = counts.get(invoice.file_sha256, 0) + 1
            return counts

    def attachments_of(self, transaction_id: str) -> list[Attachment]:
        """Every attachment on a transaction, processed or not (Qonto's matcher's included)."""
        with self.lock:
            qonto_analysis.settle(self)
            return [
                self.attachments[attachment_id]
                for attachment_id in self.transactions[transaction_id].attachment_ids
                if attachment_id in self.attachments
            ]

    def state_snapshot(self) -> dict[str, Any]:
        qonto_analysis.settle(self)
        return {
            "organization": self.organization,
            "bank_accounts": list(self.bank_accounts.values()),
            "transactions": [
                qonto_banking.transaction_json(self, t, set()) for t in self.transactions.values()
            ],
            "attachments": [
                {
                    "id": attachment.id,
                    "file_name": attachment.file_name,
                    "sha256": attachment.sha256,
                    "transaction_id": attachment.transaction_id,
                    "idempotency_key": attachment.idempotency_key,
                }
                for attachment in self.attachments.values()
            ],
            "supplier_invoices": [
                {
                    **invoice.to_json(self.organization_id),
                    "idempotency_key": invoice.idempotency_key,
                    "file_sha256": invoice.file_sha256,
                }
                for invoice in self.supplier_invoices.values()
            ],
            "invoice_count_by_idempotency_key": self.invoice_count_by_idempotency_key(),
            "invoice_count_by_file_hash": self.invoice_count_by_file_hash(),
            "oauth": self.tokens.snapshot(),
        }

    # --- routes ----------------------------------------------------------------------------------

    def build_routes(self) -> list[Route]:
        api = self._api
        return [
            route("GET", "/oauth2/auth", self._bind(qonto_oauth.authorize)),
            route("POST", "/oauth2/token", api(qonto_oauth.token)),
            route("POST", "/oauth2/revoke", api(qonto_oauth.revoke)),
            route("DELETE", "/v2/oauth2/consents", api(qonto_oauth.delete_consents)),
            route("GET", "/v2/organization", api(qonto_banking.organization)),
            route("GET", "/v2/bank_accounts", api(qonto_banking.bank_accounts)),
            route("GET", "/v2/bank_accounts/{account_id}", api(qonto_banking.bank_account)),
            route("POST", "/v2/supplier_invoices/bulk", api(qonto_invoices.bulk)),
            route("GET", "/v2/supplier_invoices", api(qonto_invoices.list_invoices)),
            route("GET", "/v2/supplier_invoices/{invoice_id}", api(qonto_invoices.get_invoice)),
            route("GET", "/v2/transactions", api(qonto_banking.list_transactions)),
            route("GET", "/v2/transactions/{transaction_id}", api(qonto_banking.get_transaction)),
            route(
                ("GET", "POST"),
                "/v2/transactions/{transaction_id}/attachments",
                api(qonto_banking.transaction_attachments),
            ),
            route("POST", "/v2/attachments", api(qonto_banking.upload_attachment)),
            route("GET", "/v2/attachments/{attachment_id}", api(qonto_banking.get_attachment)),
            route(
                "GET",
                "/attachment-files/{attachment_id}",
                self._bind(qonto_banking.attachment_file),
            ),
        ]

    def build_control_routes(self) -> list[Route]:
        return [
            route(("POST", "DELETE"), "/_sandbox/item_errors", self._control_item_errors),
            route("POST", "/_sandbox/transactions", self._control_add_transaction),
            route("POST", "/_sandbox/bank_accounts", self._control_add_bank_account),
            route("POST", "/_sandbox/supplier_invoices/{invoice_id}", self._control_extract),
            route("POST", "/_sandbox/supplier_invoices", self._bind(qonto_analysis.control_plant)),
            route("POST", "/_sandbox/misreads", self._bind(qonto_analysis.control_misread)),
            route("POST", "/_sandbox/settings", self._control_settings),
        ]

    def _api(self, handler: Handler) -> RouteHandler:
        """Bind, behind the sandbox's staging-token gate: without the exact header the real
        sandbox answers with a OneLogin HTML page and status 200."""

        def guarded(request: Request, params: dict[str, str]) -> Response:
            if self.staging_token is not None and not hmac.compare_digest(
                request.header_exact("X-Qonto-Staging-Token") or "", self.staging_token
            ):
                return html_response(200, ONELOGIN_PAGE)
            with self.lock, self.bound_to(self._organization_key_of(request)):
                qonto_analysis.settle(self)
                return handler(self, request, params)

        return guarded

    # --- helpers for the endpoint modules --------------------------------------------------------

    def error(
        self,
        request: Request,
        status: int,
        code: str,
        detail: str,
        *,
        source: dict[str, str] | None = None,
        message_key: str = "detail",
    ) -> HttpError:
        """A JSON:API error with ``trace_id``; ``message_key="message"`` for the endpoints
        whose errors say ``message``."""
        error: dict[str, Any] = {"code": code, message_key: detail}
        if source is not None:
            error["source"] = source
        return HttpError(json_response(status, {"errors": [error], "trace_id": request.request_id}))

    def authenticate(
        self, request: Request, scope: str | tuple[str, ...], *, api_key_ok: bool = True
    ) -> None:
        """OAuth bearer token with one of ``scope``, or the ``login:secret`` API key."""
        header = request.header("Authorization")
        if not header:
            raise self.error(
                request, 401, "unauthorized", "You must be authenticated to perform this action"
            )
        scopes = (scope,) if isinstance(scope, str) else scope
        scheme, _, credential = header.partition(" ")
        if scheme.lower() == "bearer" and credential:
            check = self.tokens.check_access(credential.strip())
            if check.status is not TokenStatus.VALID or check.token is None:
                raise self.error(request, 401, "unauthorized", "Invalid credentials")
            if not set(scopes) & set(check.token.scopes):
                raise self.error(
                    request,
                    403,
                    "forbidden",
                    f"You are missing required oauth scope: {scopes[0]}",
                )
            return
        login, colon, secret = header.partition(":")
        if (
            api_key_ok
            and colon
            and login == self.api_login
            and hmac.compare_digest(secret, self.api_secret_key)
        ):
            return
        raise self.error(request, 401, "unauthorized", "Invalid credentials")

    def paginate(
        self, request: Request, items: list[Any], *, message_key: str = "detail"
    ) -> tuple[list[Any], dict[str, Any]]:
        """One page of ``items`` and Qonto's ``meta`` (per_page ≤ 100; a page past the end
        is a 422, as the live API sometimes answers)."""

        def positive(name: str, default: int) -> int:
            raw = request.arg(name)
            if raw is None or raw == "":
                return default
            try:
                value = int(raw)
            except ValueError:
                value = 0
            if value < 1:
                raise self.error(
                    request,
                    422,
                    "invalid",
                    f"{name} must be a positive integer",
                    source={"parameter": name},
                    message_key=message_key,
                )
            return value

        page = positive("page", 1)
        per_page = positive("per_page", MAX_PER_PAGE)
        if per_page > MAX_PER_PAGE:
            raise self.error(
                request,
                422,
                "invalid",
                f"per_page must be less than or equal to {MAX_PER_PAGE}",
                source={"parameter": "per_page"},
                message_key=message_key,
            )
        total_pages = math.ceil(len(items) / per_page)
        if page > max(total_pages, 1):
            raise self.error(
                request,
                422,
                "invalid",
                f"page {page} is out of range (total_pages: {total_pages})",
                source={"parameter": "page"},
                message_key=message_key,
            )
        start = (page - 1) * per_page
        meta: dict[str, Any] = {
            "current_page": page,
            "next_page": page + 1 if page < total_pages else None,
            "prev_page": page - 1 if page > 1 else None,
            "total_pages": total_pages,
            "total_count": len(items),
            "per_page": per_page,
        }
        if meta["next_page"] is None and self.omit_next_page_on_last:
            del meta["next_page"]
        return items[start : start + per_page], meta

    # --- control ---------------------------------------------------------------------------------

    def _control_add_transaction(self, request: Request, params: dict[str, str]) -> Response:
        payload = control_json(request)
        if "wire" in payload:
            transaction = self.load_transaction(payload["wire"])
        else:
            for name in ("emitted_at", "settled_at"):
                if payload.get(name) is not None:
                    moment = parse_time(str(payload[name]))
                    if moment is None:
                        raise BadRequestError(f"{name} is not an ISO 8601 time")
                    payload[name] = moment
            transaction = self.add_transaction(**payload)
        with self.lock:
            return json_response(201, qonto_banking.transaction_json(self, transaction, set()))

    def _control_add_bank_account(self, request: Request, params: dict[str, str]) -> Response:
        return json_response(201, self.add_bank_account(**control_json(request)))

    def _control_extract(self, request: Request, params: dict[str, str]) -> Response:
        invoice = self.set_extracted_fields(params["invoice_id"], **control_json(request))
        return json_response(200, invoice.to_json(self.organization_id))

    def _control_settings(self, request: Request, params: dict[str, str]) -> Response:
        payload = control_json(request)
        with self.lock:
            if "staging_token" in payload:
                self.staging_token = payload["staging_token"]
            if "consent" in payload:
                if payload["consent"] not in ("allow", "deny"):
                    raise BadRequestError('consent must be "allow" or "deny"')
                self.consent = payload["consent"]
            if "attachment_visibility_delay" in payload:
                self.attachment_visibility_delay = float(payload["attachment_visibility_delay"])
            if "bulk_error_style" in payload:
                if payload["bulk_error_style"] not in BULK_ERROR_STYLES:
                    raise BadRequestError(f"bulk_error_style must be one of {BULK_ERROR_STYLES}")
                self.bulk_error_style = payload["bulk_error_style"]
            if "omit_next_page_on_last" in payload:
                self.omit_next_page_on_last = bool(payload["omit_next_page_on_last"])
            if "analysis_delay" in payload:
                self.analysis_delay = float(payload["analysis_delay"])
            return json_response(
                200,
                {
                    "staging_token_required": self.staging_token is not None,
                    "consent": self.consent,
                    "attachment_visibility_delay": self.attachment_visibility_delay,
                    "bulk_error_style": self.bulk_error_style,
                    "omit_next_page_on_last": self.omit_next_page_on_last,
                    "analysis_delay": self.analysis_delay,
                },
            )

    # --- provider-shaped faults ---------------------------------------------------------------

    def status_fault_response(self, fault: StatusFault) -> Response:
        code, detail = _STATUS_ERRORS.get(fault.status, ("error", "Error"))
        return self._plain_error(
            fault.request, fault.status, fault.error(code), detail, headers=fault.headers
        )

    def schema_error_response(self, request: Request, spec: Mapping[str, Any]) -> Response:
        """``{"status": 400|422 (default 422), "code", "detail", "pointer" | "parameter"}``, or
        ``{"status", "errors": [...]}`` taken verbatim."""
        status = int(spec.get("status", 422))
        if "errors" in spec:
            errors = list(spec["errors"])
        else:
            error: dict[str, Any] = {
                "code": spec.get("code", "invalid"),
                "detail": spec.get("detail", "is invalid"),
            }
            if "pointer" in spec:
                error["source"] = {"pointer": spec["pointer"]}
            elif "parameter" in spec:
                error["source"] = {"parameter": spec["parameter"]}
            errors = [error]
        return json_response(status, {"errors": errors, "trace_id": request.request_id})

    def html_fault_response(self, request: Request) -> Response:
        return html_response(200, ONELOGIN_PAGE)

    def _plain_error(
        self,
        request: Request,
        status: int,
        code: str,
        detail: str,
        *,
        headers: Sequence[tuple[str, str]] = (),
    ) -> Response:
        return json_response(
            status,
            {"errors": [{"code": code, "detail": detail}], "trace_id": request.request_id},
            headers=headers,
        )

    def not_found_response(self, request: Request) -> Response:
        return self._plain_error(request, 404, "not_found", "Route not found")

    def bad_request_response(self, request: Request, message: str) -> Response:
        return self._plain_error(request, 400, "bad_request", message)

    def internal_error_response(self, request: Request) -> Response:
        return self._plain_error(request, 500, "internal_server_error", "Internal server error")
