"""Qonto Business API: typed client, schemas, bulk-upload helpers and Qonto-specific errors."""

from __future__ import annotations

from connectors.qonto.bulk import (
    MAX_FILE_BYTES,
    MAX_ITEMS_PER_REQUEST,
    MAX_REQUEST_BYTES,
    BatchPlan,
    BulkItem,
    BulkItemError,
    BulkItemResult,
    BulkLimitError,
    BulkResult,
    plan_batches,
)
from connectors.qonto.client import (
    TRANSACTION_STATUSES,
    QontoClient,
    SupplierInvoiceFilters,
    attachment_idempotency_key,
)
from connectors.qonto.schemas import (
    BankAccount,
    Money,
    Organization,
    SupplierInvoice,
    Transaction,
    UnreadableItem,
)

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_ITEMS_PER_REQUEST",
    "MAX_REQUEST_BYTES",
    "TRANSACTION_STATUSES",
    "BankAccount",
    "BatchPlan",
    "BulkItem",
    "BulkItemError",
    "BulkItemResult",
    "BulkLimitError",
    "BulkResult",
    "Money",
    "Organization",
    "QontoClient",
    "SupplierInvoice",
    "SupplierInvoiceFilters",
    "Transaction",
    "UnreadableItem",
    "attachment_idempotency_key",
    "plan_batches",
]
