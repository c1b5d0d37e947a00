"""The soak's paperwork and bank: workspaces, their Dropbox folders and the Qonto statement.

Workspace 1 reads the demo scenario (invoices, credit notes, payment confirmations to attach, a
forwarded duplicate, a double charge); the others read invoice streams of their own vendors
(``generate_vendor_stream``: distinct content everywhere), a third of them paid by a debit
carrying their number. Every workspace is a company of its own with its own Qonto organisation
(its own account, statement and supplier invoices): a Qonto token is granted for one
organisation, so a workspace's windows page through its own invoices only. Workspace 1 has the
demo's organisation; the others bill the same company name and VAT number (the vendor streams
address it), with organisations of their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from decimal import Decimal
from typing import Any

from connectors.sandbox import Sandbox

DOCUMENTS_PER_WORKSPACE = 250
VENDORS_PER_WORKSPACE = 10


@dataclass
class Folder:
    workspace_id: int
    path: str
    organization_id: str
    files: list[str] = field(default_factory=list)


def _connect(workspace: Any, provider: str, emulator: Any, **fields: Any) -> Any:
    from reconciliation.models import Connection
    from reconciliation.models import ConnectionStatus
    from tests.helpers import store_emulator_tokens

    connection = Connection.objects.create(
        workspace=workspace, provider=provider, status=ConnectionStatus.ACTIVE, **fields
    )
    store_emulator_tokens(connection, emulator)
    connection.save()
    return connection


def _workspace(
    index: int, vat_id: str, sandbox: Sandbox, organization_id: str
) -> tuple[Any, Folder]:
    from reconciliation.models import Provider
    from reconciliation.models import Workspace

    workspace = Workspace.objects.create(
        name=f"Soak {index}",
        slug=f"soak-{index}",
        vat_id=vat_id,
        review_vendors_in_training=False,
        poll_interval_minutes=1,
        max_syncs_per_hour=60,
    )
    folder = Folder(workspace.pk, f"/Soak/w{index}", organization_id)
    _connect(workspace, Provider.DROPBOX, sandbox.dropbox, watched_folder=folder.path)
    with sandbox.qonto.organization_scope(organization_id):  # its token is for this one
        _connect(workspace, Provider.QONTO, sandbox.qonto, account_label=f"Qonto · soak {index}")
    return workspace, folder


def build(sandbox: Sandbox, documents: int, seed: int) -> list[Folder]:
    """Load the emulators and create the workspaces; returns each workspace's files."""
    from connectors.sandbox.demo_data import build_demo_scenario
    from reconciliation.connections.flows import vat_id_from_registration

    scenario = build_demo_scenario(seed)
    organization = scenario.organization
    vat_id = vat_id_from_registration(organization["legal_country"], organization["legal_number"])
    sandbox.qonto.load_organization(
        organization, bank_accounts=scenario.bank_accounts, transactions=scenario.transactions
    )
    _, demo = _workspace(1, vat_id, sandbox, sandbox.qonto.organization_id)
    for path, document in scenario.files:
        if document.kind in ("wire_notice", "other"):
            continue  # the demo reads those through Apideck; the soak polls Dropbox only
        name = f"{demo.path}/{path.rsplit('/', 1)[-1]}"
        sandbox.dropbox.put_file(name, document.content)
        demo.files.append(name)
    folders = [demo]
    remaining = max(0, documents - len(demo.files))
    index = 2
    while remaining > 0:
        size = min(DOCUMENTS_PER_WORKSPACE, remaining)
        organization_id = sandbox.qonto.add_organization(
            name=f"Soak {index} SAS", legal_number=organization["legal_number"]
        )
        _, folder = _workspace(index, vat_id, sandbox, organization_id)
        _fill(sandbox, folder, size, seed * 1000 + index)
        folders.append(folder)
        remaining -= size
        index += 1
    return folders


def _fill(sandbox: Sandbox, folder: Folder, size: int, seed: int) -> None:
    from connectors.sandbox.documents import generate_vendor_stream

    per_vendor = -(-size // VENDORS_PER_WORKSPACE)
    for vendor in range(VENDORS_PER_WORKSPACE):
        for n, rendered in enumerate(generate_vendor_stream(seed * 100 + vendor, per_vendor)):
            if len(folder.files) >= size:
                return
            name = f"{folder.path}/v{vendor}-{n:04d}-{rendered.filename}"
            sandbox.dropbox.put_file(name, rendered.content)
            folder.files.append(name)
            truth = rendered.truth
            if n % 3 == 0 and truth.get("currency") == "EUR" and truth.get("total_amount"):
                with sandbox.qonto.organization_scope(folder.organization_id):
                    sandbox.qonto.add_transaction(
                        amount=Decimal(str(truth["total_amount"])),
                        label=str(truth.get("supplier_name") or "Supplier"),
                        reference=str(truth.get("invoice_number") or ""),
                    )
