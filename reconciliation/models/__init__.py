"""Well's domain models. Each module holds one aggregate; import them from here."""

from reconciliation.models.audit import (
    AppendOnlyError,
    Decision,
    DecisionAction,
    PostAttempt,
    PostOutcome,
    SyncKind,
    SyncRun,
    SyncStatus,
)
from reconciliation.models.bank_details import (
    BankAccountOrigin,
    BankChangeStatus,
    BankDetailChange,
    VendorBankAccount,
)
from reconciliation.models.banking import (
    ExchangeRate,
    Match,
    MatchKind,
    MatchStatus,
    Receivable,
    ReceivableStatus,
    Side,
    Transaction,
    TransactionStatus,
)
from reconciliation.models.base import IllegalTransitionError, TenantModel, TenantQuerySet
from reconciliation.models.connection import (
    FILE_PROVIDERS,
    Connection,
    ConnectionStatus,
    Provider,
)
from reconciliation.models.document import (
    INVOICE_KINDS,
    PAYMENT_KINDS,
    Document,
    DocumentKind,
    DocumentStatus,
)
from reconciliation.models.invoice import Invoice, InvoiceStatus, QontoOrigin, idempotency_key_for
from reconciliation.models.purge import WorkspacePurge
from reconciliation.models.qonto import QontoSupplierInvoice
from reconciliation.models.routing import RoutingRule
from reconciliation.models.vendor import TRAINING_DOCUMENTS, Vendor, VendorStatus
from reconciliation.models.workspace import (
    DataRegion,
    DigestSent,
    Membership,
    Role,
    Workspace,
)

__all__ = [
    "FILE_PROVIDERS",
    "INVOICE_KINDS",
    "PAYMENT_KINDS",
    "TRAINING_DOCUMENTS",
    "AppendOnlyError",
    "BankAccountOrigin",
    "BankChangeStatus",
    "BankDetailChange",
    "Connection",
    "ConnectionStatus",
    "DataRegion",
    "Decision",
    "DecisionAction",
    "DigestSent",
    "Document",
    "DocumentKind",
    "DocumentStatus",
    "ExchangeRate",
    "IllegalTransitionError",
    "Invoice",
    "InvoiceStatus",
    "Match",
    "MatchKind",
    "MatchStatus",
    "Membership",
    "PostAttempt",
    "PostOutcome",
    "Provider",
    "QontoOrigin",
    "QontoSupplierInvoice",
    "Receivable",
    "ReceivableStatus",
    "Role",
    "RoutingRule",
    "Side",
    "SyncKind",
    "SyncRun",
    "SyncStatus",
    "TenantModel",
    "TenantQuerySet",
    "Transaction",
    "TransactionStatus",
    "Vendor",
    "VendorBankAccount",
    "VendorStatus",
    "Workspace",
    "WorkspacePurge",
    "idempotency_key_for",
]
