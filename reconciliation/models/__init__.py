"""Well's domain models. Each module holds one aggregate; import them from here."""

from reconciliation.models.audit import AppendOnlyError
from reconciliation.models.audit import Decision
from reconciliation.models.audit import DecisionAction
from reconciliation.models.audit import PostAttempt
from reconciliation.models.audit import PostOutcome
from reconciliation.models.audit import SyncKind
from reconciliation.models.audit import SyncRun
from reconciliation.models.audit import SyncStatus
from reconciliation.models.bank_details import BankAccountOrigin
from reconciliation.models.bank_details import BankChangeStatus
from reconciliation.models.bank_details import BankDetailChange
from reconciliation.models.bank_details import VendorBankAccount
from reconciliation.models.banking import ExchangeRate
from reconciliation.models.banking import Match
from reconciliation.models.banking import MatchKind
from reconciliation.models.banking import MatchStatus
from reconciliation.models.banking import Receivable
from reconciliation.models.banking import ReceivableStatus
from reconciliation.models.banking import Side
from reconciliation.models.banking import Transaction
from reconciliation.models.banking import TransactionStatus
from reconciliation.models.base import IllegalTransitionError
from reconciliation.models.base import TenantModel
from reconciliation.models.base import TenantQuerySet
from reconciliation.models.connection import FILE_PROVIDERS
from reconciliation.models.connection import Connection
from reconciliation.models.connection import ConnectionStatus
from reconciliation.models.connection import Provider
from reconciliation.models.document import INVOICE_KINDS
from reconciliation.models.document import PAYMENT_KINDS
from reconciliation.models.document import Document
from reconciliation.models.document import DocumentKind
from reconciliation.models.document import DocumentStatus
from reconciliation.models.invoice import Invoice
from reconciliation.models.invoice import InvoiceStatus
from reconciliation.models.invoice import QontoOrigin
from reconciliation.models.invoice import idempotency_key_for
from reconciliation.models.purge import WorkspacePurge
from reconciliation.models.qonto import QontoSupplierInvoice
from reconciliation.models.routing import RoutingRule
from reconciliation.models.vendor import TRAINING_DOCUMENTS
from reconciliation.models.vendor import Vendor
from reconciliation.models.vendor import VendorStatus
from reconciliation.models.workspace import DataRegion
from reconciliation.models.workspace import DigestSent
from reconciliation.models.workspace import Membership
from reconciliation.models.workspace import Role
from reconciliation.models.workspace import Workspace

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
