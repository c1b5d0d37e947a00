"""Synthetic supplier paperwork for the demo, the emulators and the benchmarks.

Public API (also re-exported by `connectors.sandbox.demo_data`):

- `render_invoice`, `render_payment_confirmation`, `render_remittance_notice`, `render_other`
  turn a spec into a `RenderedDocument` (PDF bytes + ground truth).
- `build_demo_scenario(seed, anchor=...)` is what `make run` loads into the sandbox.
- `generate_vendor_stream(vendor_seed, n)` yields invoices of one vendor.
- `generate_bulk(n_documents, n_transactions, seed)` streams matching-benchmark dicts.

This package speaks no HTTP and imports neither `reconciliation` nor Django.
"""

from __future__ import annotations

from connectors.sandbox.documents.bulk import BULK_TRANSACTION_KEYS
from connectors.sandbox.documents.bulk import NOISE_TAGS
from connectors.sandbox.documents.bulk import BulkData
from connectors.sandbox.documents.bulk import generate_bulk
from connectors.sandbox.documents.identifiers import belgian_structured_reference
from connectors.sandbox.documents.identifiers import make_iban
from connectors.sandbox.documents.identifiers import make_vat_id
from connectors.sandbox.documents.identifiers import rf_reference
from connectors.sandbox.documents.model import INVOICE_FIELDS
from connectors.sandbox.documents.model import LAYOUTS
from connectors.sandbox.documents.model import PAYMENT_FIELDS
from connectors.sandbox.documents.model import InvoiceSpec
from connectors.sandbox.documents.model import LineItem
from connectors.sandbox.documents.model import OtherSpec
from connectors.sandbox.documents.model import Party
from connectors.sandbox.documents.model import PaymentConfirmationSpec
from connectors.sandbox.documents.model import RemittanceNoticeSpec
from connectors.sandbox.documents.model import RenderedDocument
from connectors.sandbox.documents.qonto_objects import BANK_ACCOUNT_KEYS
from connectors.sandbox.documents.qonto_objects import ORGANIZATION_KEYS
from connectors.sandbox.documents.qonto_objects import QONTO_TRANSACTION_KEYS
from connectors.sandbox.documents.render import render_invoice
from connectors.sandbox.documents.render import render_other
from connectors.sandbox.documents.render import render_payment_confirmation
from connectors.sandbox.documents.render import render_remittance_notice
from connectors.sandbox.documents.scenario import DEFAULT_ANCHOR
from connectors.sandbox.documents.scenario import RECEIVABLE_COLUMNS
from connectors.sandbox.documents.scenario import DemoScenario
from connectors.sandbox.documents.scenario import build_demo_scenario
from connectors.sandbox.documents.scenario_builder import ScenarioExpectations
from connectors.sandbox.documents.stream import generate_vendor_stream
from connectors.sandbox.documents.stream import vendor_profile

__all__ = [
    "BANK_ACCOUNT_KEYS",
    "BULK_TRANSACTION_KEYS",
    "DEFAULT_ANCHOR",
    "INVOICE_FIELDS",
    "LAYOUTS",
    "NOISE_TAGS",
    "ORGANIZATION_KEYS",
    "PAYMENT_FIELDS",
    "QONTO_TRANSACTION_KEYS",
    "RECEIVABLE_COLUMNS",
    "BulkData",
    "DemoScenario",
    "InvoiceSpec",
    "LineItem",
    "OtherSpec",
    "Party",
    "PaymentConfirmationSpec",
    "RemittanceNoticeSpec",
    "RenderedDocument",
    "ScenarioExpectations",
    "belgian_structured_reference",
    "build_demo_scenario",
    "generate_bulk",
    "generate_vendor_stream",
    "make_iban",
    "make_vat_id",
    "render_invoice",
    "render_other",
    "render_payment_confirmation",
    "render_remittance_notice",
    "rf_reference",
    "vendor_profile",
]
