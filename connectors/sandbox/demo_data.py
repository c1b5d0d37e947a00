"""Entry point for the demo data: the sandbox emulators and `make run` import from here.

The implementation lives in `connectors.sandbox.documents` (renderers, scenario, streams,
bulk benchmark data, the demo workspace's history and reference exchange rates); this module
only re-exports its public API under the name the issue uses.
"""

from __future__ import annotations

from connectors.sandbox.documents import *  # noqa: F403
from connectors.sandbox.documents import __all__ as _package_all
from connectors.sandbox.documents.history import TRAINED_AFTER
from connectors.sandbox.documents.history import DemoHistory
from connectors.sandbox.documents.history import HistoryInvoice
from connectors.sandbox.documents.history import build_demo_history
from connectors.sandbox.documents.rates import DEMO_RATE_SOURCE
from connectors.sandbox.documents.rates import ReferenceRate
from connectors.sandbox.documents.rates import demo_reference_rates

__all__ = [
    *_package_all,
    "DEMO_RATE_SOURCE",
    "TRAINED_AFTER",
    "DemoHistory",
    "HistoryInvoice",
    "ReferenceRate",
    "build_demo_history",
    "demo_reference_rates",
]
