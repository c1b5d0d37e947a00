"""Typed Qonto Business API client: supplier invoices (bulk upload, list, get), transactions,
attachments, organization and bank accounts, consent deletion.

Reads are retried on transient failures. The bulk upload is retried only when the request
surely did not reach Qonto (connect failure, 429): Qonto keeps an idempotency key for 30
minutes and replays only successful answers, so a key may have expired or never been kept by
the time a retry goes out; an unknown outcome goes back to the caller, who looks the invoices up
before re-posting. Attaching a file carries ``X-Qonto-Idempotency-Key``
(documented replay-safe for 30 minutes) and is retried like a read.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable
from collections.abc import Iterator
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from typing import Any
from typing import TypeVar
from urllib.parse import quote

import requests
from pydantic import BaseModel
from urllib3 import encode_multipart_formdata

from connectors.config import QontoConfig
from connectors.errors import FileTooLargeError
from connectors.errors import ProtocolError
from connectors.errors import TransientError
from connectors.http import ConnectorSession
from connectors.http import RetryPolicy
from connectors.http import build_session
from connectors.http import call_with_retries
from connectors.http import read_model
from connectors.http import request_id_of
from connectors.http import retry_any
from connectors.http import retry_if_not_sent
from connectors.oauth import QONTO_SANDBOX_HINT
from connectors.oauth import AuthorizedCall
from connectors.oauth import TokenSource
from connectors.qonto.bulk import MAX_REQUEST_BYTES
from connectors.qonto.bulk import BulkItem
from connectors.qonto.bulk import BulkResult
from connectors.qonto.bulk import encode_bulk_body
from connectors.qonto.bulk import map_bulk_response
from connectors.qonto.errors import raise_for_qonto_status
from connectors.qonto.schemas import BankAccount
from connectors.qonto.schemas import BankAccountPage
from connectors.qonto.schemas import BulkResponse
from connectors.qonto.schemas import Organization
from connectors.qonto.schemas import OrganizationEnvelope
from connectors.qonto.schemas import PageMeta
from connectors.qonto.schemas import SupplierInvoice
from connectors.qonto.schemas import SupplierInvoiceEnvelope
from connectors.qonto.schemas import SupplierInvoicePage
from connectors.qonto.schemas import Transaction
from connectors.qonto.schemas import TransactionAttachment
from connectors.qonto.schemas import TransactionAttachmentPage
from connectors.qonto.schemas import TransactionPage
from connectors.qonto.schemas import UnreadableItem

PROVIDER = "qonto"
DEFAULT_RETRY = RetryPolicy(max_attempts=4, base_delay=1.0, max_delay=30.0, budget=120.0)
MAX_PER_PAGE = 100
MAX_PAGES = 10_000
# Our clock and Qonto's may disagree; look-ups start this much earlier than asked.
LOOKUP_CLOCK_SLACK = timedelta(minutes=5)
# The ``status[]`` enum of GET /v2/transactions; there is no "reversed".
TRANSACTION_STATUSES = ("pending", "declined", "completed")
DEFAULT_TRANSACTION_STATUSES = ("pending", "completed", "declined")
# The reference's sort fields, and updated_at, which Qonto's sync guide sorts on.
SUPPLIER_INVOICE_SORT_FIELDS = (
    "created_at",
    "updated_at",
    "file_name",
    "supplier_name",
    "payment_date",
    "due_date",
    "scheduled_date",
    "total_amount",
)
# Attachment idempotency keys are uuid5 names in this namespace (fixed: changing it would make
# every retried attachment look new to Qonto).
ATTACHMENT_KEY_NAMESPACE = uuid.UUID("6f1c2a5e-3d8b-4c7e-9a41-0b5d2e8f7c13")
_IBAN = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{10,30}$")

logger = logging.getLogger("connectors.qonto")

ModelT = TypeVar("ModelT", bound=BaseModel)
T = TypeVar("T")
Params = Sequence[tuple[str, str]]


def _rfc3339(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("datetimes sent to Qonto must be timezone-aware")
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


DUE_DATE_FILTERS = ("past_and_today", "future", "missing_date")


@dataclass(frozen=True)
class SupplierInvoiceFilters:
    """The documented filters of ``GET /v2/supplier_invoices``; datetimes go out in RFC 3339."""

    statuses: tuple[str, ...] = ()
    created_at_from: datetime | None = None
    created_at_to: datetime | None = None
    updated_at_from: datetime | None = None
    updated_at_to: datetime | None = None
    attachment_ids: tuple[str, ...] = ()
    due_date: str | None = None
    sort_by: str = "created_at:asc"

    def params(self) -> list[tuple[str, str]]:
        field_name, _, order = self.sort_by.partition(":")
        if field_name not in SUPPLIER_INVOICE_SORT_FIELDS or order not in ("asc", "desc"):
            raise ValueError(
                "sort_by must be <field>:<asc|desc> with field in "
                f"{', '.join(SUPPLIER_INVOICE_SORT_FIELDS)}"
            )
        if self.due_date is not None and self.due_date not in DUE_DATE_FILTERS:
            raise ValueError(f"due_date must be one of {', '.join(DUE_DATE_FILTERS)}")
        params: list[tuple[str, str]] = [("sort_by", self.sort_by)]
        params += [("filter[status][]", status) for status in self.statuses]
        params += [("filter[attachment_id][]", attachment) for attachment in self.attachment_ids]
        for name, moment in (
            ("filter[created_at_from]", self.created_at_from),
            ("filter[created_at_to]", self.created_at_to),
            ("filter[updated_at_from]", self.updated_at_from),
            ("filter[updated_at_to]", self.updated_at_to),
        ):
            if moment is not None:
                params.append((name, _rfc3339(moment)))
        if self.due_date is not None:
            params.append(("filter[due_date]", self.due_date))
        return params


def attachment_idempotency_key(*parts: object) -> str:
    """The ``X-Qonto-Idempotency-Key`` for attaching a file: a real UUID (version 5) derived from
    what identifies the operation (e.g. workspace, transaction id, document content hash), so a
    retry of the same attachment sends the same key and another attachment another one."""
    if not parts:
        raise ValueError("an attachment idempotency key needs at least one identifying part")
    return str(uuid.uuid5(ATTACHMENT_KEY_NAMESPACE, "\x1f".join(str(part) for part in parts)))


def _documented_statuses(statuses: Sequence[str]) -> list[str]:
    """Only Qonto's real transaction statuses are sent; any other value is dropped with a log
    line (Qonto would refuse the whole listing with ``status_invalid``)."""
    unknown = [status for status in statuses if status not in TRANSACTION_STATUSES]
    if unknown:
        logger.warning(
            "qonto: %s is not a transaction status (Qonto knows %s); not sent",
            ", ".join(unknown),
            ", ".join(TRANSACTION_STATUSES),
        )
    return [status for status in statuses if status in TRANSACTION_STATUSES]


class QontoClient:
    """https://docs.qonto.com/api-reference/business-api

    ``authorization_scheme`` is ``"Bearer"`` for OAuth; ``None`` sends the token source's value
    as is, which is what Qonto's API-key auth wants (``Authorization: login:secret-key``).
    """

    def __init__(
        self,
        config: QontoConfig,
        tokens: TokenSource,
        *,
        authorization_scheme: str | None = "Bearer",
        session: ConnectorSession | None = None,
        retry: RetryPolicy = DEFAULT_RETRY,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._config = config
        self._tokens = tokens
        self._scheme = authorization_scheme
        self._session = session or build_session(provider=PROVIDER)
        self._retry = retry
        self._sleep = sleep

    def __repr__(self) -> str:
        return f"QontoClient(api_url={self._config.api_url!r})"

    # --- supplier invoices -----------------------------------------------------------------------

    def bulk_create_supplier_invoices(
        self,
        items: Sequence[BulkItem],
        *,
        source: str = "integration",
        meta: Mapping[str, Any] | None = None,
        skip_attachment_matcher: bool | None = None,
    ) -> BulkResult:
        """https://docs.qonto.com/api-reference/business-api/expense-management/supplier-invoices/create-supplier-invoices

        Limits are checked before any request (``BulkLimitError``). The 200 answer may mix
        created invoices and per-item errors; both are mapped back to their idempotency keys.
        """
        body, content_type = encode_bulk_body(
            items, source=source, meta=meta, skip_attachment_matcher=skip_attachment_matcher
        )
        response = self._send(
            "POST",
            "/v2/supplier_invoices/bulk",
            data=body,
            headers={"Content-Type": content_type},
            should_retry=retry_if_not_sent,
        )
        parsed = self._model(response, BulkResponse, "a bulk upload result")
        return map_bulk_response(
            items, parsed, status=response.status_code, request_id=request_id_of(response)
        )

    def get_supplier_invoice(self, supplier_invoice_id: str) -> SupplierInvoice:
        """https://docs.qonto.com/api-reference/business-api/expense-management/supplier-invoices/retrieve-a-supplier-invoice"""
        response = self._send("GET", f"/v2/supplier_invoices/{quote(supplier_invoice_id, safe='')}")
        return self._model(response, SupplierInvoiceEnvelope, "a supplier invoice").supplier_invoice

    def list_supplier_invoices(
        self,
        *,
        statuses: Sequence[str] = (),
        created_at_from: datetime | None = None,
        created_at_to: datetime | None = None,
        updated_at_from: datetime | None = None,
        updated_at_to: datetime | None = None,
        attachment_ids: Sequence[str] = (),
        due_date: str | None = None,
        sort_by: str = "created_at:asc",
        per_page: int = MAX_PER_PAGE,
    ) -> Iterator[SupplierInvoice]:
        """https://docs.qonto.com/api-reference/business-api/expense-management/supplier-invoices/list-supplier-invoices

        Iterates every page (``meta.next_page``); items that do not match the schema are left
        out (logged; ``scan_supplier_invoices`` yields them too). For an incremental mirror,
        Qonto's sync guide asks ``updated_at_from``/``updated_at_to`` with ``updated_at:asc``."""
        filters = SupplierInvoiceFilters(
            statuses=tuple(statuses),
            created_at_from=created_at_from,
            created_at_to=created_at_to,
            updated_at_from=updated_at_from,
            updated_at_to=updated_at_to,
            attachment_ids=tuple(attachment_ids),
            due_date=due_date,
            sort_by=sort_by,
        )
        for item in self.scan_supplier_invoices(filters, per_page=per_page):
            if isinstance(item, SupplierInvoice):
                yield item

    def scan_supplier_invoices(
        self, filters: SupplierInvoiceFilters | None = None, *, per_page: int = MAX_PER_PAGE
    ) -> Iterator[SupplierInvoice | UnreadableItem]:
        """Like ``list_supplier_invoices``, but also yields the items that do not match the
        schema (``UnreadableItem``, raw item kept): a look-up deciding whether to re-post must
        see them, or it would take an unreadable copy for "not there"."""
        params = (filters or SupplierInvoiceFilters()).params()
        for page in self._pages(
            "/v2/supplier_invoices", params, SupplierInvoicePage, "supplier invoices", per_page
        ):
            yield from page.items

    def find_supplier_invoice_for(
        self,
        *,
        file_name: str,
        created_after: datetime,
        idempotency_key: str | None = None,
        now: datetime | None = None,
    ) -> SupplierInvoice | None:
        """Resolve an unknown outcome before a re-post: the earliest supplier invoice created
        since ``created_after`` (minus clock slack) whose ``file_name`` is ``file_name`` (or that
        echoes ``idempotency_key``, should Qonto ever return it). Unambiguous only if file names
        are unique per document, so give every upload a file name that embeds our document id.
        """
        start = min(created_after - LOOKUP_CLOCK_SLACK, now or datetime.now(UTC))
        matches: list[SupplierInvoice] = []
        for item in self.scan_supplier_invoices(SupplierInvoiceFilters(created_at_from=start)):
            if isinstance(item, UnreadableItem):
                if item.file_name == file_name:
                    raise ProtocolError(
                        f"Qonto lists an invoice named {file_name} that could not be read "
                        f"({item.problem}); not deciding whether it is ours",
                        provider=PROVIDER,
                        expected="a readable supplier invoice",
                        received=item.problem,
                    )
            elif (
                idempotency_key is not None and item.idempotency_key == idempotency_key
            ) or item.file_name == file_name:
                matches.append(item)
        if len(matches) > 1:
            logger.warning(
                "qonto: %d supplier invoices named %s since %s; using the earliest",
                len(matches),
                file_name,
                start.isoformat(),
            )
        return matches[0] if matches else None

    # --- transactions and attachments ------------------------------------------------------------

    def list_transactions(
        self,
        bank_account_id: str,
        *,
        updated_at_from: datetime,
        updated_at_to: datetime | None = None,
        statuses: Sequence[str] = DEFAULT_TRANSACTION_STATUSES,
        side: str | None = None,
        per_page: int = MAX_PER_PAGE,
    ) -> Iterator[Transaction]:
        """https://docs.qonto.com/api-reference/business-api/transactions-statements/transactions/list-transactions

        Qonto returns only ``completed`` unless ``status[]`` is given, so all three are asked
        for by default. Sorted by ``updated_at`` ascending; iterates every page."""
        # An account Qonto listed without id is identified by its IBAN (BankAccount.id_is_iban).
        account_param = "iban" if _IBAN.match(bank_account_id) else "bank_account_id"
        params: list[tuple[str, str]] = [
            (account_param, bank_account_id),
            ("updated_at_from", _rfc3339(updated_at_from)),
            ("sort_by", "updated_at:asc"),
        ]
        if updated_at_to is not None:
            params.append(("updated_at_to", _rfc3339(updated_at_to)))
        params += [("status[]", status) for status in _documented_statuses(statuses)]
        if side is not None:
            params.append(("side", side))
        for page in self._pages(
            "/v2/transactions", params, TransactionPage, "transactions", per_page
        ):
            yield from page.transactions

    def list_transaction_attachments(
        self, transaction_id: str, *, per_page: int = MAX_PER_PAGE
    ) -> Iterator[TransactionAttachment]:
        """``GET /v2/transactions/{id}/attachments``: the processed attachments, every page."""
        path = f"/v2/transactions/{quote(transaction_id, safe='')}/attachments"
        for page in self._pages(
            path, [], TransactionAttachmentPage, "transaction attachments", per_page
        ):
            yield from page.attachments

    def attach_file_to_transaction(
        self,
        transaction_id: str,
        filename: str,
        content: bytes,
        *,
        idempotency_key: str,
        content_type: str = "application/pdf",
    ) -> None:
        """https://docs.qonto.com/api-reference/business-api/transactions-statements/attachments-in-transactions/upload-an-attachment-to-a-transaction

        Processing is asynchronous: the attachment shows in ``attachment_ids`` a bit later.
        """
        try:
            uuid.UUID(idempotency_key)
        except ValueError:
            raise ValueError(
                "X-Qonto-Idempotency-Key must be a UUID (see attachment_idempotency_key)"
            ) from None
        if len(content) > MAX_REQUEST_BYTES:
            raise FileTooLargeError(
                f"{filename} is {len(content):,} bytes; uploads are capped at "
                f"{MAX_REQUEST_BYTES:,} bytes",
                provider=PROVIDER,
                filename=filename,
                size=len(content),
                limit=MAX_REQUEST_BYTES,
            )
        body, multipart_type = encode_multipart_formdata(
            [("file", (filename, content, content_type))]
        )
        self._send(
            "POST",
            f"/v2/transactions/{quote(transaction_id, safe='')}/attachments",
            data=body,
            headers={"Content-Type": multipart_type, "X-Qonto-Idempotency-Key": idempotency_key},
        )

    # --- organization ----------------------------------------------------------------------------

    def get_organization(self) -> Organization:
        """https://docs.qonto.com/api-reference/business-api/accounts-organizations/organizations/retrieve-the-authenticated-organization"""
        response = self._send("GET", "/v2/organization")
        return self._model(response, OrganizationEnvelope, "an organization").organization

    def list_bank_accounts(self, *, per_page: int = MAX_PER_PAGE) -> Iterator[BankAccount]:
        """https://docs.qonto.com/api-reference/business-api/accounts-organizations/business-accounts/list"""
        for page in self._pages(
            "/v2/bank_accounts", [], BankAccountPage, "bank accounts", per_page
        ):
            yield from page.bank_accounts

    def revoke_consents(self) -> None:
        """https://docs.qonto.com/api-reference/business-api/authentication/oauth2/revoke-oauth-consents

        Disconnects the app for the consenting membership."""
        self._send("DELETE", "/v2/oauth2/consents")

    # --- plumbing --------------------------------------------------------------------------------

    def _authorization(self, token: str) -> dict[str, str]:
        value = f"{self._scheme} {token}" if self._scheme else token
        return {"Authorization": value, **self._config.staging_headers()}

    def _send(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        data: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        should_retry: Callable[[TransientError], bool] = retry_any,
    ) -> requests.Response:
        url = f"{self._config.api_url}{path}"
        authorized = AuthorizedCall(self._tokens)

        def send(token: str) -> requests.Response:
            return self._session.request(
                method,
                url,
                params=params,
                data=data,
                headers={**self._authorization(token), **(headers or {})},
            )

        def attempt() -> requests.Response:
            response = authorized.send(send, is_token_rejected=lambda _: True)
            raise_for_qonto_status(response, secrets=self._secrets(authorized))
            return response

        return call_with_retries(
            attempt, policy=self._retry, sleep=self._sleep, should_retry=should_retry
        )

    def _secrets(self, authorized: AuthorizedCall) -> list[str]:
        return [*authorized.tokens_used, self._config.staging_token]

    def _model(self, response: requests.Response, model: type[ModelT], expected: str) -> ModelT:
        return read_model(
            response,
            model,
            provider=PROVIDER,
            expected=expected,
            hint=QONTO_SANDBOX_HINT,
            secrets=[self._config.staging_token],
        )

    def _pages(
        self,
        path: str,
        params: Params,
        model: type[ModelT],
        expected: str,
        per_page: int,
    ) -> Iterator[ModelT]:
        """Follow ``meta.next_page`` until it is null or absent (some answers omit it)."""
        if not 1 <= per_page <= MAX_PER_PAGE:
            raise ValueError(f"per_page must be between 1 and {MAX_PER_PAGE}")
        page_number = 1
        for _ in range(MAX_PAGES):
            page_params = [*params, ("page", str(page_number)), ("per_page", str(per_page))]
            response = self._send("GET", path, params=page_params)
            page = self._model(response, model, f"a page of {expected}")
            yield page
            meta = getattr(page, "meta", None)
            next_page = meta.next_page if isinstance(meta, PageMeta) else None
            if next_page is None:
                return
            if next_page <= page_number:
                raise ProtocolError(
                    f"expected meta.next_page after {page_number}, received {next_page}",
                    provider=PROVIDER,
                    status=response.status_code,
                    request_id=request_id_of(response),
                    expected=f"a page number above {page_number}",
                    received=str(next_page),
                )
            page_number = next_page
        raise ProtocolError(
            f"gave up listing {expected} after {MAX_PAGES} pages",
            provider=PROVIDER,
            expected="a last page",
            received=f"more than {MAX_PAGES} pages",
        )
