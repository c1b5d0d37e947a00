"""Loading the demo scenario (``connectors.sandbox.demo_data.build_demo_scenario``) into running
emulators, and the foreground runner behind ``manage.py sandbox``."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from typing import Protocol

from connectors.sandbox import APIDECK_CONSUMER_ID
from connectors.sandbox import Sandbox
from connectors.sandbox.demo_data import RenderedDocument
from connectors.sandbox.demo_data import build_demo_scenario

#: The demo folder read through Apideck (the rest of the scenario sits under /Invoices).
APIDECK_INBOX = "/Apideck inbox"

# Ground-truth field → the supplier-invoice field Qonto's own extraction would fill.
_QONTO_FIELDS = {
    "supplier_name": "supplier_name",
    "supplier_vat_id": "vat_number",
    "supplier_iban": "iban",
    "invoice_number": "invoice_number",
    "issue_date": "issue_date",
    "due_date": "due_date",
    "total_amount": "total_amount",
    "tax_amount": "total_tax_amount",
    "currency": "currency",
}


class Writer(Protocol):
    def write(self, text: str, /) -> object: ...

    def flush(self) -> object: ...


@dataclass(frozen=True)
class DemoSummary:
    files: int
    transactions: int
    organization: str
    apideck_consumer: str


def load_demo(sandbox: Sandbox, *, seed: int = 7) -> DemoSummary:
    """Fill the emulators: the scenario's PDFs in Dropbox (Apideck sees the same files, for a
    connected demo consumer), its organisation, accounts and transactions in Qonto, and a Qonto
    "analysis" that extracts each uploaded demo invoice's printed fields."""
    scenario = build_demo_scenario(seed)
    for path, document in scenario.files:
        sandbox.dropbox.put_file(demo_file_path(path, document), document.content)
    sandbox.qonto.load_organization(
        scenario.organization,
        bank_accounts=scenario.bank_accounts,
        transactions=scenario.transactions,
    )
    sandbox.qonto.invoice_analyzer = _analyzer([document for _, document in scenario.files])
    sandbox.apideck.connect(APIDECK_CONSUMER_ID)
    return DemoSummary(
        files=len(scenario.files),
        transactions=len(scenario.transactions),
        organization=str(scenario.organization["name"]),
        apideck_consumer=APIDECK_CONSUMER_ID,
    )


def demo_file_path(path: str, document: RenderedDocument) -> str:
    """Where a scenario file lives in the demo Dropbox. Customers' remittance advices (and the
    odd newsletter) arrive through the Apideck-connected folder, so the demo's two file
    connections each read their own documents."""
    if document.kind in ("wire_notice", "other"):
        return f"{APIDECK_INBOX}/{path.rsplit('/', 1)[-1]}"
    return path


def _analyzer(
    documents: list[RenderedDocument],
) -> Callable[[str, bytes], Mapping[str, Any] | None]:
    by_hash = {
        document.sha256: document
        for document in documents
        if document.kind in ("invoice", "credit_note")
    }

    def analyze(file_name: str, content: bytes) -> Mapping[str, Any] | None:
        document = by_hash.get(hashlib.sha256(content).hexdigest())
        if document is None:
            return None
        return {
            qonto: document.truth[truth]
            for truth, qonto in _QONTO_FIELDS.items()
            if document.truth.get(truth) is not None
        }

    return analyze


def describe(sandbox: Sandbox) -> str:
    """Where the emulators listen and the settings that point Well at them."""
    lines = [
        "Sandbox emulators (loopback only):",
        f"  Dropbox  {sandbox.dropbox.base_url}  (www, api, content and notify hosts)",
        f"  Apideck  {sandbox.apideck.base_url}",
        f"  Qonto    {sandbox.qonto.base_url}  (API and OAuth hosts)",
        "Control API on each: /_sandbox/faults, /_sandbox/requests, /_sandbox/state, "
        "/_sandbox/reset, /_sandbox/clock",
        "Point Well at them with:",
    ]
    lines += [f"  export {name}={value}" for name, value in sandbox.settings().items()]
    return "\n".join(lines)


def run_sandbox(
    *,
    host: str,
    port: int,
    demo: bool,
    seed: int,
    out: Writer,
    stop: threading.Event,
    qonto_staging_token: str | None = None,
) -> None:
    """Start the three emulators on ``port``, ``port + 1``, ``port + 2`` (all ephemeral when
    ``port`` is 0), print where they are, and serve until ``stop`` is set."""
    sandbox = Sandbox.create(
        host=host,
        dropbox_port=port,
        apideck_port=port + 1 if port else 0,
        qonto_port=port + 2 if port else 0,
        qonto_staging_token=qonto_staging_token,
    ).start()
    try:
        out.write(describe(sandbox) + "\n")
        if demo:
            summary = load_demo(sandbox, seed=seed)
            out.write(
                f"Demo loaded: {summary.files} files in Dropbox, {summary.transactions} Qonto "
                f"transactions for {summary.organization}, Apideck consumer "
                f"{summary.apideck_consumer} connected.\n"
            )
        out.write("Ready.\n")
        out.flush()
        stop.wait()
    finally:
        sandbox.stop()
