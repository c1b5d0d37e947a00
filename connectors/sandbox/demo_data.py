"""Entry point for the demo data: the sandbox emulators and `make run` import from here.

The implementation lives in `connectors.sandbox.documents` (renderers, scenario, streams,
bulk benchmark data); this module only re-exports its public API under the name the issue
uses.
"""

from __future__ import annotations

from connectors.sandbox.documents import *  # noqa: F403
from connectors.sandbox.documents import __all__ as __all__
