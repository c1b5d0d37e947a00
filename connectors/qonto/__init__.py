"""Qonto Business API: typed client, schemas, bulk-upload helpers and Qonto-specific errors."""

from __future__ import annotations

from connectors.qonto.bulk import MAX_FILE_BYTES
from connectors.qonto.bulk import MAX_ITEMS_PER_REQUEST
from connectors.qonto.bulk import MAX_REQUEST_BYTES
from connectors.qonto.bulk import BatchPlan
from connectors.qonto.bulk import BulkItem
from connectors.qonto.bulk import BulkItemError
from connectors.qonto.bulk import BulkItemResult
from connectors.qonto.bulk import BulkLimitError
from connectors.qonto.bulk import BulkResult
from connectors.qonto.bulk import plan_batches
from connectors.qonto.client import TRANSACTION_STATUSES
from connectors.qonto.client import QontoClient
from connectors.qonto.client import SupplierInvoiceFilters
from connectors.qonto.client import attachment_idempotency_key
from connectors.qonto.schemas import BankAccount
from connectors.qonto.schemas import Money
from connectors.qonto.schemas import Organization
from connectors.qonto.schemas import SupplierInvoice
from connectors.qonto.schemas import Transaction
from connectors.qonto.schemas import UnreadableItem

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
